"""Tasks by name. Each task module declares itself as ``TASK`` (a :class:`base.Task`: its config
class, generator and how its results are reported); this registry lists the modules, in the order
tables and figures show them. Adding a task: one module with ``TASK``, one line here, its settings
in config.yaml (and its schema). Datasets are written and read by :mod:`factorization_curse.data`.
"""

from __future__ import annotations

from . import bios, corpus, relationship, retrieval, stargraph, wikireversal
from .base import Task

TASKS: dict[str, Task] = {
    "retrieval": retrieval.TASK,
    "relationship": relationship.TASK,
    "bios": bios.TASK,
    "stargraph": stargraph.TASK,
    "wikireversal": wikireversal.TASK,
    "corpus": corpus.TASK,  # a user's own text and questions (not in the default `tasks`)
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name]
