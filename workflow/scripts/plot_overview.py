"""Forward vs backward exact match for every task and objective, with the paper's numbers: one
panel per results entry of the paper (WikiReversal: one per split variant)."""
from pathlib import Path

import pandas as pd

from factorization_curse.analysis.tables import read_dataset_infos
from factorization_curse.runtime import log_to
from factorization_curse.analysis.paper import load_reference, paper_cells
from factorization_curse.analysis.plotting import plot_overview
from factorization_curse.analysis.report import entry_tables, entry_task

log = log_to(snakemake.log[0])
reference = load_reference(snakemake.input.reference)
tables = entry_tables(reference, {Path(p).stem: pd.read_csv(p) for p in snakemake.input.tables})
chance = {name: info.get("chance_exact_match") for name, info in read_dataset_infos(snakemake.input.data).items()}
order = snakemake.params.objective_order
plot_overview(tables, snakemake.output.figure, {n: order.get(entry_task(reference, n), []) for n in tables},
              {n: chance.get(entry_task(reference, n)) for n in tables}, paper_cells(reference))
log(f"wrote {snakemake.output.figure}")
