"""The factorization-gap table: per task, objective and order, the per-token NLL of the test facts'
statements and its gap to left to right, each with a 95% interval over facts and seeds.

Reads the meter's per-statement rows (:mod:`factorization_curse.factorization_gap`, one Parquet per
run); the K random orders count as one order, ``random``, each statement's NLL averaged over them
first. The gap of an order pairs it with left to right on the same statements of the same runs
(:func:`.statistics.paired_difference` with paired seeds), so the facts' own difficulty cancels.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..runtime import atomic_write_text
from . import statistics
from .markdown import markdown_table, write_markdown

ORDERS = ["left-to-right", "right-to-left", "entity-reversed", "random"]  # the table's order of orders
GAP_COLUMNS = ["task", "objective", "order", "nll", "nll_low", "nll_high", "gap", "gap_low", "gap_high",
               "statements", "facts", "seeds"]


def _order_family(order: str) -> str:
    return "random" if order.startswith("random-") else order


def statement_nll(rows: pd.DataFrame) -> pd.DataFrame:
    """One value per (task, objective, seed, fact, statement, order family): the random orders averaged."""
    rows = rows.assign(order=rows.order.map(_order_family))
    return rows.groupby(["task", "objective", "seed", "fact", "statement", "order"], as_index=False).nll.mean()


def gap_table(rows: pd.DataFrame, objective_order: list[str]) -> pd.DataFrame:
    """:data:`GAP_COLUMNS`, one row per (task, objective, order) in the tasks' and ``objective_order``'s order."""
    # a statement is the unit the interval counts (as a question is for exact match); facts are resampled
    values = statement_nll(rows).rename(columns={"nll": "value", "statement": "question"})
    out = []
    for task in dict.fromkeys(values.task):
        for objective in [o for o in objective_order if o in set(values[values.task == task].objective)]:
            cell = values[(values.task == task) & (values.objective == objective)]
            reference = cell[cell.order == "left-to-right"]
            for order in [o for o in ORDERS if o in set(cell.order)]:
                scored = cell[cell.order == order]
                nll = statistics.interval(scored, scale=1.0)
                gap = statistics.paired_difference(scored, reference, paired_seeds=True, scale=1.0) \
                    if len(reference) else None
                out.append({"task": task, "objective": objective, "order": order, "nll": nll.mean,
                            "nll_low": nll.low, "nll_high": nll.high,
                            "gap": gap.mean if gap else None, "gap_low": gap.low if gap else None,
                            "gap_high": gap.high if gap else None, "statements": nll.questions,
                            "facts": nll.facts, "seeds": nll.seeds})
    return pd.DataFrame(out, columns=GAP_COLUMNS)


def gap_markdown(table: pd.DataFrame) -> str:
    """Per task: objectives as rows, orders as columns, ``NLL (gap [low, high])``."""
    parts = ["# The factorization gap\n",
             "Per-token NLL (nats) of the test facts' training statements along each order, in each model's "
             "own training layout; in brackets the gap to left to right with its 95% interval (facts and "
             "seeds resampled). A model that learned the joint distribution has gaps near 0.\n"]
    for task, sub in table.groupby("task", sort=False):
        orders = [o for o in ORDERS if o in set(sub.order)]
        cells = []
        for objective, rows in sub.groupby("objective", sort=False):
            by_order = rows.set_index("order")
            row = {"objective": objective}
            for order in orders:
                r = by_order.loc[order]
                row[order] = f"{r.nll:.2f}" if order == "left-to-right" else \
                    f"{r.nll:.2f} ({r.gap:+.2f} [{r.gap_low:+.2f}, {r.gap_high:+.2f}])"
            cells.append(row)
        first = sub.iloc[0]
        parts.append(f"## {task} ({first.facts} facts, {first.seeds} seed(s))\n")
        parts.append(markdown_table(pd.DataFrame(cells).set_index("objective")) + "\n")
    return "\n".join(parts) + "\n"


def write_gap_tables(order_paths: list[str | Path], csv_path: str | Path, markdown_path: str | Path,
                     objective_order: list[str]) -> pd.DataFrame:
    rows = pd.concat([pd.read_parquet(p) for p in order_paths], ignore_index=True)
    table = gap_table(rows, objective_order)
    atomic_write_text(Path(csv_path), table.to_csv(index=False, float_format="%.3f"))
    write_markdown(markdown_path, gap_markdown(table), "The factorization gap")
    return table
