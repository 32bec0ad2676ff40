"""A long table (:mod:`.tables`) in the paper's layouts; cells are mean ± std over seeds.
:func:`paper_layout`: objectives as columns, directions as rows (the paper's Table 1);
:func:`variant_layout`: objectives as rows, (variant, direction) as columns (the paper's Table 8,
for a table with variant columns); :func:`position_layout`: accuracy at each answer position.
"""

from __future__ import annotations

import pandas as pd

from ..metrics import DIRECTIONS, POSITION_PREFIX


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
    sub = table[table.metric.str.startswith(POSITION_PREFIX)].copy()
    sub["position"] = sub.metric.str.removeprefix(POSITION_PREFIX).astype(int)
    cells = sub.groupby(["direction", "position", "objective"])["value"].apply(mean_std).unstack("objective")
    columns = [o for o in objective_order if o in cells.columns]
    cells = cells.reindex(columns=columns)
    cells.index = [f"{d} {p}" for d, p in cells.index]
    cells.index.name = "direction, position"
    return cells
