"""Train one (dataset, objective, seed) model (rule train_model), or every seed of a (dataset,
objective) as one pack (rule train_pack). A job that asks for several GPUs trains one model with
one process per GPU (DistributedDataParallel under torchrun)."""
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from factorization_curse.config import run_cadence, run_settings
from factorization_curse.launch import run_with_torchrun
from factorization_curse.runtime import log_to
from factorization_curse.objectives import Objective
from factorization_curse.training import RunFiles, TrainConfig, TrainingInterrupted, train_models

log = log_to(snakemake.log[0])  # (Snakemake starts a retried job's log afresh; "resumed from" says where)
log(f"{time.strftime('%Y-%m-%d %H:%M:%S')} training job started (SLURM job {os.environ.get('SLURM_JOB_ID', 'none')})")
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.settings
cadence = run_cadence(run_settings(snakemake.config, snakemake.wildcards.dataset, snakemake.wildcards.objective))
objective = Objective.from_config(snakemake.wildcards.objective, settings["objective"])
packed = snakemake.rule == "train_pack"
seeds = list(snakemake.params.seeds) if packed else [snakemake.params.seed]
outputs = {name: list(snakemake.output[name]) if packed else [snakemake.output[name]]
           for name in ("model", "metrics", "run_info")}
train_configs = [TrainConfig(**settings["training"], **cadence, seed=seed) for seed in seeds]
gpus = int(snakemake.resources.get("gpu", 0) or 0)
processes = min(gpus, torch.cuda.device_count())
if processes > 1 and not packed:
    log(f"{gpus} GPUs asked for, {torch.cuda.device_count()} visible: {processes} training processes (torchrun)")
    model_path = Path(snakemake.output.model)
    sys.exit(run_with_torchrun(processes, {
        "data_dir": snakemake.input.data, "objective_id": objective.id, "objective": settings["objective"],
        "model_config": dict(settings["model"]), "train_config": asdict(train_configs[0]),
        "model_path": str(model_path), "metrics_path": snakemake.output.metrics,
        "run_info_path": snakemake.output.run_info, "log_path": snakemake.log[0],
        "threads": max(1, snakemake.threads // gpus),
    }, model_path.with_name("torchrun_arguments.json")))
if processes > 1:
    log(f"{gpus} GPUs asked for: a pack trains in one process, on one GPU (set pack_seeds: false to train each "
        "seed on several)")
try:
    train_models(
        data_dir=snakemake.input.data,
        objective=objective,
        model_config=dict(settings["model"]),
        train_configs=train_configs,
        files=[RunFiles(*paths) for paths in zip(outputs["model"], outputs["metrics"], outputs["run_info"])],
        log=log,
    )
except TrainingInterrupted as stop:  # SIGTERM/SIGUSR1: state saved, a rerun continues
    log(str(stop))
    sys.exit(stop.exit_code)
