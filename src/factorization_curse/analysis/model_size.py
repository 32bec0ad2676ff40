"""The model-size sweep's table: exact match (and every other metric) of each objective at each
model size, forward and backward, with 95% intervals over facts and seeds, beside the number of
parameters each size trained (from its runs' run.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..runtime import atomic_write_text
from .markdown import markdown_table, write_markdown
from .tables import interval_table, read_questions

SIZE_COLUMNS = ["base", "n_layer", "d_model", "parameters"]  # after the intervals table's task and objective


def model_size_table(questions: pd.DataFrame, points: list[dict], parameters: dict[str, int]) -> pd.DataFrame:
    """The intervals table of the sweep's runs with, per objective, the objective it scales
    (``base``), its depth and width and its parameter count; rows ordered by base, then size."""
    intervals = interval_table(questions)
    by_id = {p["objective"]: p for p in points}
    size = pd.DataFrame([{"objective": oid, "base": p["base"], "n_layer": p["model"].get("n_layer"),
                          "d_model": p["model"].get("d_model"), "parameters": parameters.get(oid)}
                         for oid, p in by_id.items()])
    table = intervals.merge(size, on="objective", how="inner")
    order = {oid: i for i, oid in enumerate(by_id)}
    table = table.sort_values(["objective"], key=lambda c: c.map(order), kind="stable")
    columns = ["task", "objective", *SIZE_COLUMNS] + [c for c in intervals.columns if c not in ("task", "objective")]
    return table[columns].reset_index(drop=True)


def _count(parameters) -> str:
    if pd.isna(parameters):
        return ""
    return f"{parameters / 1e6:.2f}M" if parameters >= 1e5 else f"{parameters / 1e3:.1f}k"


def model_size_markdown(table: pd.DataFrame, metric: str = "exact_match") -> str:
    sub = table[(table.metric == metric) & table.direction.isin(["forward", "backward"])]
    cells = {}
    for (objective, direction), row in sub.set_index(["objective", "direction"]).iterrows():
        key = (row.base, int(row.n_layer), int(row.d_model), row.parameters)
        cells.setdefault(key, {})[direction] = f"{row['mean']:.1f} [{row.low:.1f}, {row.high:.1f}]"
    frame = pd.DataFrame([{"objective": base, "layers": layers, "width": width,
                           "parameters": _count(parameters),
                           **values} for (base, layers, width, parameters), values in cells.items()])
    first = sub.iloc[0] if len(sub) else None
    header = (f"# Model-size sweep: {metric.replace('_', ' ')} on {first.task} ({first.facts} facts, {first.seeds} "
              "seed(s)), mean [95% interval]\n") if first is not None else "# Model-size sweep\n"
    return header + "\n" + markdown_table(frame.set_index("objective")) + "\n"


def write_model_size_tables(question_paths, run_info_paths, points: list[dict], csv_path, markdown_path) -> pd.DataFrame:
    parameters = {}
    for path in run_info_paths:
        info = json.loads(Path(path).read_text())
        parameters[info["objective"]["id"]] = info["parameters"]
    table = model_size_table(read_questions(question_paths), points, parameters)
    atomic_write_text(Path(csv_path), table.to_csv(index=False, float_format="%.2f"))
    write_markdown(markdown_path, model_size_markdown(table), "Model-size sweep")
    return table
