"""The paired comparisons the paper makes, on the same test questions: each objective against a
reference objective (MLM-U by default) per direction, and forward against backward within each
model (the reversal gap), as ``tables/comparisons.csv``.

Both sides of a comparison answer the same questions (the datasets do not depend on the training
seed), so the difference's interval comes from :func:`.statistics.paired_difference`: the same
facts drawn for both sides, seeds drawn for each side on its own between two objectives (their
seeds are independent trainings) and the same seeds for forward vs backward (one model). Beside
it, McNemar's exact test at one seed (the smallest both sides ran): between objectives on each
question, between directions on the facts asked once each way. A difference whose interval
excludes 0 is marked ``differs``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import statistics
from .markdown import markdown_table
from .tables import read_questions

COLUMNS = ["task", "dataset", "comparison", "objective", "versus", "direction", "metric", "difference", "low", "high",
           "seeds", "facts", "mcnemar_seed", "pairs", "only_objective", "only_versus", "mcnemar_p", "differs"]
BETWEEN_OBJECTIVES, BETWEEN_DIRECTIONS = "objective vs reference", "forward vs backward"


def _scored(questions: pd.DataFrame, metric: str) -> pd.DataFrame:
    return questions[questions[metric].notna()].rename(columns={metric: "value"})


def _mcnemar(a: pd.DataFrame, b: pd.DataFrame, on: list[str]) -> tuple:
    """(seed, pairs, only a right, only b right, p) on the rows of the smallest common seed joined on ``on``."""
    seeds = sorted(set(a.seed) & set(b.seed))
    if not seeds:
        return (pd.NA, 0, 0, 0, float("nan"))
    seed = seeds[0]
    joined = a[a.seed == seed].merge(b[b.seed == seed], on=on, suffixes=("_a", "_b"))
    if joined.empty:
        return (seed, 0, 0, 0, float("nan"))
    right_a, right_b = joined.value_a.astype(bool), joined.value_b.astype(bool)
    return (seed, len(joined), int((right_a & ~right_b).sum()), int((~right_a & right_b).sum()),
            statistics.mcnemar_exact(joined.value_a, joined.value_b))


def _row(key: dict, comparison: str, objective: str, versus: str, direction: str, metric: str,
         difference: statistics.Interval, test: tuple) -> list:
    return [key["task"], key["dataset"], comparison, objective, versus, direction, metric, difference.mean,
            difference.low, difference.high, difference.seeds, difference.facts, *test,
            not difference.low <= 0.0 <= difference.high]


def paired_comparisons(questions: pd.DataFrame, reference_objective: str = "mlm-u", metric: str = "exact_match",
                       resamples: int = statistics.RESAMPLES) -> pd.DataFrame:
    """Every paired comparison of the per-question rows of several runs (:data:`COLUMNS`; points).
    Datasets without ``reference_objective`` get only the forward-vs-backward rows."""
    rows = []
    for (task, dataset), runs in questions.groupby(["task", "dataset"], sort=False):
        key = {"task": task, "dataset": dataset}
        scored = _scored(runs, metric)
        objectives = list(dict.fromkeys(scored.objective))
        for objective in objectives:
            mine = scored[scored.objective == objective]
            forward, backward = (mine[mine.direction == d] for d in ("forward", "backward"))
            if objective != reference_objective and reference_objective in objectives:
                reference = scored[scored.objective == reference_objective]
                for direction in ("forward", "backward"):
                    a, b = mine[mine.direction == direction], reference[reference.direction == direction]
                    if a.empty or b.empty or not set(a.fact) & set(b.fact):
                        continue
                    difference = statistics.paired_difference(a, b, resamples=resamples)
                    rows.append(_row(key, BETWEEN_OBJECTIVES, objective, reference_objective, direction, metric,
                                     difference, _mcnemar(a, b, ["question", "fact"])))
            if not forward.empty and not backward.empty and set(forward.fact) & set(backward.fact):
                difference = statistics.paired_difference(forward, backward, paired_seeds=True, resamples=resamples)
                once = lambda part: part.groupby(["seed", "fact"]).filter(lambda g: len(g) == 1)  # noqa: E731
                rows.append(_row(key, BETWEEN_DIRECTIONS, objective, objective, "forward−backward", metric, difference,
                                 _mcnemar(once(forward), once(backward), ["fact"])))
    return pd.DataFrame(rows, columns=COLUMNS)


def comparisons_markdown(comparisons: pd.DataFrame) -> str:
    """One table per dataset: difference [95% interval], McNemar's p and whether the interval excludes 0."""
    parts = ["# Paired comparisons on the same test questions", "",
             "Difference in points (objective minus the reference objective, or forward minus backward), mean over "
             "seeds and questions [95% interval, facts drawn the same for both sides]; McNemar's exact test at one "
             "seed (`pairs`: questions, or facts asked once each way; `only …`: right on one side only). "
             "**differs**: the interval excludes 0."]
    for (task, dataset), part in comparisons.groupby(["task", "dataset"], sort=False):
        shown = pd.DataFrame({
            "comparison": [f"{o} − {v}" if c == BETWEEN_OBJECTIVES else f"{o}: forward − backward"
                           for c, o, v in zip(part.comparison, part.objective, part.versus)],
            "direction": [d if c == BETWEEN_OBJECTIVES else "" for c, d in zip(part.comparison, part.direction)],
            "difference [95% interval]": [f"{m:+.1f} [{lo:+.1f}, {hi:+.1f}]" for m, lo, hi in
                                          zip(part.difference, part.low, part.high)],
            "seeds": part.seeds.astype(str),
            "McNemar p (seed, pairs, only each side)": [
                "–" if pd.isna(p) else f"{p:.3g} (seed {s}, {n}, {x}/{y})"
                for p, s, n, x, y in zip(part.mcnemar_p, part.mcnemar_seed, part.pairs, part.only_objective,
                                         part.only_versus)],
            "": ["**differs**" if d else "" for d in part.differs],
        }).set_index("comparison")
        title = task if dataset == task else f"{task} ({dataset})"
        parts += ["", f"## {title}", "", markdown_table(shown)]
    return "\n".join(parts) + "\n"


def write_comparisons(question_paths: list[str | Path], csv_path: str | Path, markdown_path: str | Path,
                      reference_objective: str = "mlm-u", resamples: int = statistics.RESAMPLES) -> pd.DataFrame:
    comparisons = paired_comparisons(read_questions(question_paths), reference_objective, resamples=resamples)
    Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
    comparisons.to_csv(csv_path, index=False, float_format="%.4g")
    Path(markdown_path).write_text(comparisons_markdown(comparisons))
    return comparisons
