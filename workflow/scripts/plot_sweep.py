"""Accuracy against the swept task parameter, one line per objective."""
import pandas as pd

from factorization_curse.runtime import log_to
from factorization_curse.analysis.plotting import plot_sweep

log = log_to(snakemake.log[0])
sweep = snakemake.params.sweep
plot_sweep(pd.read_csv(snakemake.input.table), snakemake.output.figure, sweep["parameter"], sweep["objectives"],
           title=f"{sweep['task']}: accuracy against {sweep['parameter'].replace('_', ' ')}")
log(f"wrote {snakemake.output.figure}")
