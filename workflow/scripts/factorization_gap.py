"""The factorization-gap table and figure from every scored run (rule factorization_gap_table)."""
from factorization_curse.analysis.factorization_gap import write_gap_tables
from factorization_curse.analysis.plotting import plot_factorization_gap
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
table = write_gap_tables(snakemake.input.orders, snakemake.output.table, snakemake.output.markdown,
                         snakemake.params.objective_order)
plot_factorization_gap(table, snakemake.output.figure, snakemake.params.objective_order)
log(f"{len(table)} rows -> {snakemake.output.table}; figure -> {snakemake.output.figure}")
