"""The registry's drawing functions: ``draw_<...>(figure, inputs, pdf_path)`` for each entry of
:data:`.figures.FIGURES`, reading what it needs from :class:`FigureInputs` and handing it to a
plotting function of :mod:`.plotting`. :func:`draw` picks the one of a figure instance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import plotting
from .comparisons import entry_tables, entry_task, table_task
from .figures import FIGURES
from .paper import load_reference, paper_cells
from .tables import INTERVAL_COLUMNS, read_curves


@dataclass(frozen=True)
class FigureInputs:
    """A figure rule's input files by kind (keys of :data:`.figures.INPUTS`) and, for ``curves``,
    the runs (task, objective, seed) whose metrics.jsonl they are, in the same order."""

    files: dict[str, list[str]]
    runs: list[dict] = field(default_factory=list)

    def intervals(self) -> dict[str, pd.DataFrame]:
        """Intervals tables (mean and 95% interval per cell) by task."""
        return {table_task(p): pd.read_csv(p) for p in self.files["intervals"]}

    def task_intervals(self, task: str) -> pd.DataFrame:
        return self.intervals()[task]

    def chance(self) -> dict[str, float | None]:
        """Chance level of exact match by dataset (None where a task has none)."""
        return {Path(d).name: json.loads((Path(d) / "info.json").read_text()).get("chance_exact_match")
                for d in self.files["data"]}

    def reference(self) -> dict:
        return load_reference(self.files["reference"][0])

    def curves(self) -> pd.DataFrame:
        return read_curves(self.files["curves"], self.runs)

    def entity_pca(self) -> pd.DataFrame:
        return pd.read_csv(self.files["entity_pca"][0])

    def sweep_table(self) -> pd.DataFrame:
        return pd.read_csv(self.files["sweep_table"][0])


def draw(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    """Draw one figure instance (:func:`.figures.figure_specs`) with its registry entry's function."""
    globals()[FIGURES[figure["kind"]].draw](figure, inputs, pdf_path)


def draw_forward_backward(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    task = figure["task"]
    table = inputs.task_intervals(task)
    variants = [c for c in table.columns if c not in INTERVAL_COLUMNS]  # what tells a task's datasets apart
    plotting.plot_forward_backward(table, pdf_path, figure["objectives"], title=f"{task}: test questions answered exactly",
                                   chance=inputs.chance().get(task), variant_columns=variants)


def draw_sweep(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    parameter = figure["parameter"]
    plotting.plot_sweep(inputs.sweep_table(), pdf_path, parameter, figure["objectives"],
                        title=f"{figure['task']}: accuracy against {parameter.replace('_', ' ')}")


def draw_overview(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    """One panel per results entry of the paper (WikiReversal: one per split variant)."""
    reference = inputs.reference()
    tables = entry_tables(reference, inputs.intervals())
    chance, order = inputs.chance(), figure["task_objectives"]
    plotting.plot_overview(tables, pdf_path, {n: order.get(entry_task(reference, n), []) for n in tables},
                           {n: chance.get(entry_task(reference, n)) for n in tables}, paper_cells(reference))


def draw_stargraph(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    task = figure["task"]
    cells = paper_cells(inputs.reference())
    paper = cells[(cells.results == task) & (cells.metric == "exact_match") & (cells.direction == "forward")]
    plotting.plot_stargraph(inputs.task_intervals(task), pdf_path, figure["objectives"], chance=inputs.chance().get(task),
                            paper=dict(zip(paper.objective, paper.paper)))


def draw_learning_curves(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    plotting.plot_learning_curves(inputs.curves(), pdf_path, figure["objectives"])


def draw_entity_pca(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    objective = figure["objective"]
    plotting.plot_entity_pca(inputs.entity_pca(), pdf_path, objective, title=f"{objective}: {figure['task']} entities")


def draw_delayed_generalisation(figure: dict, inputs: FigureInputs, pdf_path: str | Path) -> None:
    plotting.plot_delayed_generalisation(inputs.curves(), pdf_path, figure["tasks"], figure["objectives"])
