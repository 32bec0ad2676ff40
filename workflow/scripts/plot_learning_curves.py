"""Paper Figure 4a: validation accuracy over training steps, one line per objective."""
from factorization_curse.analysis.tables import read_curves
from factorization_curse.runtime import log_to
from factorization_curse.analysis.plotting import plot_learning_curves

log = log_to(snakemake.log[0])
curves = read_curves(snakemake.input.metrics, snakemake.params.runs)
plot_learning_curves(curves, snakemake.output.figure, snakemake.params.objectives)
log(f"{len(curves)} points -> {snakemake.output.figure}")
