"""Evaluation files to the long-form results table and the paper's table layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from .config import split_sweep_dataset

COLUMNS = ["task", "objective", "seed", "direction", "metric", "value"]  # the output contract
# metric ids of the table and their headings in the Markdown report; tasks with per-position
# metrics add ``position_<k>`` (accuracy at the k-th answer token, counted from 1)
METRICS = {
    "exact_match": "Exact match",
    "token_accuracy": "Per-token accuracy of the answers",
    "incorrect_inference": "Incorrect inference (answers that are the other side's entity)",
}
DIRECTIONS = ("forward", "backward")


def metric_values(values: dict) -> dict[str, float]:
    """One direction's entry of eval.json as {metric id: percent}."""
    out = {m: values[m] for m in METRICS if m in values}
    for k, accuracy in enumerate(values.get("position_accuracy", []), start=1):
        out[f"position_{k}"] = accuracy
    return out


def long_table(evaluations: list[dict], extra: dict[str, Callable[[dict], object]] | None = None) -> pd.DataFrame:
    """One row per (task, objective, seed, direction, metric); ``value`` in percent. ``extra`` adds
    columns computed from each evaluation (e.g. a swept parameter)."""
    extra = extra or {}
    rows = []
    for ev in evaluations:
        for direction, values in ev["metrics"].items():
            for metric, value in metric_values(values).items():
                row = [ev["task"], ev["objective"], ev["seed"], direction, metric, value]
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


def position_layout(table: pd.DataFrame, objective_order: list[str]) -> pd.DataFrame:
    """Accuracy at each answer position: rows (direction, position), objectives as columns."""
    sub = table[table.metric.str.startswith("position_")].copy()
    sub["position"] = sub.metric.str.removeprefix("position_").astype(int)
    cells = sub.groupby(["direction", "position", "objective"])["value"].apply(mean_std).unstack("objective")
    columns = [o for o in objective_order if o in cells.columns]
    cells = cells.reindex(columns=columns)
    cells.index = [f"{d} {p}" for d, p in cells.index]
    cells.index.name = "direction, position"
    return cells


def markdown_report(table: pd.DataFrame, task: str, objective_order: list[str], chance: float | None = None) -> str:
    seeds = sorted(table.seed.unique())
    parts = [f"# {task}: accuracy (%) of greedy answers on held-out questions", ""]
    parts.append(f"Seeds: {', '.join(map(str, seeds))} ({'mean ± std' if len(seeds) > 1 else 'one seed'}).")
    if chance is not None:
        parts.append(f"Chance level of exact match (a random first step, then the right path): {chance:.1f}%.")
    for metric, title in METRICS.items():
        layout = paper_layout(table, metric, objective_order)
        if layout.empty:
            continue
        parts += ["", f"## {title}", "", _markdown(layout)]
    positions = position_layout(table, objective_order)
    if not positions.empty:
        parts += ["", "## Accuracy at each answer position (token 1 = the first generated)", "", _markdown(positions)]
    return "\n".join(parts) + "\n"


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join([frame.index.name or ""] + [str(c) for c in frame.columns]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = ["| " + " | ".join([str(i)] + ["" if pd.isna(v) else str(v) for v in row]) + " |" for i, row in zip(frame.index, frame.values)]
    return "\n".join([header, rule, *body])


def aggregate_results(eval_paths: list[str | Path], csv_path: str | Path, markdown_path: str | Path,
                      objective_order: list[str], data_info: dict | None = None) -> pd.DataFrame:
    """Write the long table (CSV) and its paper-layout twin (Markdown); ``data_info`` (the dataset's
    info.json) supplies the chance level where the task has one."""
    table = long_table(read_evaluations(eval_paths))
    task = ", ".join(sorted(table.task.unique()))
    csv_path, markdown_path = Path(csv_path), Path(markdown_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    chance = (data_info or {}).get("chance_exact_match")
    markdown_path.write_text(markdown_report(table, task, objective_order, chance))
    return table


def aggregate_sweep(eval_paths: list[str | Path], sweep: dict, csv_path: str | Path) -> pd.DataFrame:
    """The long table of a sweep, with the swept parameter's value (from the dataset name) as a column."""
    values = {str(v): v for v in sweep["values"]}
    table = long_table(read_evaluations(eval_paths),
                       extra={sweep["parameter"]: lambda ev: values[split_sweep_dataset(ev["dataset"])[1]]})
    Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    return table
