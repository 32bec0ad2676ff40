"""The pipeline's Markdown files: pipe tables, and each file written with its HTML page beside it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .html import markdown_to_html


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table: the index (headed by its name) then the columns; missing cells are empty."""
    header = "| " + " | ".join([frame.index.name or ""] + [str(c) for c in frame.columns]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = ["| " + " | ".join([str(i)] + ["" if pd.isna(v) else str(v) for v in row]) + " |"
            for i, row in zip(frame.index, frame.values)]
    return "\n".join([header, rule, *body])


def write_markdown(path: str | Path, text: str, title: str) -> None:
    """``text`` as Markdown at ``path`` and as a rendered HTML page beside it (same name, ``.html``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.with_suffix(".html").write_text(markdown_to_html(text, title))
