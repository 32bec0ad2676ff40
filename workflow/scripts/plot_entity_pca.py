"""Paper Figures 4b/4c: entity representations on their first two principal components."""
import pandas as pd

from factorization_curse.runtime import log_to
from factorization_curse.analysis.plotting import plot_entity_pca

log = log_to(snakemake.log[0])
objective = snakemake.wildcards.objective
plot_entity_pca(pd.read_csv(snakemake.input.table), snakemake.output.figure, objective,
                title=f"{objective}: {snakemake.params.task} entities")
log(f"wrote {snakemake.output.figure}")
