# Helpers of report.smk: which of the paper's tables and figures to build, from config["report"], the
# tasks that run and the sweeps (the figure registry, factorization_curse.analysis.figures), the files
# each figure reads, and the files of every run that the report reads. The paper's numbers are
# workflow/paper_reference.yaml, checked here before any job.
import os

from factorization_curse.analysis import figures as fc_figures
from factorization_curse.analysis import paper as fc_paper

PAPER_REFERENCE = os.path.join(workflow.basedir, "workflow", "paper_reference.yaml")
try:
    REFERENCE = fc_paper.load_reference(PAPER_REFERENCE)
    fc_figures.check_figure_settings(config["report"]["figures"], list(config["objectives"]), list(TASKS))
except (fc_paper.PaperReferenceError, fc_figures.FigureSettingsError) as error:
    raise WorkflowError(f"report settings: {error}")
if config["report"]["reference_objective"] not in config["objectives"]:
    raise WorkflowError(f"report.reference_objective: {config['report']['reference_objective']!r} is not an objective "
                        f"of config.yaml's `objectives` ({', '.join(config['objectives'])})")
TASK_OBJECTIVES = {task: task_objectives(task) for task in config["tasks"]}
# every figure this configuration draws (instances of the registry's entries)
FIGURE_SPECS = fc_figures.figure_specs(config["report"]["figures"], TASK_OBJECTIVES, config["seeds"],
                                       config.get("sweeps", {}))


def figure_path(spec):
    return f"{RESULTS}/figures/{spec['file']}"


def figure_targets(target):
    """The figures that `target` (all, sweeps) builds."""
    return [figure_path(f) for f in FIGURE_SPECS if f["target"] == target]


def report_figures():
    """The figures report.md lists."""
    return [f for f in FIGURE_SPECS if f["in_report"]]


def figure_instance(figure, wildcards):
    """The instance of registry entry `figure` whose file the job of rule plot_<figure.name> draws."""
    file = figure.file.format(**dict(wildcards.items()))
    for spec in FIGURE_SPECS:
        if spec["kind"] == figure.name and spec["file"] == file:
            return spec
    raise WorkflowError(f"figures/{file} is not a figure this configuration draws (config.yaml: tasks, sweeps, "
                        "report.figures)")


def figure_log(figure, folder, ext):
    """The log (or benchmark) file of a plot_<name> job: plot_<name>.<ext>, or plot_<name>/<job>.<ext>
    where the figure has one file per instance."""
    name = f"plot_{figure.name}/{figure.job}" if figure.job else f"plot_{figure.name}"
    return f"{RESULTS}/{folder}/{name}.{ext}"


# the files of each kind of figure input (fc_figures.INPUTS), for one figure instance
FIGURE_INPUTS = {
    "intervals": lambda spec: task_intervals(spec["tasks"]),
    "data": lambda spec: task_data(spec["tasks"]),
    "reference": lambda spec: [PAPER_REFERENCE],
    "curves": lambda spec: [r["metrics"] for r in curve_runs(spec)],
    "entity_pca": lambda spec: expand(rules.entity_representations.output.table, task=spec["task"],
                                      objective=spec["objective"], seed=spec["seed"]),
    "sweep_table": lambda spec: expand(rules.aggregate_sweep.output.table, sweep=spec["sweep"]),
}
if set(FIGURE_INPUTS) != set(fc_figures.INPUTS):
    raise WorkflowError(f"report_common.smk knows the figure inputs {sorted(FIGURE_INPUTS)}, the registry "
                        f"{sorted(fc_figures.INPUTS)}")


def figure_inputs(figure, wildcards):
    spec = figure_instance(figure, wildcards)
    return {kind: FIGURE_INPUTS[kind](spec) for kind in figure.inputs}


def figure_runs(figure, wildcards):
    """The runs (task, objective, seed) behind a figure's learning curves, in the order of its input."""
    return curve_runs(figure_instance(figure, wildcards)) if "curves" in figure.inputs else []


def task_tables(tasks=None):
    return expand(f"{RESULTS}/tables/{{task}}.csv", task=tasks if tasks is not None else config["tasks"])


def task_intervals(tasks=None):
    return expand(f"{RESULTS}/tables/{{task}}_intervals.csv", task=tasks if tasks is not None else config["tasks"])


def task_data(tasks=None):
    return expand(f"{RESULTS}/data/{{task}}", task=tasks if tasks is not None else config["tasks"])


def train_benchmark(run):
    """The benchmark file of the job that trained ``run``: its pack's when seeds train as packs (then
    the time is the whole pack's, shared by its seeds)."""
    if PACK_SEEDS and run["objective"] not in config.get("lora", {}):
        return expand(rules.train_pack.benchmark, dataset=run["dataset"], objective=run["objective"])[0]
    return expand(rules.train_model.benchmark, **run)[0]


def runs_of(tasks, objectives=None, variants=False):
    """(task, objective, seed) of every run of ``tasks`` (restricted to ``objectives``), as dicts
    with the paths of the run's files and benchmarks; with ``variants``, also the runs of the
    tasks' variants (config `variants`). ``dataset`` names the run's dataset."""
    runs = []
    for task in tasks:
        picked = [o for o in TASK_OBJECTIVES.get(task, []) if objectives is None or o in objectives]
        for dataset in task_datasets(task) if variants else [task]:
            for objective, seed in [(o, s) for o in picked for s in config["seeds"]]:
                run = dict(dataset=dataset, objective=objective, seed=seed)
                runs.append({"task": task, "dataset": dataset, "objective": objective, "seed": seed,
                             "run_info": expand(rules.train_model.output.run_info, **run)[0],
                             "metrics": expand(rules.train_model.output.metrics, **run)[0],
                             "train_benchmark": train_benchmark(run),
                             "eval_benchmark": expand(rules.evaluate_model.benchmark, **run)[0]})
    return runs


def curve_runs(spec):
    return runs_of(spec.get("tasks") or [spec["task"]], spec["objectives"])


def paper_table_ids():
    """The paper's tables with at least one of their results entries run."""
    return [t for t in REFERENCE["tables"] if any(task in config["tasks"] for task in fc_paper.table_tasks(REFERENCE, t))]


def get_report_output():
    """The report, the paper's tables and every figure of `all`: what `all` builds besides the
    per-task tables."""
    tables = expand(f"{RESULTS}/tables/paper/{{table}}.{{ext}}", table=paper_table_ids() + ["table4"], ext=["md", "tex"])
    return [f"{RESULTS}/report.md", *tables, *figure_targets("all")]
