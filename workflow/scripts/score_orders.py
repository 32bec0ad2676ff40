"""Score one trained model's test-fact statements under every order (rule score_orders)."""
import torch

from factorization_curse.factorization_gap import score_orders
from factorization_curse.objectives import Objective
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
w = snakemake.wildcards
score_orders(
    data_dir=snakemake.input.data,
    model_path=snakemake.input.model,
    objective=Objective.from_config(w.objective, snakemake.params.objective),
    run={"task": snakemake.params.task, "dataset": w.dataset, "objective": w.objective, "seed": int(w.seed)},
    output_path=snakemake.output.orders,
    random_orders=snakemake.params.random_orders,
    log=log,
)
