"""What every task shares: examples, entity marks, the validation split, and the :class:`Task` record.

A task is a generator from (config, seed) to train/test examples and a vocabulary.

Every example is a prompt and an answer (empty for plain training text); models read
``<bos> prompt answer <eos>`` and are tested on producing ``answer`` from ``prompt``. Tasks mark
their named entities (keys, values, names, dates) so that objectives that reverse text entity by
entity (``ar-rev-ent``) know where an entity starts and ends: generators write ``⟦...⟧`` around
each entity and :func:`example` turns the marks into character spans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


ENTITY_MARKS = ("⟦", "⟧")
# the repository (for a source checkout: src/factorization_curse/tasks/ is three levels down)
REPOSITORY = Path(__file__).resolve().parents[3]


def resolve_source(path: str | Path) -> Path:
    """A task's input file or folder: a relative path is looked up in the working directory, then in
    the repository (so that files shipped with it are found also when Snakemake runs elsewhere)."""
    path = Path(path)
    if path.is_absolute() or path.exists() or not (REPOSITORY / path).exists():
        return path
    return REPOSITORY / path


@dataclass(frozen=True)
class Example:
    prompt: str
    answer: str
    kind: str  # "statement" (training text) or "query"
    direction: str  # "forward", "backward", or "" for statements
    fact: int  # which fact (pair, chain, person, graph, triple) the example is about: the unit of clustering
    # character spans [start, end) of the named entities in prompt and in answer
    prompt_entities: list[list[int]] = field(default_factory=list)
    answer_entities: list[list[int]] = field(default_factory=list)
    # what a model that wrongly treats the relation as symmetric answers (relationship task's
    # "incorrect inference"); "" where the task has no such answer
    other_answer: str = ""


def unmark(marked: str) -> tuple[str, list[list[int]]]:
    """``"⟦a b⟧ => ⟦c⟧"`` -> ``("a b => c", [[0, 3], [7, 8]])``: text without marks, entity spans."""
    opening, closing = ENTITY_MARKS
    text, spans, start = [], [], None
    length = 0
    for ch in marked:
        if ch == opening:
            if start is not None:
                raise ValueError(f"nested entity mark in {marked!r}")
            start = length
        elif ch == closing:
            if start is None:
                raise ValueError(f"unbalanced entity mark in {marked!r}")
            spans.append([start, length])
            start = None
        else:
            text.append(ch)
            length += 1
    if start is not None:
        raise ValueError(f"unclosed entity mark in {marked!r}")
    return "".join(text), spans


def mark(entity: str) -> str:
    """An entity wrapped in the marks :func:`unmark` reads."""
    return f"{ENTITY_MARKS[0]}{entity}{ENTITY_MARKS[1]}"


def example(prompt: str, answer: str, kind: str, direction: str, fact: int, other_answer: str = "") -> Example:
    """An :class:`Example` from marked prompt and answer text (see :func:`unmark`)."""
    prompt_text, prompt_spans = unmark(prompt)
    answer_text, answer_spans = unmark(answer)
    return Example(prompt_text, answer_text, kind, direction, fact, prompt_spans, answer_spans, unmark(other_answer)[0])


def symbol_pool(size: int) -> list[str]:
    """The symbols ``t0 .. t<size-1>`` that the symbolic tasks build their entities from."""
    return [f"t{i}" for i in range(size)]


def distinct_entities(rng, pool: list[str], length: int, count: int) -> list[str]:
    """``count`` distinct marked entities of ``length`` symbols drawn from ``pool``, in draw order."""
    entities, seen = [], set()
    while len(entities) < count:
        entity = tuple(rng.choice(pool) for _ in range(length))
        if entity not in seen:
            seen.add(entity)
            entities.append(mark(" ".join(entity)))
    return entities


def trained_query_facts(rng, count: int, fraction: float) -> set[int]:
    """The facts (of ``count``) whose questions are trained on: a random ``fraction``, at least one
    fact on each side of the split."""
    order = list(range(count))
    rng.shuffle(order)
    return set(order[: max(1, min(count - 1, round(fraction * count)))])


@dataclass
class TaskData:
    train: list[Example]
    test: list[Example]  # a generator's held-out questions; make_dataset moves some to `validation`
    vocabulary: list[str] = field(default_factory=list)  # symbolic tasks: every token
    tokenizer: object | None = None  # text tasks: a tokenizer trained on the training text
    files: dict[str, str] = field(default_factory=dict)  # further files for the dataset folder: name -> text
    validation: list[Example] = field(default_factory=list)  # held-out questions for choices, never test


# The validation split: held-out questions of the same kind as test, of other facts than test's, for
# learning curves and every choice of settings; test is scored once, at the end of training.
VALIDATION_FRACTION = 0.1  # of each direction's held-out questions ...
VALIDATION_MINIMUM = 50  # ... but at least this many per direction ...
# ... and never more than half of a direction's held-out questions, so test keeps the larger share.


def split_validation(held_out: list[Example], seed: int) -> tuple[list[Example], list[Example]]:
    """(validation, test) from a task's held-out questions, by whole facts (``Example.fact``), so
    no fact has questions on both sides: per direction, ``max(VALIDATION_FRACTION * n,
    VALIDATION_MINIMUM)`` questions, at most ``n // 2``. Deterministic in ``seed``."""
    import math
    import random

    by_direction: dict[str, int] = {}
    for e in held_out:
        by_direction[e.direction] = by_direction.get(e.direction, 0) + 1
    wanted = {d: min(max(math.ceil(VALIDATION_FRACTION * n), VALIDATION_MINIMUM), n // 2) for d, n in by_direction.items()}
    facts: dict[int, list[Example]] = {}
    for e in held_out:
        facts.setdefault(e.fact, []).append(e)
    order = sorted(facts)
    random.Random(f"validation-{seed}").shuffle(order)
    chosen, have = set(), dict.fromkeys(wanted, 0)
    for fact in order:
        if all(have[d] >= wanted[d] for d in wanted):
            break
        directions = [e.direction for e in facts[fact]]
        if any(have[d] < wanted[d] for d in directions):
            chosen.add(fact)
            for d in directions:
                have[d] += 1
    return [e for e in held_out if e.fact in chosen], [e for e in held_out if e.fact not in chosen]


@dataclass(frozen=True)
class Task:
    config_class: type
    generate: Callable[..., TaskData]
    marks_entities: bool = True  # its examples carry entity spans (needed by ar-rev-ent)
    # chance level of exact match in percent for a config (shown beside the results), if meaningful
    chance: Callable[..., float] | None = None
    position_metrics: bool = False  # report accuracy at each answer position (metric position_<k>)
    # checks, for a config, that the task's input files exist (raises ValueError saying what to do);
    # run when the workflow is built, for tasks that read data instead of generating it
    check_sources: Callable[..., None] | None = None
    # the files a config reads (paths), declared as inputs of the dataset's job so that an edited
    # file rebuilds the dataset; None: the task reads none (or does not declare them)
    source_files: Callable[..., list[Path]] | None = None
    # generator settings recorded as columns of the task's long table (after `value`), from each
    # dataset's info.json: what tells apart the datasets aggregated into one table (config.yaml
    # `variants`); column -> what it means, printed with the task's Markdown table
    table_columns: dict[str, str] = field(default_factory=dict)
    # exact match compares the decoded generated and true answers after this text function (its
    # docstring's first paragraph says what it does, in the tables and the report); None: the
    # answers' tokens must agree
    answer_normaliser: Callable[[str], str] | None = None


def check_no_leak(data: TaskData) -> None:
    """A test query must never appear in training (as the same prompt with the same answer)."""
    train = {(e.prompt, e.answer) for e in data.train if e.kind == "query"}
    leaked = [e for e in data.test if (e.prompt, e.answer) in train]
    if leaked:
        raise AssertionError(f"{len(leaked)} test queries also appear in training, e.g. {leaked[0]}")
