import json

import pandas as pd

from factorization_curse.aggregation import COLUMNS, aggregate_results, aggregate_sweep, paper_layout
from factorization_curse.plotting import objective_colour, plot_forward_backward, plot_sweep


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
    paths = write(tmp_path, [evaluation("mlm-u", 0, 100, 90), evaluation("mlm-u", 1, 100, 80), evaluation("ar", 0, 100, 0)])
    table = aggregate_results(paths, tmp_path / "t.csv", tmp_path / "t.md", ["ar", "mlm-u"])
    assert list(pd.read_csv(tmp_path / "t.csv").columns) == COLUMNS
    layout = paper_layout(table, "exact_match", ["ar", "mlm-u"])
    assert list(layout.columns) == ["ar", "mlm-u"] and list(layout.index) == ["forward", "backward"]
    assert layout.loc["backward", "mlm-u"] == "85.0 ± 7.1" and layout.loc["backward", "ar"] == "0.0"
    assert "| backward | 0.0 | 85.0 ± 7.1 |" in (tmp_path / "t.md").read_text()
    plot_forward_backward(table, tmp_path / "f.pdf", ["ar", "mlm-u"], title="t")
    assert (tmp_path / "f.pdf").stat().st_size > 1000


def test_sweep_table_carries_the_parameter(tmp_path):
    sweep = {"task": "retrieval", "parameter": "entity_length", "values": [1, 2], "objectives": ["ar-rev"]}
    paths = write(tmp_path, [evaluation("ar-rev", 0, 100, 100, "retrieval_entity_length-1"),
                             evaluation("ar-rev", 0, 100, 0, "retrieval_entity_length-2")])
    table = aggregate_sweep(paths, sweep, tmp_path / "s.csv")
    backward = table[(table.direction == "backward") & (table.metric == "exact_match")]
    assert dict(zip(backward.entity_length, backward.value)) == {1: 100, 2: 0}
    plot_sweep(table, tmp_path / "s.pdf", "entity_length", ["ar-rev"], title="s")
    assert (tmp_path / "s.pdf").stat().st_size > 1000


def test_objective_colours_are_fixed_and_distinct():
    paper = ["ar", "ar-rev", "mlm-15", "mlm-40", "mlm-85", "mlm-u", "plm"]
    assert len({objective_colour(o) for o in paper}) == len(paper)
    assert objective_colour("new-objective") == objective_colour("new-objective")
