"""The paper's tables (1-3, 5-8) in its layout, measured mean [95% interval] beside the paper's numbers.

:func:`paper_table_blocks` builds a table's blocks (one per results entry and metric of
``paper_reference.yaml``), :func:`table_markdown` and :func:`table_latex` (booktabs) print them,
and :func:`write_paper_table` writes ``tables/paper/<table>.md`` (with its HTML page) and ``.tex``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paper as paper_ref
from .comparisons import (DIRECTION_LABELS, DIRECTION_ORDER, NOT_RUN, format_interval, format_paper, measured_cells,
                          order, read_entry_tables, short_label)
from .markdown import markdown_table, write_markdown


def paper_table_blocks(reference: dict, table_id: str, measured: dict[str, pd.DataFrame | None],
                       cells: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame]]:
    """The paper's table ``table_id`` as (block title, frame) pairs. Frames: objectives as
    columns; rows per direction, measured (mean [95% interval], "not run" without a measurement) followed by
    the paper's row ``<direction> (paper)`` ("–" where the paper gives no number).

    ``measured`` maps results entries to :func:`measured_cells` (``None`` or absent: not run)."""
    cells = cells if cells is not None else paper_ref.paper_cells(reference)
    blocks = []
    for block in reference["tables"][table_id]["blocks"]:
        name, metric = block["results"], block["metric"]
        entry = reference["results"][name]
        p = cells[(cells.results == name) & (cells.metric == metric)]
        m = measured.get(name)
        m = m[m.metric == metric] if m is not None else None
        objectives = order(list(p.objective) + (list(m.objective) if m is not None else []),
                           paper_ref.objective_order(reference))
        measured_dirs = [d for d in (m.direction if m is not None else []) if d != "both" or "both" in set(p.direction)]
        directions = order(list(p.direction) + measured_dirs, DIRECTION_ORDER)  # "both" only where the paper has it
        rows, index = [], []
        for d in directions:
            row = []
            for o in objectives:
                hit = m[(m.objective == o) & (m.direction == d)] if m is not None else pd.DataFrame()
                row.append(format_interval(hit["mean"].iloc[0], hit["low"].iloc[0], hit["high"].iloc[0]) if len(hit) else NOT_RUN)
            rows.append(row)
            index.append(DIRECTION_LABELS.get(d, d) + (" (mean)" if d == "both" else ""))
            if d in set(p.direction):
                values = p[p.direction == d].set_index("objective")["paper"]
                rows.append([format_paper(values.get(o)) for o in objectives])
                index.append(f"{DIRECTION_LABELS.get(d, d)} (paper)")
        frame = pd.DataFrame(rows, index=index, columns=objectives)
        frame.index.name = ""
        label = short_label(metric)
        title = f"{name}, {entry['source']}: {label}" + ("" if m is not None else f" ({NOT_RUN})")
        if p.empty:
            title = f"{name}: {label} (the paper's numbers are not in paper_reference.yaml)"
        blocks.append((title, frame))
    return blocks


def table_markdown(reference: dict, table_id: str, blocks: list[tuple[str, pd.DataFrame]], preset: str,
                   seeds: list[int]) -> str:
    caption = reference["tables"][table_id]["caption"]
    number = table_id.removeprefix("table")
    parts = [f"# Table {number}: {caption}", "",
             f"Measured at preset `{preset}`, seeds {', '.join(map(str, seeds))} "
             f"(mean over seeds and test questions [95% interval: facts and seeds resampled]); rows marked (paper) hold the "
             f"paper's numbers. \"{NOT_RUN}\": no measurement; \"–\": the paper gives no number."]
    for title, frame in blocks:
        parts += ["", f"## {title}", "", markdown_table(frame)]
    return "\n".join(parts) + "\n"


LATEX_SYMBOLS = {"✓": r"\checkmark", "~": r"$\sim$", "✗": r"$\times$"}


def latex_escape(text: str) -> str:
    text = str(text)
    for a, b in [("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("$", r"\$"), ("{", r"\{"), ("}", r"\}")]:
        text = text.replace(a, b)
    text = text.replace(" ± ", r" $\pm$ ").replace("–", "--")
    for symbol, macro in LATEX_SYMBOLS.items():
        text = text.replace(symbol, macro)
    return text


def table_latex(reference: dict, table_id: str, blocks: list[tuple[str, pd.DataFrame]], preset: str,
                seeds: list[int], header_labels: bool = True) -> str:
    """A ``table`` environment with a booktabs ``tabular``: the union of the blocks' objectives as
    columns, each block under its own rule and title."""
    objectives = order([o for _, f in blocks for o in f.columns], paper_ref.objective_order(reference))
    heads = [paper_ref.objective_label(reference, o) if header_labels else o for o in objectives]
    n = len(objectives) + 1
    caption = reference["tables"][table_id]["caption"]
    spread = "mean over seeds and test questions [95\\% interval]"
    lines = [
        f"% Table {table_id.removeprefix('table')} of Kitouni et al. (2024), measured at preset {preset}, "
        f"seeds {', '.join(map(str, seeds))}; needs \\usepackage{{booktabs}} (and amssymb for Table 4's symbols).",
        r"\begin{table}[t]", r"\centering", r"\small",
        f"\\caption{{{latex_escape(caption)} Measured at preset \\texttt{{{latex_escape(preset)}}} "
        f"({spread}); rows marked (paper): the paper's numbers.}}",
        f"\\label{{tab:{table_id}}}",
        r"\begin{tabular}{l" + "c" * len(objectives) + "}",
        r"\toprule",
        " & ".join([""] + [latex_escape(h) for h in heads]) + r" \\",
    ]
    for title, frame in blocks:
        lines += [r"\midrule", f"\\multicolumn{{{n}}}{{l}}{{\\emph{{{latex_escape(title)}}}}} \\\\"]
        for label, row in zip(frame.index, frame.reindex(columns=objectives, fill_value="").values):
            lines.append(" & ".join([latex_escape(label)] + [latex_escape(v) for v in row]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_paper_table(reference: dict, table_id: str, interval_paths: list[str | Path], markdown_path: str | Path,
                      latex_path: str | Path, preset: str, seeds: list[int]) -> list[tuple[str, pd.DataFrame]]:
    """The paper's table ``table_id`` from the measured intervals tables (``tables/<task>_intervals.csv``; entries
    without one read "not run"), as Markdown (and its HTML page) and as LaTeX."""
    measured = {name: measured_cells(t) for name, t in read_entry_tables(reference, interval_paths).items()}
    blocks = paper_table_blocks(reference, table_id, measured)
    write_markdown(markdown_path, table_markdown(reference, table_id, blocks, preset, seeds),
                   f"{table_id.replace('table', 'Table ')} ({preset})")
    Path(latex_path).write_text(table_latex(reference, table_id, blocks, preset, seeds))
    return blocks
