"""Our numbers beside the paper's: measured cells, the join with the paper's cells, verdicts.

Everything here works on the long tables of :mod:`.tables` (one row per task, objective, seed,
direction, metric; values in percent) and on the paper's cells of :mod:`.paper`. A results entry
of the paper reads its task's table, restricted to the rows its ``where`` names
(:func:`entry_tables`: WikiReversal's table holds both split variants, Table 8 left and right).

- :func:`measured_cells`: mean, std and number of seeds per (metric, objective, direction).
- :func:`compare`: the paper's cells of one results entry joined with the measured ones, with a
  verdict per cell (:func:`verdict`). A cell without a measurement is "not run", never a number.
- :func:`comparison_strings`: a comparison as the report prints it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

NOT_RUN = "not run"
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NO_PAPER_NUMBER = "no paper number"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_RUN, NO_PAPER_NUMBER)
DIRECTION_ORDER = ("forward", "backward", "both")
DIRECTION_LABELS = {"forward": "forward", "backward": "backward", "both": "forward & backward"}
MEASURED_COLUMNS = ["metric", "objective", "direction", "mean", "std", "seeds"]
# how the comparison tables and the paper tables' block titles name a metric (lower case, short);
# the headings of the task tables and figures are the metric registry's labels (metrics.METRICS)
SHORT_LABELS = {"exact_match": "exact match", "token_accuracy": "per-token accuracy",
                "incorrect_inference": "incorrect inference"}


def short_label(metric: str) -> str:
    return SHORT_LABELS.get(metric, metric)


def order(values, preferred) -> list:
    """``values`` without repeats: those in ``preferred`` first, in its order, then the rest."""
    values = list(dict.fromkeys(values))
    return [v for v in preferred if v in values] + [v for v in values if v not in preferred]


def entry_tables(reference: dict, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Measured long tables by results entry of the paper. ``tables`` maps a task to its long table
    (``tables/<task>.csv``); an entry reads its task's table, restricted to the rows its ``where``
    names (``{column: value}``, e.g. ``split_seeds: different``). An entry without such rows is
    absent (not run). Tables of tasks that no entry reads keep their task's name."""
    out = {}
    for name, entry in reference["results"].items():
        table = tables.get(entry["task"])
        where = entry.get("where") or {}
        if table is None or any(column not in table.columns for column in where):
            continue
        keep = pd.Series(True, index=table.index)
        for column, value in where.items():
            keep &= table[column].astype(str) == str(value)
        if keep.any():
            out[name] = table[keep].reset_index(drop=True)
    read = {entry["task"] for entry in reference["results"].values()}
    out.update({task: table for task, table in tables.items() if task not in read})
    return out


def entry_task(reference: dict, name: str) -> str:
    """The task of a results entry (a table of a task no entry reads: its own name)."""
    return reference["results"].get(name, {}).get("task", name)


def measured_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Per (metric, objective, direction): mean over seeds, std (ddof 1; NaN for one seed), seeds.

    Adds direction ``both``: each seed's mean of its forward and backward value (where the seed has
    both), for the paper's numbers that cover a question pair (e.g. incorrect inference)."""
    if table is None or table.empty:
        return pd.DataFrame(columns=MEASURED_COLUMNS)
    per_seed = table[["metric", "objective", "seed", "direction", "value"]]
    pairs = per_seed[per_seed.direction.isin(["forward", "backward"])]
    wide = pairs.pivot_table(index=["metric", "objective", "seed"], columns="direction", values="value", aggfunc="mean")
    if {"forward", "backward"} <= set(wide.columns):
        both = wide[["forward", "backward"]].dropna().mean(axis=1).rename("value").reset_index()
        both["direction"] = "both"
        per_seed = pd.concat([per_seed, both[per_seed.columns]], ignore_index=True)
    grouped = per_seed.groupby(["metric", "objective", "direction"], sort=False)["value"]
    out = grouped.agg(mean="mean", std=lambda v: v.std(ddof=1) if len(v) > 1 else math.nan, seeds="count").reset_index()
    return out[MEASURED_COLUMNS]


def format_mean_std(mean: float, std: float = math.nan) -> str:
    """``80.0`` or ``80.0 ± 7.1``; a missing mean is "not run", never a number."""
    if mean is None or pd.isna(mean):
        return NOT_RUN
    return f"{mean:.1f}" if std is None or pd.isna(std) else f"{mean:.1f} ± {std:.1f}"


def format_paper(value: float) -> str:
    """The paper's number without trailing zeros (``100``, ``4.3``); "–" where it gives none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:g}"


def format_difference(difference: float) -> str:
    if difference is None or pd.isna(difference):
        return ""
    return f"{difference:+.1f}"


def verdict(measured: float | None, paper: float | None, tolerance: float) -> str:
    """``reproduced`` when ``|measured - paper| <= tolerance`` (percentage points); ``not run``
    without a measurement; ``no paper number`` when the paper gives none."""
    if measured is None or pd.isna(measured):
        return NOT_RUN
    if paper is None or pd.isna(paper):
        return NO_PAPER_NUMBER
    return REPRODUCED if abs(measured - paper) <= tolerance + 1e-9 else NOT_REPRODUCED


def compare(paper: pd.DataFrame, measured: pd.DataFrame | None, tolerance: float,
            objective_order: list[str] | None = None) -> pd.DataFrame:
    """Join the paper's cells of one results entry (rows of :func:`paper.paper_cells`) with the
    measured cells (:func:`measured_cells`; ``None`` when the task was not run).

    Rows: every paper cell, and every measured cell of a (metric, direction) the paper reports
    for this entry (so objectives the paper does not show appear with "no paper number").
    Columns: metric, objective, direction, measured, std, seeds, paper, difference, verdict."""
    paper = paper[["metric", "objective", "direction", "paper"]]
    measured = measured if measured is not None else pd.DataFrame(columns=MEASURED_COLUMNS)
    reported = set(zip(paper.metric, paper.direction))
    keep = pd.Series([(m, d) in reported for m, d in zip(measured.metric, measured.direction)], index=measured.index,
                     dtype=bool)
    measured = measured[keep]
    joined = paper.merge(measured, on=["metric", "objective", "direction"], how="outer")
    joined = joined.rename(columns={"mean": "measured"})
    joined["measured"] = pd.to_numeric(joined["measured"], errors="coerce")
    joined["paper"] = pd.to_numeric(joined["paper"], errors="coerce")
    joined["seeds"] = pd.to_numeric(joined["seeds"], errors="coerce").fillna(0).astype(int)
    joined["difference"] = joined["measured"] - joined["paper"]
    joined["verdict"] = [verdict(m, p, tolerance) for m, p in zip(joined.measured, joined.paper)]
    metrics = order(joined.metric, list(paper.metric.drop_duplicates()))
    objectives = order(joined.objective, objective_order or list(paper.objective.drop_duplicates()))
    joined["_m"] = joined.metric.map(metrics.index)
    joined["_o"] = joined.objective.map(objectives.index)
    joined["_d"] = joined.direction.map(lambda d: DIRECTION_ORDER.index(d) if d in DIRECTION_ORDER else len(DIRECTION_ORDER))
    joined = joined.sort_values(["_m", "_o", "_d"]).drop(columns=["_m", "_o", "_d"]).reset_index(drop=True)
    return joined[["metric", "objective", "direction", "measured", "std", "seeds", "paper", "difference", "verdict"]]


def comparison_strings(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare`'s rows as the report prints them (a missing measurement reads "not run")."""
    return pd.DataFrame({
        "metric": [short_label(m) for m in comparison.metric],
        "objective": comparison.objective,
        "direction": [DIRECTION_LABELS.get(d, d) for d in comparison.direction],
        "measured": [format_mean_std(m, s) for m, s in zip(comparison.measured, comparison["std"])],
        "paper": [format_paper(p) for p in comparison.paper],
        "difference": [format_difference(d) for d in comparison.difference],
        "verdict": comparison.verdict,
    })


def read_entry_tables(reference: dict, table_paths: list[str | Path]) -> dict[str, pd.DataFrame]:
    """Long tables by results entry (:func:`entry_tables`) from the tasks' ``tables/<task>.csv``."""
    return entry_tables(reference, {Path(p).stem: pd.read_csv(p) for p in table_paths})


def verdict_counts(verdicts: pd.Series, keep_zero: bool = True) -> str:
    counts = verdicts.value_counts()
    return ", ".join(f"{v} {int(counts.get(v, 0))}" for v in VERDICTS if keep_zero or counts.get(v, 0))
