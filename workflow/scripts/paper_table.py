"""One of the paper's tables in its layout, measured beside the paper's numbers (Markdown, LaTeX)."""
from factorization_curse.runtime import log_to
from factorization_curse.analysis.paper import load_reference
from factorization_curse.analysis.paper_tables import write_paper_table

log = log_to(snakemake.log[0])
write_paper_table(load_reference(snakemake.input.reference), snakemake.wildcards.table, snakemake.input.intervals,
                  snakemake.output.markdown, snakemake.output.latex, snakemake.params.preset, snakemake.params.seeds)
log(f"wrote {snakemake.output.markdown} and {snakemake.output.latex}")
