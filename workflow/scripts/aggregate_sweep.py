"""Collect a sweep's evaluations into one long table with the swept parameter as a column."""
from factorization_curse.aggregation import aggregate_sweep
from factorization_curse.logs import log_to

log = log_to(snakemake.log[0])
table = aggregate_sweep(snakemake.input.evaluations, snakemake.params.sweep, snakemake.output.table)
log(f"{len(table)} rows -> {snakemake.output.table}")
