"""Paired comparisons (analysis/paired.py) on hand-made per-question rows with known answers."""
import math

import pandas as pd
import pytest

from factorization_curse.analysis import paired


def rows(objective, seed, forward, backward, facts=40, task="toy", dataset="toy"):
    """Fact f asked once forward and once backward; ``forward(f)``/``backward(f)``: right (1) or wrong (0)."""
    out = []
    for f in range(facts):
        for k, (direction, right) in enumerate((("forward", forward(f)), ("backward", backward(f)))):
            out.append({"task": task, "dataset": dataset, "objective": objective, "seed": seed, "direction": direction,
                        "question": 2 * f + k, "fact": f, "exact_match": float(right)})
    return out


def comparisons(frame_rows, **kw):
    return paired.paired_comparisons(pd.DataFrame(frame_rows), resamples=1000, **kw)


def test_an_objective_right_where_the_reference_is_wrong_differs_by_100():
    always, never = (lambda f: 1), (lambda f: 0)
    table = comparisons(rows("ar", 0, always, never) + rows("mlm-u", 0, never, always))
    assert list(table.columns) == paired.COLUMNS
    vs = table[table.comparison == paired.BETWEEN_OBJECTIVES].set_index("direction")
    assert list(vs.objective) == ["ar", "ar"] and set(vs.versus) == {"mlm-u"}
    assert vs.loc["forward", ["difference", "low", "high"]].tolist() == [100, 100, 100]
    assert vs.loc["backward", ["difference", "low", "high"]].tolist() == [-100, -100, -100]
    # McNemar: 40 discordant pairs, all one way: p = 2 * 0.5**40
    assert vs.loc["forward", "mcnemar_p"] == pytest.approx(2 * 0.5 ** 40)
    assert vs.loc["forward", ["pairs", "only_objective", "only_versus"]].tolist() == [40, 40, 0]
    assert vs.differs.all()
    gaps = table[table.comparison == paired.BETWEEN_DIRECTIONS].set_index("objective")
    assert gaps.loc["ar", "difference"] == 100 and gaps.loc["mlm-u", "difference"] == -100
    assert gaps.loc["ar", "direction"] == "forward−backward" and gaps.loc["ar", "pairs"] == 40


def test_identical_models_do_not_differ():
    half = lambda f: f % 2  # noqa: E731
    table = comparisons(rows("ar", 0, half, half) + rows("mlm-u", 0, half, half))
    vs = table[table.comparison == paired.BETWEEN_OBJECTIVES]
    assert (vs.difference == 0).all() and (vs.mcnemar_p == 1).all() and not vs.differs.any()
    # the same facts drawn for both sides: the difference of identical answers has a zero-width interval
    assert (vs.low == 0).all() and (vs.high == 0).all()


def test_a_small_real_difference_is_not_told_apart_at_40_facts():
    table = comparisons(rows("ar", 0, lambda f: f % 2, lambda f: 1) + rows("mlm-u", 0, lambda f: f % 2 or f < 4, lambda f: 1))
    forward = table[(table.comparison == paired.BETWEEN_OBJECTIVES) & (table.direction == "forward")].iloc[0]
    assert forward.difference == pytest.approx(-5)  # 2 of 40 facts
    assert forward.low < 0 < forward.high or forward.high == 0
    assert forward.mcnemar_p == pytest.approx(0.5)  # 2 discordant pairs, both one way: p = 2 * 0.25
    assert not forward.differs


def test_seeds_each_side_and_datasets_without_the_reference():
    always, never = (lambda f: 1), (lambda f: 0)
    table_rows = (rows("ar", 0, always, never) + rows("ar", 1, always, never) + rows("mlm-u", 1, always, always)
                  + rows("ar", 0, always, never, dataset="other"))
    table = comparisons(table_rows)
    toy = table[table.dataset == "toy"]
    backward = toy[(toy.comparison == paired.BETWEEN_OBJECTIVES) & (toy.direction == "backward")].iloc[0]
    assert backward.seeds == 1 and backward.mcnemar_seed == 1  # the smallest seed both ran
    gap = toy[(toy.comparison == paired.BETWEEN_DIRECTIONS) & (toy.objective == "ar")].iloc[0]
    assert gap.seeds == 2 and gap.difference == 100
    other = table[table.dataset == "other"]
    assert set(other.comparison) == {paired.BETWEEN_DIRECTIONS}  # no mlm-u there: only its gap


def test_facts_asked_more_than_once_a_direction_have_no_mcnemar_pairs():
    frame = rows("ar", 0, lambda f: 1, lambda f: 0)
    frame += [{**r, "question": r["question"] + 1000} for r in frame]  # every fact asked twice each way
    gap = comparisons(frame).iloc[0]
    assert gap.comparison == paired.BETWEEN_DIRECTIONS and gap.pairs == 0 and math.isnan(gap.mcnemar_p)
    assert gap.difference == 100


def test_markdown_and_files(tmp_path):
    path = tmp_path / "q.parquet"
    pd.DataFrame(rows("ar", 0, lambda f: 1, lambda f: 0) + rows("mlm-u", 0, lambda f: 1, lambda f: 1)).to_parquet(path)
    table = paired.write_comparisons([path], tmp_path / "comparisons.csv", tmp_path / "comparisons.md", resamples=500)
    assert pd.read_csv(tmp_path / "comparisons.csv").shape == table.shape
    text = (tmp_path / "comparisons.md").read_text()
    assert text.startswith("# Paired comparisons on the same test questions")
    assert "| ar − mlm-u | backward | -100.0 [-100.0, -100.0] | 1 |" in text and "**differs**" in text
    assert "| ar: forward − backward |  | +100.0 [+100.0, +100.0] | 1 |" in text
