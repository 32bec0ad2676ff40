"""First two principal components of a trained model's entity representations (Figures 4b, 4c)."""
import torch

from factorization_curse.runtime import log_to
from factorization_curse.objectives import Objective
from factorization_curse.representations import entity_pca

log = log_to(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
objective = Objective.from_config(snakemake.wildcards.objective, snakemake.params.objective)
table = entity_pca(snakemake.input.data, snakemake.input.model, objective.spec.decoding, snakemake.output.table)
log(f"{len(table)} entities; explained variance PC1 {table.pc1_variance.iloc[0]:.3f}, "
    f"PC2 {table.pc2_variance.iloc[0]:.3f} -> {snakemake.output.table}")
