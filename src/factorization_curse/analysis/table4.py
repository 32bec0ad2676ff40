"""The paper's Table 4 (✓ / ~ / ✗ per objective and task) from measured exact match, beside the paper's.

:func:`classify` turns one accuracy into a symbol with the thresholds of ``report.table4`` in
config.yaml (above chance where a task has a chance level); :func:`table4` does so for every
results entry and objective, for the mean and for both ends of its 95% interval (the symbols the
interval spans); :func:`compare_table4` sets the paper's symbols beside them: *consistent* when
each of the paper's symbols is among those its direction's interval spans, *inconsistent* when
not, *underpowered* when an interval is wider than ``report.max_interval_width``. :func:`write_table4`
writes ``tables/paper/table4.md`` (with its HTML page) and ``.tex``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paper as paper_ref
from .comparisons import (CONSISTENT, INCONSISTENT, NO_PAPER_NUMBER, NOT_RUN, UNDERPOWERED, measured_cells, order,
                          read_entry_tables)
from .markdown import markdown_table, write_markdown
from .paper_tables import latex_escape


def check_thresholds(success: float, failure: float) -> None:
    if not 0 <= failure <= success <= 100:
        raise ValueError(f"Table 4 thresholds need 0 <= failure <= success <= 100 (got failure={failure}, success={success})")


def classify(accuracy: float | None, success: float, failure: float, chance: float | None = None) -> str | None:
    """Table 4's symbol for one accuracy (percent): ✓ at or above ``success``, ✗ below ``failure``,
    ~ between; ``None`` without a measurement. With a ``chance`` level (percent) the accuracy is
    first taken above chance: ``100 * (accuracy - chance) / (100 - chance)``."""
    check_thresholds(success, failure)
    if accuracy is None or pd.isna(accuracy):
        return None
    score = accuracy if chance is None else 100.0 * (accuracy - chance) / (100.0 - chance)
    if score >= success:
        return "✓"
    if score < failure:
        return "✗"
    return "~"


SYMBOL_ORDER = ("✗", "~", "✓")


def spanned(low: str, high: str) -> str:
    """The symbols from ``low``'s to ``high``'s, in :data:`SYMBOL_ORDER` (classify is monotone)."""
    a, b = SYMBOL_ORDER.index(low), SYMBOL_ORDER.index(high)
    return "".join(SYMBOL_ORDER[a:b + 1])


def table4(measured: dict[str, pd.DataFrame], success: float, failure: float,
           chance: dict[str, float | None] | None = None, metric: str = "exact_match") -> pd.DataFrame:
    """Measured Table 4: one row per (objective, results entry) with the symbols of the means,
    ``"✓/✗"`` for forward/backward (one symbol where the task asks one direction), ``spans``: per
    direction the symbols its 95% interval covers (``"✓/~✓"``), and ``width``: the widest of the
    directions' intervals.

    ``measured`` maps a results entry to its :func:`measured_cells`; ``chance`` its chance level."""
    chance = chance or {}
    rows = []
    for name, cells in measured.items():
        sub = cells[(cells.metric == metric) & cells.direction.isin(["forward", "backward"])]
        for objective in sub.objective.drop_duplicates():
            o = sub[sub.objective == objective].set_index("direction")
            directions = [d for d in ("forward", "backward") if d in o.index]
            level = chance.get(name)
            symbols = [classify(o.loc[d, "mean"], success, failure, level) for d in directions]
            spans = [spanned(classify(o.loc[d, "low"], success, failure, level),
                             classify(o.loc[d, "high"], success, failure, level)) for d in directions]
            rows.append([objective, name, "/".join(symbols), "/".join(spans), float(o.loc[directions, "width"].max())])
    return pd.DataFrame(rows, columns=["objective", "results", "measured", "spans", "width"])


def compare_table4(measured: pd.DataFrame, paper_symbols: dict[tuple[str, str], str],
                   max_width: float = 30.0) -> pd.DataFrame:
    """Measured Table 4 (:func:`table4`) beside the paper's symbols, with a verdict per cell:
    consistent (every direction's paper symbol among the symbols its interval spans), inconsistent,
    underpowered (an interval wider than ``max_width``), not run, or no paper number."""
    found = {(o, r): (s, sp, w) for o, r, s, sp, w in
             zip(measured.objective, measured.results, measured.measured, measured.spans, measured.width)}
    keys = list(paper_symbols) + [k for k in found if k not in paper_symbols]
    rows = []
    for key in keys:
        m, p = found.get(key), paper_symbols.get(key)
        if m is None:
            v = NOT_RUN
        elif p is None:
            v = NO_PAPER_NUMBER
        elif m[2] > max_width:
            v = UNDERPOWERED
        else:
            spans, symbols = m[1].split("/"), p.split("/")
            v = CONSISTENT if len(spans) == len(symbols) and all(x in span for x, span in zip(symbols, spans)) \
                else INCONSISTENT
        rows.append([key[0], key[1], m[0] if m is not None else NOT_RUN, m[1] if m is not None else "",
                     p if p is not None else "–", v])
    return pd.DataFrame(rows, columns=["objective", "results", "measured", "spans", "paper", "verdict"])


def table4_grid(comparison: pd.DataFrame, objective_order: list[str], entries: list[str]) -> pd.DataFrame:
    """Objectives as rows, results entries as columns; cells ``measured [spanned] (paper p)``: the
    mean's symbols, those the 95% interval spans where they are more than one, the paper's."""
    objectives = order(comparison.objective, objective_order)
    grid = pd.DataFrame("", index=objectives, columns=entries)
    for o, r, m, sp, p in zip(comparison.objective, comparison.results, comparison.measured, comparison.spans,
                              comparison.paper):
        if r in grid.columns:
            cell = m if not sp or sp == m else f"{m} [{sp}]"
            grid.loc[o, r] = cell if p == "–" else f"{cell} (paper {p})"
    grid = grid.replace("", NOT_RUN)
    grid.index.name = "objective"
    return grid


def table4_markdown(grid: pd.DataFrame, success: float, failure: float, preset: str, seeds: list[int]) -> str:
    return "\n".join([
        "# Table 4: qualitative summary (forward/backward), computed from the measured exact match", "",
        f"Measured at preset `{preset}`, seeds {', '.join(map(str, seeds))}. ✓: exact match ≥ {success:g}%; "
        f"✗: below {failure:g}%; ~: between (on a task with a chance level, the share of the way from chance "
        "to 100%), for the mean over seeds and test questions; in brackets, where it differs, every symbol the "
        "95% interval spans (forward/backward). In parentheses the paper's Table 4 where it is known. "
        f"\"{NOT_RUN}\": no measurement.", "", markdown_table(grid)]) + "\n"


def table4_latex(grid: pd.DataFrame, success: float, failure: float, preset: str) -> str:
    n = len(grid.columns)
    lines = [
        "% Table 4 (qualitative summary) computed from measured exact match; needs booktabs and amssymb.",
        r"\begin{table}[t]", r"\centering", r"\small",
        f"\\caption{{Qualitative summary (forward/backward) at preset \\texttt{{{latex_escape(preset)}}}: "
        f"\\checkmark{{}} exact match $\\geq {success:g}\\%$, $\\times$ below ${failure:g}\\%$, $\\sim$ between; "
        f"in parentheses the paper's Table 4.}}",
        r"\label{tab:table4}",
        r"\begin{tabular}{l" + "c" * n + "}", r"\toprule",
        " & ".join(["objective"] + [latex_escape(c) for c in grid.columns]) + r" \\", r"\midrule",
    ]
    for objective, row in zip(grid.index, grid.values):
        lines.append(" & ".join([latex_escape(objective)] + [latex_escape(v) for v in row]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table4(reference: dict, interval_paths: list[str | Path], chance: dict[str, float | None], success: float,
                 failure: float, markdown_path: str | Path, latex_path: str | Path, preset: str,
                 seeds: list[int], max_width: float = 30.0) -> pd.DataFrame:
    """Table 4 computed from the measured intervals tables, beside the paper's symbols (Markdown, LaTeX)."""
    measured = {name: measured_cells(t) for name, t in read_entry_tables(reference, interval_paths).items()}
    comparison = compare_table4(table4(measured, success, failure, chance), paper_ref.table4_symbols(reference),
                                max_width)
    entries = list(measured) + [r for r in dict.fromkeys(comparison.results) if r not in measured]
    grid = table4_grid(comparison, paper_ref.objective_order(reference), entries)
    write_markdown(markdown_path, table4_markdown(grid, success, failure, preset, seeds), f"Table 4 ({preset})")
    Path(latex_path).write_text(table4_latex(grid, success, failure, preset))
    return comparison
