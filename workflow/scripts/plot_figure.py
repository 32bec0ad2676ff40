"""Forward vs backward accuracy per objective for one task (with its chance level, if it has one;
one pair of panels per variant where the task's table has variants)."""
from pathlib import Path

import pandas as pd

from factorization_curse.analysis.plotting import plot_forward_backward
from factorization_curse.analysis.tables import read_dataset_infos, variant_columns
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
table = pd.read_csv(snakemake.input.table)
plot_forward_backward(table, snakemake.output.figure, snakemake.params.objective_order,
                      title=f"{snakemake.wildcards.task}: test questions answered exactly",
                      chance=read_dataset_infos([snakemake.input.data])[Path(snakemake.input.data).name].get("chance_exact_match"),
                      variant_columns=variant_columns(table))
log(f"wrote {snakemake.output.figure}")
