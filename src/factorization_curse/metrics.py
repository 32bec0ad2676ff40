"""Every metric in one registry: how one test question scores, how scores aggregate, what it is called.

Evaluation, the learning curves, the tables, the figures and the report all read :data:`METRICS`,
so a new metric is one entry here: evaluation computes it for every direction, the long tables
carry it, and a metric the registry does not know is an error, never a silently dropped column.

A question's record is what :func:`factorization_curse.evaluation.predict` returns for it
(``exact_match``, ``token_accuracy``, ``position_correct``, ``incorrect_inference`` where the task
names the other side's entity, ``answer_nll``). A metric is the mean over the questions where it is
defined, times its ``scale``: percent for right/wrong scores, nats as they are for likelihoods.
Tasks with per-position metrics (the star graph's path steps) add ``position_<k>``: accuracy at
the k-th answer token, counted from 1 (:func:`position_metric`).

Torch-free: the results layer imports it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

DIRECTIONS = ("forward", "backward")
POSITION_PREFIX = "position_"


@dataclass(frozen=True)
class Metric:
    name: str  # the id in eval.json, metrics.jsonl and the long tables
    label: str  # its heading in tables, figures and the report
    score: Callable[[dict], float | None]  # one question's score; None: undefined for this question
    higher_is_better: bool = True
    in_curves: bool = True  # recorded on the validation split during training
    # a mean of scores times this: 100 for scores in [0, 1] (percent, "points"), 1 for nats
    scale: float = 100.0


def _flag(key: str) -> Callable[[dict], float | None]:
    return lambda question: None if question.get(key) is None else float(question[key])


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("exact_match", "Exact match", _flag("exact_match")),
    Metric("token_accuracy", "Per-token accuracy of the answers", _flag("token_accuracy")),
    Metric("incorrect_inference", "Incorrect inference (answers that are the other side's entity)",
           _flag("incorrect_inference"), higher_is_better=False),
    # The factorization curse measured without generation (issue 19): the true answer's probability,
    # teacher-forced in the model's own answering order; it moves before exact match does.
    Metric("answer_nll", "Answer NLL (nats per answer token, teacher-forced)", _flag("answer_nll"),
           higher_is_better=False, scale=1.0),
)}


def position_metric(k: int) -> Metric:
    """Accuracy at the k-th answer token (from 1): each step of a star-graph path."""
    return Metric(f"{POSITION_PREFIX}{k}", f"Accuracy at answer token {k}",
                  lambda q: float(q["position_correct"][k - 1]) if k <= len(q["position_correct"]) else None,
                  in_curves=False)


def metric(name: str) -> Metric:
    """The metric called ``name`` (a registry entry or ``position_<k>``); an unknown name is an error."""
    if name in METRICS:
        return METRICS[name]
    if name.startswith(POSITION_PREFIX) and name.removeprefix(POSITION_PREFIX).isdigit():
        return position_metric(int(name.removeprefix(POSITION_PREFIX)))
    raise KeyError(f"unknown metric {name!r}: add it to factorization_curse.metrics.METRICS "
                   f"(known: {', '.join(METRICS)}, position_<k>)")


def is_metric(name: str) -> bool:
    try:
        metric(name)
    except KeyError:
        return False
    return True


def metric_mean(scores: Iterable[float | None], scale: float = 100.0) -> float | None:
    """The mean of the defined scores times ``scale`` (the metric's: percent or nats); None when no
    question defines the metric."""
    defined = [s for s in scores if s is not None]
    return scale * sum(defined) / len(defined) if defined else None


def summarize(questions: list[dict], positions: bool = False) -> dict[str, dict]:
    """Per direction: every registered metric defined for its questions (percent), with
    ``positions`` accuracy at each answer position (``position_1`` ...), and ``count``, the number
    of questions."""
    by_direction: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_direction[q["direction"]].append(q)
    summary = {}
    for direction, qs in sorted(by_direction.items()):
        chosen = list(METRICS.values())
        if positions:
            chosen += [position_metric(k) for k in range(1, max(len(q["position_correct"]) for q in qs) + 1)]
        values = {}
        for m in chosen:
            value = metric_mean((m.score(q) for q in qs), m.scale)
            if value is not None:
                values[m.name] = value
        summary[direction] = {**values, "count": len(qs)}
    return summary


def question_scores(question: dict, positions: bool = False) -> dict[str, float | None]:
    """One question's score under every registered metric (None where undefined), plus
    ``position_<k>`` with ``positions``: a row of the per-question table."""
    chosen = list(METRICS.values())
    if positions:
        chosen += [position_metric(k) for k in range(1, len(question["position_correct"]) + 1)]
    return {m.name: m.score(question) for m in chosen}


def metric_values(values: dict) -> dict[str, float]:
    """One direction's entry of eval.json as {metric id: percent}, in registry order then positions;
    a key that is neither a metric nor ``count`` is an error (a metric no table would show)."""
    unknown = [k for k in values if k != "count" and not is_metric(k)]
    if unknown:
        raise KeyError(f"eval.json holds {unknown}, which factorization_curse.metrics does not know: register them")
    return {k: v for k, v in values.items() if k != "count"}
