"""Per-question tables (questions.parquet, as evaluation writes them) made to give chosen percentages."""

import pandas as pd

from factorization_curse.evaluation import QUESTION_COLUMNS

QUESTIONS = 100  # per direction, so that every whole percentage is reachable


def question_rows(evaluation: dict) -> pd.DataFrame:
    """Rows of one run whose per-direction means are ``evaluation["metrics"]`` (percent, whole
    numbers): in each metric's column the first ``value`` questions score 1, the rest 0. Fact i
    is asked forward and backward."""
    rows = []
    for direction, values in evaluation["metrics"].items():
        for i in range(QUESTIONS):
            row = {k: evaluation[k] for k in ("task", "dataset", "objective", "seed")}
            row.update(direction=direction, question=len(rows), fact=i)
            row.update({m: float(i < round(v)) for m, v in values.items() if m != "count"})
            rows.append(row)
    frame = pd.DataFrame(rows)
    return frame[QUESTION_COLUMNS + [c for c in frame.columns if c not in QUESTION_COLUMNS]]


def write_questions(tmp_path, evaluations: list[dict]) -> list:
    paths = []
    for i, evaluation in enumerate(evaluations):
        paths.append(tmp_path / f"questions{i}.parquet")
        question_rows(evaluation).to_parquet(paths[-1], index=False)
    return paths
