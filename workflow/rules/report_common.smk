# Helpers of report.smk: which of the paper's tables and figures to build, from config["report"] and
# the tasks that run (factorization_curse.analysis.figures.figure_specs), and the files of every run that the
# report reads. The paper's numbers are workflow/paper_reference.yaml, checked here before any job.
import os

from factorization_curse.analysis import figures as fc_figures
from factorization_curse.analysis import paper as fc_paper

PAPER_REFERENCE = os.path.join(workflow.basedir, "workflow", "paper_reference.yaml")
try:
    REFERENCE = fc_paper.load_reference(PAPER_REFERENCE)
    fc_figures.check_figure_settings(config["report"]["figures"], list(config["objectives"]), list(TASKS))
except (fc_paper.PaperReferenceError, fc_figures.FigureSettingsError) as error:
    raise WorkflowError(f"report settings: {error}")
TASK_OBJECTIVES = {task: task_objectives(task) for task in config["tasks"]}
FIGURES = fc_figures.figure_specs(config["report"]["figures"], TASK_OBJECTIVES, config["seeds"])


def figure_spec(figure_id):
    return next(f for f in FIGURES if f["id"] == figure_id)


def figure_path(spec):
    return f"{RESULTS}/figures/{spec['file']}"


def task_tables(tasks=None):
    return expand(f"{RESULTS}/tables/{{task}}.csv", task=tasks if tasks is not None else config["tasks"])


def task_data(tasks=None):
    return expand(f"{RESULTS}/data/{{task}}", task=tasks if tasks is not None else config["tasks"])


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
                             "train_benchmark": expand(rules.train_model.benchmark, **run)[0],
                             "eval_benchmark": expand(rules.evaluate_model.benchmark, **run)[0]})
    return runs


def curve_runs(spec):
    return runs_of(spec.get("tasks") or [spec["task"]], spec["objectives"])


def paper_table_ids():
    """The paper's tables with at least one of their results entries run."""
    return [t for t in REFERENCE["tables"] if any(task in config["tasks"] for task in fc_paper.table_tasks(REFERENCE, t))]


def get_report_output():
    """The report, the paper's tables and figures: what `all` builds besides the per-task outputs."""
    tables = expand(f"{RESULTS}/tables/paper/{{table}}.{{ext}}", table=paper_table_ids() + ["table4"], ext=["md", "tex"])
    return [f"{RESULTS}/report.md", *tables, *[figure_path(f) for f in FIGURES]]
