"""The figure registry: every figure the pipeline draws, its file, caption, inputs and drawing function.

One entry of :data:`FIGURES` per kind of figure; the workflow generates one rule ``plot_<name>``
per entry (its file under ``results/<preset>/figures/``, logs and benchmarks under
``plot_<name>``, inputs from :data:`INPUTS`) and takes every figure target from
:func:`figure_specs`; Snakemake's report and the reproduction report show the same captions. An
entry's ``instances`` say which figures of that kind a configuration draws (only for the tasks
and objectives that run), from its settings ``config["report"]["figures"][<name>]``, if it has any.

Adding a figure: an entry here and its drawing function in :mod:`.draw` (and its settings in
config.yaml and its schema, if it has any).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# what a figure can read; the workflow (report_common.smk) knows the files of each
INPUTS = {
    "intervals": "the intervals tables of its tasks (tables/<task>_intervals.csv: mean and 95% interval per cell)",
    "data": "the datasets of its tasks (their info.json: chance levels)",
    "reference": "the paper's numbers (workflow/paper_reference.yaml)",
    "curves": "metrics.jsonl of the runs of its tasks (own datasets) and objectives",
    "entity_pca": "the entity-representation table of its task, objective and seed",
    "sweep_table": "the long table of its sweep (tables/sweeps/<sweep>.csv)",
}
STARGRAPH_TASK = "stargraph"
# the representation drawn in Figures 4b/4c, in words (also the caption's)
ENTITY_REPRESENTATION = (
    "each entity's point is the mean, over its tokens, of the last layer's hidden state right after the model has "
    "read that token of its training statement left to right (the state from which it predicts the next token)"
)


@dataclass(frozen=True)
class Plan:
    """What decides the figures: the tasks that run with their objectives (config order), the
    seeds, the sweeps (``config["sweeps"]``)."""

    task_objectives: dict[str, list[str]]
    seeds: list[int]
    sweeps: dict[str, dict]


@dataclass(frozen=True)
class Figure:
    name: str  # rule plot_<name>; settings config["report"]["figures"][<name>]
    file: str  # under figures/, formatted with an instance's fields
    instances: Callable[[dict, Plan], list[dict]]  # (its settings, plan) -> the figures drawn: id, caption, fields
    inputs: tuple[str, ...]  # keys of INPUTS
    draw: str  # its function in analysis.draw: (instance, FigureInputs, pdf path)
    job: str | None = None  # log and benchmark name under plot_<name>/, formatted like file; None: plot_<name>
    checks: tuple[tuple[str, str], ...] = ()  # (setting, "task" | "objective"): names the config must define
    category: str = "Figures"  # Snakemake report
    subcategory: str | None = "Paper figures"
    target: str = "all"  # the target that builds it: all or sweeps
    in_report: bool = True  # listed in report.md


class FigureSettingsError(ValueError):
    """``report.figures`` names a task or objective the config does not define."""


def _words(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def per_task(settings: dict, plan: Plan) -> list[dict]:
    return [{"id": task, "task": task, "tasks": [task], "objectives": objectives,
             "caption": f"Exact-match accuracy of greedy answers to test forward and backward questions of task ``{task}``, "
                        "one bar per training objective (mean over seeds and questions, with its 95% interval over facts and "
                        "seeds); the dashed line, where "
                        "drawn, is the task's chance level (star graph: a random first step); a task whose table holds "
                        "variants (WikiReversal: same or different split seeds) has one row of panels per variant."}
            for task, objectives in plan.task_objectives.items()]


def per_sweep(settings: dict, plan: Plan) -> list[dict]:
    return [{"id": name, "sweep": name, "task": sweep["task"], "tasks": [sweep["task"]], "parameter": sweep["parameter"],
             "objectives": sweep["objectives"],
             "caption": f"Exact-match accuracy on test questions as one task parameter varies (sweep ``{name}``), one "
                        "line per objective."}
            for name, sweep in plan.sweeps.items()]


def overview(settings: dict, plan: Plan) -> list[dict]:
    if not plan.task_objectives:
        return []
    return [{"id": "overview", "tasks": list(plan.task_objectives), "task_objectives": dict(plan.task_objectives),
             "caption": "Exact match (%) of greedy answers to test forward (solid bars) and backward (hatched bars) "
                        "questions for every task and objective (mean over seeds and questions, with its 95% interval over facts and "
                        "seeds), with the paper's numbers as black ticks and the star graph's chance level as a dashed line."}]


def learning_curves(settings: dict, plan: Plan) -> list[dict]:
    task = settings.get("task")
    objectives = [o for o in settings.get("objectives", []) if o in plan.task_objectives.get(task, [])]
    if not objectives:
        return []
    return [{"id": "figure4a", "task": task, "tasks": [task], "objectives": objectives, "observe": "dominance",
             "leader": objectives[-1], "others": objectives[:-1],
             "caption": f"Validation exact match (%) over training steps on the {task} task for {_words(objectives)}, "
                        "forward and backward questions (mean over seeds; shaded: the 95% t interval of that mean when several)."}]


def entity_pca(settings: dict, plan: Plan) -> list[dict]:
    task, seed = settings.get("task"), plan.seeds[0]
    return [{"id": f"figure4{panel}", "task": task, "tasks": [task], "objective": objective, "panel": panel, "seed": seed,
             "caption": f"First two principal components of the entity representations of {objective} on the {task} "
                        f"task (seed {seed}): {ENTITY_REPRESENTATION}; filled markers are entities of facts whose "
                        "questions were trained, open markers entities of held-out facts, the shape is the entity's "
                        "place in its statement."}
            for panel, objective in (settings.get("panels") or {}).items() if objective in plan.task_objectives.get(task, [])]


def stargraph(settings: dict, plan: Plan) -> list[dict]:
    if STARGRAPH_TASK not in plan.task_objectives:
        return []
    return [{"id": "figure5a", "task": STARGRAPH_TASK, "tasks": [STARGRAPH_TASK],
             "objectives": plan.task_objectives[STARGRAPH_TASK],
             "caption": "Star-graph exact match (%) of the whole path per objective (mean over seeds and graphs, with its 95% "
                        "interval), with the chance level of a random first step as a dashed line and the paper's numbers "
                        "as black ticks."}]


def delayed_generalisation(settings: dict, plan: Plan) -> list[dict]:
    tasks = [t for t in settings.get("tasks", []) if t in plan.task_objectives]
    objectives = [o for o in settings.get("objectives", []) if any(o in plan.task_objectives[t] for t in tasks)]
    if not (tasks and objectives):
        return []
    return [{"id": "figure7", "tasks": tasks, "objectives": objectives, "observe": "delay",
             "caption": f"Validation forward (solid) and backward (dashed) exact match (%) over training steps for "
                        f"{_words(objectives)} on {_words(tasks)} (mean over seeds; shaded: the 95% t interval of that mean when several): "
                        "backward retrieval generalises later than forward."}]


FIGURES: dict[str, Figure] = {f.name: f for f in (
    # per task: forward vs backward accuracy per objective (rule plot_figure)
    Figure("figure", "{task}.pdf", per_task, ("intervals", "data"), "draw_forward_backward", job="{task}",
           subcategory=None, in_report=False),
    Figure("sweep", "{sweep}.pdf", per_sweep, ("sweep_table",), "draw_sweep", job="{sweep}", category="Sweeps",
           subcategory=None, target="sweeps", in_report=False),
    Figure("overview", "overview.pdf", overview, ("intervals", "data", "reference"), "draw_overview",
           subcategory="Overview"),
    Figure("learning_curves", "figure4a_learning_curves.pdf", learning_curves, ("curves",), "draw_learning_curves",
           checks=(("task", "task"), ("objectives", "objective"))),
    Figure("entity_pca", "figure4{panel}_entity_pca_{objective}.pdf", entity_pca, ("entity_pca",), "draw_entity_pca",
           job="figure4{panel}_{objective}", checks=(("task", "task"), ("panels", "objective"))),
    Figure("stargraph", "figure5a_stargraph.pdf", stargraph, ("intervals", "data", "reference"), "draw_stargraph"),
    # its tasks may name tasks not implemented yet: drawn once they run
    Figure("delayed_generalisation", "figure7_delayed_generalisation.pdf", delayed_generalisation, ("curves",),
           "draw_delayed_generalisation", checks=(("objectives", "objective"),)),
)}


def _names(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value.values()) if isinstance(value, dict) else list(value)


def check_figure_settings(settings: dict, objectives: list[str], tasks: list[str]) -> None:
    """Raise :class:`FigureSettingsError` where ``settings`` (``config["report"]["figures"]``) names a
    figure not in the registry, or a figure's setting names an objective the config does not
    define or a task not registered (the entry's ``checks``)."""
    unknown = [name for name in settings if name not in FIGURES]
    if unknown:
        raise FigureSettingsError(f"report.figures: unknown figure(s) {unknown}; known: {', '.join(FIGURES)}")
    known = {"task": tasks, "objective": objectives}
    for name, own in settings.items():
        for key, kind in FIGURES[name].checks:
            wrong = [i for i in _names((own or {}).get(key)) if i not in known[kind]]
            if wrong:
                raise FigureSettingsError(f"report.figures.{name}.{key}: unknown {kind}(s) {wrong}; "
                                          f"known: {', '.join(known[kind])}")


def figure_specs(settings: dict, task_objectives: dict[str, list[str]], seeds: list[int],
                 sweeps: dict[str, dict] | None = None) -> list[dict]:
    """Every figure a configuration draws, in registry order: dicts with ``id`` (the paper's
    figure, ``overview``, a task or a sweep), ``kind`` (its :data:`FIGURES` entry), ``file``,
    ``job``, ``caption``, ``target``, ``in_report`` and what it draws (``task``/``tasks``,
    ``objective``/``objectives``, ``seed`` ...); ``observe`` names numbers the report reads off it.

    ``settings``: ``config["report"]["figures"]``; ``task_objectives``: the tasks that run and their
    objectives (in the config's order); ``sweeps``: ``config["sweeps"]``."""
    plan = Plan(task_objectives, seeds, sweeps or {})
    specs = []
    for figure in FIGURES.values():
        for instance in figure.instances(settings.get(figure.name) or {}, plan):
            specs.append({**instance, "kind": figure.name, "file": figure.file.format(**instance),
                          "job": figure.job.format(**instance) if figure.job else None,
                          "target": figure.target, "in_report": figure.in_report})
    return specs
