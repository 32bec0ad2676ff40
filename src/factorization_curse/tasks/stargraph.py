"""Star-graph path finding (paper §4, Figure 5; Bachmann & Nagarajan 2024).

A start node has ``degree`` arms, each a chain of ``path_length - 1`` further nodes; the goal is the
last node of one arm. A line of the original work's format lists the shuffled directed edges, then
the start and goal, then the path from start to goal::

    2,6|6,7|5,1|4,3|4,2|3,5/4,7=4,2,6,7

Teacher-forced AR learns the "Clever Hans" cheat and lands at 1/degree (a random first step).
Lines are parsed and formatted byte for byte (``parse_line`` / ``format_line``). Models read the line as tokens: node ids and
``, | / =``; the prompt ends at ``=``, the answer is the path's nodes.

Instead of generating graphs, the task reads the files of Bachmann & Nagarajan's repository as
published (``train_file``, ``test_file``): one line per graph, in the format above or in their
reversed-path variant, whose path runs from the goal back to the start (``.../4,7=7,6,2,4``).
A test graph that is also a training graph (by :func:`graph_identity`), or repeats an earlier test
graph, is removed from test and reported (the job's log and ``test_overlaps.csv`` in the dataset
folder); a malformed line is an error naming its file and line, raised when the workflow is built.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from .base import Example, Task, TaskData, resolve_source

PUNCTUATION = [",", "|", "/", "="]


@dataclass(frozen=True)
class StarGraph:
    edges: tuple[tuple[int, int], ...]  # in the order of the line
    start: int
    goal: int
    path: tuple[int, ...]  # as the line writes it: start .. goal, or goal .. start (reversed-path variant)


# the generator's settings and their defaults (Bachmann & Nagarajan's standard setting) ...
GENERATOR_DEFAULTS = {"degree": 2, "path_length": 5, "num_nodes": 50, "num_train": 200_000, "num_test": 20_000}
# ... or the files to read instead
FILE_SETTINGS = ("train_file", "test_file")


@dataclass(frozen=True)
class StarGraphConfig:
    """Either generator settings or two files (``train_file``, ``test_file``), never both: the
    files fix what the settings would choose. Unset generator settings take GENERATOR_DEFAULTS."""

    degree: int | None = None
    path_length: int | None = None  # nodes on the path, start and goal included
    num_nodes: int | None = None
    num_train: int | None = None
    num_test: int | None = None
    train_file: str | None = None  # a relative path: the working directory's, else the repository's
    test_file: str | None = None

    @property
    def reads_files(self) -> bool:
        return self.train_file is not None or self.test_file is not None

    def __post_init__(self):
        if self.reads_files:
            given = [k for k in GENERATOR_DEFAULTS if getattr(self, k) is not None]
            if given:
                raise ValueError(f"stargraph: train_file/test_file read the graphs from files, which fix what "
                                 f"{', '.join(given)} would set; drop {'them' if len(given) > 1 else 'it'} or the files")
            missing = [k for k in FILE_SETTINGS if not isinstance(getattr(self, k), str) or not getattr(self, k)]
            if missing:
                raise ValueError(f"stargraph: reading graphs from files needs both train_file and test_file "
                                 f"(a path each); missing: {', '.join(missing)}")
            return
        for key, default in GENERATOR_DEFAULTS.items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, default)
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
    """``a,b|c,d|.../start,goal=path`` to a StarGraph (raises ValueError naming the problem). The
    path runs from start to goal along the edges, or (the reversed-path variant) from goal to start
    against them."""
    try:
        edges_part, rest = line.strip().split("/")
        query, path_part = rest.split("=")
        start, goal = (int(x) for x in query.split(","))
        edges = tuple(tuple(int(x) for x in e.split(",")) for e in edges_part.split("|"))
        path = tuple(int(x) for x in path_part.split(","))
    except ValueError:
        raise ValueError(f"not a star-graph line (a,b|c,d|.../start,goal=path): {line.strip()[:80]!r}") from None
    if any(len(e) != 2 for e in edges):
        raise ValueError(f"malformed star-graph line (an edge is not two nodes): {line.strip()[:80]!r}")
    graph = StarGraph(edges, start, goal, path)
    walk = path[::-1] if path_is_reversed(graph) else path
    if walk[0] != start or walk[-1] != goal:
        raise ValueError(f"malformed star-graph line (the path neither runs from start to goal nor from goal "
                         f"to start): {line.strip()[:80]!r}")
    if not set(zip(walk, walk[1:])) <= set(edges):
        raise ValueError(f"malformed star-graph line (the path does not follow the edges): {line.strip()[:80]!r}")
    return graph


def path_is_reversed(graph: StarGraph) -> bool:
    """Whether the line writes the path from the goal back to the start (the reversed-path variant)."""
    return graph.path[0] == graph.goal and graph.path[-1] == graph.start and graph.start != graph.goal


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


def read_graph_file(path: str | Path) -> list[tuple[int, StarGraph]]:
    """(line number, graph) of every line of a star-graph file (blank lines skipped). Raises
    ValueError naming the file and line of the first malformed line, or of the first line whose path
    runs the other way than the file's first line (a file is one variant)."""
    path = Path(path)
    graphs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                graph = parse_line(line)
            except ValueError as e:
                raise ValueError(f"{path}, line {number}: {e}") from None
            if graphs and path_is_reversed(graph) != path_is_reversed(graphs[0][1]):
                variants = ("start to goal", "goal to start")
                raise ValueError(f"{path}, line {number}: the path runs from {variants[path_is_reversed(graph)]}, "
                                 f"but on line {graphs[0][0]} from {variants[path_is_reversed(graphs[0][1])]}; "
                                 "a file holds one variant")
            graphs.append((number, graph))
    if not graphs:
        raise ValueError(f"{path}: no star-graph lines")
    return graphs


@dataclass(frozen=True)
class GraphFiles:
    """What the two files of a config hold: every training graph, the test graphs kept, and the
    test lines removed (line number, why, the line it repeats)."""

    train: list[StarGraph]
    test: list[StarGraph]
    removed: list[tuple[int, str, int, StarGraph]]  # test line, "train" or "test", the line it repeats there
    train_path: Path
    test_path: Path


def read_graph_files(config: StarGraphConfig) -> GraphFiles:
    """Read and check ``config.train_file`` and ``config.test_file``: one variant in both; test
    graphs that are training graphs or repeat an earlier test line (by :func:`graph_identity`) are
    removed from test (returned in ``removed``). Raises ValueError naming file and line."""
    paths = {}
    for key in FILE_SETTINGS:
        paths[key] = resolve_source(getattr(config, key))
        if not paths[key].is_file():
            raise ValueError(f"stargraph: {key} {getattr(config, key)!r} is not a file (a relative path is looked "
                             "up in the directory Snakemake runs in, then in the repository)")
    train, test = read_graph_file(paths["train_file"]), read_graph_file(paths["test_file"])
    if path_is_reversed(train[0][1]) != path_is_reversed(test[0][1]):
        reversed_one = "train_file" if path_is_reversed(train[0][1]) else "test_file"
        raise ValueError(f"stargraph: {reversed_one} is the reversed-path variant (paths from goal to start) and the "
                         "other file is not; give two files of one variant")
    first_line = {}
    for number, graph in train:
        first_line.setdefault(graph_identity(graph), number)
    seen_in_test, kept, removed = {}, [], []
    for number, graph in test:
        identity = graph_identity(graph)
        if identity in first_line:
            removed.append((number, "train", first_line[identity], graph))
        elif identity in seen_in_test:
            removed.append((number, "test", seen_in_test[identity], graph))
        else:
            seen_in_test[identity] = number
            kept.append(graph)
    if not kept:
        raise ValueError(f"stargraph: every graph of test_file {str(paths['test_file'])!r} is also in train_file "
                         f"{str(paths['train_file'])!r}; nothing is left to test")
    return GraphFiles([g for _, g in train], kept, removed, paths["train_file"], paths["test_file"])


def overlap_report(files: GraphFiles) -> tuple[str, str]:
    """(one line for the log, the CSV of the removed test lines) of :func:`read_graph_files`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["test_line", "repeats", "repeated_line", "graph"])
    writer.writerows([number, where, line, format_line(graph)] for number, where, line, graph in files.removed)
    in_train = sum(where == "train" for _, where, _, _ in files.removed)
    summary = (f"stargraph: removed {len(files.removed)} of {len(files.test) + len(files.removed)} test lines of "
               f"{files.test_path} ({in_train} also in {files.train_path}, {len(files.removed) - in_train} repeating an "
               "earlier test line, by edge set, start and goal); listed in test_overlaps.csv")
    return summary, out.getvalue()


def read_stargraph(config: StarGraphConfig) -> TaskData:
    """The graphs of the config's files as examples, in file order (training lines, then the test lines
    kept); the removed test lines are reported on stderr (the job's log) and in ``test_overlaps.csv``."""
    files = read_graph_files(config)
    summary, removed = overlap_report(files)
    print(summary, file=sys.stderr)
    examples = [to_example(g, i) for i, g in enumerate(files.train + files.test)]
    largest = max(max(max(e) for e in g.edges) for g in files.train + files.test)
    vocabulary = PUNCTUATION + [str(n) for n in range(largest + 1)]
    return TaskData(train=examples[: len(files.train)], test=examples[len(files.train) :], vocabulary=vocabulary,
                    files={"test_overlaps.csv": removed})


def make_stargraph(config: StarGraphConfig, seed: int) -> TaskData:
    """Distinct graphs by :func:`graph_identity` (so no test graph is a training graph with its edges
    listed in another order), deterministic in ``seed``; or, with ``train_file`` and ``test_file``,
    the files' graphs (:func:`read_stargraph`; ``seed`` unused)."""
    if config.reads_files:
        return read_stargraph(config)
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


def stargraph_chance(config: StarGraphConfig) -> float | None:
    """Exact match (%) of a model that finds the path once it picks the right first step at random:
    the Clever-Hans solution teacher forcing leads to (1/degree). From files: the mean of 100/degree
    over the test graphs kept; None for the reversed-path variant, where no step is a choice."""
    if not config.reads_files:
        return 100.0 / config.degree
    test = read_graph_files(config).test
    if path_is_reversed(test[0]):
        return None
    return sum(100.0 / sum(a == g.start for a, _ in g.edges) for g in test) / len(test)


def check_stargraph_files(config: StarGraphConfig) -> None:
    """When the workflow is built: the config's files exist and every line is a star graph of one
    variant (raises ValueError naming file and line)."""
    if config.reads_files:
        read_graph_files(config)


def stargraph_sources(config: StarGraphConfig) -> list[Path]:
    return [resolve_source(getattr(config, key)) for key in FILE_SETTINGS] if config.reads_files else []


TASK = Task(StarGraphConfig, make_stargraph, marks_entities=False, chance=stargraph_chance, position_metrics=True,
            check_sources=check_stargraph_files, source_files=stargraph_sources)
