"""Where did each run's validation curve flatten? Evidence for (not a choice of) a smaller budget.

    .venv/bin/python benchmarks/curve_plateau.py results/tiny/runs/relationship
    .venv/bin/python benchmarks/curve_plateau.py results/tiny/runs --tolerance 5

Reads every finished run's ``<dataset>/<objective>/seed<k>/metrics.jsonl`` below the given folders
(the learning curves training writes: validation split, never test) and reports, per run and direction, the first
evaluated step from which validation exact match stays within ``--tolerance`` points of its value
at the end of training, and that step as a share of the budget. A share near 1 says the curve was
still moving when training stopped (a smaller budget would change the result); a small share says
the last part of the budget changed nothing on validation. Per (dataset, objective): the largest
share over seeds and directions, i.e. how much of the budget the slowest curve needed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def settled_step(steps: list[int], values: list[float], tolerance: float) -> int:
    """The first step after which every value lies within ``tolerance`` of the last one."""
    final = values[-1]
    settled = steps[-1]
    for step, value in zip(reversed(steps), reversed(values)):
        if abs(value - final) > tolerance:
            break
        settled = step
    return settled


def curves(folders: list[Path]) -> pd.DataFrame:
    rows = []
    for folder in folders:
        for path in sorted(folder.glob("**/metrics.jsonl")):
            run = path.parent
            if not (run / "run.json").exists():
                continue  # still training: its curve has no end yet
            points = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            for key in sorted({k for p in points for k in p if k.endswith("_exact_match")}):
                kept = [p for p in points if key in p]
                rows.append({"dataset": run.parent.parent.name, "objective": run.parent.name, "seed": run.name,
                             "direction": key.removesuffix("_exact_match"), "steps": [p["step"] for p in kept],
                             "values": [p[key] for p in kept]})
    return pd.DataFrame(rows)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", type=Path, help="run folders (e.g. results/tiny/runs/relationship)")
    p.add_argument("--tolerance", type=float, default=5.0, help="points of exact match")
    args = p.parse_args(argv)
    frame = curves(args.folders)
    if frame.empty:
        raise SystemExit(f"no metrics.jsonl below {', '.join(map(str, args.folders))}")
    frame["budget"] = frame.steps.map(lambda s: s[-1])
    frame["final"] = frame["values"].map(lambda v: v[-1])
    frame["settled_at"] = [settled_step(s, v, args.tolerance) for s, v in zip(frame.steps, frame["values"])]
    frame["share"] = (frame.settled_at / frame.budget).round(2)
    runs = frame.drop(columns=["steps", "values"])
    print(runs.to_string(index=False))
    slowest = runs.groupby(["dataset", "objective"]).share.max().rename("slowest_share").reset_index()
    print(f"\nper run, the slowest curve (seeds and directions) settled within {args.tolerance:g} points at this "
          "share of the budget:")
    print(slowest.to_string(index=False))
    return runs


if __name__ == "__main__":
    main()
