"""The torchrun side of a training job that asks for several GPUs: re-launch it as one process per
GPU (:func:`run_with_torchrun`); each process runs :func:`main` on the job's arguments, a JSON file,
and trains its share of one model (:mod:`factorization_curse.distributed`).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from .distributed import Processes
from .objectives import Objective
from .runtime import log_to, set_threads
from .training import TrainConfig, TrainingInterrupted, train_model


def run_with_torchrun(processes: int, arguments: dict, arguments_path: Path) -> int:
    """Train with ``processes`` processes on this node; returns torchrun's exit status (75 when the
    run was interrupted and saved a checkpoint: rerunning continues it)."""
    arguments_path.write_text(json.dumps(arguments))
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
               "-m", "factorization_curse.launch", str(arguments_path)]
    child = subprocess.Popen(command)  # the workers import the installed package
    # SIGTERM/SIGUSR1 (preemption, time limit) go on to torchrun, which stops its workers: they save
    forward = lambda signum, frame: child.send_signal(signum)  # noqa: E731
    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        return child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(arguments_path: str) -> int:
    """One torchrun worker: ``train_model`` with the arguments that :func:`run_with_torchrun` wrote."""
    args = json.loads(Path(arguments_path).read_text())
    processes = Processes.from_environment()
    log = log_to(args["log_path"], append=True) if processes.main and args.get("log_path") else (lambda message: None)
    set_threads(args.get("threads"))
    try:
        train_model(
            data_dir=args["data_dir"], objective=Objective.from_config(args["objective_id"], args["objective"]),
            model_config=args["model_config"], train_config=TrainConfig(**args["train_config"]),
            model_path=args["model_path"], metrics_path=args["metrics_path"], run_info_path=args["run_info_path"],
            log=log,
        )
    except TrainingInterrupted as stop:
        log(str(stop))
        return stop.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
