"""Star-graph path finding (paper §4, Figure 5; Bachmann & Nagarajan 2024).

A start node has ``degree`` arms, each a chain of ``path_length - 1`` further nodes; the goal is the
last node of one arm. A line of the original work's format lists the shuffled directed edges, then
the start and goal, then the path from start to goal::

    2,6|6,7|5,1|4,3|4,2|3,5/4,7=4,2,6,7

Teacher-forced AR learns the "Clever Hans" cheat and lands at 1/degree (a random first step).
Lines are parsed and formatted byte for byte (``parse_line`` / ``format_line``). Models read the line as tokens: node ids and
``, | / =``; the prompt ends at ``=``, the answer is the path's nodes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .base import Example, Task, TaskData

PUNCTUATION = [",", "|", "/", "="]


@dataclass(frozen=True)
class StarGraph:
    edges: tuple[tuple[int, int], ...]  # in the order of the line
    start: int
    goal: int
    path: tuple[int, ...]  # start .. goal


@dataclass(frozen=True)
class StarGraphConfig:
    degree: int = 2
    path_length: int = 5  # nodes on the path, start and goal included
    num_nodes: int = 50
    num_train: int = 200_000
    num_test: int = 20_000

    def __post_init__(self):
        if self.degree < 2 or self.path_length < 2:
            raise ValueError("stargraph: degree and path_length must be at least 2")
        if self.num_nodes < self.degree * (self.path_length - 1) + 1:
            raise ValueError(
                f"stargraph: num_nodes={self.num_nodes} cannot hold {self.degree} arms of {self.path_length - 1} "
                "nodes plus the start; raise num_nodes"
            )
        if self.num_train < 1 or self.num_test < 1:
            raise ValueError("stargraph: num_train and num_test must be positive")


def parse_line(line: str) -> StarGraph:
    """``a,b|c,d|.../start,goal=path`` to a StarGraph (raises ValueError naming the problem)."""
    try:
        edges_part, rest = line.strip().split("/")
        query, path_part = rest.split("=")
        start, goal = (int(x) for x in query.split(","))
        edges = tuple(tuple(int(x) for x in e.split(",")) for e in edges_part.split("|"))
        path = tuple(int(x) for x in path_part.split(","))
    except ValueError:
        raise ValueError(f"not a star-graph line (a,b|c,d|.../start,goal=path): {line.strip()[:80]!r}") from None
    if any(len(e) != 2 for e in edges) or path[0] != start or path[-1] != goal:
        raise ValueError(f"malformed star-graph line: {line.strip()[:80]!r}")
    return StarGraph(edges, start, goal, path)


def format_line(graph: StarGraph) -> str:
    edges = "|".join(f"{a},{b}" for a, b in graph.edges)
    return f"{edges}/{graph.start},{graph.goal}=" + ",".join(map(str, graph.path))


def make_graph(config: StarGraphConfig, rng: random.Random) -> StarGraph:
    nodes = rng.sample(range(config.num_nodes), config.degree * (config.path_length - 1) + 1)
    start, rest = nodes[0], nodes[1:]
    arms = [[start] + rest[i * (config.path_length - 1) : (i + 1) * (config.path_length - 1)] for i in range(config.degree)]
    edges = [(a, b) for arm in arms for a, b in zip(arm, arm[1:])]
    rng.shuffle(edges)
    path = rng.choice(arms)
    return StarGraph(tuple(edges), start, path[-1], tuple(path))


def to_example(graph: StarGraph, index: int) -> Example:
    """The line as tokens: the prompt is everything up to ``=`` (edges, start, goal) with each node
    id and each of ``, | / =`` one token; the answer is the path's node ids (one token per step, the
    commas between them dropped, so that answer position k is the k-th node of the path)."""
    prompt = format_line(graph).split("=")[0]
    spaced = " ".join(prompt.replace(",", " , ").replace("|", " | ").replace("/", " / ").split())
    return Example(prompt=spaced + " =", answer=" ".join(map(str, graph.path)), kind="query", direction="forward", fact=index)


def graph_identity(graph: StarGraph) -> tuple:
    """What makes two lines the same question: the edge set (in any listed order), start and goal.
    Two lines that differ only in the order of their edges are one graph."""
    return frozenset(graph.edges), graph.start, graph.goal


def make_stargraph(config: StarGraphConfig, seed: int) -> TaskData:
    """Distinct graphs by :func:`graph_identity` (so no test graph is a training graph with its edges
    listed in another order), deterministic in ``seed``."""
    rng = random.Random(seed)
    wanted = config.num_train + config.num_test
    graphs, seen = [], set()
    for _ in range(20 * wanted):
        graph = make_graph(config, rng)
        identity = graph_identity(graph)
        if identity not in seen:
            seen.add(identity)
            graphs.append(graph)
            if len(graphs) == wanted:
                break
    else:
        raise ValueError(f"stargraph: could not draw {wanted} distinct graphs; raise num_nodes or lower num_train/num_test")
    examples = [to_example(g, i) for i, g in enumerate(graphs)]
    vocabulary = PUNCTUATION + [str(n) for n in range(config.num_nodes)]
    return TaskData(train=examples[: config.num_train], test=examples[config.num_train :], vocabulary=vocabulary)


def stargraph_chance(config: StarGraphConfig) -> float:
    """Exact match (%) of a model that finds the path once it picks the right first step at random:
    the Clever-Hans solution teacher forcing leads to (1/degree)."""
    return 100.0 / config.degree


TASK = Task(StarGraphConfig, make_stargraph, marks_entities=False, chance=stargraph_chance, position_metrics=True)
