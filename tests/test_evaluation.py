import json

import pandas as pd
import pytest

from factorization_curse.analysis.tables import aggregate_results
from factorization_curse.answers import match_normalised, normalise_answer, normaliser_description
from factorization_curse.metrics import summarize
from factorization_curse.tasks import TASKS


def prediction(direction, predicted, answer, other=None, nll=None):
    correct = [p == a for p, a in zip(predicted, answer)]
    p = {"direction": direction, "predicted": predicted, "answer": answer, "exact_match": all(correct),
         "token_accuracy": sum(correct) / len(correct), "position_correct": correct, "answer_nll": nll}
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
    assert set(summary["forward"]) == {"exact_match", "token_accuracy", "count"}


def test_position_accuracy_per_answer_token():
    predictions = [prediction("forward", [4, 2, 6], [4, 2, 6]), prediction("forward", [4, 3, 6], [4, 2, 6])]
    forward = summarize(predictions, positions=True)["forward"]
    assert [forward[f"position_{k}"] for k in (1, 2, 3)] == [100.0, 50.0, 100.0] and "position_4" not in forward


def test_every_metric_evaluation_writes_is_registered_and_an_unknown_one_is_an_error():
    from factorization_curse.metrics import METRICS, metric, metric_values

    predictions = [prediction("backward", [4, 2], [4, 2], other=[1, 1], nll=0.5),
                   prediction("backward", [4, 3], [4, 2], other=[1, 1], nll=2.0)]
    values = summarize(predictions, positions=True)["backward"]
    assert values["answer_nll"] == 1.25  # nats, not percent
    assert set(metric_values(values)) == {*METRICS, "position_1", "position_2"}
    assert metric("position_2").label == "Accuracy at answer token 2"
    with pytest.raises(KeyError, match="unknown metric 'calibration'"):
        metric("calibration")
    with pytest.raises(KeyError, match="register them"):
        metric_values({**values, "calibration": 3.0})


def test_tables_carry_incorrect_inference_positions_and_chance(tmp_path):
    evaluation = {"task": "relationship", "dataset": "relationship", "objective": "mlm-u", "seed": 0, "metrics": {
        "forward": {"exact_match": 90.0, "token_accuracy": 95.0, "incorrect_inference": 2.0, "position_1": 99.0,
                    "position_2": 91.0, "count": 50},
        "backward": {"exact_match": 80.0, "token_accuracy": 85.0, "incorrect_inference": 10.0, "position_1": 81.0,
                     "position_2": 80.0, "count": 50},
    }}
    from .question_tables import write_questions

    aggregate_results(write_questions(tmp_path, [evaluation]), tmp_path / "t.csv", tmp_path / "t.md", ["mlm-u"], {"chance_exact_match": 50.0})
    table = pd.read_csv(tmp_path / "t.csv")
    assert set(table.metric) == {"exact_match", "token_accuracy", "incorrect_inference", "position_1", "position_2"}
    assert table.query("direction == 'backward' and metric == 'incorrect_inference'").value.item() == 10.0
    md = (tmp_path / "t.md").read_text()
    assert "## Incorrect inference" in md and "| backward | 10.0 |" in md
    assert "| backward 2 | 80.0 |" in md and "Chance level of exact match" in md and "50.0%" in md


@pytest.mark.parametrize("raw,normal", [
    ("New York City", "new york city"),
    ("  New York City. ", "new york city"),  # surrounding whitespace and punctuation
    ("(St. Louis)", "st. louis"),  # inner punctuation stays
    ("«Agostino  Magliani»,", "agostino magliani"),  # Unicode punctuation; inner whitespace runs made one
    ("23 July 1824", "23 july 1824"),
    ("STRASSE", "strasse"), ("Straße", "strasse"),  # case folding
    ("1,234", "1,234"), ("...", ""), ("", ""),
])
def test_normalise_answer(raw, normal):
    assert normalise_answer(raw) == normal


def test_exact_match_on_normalised_text_keeps_the_token_verdict():
    words = {1: "Paris", 2: "paris", 3: ".", 4: "Rome", 5: "St", 6: "Louis"}
    decode = lambda ids: " ".join(words[i] for i in ids)  # noqa: E731
    predictions = [prediction("forward", [2, 3], [1, 3]),  # case differs: a match on text, not on tokens
                   prediction("forward", [1, 3], [1, 3]),  # the same tokens
                   prediction("backward", [4, 3], [1, 3]),  # another answer
                   prediction("backward", [5, 3, 6], [5, 3, 6])]
    match_normalised(predictions, decode, normalise_answer)
    assert [p["exact_match"] for p in predictions] == [True, True, False, True]
    assert [p["token_exact_match"] for p in predictions] == [False, True, False, True]
    summary = summarize(predictions)
    assert summary["forward"]["exact_match"] == 100.0 and summary["forward"]["token_accuracy"] == 75.0


def test_only_the_text_tasks_compare_normalised_answers():
    """The tasks whose answers are words (WikiReversal, a user's corpus) compare them as text; the
    symbolic tasks compare tokens."""
    assert [name for name, task in TASKS.items() if task.answer_normaliser is not None] == ["wikireversal", "corpus"]
    assert normaliser_description(TASKS["wikireversal"].answer_normaliser).startswith(
        "Answers compared as text, ignoring case and surrounding whitespace and punctuation:")


def test_every_test_question_gets_a_row_of_the_per_question_table(tmp_path):
    from factorization_curse.evaluation import QUESTION_COLUMNS, write_evaluation

    predictions = [prediction("forward", [4, 2], [4, 2], other=[7]), prediction("forward", [4, 3], [4, 2], other=[7]),
                   prediction("backward", [7], [7], other=[4, 2])]
    rows = [{"fact": 3}, {"fact": 5}, {"fact": 3}]
    run = {"task": "relationship", "dataset": "relationship", "objective": "mlm-u", "seed": 2}
    result = write_evaluation(predictions, rows, run, lambda ids: " ".join(map(str, ids)), 1.0, "cpu",
                              tmp_path / "eval.json", tmp_path / "predictions.jsonl", tmp_path / "questions.parquet",
                              log=lambda s: None)
    table = pd.read_parquet(tmp_path / "questions.parquet")
    assert list(table.columns) == QUESTION_COLUMNS + ["exact_match", "token_accuracy", "incorrect_inference", "answer_nll"]
    assert table.question.tolist() == [0, 1, 2] and table.fact.tolist() == [3, 5, 3] and set(table.seed) == {2}
    assert table.token_accuracy.tolist() == [1.0, 0.5, 1.0]
    # eval.json's numbers are the per-question table's means
    for direction, values in result["metrics"].items():
        part = table[table.direction == direction]
        assert values["exact_match"] == 100 * part.exact_match.mean() and values["count"] == len(part)
    lines = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert [(p["question"], p["fact"]) for p in lines] == [(0, 3), (1, 5), (2, 3)]
