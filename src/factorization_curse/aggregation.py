"""Evaluation files to the long-form results table and the paper's table layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from .config import split_sweep_dataset

COLUMNS = ["task", "objective", "seed", "direction", "metric", "value"]  # the output contract
METRICS = ("exact_match", "token_accuracy")
DIRECTIONS = ("forward", "backward")


def long_table(evaluations: list[dict], extra: dict[str, Callable[[dict], object]] | None = None) -> pd.DataFrame:
    """One row per (task, objective, seed, direction, metric); ``value`` in percent. ``extra`` adds
    columns computed from each evaluation (e.g. a swept parameter)."""
    extra = extra or {}
    rows = []
    for ev in evaluations:
        for direction, values in ev["metrics"].items():
            for metric in METRICS:
                if metric in values:
                    row = [ev["task"], ev["objective"], ev["seed"], direction, metric, values[metric]]
                    rows.append(row + [column(ev) for column in extra.values()])
    return pd.DataFrame(rows, columns=COLUMNS + list(extra))


def read_evaluations(paths: list[str | Path]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def mean_std(values: pd.Series) -> str:
    if len(values) > 1:
        return f"{values.mean():.1f} ± {values.std(ddof=1):.1f}"
    return f"{values.mean():.1f}"


def paper_layout(table: pd.DataFrame, metric: str, objective_order: list[str]) -> pd.DataFrame:
    """Objectives as columns, directions as rows, mean ± std over seeds (as in the paper's Table 1)."""
    sub = table[table.metric == metric]
    cells = sub.groupby(["direction", "objective"])["value"].apply(mean_std).unstack("objective")
    columns = [o for o in objective_order if o in cells.columns] + [o for o in cells.columns if o not in objective_order]
    rows = [d for d in DIRECTIONS if d in cells.index] + [d for d in cells.index if d not in DIRECTIONS]
    return cells.reindex(index=rows, columns=columns)


def markdown_report(table: pd.DataFrame, task: str, objective_order: list[str]) -> str:
    seeds = sorted(table.seed.unique())
    parts = [f"# {task}: accuracy (%) of greedy answers on held-out questions", ""]
    parts.append(f"Seeds: {', '.join(map(str, seeds))} ({'mean ± std' if len(seeds) > 1 else 'one seed'}).")
    for metric, title in (("exact_match", "Exact match"), ("token_accuracy", "Per-token accuracy of the answers")):
        layout = paper_layout(table, metric, objective_order)
        if layout.empty:
            continue
        parts += ["", f"## {title}", "", _markdown(layout)]
    return "\n".join(parts) + "\n"


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join([frame.index.name or ""] + [str(c) for c in frame.columns]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = ["| " + " | ".join([str(i)] + ["" if pd.isna(v) else str(v) for v in row]) + " |" for i, row in zip(frame.index, frame.values)]
    return "\n".join([header, rule, *body])


def aggregate_results(eval_paths: list[str | Path], csv_path: str | Path, markdown_path: str | Path, objective_order: list[str]) -> pd.DataFrame:
    table = long_table(read_evaluations(eval_paths))
    task = ", ".join(sorted(table.task.unique()))
    csv_path, markdown_path = Path(csv_path), Path(markdown_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    markdown_path.write_text(markdown_report(table, task, objective_order))
    return table


def aggregate_sweep(eval_paths: list[str | Path], sweep: dict, csv_path: str | Path) -> pd.DataFrame:
    """The long table of a sweep, with the swept parameter's value (from the dataset name) as a column."""
    values = {str(v): v for v in sweep["values"]}
    table = long_table(read_evaluations(eval_paths),
                       extra={sweep["parameter"]: lambda ev: values[split_sweep_dataset(ev["dataset"])[1]]})
    Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    return table
