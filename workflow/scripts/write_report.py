"""results/<preset>/report.md: every measured number beside the paper's, with verdicts, runs and figures."""
from pathlib import Path

from factorization_curse.analysis.comparisons import table_task
from factorization_curse.analysis.paper import load_reference
from factorization_curse.analysis.report import ReportInputs, write_report
from factorization_curse.analysis.tables import read_dataset_infos
from factorization_curse.runtime import log_to

log = log_to(snakemake.log[0])
folder = Path(snakemake.output.report).parent
inputs = ReportInputs(
    reference=load_reference(snakemake.input.reference),
    preset=snakemake.params.preset,
    seeds=snakemake.params.seeds,
    task_objectives=snakemake.params.task_objectives,
    intervals={table_task(p): p for p in snakemake.input.intervals},
    data_info=read_dataset_infos(snakemake.input.data),
    runs=snakemake.params.runs,
    settings=snakemake.params.settings,
    figures=[{**f, "path": str(Path(p).relative_to(folder))} for f, p in zip(snakemake.params.figures, snakemake.input.figures)],
    paper_tables=[str(Path(p).relative_to(folder)) for p in snakemake.input.paper_tables],
    implemented_tasks=snakemake.params.implemented_tasks,
    defined_objectives=snakemake.params.defined_objectives,
    comparisons=snakemake.input.comparisons,
    beyond=[{"name": b["name"], "markdown": b["markdown"],
             "figures": [str(Path(f).relative_to(folder)) for f in b["figures"]]} for b in snakemake.params.beyond],
)
text = write_report(snakemake.output.report, inputs, comparison_path=snakemake.output.comparison)
log(f"{len(text.splitlines())} lines -> {snakemake.output.report}")
