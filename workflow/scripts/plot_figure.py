"""Forward vs backward accuracy per objective for one task (with its chance level, if it has one;
one pair of panels per variant where the task's table has variants)."""
import pandas as pd

from factorization_curse.aggregation import variant_columns
from factorization_curse.data import load_info
from factorization_curse.logs import log_to
from factorization_curse.plotting import plot_forward_backward

log = log_to(snakemake.log[0])
table = pd.read_csv(snakemake.input.table)
plot_forward_backward(table, snakemake.output.figure, snakemake.params.objective_order,
                      title=f"{snakemake.wildcards.task}: test questions answered exactly",
                      chance=load_info(snakemake.input.data).get("chance_exact_match"),
                      variant_columns=variant_columns(table))
log(f"wrote {snakemake.output.figure}")
