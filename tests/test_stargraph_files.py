"""The star graph read from files in Bachmann & Nagarajan's format (``train_file``, ``test_file``)."""
import copy
import csv
import json
import random
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from factorization_curse.config import ConfigError, check_config, dataset_sources
from factorization_curse.data import load_split, make_dataset
from factorization_curse.tasks.stargraph import StarGraph, StarGraphConfig, format_line, make_graph, parse_line

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
GENERATOR = StarGraphConfig(degree=2, path_length=4, num_nodes=30, num_train=1, num_test=1)


def graphs(count, seed):
    rng = random.Random(seed)
    return [make_graph(GENERATOR, rng) for _ in range(count)]


def reversed_path(graph):
    """The line of their reversed-path variant: the path from the goal back to the start."""
    return StarGraph(graph.edges, graph.start, graph.goal, graph.path[::-1])


def write(path, graphs_or_lines):
    lines = [g if isinstance(g, str) else format_line(g) for g in graphs_or_lines]
    path.write_text("".join(line + "\n" for line in lines))
    return lines


def line_of(example):
    """An example back to its line: the prompt without spaces, the answer's nodes joined by commas."""
    return example["prompt"].replace(" ", "") + example["answer"].replace(" ", ",")


def files(tmp_path, reverse=False):
    """A training file of 60 graphs and a test file of 70 lines, three of which must go: a training
    graph, a training graph with its edges listed in another order, and a repeat of a test line."""
    train = graphs(60, seed=1)
    test = graphs(67, seed=2)
    reordered = StarGraph(train[5].edges[::-1], train[5].start, train[5].goal, train[5].path)
    test = test[:10] + [train[3]] + test[10:40] + [reordered] + test[40:] + [test[7]]
    if reverse:
        train, test = [reversed_path(g) for g in train], [reversed_path(g) for g in test]
    train_lines = write(tmp_path / "train.txt", train)
    test_lines = write(tmp_path / "test.txt", test)
    removed = {11: ("train", 4), 42: ("train", 6), 70: ("test", 8)}  # 1-based line numbers
    kept = [line for number, line in enumerate(test_lines, 1) if number not in removed]
    return train_lines, kept, removed


@pytest.mark.parametrize("reverse", [False, True])
def test_files_round_trip_and_overlaps_are_removed_and_reported(tmp_path, capsys, reverse):
    train_lines, kept, removed = files(tmp_path, reverse)
    settings = {"train_file": str(tmp_path / "train.txt"), "test_file": str(tmp_path / "test.txt")}
    make_dataset("stargraph", settings, 0, tmp_path / "data")
    data = tmp_path / "data"
    assert [line_of(e) for e in load_split(data, "train")] == train_lines
    # the held-out lines kept are split into validation and test as every task's (tasks/base.py)
    held_out = sorted(load_split(data, "validation") + load_split(data, "test"), key=lambda e: e["fact"])
    assert [line_of(e) for e in held_out] == kept
    assert load_split(data, "validation") and load_split(data, "test")
    assert all(e["direction"] == "forward" and e["kind"] == "query" for e in held_out)
    # the answer is the path as the line writes it
    assert [e["answer"].split()[0] for e in held_out] == [str(parse_line(line).path[0]) for line in kept]
    with open(data / "test_overlaps.csv") as f:
        rows = list(csv.DictReader(f))
    assert {int(r["test_line"]): (r["repeats"], int(r["repeated_line"])) for r in rows} == removed
    test_lines = (tmp_path / "test.txt").read_text().splitlines()
    assert [r["graph"] for r in rows] == [test_lines[int(r["test_line"]) - 1] for r in rows]
    assert "removed 3 of 70 test lines" in capsys.readouterr().err
    info = json.loads((data / "info.json").read_text())
    assert info["num_train"] == 60 and info["num_validation"] + info["num_test"] == 67
    assert info["config"]["train_file"] == settings["train_file"]
    # a random first step finds half the paths; the reversed variant has no choice to guess
    assert info["chance_exact_match"] == (None if reverse else 50.0)


def test_a_file_mixing_variants_or_two_files_of_different_variants_are_refused(tmp_path):
    train = graphs(5, seed=3)
    write(tmp_path / "train.txt", train[:3] + [reversed_path(train[3])])
    write(tmp_path / "test.txt", graphs(5, seed=4))
    config = StarGraphConfig(train_file=str(tmp_path / "train.txt"), test_file=str(tmp_path / "test.txt"))
    with pytest.raises(ValueError, match=r"train.txt, line 4: the path runs from goal to start, but on line 1 from start"):
        make_dataset("stargraph", {"train_file": config.train_file, "test_file": config.test_file}, 0, tmp_path / "d")
    write(tmp_path / "train.txt", [reversed_path(g) for g in train])
    with pytest.raises(ValueError, match="train_file is the reversed-path variant .* and the other file is not"):
        make_dataset("stargraph", {"train_file": config.train_file, "test_file": config.test_file}, 0, tmp_path / "d")


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def with_files(config, tmp_path, **extra):
    config["presets"]["tiny"]["data"]["stargraph"] = {"train_file": str(tmp_path / "train.txt"),
                                                      "test_file": str(tmp_path / "test.txt"), **extra}
    return config


def test_config_accepts_the_files_and_declares_them_as_inputs(config, tmp_path):
    files(tmp_path)
    with_files(config, tmp_path)
    validate(copy.deepcopy(config), SCHEMA)
    check_config(config)
    assert dataset_sources(config, "stargraph") == [str(tmp_path / "train.txt"), str(tmp_path / "test.txt")]
    assert dataset_sources(config, "retrieval") == []


@pytest.mark.parametrize("extra,message", [
    ({"degree": 3}, r"presets.tiny.data.stargraph: .*read the graphs from files, which fix what degree would set; drop it"),
    ({"num_train": 5, "num_nodes": 40}, "fix what num_nodes, num_train would set; drop them"),
])
def test_files_mixed_with_generator_settings_are_refused(config, tmp_path, extra, message):
    files(tmp_path)
    with_files(config, tmp_path, **extra)
    validate(copy.deepcopy(config), SCHEMA)  # each key alone is valid; the mix is the config check's
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_schema_checks_the_file_keys(config, tmp_path):
    with_files(config, tmp_path, train_file="")
    with pytest.raises(WorkflowError, match="train_file"):
        validate(config, SCHEMA)


@pytest.mark.parametrize("edit,message", [
    (lambda tmp: (tmp / "train.txt").write_text("2,6|6,7/4,7=4,2,6,7\n1,2|2,3/1,3=1,2,3\n1,2|2,3/1,3=1,2\n"),
     r"presets.tiny.data.stargraph: .*train.txt, line 1: malformed star-graph line \(the path does not follow"),
    (lambda tmp: (tmp / "test.txt").write_text("1,2|2,3/1,3=1,2,3\n\n1,2|2,3|1,4/1,3=1,2,3\n1,2|2/1,3=1,2,3\n"),
     r"test.txt, line 4: malformed star-graph line \(an edge is not two nodes\)"),
    (lambda tmp: (tmp / "test.txt").write_text("\n"), r"test.txt: no star-graph lines"),
    (lambda tmp: (tmp / "test.txt").unlink(), r"test_file '.*test.txt' is not a file"),
    (lambda tmp: write(tmp / "test.txt", [format_line(g) for g in graphs(60, seed=1)]),
     r"every graph of test_file .* is also in train_file"),
])
def test_bad_files_stop_the_config_check_naming_file_and_line(config, tmp_path, edit, message):
    files(tmp_path)
    edit(tmp_path)
    with pytest.raises(ConfigError, match=message):
        check_config(with_files(config, tmp_path))


def test_one_file_alone_is_refused():
    with pytest.raises(ValueError, match="needs both train_file and test_file .*missing: test_file"):
        StarGraphConfig(train_file="train.txt")
