import json

import pandas as pd
import pytest

from factorization_curse.analysis.layouts import paper_layout, variant_layout
from factorization_curse.analysis.tables import (COLUMNS, CURVE_COLUMNS, aggregate_results, aggregate_sweep, read_curves,
                                                 variant_columns)
from factorization_curse.analysis.plotting import objective_colour, plot_forward_backward, plot_sweep

from .question_tables import write_questions


def evaluation(objective, seed, fwd, bwd, dataset="retrieval"):
    return {"task": "retrieval", "dataset": dataset, "objective": objective, "seed": seed,
            "metrics": {"forward": {"exact_match": fwd, "token_accuracy": fwd, "count": 10},
                        "backward": {"exact_match": bwd, "token_accuracy": bwd, "count": 10}}}


def write(tmp_path, evaluations):
    paths = []
    for i, ev in enumerate(evaluations):
        paths.append(tmp_path / f"eval{i}.json")
        paths[-1].write_text(json.dumps(ev))
    return paths


def test_tables_and_figure(tmp_path):
    evaluations = [evaluation("mlm-u", 0, 100, 90), evaluation("mlm-u", 1, 100, 80), evaluation("ar", 0, 100, 0)]
    table = aggregate_results(write_questions(tmp_path, evaluations), tmp_path / "t.csv", tmp_path / "t.md", ["ar", "mlm-u"],
                              intervals_path=tmp_path / "t_intervals.csv", resamples=500)
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == COLUMNS
    layout = paper_layout(table, "exact_match", ["ar", "mlm-u"])
    assert list(layout.columns) == ["ar", "mlm-u"] and list(layout.index) == ["forward", "backward"]
    assert layout.loc["backward", "mlm-u"] == "85.0 ± 7.1" and layout.loc["backward", "ar"] == "0.0"
    assert "| backward | 0.0 | 85.0 ± 7.1 |" in (tmp_path / "t.md").read_text()
    plot_forward_backward(pd.read_csv(tmp_path / "t_intervals.csv"), tmp_path / "f.pdf", ["ar", "mlm-u"], title="t")
    assert (tmp_path / "f.pdf").stat().st_size > 1000


def test_sweep_table_carries_the_parameter(tmp_path):
    sweep = {"task": "retrieval", "parameter": "entity_length", "values": [1, 2], "objectives": ["ar-rev"]}
    paths = write(tmp_path, [evaluation("ar-rev", 0, 100, 100, "retrieval_entity_length-1"),
                             evaluation("ar-rev", 0, 100, 0, "retrieval_entity_length-2")])
    info = {f"retrieval_entity_length-{v}": {"config": {"entity_length": v}} for v in (1, 2)}
    table = aggregate_sweep(paths, sweep["parameter"], info, tmp_path / "s.csv")
    backward = table[(table.direction == "backward") & (table.metric == "exact_match")]
    assert dict(zip(backward.entity_length, backward.value)) == {1: 100, 2: 0}
    plot_sweep(table, tmp_path / "s.pdf", "entity_length", ["ar-rev"], title="s")
    assert (tmp_path / "s.pdf").stat().st_size > 1000


def test_objective_colours_are_fixed_and_distinct():
    paper = ["ar", "ar-rev", "mlm-15", "mlm-40", "mlm-85", "mlm-u", "plm"]
    assert len({objective_colour(o) for o in paper}) == len(paper)
    assert objective_colour("new-objective") == objective_colour("new-objective")


def test_read_curves_long_table(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 250, "loss": 3.1, "forward_exact_match": 10.0, "backward_exact_match": 0.0, '
                    '"backward_incorrect_inference": 5.0}\n\n{"step": 500, "loss": 1.0, "forward_exact_match": 60.0}\n')
    curves = read_curves([path], [{"task": "relationship", "objective": "mlm-u", "seed": "1"}])
    assert list(curves.columns) == CURVE_COLUMNS
    assert len(curves) == 4 and set(curves.seed) == {1} and "loss" not in set(curves.metric)
    forward = curves[(curves.direction == "forward") & (curves.metric == "exact_match")]
    assert dict(zip(forward.step, forward.value)) == {250: 10.0, 500: 60.0}
    assert curves[curves.metric == "incorrect_inference"].value.tolist() == [5.0]
    with pytest.raises(ValueError, match="identities"):
        read_curves([path, path], [{"task": "t", "objective": "o", "seed": 0}])


def wiki_evaluation(dataset, objective, fwd, bwd, seed=0):
    return {**evaluation(objective, seed, fwd, bwd, dataset=dataset), "task": "wikireversal"}


WIKI_INFO = {"wikireversal": {"config": {"split_seeds": "same"}},
             "wikireversal_split-different": {"config": {"split_seeds": "different"}}}


def test_variant_table_records_the_split_and_takes_table8s_layout(tmp_path):
    evaluations = [wiki_evaluation("wikireversal", "ar", 14, 4), wiki_evaluation("wikireversal", "mlm-u", 11, 8),
                   wiki_evaluation("wikireversal_split-different", "ar", 28, 6),
                   wiki_evaluation("wikireversal_split-different", "mlm-u", 66, 46)]
    table = aggregate_results(write_questions(tmp_path, evaluations), tmp_path / "w.csv", tmp_path / "w.md", ["ar", "mlm-15", "mlm-u"],
                              WIKI_INFO["wikireversal"], WIKI_INFO, intervals_path=tmp_path / "w_intervals.csv", resamples=500)
    written = pd.read_csv(tmp_path / "w.csv")
    assert list(written.columns) == COLUMNS + ["split_seeds"]
    assert written.groupby("split_seeds").size().to_dict() == {"same": 8, "different": 8}
    assert written[(written.split_seeds == "different") & (written.objective == "mlm-u") & (written.direction == "backward")
                   & (written.metric == "exact_match")].value.tolist() == [46]
    layout = variant_layout(table, "exact_match", ["ar", "mlm-15", "mlm-u"], variant_columns(table))
    assert list(layout.index) == ["ar", "mlm-u"]  # objectives in rows, the paper's order; mlm-15 did not run
    assert list(layout.columns) == ["same: forward", "same: backward", "different: forward", "different: backward"]
    assert layout.loc["mlm-u"].tolist() == ["11.0", "8.0", "66.0", "46.0"]
    markdown = (tmp_path / "w.md").read_text()
    assert "| objective | same: forward | same: backward | different: forward | different: backward |" in markdown
    assert "| ar | 14.0 | 4.0 | 28.0 | 6.0 |" in markdown
    assert "`split_seeds` is how the held-out questions were drawn" in markdown and "Table 8 right" in markdown
    assert "Exact match: Answers compared as text, ignoring case" in markdown
    intervals = pd.read_csv(tmp_path / "w_intervals.csv")
    assert set(intervals.split_seeds) == {"same", "different"}
    plot_forward_backward(intervals, tmp_path / "w.pdf", ["ar", "mlm-u"], title="w", variant_columns=["split_seeds"])
    assert (tmp_path / "w.pdf").stat().st_size > 1000
    with pytest.raises(ValueError, match="dataset_info"):
        aggregate_results(write_questions(tmp_path, evaluations), tmp_path / "x.csv", tmp_path / "x.md", ["ar"])


def test_tasks_without_variants_keep_the_long_form_columns(tmp_path):
    table = aggregate_results(write_questions(tmp_path, [evaluation("ar", 0, 100, 0)]), tmp_path / "t.csv", tmp_path / "t.md", ["ar"],
                              {}, {"retrieval": {"config": {}}})
    assert list(table.columns) == COLUMNS and variant_columns(table) == []
    assert "Exact match:" not in (tmp_path / "t.md").read_text()


def test_a_metric_the_registry_does_not_know_is_an_error_never_a_dropped_column(tmp_path):
    unknown = evaluation("ar", 0, 100, 0)
    unknown["metrics"]["forward"]["exact_matsch"] = 100.0
    with pytest.raises(KeyError, match="exact_matsch"):
        aggregate_sweep(write(tmp_path, [{**unknown, "dataset": "r-1"}]), "entity_length",
                        {"r-1": {"config": {"entity_length": 1}}}, tmp_path / "s.csv")
    questions = tmp_path / "q.parquet"
    pd.read_parquet(write_questions(tmp_path, [evaluation("ar", 0, 100, 0)])[0]).assign(exact_matsch=1.0).to_parquet(questions)
    with pytest.raises(KeyError, match="exact_matsch"):
        aggregate_results([questions], tmp_path / "t.csv", tmp_path / "t.md", ["ar"])
    curve = tmp_path / "metrics.jsonl"
    curve.write_text('{"step": 1, "loss": 2.0, "forward_exact_matsch": 10.0}\n')
    with pytest.raises(KeyError, match="exact_matsch"):
        read_curves([curve], [{"task": "retrieval", "objective": "ar", "seed": 0}])


def test_long_table_rows_follow_the_registry_then_the_positions(tmp_path):
    ev = {"task": "stargraph", "dataset": "s-1", "objective": "ar", "seed": 0,
          "metrics": {"forward": {"position_2": 50.0, "token_accuracy": 75.0, "position_1": 60.0, "exact_match": 40.0,
                                  "count": 4}}}
    table = aggregate_sweep(write(tmp_path, [ev]), "degree", {"s-1": {"config": {"degree": 3}}}, tmp_path / "s.csv")
    assert table.metric.tolist() == ["exact_match", "token_accuracy", "position_1", "position_2"]
