import pytest

from factorization_curse.data import encode_examples, load_split, load_tokenizer
from factorization_curse.data import make_dataset
from factorization_curse.tasks.base import TaskData, check_no_leak, unmark
from factorization_curse.tasks.relationship import RelationshipConfig, make_relationship
from factorization_curse.tasks.retrieval import RetrievalConfig, make_retrieval

CONFIG = RetrievalConfig(num_pairs=60, entity_length=3, token_pool_size=8, query_train_fraction=0.5)


def test_retrieval_entities_unique_and_formats():
    data = make_retrieval(CONFIG, seed=0)
    statements = [e for e in data.train if e.kind == "statement"]
    assert len(statements) == 60
    keys = [s.prompt.split(" : ")[0] for s in statements]
    values = [s.prompt.split(" : ")[1] for s in statements]
    assert len(set(keys + values)) == 120  # every key and value distinct
    assert all(len(k.split()) == 3 for k in keys + values)
    forward = [e for e in data.test if e.direction == "forward"]
    backward = [e for e in data.test if e.direction == "backward"]
    assert len(forward) == len(backward) == 30
    for q in forward:
        key = q.prompt.split()[1:-1]
        assert q.prompt.startswith("<value-of>") and q.answer == values[keys.index(" ".join(key))]
    for q in backward:
        assert q.prompt.startswith("<key-of>") and q.answer == keys[q.fact]


def test_retrieval_no_test_query_in_training():
    data = make_retrieval(CONFIG, seed=1)
    check_no_leak(data)
    train_entities = {e.fact for e in data.train if e.kind == "query"}
    assert train_entities.isdisjoint({e.fact for e in data.test})
    bad = TaskData(train=data.train + [data.test[0]], test=data.test, vocabulary=data.vocabulary)
    with pytest.raises(AssertionError, match="test queries also appear in training"):
        check_no_leak(bad)


def test_retrieval_is_deterministic():
    assert make_retrieval(CONFIG, seed=3) == make_retrieval(CONFIG, seed=3)
    assert make_retrieval(CONFIG, seed=3).train != make_retrieval(CONFIG, seed=4).train


def test_retrieval_rejects_impossible_settings():
    with pytest.raises(ValueError, match="raise token_pool_size"):
        RetrievalConfig(num_pairs=100, entity_length=1, token_pool_size=10)
    with pytest.raises(ValueError, match="query_train_fraction"):
        RetrievalConfig(query_train_fraction=1.0)


def test_dataset_round_trip_through_parquet(tmp_path):
    data = make_dataset("retrieval", {"num_pairs": 20, "entity_length": 2, "token_pool_size": 16}, 0, tmp_path / "d")
    rows = load_split(tmp_path / "d", "test")
    assert [r["prompt"] for r in rows] == [e.prompt for e in data.test]
    split = encode_examples(rows, load_tokenizer(tmp_path / "d"))
    assert split.tokens.shape[0] == len(data.test)
    assert (split.answer_lengths == 2).all() and (split.prompt_lengths == 1 + 4).all()
    assert not (tmp_path / "d.tmp").exists()


REL = RelationshipConfig(num_facts=50, entity_length=2, token_pool_size=20, query_train_fraction=0.6)


def test_relationship_chains_and_questions():
    data = make_relationship(REL, seed=0)
    statements = {e.fact: e.prompt.split(" => ") for e in data.train if e.kind == "statement"}
    assert len(statements) == 50
    entities = [x for chain in statements.values() for x in chain]
    assert len(set(entities)) == 150 and all(len(x.split()) == 2 for x in entities)  # unique, 2 tokens
    for q in data.train + data.test:
        if q.kind != "query":
            continue
        a, b, c = statements[q.fact]
        if q.direction == "forward":
            assert (q.prompt, q.answer, q.other_answer) == (f"{b} =>", c, a)
        else:
            assert (q.prompt, q.answer, q.other_answer) == (f"{b} <=", a, c)
    tested = {e.fact for e in data.test}
    assert len(tested) == 20 and tested.isdisjoint({e.fact for e in data.train if e.kind == "query"})
    check_no_leak(data)


def test_relationship_marks_every_entity():
    data = make_relationship(REL, seed=0)
    statement = data.train[0]
    assert [statement.prompt[s:e] for s, e in statement.prompt_entities] == statement.prompt.split(" => ")
    query = next(e for e in data.train + data.test if e.kind == "query")
    assert [query.prompt[s:e] for s, e in query.prompt_entities] == [query.prompt.split()[0] + " " + query.prompt.split()[1]]
    assert query.answer_entities == [[0, len(query.answer)]]


def test_relationship_is_deterministic_and_checks_its_settings():
    assert make_relationship(REL, seed=2) == make_relationship(REL, seed=2)
    assert make_relationship(REL, seed=2).train != make_relationship(REL, seed=3).train
    with pytest.raises(ValueError, match="relationship: .*raise token_pool_size"):
        RelationshipConfig(num_facts=100, entity_length=1, token_pool_size=50)


def test_entity_spans_become_token_numbers(tmp_path):
    make_dataset("relationship", {"num_facts": 10, "entity_length": 2, "token_pool_size": 20}, 0, tmp_path / "d")
    rows = load_split(tmp_path / "d", "train")
    split = encode_examples(rows, load_tokenizer(tmp_path / "d"))
    statement = rows.index(next(r for r in rows if r["kind"] == "statement"))
    assert split.entities[statement, :10].tolist() == [0, 1, 1, 0, 2, 2, 0, 3, 3, 0]  # <bos> A => B => C <eos>
    query = rows.index(next(r for r in rows if r["kind"] == "query"))
    assert split.entities[query, :6].tolist() == [0, 1, 1, 0, 2, 2]  # <bos> B => C / B <= A
    assert len(split.other_answers[query]) == 2


def test_marks_are_parsed_and_checked():
    assert unmark("⟦a b⟧ => ⟦c⟧") == ("a b => c", [[0, 3], [7, 8]])
    for bad in ("⟦a", "a⟧", "⟦a ⟦b⟧⟧"):
        with pytest.raises(ValueError, match="entity mark"):
            unmark(bad)


@pytest.mark.parametrize("task,params", [
    ("retrieval", {"num_pairs": 250, "entity_length": 2, "token_pool_size": 400, "query_train_fraction": 0.6}),
    ("relationship", {"num_facts": 1000, "entity_length": 2, "token_pool_size": 1000, "query_train_fraction": 0.8}),
    ("stargraph", {"degree": 2, "path_length": 3, "num_nodes": 15, "num_train": 200, "num_test": 300}),
])
def test_validation_split_is_disjoint_from_test_and_training_by_fact(tmp_path, task, params):
    from factorization_curse.tasks.base import VALIDATION_MINIMUM

    make_dataset(task, params, 0, tmp_path / "d")
    train, validation, test = (load_split(tmp_path / "d", s) for s in ("train", "validation", "test"))
    facts = {s: {r["fact"] for r in rows if r["kind"] == "query"} for s, rows in
             (("train", train), ("validation", validation), ("test", test))}
    assert facts["validation"].isdisjoint(facts["test"])
    assert facts["validation"].isdisjoint(facts["train"]) and facts["test"].isdisjoint(facts["train"])
    questions = {(r["prompt"], r["answer"]) for r in train if r["kind"] == "query"}
    assert not questions & {(r["prompt"], r["answer"]) for r in validation + test}
    for direction in {r["direction"] for r in test}:
        v = sum(r["direction"] == direction for r in validation)
        t = sum(r["direction"] == direction for r in test)
        assert VALIDATION_MINIMUM <= v <= t, (direction, v, t)  # at least 50, and test keeps the larger share
