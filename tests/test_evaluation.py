import json

import pandas as pd

from factorization_curse.aggregation import aggregate_results
from factorization_curse.evaluation import summarize


def prediction(direction, predicted, answer, other=None):
    correct = [p == a for p, a in zip(predicted, answer)]
    p = {"direction": direction, "predicted": predicted, "answer": answer, "exact_match": all(correct),
         "token_accuracy": sum(correct) / len(correct), "position_correct": correct}
    if other is not None:
        p["incorrect_inference"] = predicted == other
    return p


def test_incorrect_inference_counts_answers_that_are_the_other_side():
    A, B, C = [7, 8], [9, 10], [11, 12]  # A => B => C
    predictions = [
        prediction("backward", A, A, other=C),  # right
        prediction("backward", C, A, other=C),  # took the relation as symmetric
        prediction("backward", [11, 8], A, other=C),  # wrong, but not the other side
        prediction("backward", C, A, other=C),
        prediction("forward", C, C, other=A),
        prediction("forward", A, C, other=A),
    ]
    summary = summarize(predictions)
    assert summary["backward"]["exact_match"] == 25.0 and summary["backward"]["incorrect_inference"] == 50.0
    assert summary["forward"]["exact_match"] == 50.0 and summary["forward"]["incorrect_inference"] == 50.0
    assert summary["backward"]["token_accuracy"] == 100 * (1 + 0 + 0.5 + 0) / 4


def test_tasks_without_an_other_side_report_no_incorrect_inference():
    summary = summarize([prediction("forward", [1, 2], [1, 3])])
    assert "incorrect_inference" not in summary["forward"] and "position_accuracy" not in summary["forward"]


def test_position_accuracy_per_answer_token():
    predictions = [prediction("forward", [4, 2, 6], [4, 2, 6]), prediction("forward", [4, 3, 6], [4, 2, 6])]
    assert summarize(predictions, positions=True)["forward"]["position_accuracy"] == [100.0, 50.0, 100.0]


def test_tables_carry_incorrect_inference_positions_and_chance(tmp_path):
    evaluation = {"task": "relationship", "dataset": "relationship", "objective": "mlm-u", "seed": 0, "metrics": {
        "forward": {"exact_match": 90.0, "token_accuracy": 95.0, "incorrect_inference": 2.0, "count": 50,
                    "position_accuracy": [99.0, 91.0]},
        "backward": {"exact_match": 80.0, "token_accuracy": 85.0, "incorrect_inference": 10.0, "count": 50,
                     "position_accuracy": [81.0, 80.0]},
    }}
    (tmp_path / "e.json").write_text(json.dumps(evaluation))
    aggregate_results([tmp_path / "e.json"], tmp_path / "t.csv", tmp_path / "t.md", ["mlm-u"], {"chance_exact_match": 50.0})
    table = pd.read_csv(tmp_path / "t.csv")
    assert set(table.metric) == {"exact_match", "token_accuracy", "incorrect_inference", "position_1", "position_2"}
    assert table.query("direction == 'backward' and metric == 'incorrect_inference'").value.item() == 10.0
    md = (tmp_path / "t.md").read_text()
    assert "## Incorrect inference" in md and "| backward | 10.0 |" in md
    assert "| backward 2 | 80.0 |" in md and "Chance level of exact match" in md and "50.0%" in md
