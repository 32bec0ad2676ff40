"""The project's own Markdown (report, tables) as a standalone HTML page, so that a browser, and
Snakemake's report, show the tables rendered instead of offering a download.

Only the Markdown the pipeline writes is understood: ``#`` headings, paragraphs, ``-`` lists (one
level of nesting by two spaces), pipe tables, and inline ``**bold**``, ``*italics*``, ```code```
and ``[text](link)``. Everything else is text, escaped.
"""

from __future__ import annotations

import html
import re

STYLE = """body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.25em .6em}
th{background:#f2f2f2}td{text-align:right}td:first-child{text-align:left}code{background:#f4f4f4;padding:0 .2em}"""

_INLINE = [  # after code spans, which are kept apart
    (re.compile(r"\*\*(.+?)\*\*"), lambda m: f"<strong>{m.group(1)}</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), lambda m: f"<em>{m.group(1)}</em>"),
    (re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)"), lambda m: f'<a href="{_href(m.group(2))}">{m.group(1)}</a>'),
]


def _href(target: str) -> str:
    """Links between the pipeline's Markdown files point to their HTML twins."""
    return re.sub(r"\.md(#|$)", r".html\1", target)


def inline(text: str) -> str:
    out = html.escape(text, quote=False)
    codes: list[str] = []

    def keep(m):  # code spans are not formatted further
        codes.append(m.group(1))
        return f"\0{len(codes) - 1}\0"

    out = re.sub(r"`([^`]+)`", keep, out)
    for pattern, replace in _INLINE:
        out = pattern.sub(replace, out)
    return re.sub(r"\0(\d+)\0", lambda m: f"<code>{codes[int(m.group(1))]}</code>", out)


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def markdown_to_html(text: str, title: str) -> str:
    """A standalone HTML page of ``text``."""
    body: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            heading = line[level:].strip()
            anchor = re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
            body.append(f'<h{level} id="{anchor}">{inline(heading)}</h{level}>')
            i += 1
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            has_header = len(rows) > 1 and all(re.fullmatch(r":?-{2,}:?", c) for c in rows[1])
            head, rest = (rows[0], rows[2:]) if has_header else (None, rows)
            table = ["<table>"]
            if head:
                table.append("<tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>")
            table += ["<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rest]
            body.append("\n".join(table + ["</table>"]))
        elif re.match(r"\s*- ", line):
            items: list[str] = []
            while i < len(lines) and (re.match(r"\s*- ", lines[i]) or (lines[i].startswith("  ") and items)):
                current = lines[i]
                if re.match(r"  +- ", current):
                    items.append(f"<ul><li>{inline(current.strip()[2:])}</li></ul>")
                elif re.match(r"- ", current):
                    items.append(f"<li>{inline(current[2:])}")
                else:  # a continuation line of the last item
                    items[-1] += " " + inline(current.strip())
                i += 1
            body.append("<ul>" + "".join(items) + "</ul>")
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|")) \
                    and not re.match(r"\s*- ", lines[i]):
                paragraph.append(lines[i].strip())
                i += 1
            body.append(f"<p>{inline(' '.join(paragraph))}</p>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n")
