"""Measured numbers beside the paper's: verdicts, Table 4, the paper's tables, the report.

Everything here works on the long tables of :mod:`aggregation` (one row per task, objective,
seed, direction, metric; values in percent) and on the paper's cells of :mod:`paper`. A results
entry of the paper reads its task's table, restricted to the rows its ``where`` names
(:func:`entry_tables`: WikiReversal's table holds both split variants, Table 8 left and right).

- :func:`measured_cells`: mean, std and number of seeds per (metric, objective, direction).
- :func:`compare`: the paper's cells of one results entry joined with the measured ones, with a
  verdict per cell (:func:`verdict`). A cell without a measurement is "not run", never a number.
- :func:`classify` / :func:`table4`: the paper's qualitative ✓ / ~ / ✗ summary from measured
  numbers and thresholds stated in the config.
- :func:`paper_table_blocks`, :func:`table_markdown`, :func:`table_latex`: the paper's tables
  (Markdown and LaTeX with booktabs), measured mean ± std beside the paper's numbers.
- :func:`write_report`: ``results/<preset>/report.md``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..answers import normaliser_description
from ..tasks import TASKS
from . import paper as paper_ref
from .html import markdown_to_html
from .tables import read_curves

NOT_RUN = "not run"
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NO_PAPER_NUMBER = "no paper number"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_RUN, NO_PAPER_NUMBER)
DIRECTION_ORDER = ("forward", "backward", "both")
DIRECTION_LABELS = {"forward": "forward", "backward": "backward", "both": "forward & backward"}
MEASURED_COLUMNS = ["metric", "objective", "direction", "mean", "std", "seeds"]
METRIC_LABELS = {"exact_match": "exact match", "token_accuracy": "per-token accuracy",
                 "incorrect_inference": "incorrect inference"}


# --------------------------------------------------------------------------- measured cells


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


# --------------------------------------------------------------------------- verdicts


def verdict(measured: float | None, paper: float | None, tolerance: float) -> str:
    """``reproduced`` when ``|measured - paper| <= tolerance`` (percentage points); ``not run``
    without a measurement; ``no paper number`` when the paper gives none."""
    if measured is None or pd.isna(measured):
        return NOT_RUN
    if paper is None or pd.isna(paper):
        return NO_PAPER_NUMBER
    return REPRODUCED if abs(measured - paper) <= tolerance + 1e-9 else NOT_REPRODUCED


def _order(values, preferred) -> list:
    values = list(dict.fromkeys(values))
    return [v for v in preferred if v in values] + [v for v in values if v not in preferred]


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
    metrics = _order(joined.metric, list(paper.metric.drop_duplicates()))
    objectives = _order(joined.objective, objective_order or list(paper.objective.drop_duplicates()))
    joined["_m"] = joined.metric.map(metrics.index)
    joined["_o"] = joined.objective.map(objectives.index)
    joined["_d"] = joined.direction.map(lambda d: DIRECTION_ORDER.index(d) if d in DIRECTION_ORDER else len(DIRECTION_ORDER))
    joined = joined.sort_values(["_m", "_o", "_d"]).drop(columns=["_m", "_o", "_d"]).reset_index(drop=True)
    return joined[["metric", "objective", "direction", "measured", "std", "seeds", "paper", "difference", "verdict"]]


def comparison_strings(comparison: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare`'s rows as the report prints them (a missing measurement reads "not run")."""
    return pd.DataFrame({
        "metric": [METRIC_LABELS.get(m, m) for m in comparison.metric],
        "objective": comparison.objective,
        "direction": [DIRECTION_LABELS.get(d, d) for d in comparison.direction],
        "measured": [format_mean_std(m, s) for m, s in zip(comparison.measured, comparison["std"])],
        "paper": [format_paper(p) for p in comparison.paper],
        "difference": [format_difference(d) for d in comparison.difference],
        "verdict": comparison.verdict,
    })


# --------------------------------------------------------------------------- Table 4


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


def table4(measured: dict[str, pd.DataFrame], success: float, failure: float,
           chance: dict[str, float | None] | None = None, metric: str = "exact_match") -> pd.DataFrame:
    """Measured Table 4: one row per (objective, results entry) with its symbols, ``"✓/✗"`` for
    forward/backward (one symbol where the task asks one direction).

    ``measured`` maps a results entry to its :func:`measured_cells`; ``chance`` its chance level."""
    chance = chance or {}
    rows = []
    for name, cells in measured.items():
        sub = cells[(cells.metric == metric) & cells.direction.isin(["forward", "backward"])]
        for objective in sub.objective.drop_duplicates():
            o = sub[sub.objective == objective].set_index("direction")["mean"]
            symbols = [classify(o[d], success, failure, chance.get(name)) for d in ("forward", "backward") if d in o.index]
            rows.append([objective, name, "/".join(symbols)])
    return pd.DataFrame(rows, columns=["objective", "results", "measured"])


def compare_table4(measured: pd.DataFrame, paper_symbols: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Measured Table 4 (:func:`table4`) beside the paper's symbols; verdict "reproduced" when the
    symbols agree."""
    found = {(o, r): s for o, r, s in zip(measured.objective, measured.results, measured.measured)}
    keys = list(paper_symbols) + [k for k in found if k not in paper_symbols]
    rows = []
    for key in keys:
        m, p = found.get(key), paper_symbols.get(key)
        if m is None:
            v = NOT_RUN
        elif p is None:
            v = NO_PAPER_NUMBER
        else:
            v = REPRODUCED if m == p else NOT_REPRODUCED
        rows.append([key[0], key[1], m if m is not None else NOT_RUN, p if p is not None else "–", v])
    return pd.DataFrame(rows, columns=["objective", "results", "measured", "paper", "verdict"])


def table4_grid(comparison: pd.DataFrame, objective_order: list[str], entries: list[str]) -> pd.DataFrame:
    """Objectives as rows, results entries as columns; cells ``measured (paper p)``."""
    objectives = _order(comparison.objective, objective_order)
    grid = pd.DataFrame("", index=objectives, columns=entries)
    for o, r, m, p in zip(comparison.objective, comparison.results, comparison.measured, comparison.paper):
        if r in grid.columns:
            grid.loc[o, r] = m if p == "–" else f"{m} (paper {p})"
    grid = grid.replace("", NOT_RUN)
    grid.index.name = "objective"
    return grid


# --------------------------------------------------------------------------- the paper's tables


def paper_table_blocks(reference: dict, table_id: str, measured: dict[str, pd.DataFrame | None],
                       cells: pd.DataFrame | None = None) -> list[tuple[str, pd.DataFrame]]:
    """The paper's table ``table_id`` as (block title, frame) pairs. Frames: objectives as
    columns; rows per direction, measured (mean ± std, "not run" without a measurement) followed by
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
        objectives = _order(list(p.objective) + (list(m.objective) if m is not None else []),
                            paper_ref.objective_order(reference))
        measured_dirs = [d for d in (m.direction if m is not None else []) if d != "both" or "both" in set(p.direction)]
        directions = _order(list(p.direction) + measured_dirs, DIRECTION_ORDER)  # "both" only where the paper has it
        rows, index = [], []
        for d in directions:
            row = []
            for o in objectives:
                hit = m[(m.objective == o) & (m.direction == d)] if m is not None else pd.DataFrame()
                row.append(format_mean_std(hit["mean"].iloc[0], hit["std"].iloc[0]) if len(hit) else NOT_RUN)
            rows.append(row)
            index.append(DIRECTION_LABELS.get(d, d) + (" (mean)" if d == "both" else ""))
            if d in set(p.direction):
                values = p[p.direction == d].set_index("objective")["paper"]
                rows.append([format_paper(values.get(o)) for o in objectives])
                index.append(f"{DIRECTION_LABELS.get(d, d)} (paper)")
        frame = pd.DataFrame(rows, index=index, columns=objectives)
        frame.index.name = ""
        label = METRIC_LABELS.get(metric, metric)
        title = f"{name}, {entry['source']}: {label}" + ("" if m is not None else f" ({NOT_RUN})")
        if p.empty:
            title = f"{name}: {label} (the paper's numbers are not in paper_reference.yaml)"
        blocks.append((title, frame))
    return blocks


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join([frame.index.name or ""] + [str(c) for c in frame.columns]) + " |"
    rule = "|" + "---|" * (len(frame.columns) + 1)
    body = ["| " + " | ".join([str(i)] + [str(v) for v in row]) + " |" for i, row in zip(frame.index, frame.values)]
    return "\n".join([header, rule, *body])


def table_markdown(reference: dict, table_id: str, blocks: list[tuple[str, pd.DataFrame]], preset: str,
                   seeds: list[int]) -> str:
    caption = reference["tables"][table_id]["caption"]
    number = table_id.removeprefix("table")
    parts = [f"# Table {number}: {caption}", "",
             f"Measured at preset `{preset}`, seeds {', '.join(map(str, seeds))} "
             f"({'mean ± std over seeds' if len(seeds) > 1 else 'one seed'}); rows marked (paper) hold the "
             f"paper's numbers. \"{NOT_RUN}\": no measurement; \"–\": the paper gives no number."]
    for title, frame in blocks:
        parts += ["", f"## {title}", "", _markdown(frame)]
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
    objectives = _order([o for _, f in blocks for o in f.columns], paper_ref.objective_order(reference))
    heads = [paper_ref.objective_label(reference, o) if header_labels else o for o in objectives]
    n = len(objectives) + 1
    caption = reference["tables"][table_id]["caption"]
    spread = "mean $\\pm$ std over seeds" if len(seeds) > 1 else "one seed"
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


def table4_markdown(grid: pd.DataFrame, success: float, failure: float, preset: str, seeds: list[int]) -> str:
    return "\n".join([
        "# Table 4: qualitative summary (forward/backward), computed from the measured exact match", "",
        f"Measured at preset `{preset}`, seeds {', '.join(map(str, seeds))}. ✓: exact match ≥ {success:g}%; "
        f"✗: below {failure:g}%; ~: between (on a task with a chance level, the share of the way from chance "
        "to 100%). In parentheses the paper's Table 4 where it is known. "
        f"\"{NOT_RUN}\": no measurement.", "", _markdown(grid)]) + "\n"


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


def _read_tables(reference: dict, table_paths: list[str | Path]) -> dict[str, pd.DataFrame]:
    """Long tables by results entry (:func:`entry_tables`) from the tasks' ``tables/<task>.csv``."""
    return entry_tables(reference, {Path(p).stem: pd.read_csv(p) for p in table_paths})


def write_markdown(path: str | Path, text: str, title: str) -> None:
    """``text`` as Markdown at ``path`` and as a rendered HTML page beside it (same name, ``.html``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.with_suffix(".html").write_text(markdown_to_html(text, title))


def write_paper_table(reference: dict, table_id: str, table_paths: list[str | Path], markdown_path: str | Path,
                      latex_path: str | Path, preset: str, seeds: list[int]) -> list[tuple[str, pd.DataFrame]]:
    """The paper's table ``table_id`` from the measured long tables (``tables/<task>.csv``; entries
    without one read "not run"), as Markdown (and its HTML page) and as LaTeX."""
    measured = {name: measured_cells(t) for name, t in _read_tables(reference, table_paths).items()}
    blocks = paper_table_blocks(reference, table_id, measured)
    write_markdown(markdown_path, table_markdown(reference, table_id, blocks, preset, seeds),
                   f"{table_id.replace('table', 'Table ')} ({preset})")
    Path(latex_path).write_text(table_latex(reference, table_id, blocks, preset, seeds))
    return blocks


def write_table4(reference: dict, table_paths: list[str | Path], chance: dict[str, float | None], success: float,
                 failure: float, markdown_path: str | Path, latex_path: str | Path, preset: str,
                 seeds: list[int]) -> pd.DataFrame:
    """Table 4 computed from the measured long tables, beside the paper's symbols (Markdown, LaTeX)."""
    measured = {name: measured_cells(t) for name, t in _read_tables(reference, table_paths).items()}
    comparison = compare_table4(table4(measured, success, failure, chance), paper_ref.table4_symbols(reference))
    entries = list(measured) + [r for r in dict.fromkeys(comparison.results) if r not in measured]
    grid = table4_grid(comparison, paper_ref.objective_order(reference), entries)
    write_markdown(markdown_path, table4_markdown(grid, success, failure, preset, seeds), f"Table 4 ({preset})")
    Path(latex_path).write_text(table4_latex(grid, success, failure, preset))
    return comparison


# --------------------------------------------------------------------------- runs: time and hardware


def read_benchmark(path: str | Path | None) -> dict | None:
    """The first row of a Snakemake benchmark TSV (``s``, ``max_rss``, ``cpu_time``, ...); ``None``
    if there is none (e.g. the job ran before benchmarks were recorded)."""
    if path is None or not Path(path).exists():
        return None
    frame = pd.read_csv(path, sep="\t")
    return frame.iloc[0].to_dict() if len(frame) else None


def run_record(identity: dict, run_info_path: str | Path, train_benchmark: str | Path | None = None,
               eval_benchmark: str | Path | None = None) -> dict:
    """One training run's size, hardware and timing, from its run.json and benchmark files."""
    info = json.loads(Path(run_info_path).read_text())
    train = read_benchmark(train_benchmark) or {}
    evaluation = read_benchmark(eval_benchmark) or {}
    return {
        "task": identity["task"], "dataset": identity.get("dataset", identity["task"]),
        "objective": identity["objective"], "seed": int(identity["seed"]),
        "steps": info.get("train_config", {}).get("steps"),
        "parameters": info.get("parameters"),
        "architecture": info.get("model_config", {}).get("architecture"),
        # the device, with the GPU's or CPU's model where run.json names it
        "device": f"{info.get('device')}: {info['device_name']}" if info.get("device_name") else info.get("device"),
        "host": info.get("host"), "threads": info.get("threads"),
        "torch": info.get("torch"), "git_commit": info.get("git_commit"),
        "train_loop_s": info.get("train_seconds_this_session"),
        "train_job_s": train.get("s"), "train_cpu_s": train.get("cpu_time"), "train_max_rss_mb": train.get("max_rss"),
        "eval_job_s": evaluation.get("s"),
    }


def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def runs_markdown(runs: pd.DataFrame) -> str:
    frame = pd.DataFrame({
        "task": runs.dataset, "objective": runs.objective, "seed": runs.seed,
        "steps": [_num(v) for v in runs.steps], "parameters": [_num(v) for v in runs.parameters],
        "device": runs.device, "host": runs.host, "threads": runs.threads,
        "training job (s)": [_num(v) for v in runs.train_job_s],
        "training loop (s)": [_num(v, 1) for v in runs.train_loop_s],
        "CPU time (s)": [_num(v) for v in runs.train_cpu_s],
        "peak RSS (MB)": [_num(v) for v in runs.train_max_rss_mb],
        "evaluation job (s)": [_num(v) for v in runs.eval_job_s],
    }).set_index("task")
    frame.index.name = "task"
    return _markdown(frame)


# --------------------------------------------------------------------------- learning curves


def curve_observations(curves: pd.DataFrame, metric: str = "exact_match") -> pd.DataFrame:
    """Per (task, objective, direction), from the mean over seeds of validation accuracy during
    training: the final value, the first step reaching 90% of it, and the gain over the last
    quarter of training (still rising if positive)."""
    sub = curves[curves.metric == metric]
    rows = []
    present = set(zip(sub.task, sub.objective, sub.direction))
    keys = [(t, o, d) for t in dict.fromkeys(sub.task) for o in dict.fromkeys(sub.objective)
            for d in _order(sub.direction, DIRECTION_ORDER) if (t, o, d) in present]
    for task, objective, direction in keys:
        g = sub[(sub.task == task) & (sub.objective == objective) & (sub.direction == direction)]
        mean = g.groupby("step")["value"].mean().sort_index()
        final, last = mean.iloc[-1], mean.index[-1]
        reached = mean[mean >= 0.9 * final]
        earlier = mean[mean.index <= 0.75 * last]
        rows.append({"task": task, "objective": objective, "direction": direction, "final": final, "last_step": last,
                     "step_90": reached.index[0] if final > 0 and len(reached) else math.nan,
                     "gain_last_quarter": final - earlier.iloc[-1] if len(earlier) else math.nan})
    return pd.DataFrame(rows, columns=["task", "objective", "direction", "final", "last_step", "step_90", "gain_last_quarter"])


def dominance(curves: pd.DataFrame, leader: str, others: list[str], metric: str = "exact_match") -> pd.DataFrame:
    """Per (other objective, direction): at how many of the common evaluation steps ``leader``'s
    mean accuracy is at least the other's."""
    sub = curves[curves.metric == metric]
    mean = sub.groupby(["objective", "direction", "step"])["value"].mean()
    rows = []
    for other in others:
        for direction in _order(sub.direction, DIRECTION_ORDER):
            try:
                a, b = mean.loc[(leader, direction)], mean.loc[(other, direction)]
            except KeyError:
                continue
            steps = a.index.intersection(b.index)
            rows.append({"other": other, "direction": direction, "evaluations": len(steps),
                         "leader_at_least": int((a[steps] >= b[steps]).sum())})
    return pd.DataFrame(rows, columns=["other", "direction", "evaluations", "leader_at_least"])


# --------------------------------------------------------------------------- the report


def run_curves(runs: list[dict], tasks: list[str], objectives: list[str]) -> pd.DataFrame:
    """:func:`aggregation.read_curves` of the runs (dicts with task, objective, seed, metrics) of
    the given tasks and objectives."""
    picked = [r for r in runs if r["task"] in tasks and r["objective"] in objectives
              and r.get("dataset", r["task"]) == r["task"]]  # the task's own runs, not its variants
    return read_curves([r["metrics"] for r in picked], picked)


def figure_observations(figure: dict, runs: list[dict]) -> list[str]:
    """Sentences with numbers read off a learning-curve figure's runs (none for other figures)."""
    kind = figure.get("observe")
    if not kind:
        return []
    tasks = figure.get("tasks") or [figure["task"]]
    data = run_curves(runs, tasks, figure["objectives"])
    if data.empty:
        return []
    out = []
    if kind == "dominance":
        leader = figure["leader"]
        for row in dominance(data, leader, figure["others"]).itertuples():
            out.append(f"{leader} at or above {row.other} ({row.direction}) at {row.leader_at_least} of "
                       f"{row.evaluations} evaluations.")
    elif kind == "delay":
        for row in curve_observations(data).itertuples():
            reach = "never above 0" if pd.isna(row.step_90) else f"90% of that first reached at step {row.step_90:g}"
            out.append(f"{row.task}, {row.objective}, {row.direction}: {row.final:.1f}% at step {row.last_step:g} "
                       f"({reach}; {row.gain_last_quarter:+.1f} points over the last quarter of training).")
    return out


def _verdict_counts(verdicts: pd.Series, keep_zero: bool = True) -> str:
    counts = verdicts.value_counts()
    return ", ".join(f"{v} {int(counts.get(v, 0))}" for v in VERDICTS if keep_zero or counts.get(v, 0))


def write_report(
    path: str | Path,
    *,
    reference: dict,
    preset: str,
    seeds: list[int],
    task_objectives: dict[str, list[str]],
    tables: dict[str, str | Path],
    data_info: dict[str, dict],
    runs: list[dict],
    tolerance: float,
    success: float,
    failure: float,
    figures: list[dict],
    paper_tables: list[str],
    implemented_tasks: list[str],
    defined_objectives: list[str],
    comparison_path: str | Path | None = None,
) -> str:
    """Write ``report.md`` (links relative to its folder) and its HTML page ``report.html``, and
    with ``comparison_path`` every compared cell as CSV; return the Markdown.

    ``task_objectives``: the tasks run and their objectives; ``tables``: task -> long-table CSV;
    ``data_info``: task -> its dataset's info.json; ``runs``: one dict per training run with
    task, objective, seed and the paths run_info (run.json), metrics (metrics.jsonl),
    train_benchmark and eval_benchmark (and ``dataset`` for a run of a task's variant); ``figures``: :func:`figures.figure_specs` with ``path``
    (relative to the report) added; ``paper_tables``: the paper-layout tables' paths."""
    cells = paper_ref.paper_cells(reference)
    measured_tables = entry_tables(reference, {name: pd.read_csv(p) for name, p in tables.items()})
    measured = {name: measured_cells(t) for name, t in measured_tables.items()}
    order = paper_ref.objective_order(reference)
    chance = {name: data_info.get(entry_task(reference, name), {}).get("chance_exact_match") for name in measured}
    comparisons = {name: compare(cells[cells.results == name], measured.get(name), tolerance, order)
                   for name in reference["results"]}
    all_rows = pd.concat(list(comparisons.values()), ignore_index=True)
    paper = reference["paper"]

    lines = [f"# Reproduction report: {paper['title']}", "",
             f"{paper['authors']}, {paper['venue']}, arXiv {paper['arxiv']}. Written by the pipeline (rule "
             "`write_report`) from the runs listed at the end; the paper's numbers are in "
             "`workflow/paper_reference.yaml`.", "", "## What was run", "",
             f"- Preset **{preset}**; training seeds {', '.join(map(str, seeds))} "
             f"({'mean ± std over seeds' if len(seeds) > 1 else 'one seed, so no spread over seeds'}); "
             f"{len(runs)} training runs.",
             "- Tasks and objectives:"]
    for task, objectives in task_objectives.items():
        variants = list(dict.fromkeys(r["dataset"] for r in runs if r["task"] == task and r.get("dataset", task) != task))
        lines.append(f"  - `{task}`: {', '.join(objectives)}"
                     + (f"; also on its variant(s) {', '.join(f'`{v}`' for v in variants)}" if variants else ""))
    not_run = []
    for name, entry in reference["results"].items():
        if name not in measured_tables:
            if entry["task"] in tables:
                why = (f"not run: `tables/{entry['task']}.csv` has no rows with {json.dumps(entry.get('where', {}))} "
                       "(see `variants` in config.yaml)")
            elif entry["task"] in implemented_tasks:
                why = "not run in this configuration (add the task to `tasks` in config.yaml)"
            else:
                why = "not run: the task is not implemented in this pipeline"
            not_run.append(f"- `{name}` ({entry['source']}; {entry['setting']}): {why}.")
    missing = [o for o in reference["objectives"] if o not in defined_objectives]
    not_run += [f"- {paper_ref.objective_label(reference, o)} (`{o}`): not implemented in this pipeline."
                for o in missing]
    for name, c in comparisons.items():
        absent = [o for o in dict.fromkeys(c.objective[c.verdict == NOT_RUN]) if o not in missing]
        if name in measured_tables and absent:
            not_run.append(f"- `{name}`: the paper's {', '.join(absent)} not among this task's objectives here.")
    lines += ["", "## What was not run", ""] + (not_run or ["- Nothing: every task and objective the paper reports ran."])
    lines += ["", "Sizes differ from the paper's: each task's section below gives its data settings here and in the "
              "paper; [Runs](#runs-time-and-hardware) gives model sizes, steps, time and hardware."]

    lines += ["", "## Which questions each number comes from", "",
              "- Every table cell, verdict and Table 4 symbol: the **test** split, scored once after training.",
              "- Learning curves (Figures 4a and 7, the curve observations) and every choice of settings: the "
              "**validation** split, held-out questions of other facts than test's (at least 50 per direction "
              "where a task has that many; `tasks.split_validation`).",
              "- Entity PCA (Figures 4b, 4c): entities of training statements; \"held-out\" marks facts whose "
              "questions were not trained on (validation or test)."]

    lines += ["", "## How cells are judged", "",
              f"- **reproduced**: the measured mean over seeds is within **{tolerance:g} percentage points** of the "
              "paper's number (`report.tolerance_points` in config.yaml); **not reproduced**: further away.",
              "- **not run**: nothing measured (task, objective or seed not run); such a cell never shows a number.",
              "- **no paper number**: measured here; the paper's notes give no number for it.",
              "- Where the paper gives one number for a question pair (incorrect inference), it is compared with the "
              "mean of the measured forward and backward values (\"forward & backward\").",
              f"- Table 4: ✓ exact match ≥ {success:g}%, ✗ below {failure:g}%, ~ between (`report.table4`); on a task "
              "with a chance level, accuracy is first taken above chance: 100·(acc − chance)/(100 − chance).",
              "", f"All cells: {_verdict_counts(all_rows.verdict)}."]

    lines += ["", "## Results beside the paper"]
    for name, entry in reference["results"].items():
        c = comparisons[name]
        lines += ["", f"### {name}: {entry['source']}" + ("" if name in measured_tables else f" ({NOT_RUN})"), "",
                  f"- Paper: {entry['setting']}."]
        if name in measured_tables:
            task = entry["task"]
            settings = {**data_info.get(task, {}).get("config", {}), **entry.get("where", {})}
            settings = json.dumps(settings, separators=(", ", ": "))
            level = chance.get(name)
            lines.append(f"- Here: `{settings}`" + (f"; chance level {level:g}%" if level is not None else "") + ".")
            seeds_here = sorted(int(s) for s in measured_tables[name].seed.unique())
            lines.append(f"- Seeds: {', '.join(map(str, seeds_here))}; all metrics: [tables/{task}.md](tables/{task}.md).")
            normaliser = TASKS[task].answer_normaliser if task in TASKS else None
            if normaliser is not None:
                lines.append(f"- Exact match here: {normaliser_description(normaliser)}")
        lines.append(f"- Verdicts: {_verdict_counts(c.verdict, keep_zero=False)}.")
        lines += [f"- Note: {note}" for note in entry.get("notes", []) + entry.get("not_stated", [])]
        lines += ["", _markdown(comparison_strings(c).set_index("metric"))]
    for task in [t for t in measured_tables if t not in reference["results"]]:
        lines += ["", f"### {task}", "", f"The paper's notes hold no numbers for this task: [tables/{task}.md](tables/{task}.md)."]

    t4 = compare_table4(table4(measured, success, failure, chance), paper_ref.table4_symbols(reference))
    compared = t4[t4.paper != "–"]
    entries = list(measured) + [r for r in dict.fromkeys(t4.results) if r not in measured]
    lines += ["", "## Table 4: qualitative summary", "",
              "Forward/backward symbols computed from the measured exact match (thresholds above); in parentheses the "
              "paper's Table 4, whose rows for MLM-U and AR the notes give "
              f"([tables/paper/table4.md](tables/paper/table4.md)). Against the paper: {_verdict_counts(compared.verdict, False)}.",
              "", _markdown(table4_grid(t4, order, entries))]
    differ = compared[compared.verdict == NOT_REPRODUCED]
    if len(differ):
        lines += ["", "Not reproduced: " + "; ".join(f"{o} on {r} ({m} here, {p} in the paper)"
                                                     for o, r, m, p in zip(differ.objective, differ.results, differ.measured, differ.paper)) + "."]

    lines += ["", "## Figures", ""]
    claims = reference.get("figures") or {}
    for figure in figures:
        lines.append(f"- **{figure['id']}** [{figure['path']}]({figure['path']}): {figure['caption']}")
        if figure["id"] in claims:
            lines.append(f"  - Paper: {claims[figure['id']]}")
        lines += [f"  - Here: {o}" for o in figure_observations(figure, runs)]
    lines += ["", "## Tables", "",
              "The paper's tables in its layout, measured beside the paper's numbers (Markdown; LaTeX with booktabs beside each):", ""]
    lines += [f"- [{Path(p).name}]({p})" for p in paper_tables]
    lines.append("- Each task with all its metrics: " + ", ".join(f"[{t}](tables/{t}.md)" for t in tables))

    lines += ["", "## Runs: time and hardware", "",
              "From each run's `run.json` (parameters, device and its model, host, threads, the training loop's own seconds) and the "
              "Snakemake benchmark files in `benchmarks/` (each job's wall time, CPU time, peak memory). A resumed "
              "run's training loop counts only its last session; \"–\": no benchmark file.", ""]
    records = [run_record(r, r["run_info"], r.get("train_benchmark"), r.get("eval_benchmark")) for r in runs]
    if records:
        frame = pd.DataFrame(records)
        lines.append(runs_markdown(frame))
        total = pd.to_numeric(frame.train_job_s, errors="coerce").sum() + pd.to_numeric(frame.eval_job_s, errors="coerce").sum()
        machines = sorted({f"{h} ({d}, {t} thread{'' if t == 1 else 's'} per job)"
                           for h, d, t in zip(frame.host, frame.device, frame.threads)})
        lines += ["", f"Training and evaluation jobs together: {total:,.0f} s ({total / 3600:.2f} h) on {', '.join(machines)}."]
        commits = sorted({c for c in frame.git_commit if c})
        if commits:
            lines.append(f"Code version of the runs (git commit): {', '.join(c[:12] for c in commits)}.")
    text = "\n".join(lines) + "\n"
    write_markdown(path, text, f"Reproduction report ({preset})")
    if comparison_path is not None:  # every measured cell beside the paper's, as one CSV
        all_rows.to_csv(comparison_path, index=False)
    return text
