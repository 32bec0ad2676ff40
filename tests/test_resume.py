"""Preemption-safe training, from outside the process: a run killed with SIGKILL at a random step
and restarted ends bitwise like an uninterrupted one; a training job sent SIGTERM saves, exits with
status 75, and the retries the SLURM profile sets continue it. (tests/test_model_training.py
covers resume and SIGTERM within one process; tests/test_slurm.py covers a real SLURM.)"""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from factorization_curse.data import make_dataset
from factorization_curse.model import load_model

ROOT = Path(__file__).resolve().parents[1]
STEPS = 60

# One training run in its own process, printing a line per step: `python -c TRAIN data run_dir`
TRAIN = f"""
import sys
from pathlib import Path
import torch
from factorization_curse.objectives import Objective
from factorization_curse.training import TrainConfig, train_model
torch.set_num_threads(1)
data, run = sys.argv[1], Path(sys.argv[2])
cfg = TrainConfig(steps={STEPS}, batch_size=8, lr=3e-3, eval_every=20, eval_max_examples=16, checkpoint_every=2,
                  log_every=1, seed=3)
train_model(data, Objective("mlm-u", "mlm-uniform", {{}}),
            {{"architecture": "encoder-decoder", "n_layer": 1, "n_head": 2, "d_model": 16}}, cfg,
            run / "model.pt", run / "metrics.jsonl", run / "run.json", log=lambda m: print(m, flush=True))
"""


def train(data, run, kill_at=None):
    """Train in a subprocess; with ``kill_at``, SIGKILL it as soon as it reports that step."""
    run.mkdir(exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", TRAIN, str(data), str(run)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in child.stdout:
        lines.append(line)
        if kill_at is not None and line.startswith(f"step {kill_at}/"):
            child.kill()
            break
    child.wait()
    child.stdout.close()
    return child.returncode, "".join(lines)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "retrieval"
    make_dataset("retrieval", {"num_pairs": 24, "entity_length": 2, "token_pool_size": 16}, 0, path)
    return path


def test_sigkill_at_a_random_step_then_restart_is_bitwise_identical(data, tmp_path):
    kill_at = random.Random().randint(3, STEPS - 10)
    status, _ = train(data, tmp_path / "straight")
    assert status == 0
    status, killed = train(data, tmp_path / "killed", kill_at=kill_at)
    assert status == -signal.SIGKILL, f"killed at step {kill_at}:\n{killed[-2000:]}"
    assert not (tmp_path / "killed" / "model.pt").exists() and (tmp_path / "killed" / "checkpoint.pt").exists()
    status, restarted = train(data, tmp_path / "killed")
    assert status == 0, restarted[-2000:]
    resumed_at = int(restarted.split("resumed from ")[1].split(" at step ")[1].split()[0])
    # the last rolling checkpoint (every 2 steps; the child may finish a step or more before the signal lands)
    assert kill_at - 2 <= resumed_at < STEPS, (kill_at, resumed_at)

    a, saved_a = load_model(tmp_path / "straight" / "model.pt")
    b, saved_b = load_model(tmp_path / "killed" / "model.pt")
    assert saved_a["step"] == saved_b["step"] == STEPS
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), f"{name} differs after a SIGKILL at step {kill_at}"
    straight, killed = ((tmp_path / run / "metrics.jsonl").read_bytes() for run in ("straight", "killed"))
    assert straight == killed
    info = [json.loads((tmp_path / run / "run.json").read_text()) for run in ("straight", "killed")]
    for i in info:
        i.pop("train_seconds_this_session")
    assert info[0] == info[1]
    assert not (tmp_path / "killed" / "checkpoint.pt").exists()


def training_processes(workdir):
    """Pids of the train_model script's Python processes running in ``workdir``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if "train_model.py" in cmdline and "python" in cmdline and os.readlink(proc / "cwd") == str(workdir):
                pids.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return pids


def long_micro_run(tmp_path, target: str, *args, **popen) -> tuple[list[str], Path, subprocess.Popen]:
    """snakemake on one 600-step micro training run (`target`: a file of the run's folder), started
    in the background and returned once the run has written its first rolling checkpoint."""
    override = tmp_path / "long.yaml"
    override.write_text(
        "preset: micro\ntasks: [retrieval]\nrun_objectives: [ar]\npresets:\n  micro:\n"
        "    training: {steps: 600, eval_every: 300, checkpoint_every: 20, log_every: 100}\n"
    )
    run = tmp_path / "results" / "micro" / "runs" / "retrieval" / "ar" / "seed0"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--cores", "1",
           f"{run.relative_to(tmp_path)}/{target}", *args, "--configfile", str(override)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)
    deadline = time.monotonic() + 120
    while not (run / "checkpoint.pt").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("training never wrote a checkpoint:\n" + process.communicate()[0][-5000:])
        time.sleep(0.05)
    return cmd, run, process


@pytest.mark.slow
def test_sigterm_exits_75_and_the_profiles_retries_continue_the_run(tmp_path):
    """A training job under snakemake with the SLURM profile's retries: SIGTERM to the training
    process (what SLURM sends) saves a checkpoint and ends the job with status 75; snakemake
    resubmits it and the new attempt continues from the checkpoint."""
    retries = yaml.safe_load((ROOT / "slurm" / "config.yaml").read_text())["retries"]
    assert retries >= 1
    cmd, run, process = long_micro_run(tmp_path, "model.pt", "--retries", str(retries))
    pids = training_processes(tmp_path)
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGTERM)
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0, out[-5000:]
    assert "non-zero exit status 75" in out, out[-5000:]
    assert "Trying to restart job" in out
    log = (tmp_path / "results" / "micro" / "logs" / "train_model" / "retrieval" / "ar" / "seed0.log").read_text()
    resumed_at = int(log.split("resumed from ")[1].split(" at step ")[1].split()[0])
    assert 20 <= resumed_at < 600
    assert torch.load(run / "model.pt", weights_only=True)["step"] == 600
    assert not (run / "checkpoint.pt").exists()


@pytest.mark.slow
def test_kill_9_of_snakemake_itself_then_rerun_incomplete_loses_nothing(tmp_path):
    """The whole snakemake process group SIGKILLed mid-training (a lost login node): the rerun with
    --rerun-incomplete keeps the dataset, continues the training from its rolling checkpoint and
    finishes the run."""
    cmd, run, process = long_micro_run(tmp_path, "eval.json", start_new_session=True)
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    data = tmp_path / "results" / "micro" / "data" / "retrieval"
    built = {p.name: p.stat().st_mtime_ns for p in data.iterdir()}
    # a killed snakemake leaves its lock: --unlock (README, "If a run was interrupted"), then rerun
    unlock = subprocess.run(cmd + ["--unlock"], capture_output=True, text=True, timeout=120)
    assert unlock.returncode == 0, unlock.stderr[-3000:]
    rerun = subprocess.run(cmd + ["--rerun-incomplete"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-5000:]
    assert {p.name: p.stat().st_mtime_ns for p in data.iterdir()} == built  # the dataset was kept
    log = (tmp_path / "results" / "micro" / "logs" / "train_model" / "retrieval" / "ar" / "seed0.log").read_text()
    assert "resumed from" in log and int(log.split("resumed from ")[1].split(" at step ")[1].split()[0]) >= 20
    assert torch.load(run / "model.pt", weights_only=True)["step"] == 600
    assert json.loads((run / "eval.json").read_text())["split"] == "test"
