"""The model-size sweep's table and figure from its runs (rule aggregate_model_size_sweep)."""
from factorization_curse.analysis.model_size import write_model_size_tables
from factorization_curse.analysis.plotting import plot_model_size
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
table = write_model_size_tables(snakemake.input.questions, snakemake.input.run_info, snakemake.params.points,
                                snakemake.output.table, snakemake.output.markdown)
plot_model_size(table, snakemake.output.figure)
log(f"{len(table)} rows -> {snakemake.output.table}; figure -> {snakemake.output.figure}")
