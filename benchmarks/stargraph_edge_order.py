"""Diagnostic: star-graph exact match by the order in which a test line lists the path's edges.

    .venv/bin/python benchmarks/stargraph_edge_order.py [results/tiny]

For every star-graph run of a results folder, splits the test questions by whether the edge that
enters the goal is listed before the path's first edge (the one leaving the start), and prints
exact match (with the question count) on each side. Reads the run's predictions.jsonl and the
dataset's test.parquet (the same order); writes nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from factorization_curse.data import load_split  # noqa: E402
from factorization_curse.tasks.stargraph import parse_line  # noqa: E402


def goal_edge_listed_first(prompt: str, answer: str) -> bool:
    """Whether the line lists the edge into the goal before the path's edge out of the start."""
    graph = parse_line(prompt.replace(" ", "") + answer.replace(" ", ","))
    first, last = (graph.path[0], graph.path[1]), (graph.path[-2], graph.path[-1])
    return graph.edges.index(last) < graph.edges.index(first)


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "tiny"
    test = load_split(results / "data" / "stargraph", "test")
    order = [goal_edge_listed_first(r["prompt"], r["answer"]) for r in test]
    print(f"{'objective':12} {'seed':>4}  goal edge first      start edge first     all")
    for run in sorted((results / "runs" / "stargraph").glob("*/seed*")):
        if not (run / "predictions.jsonl").exists():
            continue  # not evaluated (yet)
        predictions = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines() if line]
        if len(predictions) != len(test):
            raise SystemExit(f"{run}: {len(predictions)} predictions for {len(test)} test questions")
        cells = []
        for side in (True, False, None):
            chosen = [p["exact_match"] for p, o in zip(predictions, order) if side is None or o == side]
            cells.append(f"{100 * sum(chosen) / max(len(chosen), 1):5.1f}% of {len(chosen):4d}")
        print(f"{run.parent.name:12} {run.name[4:]:>4}  " + "   ".join(cells))


if __name__ == "__main__":
    main()
