"""The paper's numbers (``workflow/paper_reference.yaml``), read and checked.

The file holds, per measured table (``results``: one entry per task and setting), the paper's
numbers as ``{metric: {objective: {direction: percent}}}`` (an entry whose task's table holds
several settings names its rows with ``where: {column: value}``); the paper's tables as blocks of
(results entry, metric); Table 4's symbols; and the paper's claims about its figures. This module
turns it into flat cells that the report joins with the measured ones.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

DIRECTIONS = ("forward", "backward", "both")  # "both": one number for a forward/backward pair
SYMBOLS = ("✓", "~", "✗")  # Table 4: succeeds, partly, fails
ENTRY_KEYS = {"task", "source", "setting", "chance", "not_stated", "notes", "where"}  # the rest are metrics
CELL_COLUMNS = ["results", "task", "source", "metric", "objective", "direction", "paper"]


class PaperReferenceError(ValueError):
    """paper_reference.yaml does not have the structure this module reads."""


def load_reference(path: str | Path) -> dict:
    """The reference file as a dict, after :func:`check_reference`."""
    reference = yaml.safe_load(Path(path).read_text())
    check_reference(reference)
    return reference


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PaperReferenceError(f"{where}: {value!r} is not a number")
    if not 0 <= value <= 100:
        raise PaperReferenceError(f"{where}: {value} is not a percentage in [0, 100]")
    return float(value)


def check_reference(reference: dict) -> None:
    """Raise :class:`PaperReferenceError` naming the key of the first problem found."""
    if not isinstance(reference, dict):
        raise PaperReferenceError("the reference is not a mapping")
    for section in ("objectives", "results", "tables"):
        if not isinstance(reference.get(section), dict):
            raise PaperReferenceError(f"section {section!r} is missing or not a mapping")
    for name, entry in reference["results"].items():
        if not isinstance(entry, dict) or "task" not in entry or "source" not in entry:
            raise PaperReferenceError(f"results.{name}: needs `task` and `source`")
        if "chance" in entry:
            _number(entry["chance"], f"results.{name}.chance")
        if "where" in entry and not (isinstance(entry["where"], dict) and entry["where"]):
            raise PaperReferenceError(f"results.{name}.where: expected {{column: value}} naming the rows of the task's table")
        for metric in entry_metrics(entry):
            cells = entry[metric]
            if not isinstance(cells, dict):
                raise PaperReferenceError(f"results.{name}.{metric}: expected {{objective: {{direction: percent}}}}")
            for objective, directions in cells.items():
                if objective not in reference["objectives"]:
                    raise PaperReferenceError(f"results.{name}.{metric}.{objective}: objective not listed under `objectives`")
                if not isinstance(directions, dict) or not directions:
                    raise PaperReferenceError(f"results.{name}.{metric}.{objective}: expected {{direction: percent}}")
                for direction, value in directions.items():
                    if direction not in DIRECTIONS:
                        raise PaperReferenceError(f"results.{name}.{metric}.{objective}: direction {direction!r} is not one of {DIRECTIONS}")
                    _number(value, f"results.{name}.{metric}.{objective}.{direction}")
    for table_id, table in reference["tables"].items():
        blocks = table.get("blocks") if isinstance(table, dict) else None
        if not blocks or "caption" not in table:
            raise PaperReferenceError(f"tables.{table_id}: needs `caption` and a non-empty list of `blocks`")
        for block in blocks:
            if block.get("results") not in reference["results"]:
                raise PaperReferenceError(f"tables.{table_id}: block refers to unknown results entry {block.get('results')!r}")
            if "metric" not in block:
                raise PaperReferenceError(f"tables.{table_id}: a block has no `metric`")
    for objective, row in (reference.get("table4") or {}).items():
        for name, symbols in row.items():
            if name not in reference["results"]:
                raise PaperReferenceError(f"table4.{objective}.{name}: unknown results entry")
            if any(s not in SYMBOLS for s in str(symbols).split("/")):
                raise PaperReferenceError(f"table4.{objective}.{name}: {symbols!r} must be {' '.join(SYMBOLS)} symbols joined by '/'")


def entry_metrics(entry: dict) -> list[str]:
    """The metric ids a results entry gives numbers for, in file order."""
    return [k for k in entry if k not in ENTRY_KEYS]


def paper_cells(reference: dict) -> pd.DataFrame:
    """Every number of ``results`` as one row: results, task, source, metric, objective, direction, paper."""
    rows = []
    for name, entry in reference["results"].items():
        for metric in entry_metrics(entry):
            for objective, directions in entry[metric].items():
                for direction, value in directions.items():
                    rows.append([name, entry["task"], entry["source"], metric, objective, direction, float(value)])
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


def objective_order(reference: dict) -> list[str]:
    """Objective ids in the reference's order (the paper's column order)."""
    return list(reference["objectives"])


def objective_label(reference: dict, objective: str) -> str:
    return reference["objectives"].get(objective, objective)


def table_entries(reference: dict, table_id: str) -> list[str]:
    """The results entries a paper table draws on, in block order, without repeats."""
    return list(dict.fromkeys(block["results"] for block in reference["tables"][table_id]["blocks"]))


def table_tasks(reference: dict, table_id: str) -> list[str]:
    """The tasks whose measured tables a paper table reads, in block order, without repeats."""
    return list(dict.fromkeys(reference["results"][e]["task"] for e in table_entries(reference, table_id)))


def table4_symbols(reference: dict) -> dict[tuple[str, str], str]:
    """Table 4 as {(objective, results entry): "✓/✗"}."""
    return {(objective, name): str(symbols) for objective, row in (reference.get("table4") or {}).items()
            for name, symbols in row.items()}
