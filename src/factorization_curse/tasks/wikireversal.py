"""WikiReversal (paper §3.2, Appendix E, Algorithm 1): questions about Wikipedia passages, both ways.

Built from GenWiki (Jin et al., COLING 2020), Wikipedia passages paired with DBpedia triples. A
GenWiki record holds the passage with its entities cut out (``<ENT_k>`` slots, filled from
``entities``) and a ``graph`` of (head, relation, tail) triples about the page; a triple's entities
need not occur in the passage. The benchmark keeps a triple (e_i, r, e_j) when

1. both entities occur in the filled passage (:func:`occurring_triples`),
2. e_i occurs before e_j there, a "forward" triple (:func:`forward_triples`),
3. it was not kept already from an earlier passage (:func:`distinct_triples`),
4. no other kept triple has the same (e_i, r) (:func:`unique_head_relation`) nor the same
   (r, e_j) (:func:`unique_relation_tail`): both conditions are taken on the same set of
   triples, so each question has one answer,
5. its relation has at least ``min_relation_count`` such triples (:func:`frequent_relations`).

An entity occurs where its text stands as whole words (its first such place decides the order);
uniqueness is judged among the distinct forward triples (the questions asked), not among every
triple of GenWiki's graphs. Both are our reading of the paper, which gives no more detail.

Each kept triple gives a forward question F_r(e_i) with answer e_j and a backward question
B_r(e_j) with answer e_i, from the per-relation templates in :data:`TEMPLATES` (the 31 relations
of the paper's Table 9; other relations get :func:`generic_templates`). Training holds every passage
that has a kept triple plus a ``query_train_fraction`` of the forward and of the backward
questions; the rest are the test set. ``split_seeds: same`` draws both splits with one seed (a
triple's two questions are trained or held out together; paper Table 8 left), ``different`` with
two (Table 8 right). Passages, questions and answers mark their entities; a BPE tokenizer is
trained on the training text (as for BioS).

GenWiki is not downloaded by the pipeline: ``genwiki_dir`` names a local copy (see
:data:`GENWIKI_HELP`). The dataset directory also gets ``stats.csv`` (relation, count: the shape
of the paper's Table 9), ``filters.csv`` (triples removed by each step), ``files.csv`` (per GenWiki file: records and
triples read and what the per-passage steps removed) and ``triples.csv`` (every
kept triple, its passage and where its two questions went).
"""

from __future__ import annotations

import csv
import io
import random
import re
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from ..subword import BPETokenizer
from ..answers import normalise_answer
from .base import ENTITY_MARKS, Example, Task, TaskData, example, mark, trained_query_facts, unmark

GENWIKI_HELP = (
    "GenWiki (Jin et al., COLING 2020) is not downloaded by the pipeline. Download genwiki.zip "
    "(about 280 MB) as described at https://github.com/zhijing-jin/genwiki (Google Drive: "
    "https://drive.google.com/uc?id=19IRK07e7RTKGUqTyNTEigECWAMIMgFav), unzip it so that "
    "<genwiki_dir>/train/full/part_*.json exist (e.g. `unzip genwiki.zip -d data/` gives "
    "data/genwiki/train/full/), and set presets.<preset>.data.wikireversal.genwiki_dir in config.yaml "
    "to that folder (a relative path is looked up in the directory Snakemake runs in, then in the repository)."
)
SPLIT_SEEDS = ("same", "different")
# the column `split_seeds` of the task's long table (Task.table_columns), in words
SPLIT_SEEDS_COLUMN = ("how the held-out questions were drawn: `same`, one split seed for the forward and the backward "
                      "questions (a triple's two questions are trained or held out together; paper Table 3 and "
                      "Table 8 left); `different`, one seed per direction (Table 8 right)")
SUBSETS = ("full", "fine")
SLOT = re.compile(r"<ENT_(\d+)>")
# the repository (for a source checkout: src/factorization_curse/tasks/ is three levels down)
REPOSITORY = Path(__file__).resolve().parents[3]

# Forward question about the head (answer: the tail) and backward question about the tail (answer:
# the head), for the 31 relations of the paper's Table 9 (most frequent first).
TEMPLATES: dict[str, tuple[str, str]] = {
    "birthPlace": ("Where was {head} born?", "Who was born in {tail}?"),
    "birthName": ("What was the birth name of {head}?", "Who was born with the name {tail}?"),
    "alias": ("What is an alias of {head}?", "Who is also known as {tail}?"),
    "location": ("Where is {head} located?", "What is located in {tail}?"),
    "deathPlace": ("Where did {head} die?", "Who died in {tail}?"),
    "title": ("What title did {head} hold?", "Who held the title {tail}?"),
    "city": ("In which city is {head}?", "What is in the city of {tail}?"),
    "populationTotal": ("What is the total population of {head}?", "Which place has a total population of {tail}?"),
    "owner": ("Who owns {head}?", "What is owned by {tail}?"),
    "name": ("What is the name of {head}?", "What goes by the name {tail}?"),
    "spouse": ("Who was the spouse of {head}?", "Whose spouse was {tail}?"),
    "isPartOf": ("What is {head} part of?", "What is a part of {tail}?"),
    "type": ("What type of thing is {head}?", "What is of the type {tail}?"),
    "office": ("What office did {head} hold?", "Who held the office of {tail}?"),
    "associatedBand": ("Which band is {head} associated with?", "Who is associated with the band {tail}?"),
    "associatedMusicalArtist": ("Which musical artist is {head} associated with?",
                                "Who is associated with the musical artist {tail}?"),
    "synonym": ("What is a synonym of {head}?", "What has the synonym {tail}?"),
    "knownFor": ("What is {head} known for?", "Who is known for {tail}?"),
    "artist": ("Who is the artist of {head}?", "What is a work of the artist {tail}?"),
    "PopulatedPlace/areaTotal": ("What is the total area of {head}?", "Which place has a total area of {tail}?"),
    "birthDate": ("When was {head} born?", "Who was born on {tail}?"),
    "ground": ("What is the home ground of {head}?", "Whose home ground is {tail}?"),
    "occupation": ("What is the occupation of {head}?", "Who has the occupation {tail}?"),
    "place": ("Where did {head} take place?", "What took place in {tail}?"),
    "address": ("What is the address of {head}?", "What is at the address {tail}?"),
    "family": ("To which family does {head} belong?", "What belongs to the family {tail}?"),
    "hometown": ("What is the hometown of {head}?", "Whose hometown is {tail}?"),
    "region": ("In which region is {head}?", "What is in the region {tail}?"),
    "developer": ("Who developed {head}?", "What was developed by {tail}?"),
    "label": ("What is the record label of {head}?", "What has the record label {tail}?"),
    "writer": ("Who wrote {head}?", "What was written by {tail}?"),
}

# Steps of filters.csv, in order (the first line counts the triples read)
FILTER_STEPS = (
    "graph triples read",
    "an entity does not occur in the passage",
    "the tail occurs before the head (backward triple)",
    "the same triple was kept from an earlier passage",
    "(head, relation) is not unique",
    "(relation, tail) is not unique",
    "the relation has fewer than min_relation_count triples",
)


class GenWikiNotFound(FileNotFoundError):
    """The GenWiki directory is missing or holds no records."""


@dataclass(frozen=True)
class WikiReversalConfig:
    # the unzipped GenWiki release (holding train/full/part_*.json); see GENWIKI_HELP
    genwiki_dir: str = "data/genwiki"
    subset: str = "full"  # GenWiki-FULL (1.3M passages, the paper's) or GenWiki-FINE (750k)
    max_passages: int = 0  # read only the first this many GenWiki records (0: all)
    min_relation_count: int = 500  # the paper's: 31 relations, 42,479 triples
    query_train_fraction: float = 0.8  # of the forward and of the backward questions
    split_seeds: str = "same"  # same: one split seed for both directions (Table 8 left); different: two
    bpe_vocab_size: int = 16384

    def __post_init__(self):
        if not isinstance(self.genwiki_dir, str) or not self.genwiki_dir:
            raise ValueError("wikireversal.genwiki_dir must be a folder path")
        if self.subset not in SUBSETS:
            raise ValueError(f"wikireversal.subset must be one of {list(SUBSETS)}")
        if self.max_passages < 0:
            raise ValueError("wikireversal.max_passages must be 0 (all) or positive")
        if self.min_relation_count < 1:
            raise ValueError("wikireversal.min_relation_count must be at least 1")
        if not 0.0 < self.query_train_fraction < 1.0:
            raise ValueError("wikireversal.query_train_fraction must be in (0, 1)")
        if self.split_seeds not in SPLIT_SEEDS:
            raise ValueError(f"wikireversal.split_seeds must be one of {list(SPLIT_SEEDS)}")
        if self.bpe_vocab_size < 128:
            raise ValueError("wikireversal.bpe_vocab_size must be at least 128")


class Triple(NamedTuple):
    head: str
    relation: str
    tail: str


@dataclass
class FilteredTriples:
    """The outcome of Algorithm 1: passages (marked text), kept triples, and what each step removed."""

    passages: list[str]
    triples: list[Triple]
    passage_of: list[int]  # per triple: the passage it was kept from
    removed: dict[str, int] = field(default_factory=dict)  # per FILTER_STEPS entry after the first
    # per GenWiki file: records, triples read, removed by the per-passage steps 1 and 2, left after them
    by_file: dict[str, list[int]] = field(default_factory=dict)
    triples_read: int = 0
    records_read: int = 0


# --- reading GenWiki ----------------------------------------------------------------------------

def _part_number(path: Path) -> tuple:
    """Sort key: part_2.json before part_10.json."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def resolve_genwiki_dir(directory: str | Path) -> Path:
    """A relative folder is looked up in the working directory, then in the repository (so that the
    shipped sample is found also when Snakemake runs elsewhere, ``-d``)."""
    directory = Path(directory)
    if directory.is_absolute() or directory.exists() or not (REPOSITORY / directory).exists():
        return directory
    return REPOSITORY / directory


def genwiki_files(directory: str | Path, subset: str = "full") -> list[Path]:
    """The JSON files of a GenWiki subset, in part order. Looks in ``<dir>/train/<subset>/`` (the
    release's layout), ``<dir>/genwiki/train/<subset>/`` (the folder that holds the unzipped
    release), then ``<dir>/`` itself (a folder of GenWiki-format JSON files). Raises
    :class:`GenWikiNotFound` with :data:`GENWIKI_HELP` when there are none."""
    directory = resolve_genwiki_dir(directory)
    if not directory.is_dir():
        raise GenWikiNotFound(f"WikiReversal: GenWiki folder {str(directory)!r} does not exist. {GENWIKI_HELP}")
    for folder in (directory / "train" / subset, directory / "genwiki" / "train" / subset, directory):
        files = sorted(folder.glob("*.json"), key=_part_number) if folder.is_dir() else []
        if files:
            return files
    raise GenWikiNotFound(
        f"WikiReversal: no GenWiki JSON files in {str(directory)!r} (looked in train/{subset}/, "
        f"genwiki/train/{subset}/ and the folder itself). {GENWIKI_HELP}"
    )


def check_genwiki(config: WikiReversalConfig) -> None:
    """Cheap check (for the DAG build) that ``config.genwiki_dir`` holds GenWiki records: JSON files
    exist and one of them is not empty (``[]``). Raises :class:`GenWikiNotFound`."""
    files = genwiki_files(config.genwiki_dir, config.subset)
    for path in files:
        with open(path, "rb") as f:
            head = f.read(256).strip()
        if head.lstrip(b"[").strip() not in (b"", b"]"):
            return
    raise GenWikiNotFound(f"WikiReversal: the GenWiki files in {config.genwiki_dir!r} hold no records. {GENWIKI_HELP}")


def _file_records(path: Path) -> list:
    """The records of one GenWiki file: a JSON list (as released) or JSON lines. Raises ValueError
    naming the file (and the line) when it is empty or not JSON."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise ValueError(f"WikiReversal: {path} is empty; restore it from the GenWiki release or remove it")
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"WikiReversal: {path} is not valid JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"WikiReversal: {path} line {number} is not valid JSON ({e.msg})") from None
    return records


def check_record(record, where: str) -> dict:
    """A GenWiki record with the fields Algorithm 1 reads, of the right types: ``text`` (string),
    ``entities`` (list of strings), ``graph`` (list of [head, relation, tail] string triples).
    Raises ValueError naming ``where`` (file and record number) and what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"WikiReversal: {where} is a {type(record).__name__}, not a record (a JSON object)")
    missing = [k for k in ("text", "entities", "graph") if k not in record]
    if missing:
        raise ValueError(f"WikiReversal: {where} lacks the field(s) {missing}")
    text, entities, graph = record["text"], record["entities"] or [], record["graph"] or []
    if not isinstance(text, str):
        raise ValueError(f"WikiReversal: {where}: `text` is a {type(text).__name__}, not a string")
    if not isinstance(entities, list) or not all(e is None or isinstance(e, str) for e in entities):
        raise ValueError(f"WikiReversal: {where}: `entities` must be a list of strings")
    if not isinstance(graph, list) or not all(isinstance(t, list) and len(t) == 3 and
                                              all(x is None or isinstance(x, str) for x in t) for t in graph):
        raise ValueError(f"WikiReversal: {where}: `graph` must be a list of [head, relation, tail] string triples")
    return {"text": text, "entities": entities, "graph": graph}


def read_genwiki(directory: str | Path, subset: str = "full", max_passages: int = 0) -> Iterator[dict]:
    """GenWiki records (``text``, ``entities``, ``graph``) in file order, one file in memory at a time
    (files holding a JSON list of records, as released, or JSON lines). Every record is checked
    (:func:`check_record`): a broken file or record stops the build with its name, never silently
    shrinks the dataset. No cache is written."""
    files = genwiki_files(directory, subset)
    count = 0
    for path in files:
        records = _file_records(path)
        if not isinstance(records, list):
            raise ValueError(f"WikiReversal: {path} holds a JSON {type(records).__name__}, not a list of records")
        for number, record in enumerate(records):
            if max_passages and count >= max_passages:
                return
            yield {**check_record(record, f"{path}, record {number}"), "file": path.name}
            count += 1
    if count == 0:
        raise GenWikiNotFound(f"WikiReversal: the GenWiki files in {str(directory)!r} hold no records. {GENWIKI_HELP}")


# --- Algorithm 1 and the filters of Appendix E.1 ----------------------------------------------------

def _clean(text: str) -> str:
    """Text without this package's entity marks (they would nest with the marks added here)."""
    return text.replace(ENTITY_MARKS[0], "[").replace(ENTITY_MARKS[1], "]")


def fill_slots(text: str, entities: list[str]) -> str | None:
    """The passage with each ``<ENT_k>`` slot replaced by the marked entity ``entities[k]``; None
    when a slot has no entity (a malformed record)."""
    text, entities = text or "", [_clean(e or "").strip() for e in entities]
    if any(int(m.group(1)) >= len(entities) for m in SLOT.finditer(text)):
        return None
    return SLOT.sub(lambda m: mark(entities[int(m.group(1))]) if entities[int(m.group(1))] else "", _clean(text))


def _word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def entity_position(passage: str, entity: str) -> int | None:
    """Where ``entity`` first occurs in ``passage`` as whole words (not inside a longer word), or None."""
    if not entity:
        return None
    start = passage.find(entity)
    while start != -1:
        if not _word_char(passage, start - 1) and not _word_char(passage, start + len(entity)):
            return start
        start = passage.find(entity, start + 1)
    return None


def occurring_triples(passage: str, triples: Iterable[Triple]) -> list[Triple]:
    """The triples whose head and tail both occur in the (unmarked) passage."""
    return [t for t in triples
            if entity_position(passage, t.head) is not None and entity_position(passage, t.tail) is not None]


def forward_triples(passage: str, triples: Iterable[Triple]) -> list[Triple]:
    """The triples whose head occurs in the passage before the tail (both first occurrences)."""
    kept = []
    for t in triples:
        head, tail = entity_position(passage, t.head), entity_position(passage, t.tail)
        if head is not None and tail is not None and head < tail:
            kept.append(t)
    return kept


def distinct_triples(found: Iterable[tuple[int, Triple]]) -> list[tuple[int, Triple]]:
    """(passage, triple) pairs without repeated triples: each triple with the first passage it came from."""
    seen: set[Triple] = set()
    out = []
    for passage, triple in found:
        if triple not in seen:
            seen.add(triple)
            out.append((passage, triple))
    return out


def unique_head_relation(triples: list[Triple]) -> list[Triple]:
    """The triples whose (head, relation) no other triple of the list has: F_r(e_i) has one answer."""
    counts = Counter((t.head, t.relation) for t in triples)
    return [t for t in triples if counts[t.head, t.relation] == 1]


def unique_relation_tail(triples: list[Triple]) -> list[Triple]:
    """The triples whose (relation, tail) no other triple of the list has: B_r(e_j) has one answer."""
    counts = Counter((t.relation, t.tail) for t in triples)
    return [t for t in triples if counts[t.relation, t.tail] == 1]


def frequent_relations(triples: list[Triple], min_count: int) -> list[Triple]:
    """The triples whose relation has at least ``min_count`` triples in the list."""
    counts = Counter(t.relation for t in triples)
    return [t for t in triples if counts[t.relation] >= min_count]


def filter_triples(records: Iterable[dict], min_relation_count: int) -> FilteredTriples:
    """Algorithm 1 on GenWiki records: passages and the kept forward triples, with the count each
    filter removed. Only passages that a kept triple comes from are kept (each text once)."""
    passages: list[str] = []  # marked texts with at least one forward triple
    index_of: dict[str, int] = {}
    found: list[tuple[int, Triple]] = []
    removed = Counter()
    records_read = triples_read = 0
    by_file: dict[str, list[int]] = {}
    for record in records:
        records_read += 1
        graph = [Triple(*(_clean(x or "").strip() for x in t)) for t in record["graph"] if t and len(t) == 3]
        triples_read += len(graph)
        tally = by_file.setdefault(record.get("file", ""), [0, 0, 0, 0, 0])
        tally[0] += 1
        tally[1] += len(graph)
        marked = fill_slots(record["text"], record["entities"])
        if marked is None:  # a slot without its entity: no passage, so no entity occurs in it
            removed[FILTER_STEPS[1]] += len(graph)
            tally[2] += len(graph)
            continue
        text, _ = unmark(marked)
        occurring = occurring_triples(text, graph)
        forward = forward_triples(text, occurring)
        removed[FILTER_STEPS[1]] += len(graph) - len(occurring)
        removed[FILTER_STEPS[2]] += len(occurring) - len(forward)
        tally[2] += len(graph) - len(occurring)
        tally[3] += len(occurring) - len(forward)
        tally[4] += len(forward)
        if forward:
            if marked not in index_of:
                index_of[marked] = len(passages)
                passages.append(marked)
            found.extend((index_of[marked], t) for t in forward)

    distinct = distinct_triples(found)
    removed[FILTER_STEPS[3]] = len(found) - len(distinct)
    triples = [t for _, t in distinct]
    heads_ok = set(unique_head_relation(triples))
    tails_ok = set(unique_relation_tail(triples))
    unambiguous = [t for t in triples if t in heads_ok and t in tails_ok]
    removed[FILTER_STEPS[4]] = len(triples) - len(heads_ok)
    removed[FILTER_STEPS[5]] = len(heads_ok) - len(unambiguous)
    kept = set(frequent_relations(unambiguous, min_relation_count))
    removed[FILTER_STEPS[6]] = len(unambiguous) - len(kept)

    kept_pairs = [(p, t) for p, t in distinct if t in kept]
    used = sorted({p for p, _ in kept_pairs})  # renumber the passages that keep a triple
    renumber = {old: new for new, old in enumerate(used)}
    return FilteredTriples(
        passages=[passages[p] for p in used],
        triples=[t for _, t in kept_pairs],
        passage_of=[renumber[p] for p, _ in kept_pairs],
        removed={step: removed[step] for step in FILTER_STEPS[1:]},
        triples_read=triples_read,
        records_read=records_read,
        by_file=by_file,
    )


# --- questions, split, tables -----------------------------------------------------------------

def generic_templates(relation: str) -> tuple[str, str]:
    """Questions for a relation without its own template: ``PopulatedPlace/populationDensity`` ->
    "What is the population density of X?" / "What has the population density Y?"."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", relation.rsplit("/", 1)[-1]).lower()
    return f"What is the {words} of {{head}}?", f"What has the {words} {{tail}}?"


def questions(triple: Triple) -> tuple[str, str]:
    """Marked forward question F_r(head) (answer: tail) and backward question B_r(tail) (answer: head)."""
    forward, backward = TEMPLATES.get(triple.relation) or generic_templates(triple.relation)
    return forward.format(head=mark(triple.head)), backward.format(tail=mark(triple.tail))


def split_questions(count: int, fraction: float, seed: int, split_seeds: str) -> tuple[set[int], set[int]]:
    """The triples (of ``count``) whose forward and whose backward question are trained on: a
    ``fraction`` of each; drawn with one seed for both directions (``same``) or two (``different``)."""
    rng = random.Random(seed)
    forward_seed = rng.getrandbits(64)
    backward_seed = forward_seed if split_seeds == "same" else rng.getrandbits(64)
    return (trained_query_facts(random.Random(forward_seed), count, fraction),
            trained_query_facts(random.Random(backward_seed), count, fraction))


def relation_stats(triples: Iterable[Triple]) -> list[tuple[str, int]]:
    """(relation, count), most frequent first (ties by name): the shape of the paper's Table 9."""
    return sorted(Counter(t.relation for t in triples).items(), key=lambda rc: (-rc[1], rc[0]))


def _csv(header: tuple, rows: Iterable[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def filter_table(kept: FilteredTriples) -> list[tuple[str, int, int]]:
    """(step, triples removed, triples left) for each step of FILTER_STEPS."""
    left = kept.triples_read
    rows = [(FILTER_STEPS[0], 0, left)]
    for step in FILTER_STEPS[1:]:
        left -= kept.removed[step]
        rows.append((step, kept.removed[step], left))
    assert left == len(kept.triples), (left, len(kept.triples))
    return rows


def make_wikireversal(config: WikiReversalConfig, seed: int) -> TaskData:
    records = read_genwiki(config.genwiki_dir, config.subset, config.max_passages)
    kept = filter_triples(records, config.min_relation_count)
    if len(kept.triples) < 2:
        raise ValueError(
            f"WikiReversal: {len(kept.triples)} triple(s) left after the filters from {kept.records_read} GenWiki "
            f"records in {config.genwiki_dir!r}; lower min_relation_count ({config.min_relation_count}) or read more "
            "passages (max_passages)"
        )
    forward_train, backward_train = split_questions(
        len(kept.triples), config.query_train_fraction, seed, config.split_seeds
    )
    # a passage's `entity` is its number, a question's the number of its triple (triples.csv)
    train: list[Example] = [example(p, "", "statement", "", i) for i, p in enumerate(kept.passages)]
    test: list[Example] = []
    rows = []
    for index, triple in enumerate(kept.triples):
        forward, backward = questions(triple)
        (train if index in forward_train else test).append(
            example(forward, mark(triple.tail), "query", "forward", index))
        (train if index in backward_train else test).append(
            example(backward, mark(triple.head), "query", "backward", index))
        rows.append((index, *triple, kept.passage_of[index],
                     "train" if index in forward_train else "test", "train" if index in backward_train else "test"))
    texts = [text for e in train for text in (e.prompt, e.answer) if text]
    return TaskData(
        train=train,
        test=test,
        tokenizer=BPETokenizer.train(texts, config.bpe_vocab_size),
        files={
            "stats.csv": _csv(("relation", "count"), relation_stats(kept.triples)),
            "filters.csv": _csv(("step", "triples_removed", "triples_left"), filter_table(kept)),
            "files.csv": _csv(("file", "records", "triples_read", "removed_not_in_passage", "removed_backward",
                               "forward_triples"), [(name, *counts) for name, counts in kept.by_file.items()]),
            "triples.csv": _csv(("triple", "head", "relation", "tail", "passage", "forward", "backward"), rows),
        },
    )


TASK = Task(WikiReversalConfig, make_wikireversal, check_sources=check_genwiki,
            table_columns={"split_seeds": SPLIT_SEEDS_COLUMN}, answer_normaliser=normalise_answer)
