"""Train one (dataset, objective, seed) model (rule train_model)."""
import sys

import torch

from factorization_curse.logs import log_to
from factorization_curse.objectives import Objective
from factorization_curse.training import TrainConfig, TrainingInterrupted, train_model

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.settings
try:
    train_model(
        data_dir=snakemake.input.data,
        objective=Objective.from_config(snakemake.wildcards.objective, settings["objective"]),
        model_config=dict(settings["model"]),
        train_config=TrainConfig(**settings["training"], seed=snakemake.params.seed),
        model_path=snakemake.output.model,
        metrics_path=snakemake.output.metrics,
        run_info_path=snakemake.output.run_info,
        log=log,
    )
except TrainingInterrupted as stop:  # SIGTERM/SIGUSR1: state saved, a rerun continues
    log(str(stop))
    sys.exit(stop.exit_code)
