"""Evaluation files to the long-form results table and the paper's table layout; metric names and
headings come from :mod:`factorization_curse.metrics` (an unregistered metric is an error).

A task whose table holds several datasets (its own and its ``variants``, e.g. WikiReversal's split
seeds) records what tells them apart as extra columns after ``value`` (``Task.table_columns``),
and its Markdown table puts objectives in rows and (variant, direction) in columns, as the
paper's Table 8 does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from ..answers import normaliser_description
from ..metrics import DIRECTIONS, METRICS, metric_values
from ..tasks import TASKS

COLUMNS = ["task", "objective", "seed", "direction", "metric", "value"]  # the output contract


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


def read_dataset_infos(data_dirs: list[str | Path]) -> dict[str, dict]:
    """Each dataset folder's info.json (its task, generator settings, sizes) by folder name."""
    infos = {}
    for d in data_dirs:
        path = Path(d) / "info.json"
        try:
            infos[Path(d).name] = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"{path} cannot be read ({error}); rebuild the dataset with "
                             f"`snakemake --cores all --forcerun {d}`") from error
    return infos


def read_evaluations(paths: list[str | Path]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


CURVE_COLUMNS = ["task", "objective", "seed", "step", "direction", "metric", "value"]


def read_curves(paths: list[str | Path], identities: list[dict]) -> pd.DataFrame:
    """Validation-split accuracy during training, from each run's metrics.jsonl (rows ``{"step": ..,
    "<direction>_<metric>": ..}``), as a long table: task, objective, seed, step, direction, metric,
    value (percent). ``identities[i]`` (task, objective, seed) names the run of ``paths[i]``."""
    if len(paths) != len(identities):
        raise ValueError(f"{len(paths)} metrics files but {len(identities)} run identities")
    rows = []
    for path, identity in zip(paths, identities):
        for line in Path(path).read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            for key, value in record.items():
                direction, _, metric = key.partition("_")
                if direction in DIRECTIONS and metric in METRICS and METRICS[metric].in_curves and value is not None:
                    rows.append([identity["task"], identity["objective"], int(identity["seed"]), int(record["step"]),
                                 direction, metric, float(value)])
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


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


def variant_columns(table: pd.DataFrame) -> list[str]:
    """The columns a long table has beyond :data:`COLUMNS` that tell its datasets apart (a
    task's ``table_columns``; a sweep's parameter)."""
    return [c for c in table.columns if c not in COLUMNS]


def variant_layout(table: pd.DataFrame, metric: str, objective_order: list[str], columns: list[str]) -> pd.DataFrame:
    """Objectives as rows; for each variant (the values of ``columns``, in table order) its
    forward and backward columns, headed ``<variant>: <direction>``; mean ± std over seeds. The
    layout of the paper's Table 8: same split seed on the left, different split seeds on the right."""
    sub = table[table.metric == metric].copy()
    sub["_variant"] = [", ".join(map(str, v)) for v in zip(*(sub[c] for c in columns))]
    cells = sub.groupby(["objective", "_variant", "direction"], sort=False)["value"].apply(mean_std)
    present = set(zip(sub._variant, sub.direction))
    heads = [(v, d) for v in dict.fromkeys(sub._variant) for d in [*DIRECTIONS, *sorted(set(sub.direction) - set(DIRECTIONS))]
             if (v, d) in present]
    objectives = [o for o in objective_order if o in set(sub.objective)]
    objectives += [o for o in dict.fromkeys(sub.objective) if o not in objectives]
    frame = pd.DataFrame([[cells.get((o, v, d), float("nan")) for v, d in heads] for o in objectives],
                         index=objectives, columns=[f"{v}: {d}" for v, d in heads])
    frame.index.name = "objective"
    return frame


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


def markdown_report(table: pd.DataFrame, task: str, objective_order: list[str], chance: float | None = None,
                    column_notes: dict[str, str] | None = None, exact_match_note: str | None = None) -> str:
    """The paper-layout twin of a long table: objectives as columns and directions as rows, or,
    for a table with variant columns (``column_notes``: column -> what it means), the layout of
    :func:`variant_layout`. ``exact_match_note``: how exact match compares answers, if not by tokens."""
    seeds = sorted(table.seed.unique())
    parts = [f"# {task}: accuracy (%) of greedy answers on the test questions (scored once, after training)", ""]
    parts.append(f"Seeds: {', '.join(map(str, seeds))} ({'mean ± std' if len(seeds) > 1 else 'one seed'}).")
    if chance is not None:
        parts.append(f"Chance level of exact match (a random first step, then the right path): {chance:.1f}%.")
    columns = [c for c in variant_columns(table) if c in (column_notes or {})]
    if columns:
        parts.append(f"Objectives in rows; columns `<{', '.join(columns)}>: <direction>`, where "
                     + "; ".join(f"`{c}` is {column_notes[c]}" for c in columns) + ".")
    if exact_match_note:
        parts.append(f"Exact match: {exact_match_note}")
    for metric, title in ((m.name, m.label) for m in METRICS.values()):
        layout = variant_layout(table, metric, objective_order, columns) if columns else \
            paper_layout(table, metric, objective_order)
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
                      objective_order: list[str], data_info: dict | None = None,
                      dataset_info: dict[str, dict] | None = None) -> pd.DataFrame:
    """Write the long table (CSV) and its paper-layout twin (Markdown); ``data_info`` (the task's
    dataset's info.json) supplies the chance level where the task has one. A task with
    ``table_columns`` gets them after ``value``, each evaluation's from its dataset's settings
    (``dataset_info``: dataset name -> info.json, for the task's dataset and its variants)."""
    evaluations = read_evaluations(eval_paths)
    names = sorted({ev["task"] for ev in evaluations})
    spec = TASKS.get(names[0]) if len(names) == 1 else None
    notes = dict(spec.table_columns) if spec else {}
    if notes and dataset_info is None:
        raise ValueError(f"task {names[0]!r} records {list(notes)} per dataset: dataset_info is needed")
    extra = {c: (lambda ev, c=c: dataset_info[ev["dataset"]]["config"][c]) for c in notes}
    table = long_table(evaluations, extra)
    task = ", ".join(names)
    csv_path, markdown_path = Path(csv_path), Path(markdown_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    chance = (data_info or {}).get("chance_exact_match")
    normaliser = spec.answer_normaliser if spec else None
    markdown_path.write_text(markdown_report(table, task, objective_order, chance, notes,
                                             normaliser_description(normaliser) if normaliser else None))
    return table


def aggregate_sweep(eval_paths: list[str | Path], parameter: str, dataset_info: dict[str, dict],
                    csv_path: str | Path) -> pd.DataFrame:
    """The long table of a sweep, with the swept ``parameter``'s value as a column, read from each
    run's dataset settings (``dataset_info``: dataset name -> info.json), never from its name."""
    table = long_table(read_evaluations(eval_paths),
                       extra={parameter: lambda ev: dataset_info[ev["dataset"]]["config"][parameter]})
    Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    return table
