"""tables/comparisons.csv: each objective against the reference objective, and forward against backward, paired on the same questions."""
from factorization_curse.analysis.paired import write_comparisons
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
comparisons = write_comparisons(snakemake.input.questions, snakemake.output.table, snakemake.output.markdown,
                                snakemake.params.reference_objective)
log(f"{len(comparisons)} paired comparisons ({int(comparisons.differs.sum())} whose interval excludes 0) -> "
    f"{snakemake.output.table}")
