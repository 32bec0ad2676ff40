"""Retrieval task (paper §3.1, after Golovneva et al. 2024): key-value pairs asked both ways.

Each key and each value is a sequence of ``entity_length`` tokens drawn from one shared pool of
``token_pool_size`` symbols; all keys and values are distinct. Because tokens are shared between
entities, no single token identifies a pair: a model must store the whole entity, and an entity
longer than a fixed-rate mask span is rarely hidden whole during MLM training (the paper's
argument for why fixed-rate MLM fails backwards).

Statements read ``k1 .. kL : v1 .. vL``. Forward queries ``<value-of> k1 .. kL :`` ask for the
value, backward queries ``<key-of> v1 .. vL :`` for the key. Training holds every statement plus
both queries of a ``query_train_fraction`` of the pairs; the other pairs' queries are the test set.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .base import Task, TaskData, distinct_entities, example, symbol_pool, trained_query_facts

SEPARATOR = ":"
FORWARD_PREFIX = "<value-of>"
BACKWARD_PREFIX = "<key-of>"


@dataclass(frozen=True)
class RetrievalConfig:
    num_pairs: int = 500
    entity_length: int = 4
    token_pool_size: int = 64
    query_train_fraction: float = 0.5

    def __post_init__(self):
        if self.num_pairs < 2:
            raise ValueError("retrieval.num_pairs must be at least 2")
        if self.entity_length < 1:
            raise ValueError("retrieval.entity_length must be at least 1")
        if not 0.0 < self.query_train_fraction < 1.0:
            raise ValueError("retrieval.query_train_fraction must be in (0, 1)")
        if self.token_pool_size ** self.entity_length < 4 * self.num_pairs:
            raise ValueError(
                f"retrieval: token_pool_size**entity_length = {self.token_pool_size ** self.entity_length} "
                f"leaves too little room for {2 * self.num_pairs} distinct entities (at least twice as many "
                "possible entities are needed); raise token_pool_size or entity_length"
            )


def make_retrieval(config: RetrievalConfig, seed: int) -> TaskData:
    rng = random.Random(seed)
    pool = symbol_pool(config.token_pool_size)
    entities = distinct_entities(rng, pool, config.entity_length, 2 * config.num_pairs)
    pairs = list(zip(entities[: config.num_pairs], entities[config.num_pairs :]))
    query_train = trained_query_facts(rng, config.num_pairs, config.query_train_fraction)

    train, test = [], []
    for index, (key, value) in enumerate(pairs):
        train.append(example(f"{key} {SEPARATOR} {value}", "", "statement", "", index))
        queries = [
            example(f"{FORWARD_PREFIX} {key} {SEPARATOR}", value, "query", "forward", index),
            example(f"{BACKWARD_PREFIX} {value} {SEPARATOR}", key, "query", "backward", index),
        ]
        (train if index in query_train else test).extend(queries)
    vocabulary = [SEPARATOR, FORWARD_PREFIX, BACKWARD_PREFIX] + pool
    return TaskData(train=train, test=test, vocabulary=vocabulary)


TASK = Task(RetrievalConfig, make_retrieval)
