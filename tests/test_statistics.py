"""The statistics layer on hand-made data whose answer is known."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from factorization_curse.analysis.statistics import (Interval, facts_needed, interval, mcnemar_exact,
                                                      paired_difference, verdict)


def questions(values, facts=None, seed=0):
    values = list(values)
    facts = list(range(len(values))) if facts is None else list(facts)
    return pd.DataFrame({"seed": seed, "fact": facts, "question": range(len(values)), "value": values})


def test_all_correct_is_exactly_100_and_all_wrong_exactly_0():
    assert (interval(questions([1] * 50)).low, interval(questions([1] * 50)).high) == (100.0, 100.0)
    cell = interval(questions([0] * 50))
    assert (cell.mean, cell.low, cell.high) == (0.0, 0.0, 0.0)


def test_pairs_of_questions_about_one_fact_count_as_one_fact():
    """400 Bernoulli(0.5) answers in 200 pairs whose two questions agree: the effective sample is
    200, so the interval is the analytic one for n = 200 (13.9 points), not for n = 400 (9.8)."""
    rng = np.random.default_rng(1)
    per_fact = rng.random(200) < 0.5
    cell = interval(questions(np.repeat(per_fact, 2).astype(float), facts=np.repeat(np.arange(200), 2)))
    p = cell.mean / 100
    analytic_200 = 2 * 1.96 * math.sqrt(p * (1 - p) / 200) * 100
    analytic_400 = 2 * 1.96 * math.sqrt(p * (1 - p) / 400) * 100
    assert cell.facts == 200 and cell.questions == 400
    assert abs(cell.width - analytic_200) < 0.1 * analytic_200
    assert cell.width > 1.25 * analytic_400


def test_independent_questions_give_the_analytic_binomial_width():
    rng = np.random.default_rng(2)
    cell = interval(questions((rng.random(400) < 0.5).astype(float)))
    p = cell.mean / 100
    analytic = 2 * 1.96 * math.sqrt(p * (1 - p) / 400) * 100
    assert abs(cell.width - analytic) < 0.1 * analytic


def test_one_seed_agrees_with_scipy_bootstrap_over_facts():
    rng = np.random.default_rng(3)
    facts = rng.integers(0, 60, size=150)
    values = (rng.random(150) < 0.3).astype(float)
    cell = interval(questions(values, facts=facts))
    frame = pd.DataFrame({"fact": facts, "value": values}).groupby("fact")["value"].agg(["sum", "count"])
    reference = scipy_stats.bootstrap((frame["sum"].to_numpy(), frame["count"].to_numpy()),
                                      lambda s, c: 100 * s.sum() / c.sum(), paired=True, vectorized=False,
                                      n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert abs(cell.low - reference.low) < 1.5 and abs(cell.high - reference.high) < 1.5


def test_seeds_that_disagree_widen_the_interval():
    """Three seeds answering the same 300 facts at 20%, 50% and 80%: the spread between seeds is
    most of the uncertainty, far more than any one seed's."""
    rng = np.random.default_rng(4)
    cells = [questions((rng.random(300) < p).astype(float), seed=s) for s, p in enumerate([0.2, 0.5, 0.8])]
    pooled = interval(pd.concat(cells))
    single = interval(cells[1])
    assert pooled.seeds == 3 and pooled.facts == 300
    assert pooled.width > 3 * single.width and pooled.low < 40 and pooled.high > 60


def test_paired_difference_of_a_cell_with_itself_is_exactly_zero():
    cell = questions((np.random.default_rng(5).random(100) < 0.5).astype(float))
    same = paired_difference(cell, cell, paired_seeds=True)
    assert (same.mean, same.low, same.high) == (0.0, 0.0, 0.0)


def test_paired_difference_is_narrower_than_the_two_intervals_suggest():
    """Backward = forward minus a few facts: the paired interval sees the small, certain
    difference; unpaired intervals of the two cells overlap widely."""
    rng = np.random.default_rng(6)
    forward = (rng.random(200) < 0.6).astype(float)
    backward = forward.copy()
    backward[np.flatnonzero(forward)[:20]] = 0.0  # 20 facts lost, 10 points
    diff = paired_difference(questions(forward), questions(backward), paired_seeds=True)
    assert diff.mean == pytest.approx(10.0) and 5.0 < diff.low < 10.0 < diff.high < 15.0
    a, b = interval(questions(forward)), interval(questions(backward))
    assert a.low < b.high  # the unpaired intervals overlap


def test_mcnemar_exact():
    a = pd.Series([1] * 10 + [0] * 5)
    b = pd.Series([0] * 10 + [0] * 5)
    assert mcnemar_exact(a, b) == pytest.approx(2 * 0.5 ** 10)
    assert mcnemar_exact(a, a) == 1.0


@pytest.mark.parametrize("low,high,paper,expected", [
    (40.0, 60.0, 40.0, "consistent"),  # on the edge: inside
    (40.0, 60.0, 60.0, "consistent"),
    (40.0, 60.0, 39.9, "inconsistent"),
    (40.0, 70.0, 99.0, "inconsistent"),  # width exactly 30: not underpowered
    (40.0, 70.1, 99.0, "underpowered"),
    (40.0, 70.1, 50.0, "underpowered"),  # wide, even when the number is inside
    (40.0, 60.0, None, "no paper number"),
    (40.0, 60.0, float("nan"), "no paper number"),
])
def test_verdicts(low, high, paper, expected):
    cell = Interval(mean=(low + high) / 2, low=low, high=high, questions=100, facts=50, seeds=1)
    assert verdict(cell, paper) == expected


def test_verdict_without_a_run_and_the_questions_a_wide_cell_needs():
    assert verdict(None, 50.0) == "not run"
    wide = Interval(mean=50, low=30, high=70, questions=100, facts=50, seeds=1)
    assert facts_needed(wide) == math.ceil(50 * (40 / 30) ** 2) == 89
    assert facts_needed(Interval(mean=50, low=40, high=60, questions=100, facts=50, seeds=1)) == 50
