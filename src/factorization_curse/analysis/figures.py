"""Which of the paper's figures a configuration draws, under which file names, with which caption.

One place for the figures' names and one-sentence captions: the workflow computes its targets
from :func:`figure_specs`, the figure rules hand the caption to Snakemake's report, and the
reproduction report lists the same figures with the same captions. The settings are
``config["report"]["figures"]``; a figure is drawn only for the tasks and objectives that run.
"""

from __future__ import annotations

# file names under results/<preset>/figures/ (entity_pca: one per panel of the paper's Figure 4)
FILES = {
    "overview": "overview.pdf",
    "learning_curves": "figure4a_learning_curves.pdf",
    "entity_pca": "figure4{panel}_entity_pca_{objective}.pdf",
    "stargraph": "figure5a_stargraph.pdf",
    "delayed_generalisation": "figure7_delayed_generalisation.pdf",
}
STARGRAPH_TASK = "stargraph"
# the representation drawn in Figures 4b/4c, in words (also the caption's)
ENTITY_REPRESENTATION = (
    "each entity's point is the mean, over its tokens, of the last layer's hidden state right after the model has "
    "read that token of its training statement left to right (the state from which it predicts the next token)"
)


class FigureSettingsError(ValueError):
    """``report.figures`` names a task or objective the config does not define."""


def _words(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_figure_settings(settings: dict, objectives: list[str], tasks: list[str]) -> None:
    """Raise :class:`FigureSettingsError` where ``settings`` (``config["report"]["figures"]``) names an
    objective the config does not define or a task not registered. Figure 7's ``tasks`` may name
    tasks not implemented yet (WikiReversal): they are drawn once they run."""
    def check(ids, known, kind, where):
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise FigureSettingsError(f"report.figures.{where}: unknown {kind}(s) {unknown}; known: {', '.join(known)}")

    curves = settings.get("learning_curves") or {}
    pca = settings.get("entity_pca") or {}
    delayed = settings.get("delayed_generalisation") or {}
    check([curves["task"]] if curves else [], tasks, "task", "learning_curves.task")
    check(curves.get("objectives", []), objectives, "objective", "learning_curves.objectives")
    check([pca["task"]] if pca else [], tasks, "task", "entity_pca.task")
    check(list((pca.get("panels") or {}).values()), objectives, "objective", "entity_pca.panels")
    check(delayed.get("objectives", []), objectives, "objective", "delayed_generalisation.objectives")


def figure_specs(settings: dict, task_objectives: dict[str, list[str]], seeds: list[int]) -> list[dict]:
    """The figures to draw: dicts with ``id`` (the paper's figure, or ``overview``), ``kind`` (a
    key of :data:`FILES`), ``file``, ``caption`` and what the figure draws (``task``/``tasks``,
    ``objective``/``objectives``, ``seed``); ``observe`` names numbers the report reads off it.

    ``task_objectives``: the tasks that run and their objectives (in the config's order)."""
    specs = []
    if task_objectives:
        specs.append({
            "id": "overview", "kind": "overview", "file": FILES["overview"], "tasks": list(task_objectives),
            "caption": "Exact match (%) of greedy answers to test forward (solid bars) and backward (hatched bars) "
                       "questions for every task and objective, with the paper's numbers as black ticks and the star "
                       "graph's chance level as a dashed line.",
        })
    curves = settings.get("learning_curves") or {}
    task = curves.get("task")
    objectives = [o for o in curves.get("objectives", []) if o in task_objectives.get(task, [])]
    if objectives:
        specs.append({
            "id": "figure4a", "kind": "learning_curves", "file": FILES["learning_curves"], "task": task,
            "objectives": objectives, "observe": "dominance", "leader": objectives[-1], "others": objectives[:-1],
            "caption": f"Validation exact match (%) over training steps on the {task} task for {_words(objectives)}, "
                       "forward and backward questions (mean over seeds; shaded: range over seeds when several).",
        })
    pca = settings.get("entity_pca") or {}
    task = pca.get("task")
    for panel, objective in (pca.get("panels") or {}).items():
        if objective in task_objectives.get(task, []):
            specs.append({
                "id": f"figure4{panel}", "kind": "entity_pca", "task": task, "objective": objective, "panel": panel,
                "seed": seeds[0], "file": FILES["entity_pca"].format(panel=panel, objective=objective),
                "caption": f"First two principal components of the entity representations of {objective} on the {task} "
                           f"task (seed {seeds[0]}): {ENTITY_REPRESENTATION}; filled markers are entities of facts whose "
                           "questions were trained, open markers entities of held-out facts, the shape is the entity's "
                           "place in its statement.",
            })
    if STARGRAPH_TASK in task_objectives:
        specs.append({
            "id": "figure5a", "kind": "stargraph", "file": FILES["stargraph"], "task": STARGRAPH_TASK,
            "objectives": task_objectives[STARGRAPH_TASK],
            "caption": "Star-graph exact match (%) of the whole path per objective, with the chance level of a random "
                       "first step as a dashed line and the paper's numbers as black ticks.",
        })
    delayed = settings.get("delayed_generalisation") or {}
    tasks = [t for t in delayed.get("tasks", []) if t in task_objectives]
    objectives = [o for o in delayed.get("objectives", []) if any(o in task_objectives[t] for t in tasks)]
    if tasks and objectives:
        specs.append({
            "id": "figure7", "kind": "delayed_generalisation", "file": FILES["delayed_generalisation"],
            "tasks": tasks, "objectives": objectives, "observe": "delay",
            "caption": f"Validation forward (solid) and backward (dashed) exact match (%) over training steps for "
                       f"{_words(objectives)} on {_words(tasks)}: backward retrieval generalises later than forward.",
        })
    return specs
