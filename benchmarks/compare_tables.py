"""Compare the long tables of two result folders cell by cell (a refactoring must change no number).

    python benchmarks/compare_tables.py results/tiny /other/clone/results/tiny

Reads every ``tables/<task>.csv`` (the long tables: task, objective, seed, direction, metric,
value [, variant columns]) present in both folders, joins them on every column but ``value`` and
prints, per table, how many cells agree exactly, differ, or exist on one side only. Exit status 1
when any cell differs or is missing on one side.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def compare(a: Path, b: Path) -> int:
    problems = 0
    names = sorted({p.name for p in (a / "tables").glob("*.csv")} & {p.name for p in (b / "tables").glob("*.csv")})
    long_tables = [n for n in names if list(pd.read_csv(a / "tables" / n, nrows=0).columns)[:6]
                   == ["task", "objective", "seed", "direction", "metric", "value"]]
    if not long_tables:
        print(f"no long tables in both {a}/tables and {b}/tables")
        return 1
    for name in long_tables:
        left, right = pd.read_csv(a / "tables" / name), pd.read_csv(b / "tables" / name)
        keys = [c for c in left.columns if c != "value"]
        if list(left.columns) != list(right.columns):
            print(f"{name}: columns differ: {list(left.columns)} vs {list(right.columns)}")
            problems += 1
            continue
        joined = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
        both = joined[joined._merge == "both"]
        differ = both[both.value_a != both.value_b]
        only = joined[joined._merge != "both"]
        print(f"{name}: {len(both)} cells in both, {len(both) - len(differ)} identical, {len(differ)} differ, "
              f"{len(only)} on one side only")
        for _, row in differ.head(10).iterrows():
            print("   ", {k: row[k] for k in keys}, row.value_a, "->", row.value_b)
        problems += len(differ) + len(only)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(Path(sys.argv[1]), Path(sys.argv[2])))
