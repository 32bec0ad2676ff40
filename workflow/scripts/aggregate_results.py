"""Collect one task's per-question results into the long table, its intervals and the paper-layout table."""
from pathlib import Path

from factorization_curse.analysis.tables import aggregate_results, read_dataset_infos
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
# the task's own dataset first, then its variants (config.yaml `variants`)
info = read_dataset_infos(snakemake.input.data)
table = aggregate_results(snakemake.input.questions, snakemake.output.table, snakemake.output.markdown,
                          snakemake.params.objective_order, info[Path(snakemake.input.data[0]).name], info,
                          intervals_path=snakemake.output.intervals)
log(f"{len(table)} rows -> {snakemake.output.table}; intervals -> {snakemake.output.intervals}")
