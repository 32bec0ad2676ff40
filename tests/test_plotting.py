"""Every plotting function writes a non-empty vector PDF from a small fixture table."""
from pathlib import Path

import pandas as pd
import pytest
import yaml

from factorization_curse.analysis import plotting
from factorization_curse.analysis.tables import CURVE_COLUMNS, INTERVAL_COLUMNS
from factorization_curse.analysis.paper import CELL_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
OBJECTIVES = ["ar", "mlm-u", "plm"]


def results(task="toy", directions=("forward", "backward")):
    """An intervals table (tables/<task>_intervals.csv): what the bar figures draw."""
    rows = []
    for k, objective in enumerate(OBJECTIVES):
        for direction in directions:
            value = 100.0 if direction == "forward" else 40.0 * k + 2.5
            for metric, mean in (("exact_match", value), ("token_accuracy", min(100.0, value + 10))):
                low, high = max(0.0, mean - 12), min(100.0, mean + 8)
                rows.append([task, objective, direction, metric, mean, low, high, high - low, 2, 50, 50])
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)


def curves(task="toy"):
    rows = []
    for seed in (0, 1):
        for objective in OBJECTIVES:
            for step in (100, 200, 300):
                rows.append([task, objective, seed, step, "forward", "exact_match", min(100.0, step / 2 + seed)])
                rows.append([task, objective, seed, step, "backward", "exact_match", step / 5 + 3 * seed])
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def assert_pdf(path):
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 3000


def test_overview(tmp_path):
    paper = pd.DataFrame([["toy", "toy", "T1", "exact_match", "ar", "backward", 0.0],
                          ["star", "star", "F5", "exact_match", "mlm-u", "forward", 100.0]], columns=CELL_COLUMNS)
    tables = {"toy": results("toy"), "star": results("star", ("forward",)), "third": results("third")}
    plotting.plot_overview(tables, tmp_path / "o.pdf", {t: OBJECTIVES for t in tables}, {"star": 50.0}, paper)
    assert_pdf(tmp_path / "o.pdf")
    plotting.plot_overview({"toy": results()}, tmp_path / "one.pdf", {"toy": OBJECTIVES})  # no paper, no chance
    assert_pdf(tmp_path / "one.pdf")


def test_stargraph(tmp_path):
    plotting.plot_stargraph(results("star", ("forward",)), tmp_path / "s.pdf", OBJECTIVES, chance=50.0,
                            paper={"ar": 50.0, "mlm-u": 100.0})
    assert_pdf(tmp_path / "s.pdf")


def test_learning_curves(tmp_path):
    plotting.plot_learning_curves(curves(), tmp_path / "c.pdf", ["mlm-u", "ar"])
    assert_pdf(tmp_path / "c.pdf")


def test_delayed_generalisation(tmp_path):
    two_tasks = pd.concat([curves("bios"), curves("wiki")])
    plotting.plot_delayed_generalisation(two_tasks, tmp_path / "d.pdf", ["bios", "wiki", "not-run"], ["ar", "mlm-u"])
    assert_pdf(tmp_path / "d.pdf")
    with pytest.raises(ValueError, match="no learning curves"):
        plotting.plot_delayed_generalisation(two_tasks, tmp_path / "none.pdf", ["not-run"], ["ar"])


def test_entity_pca(tmp_path):
    points = pd.DataFrame({"fact": [0, 0, 1, 1, 2, 2], "role": ["A", "B"] * 3,
                           "split": ["train", "train", "train", "train", "test", "test"],
                           "pc1": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "pc2": [1.0, 0.0, -1.0, 0.5, 0.2, -0.3],
                           "pc1_variance": 0.6, "pc2_variance": 0.2})
    plotting.plot_entity_pca(points, tmp_path / "p.pdf", "mlm-u")
    assert_pdf(tmp_path / "p.pdf")


def test_one_colour_per_objective_across_the_config():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    ids = list(config["objectives"])
    colours = [plotting.objective_colour(o) for o in ids]
    assert len(set(colours)) == len(ids)
    assert all(plotting.objective_colour(o) == plotting.OBJECTIVE_COLOURS[o] for o in ids)
