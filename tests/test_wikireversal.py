import copy
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from factorization_curse.config import ConfigError, check_config
from factorization_curse.data import encode_examples, load_split, load_tokenizer
from factorization_curse.subword import BPETokenizer
from factorization_curse.data import make_dataset
from factorization_curse.tasks import TASKS
from factorization_curse.tasks.base import check_no_leak
from factorization_curse.tasks.wikireversal import (
    FILTER_STEPS, TEMPLATES, GenWikiNotFound, Triple, WikiReversalConfig, filter_triples, check_genwiki,
    distinct_triples, entity_position, fill_slots, forward_triples, frequent_relations, generic_templates,
    genwiki_files, make_wikireversal, occurring_triples, questions, read_genwiki, relation_stats, split_questions,
    unique_head_relation, unique_relation_tail,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "genwiki_sample"
CONFIG = WikiReversalConfig(genwiki_dir=str(SAMPLE), min_relation_count=20, bpe_vocab_size=512)

# The paper's Table 9: the 31 relations with at least 500 triples
TABLE9 = ("birthPlace birthName alias location deathPlace title city populationTotal owner name spouse isPartOf type "
          "office associatedBand associatedMusicalArtist synonym knownFor artist PopulatedPlace/areaTotal birthDate "
          "ground occupation place address family hometown region developer label writer").split()


def record(text, entities, graph):
    return {"text": text, "entities": entities, "graph": graph}


def T(head, relation, tail):
    return Triple(head, relation, tail)


@pytest.fixture(scope="module")
def data():
    return make_wikireversal(CONFIG, seed=0)


# --- Algorithm 1 step by step, on hand-made records ----------------------------------------------

def test_fill_slots_marks_entities_and_rejects_missing_ones():
    assert fill_slots("<ENT_1> was born in <ENT_0> .", ["Laurino", "Agostino Magliani"]) == \
        "⟦Agostino Magliani⟧ was born in ⟦Laurino⟧ ."
    assert fill_slots("<ENT_0> and <ENT_2>", ["a", "b"]) is None
    assert fill_slots("x <ENT_0> y", [""]) == "x  y"  # an empty entity is not marked
    assert fill_slots("a ⟦b⟧ <ENT_0>", ["c⟧"]) == "a [b] ⟦c]⟧"  # stray marks cannot nest


def test_entity_position_matches_whole_words_only():
    passage = "Maranello lies near Port Mara , not Mara_x ."
    assert entity_position(passage, "Mara") == passage.index("Mara ,")
    assert entity_position(passage, "Port Mara") == passage.index("Port")
    assert entity_position(passage, "Maran") is None and entity_position(passage, "") is None
    assert entity_position("(born 1824)", "1824") == 6


def test_occurring_triples_drops_absent_heads_and_tails():
    passage = "It is in the collection of the Museum of Modern Art in New York City since 1941 ."
    graph = [T("The Starry Night", "location", "Museum of Modern Art"),  # head absent
             T("Museum of Modern Art", "city", "New York City"),
             T("Museum of Modern Art", "director", "Glenn Lowry")]  # tail absent
    assert occurring_triples(passage, graph) == [graph[1]]


def test_forward_triples_drops_backward_order():
    passage = "Born in Laurino , Agostino Magliani became a financier ; he died in Naples ."
    backward = T("Agostino Magliani", "birthPlace", "Laurino")
    forward = T("Agostino Magliani", "deathPlace", "Naples")
    itself = T("Naples", "sameAs", "Naples")
    assert forward_triples(passage, [backward, forward, itself]) == [forward]
    assert forward_triples(passage, [T("Agostino Magliani", "x", "Rome")]) == []  # absent: not forward


def test_distinct_triples_keeps_the_first_passage():
    t, u = T("a", "r", "b"), T("a", "s", "b")
    assert distinct_triples([(0, t), (1, u), (2, t)]) == [(0, t), (1, u)]


def test_unique_head_relation_drops_every_ambiguous_pair():
    first, second = T("Ann Lee", "associatedBand", "The Owls"), T("Ann Lee", "associatedBand", "The Larks")
    other = T("Ann Lee", "birthPlace", "Oslo")  # same head, another relation: unambiguous
    assert unique_head_relation([first, other, second]) == [other]


def test_unique_relation_tail_drops_every_ambiguous_pair():
    first, second = T("Ann Lee", "birthPlace", "Oslo"), T("Bo Kim", "birthPlace", "Oslo")
    other = T("Cy Dahl", "deathPlace", "Oslo")  # same tail, another relation: unambiguous
    assert unique_relation_tail([first, second, other]) == [other]


def test_frequent_relations_drops_rare_relations():
    triples = [T(f"p{i}", "birthPlace", f"c{i}") for i in range(3)] + [T("club", "ground", "park")]
    assert frequent_relations(triples, 3) == triples[:3]
    assert frequent_relations(triples, 1) == triples and frequent_relations(triples, 4) == []


HAND_MADE = [
    record("<ENT_0> ( born <ENT_1> ) was a financier , a native of <ENT_2> .",
           ["Agostino Magliani", "23 July 1824", "Laurino"],
           [["Agostino Magliani", "birthPlace", "Laurino"], ["Agostino Magliani", "birthDate", "23 July 1824"],
            ["Agostino Magliani", "deathPlace", "Rome"]]),                      # tail absent
    record("Born in <ENT_0> , <ENT_1> painted .", ["Zundert", "Vincent van Gogh"],
           [["Vincent van Gogh", "birthPlace", "Zundert"]]),                     # backward
    record("It has been <ENT_0> the collection of the <ENT_1> in <ENT_2> .", ["in", "Museum of Modern Art", "New York City"],
           [["The Starry Night", "location", "Museum of Modern Art"],           # head absent
            ["Museum of Modern Art", "city", "New York City"]]),
    record("<ENT_0> , the financier from <ENT_1> , ...", ["Agostino Magliani", "Laurino"],
           [["Agostino Magliani", "birthPlace", "Laurino"]]),                    # repeated triple
    record("<ENT_0> sang with <ENT_1> and <ENT_2> .", ["Ann Lee", "The Owls", "The Larks"],
           [["Ann Lee", "associatedBand", "The Owls"], ["Ann Lee", "associatedBand", "The Larks"]]),  # ambiguous (e_i, r)
    record("<ENT_0> and <ENT_1> were born in <ENT_2> .", ["Bo Kim", "Cy Dahl", "Oslo"],
           [["Bo Kim", "birthPlace", "Oslo"], ["Cy Dahl", "birthPlace", "Oslo"]]),  # ambiguous (r, e_j)
    record("<ENT_0> play at <ENT_1> .", ["Rovers", "Park"], [["Rovers", "ground", "Park"]]),  # rare relation
    record("<ENT_1> and <ENT_7>", ["a"], [["a", "r", "b"]]),                      # malformed: slot without entity
    record("<ENT_0> was born in <ENT_1> .", ["Dee Roe", "Lima"], [["Dee Roe", "birthPlace", "Lima"]]),
]


def test_filter_triples_removes_exactly_what_each_filter_should():
    bench = filter_triples(HAND_MADE, min_relation_count=2)
    assert bench.triples == [T("Agostino Magliani", "birthPlace", "Laurino"), T("Dee Roe", "birthPlace", "Lima")]
    assert bench.removed == {
        FILTER_STEPS[1]: 3,  # Rome, The Starry Night, the malformed record's triple
        FILTER_STEPS[2]: 1,  # Zundert
        FILTER_STEPS[3]: 1,  # the second Laurino passage
        FILTER_STEPS[4]: 2,  # both of Ann Lee's bands
        FILTER_STEPS[5]: 2,  # both people born in Oslo
        FILTER_STEPS[6]: 3,  # birthDate, city and ground have one triple each
    }
    assert bench.records_read == len(HAND_MADE) and bench.triples_read == 14
    # kept passages: the two a kept triple comes from, renumbered, marked
    assert bench.passages == [fill_slots(HAND_MADE[0]["text"], HAND_MADE[0]["entities"]),
                              fill_slots(HAND_MADE[-1]["text"], HAND_MADE[-1]["entities"])]
    assert bench.passage_of == [0, 1]


def test_ambiguity_is_judged_on_one_set_not_in_sequence():
    # (a, r, x) and (a, r, y) share (head, relation); (b, r, y) shares (relation, tail) with one of them.
    # Taken one after the other, removing a's pair would make (b, r, y) unique; taken together it is not.
    records = [record("<ENT_0> <ENT_1> <ENT_2>", ["a", "x", "y"], [["a", "r", "x"], ["a", "r", "y"]]),
               record("<ENT_0> <ENT_1>", ["b", "y"], [["b", "r", "y"]]),
               record("<ENT_0> <ENT_1>", ["c", "z"], [["c", "r", "z"]])]
    bench = filter_triples(records, 1)
    assert bench.triples == [T("c", "r", "z")]
    assert bench.removed[FILTER_STEPS[4]] == 2 and bench.removed[FILTER_STEPS[5]] == 1


# --- questions and split --------------------------------------------------------------------------

def test_templates_cover_table9_with_distinct_questions():
    assert sorted(TEMPLATES) == sorted(TABLE9) and len(TABLE9) == 31
    forward = [f for f, _ in TEMPLATES.values()]
    backward = [b for _, b in TEMPLATES.values()]
    assert len(set(forward + backward)) == 62
    assert all("{head}" in f and "{tail}" not in f for f in forward)
    assert all("{tail}" in b and "{head}" not in b for b in backward)
    f, b = questions(T("Agostino Magliani", "birthPlace", "Laurino"))
    assert (f, b) == ("Where was ⟦Agostino Magliani⟧ born?", "Who was born in ⟦Laurino⟧?")
    assert generic_templates("PopulatedPlace/populationDensity") == (
        "What is the population density of {head}?", "What has the population density {tail}?")
    assert questions(T("x", "PopulatedPlace/populationDensity", "9"))[1] == "What has the population density ⟦9⟧?"


def test_split_same_seed_holds_out_the_same_triples_both_ways():
    forward, backward = split_questions(1000, 0.8, seed=3, split_seeds="same")
    assert forward == backward and len(forward) == 800
    assert split_questions(1000, 0.8, seed=3, split_seeds="same") == (forward, backward)
    assert split_questions(1000, 0.8, seed=4, split_seeds="same")[0] != forward


def test_split_different_seeds_hold_out_different_triples():
    forward, backward = split_questions(1000, 0.8, seed=3, split_seeds="different")
    assert len(forward) == len(backward) == 800 and forward != backward
    assert forward == split_questions(1000, 0.8, seed=3, split_seeds="same")[0]  # the forward split is shared
    overlap = len(forward & backward)
    assert 600 < overlap < 700  # independent draws: about 0.8 * 0.8 * 1000 trained both ways


@pytest.mark.parametrize("split_seeds", ["same", "different"])
def test_no_held_out_question_in_training(split_seeds):
    data = make_wikireversal(WikiReversalConfig(**{**vars(CONFIG), "split_seeds": split_seeds}), seed=0)
    check_no_leak(data)
    trained = {e.prompt for e in data.train if e.kind == "query"}
    assert all(e.kind == "query" and e.prompt not in trained for e in data.test)
    for direction in ("forward", "backward"):
        held_out = {e.fact for e in data.test if e.direction == direction}
        train = {e.fact for e in data.train if e.direction == direction}
        assert held_out.isdisjoint(train) and len(held_out | train) == 487
        assert len(train) == round(0.8 * 487)
    forward_out = {e.fact for e in data.test if e.direction == "forward"}
    backward_out = {e.fact for e in data.test if e.direction == "backward"}
    assert (forward_out == backward_out) == (split_seeds == "same")


# --- reading GenWiki ------------------------------------------------------------------------------

def test_shipped_sample_reads_file_by_file():
    assert [p.relative_to(SAMPLE).as_posix() for p in genwiki_files(SAMPLE)] == ["train/full/part_1.json",
                                                                                "train/full/part_2.json"]
    records = list(read_genwiki(SAMPLE))
    raw = [r for p in genwiki_files(SAMPLE) for r in json.loads(p.read_text())]
    assert len(records) == len(raw) == 378
    assert [(r["text"], r["entities"], r["graph"]) for r in records] == [(r["text"], r["entities"], r["graph"]) for r in raw]
    assert set(raw[0]) == {"text", "entities", "graph", "id_long", "id_short"}
    assert len(list(read_genwiki(SAMPLE, max_passages=10))) == 10
    check_genwiki(CONFIG)


def test_release_layout_variants(tmp_path):
    release = tmp_path / "data" / "genwiki"
    for sub in ("train/full", "train/fine", "test"):
        (release / sub).mkdir(parents=True)
    rows = [record("<ENT_0> x <ENT_1>", ["a", "b"], [["a", "r", "b"]])]
    for k in (1, 2, 10):
        (release / "train/full" / f"part_{k}.json").write_text(json.dumps(rows * k))
    (release / "train/fine" / "part_1.json").write_text(json.dumps(rows))
    assert [p.name for p in genwiki_files(release)] == ["part_1.json", "part_2.json", "part_10.json"]
    assert genwiki_files(tmp_path / "data") == genwiki_files(release)  # the folder holding genwiki/
    assert len(list(read_genwiki(release, "fine"))) == 1 and len(list(read_genwiki(release))) == 13
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "records.json").write_text("\n".join(json.dumps(r) for r in rows))  # JSON lines
    assert [r["graph"] for r in read_genwiki(flat)] == [[["a", "r", "b"]]]


def test_missing_or_empty_genwiki_says_where_to_get_it(tmp_path):
    for folder in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(GenWikiNotFound, match=r"github.com/zhijing-jin/genwiki.*genwiki_dir"):
            check_genwiki(WikiReversalConfig(genwiki_dir=str(folder)))
        with pytest.raises(GenWikiNotFound, match="genwiki_dir"):
            make_wikireversal(WikiReversalConfig(genwiki_dir=str(folder)), 0)
    (tmp_path / "train" / "full").mkdir(parents=True)
    (tmp_path / "train" / "full" / "part_1.json").write_text("[]\n")
    for build in (check_genwiki, lambda c: list(read_genwiki(c.genwiki_dir))):
        with pytest.raises(GenWikiNotFound, match="hold no records.*zhijing-jin/genwiki"):
            build(WikiReversalConfig(genwiki_dir=str(tmp_path)))
    with pytest.raises(ValueError, match="min_relation_count"):
        make_wikireversal(WikiReversalConfig(genwiki_dir=str(SAMPLE), min_relation_count=10**6), 0)


def test_config_check_fails_the_dag_without_genwiki(monkeypatch, tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    monkeypatch.chdir(tmp_path)  # a relative genwiki_dir: the working directory's, else the repository's
    assert "wikireversal" in config["tasks"]
    without = [t for t in config["tasks"] if t != "wikireversal"]
    for preset in ("tiny", "paper", "micro"):
        check_config({**copy.deepcopy(config), "preset": preset, "tasks": without})  # not a task of `all`: not checked
    with pytest.raises(ConfigError, match=r"presets.paper.data.wikireversal: .*'data/genwiki' does not exist"):
        check_config({**copy.deepcopy(config), "preset": "paper"})
    with_wiki = copy.deepcopy(config)
    check_config(with_wiki)  # tiny reads the shipped sample
    with_wiki["presets"]["tiny"]["data"]["wikireversal"]["genwiki_dir"] = "data/no-such-genwiki"
    with pytest.raises(ConfigError, match=r"presets.tiny.data.wikireversal: .*'data/no-such-genwiki' does not exist.*"
                                          r"drive.google.com.*genwiki_dir"):
        check_config(with_wiki)


def test_invalid_configs_name_the_field():
    for bad, field in [({"subset": "half"}, "subset"), ({"split_seeds": "one"}, "split_seeds"),
                       ({"min_relation_count": 0}, "min_relation_count"), ({"max_passages": -1}, "max_passages"),
                       ({"query_train_fraction": 1.0}, "query_train_fraction"), ({"bpe_vocab_size": 10}, "bpe_vocab_size"),
                       ({"genwiki_dir": ""}, "genwiki_dir")]:
        with pytest.raises(ValueError, match=f"wikireversal.{field}"):
            WikiReversalConfig(**bad)


# --- the benchmark built from the sample ------------------------------------------------------------

def test_sample_benchmark(data):
    assert TASKS["wikireversal"].config_class is WikiReversalConfig
    statements = [e for e in data.train if e.kind == "statement"]
    queries = [e for e in data.train + data.test if e.kind == "query"]
    assert len(statements) == 307 and len(queries) == 2 * 487
    stats = list(csv.reader(io.StringIO(data.files["stats.csv"])))
    assert stats[0] == ["relation", "count"] and len(stats) == 1 + 8
    assert stats[1:4] == [["birthDate", "140"], ["birthPlace", "113"], ["deathPlace", "72"]]
    assert ["ground", "6"] not in stats and all(int(c) >= 20 for _, c in stats[1:])
    filters = list(csv.DictReader(io.StringIO(data.files["filters.csv"])))
    assert [int(r["triples_removed"]) for r in filters] == [0, 70, 100, 12, 20, 245, 6]
    assert [r["step"] for r in filters] == list(FILTER_STEPS) and filters[-1]["triples_left"] == "487"
    triples = list(csv.DictReader(io.StringIO(data.files["triples.csv"])))
    assert len(triples) == 487 and {r["forward"] for r in triples} == {"train", "test"}
    for e in queries:  # every question is about a kept triple, and its answer is that triple's other entity
        row = triples[e.fact]
        asked, answer = (row["head"], row["tail"]) if e.direction == "forward" else (row["tail"], row["head"])
        assert e.answer == answer and e.answer_entities == [[0, len(answer)]]
        assert e.prompt[slice(*e.prompt_entities[0])] == asked
        assert row[e.direction] == ("train" if e in data.train else "test")
        passage = statements[int(row["passage"])].prompt
        assert entity_position(passage, row["head"]) < entity_position(passage, row["tail"])
    for s in statements:
        assert s.prompt_entities and "⟦" not in s.prompt and "<ENT_" not in s.prompt


def test_relation_stats_order():
    triples = [T("a", "x", "1"), T("b", "y", "2"), T("c", "y", "3"), T("d", "w", "4")]
    assert relation_stats(triples) == [("y", 2), ("w", 1), ("x", 1)]


def test_make_dataset_writes_the_benchmark_and_is_deterministic(tmp_path):
    params = {"genwiki_dir": str(SAMPLE), "min_relation_count": 20, "bpe_vocab_size": 512, "split_seeds": "different"}
    first = make_dataset("wikireversal", params, 0, tmp_path / "a")
    make_dataset("wikireversal", params, 0, tmp_path / "b")
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert names == {"train.parquet", "validation.parquet", "test.parquet", "vocab.json", "info.json", "stats.csv", "files.csv",
                     "filters.csv", "triples.csv"}
    for name in names - {"train.parquet", "validation.parquet", "test.parquet"}:
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name
    info = json.loads((tmp_path / "a" / "info.json").read_text())
    assert info["config"]["split_seeds"] == "different" and info["num_test"] == len(first.test)
    tokenizer = load_tokenizer(tmp_path / "a")
    assert isinstance(tokenizer, BPETokenizer) and len(tokenizer) == 512
    for split in ("train", "validation", "test"):
        rows, again = load_split(tmp_path / "a", split), load_split(tmp_path / "b", split)
        assert rows == again
        assert [(r["prompt"], r["answer"], r["direction"]) for r in rows] == \
            [(e.prompt, e.answer, e.direction) for e in getattr(first, split)]
        encoded = encode_examples(rows, tokenizer)
        for e, row_entities, p, a in zip(getattr(first, split), encoded.entities, encoded.prompt_lengths,
                                         encoded.answer_lengths):
            assert (row_entities[p : p + a] > 0).all()  # every answer token lies inside the answer entity
    other_seed = make_dataset("wikireversal", params, 1, tmp_path / "c")
    assert {e.prompt for e in other_seed.test} != {e.prompt for e in first.test}


def test_relative_genwiki_dir_prefers_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert genwiki_files("data/genwiki_sample")[0] == SAMPLE / "train/full/part_1.json"  # the repository's
    local = tmp_path / "data" / "genwiki_sample" / "train" / "full"
    local.mkdir(parents=True)
    (local / "part_9.json").write_text(json.dumps([record("<ENT_0> x <ENT_1>", ["a", "b"], [["a", "r", "b"]])]))
    assert genwiki_files("data/genwiki_sample") == [Path("data/genwiki_sample/train/full/part_9.json")]


def test_micro_preset_builds():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    data = make_wikireversal(WikiReversalConfig(**config["presets"]["micro"]["data"]["wikireversal"]), 0)
    assert data.test and any(e.kind == "query" for e in data.train)


def test_sample_generator_reproduces_the_shipped_files(tmp_path):
    copy_dir = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy_dir, ignore=shutil.ignore_patterns("train"))
    import runpy
    runpy.run_path(str(copy_dir / "make_sample.py"), run_name="__main__")
    for part in ("part_1.json", "part_2.json"):
        assert (copy_dir / "train/full" / part).read_bytes() == (SAMPLE / "train/full" / part).read_bytes()


@pytest.mark.parametrize("content,message", [
    ("", r"part_2.json is empty"),
    ('[{"text": "x", "entities": []', r"part_2.json is not valid JSON"),
    (json.dumps([{"text": "x", "entities": []}]), r"part_2.json, record 0 lacks the field\(s\) \['graph'\]"),
    (json.dumps([{"text": 3, "entities": [], "graph": []}]), r"part_2.json, record 0: `text` is a int"),
    (json.dumps([{"text": "x", "entities": [], "graph": [["a", "b"]]}]), r"record 0: `graph` must be a list"),
    (json.dumps([{"text": "x", "entities": "ab", "graph": []}]), r"record 0: `entities` must be a list"),
    (json.dumps({"text": "x"}), r"part_2.json, record 0 lacks the field\(s\) \[.entities., .graph.\]"),  # JSON lines
])
def test_a_broken_genwiki_file_or_record_is_named_and_never_shrinks_the_dataset(tmp_path, content, message):
    folder = tmp_path / "train" / "full"
    folder.mkdir(parents=True)
    for part in genwiki_files(SAMPLE):
        (folder / part.name).write_text(part.read_text())
    (folder / "part_2.json").write_text(content)  # the second of the sample's two parts, broken
    with pytest.raises(ValueError, match=message):
        make_wikireversal(WikiReversalConfig(genwiki_dir=str(tmp_path), min_relation_count=20), 0)


def test_files_csv_counts_each_genwiki_file(tmp_path):
    make_dataset("wikireversal", {"genwiki_dir": str(SAMPLE), "min_relation_count": 20, "bpe_vocab_size": 512}, 0, tmp_path)
    rows = list(csv.DictReader((tmp_path / "files.csv").open()))
    raw = {p.name: json.loads(p.read_text()) for p in genwiki_files(SAMPLE)}
    assert [r["file"] for r in rows] == list(raw)
    for r in rows:
        assert int(r["records"]) == len(raw[r["file"]])
        assert int(r["triples_read"]) == int(r["removed_not_in_passage"]) + int(r["removed_backward"]) + int(r["forward_triples"])
