"""Answer every test question greedily and score it once (rule evaluate_model)."""
import torch

from factorization_curse.evaluation import evaluate_model
from factorization_curse.runtime import log_to
from factorization_curse.objectives import Objective

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
w = snakemake.wildcards
evaluate_model(
    data_dir=snakemake.input.data,
    model_path=snakemake.input.model,
    objective=Objective.from_config(w.objective, snakemake.params.objective),
    run={"task": snakemake.params.task, "dataset": w.dataset, "objective": w.objective, "seed": int(w.seed)},
    evaluation_path=snakemake.output.evaluation,
    predictions_path=snakemake.output.predictions,
    questions_path=snakemake.output.questions,
    log=log,
)
