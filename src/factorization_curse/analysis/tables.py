"""Evaluation files to the long-form results table (CSV) and its paper-layout twin (Markdown).

The long table has one row per (task, objective, seed, direction, metric), ``value`` in percent;
its metrics, their order and their headings come from :mod:`factorization_curse.metrics`, and an
eval.json holding a metric the registry does not know is an error, never a dropped column. A task
whose table holds several datasets (its own and its ``variants``, e.g. WikiReversal's split seeds)
records what tells them apart as extra columns after ``value`` (``Task.table_columns``), read from
each dataset's own settings (its info.json's ``config``), never from its name; so does a sweep
with its swept parameter. The Markdown twin uses the layouts of :mod:`.layouts`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pandas as pd

from ..answers import normaliser_description
from ..metrics import DIRECTIONS, METRICS, POSITION_PREFIX, is_metric, metric, metric_mean, metric_values
from ..tasks import TASKS
from . import statistics
from .layouts import paper_layout, position_layout, variant_layout
from .markdown import markdown_table

COLUMNS = ["task", "objective", "seed", "direction", "metric", "value"]  # the output contract
CURVE_COLUMNS = ["task", "objective", "seed", "step", "direction", "metric", "value"]


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


QUESTION_KEYS = ["task", "dataset", "objective", "seed", "direction", "question", "fact"]  # then one column per metric


def read_questions(paths: list[str | Path]) -> pd.DataFrame:
    """The per-question tables of several runs (questions.parquet, written by evaluation), stacked."""
    frames = [pd.read_parquet(p) for p in paths]
    if not frames:
        raise ValueError("no per-question tables to read")
    return pd.concat(frames, ignore_index=True)


def question_metrics(questions: pd.DataFrame) -> list[str]:
    """The metric columns of a per-question table; a column that is neither a key nor a registered
    metric is an error (it would silently vanish from every table)."""
    unknown = [c for c in questions.columns if c not in QUESTION_KEYS and not is_metric(c)]
    if unknown:
        raise KeyError(f"per-question columns {unknown} are not registered metrics: add them to factorization_curse.metrics")
    return [c for c in questions.columns if c not in QUESTION_KEYS]


def long_table_from_questions(questions: pd.DataFrame, extra: dict[str, Callable[[dict], object]] | None = None) -> pd.DataFrame:
    """The long table (:data:`COLUMNS`) computed from per-question rows: per run (in the order the
    rows come) and direction (alphabetical, as eval.json lists them), each metric's mean over the
    questions that define it, in percent (the same arithmetic as eval.json's). ``extra`` adds
    columns computed from each run's identity (task, dataset, objective, seed)."""
    extra = extra or {}
    metrics = question_metrics(questions)
    rows = []
    for (task, dataset, objective, seed), run in questions.groupby(["task", "dataset", "objective", "seed"], sort=False):
        identity = {"task": task, "dataset": dataset, "objective": objective, "seed": seed}
        for direction, part in sorted(run.groupby("direction"), key=lambda item: item[0]):
            for name in metrics:
                value = metric_mean((None if pd.isna(v) else float(v) for v in part[name]), metric(name).scale)
                if value is not None:
                    rows.append([task, objective, int(seed), direction, name, value]
                                + [column(identity) for column in extra.values()])
    return pd.DataFrame(rows, columns=COLUMNS + list(extra))


INTERVAL_COLUMNS = ["task", "objective", "direction", "metric", "mean", "low", "high", "width", "seeds", "facts",
                    "questions"]
GAP = "forward−backward"  # the reversal gap's "direction": forward minus backward, paired by fact and seed


def interval_table(questions: pd.DataFrame, variant: dict[str, Callable[[dict], object]] | None = None,
                   resamples: int = statistics.RESAMPLES) -> pd.DataFrame:
    """Per (objective[, variant], direction, metric): the mean over seeds and test questions with a
    95% interval from :func:`statistics.interval` (facts and seeds resampled); direction ``both``
    pools the two directions (for the paper's numbers that cover a question pair); direction
    :data:`GAP` is forward minus backward, paired by fact and seed. Variant columns follow ``task``."""
    variant = variant or {}
    frame = questions.copy()
    for column, compute in variant.items():
        frame[column] = [compute({"dataset": d}) for d in frame.dataset]
    rows = []
    for key, group in frame.groupby(["task", *variant, "objective"], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        for name in question_metrics(questions):
            scored = group[group[name].notna()].rename(columns={name: "value"})
            parts = [(d, scored[scored.direction == d]) for d in [*DIRECTIONS, *sorted(set(scored.direction) - set(DIRECTIONS))]]
            parts.append(("both", scored[scored.direction.isin(DIRECTIONS)]))
            for direction, part in parts:
                if part.empty or (direction == "both" and part.direction.nunique() < 2):
                    continue
                cell = statistics.interval(part, resamples=resamples, scale=metric(name).scale)
                rows.append([*key, direction, name, cell.mean, cell.low, cell.high, cell.width, cell.seeds, cell.facts,
                             cell.questions])
            forward, backward = (scored[scored.direction == d] for d in DIRECTIONS)
            if not forward.empty and not backward.empty and set(forward.fact) & set(backward.fact):
                gap = statistics.paired_difference(forward, backward, paired_seeds=True, resamples=resamples,
                                                 scale=metric(name).scale)
                rows.append([*key, GAP, name, gap.mean, gap.low, gap.high, gap.width, gap.seeds, gap.facts, gap.questions])
    columns = ["task", *variant, *INTERVAL_COLUMNS[1:]]
    return pd.DataFrame(rows, columns=columns)


def interval_markdown(intervals: pd.DataFrame, objective_order: list[str], variant_columns: list[str]) -> str:
    """Exact match as ``mean [low, high]``: objectives in rows; forward, backward and the gap
    (per variant) in columns."""
    sub = intervals[(intervals.metric == "exact_match") & (intervals.direction != "both")].copy()
    if sub.empty:
        return ""
    label = lambda r: ": ".join([*(str(r[c]) for c in variant_columns), r["direction"]])  # noqa: E731
    sub["_column"] = [label(r) for _, r in sub.iterrows()]
    sub["_cell"] = [f"{m:.1f} [{lo:.1f}, {hi:.1f}]" for m, lo, hi in zip(sub["mean"], sub.low, sub.high)]
    grid = sub.pivot_table(index="objective", columns="_column", values="_cell", aggfunc="first", sort=False)
    objectives = [o for o in objective_order if o in grid.index] + [o for o in grid.index if o not in objective_order]
    grid = grid.reindex(index=objectives, columns=list(dict.fromkeys(sub._column)))
    grid.index.name = "objective"
    return markdown_table(grid.fillna(""))


def read_evaluations(paths: list[str | Path]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def _metric_rank(name: str) -> tuple[int, int]:
    """The table's order of metrics: the registry's, then ``position_1``, ``position_2`` ..."""
    if name in METRICS:
        return list(METRICS).index(name), 0
    return len(METRICS), int(name.removeprefix(POSITION_PREFIX))


def long_table(evaluations: list[dict], extra: dict[str, Callable[[dict], object]] | None = None) -> pd.DataFrame:
    """One row per (task, objective, seed, direction, metric); ``value`` in percent. ``extra`` adds
    columns computed from each evaluation (a variant's or a sweep's setting). A metric that
    :mod:`factorization_curse.metrics` does not know raises ``KeyError``."""
    extra = extra or {}
    rows = []
    for ev in evaluations:
        for direction, values in ev["metrics"].items():
            for name, value in sorted(metric_values(values).items(), key=lambda item: _metric_rank(item[0])):
                row = [ev["task"], ev["objective"], ev["seed"], direction, name, value]
                rows.append(row + [column(ev) for column in extra.values()])
    return pd.DataFrame(rows, columns=COLUMNS + list(extra))


def read_curves(paths: list[str | Path], identities: list[dict]) -> pd.DataFrame:
    """Validation-split accuracy during training, from each run's metrics.jsonl (rows ``{"step": ..,
    "loss": .., "<direction>_<metric>": ..}``), as a long table: task, objective, seed, step,
    direction, metric, value (percent). ``identities[i]`` (task, objective, seed) names the run of
    ``paths[i]``. A ``<direction>_<metric>`` key of a metric the registry does not know raises."""
    if len(paths) != len(identities):
        raise ValueError(f"{len(paths)} metrics files but {len(identities)} run identities")
    rows = []
    for path, identity in zip(paths, identities):
        for line in Path(path).read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            for key, value in record.items():
                direction, _, name = key.partition("_")
                if direction not in DIRECTIONS or value is None:
                    continue
                metric(name)  # a metric the registry does not know: KeyError
                rows.append([identity["task"], identity["objective"], int(identity["seed"]), int(record["step"]),
                             direction, name, float(value)])
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def variant_columns(table: pd.DataFrame) -> list[str]:
    """The columns a long table has beyond :data:`COLUMNS` that tell its datasets apart (a
    task's ``table_columns``; a sweep's parameter)."""
    return [c for c in table.columns if c not in COLUMNS]


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
    for m in METRICS.values():
        layout = variant_layout(table, m.name, objective_order, columns) if columns else \
            paper_layout(table, m.name, objective_order)
        if layout.empty:
            continue
        parts += ["", f"## {m.label}", "", markdown_table(layout)]
    positions = position_layout(table, objective_order)
    if not positions.empty:
        parts += ["", "## Accuracy at each answer position (token 1 = the first generated)", "", markdown_table(positions)]
    return "\n".join(parts) + "\n"


def _write_csv(table: pd.DataFrame, csv_path: str | Path) -> None:
    Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")


def _setting(dataset_info: dict[str, dict], column: str) -> Callable[[dict], object]:
    """An evaluation's value of ``column`` among its dataset's generator settings."""
    return lambda ev: dataset_info[ev["dataset"]]["config"][column]


def aggregate_results(question_paths: list[str | Path], csv_path: str | Path, markdown_path: str | Path,
                      objective_order: list[str], data_info: dict | None = None,
                      dataset_info: dict[str, dict] | None = None, intervals_path: str | Path | None = None,
                      resamples: int = statistics.RESAMPLES) -> pd.DataFrame:
    """From the runs' per-question tables, write the long table (CSV), with ``intervals_path`` the
    95% intervals of every cell (:func:`interval_table`, CSV), and their paper-layout twin
    (Markdown). ``data_info`` (the task's dataset's info.json) supplies the chance level where the
    task has one. A task with ``table_columns`` gets them after ``value``, each run's from its
    dataset's settings (``dataset_info``: dataset name -> info.json, the task's and its variants')."""
    questions = read_questions(question_paths)
    names = sorted(set(questions.task))
    spec = TASKS.get(names[0]) if len(names) == 1 else None
    notes = dict(spec.table_columns) if spec else {}
    if notes and dataset_info is None:
        raise ValueError(f"task {names[0]!r} records {list(notes)} per dataset: dataset_info is needed")
    extra = {c: (lambda run, c=c: dataset_info[run["dataset"]]["config"][c]) for c in notes}
    table = long_table_from_questions(questions, extra)
    task = ", ".join(names)
    csv_path, markdown_path = Path(csv_path), Path(markdown_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False, float_format="%.2f")
    intervals = interval_table(questions, extra, resamples)
    if intervals_path is not None:
        intervals.to_csv(intervals_path, index=False, float_format="%.2f")
    chance = (data_info or {}).get("chance_exact_match")
    normaliser = spec.answer_normaliser if spec else None
    text = markdown_report(table, task, objective_order, chance, notes,
                           normaliser_description(normaliser) if normaliser else None)
    block = interval_markdown(intervals, objective_order, list(extra))
    if block:
        text += ("\n## Mean [95% interval] of exact match\n\nMean over seeds and test questions; the interval resamples "
                 "the facts the questions belong to and the seeds (two-level bootstrap, "
                 f"{resamples} draws; `{GAP}`: the reversal gap, paired by fact and seed).\n\n" + block + "\n")
    markdown_path.write_text(text)
    return table


def aggregate_sweep(eval_paths: list[str | Path], parameter: str, dataset_info: dict[str, dict],
                    csv_path: str | Path) -> pd.DataFrame:
    """The long table of a sweep, with the swept ``parameter``'s value as a column, read from each
    evaluation's dataset settings (``dataset_info``: dataset name -> info.json)."""
    table = long_table(read_evaluations(eval_paths), extra={parameter: _setting(dataset_info, parameter)})
    _write_csv(table, csv_path)
    return table
