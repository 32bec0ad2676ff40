"""Collect a sweep's evaluations into one long table with the swept parameter as a column."""
from factorization_curse.analysis.tables import aggregate_sweep, read_dataset_infos
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
table = aggregate_sweep(snakemake.input.evaluations, snakemake.params.sweep["parameter"],
                        read_dataset_infos(snakemake.input.data), snakemake.output.table)
log(f"{len(table)} rows -> {snakemake.output.table}")
