"""Paper Figure 5a: star-graph accuracy per objective with the chance level and the paper's numbers."""
from pathlib import Path
import pandas as pd

from factorization_curse.analysis.tables import read_dataset_infos
from factorization_curse.runtime import log_to
from factorization_curse.analysis.paper import load_reference, paper_cells
from factorization_curse.analysis.plotting import plot_stargraph

log = log_to(snakemake.log[0])
cells = paper_cells(load_reference(snakemake.input.reference))
paper = cells[(cells.results == "stargraph") & (cells.metric == "exact_match") & (cells.direction == "forward")]
plot_stargraph(pd.read_csv(snakemake.input.table), snakemake.output.figure, snakemake.params.objective_order,
               chance=read_dataset_infos([snakemake.input.data])[Path(snakemake.input.data).name].get("chance_exact_match"),
               paper=dict(zip(paper.objective, paper.paper)))
log(f"wrote {snakemake.output.figure}")
