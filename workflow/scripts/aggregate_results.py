"""Collect one task's evaluations into the long table and the paper-layout table."""
from factorization_curse.aggregation import aggregate_results
from factorization_curse.data import load_info
from factorization_curse.logs import log_to

log = log_to(snakemake.log[0])
table = aggregate_results(snakemake.input.evaluations, snakemake.output.table, snakemake.output.markdown,
                          snakemake.params.objective_order, load_info(snakemake.input.data))
log(f"{len(table)} rows -> {snakemake.output.table}")
