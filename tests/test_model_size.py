"""The model-size sweep's table: each size's cells with intervals, named by the objective it scales,
its depth, width and parameters, in the sweep's order; the figure is a PDF."""
import json

import pandas as pd

from factorization_curse.analysis.model_size import model_size_markdown, write_model_size_tables
from factorization_curse.analysis.plotting import plot_model_size

from .question_tables import write_questions

POINTS = [{"objective": "ar-l1-d64", "base": "ar", "size": {"n_layer": 1, "d_model": 64}, "model": {"n_layer": 1, "d_model": 64}},
          {"objective": "ar", "base": "ar", "size": {"n_layer": 2, "d_model": 128}, "model": {"n_layer": 2, "d_model": 128}},
          {"objective": "mlm-u-l1-d64", "base": "mlm-u", "size": {"n_layer": 1, "d_model": 64},
           "model": {"n_layer": 1, "d_model": 64}}]


def test_model_size_table_names_each_size_and_keeps_the_sweeps_order(tmp_path):
    scores = {"ar-l1-d64": (90, 0), "ar": (100, 0), "mlm-u-l1-d64": (40, 30)}
    evaluations = [{"task": "relationship", "dataset": "relationship", "objective": o, "seed": 0,
                    "metrics": {"forward": {"exact_match": f}, "backward": {"exact_match": b}}} for o, (f, b) in scores.items()]
    run_info = []
    for i, (o, parameters) in enumerate({"ar-l1-d64": 60_000, "ar": 400_000, "mlm-u-l1-d64": 90_000}.items()):
        run_info.append(tmp_path / f"run{i}.json")
        run_info[-1].write_text(json.dumps({"objective": {"id": o}, "parameters": parameters}))
    table = write_model_size_tables(write_questions(tmp_path, evaluations[::-1]), run_info, POINTS,
                                    tmp_path / "t.csv", tmp_path / "t.md")
    assert list(dict.fromkeys(table.objective)) == ["ar-l1-d64", "ar", "mlm-u-l1-d64"]
    forward = table[(table.metric == "exact_match") & (table.direction == "forward")].set_index("objective")
    assert forward.loc["ar-l1-d64", ["base", "n_layer", "d_model", "parameters", "mean"]].tolist() == ["ar", 1, 64, 60_000, 90.0]
    assert forward.loc["mlm-u-l1-d64", "low"] < 40 < forward.loc["mlm-u-l1-d64", "high"]
    assert pd.read_csv(tmp_path / "t.csv").shape == table.shape
    text = model_size_markdown(table)
    assert "| mlm-u | 1 | 64 | 90.0k | 40.0 [" in text and "| ar | 2 | 128 | 0.40M | 100.0 [100.0, 100.0] |" in text
    plot_model_size(table, tmp_path / "m.pdf")
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")
