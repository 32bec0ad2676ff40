"""How much a cell says: bootstrap intervals over facts and seeds, paired differences, verdicts.

Every number in the tables is a mean over test questions and training seeds. Questions about one
fact (a key-value pair, a chain, a person, a graph, a triple) are not independent, and every seed
answers the same questions (the datasets do not depend on the training seed), so the design is
crossed: facts x seeds. The interval resamples both: each bootstrap draw picks seeds with
replacement and facts with replacement, and takes the mean score of the picked seeds over the
picked facts' questions (percentile interval, seeded; with one seed it is the cluster bootstrap
over facts, which :func:`scipy.stats.bootstrap` computes the same way, see the tests). Paired
comparisons reuse the same fact draws on both sides, so what two cells share cancels out.

A verdict compares our interval with the paper's number: *consistent* when the number lies inside
it, *inconsistent* when outside, *underpowered* when the interval is wider than the configured
width (default 30 points), whatever the number: it then says how many questions would make it
narrow enough (the width shrinks with the square root of the number of facts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

RESAMPLES = 4000  # bootstrap draws per interval (the issue asks >= 2000)
CONFIDENCE = 0.95
SEED = 20241209  # the bootstrap's own seed: intervals are reproducible to the digit
VERDICTS = ("consistent", "inconsistent", "underpowered", "no paper number", "not run")


@dataclass(frozen=True)
class Interval:
    mean: float  # percent
    low: float
    high: float
    questions: int  # distinct test questions behind the cell
    facts: int  # distinct facts (the resampled clusters)
    seeds: int

    @property
    def width(self) -> float:
        return self.high - self.low

    def __str__(self) -> str:
        return f"{self.mean:.1f} [{self.low:.1f}, {self.high:.1f}]"


def _cells(questions: pd.DataFrame, value: str = "value") -> tuple[np.ndarray, np.ndarray, list, list]:
    """(sums [seeds, facts], counts [seeds, facts], seed ids, fact ids) of one cell's question rows
    (columns ``seed``, ``fact``, ``value`` in [0, 1]; a question may be missing for some seed)."""
    seeds = sorted(questions.seed.unique())
    facts = sorted(questions.fact.unique())
    grouped = questions.groupby(["seed", "fact"])[value].agg(["sum", "count"])
    sums = grouped["sum"].unstack("fact").reindex(index=seeds, columns=facts).fillna(0.0).to_numpy(float)
    counts = grouped["count"].unstack("fact").reindex(index=seeds, columns=facts).fillna(0.0).to_numpy(float)
    return sums, counts, seeds, facts


def _weights(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """[draws, n] how often each unit is picked in each bootstrap draw (multinomial: n picks with replacement)."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=draws).astype(float)


def _ratio(seed_w: np.ndarray, sums: np.ndarray, counts: np.ndarray, fact_w: np.ndarray,
           scale: float = 100.0) -> np.ndarray:
    """Per draw: the mean score over the picked seeds x facts, times ``scale`` (100: percent)."""
    top = np.einsum("bs,sf,bf->b", seed_w, sums, fact_w)
    bottom = np.einsum("bs,sf,bf->b", seed_w, counts, fact_w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return scale * top / bottom


def _percentiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    samples = samples[np.isfinite(samples)]
    alpha = (1 - confidence) / 2
    return float(np.quantile(samples, alpha)), float(np.quantile(samples, 1 - alpha))


def interval(questions: pd.DataFrame, value: str = "value", resamples: int = RESAMPLES,
             confidence: float = CONFIDENCE, seed: int = SEED, scale: float = 100.0) -> Interval:
    """Mean and bootstrap interval of one cell: rows with ``seed``, ``fact`` and ``value`` (a
    question's score, in [0, 1] for percent), resampling seeds and facts; times ``scale`` (100:
    percent; 1 for a metric in nats)."""
    if questions.empty:
        raise ValueError("no questions: a cell needs at least one scored question")
    sums, counts, seeds, facts = _cells(questions, value)
    mean = scale * sums.sum() / counts.sum()
    rng = np.random.default_rng(seed)
    draws = _ratio(_weights(rng, len(seeds), resamples), sums, counts, _weights(rng, len(facts), resamples), scale)
    low, high = _percentiles(draws, confidence)
    return Interval(mean, min(low, mean), max(high, mean), len(questions[["fact", "question"]].drop_duplicates())
                    if "question" in questions else len(questions), len(facts), len(seeds))


def paired_difference(a: pd.DataFrame, b: pd.DataFrame, value: str = "value", paired_seeds: bool = False,
                      resamples: int = RESAMPLES, confidence: float = CONFIDENCE, seed: int = SEED,
                      scale: float = 100.0) -> Interval:
    """Mean(a) - mean(b) in points (times ``scale``, as :func:`interval`) with a bootstrap interval that draws the same facts for both sides
    (the facts both cells ask about); seeds are drawn for each side on its own, or, with
    ``paired_seeds`` (forward vs backward of one model: the same runs), the same for both."""
    shared = sorted(set(a.fact) & set(b.fact))
    if not shared:
        raise ValueError("the two cells share no fact: nothing to pair")
    a, b = a[a.fact.isin(shared)], b[b.fact.isin(shared)]
    sa, ca, seeds_a, facts = _cells(a, value)
    sb, cb, seeds_b, facts_b = _cells(b, value)
    assert facts == facts_b
    rng = np.random.default_rng(seed)
    fact_w = _weights(rng, len(facts), resamples)
    seed_a = _weights(rng, len(seeds_a), resamples)
    if paired_seeds:
        if seeds_a != seeds_b:
            raise ValueError(f"paired seeds differ: {seeds_a} vs {seeds_b}")
        seed_b = seed_a
    else:
        seed_b = _weights(rng, len(seeds_b), resamples)
    draws = _ratio(seed_a, sa, ca, fact_w, scale) - _ratio(seed_b, sb, cb, fact_w, scale)
    mean = scale * (sa.sum() / ca.sum() - sb.sum() / cb.sum())
    low, high = _percentiles(draws, confidence)
    return Interval(mean, min(low, mean), max(high, mean), int(min(ca.sum(), cb.sum())), len(facts),
                    min(len(seeds_a), len(seeds_b)))


def mcnemar_exact(a: pd.Series, b: pd.Series) -> float:
    """Two-sided exact McNemar p-value for paired right/wrong outcomes (aligned Series of 0/1): a
    binomial test on the discordant pairs; 1.0 when there are none."""
    from scipy import stats  # here: the tables and the report import this module, and scipy takes a second

    a, b = a.astype(bool).to_numpy(), b.astype(bool).to_numpy()
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    if only_a + only_b == 0:
        return 1.0
    return float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def verdict(cell: Interval | None, paper: float | None, max_width: float = 30.0) -> str:
    """consistent / inconsistent with the paper's number, underpowered (interval wider than
    ``max_width`` points), or why there is none."""
    if cell is None:
        return "not run"
    if paper is None or (isinstance(paper, float) and math.isnan(paper)):
        return "no paper number"
    if cell.width > max_width:
        return "underpowered"
    return "consistent" if cell.low <= paper <= cell.high else "inconsistent"


def facts_needed(cell: Interval, max_width: float = 30.0) -> int:
    """How many facts (clusters) would bring the interval to ``max_width``, by the square-root law
    from this cell's own width and fact count (at least the current count)."""
    if cell.width <= max_width or cell.width == 0:
        return cell.facts
    return math.ceil(cell.facts * (cell.width / max_width) ** 2)
