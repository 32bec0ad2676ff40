import random
from collections import defaultdict

import pytest

from factorization_curse.data import encode_examples, load_split, load_tokenizer
from factorization_curse.data import make_dataset
from factorization_curse.tasks.base import check_no_leak
from factorization_curse.tasks.stargraph import (
    StarGraphConfig, format_line, graph_identity, make_graph, make_stargraph, parse_line, to_example,
)

PAPER_EXAMPLE = "2,6|6,7|5,1|4,3|4,2|3,5/4,7=4,2,6,7"
CONFIG = StarGraphConfig(degree=3, path_length=4, num_nodes=20, num_train=300, num_test=50)


def paths_from(graph, node, goal):
    """Every directed path from node to goal (the graph is a tree, so at most one)."""
    children = defaultdict(list)
    for a, b in graph.edges:
        children[a].append(b)
    if node == goal:
        return [[goal]]
    return [[node] + rest for child in children[node] for rest in paths_from(graph, child, goal)]


def test_line_round_trip_byte_for_byte():
    graph = parse_line(PAPER_EXAMPLE)
    assert graph.start == 4 and graph.goal == 7 and graph.path == (4, 2, 6, 7)
    lines = [PAPER_EXAMPLE] + [format_line(make_graph(CONFIG, random.Random(i))) for i in range(20)]
    assert [format_line(parse_line(line)) for line in lines] == lines


def test_every_generated_graph_has_exactly_one_path():
    rng = random.Random(0)
    for _ in range(200):
        graph = make_graph(CONFIG, rng)
        assert len(graph.edges) == CONFIG.degree * (CONFIG.path_length - 1)
        assert paths_from(graph, graph.start, graph.goal) == [list(graph.path)]
        assert len(graph.path) == CONFIG.path_length
        assert sum(a == graph.start for a, _ in graph.edges) == CONFIG.degree


def test_generator_is_deterministic_and_test_graphs_are_unseen():
    data = make_stargraph(CONFIG, seed=1)
    assert data == make_stargraph(CONFIG, seed=1)
    check_no_leak(data)
    assert {e.prompt for e in data.train}.isdisjoint({e.prompt for e in data.test})


def test_no_test_graph_is_a_training_graph_with_its_edges_reordered():
    """At the tiny preset's size, lines alone once let 15 of 500 test graphs be training graphs
    listed in another edge order: deduplicate by edge set, start and goal."""
    config = StarGraphConfig(degree=2, path_length=3, num_nodes=15, num_train=10000, num_test=500)
    data = make_stargraph(config, seed=0)
    train = {graph_identity(parse_line(e.prompt.replace(" ", "") + e.answer.replace(" ", ","))) for e in data.train}
    test = [graph_identity(parse_line(e.prompt.replace(" ", "") + e.answer.replace(" ", ","))) for e in data.test]
    assert len(set(test)) == len(test) and train.isdisjoint(test)
    shuffled = parse_line(PAPER_EXAMPLE)
    assert graph_identity(shuffled) == graph_identity(shuffled.__class__(shuffled.edges[::-1], shuffled.start,
                                                                          shuffled.goal, shuffled.path))


def test_examples_tokenize_and_split_at_the_equals_sign(tmp_path):
    make_dataset("stargraph", {"degree": 2, "path_length": 4, "num_nodes": 12, "num_train": 20, "num_test": 5}, 0, tmp_path / "d")
    split = encode_examples(load_split(tmp_path / "d", "test"), load_tokenizer(tmp_path / "d"))
    assert (split.answer_lengths == 4).all()  # the path's 4 nodes, one token each
    example = to_example(parse_line(PAPER_EXAMPLE), 0)
    assert example.prompt.endswith("/ 4 , 7 =") and example.answer == "4 2 6 7"


@pytest.mark.parametrize("line", ["2,6|6,7/4,7", "2,6|6/4,7=4,2,6,7", "2,6|6,7/4,7=5,2,6,7"])
def test_bad_lines_are_rejected(line):
    with pytest.raises(ValueError, match="star-graph line"):
        parse_line(line)


def test_impossible_settings_are_rejected():
    with pytest.raises(ValueError, match="raise num_nodes"):
        StarGraphConfig(degree=3, path_length=5, num_nodes=10)
    with pytest.raises(ValueError, match="distinct graphs"):
        make_stargraph(StarGraphConfig(degree=2, path_length=2, num_nodes=3, num_train=50, num_test=5), seed=0)
