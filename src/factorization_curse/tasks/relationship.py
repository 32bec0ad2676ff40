"""Relationship task (paper §3.1, Table 1 bottom and Table 7): one-way relations asked both ways.

Each fact links three distinct entities in a chain, ``A => B => C``, read as "B comes from A and
leads to C". The forward question ``B =>`` asks for C, the backward question ``B <=`` for A. The
relation is not reciprocal: both questions start from B, so a model that stored only "what is next
to B" answers the backward question with C. That wrong-side answer is recorded with each question
(``other_answer``) and scored as *incorrect inference*.

Entities are sequences of ``entity_length`` symbols from a shared pool (as in the retrieval task),
all distinct. Training holds every statement plus both questions of a ``query_train_fraction`` of
the facts; the other facts' questions are the test set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .base import Task, TaskData, distinct_entities, example, symbol_pool, trained_query_facts

FORWARD = "=>"
BACKWARD = "<="


@dataclass(frozen=True)
class RelationshipConfig:
    num_facts: int = 1000
    entity_length: int = 2
    token_pool_size: int = 400
    query_train_fraction: float = 0.8

    def __post_init__(self):
        if self.num_facts < 2:
            raise ValueError("relationship.num_facts must be at least 2")
        if self.entity_length < 1:
            raise ValueError("relationship.entity_length must be at least 1")
        if not 0.0 < self.query_train_fraction < 1.0:
            raise ValueError("relationship.query_train_fraction must be in (0, 1)")
        if self.token_pool_size ** self.entity_length < 6 * self.num_facts:
            raise ValueError(
                f"relationship: token_pool_size**entity_length = {self.token_pool_size ** self.entity_length} "
                f"leaves too little room for {3 * self.num_facts} distinct entities (at least twice as many "
                "possible entities are needed); raise token_pool_size or entity_length"
            )


def make_relationship(config: RelationshipConfig, seed: int) -> TaskData:
    rng = random.Random(seed)
    pool = symbol_pool(config.token_pool_size)
    entities = distinct_entities(rng, pool, config.entity_length, 3 * config.num_facts)
    facts = [entities[3 * i : 3 * i + 3] for i in range(config.num_facts)]
    query_train = trained_query_facts(rng, config.num_facts, config.query_train_fraction)

    train, test = [], []
    for index, (a, b, c) in enumerate(facts):
        train.append(example(f"{a} {FORWARD} {b} {FORWARD} {c}", "", "statement", "", index))
        queries = [
            example(f"{b} {FORWARD}", c, "query", "forward", index, other_answer=a),
            example(f"{b} {BACKWARD}", a, "query", "backward", index, other_answer=c),
        ]
        (train if index in query_train else test).extend(queries)
    return TaskData(train=train, test=test, vocabulary=[FORWARD, BACKWARD] + pool)


TASK = Task(RelationshipConfig, make_relationship)
