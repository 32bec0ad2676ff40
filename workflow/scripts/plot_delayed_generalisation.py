"""Paper Figure 7: forward and backward accuracy over training steps (delayed generalisation)."""
from factorization_curse.analysis.tables import read_curves
from factorization_curse.runtime import log_to
from factorization_curse.analysis.plotting import plot_delayed_generalisation

log = log_to(snakemake.log[0])
curves = read_curves(snakemake.input.metrics, snakemake.params.runs)
plot_delayed_generalisation(curves, snakemake.output.figure, snakemake.params.tasks, snakemake.params.objectives)
log(f"{len(curves)} points -> {snakemake.output.figure}")
