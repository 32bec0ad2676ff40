"""Generate one task's dataset (rule make_dataset)."""
from factorization_curse.runtime import log_to
from factorization_curse.data import make_dataset

log = log_to(snakemake.log[0])
data = make_dataset(snakemake.params.task, snakemake.params.generator, snakemake.params.seed, snakemake.output.data)
log(f"{snakemake.params.task}: {len(data.train)} training and {len(data.test)} test examples -> {snakemake.output.data}")
