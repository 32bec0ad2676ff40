"""The paper's Table 4 (✓ / ~ / ✗) computed from the measured exact match, beside the paper's symbols."""
from pathlib import Path

from factorization_curse.data import load_info
from factorization_curse.logs import log_to
from factorization_curse.paper import load_reference
from factorization_curse.report import write_table4

log = log_to(snakemake.log[0])
chance = {Path(d).name: load_info(d).get("chance_exact_match") for d in snakemake.input.data}
thresholds = snakemake.params.thresholds
write_table4(load_reference(snakemake.input.reference), snakemake.input.tables, chance, thresholds["success"],
             thresholds["failure"], snakemake.output.markdown, snakemake.output.latex, snakemake.params.preset,
             snakemake.params.seeds)
log(f"wrote {snakemake.output.markdown} and {snakemake.output.latex}")
