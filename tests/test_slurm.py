"""`snakemake --profile slurm`: the profile, the resources each preset asks for, and runs on a real
(throwaway, one-node) SLURM cluster started by tests/slurm_cluster.py.

The cluster tests need root and the Debian packages slurmctld, slurmd, slurm-client and munge;
without them they are skipped (.ci/run installs them and sets FC_REQUIRE_SLURM=1, which turns
the skip into a failure). The profile is used unchanged; only flags a cluster without accounting
needs are added on the command line.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from factorization_curse.config import ConfigError, check_config, training_resources

from . import slurm_cluster

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
PROFILE = yaml.safe_load((ROOT / "slurm" / "config.yaml").read_text())
# Without accounting (slurmdbd), sacct cannot follow finished jobs: ask squeue. Check status
# after 1 s, not the default 40.
CI_FLAGS = ["--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1"]
OBJECTIVES = ("ar", "mlm-u")
MICRO = ["--config", "preset=micro", "tasks=[retrieval]", f"objectives_by_task={{retrieval: [{','.join(OBJECTIVES)}]}}"]


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


# --- the profile and the resources (no cluster needed) -------------------------------------------


def test_profile_selects_slurm_and_retries():
    assert PROFILE["executor"] == "slurm"
    assert PROFILE["retries"] >= 1 and PROFILE["rerun-incomplete"] and PROFILE["slurm-keep-successful-logs"]
    for rule, resources in PROFILE["set-resources"].items():
        # the plugin sets --gres/--gpus itself and rejects them here; GPUs come from config.yaml
        assert "--gres" not in resources.get("slurm_extra", "") and "--gpus" not in resources.get("slurm_extra", "")
        assert rule != "train_model" or not {"gpu", "gres", "mem_mb", "runtime"} & set(resources)
    # only ./profiles/default is loaded without --profile: it must not send every run to SLURM
    default = ROOT / "profiles" / "default"
    for name in ("config.yaml", "profile.yaml"):
        if (default / name).exists():
            assert (yaml.safe_load((default / name).read_text()) or {}).get("executor", "local") != "slurm"


@pytest.mark.parametrize("preset,gpus", [("tiny", 0), ("micro", 0), ("paper", 1), ("paper_smoke", 1)])
def test_each_preset_asks_for_its_resources(config, preset, gpus):
    config["preset"] = preset
    for task in config["tasks"]:
        r = training_resources(config, task)
        assert r["gpu"] == gpus and r["gpu_model"] is None
        assert r["mem_mb"] > 0 and r["runtime"] > 0 and r["cpus_per_task"] == config["presets"][preset]["threads"]
    # per task, over the preset's; sweep points take their task's
    config["presets"][preset]["resources_by_task"] = {"retrieval": {"gpus": 2, "gpu_model": "h100", "runtime": 7}}
    validate(copy.deepcopy(config), SCHEMA)
    r = training_resources(config, "retrieval_entity_length-3")
    assert (r["gpu"], r["gpu_model"], r["runtime"]) == (2, "h100", 7)
    assert training_resources(config, "bios")["gpu"] == gpus


@pytest.mark.parametrize(
    "resources", [{"gpus": -1}, {"runtime": 0}, {"gpu_model": "a100 --x"}, {"gres": "gpu:1"}, {"mem_mb": "4G"}]
)
def test_schema_rejects_bad_resources(config, resources):
    config["presets"]["paper"]["resources"] = resources
    with pytest.raises(WorkflowError):
        validate(config, SCHEMA)


def test_resources_of_an_unknown_task_are_rejected(config):
    config["presets"]["paper"]["resources_by_task"] = {"retreival": {"gpus": 2}}
    with pytest.raises(ConfigError, match="resources_by_task.retreival: unknown task"):
        check_config(config)


def test_paper_plan_asks_for_gpus_without_a_cluster(tmp_path):
    """The user's literal command, planned: `snakemake --profile slurm -n all` from the repository
    root runs the paper preset (the profile names it); no SLURM command is run. WikiReversal needs
    GenWiki in data/genwiki (of the directory Snakemake runs in): the synthetic sample stands in."""
    shutil.copytree(ROOT / "data" / "genwiki_sample" / "train", tmp_path / "data" / "genwiki" / "train")
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-d", str(tmp_path), "-n", "all"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preset paper: results under results/paper/" in result.stderr
    train_jobs = [job.split("\n[")[0] for job in result.stdout.split("rule train_model:")[1:]]
    assert len(train_jobs) >= 20  # every (task, objective) of the paper preset
    paper = {**yaml.safe_load((ROOT / "config.yaml").read_text()), "preset": "paper"}
    runtimes = set()
    for job in train_jobs:
        resources = job.split("resources:")[1].splitlines()[0]
        assert "gpu=1" in resources and "cpus_per_task=8" in resources and "slurm_extra=--signal=TERM@300" in resources
        # each task's time limit (resources_by_task: from benchmarks/paper_budget.py's estimate)
        dataset = job.split("wildcards: dataset=")[1].split(",")[0]
        runtime = training_resources(paper, dataset)["runtime"]
        assert f"runtime={runtime}" in resources
        runtimes.add(runtime)
    assert len(runtimes) >= 3  # the tasks ask for different times, not one limit for all


def test_a_command_line_config_without_a_preset_is_refused_on_the_cluster(tmp_path):
    """--config on the command line replaces the profile's preset=paper: the workflow stops and says
    how to name the preset rather than send the tiny preset to the cluster."""
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-d", str(tmp_path), "-n", "all",
           "--config", "seeds=[0]"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "no preset named for a cluster run" in said and "--config preset=paper" in said


# --- a real SLURM cluster -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    why = slurm_cluster.unavailable()
    if why:
        if os.environ.get("FC_REQUIRE_SLURM"):
            pytest.fail(f"FC_REQUIRE_SLURM is set but {why}")
        pytest.skip(why)
    with slurm_cluster.SlurmCluster(gpus=2) as c:
        yield c


def snakemake_on_slurm(cluster, workdir, *args, wait=True, timeout=300):
    """`snakemake --profile slurm` typed in the repository root, on ``cluster``."""
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-d", str(workdir), *CI_FLAGS, *args]
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return finish(process, timeout) if wait else process


def finish(process, timeout=300):
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"snakemake did not finish in {timeout} s:\n{out[-4000:]}")
    assert process.returncode == 0, out[-6000:]
    return out


def run_dir(workdir, objective):
    return workdir / "results" / "micro" / "runs" / "retrieval" / objective / "seed0"


def training_job(cluster, workdir, objective) -> dict:
    """The SLURM job that trained ``objective`` (its id from run.json), as slurmctld knows it."""
    job_id = json.loads((run_dir(workdir, objective) / "run.json").read_text())["slurm_job_id"]
    assert job_id, f"{objective} did not train under SLURM"
    job = cluster.job(job_id)
    assert job["Comment"].startswith("rule_train_model_wildcards_"), job["Comment"]
    assert job["JobState"] == "COMPLETED" and job["ExitCode"] == "0:0", job
    return job


@pytest.fixture(scope="module")
def micro_run(cluster, tmp_path_factory):
    """The micro preset's retrieval table for two objectives through the profile: dataset, two
    trainings, two evaluations, the table. The later tests retrain in the same directory."""
    workdir = tmp_path_factory.mktemp("slurm")
    tables = [f"results/micro/tables/retrieval.{ext}" for ext in ("csv", "md")]
    out = snakemake_on_slurm(cluster, workdir, *tables, *MICRO)
    jobs = {o: training_job(cluster, workdir, o) for o in OBJECTIVES}
    return workdir, out, jobs


@pytest.mark.slurm
def test_micro_pipeline_on_slurm(cluster, micro_run):
    workdir, out, jobs = micro_run
    tables = workdir / "results" / "micro" / "tables"
    assert set(pd.read_csv(tables / "retrieval.csv").objective) == set(OBJECTIVES)
    assert "mlm-u" in (tables / "retrieval.md").read_text()
    assert out.count("has been submitted with SLURM jobid") == 6, out
    steps = cluster.task_environments()
    for job in jobs.values():  # micro asks for no GPU: SLURM gives none
        assert "gpu" not in job.get("TresPerJob", "") + job.get("TresPerNode", "")
        seen = [s for s in steps if s["job"] == job["JobId"]]
        assert seen and all(s["cuda_visible_devices"] == "unset" for s in seen)
    # SLURM's log of every job is kept (slurm-keep-successful-logs)
    assert len(list((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))) == 6


@pytest.fixture(scope="module")
def gpu_run(cluster, micro_run, tmp_path_factory):
    """The two trainings again (same directory), each asking for one (fake) GPU; the `ar` one is
    longer (600 steps) and gets SIGTERM on its steps once it has written a checkpoint: what SLURM
    sends at preemption and, with the profile's --signal, before the time limit."""
    workdir = micro_run[0]
    override = tmp_path_factory.mktemp("override") / "gpu.yaml"
    override.write_text(
        "presets:\n  micro:\n    resources: {gpus: 1}\n    training_by_objective:\n"
        "      ar: {steps: 600, eval_every: 300, checkpoint_every: 20, log_every: 100}\n"
    )
    models = [f"{run_dir(workdir, o).relative_to(workdir)}/model.pt" for o in OBJECTIVES]
    process = snakemake_on_slurm(cluster, workdir, *models, *MICRO, "--configfile", str(override),
                                 "--forcerun", "train_model", wait=False)
    checkpoint = run_dir(workdir, "ar") / "checkpoint.pt"
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert process.poll() is None and time.monotonic() < deadline, "training never wrote a checkpoint"
        time.sleep(0.1)
    running = [line.split() for line in cluster.run("squeue", "-h", "-t", "R", "-o", "%i %k").splitlines()]
    preempted = [job_id for job_id, comment in running if comment == "rule_train_model_wildcards_retrieval_ar_0"]
    assert len(preempted) == 1, running
    cluster.run("scancel", "--signal=TERM", preempted[0])  # to the job's steps, not its batch shell
    return workdir, finish(process), cluster.job(preempted[0])


@pytest.mark.slurm
def test_gpu_requests_on_slurm(cluster, micro_run, gpu_run):
    """SLURM accepts the GPU requests, the jobs run at the same time and each sees its own device
    in CUDA_VISIBLE_DEVICES; training, finding no CUDA, runs on CPU."""
    workdir, out, preempted = gpu_run
    jobs = {o: training_job(cluster, workdir, o) for o in OBJECTIVES}
    steps = cluster.task_environments()
    devices = {}
    for job in [*jobs.values(), preempted]:
        assert job["JobId"] not in {j["JobId"] for j in micro_run[2].values()}
        assert job["TresPerJob"] == "gres:gpu:1" and "gpu:1" in job["JOB_GRES"], job
        seen = {s["cuda_visible_devices"] for s in steps if s["job"] == job["JobId"]}
        assert len(seen) == 1 and seen <= {"0", "1"}, seen  # batch step and job step: one device
        devices[job["JobId"]] = seen.pop()
    for objective in OBJECTIVES:
        assert json.loads((run_dir(workdir, objective) / "run.json").read_text())["device"] == "cpu"
    # the first `ar` job and the `mlm-u` job started together
    both = [preempted, jobs["mlm-u"]]
    start, end = ([datetime.fromisoformat(j[key]) for j in both] for key in ("StartTime", "EndTime"))
    assert max(start) < min(end), "the two training jobs did not run at the same time"
    assert devices[preempted["JobId"]] != devices[jobs["mlm-u"]["JobId"]], devices


@pytest.mark.slurm
def test_preempted_training_job_continues_on_slurm(cluster, gpu_run):
    """The signalled run saves and fails; the profile's retries resubmit it and the new job
    continues from the checkpoint to the end."""
    workdir, out, preempted = gpu_run
    assert preempted["JobState"] == "FAILED"
    assert training_job(cluster, workdir, "ar")["JobId"] != preempted["JobId"]
    assert out.count("has been submitted with SLURM jobid") >= 3, out  # mlm-u, ar twice or more
    run = run_dir(workdir, "ar")
    log = (workdir / "results" / "micro" / "logs" / "train_model" / "retrieval" / "ar" / "seed0.log").read_text()
    assert "resumed from" in log, log
    resumed_at = int(log.split("resumed from ")[1].split(" at step ")[1].split()[0])
    assert 0 < resumed_at < 600
    assert torch.load(run / "model.pt", weights_only=True)["step"] == 600
    assert not (run / "checkpoint.pt").exists()


# --- the paper preset, shrunk (paper_smoke), through the profile ---------------------------------

SMOKE_TASKS = ("bios", "wikireversal")  # the data paths only the paper preset takes
SMOKE = ["--config", "preset=paper_smoke", f"tasks=[{','.join(SMOKE_TASKS)}]",
         "objectives_by_task={" + ", ".join(f"{t}: [mlm-u]" for t in SMOKE_TASKS) + "}"]


@pytest.mark.slurm
def test_paper_smoke_runs_the_paper_code_paths_on_slurm(cluster, tmp_path):
    """The paper preset with every size shrunk (config.yaml `paper_smoke`, `based_on: paper`), under
    the profile: MLM-U on the encoder-decoder for the two tasks whose data only the paper preset
    builds this way (BioS with five permuted biographies per person; WikiReversal from GenWiki's
    release layout, both split variants), each training and evaluation job asking for one GPU and
    its task's time limit, budgets from epochs. Kept to 12 jobs for CI's time; the whole plan (every
    task and objective) is the dry run's in test_paper_smoke_plans_every_job."""
    tables = [f"results/paper_smoke/tables/{task}.csv" for task in SMOKE_TASKS]
    out = snakemake_on_slurm(cluster, tmp_path, *tables, *SMOKE, timeout=600)
    results = tmp_path / "results" / "paper_smoke"
    for task in SMOKE_TASKS:
        assert set(pd.read_csv(results / "tables" / f"{task}.csv").objective) == {"mlm-u"}, task
    submitted = out.split("rule ")[1:]
    gpu_jobs = [job for job in submitted if job.startswith(("train_model:", "evaluate_model:"))]
    assert len(gpu_jobs) == 2 * (len(SMOKE_TASKS) + 1), out[-3000:]  # wikireversal's two split variants
    for job in gpu_jobs:
        resources = job.split("resources:")[1].splitlines()[0]
        assert "gpu=1" in resources, resources
        if job.startswith("train_model:"):
            assert ("runtime=20" if "dataset=bios" in job else "runtime=10") in resources, resources
    logs = list((results / "logs" / "train_model").rglob("seed0.log"))
    assert len(logs) == 3 and all(" epochs of " in log.read_text() for log in logs)  # steps from epochs
    for dataset in ("bios", "wikireversal", "wikireversal_split-different"):
        assert json.loads((results / "runs" / dataset / "mlm-u" / "seed0" / "run.json").read_text())["slurm_job_id"]
    bios = json.loads((results / "data" / "bios" / "info.json").read_text())["config"]
    assert bios["biographies_per_person"] == 5 and bios["permute_sentences"] is True


def test_paper_smoke_plans_every_job(tmp_path):
    """paper_smoke plans the same jobs as the paper preset (its tasks and objectives), one GPU each."""
    def plan(preset):
        cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-d", str(tmp_path / preset), "-n", "all",
               "--config", f"preset={preset}"]
        (tmp_path / preset / "data" / "genwiki").mkdir(parents=True)
        shutil.copytree(ROOT / "data" / "genwiki_sample" / "train", tmp_path / preset / "data" / "genwiki" / "train")
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        jobs = [j.split("\n[")[0] for j in result.stdout.split("rule train_model:")[1:]]
        return sorted(j.split("wildcards:")[1].splitlines()[0] for j in jobs), jobs

    paper, _ = plan("paper")
    smoke, jobs = plan("paper_smoke")
    assert smoke == paper and len(smoke) >= 39
    assert all("gpu=1" in j.split("resources:")[1].splitlines()[0] for j in jobs)
