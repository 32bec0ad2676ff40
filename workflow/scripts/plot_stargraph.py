"""Paper Figure 5a: star-graph accuracy per objective with the chance level and the paper's numbers."""
import pandas as pd

from factorization_curse.data import load_info
from factorization_curse.logs import log_to
from factorization_curse.paper import load_reference, paper_cells
from factorization_curse.plotting import plot_stargraph

log = log_to(snakemake.log[0])
cells = paper_cells(load_reference(snakemake.input.reference))
paper = cells[(cells.results == "stargraph") & (cells.metric == "exact_match") & (cells.direction == "forward")]
plot_stargraph(pd.read_csv(snakemake.input.table), snakemake.output.figure, snakemake.params.objective_order,
               chance=load_info(snakemake.input.data).get("chance_exact_match"),
               paper=dict(zip(paper.objective, paper.paper)))
log(f"wrote {snakemake.output.figure}")
