"""The paper's Table 4 (✓ / ~ / ✗) computed from the measured exact match, beside the paper's symbols."""

from factorization_curse.analysis.tables import read_dataset_infos
from factorization_curse.runtime import log_to
from factorization_curse.analysis.paper import load_reference
from factorization_curse.analysis.table4 import write_table4

log = log_to(snakemake.log[0])
chance = {name: info.get("chance_exact_match") for name, info in read_dataset_infos(snakemake.input.data).items()}
thresholds = snakemake.params.thresholds
write_table4(load_reference(snakemake.input.reference), snakemake.input.intervals, chance, thresholds["success"],
             thresholds["failure"], snakemake.output.markdown, snakemake.output.latex, snakemake.params.preset,
             snakemake.params.seeds, snakemake.params.max_width)
log(f"wrote {snakemake.output.markdown} and {snakemake.output.latex}")
