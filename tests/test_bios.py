import json
import re

import pytest

from factorization_curse.data import encode_examples, load_split, load_tokenizer
from factorization_curse.subword import BPETokenizer, learn_merges
from factorization_curse.data import load_tokenizer_file, make_dataset
from factorization_curse.tasks import TASKS
from factorization_curse.tasks.base import TaskData, check_no_leak
from factorization_curse.tasks.bios import ATTRIBUTES, BiosConfig, make_bios
from factorization_curse.tasks.bios_pools import POOLS
from factorization_curse.vocabulary import SPECIAL_TOKENS

CONFIG = BiosConfig(num_people=60, bpe_vocab_size=256)


@pytest.fixture(scope="module")
def data():
    return make_bios(CONFIG, seed=0)


def statements(data):
    return [e for e in data.train if e.kind == "statement"]


def queries(data):
    return [e for e in data.train + data.test if e.kind == "query"]


def test_bios_is_registered():
    assert TASKS["bios"].config_class is BiosConfig


def test_pools_are_distinct_ascii_words():
    for name, pool in POOLS.items():
        values = [v[0] if isinstance(v, tuple) else v for v in pool]
        assert len(set(values)) == len(values), name
        assert all(re.fullmatch(r"[A-Za-z]+( [A-Za-z]+)*", v) for v in values), name


def test_bios_is_deterministic(data):
    again = make_bios(CONFIG, seed=0)
    assert again.train == data.train and again.test == data.test
    assert again.tokenizer.tokenizer.to_str() == data.tokenizer.tokenizer.to_str()
    assert make_bios(CONFIG, seed=1).train != data.train


def test_names_and_birth_dates_unique(data):
    forward = [e for e in queries(data) if e.direction == "forward"]
    names = [e.prompt[slice(*e.prompt_entities[0])] for e in forward]
    dates = [e.answer for e in forward]
    assert len(names) == len(set(names)) == 60 and len(dates) == len(set(dates)) == 60
    assert all(len(n.split()) == 3 for n in names)
    assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", d) for d in dates)


def test_every_person_has_a_bio_and_both_questions_and_no_leak(data):
    check_no_leak(data)
    assert sorted(e.fact for e in statements(data)) == list(range(60))
    for index in range(60):
        asked = sorted(e.direction for e in queries(data) if e.fact == index)
        assert asked == ["backward", "forward"]
    train_people = {e.fact for e in data.train if e.kind == "query"}
    assert len(train_people) == 30 and train_people.isdisjoint({e.fact for e in data.test})
    assert all(e.kind == "query" for e in data.test)


def test_entity_spans_point_at_names_dates_and_values(data):
    by_person = {}
    for e in queries(data):
        by_person.setdefault(e.fact, {})[e.direction] = e
    for index, asked in by_person.items():
        forward, backward = asked["forward"], asked["backward"]
        name, date = forward.prompt[slice(*forward.prompt_entities[0])], forward.answer
        assert forward.answer_entities == [[0, len(forward.answer)]]
        assert backward.answer == name and backward.answer_entities == [[0, len(name)]]
        assert backward.prompt[slice(*backward.prompt_entities[0])] == date
        assert name in forward.prompt and date in backward.prompt
        for e in (forward, backward):  # no leading space, no trailing punctuation
            assert e.answer == e.answer.strip() and e.answer[-1].isalnum()
        bio = statements(data)[index]
        entities = [bio.prompt[s:e] for s, e in bio.prompt_entities]
        assert len(entities) == len(ATTRIBUTES) + 1  # the name and one value per sentence
        assert bio.prompt.startswith(name) and entities[0] == name and date in entities
        assert bio.prompt.count(".") == len(ATTRIBUTES) and "⟦" not in bio.prompt


def test_attribute_subset_and_permuted_sentences():
    config = BiosConfig(num_people=40, attributes=["birth_date", "employer"], permute_sentences=True,
                        bpe_vocab_size=256)
    assert config.attributes == ("birth_date", "employer")
    data = make_bios(config, seed=2)
    bios = statements(data)
    assert all(len(b.prompt_entities) == 3 and b.prompt.count(".") == 2 for b in bios)
    # permuted: some biographies start with the employer sentence, and the name still comes first
    firsts = [b.prompt[slice(*b.prompt_entities[1])] for b in bios]
    dates = {e.fact: e.answer for e in queries(data) if e.direction == "forward"}
    assert any(f != dates[b.fact] for f, b in zip(firsts, bios))
    assert any(f == dates[b.fact] for f, b in zip(firsts, bios))
    assert all(b.prompt_entities[0][0] == 0 for b in bios)
    # the same seed gives the same people whatever the sentences are
    full = make_bios(BiosConfig(num_people=40, bpe_vocab_size=256), seed=2)
    assert [e for e in data.train + data.test if e.kind == "query"] == \
        [e for e in full.train + full.test if e.kind == "query"]


def test_bpe_round_trip_offsets_and_specials(data):
    for tokenizer in (data.tokenizer, BPETokenizer.train([e.prompt for e in data.train], 160)):
        assert [tokenizer.tokenizer.id_to_token(i) for i in range(len(SPECIAL_TOKENS))] == list(SPECIAL_TOKENS)
        for e in data.train + data.test:
            for text in (e.prompt, e.answer):
                ids, offsets = tokenizer.encode_with_offsets(text)
                assert ids == tokenizer.encode(text) and len(ids) == len(offsets)
                assert tokenizer.decode(ids) == text
                pieces = [tokenizer.tokenizer.id_to_token(i).removeprefix("##") for i in ids]
                assert [text[s:t] for s, t in offsets] == pieces
                assert all(not text[s:t].isspace() and " " not in text[s:t] for s, t in offsets)
    small = BPETokenizer.train([e.prompt for e in data.train], 160)
    assert len(small) <= 160 and max(len(small.encode(e.prompt)) for e in data.train) > 60  # words are split
    assert small.encode("Zed ü") and 6 in small.encode("ü")  # unseen characters become <unk>


def test_bpe_training_is_deterministic_and_saves(tmp_path, data):
    texts = [t for e in data.train for t in (e.prompt, e.answer) if t]
    first, second = BPETokenizer.train(texts, 300), BPETokenizer.train(texts, 300)
    first.save(tmp_path / "a.json")
    second.save(tmp_path / "b.json")
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert json.loads((tmp_path / "a.json").read_text())["type"] == "bpe"
    loaded = load_tokenizer_file(tmp_path / "a.json")
    assert isinstance(loaded, BPETokenizer) and len(loaded) == len(first) == 300
    assert all(loaded.encode(t) == first.encode(t) for t in texts)

    spec = json.loads((tmp_path / "a.json").read_text())
    broken = json.loads(spec["tokenizer"])
    vocab = broken["model"]["vocab"]
    vocab["<pad>"], vocab["<bos>"] = vocab["<bos>"], vocab["<pad>"]
    broken["added_tokens"] = []
    with pytest.raises(ValueError, match="special tokens"):
        BPETokenizer.from_spec({"type": "bpe", "tokenizer": json.dumps(broken)})


def test_learn_merges_breaks_ties_by_strings():
    for counts in ({"cd": 2, "ab": 2, "xy": 1}, {"xy": 1, "ab": 2, "cd": 2}):
        alphabet, merges = learn_merges(counts, 7)
        assert alphabet == ["##b", "##d", "##y", "a", "c", "x"]
        assert merges == [("a", "##b")]  # tied with ("c", "##d"): the smaller strings win
    alphabet, merges = learn_merges({"abc": 3, "bc": 1}, 100)
    assert merges == [("##b", "##c"), ("a", "##bc"), ("b", "##c")]  # stops when no pair is left


def test_dataset_on_disk_reads_back(tmp_path):
    params = {"num_people": 30, "attributes": ["birth_date", "birth_city", "employer"], "bpe_vocab_size": 200}
    data = make_dataset("bios", params, 0, tmp_path / "bios")
    written = {p.name for p in (tmp_path / "bios").iterdir()}
    assert written >= {"train.parquet", "test.parquet", "vocab.json", "info.json"}
    tokenizer = load_tokenizer(tmp_path / "bios")
    assert isinstance(tokenizer, BPETokenizer) and len(tokenizer) == len(data.tokenizer)
    for split in ("train", "test"):
        rows = load_split(tmp_path / "bios", split)
        examples = getattr(data, split)
        assert [(r["prompt"], r["answer"], r["prompt_entities"]) for r in rows] == \
            [(e.prompt, e.answer, e.prompt_entities) for e in examples]
        encoded = encode_examples(rows, tokenizer)
        lengths = [1 + len(tokenizer.encode(e.prompt)) + len(tokenizer.encode(e.answer)) + 1 for e in examples]
        assert encoded.tokens.shape == (len(examples), max(lengths))
        assert encoded.lengths.tolist() == lengths
        assert encoded.answer_lengths.tolist() == [len(tokenizer.encode(e.answer)) for e in examples]
        if hasattr(encoded, "entities"):  # every entity token numbered, every answer token inside an entity
            spans = zip(examples, encoded.entities, encoded.prompt_lengths, encoded.answer_lengths)
            for e, row_entities, p, a in spans:
                n_entities = len(e.prompt_entities) + len(e.answer_entities)
                assert set(row_entities.tolist()) == set(range(n_entities + 1))
                assert (row_entities[p : p + a] > 0).all()


def test_invalid_configs_name_the_field():
    with pytest.raises(ValueError, match="bios.attributes.*birth_date"):
        BiosConfig(attributes=["birth_city"])
    with pytest.raises(ValueError, match="bios.attributes: unknown"):
        BiosConfig(attributes=["birth_date", "shoe_size"])
    with pytest.raises(ValueError, match="bios.attributes"):
        BiosConfig(attributes="birth_date")
    with pytest.raises(ValueError, match="bios.attributes.*twice"):
        BiosConfig(attributes=["birth_date", "birth_date"])
    with pytest.raises(ValueError, match="bios.query_train_fraction"):
        BiosConfig(query_train_fraction=0.0)
    with pytest.raises(ValueError, match="bios.num_people"):
        BiosConfig(num_people=1)
    with pytest.raises(ValueError, match="bios.num_people"):
        BiosConfig(num_people=10**6)
    with pytest.raises(ValueError, match="bios.bpe_vocab_size"):
        BiosConfig(bpe_vocab_size=10)
    with pytest.raises(ValueError, match="bios.pool_scale"):
        BiosConfig(pool_scale=0.0)
    with pytest.raises(ValueError, match="bios.pool_scale.*raise pool_scale"):
        BiosConfig(num_people=10000, pool_scale=0.01)
    with pytest.raises(ValueError, match="bios.permute_sentences"):
        BiosConfig(permute_sentences="yes")


def test_pool_scale_shrinks_the_pools():
    data = make_bios(BiosConfig(num_people=200, pool_scale=0.05, bpe_vocab_size=256), seed=0)
    names = {e.answer for e in data.train + data.test if e.direction == "backward"}
    assert len({n.split()[0] for n in names}) <= 20 and len({n.split()[2] for n in names}) <= 50
    assert isinstance(data, TaskData) and data.vocabulary == []


def test_multiplicity_writes_several_biographies_per_person():
    data = make_bios(BiosConfig(num_people=20, biographies_per_person=3, bpe_vocab_size=256), seed=0)
    bios = [e for e in data.train if e.kind == "statement"]
    assert sorted(e.fact for e in bios) == sorted(list(range(20)) * 3)
    texts = {i: {e.prompt for e in bios if e.fact == i} for i in range(20)}
    assert sum(len(t) > 1 for t in texts.values()) >= 15  # fresh templates: mostly different texts
    with pytest.raises(ValueError, match="bios.biographies_per_person"):
        BiosConfig(biographies_per_person=0)
