"""Our numbers beside the paper's: measured cells, the join with the paper's cells, verdicts.

Measured cells are the rows of the intervals tables (``tables/<task>_intervals.csv``, written by
:func:`.tables.interval_table`): per objective, direction and metric the mean over seeds and test
questions with its 95% interval. A results entry of the paper reads its task's table, restricted
to the rows its ``where`` names (:func:`entry_tables`: WikiReversal's holds both split variants,
Table 8 left and right).

- :func:`measured_cells`: an intervals table's cells (mean, low, high, width, seeds, facts, questions).
- :func:`compare`: the paper's cells of one results entry joined with the measured ones, with a
  verdict per cell (:func:`.statistics.verdict`: consistent, inconsistent, underpowered). A cell
  without a measurement is "not run", never a number.
- :func:`comparison_strings`: a comparison as the report prints it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import statistics

NOT_RUN = "not run"
CONSISTENT, INCONSISTENT, UNDERPOWERED, NO_PAPER_NUMBER = statistics.VERDICTS[:4]
VERDICTS = statistics.VERDICTS
DIRECTION_ORDER = ("forward", "backward", "both")
DIRECTION_LABELS = {"forward": "forward", "backward": "backward", "both": "forward & backward"}
MEASURED_COLUMNS = ["metric", "objective", "direction", "mean", "low", "high", "width", "seeds", "facts", "questions"]
INTERVALS_SUFFIX = "_intervals"  # tables/<task>_intervals.csv
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


def measured_cells(intervals: pd.DataFrame | None) -> pd.DataFrame:
    """An intervals table's cells, :data:`MEASURED_COLUMNS`: per (metric, objective, direction) the
    mean over seeds and questions, its 95% interval, and how many seeds, facts and questions it
    rests on. Direction ``both`` pools forward and backward (the paper's numbers for a question
    pair, e.g. incorrect inference); the reversal gap (``forward−backward``) is kept too."""
    if intervals is None or intervals.empty:
        return pd.DataFrame(columns=MEASURED_COLUMNS)
    return intervals[MEASURED_COLUMNS].reset_index(drop=True)


def cell_interval(row) -> statistics.Interval | None:
    """A measured cell (a row with :data:`MEASURED_COLUMNS`) as a :class:`.statistics.Interval`;
    None without a measurement."""
    if row is None or pd.isna(row["mean"]):
        return None
    return statistics.Interval(float(row["mean"]), float(row["low"]), float(row["high"]), int(row["questions"]),
                               int(row["facts"]), int(row["seeds"]))


def format_interval(mean: float | None, low: float | None = None, high: float | None = None) -> str:
    """``80.0 [70.0, 90.0]`` (mean and 95% interval); a missing mean is "not run", never a number."""
    if mean is None or pd.isna(mean):
        return NOT_RUN
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return f"{mean:.1f}"
    return f"{mean:.1f} [{low:.1f}, {high:.1f}]"


def format_paper(value: float) -> str:
    """The paper's number without trailing zeros (``100``, ``4.3``); "–" where it gives none."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:g}"


def format_difference(difference: float) -> str:
    if difference is None or pd.isna(difference):
        return ""
    return f"{difference:+.1f}"


def compare(paper: pd.DataFrame, measured: pd.DataFrame | None, max_width: float,
            objective_order: list[str] | None = None) -> pd.DataFrame:
    """Join the paper's cells of one results entry (rows of :func:`paper.paper_cells`) with the
    measured cells (:func:`measured_cells`; ``None`` when the task was not run).

    Rows: every paper cell, and every measured cell of a (metric, direction) the paper reports
    for this entry (so objectives the paper does not show appear with "no paper number").
    Columns: metric, objective, direction, measured (mean), low, high, seeds, facts, questions,
    paper, difference, verdict (:func:`.statistics.verdict` with ``max_width``) and, for an
    underpowered cell, facts_needed (how many facts would narrow its interval to ``max_width``)."""
    paper = paper[["metric", "objective", "direction", "paper"]]
    measured = measured if measured is not None else pd.DataFrame(columns=MEASURED_COLUMNS)
    reported = set(zip(paper.metric, paper.direction))
    keep = pd.Series([(m, d) in reported for m, d in zip(measured.metric, measured.direction)], index=measured.index,
                     dtype=bool)
    measured = measured[keep]
    joined = paper.merge(measured, on=["metric", "objective", "direction"], how="outer")
    joined = joined.rename(columns={"mean": "measured"})
    for column in ("measured", "low", "high", "paper"):
        joined[column] = pd.to_numeric(joined[column], errors="coerce")
    for column in ("seeds", "facts", "questions"):
        joined[column] = pd.to_numeric(joined[column], errors="coerce").fillna(0).astype(int)
    joined["difference"] = joined["measured"] - joined["paper"]
    cells = [cell_interval(row.rename({"measured": "mean"})) for _, row in joined.iterrows()]
    joined["verdict"] = [statistics.verdict(c, None if pd.isna(p) else float(p), max_width)
                         for c, p in zip(cells, joined.paper)]
    joined["facts_needed"] = [statistics.facts_needed(c, max_width) if v == UNDERPOWERED else pd.NA
                              for c, v in zip(cells, joined.verdict)]
    metrics = order(joined.metric, list(paper.metric.drop_duplicates()))
    objectives = order(joined.objective, objective_order or list(paper.objective.drop_duplicates()))
    joined["_m"] = joined.metric.map(metrics.index)
    joined["_o"] = joined.objective.map(objectives.index)
    joined["_d"] = joined.direction.map(lambda d: DIRECTION_ORDER.index(d) if d in DIRECTION_ORDER else len(DIRECTION_ORDER))
    joined = joined.sort_values(["_m", "_o", "_d"]).drop(columns=["_m", "_o", "_d"]).reset_index(drop=True)
    return joined[["metric", "objective", "direction", "measured", "low", "high", "seeds", "facts", "questions", "paper",
                   "difference", "verdict", "facts_needed"]]


def comparison_strings(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare`'s rows as the report prints them (a missing measurement reads "not run";
    an underpowered cell says how many facts would settle it)."""
    def verdict_text(verdict, needed, facts):
        if verdict == UNDERPOWERED and not pd.isna(needed):
            return f"{verdict} (≈{int(needed)} facts needed, {int(facts)} here)"
        return verdict
    return pd.DataFrame({
        "metric": [short_label(m) for m in comparison.metric],
        "objective": comparison.objective,
        "direction": [DIRECTION_LABELS.get(d, d) for d in comparison.direction],
        "measured [95% interval]": [format_interval(m, lo, hi) for m, lo, hi in
                                    zip(comparison.measured, comparison.low, comparison.high)],
        "seeds": [str(s) if s else "" for s in comparison.seeds],
        "paper": [format_paper(p) for p in comparison.paper],
        "difference": [format_difference(d) for d in comparison.difference],
        "verdict": [verdict_text(v, n, f) for v, n, f in zip(comparison.verdict, comparison.facts_needed, comparison.facts)],
    })


def table_task(path: str | Path) -> str:
    """The task of ``tables/<task>.csv`` or ``tables/<task>_intervals.csv``."""
    return Path(path).stem.removesuffix(INTERVALS_SUFFIX)


def read_entry_tables(reference: dict, table_paths: list[str | Path]) -> dict[str, pd.DataFrame]:
    """Tables by results entry (:func:`entry_tables`) from the tasks' ``tables/<task>.csv`` or
    ``tables/<task>_intervals.csv``."""
    return entry_tables(reference, {table_task(p): pd.read_csv(p) for p in table_paths})


def verdict_counts(verdicts: pd.Series, keep_zero: bool = True) -> str:
    counts = verdicts.value_counts()
    return ", ".join(f"{v} {int(counts.get(v, 0))}" for v in VERDICTS if keep_zero or counts.get(v, 0))
