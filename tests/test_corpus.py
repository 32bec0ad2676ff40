"""The corpus task: a user's documents and questions (format jsonl) or Berglund et al.'s
reversal-curse files, read from the shipped samples and from every kind of broken file."""
import copy
import csv
import io
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from factorization_curse.config import ConfigError, check_config, dataset_sources
from factorization_curse.data import load_info, load_split, load_tokenizer, make_dataset
from factorization_curse.subword import BPETokenizer
from factorization_curse.tasks import TASKS
from factorization_curse.tasks.corpus import (
    REVERSAL_CURSE_FILES, CorpusConfig, CorpusError, entity_ids, load_corpus, make_corpus, word_position,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "corpus_sample"
RC_SAMPLE = ROOT / "data" / "reversal_curse_sample"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A copy of the jsonl sample to break."""
    shutil.copytree(SAMPLE, tmp_path / "corpus", ignore=shutil.ignore_patterns("*.py", "*.md"))
    return tmp_path / "corpus"


# --- the jsonl sample ------------------------------------------------------------------------------

def test_jsonl_sample_becomes_a_dataset_with_its_own_splits(tmp_path):
    questions = jsonl(SAMPLE / "questions.jsonl")
    documents = jsonl(SAMPLE / "documents.jsonl")
    make_dataset("corpus", {"path": str(SAMPLE), "format": "jsonl", "bpe_vocab_size": 512}, 0, tmp_path / "d")
    rows = {s: load_split(tmp_path / "d", s) for s in ("train", "validation", "test")}
    # documents, then the train questions, in file order; validation and test exactly the file's
    assert [r["prompt"] for r in rows["train"] if r["kind"] == "statement"] == [d["text"] for d in documents]
    for split in ("train", "validation", "test"):
        expected = [(q["prompt"], q["answer"], q["direction"]) for q in questions if q["split"] == split]
        assert [(r["prompt"], r["answer"], r["direction"]) for r in rows[split] if r["kind"] == "query"] == expected
    assert {len([r for r in rows[s] if r["kind"] == "query"]) for s in ("validation", "test")} == {20, 40}
    # fact: one number per entity, shared by a person's two questions, never across splits
    entity_of = {}
    for q, r in zip([q for s in ("train", "validation", "test") for q in questions if q["split"] == s],
                    [r for s in ("train", "validation", "test") for r in rows[s] if r["kind"] == "query"]):
        assert entity_of.setdefault(r["fact"], q["entity"]) == q["entity"]
    assert len(entity_of) == 60 == len({q["entity"] for q in questions})
    facts = {s: {r["fact"] for r in rows[s] if r["kind"] == "query"} for s in rows}
    assert facts["train"].isdisjoint(facts["test"]) and facts["validation"].isdisjoint(facts["test"])
    assert isinstance(load_tokenizer(tmp_path / "d"), BPETokenizer)
    info = load_info(tmp_path / "d")
    assert info["task"] == "corpus" and info["config"]["format"] == "jsonl" and info["num_validation"] == 20
    entities = list(csv.DictReader((tmp_path / "d" / "entities.csv").open()))
    assert len(entities) == 60 and {e["questions"] for e in entities} == {"2"}
    assert (tmp_path / "d" / "sources.csv").read_text().startswith("file,became,lines_read\ndocuments.jsonl,")


def test_without_entities_each_question_is_its_own_unit(corpus):
    rows = jsonl(corpus / "questions.jsonl")
    for r in rows[:4]:
        del r["entity"]
    write_jsonl(corpus / "questions.jsonl", rows)
    facts = entity_ids(load_corpus(CorpusConfig(path=str(corpus))).questions)
    assert facts[:6] == [0, 1, 2, 3, 4, 4]  # four units of their own, then the next person's two questions
    assert len(set(facts)) == 4 + 58


def test_sample_generators_reproduce_the_shipped_files(tmp_path):
    for sample in (SAMPLE, RC_SAMPLE):
        copy_dir = tmp_path / sample.name
        copy_dir.mkdir()
        shutil.copy(sample / "make_sample.py", copy_dir)
        runpy.run_path(str(copy_dir / "make_sample.py"), run_name="__main__")
        shipped = sorted(p.name for p in sample.glob("*.jsonl"))
        assert shipped == sorted(p.name for p in copy_dir.glob("*.jsonl")) and shipped
        for name in shipped:
            assert (copy_dir / name).read_bytes() == (sample / name).read_bytes(), name


# --- the reversal-curse layout ---------------------------------------------------------------------

def test_reversal_curse_files_map_to_documents_and_questions(tmp_path):
    corpus = load_corpus(CorpusConfig(path=str(RC_SAMPLE), format="reversal-curse"))
    lines = {name: jsonl(RC_SAMPLE / name) for name in REVERSAL_CURSE_FILES}
    train_files = ("p2d_prompts_train.jsonl", "d2p_prompts_train.jsonl", "both_prompts_train.jsonl")
    assert [d.text for d in corpus.documents] == [(r["prompt"] + r["completion"]).strip()
                                                  for name in train_files for r in lines[name]]
    by_file = {}
    for q in corpus.questions:
        by_file.setdefault(q.line.path.name, []).append(q)
    assert set(by_file) == set(REVERSAL_CURSE_FILES) - set(train_files)
    for name, questions in by_file.items():
        assert [(q.prompt, q.answer) for q in questions] == [(r["prompt"], r["completion"].strip()) for r in lines[name]]
        assert {q.direction for q in questions} == {"backward" if "reverse" in name else "forward"}
        assert {q.split for q in questions} == {"test"}
    # the entity is the person: a name of the sample, the same for a person's forward and backward questions
    names = {r["completion"].strip(" .") for r in lines["p2d_reverse_prompts_test.jsonl"] + lines["d2p_prompts_test.jsonl"]}
    assert len(names) == 12
    for q in by_file["p2d_reverse_prompts_test.jsonl"] + by_file["d2p_prompts_test.jsonl"]:
        assert q.entity == q.answer.rstrip(".") and q.check_answer
    for q in by_file["p2d_prompts_test.jsonl"] + by_file["d2p_reverse_prompts_test.jsonl"]:
        assert q.entity in names and q.entity in q.prompt and not q.check_answer  # a description answer
    assert len({q.entity for q in corpus.questions}) == 18 and None not in {q.entity for q in corpus.questions}

    make_dataset("corpus", {"path": str(RC_SAMPLE), "format": "reversal-curse", "bpe_vocab_size": 512}, 0, tmp_path / "d")
    validation, test = load_split(tmp_path / "d", "validation"), load_split(tmp_path / "d", "test")
    assert validation and test and len(validation) + len(test) == len(corpus.questions)
    assert {r["fact"] for r in validation}.isdisjoint({r["fact"] for r in test})  # drawn by person
    assert {r["direction"] for r in validation} == {r["direction"] for r in test} == {"forward", "backward"}
    sources = {r["file"]: r for r in csv.DictReader((tmp_path / "d" / "sources.csv").open())}
    assert sources["validation_prompts.jsonl"]["became"].startswith("not read:")
    assert sources["p2d_reverse_prompts_test.jsonl"]["became"].startswith("backward test questions")


def test_reversal_curse_optional_files_may_be_absent(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(RC_SAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "*.md", "both_*"))
    corpus = load_corpus(CorpusConfig(path=str(folder), format="reversal-curse"))
    assert len(corpus.documents) == 36 and "both_prompts_test.jsonl" not in {q.line.path.name for q in corpus.questions}
    assert [p.name for p in TASKS["corpus"].source_files(CorpusConfig(path=str(folder), format="reversal-curse"))] == \
        [n for n in REVERSAL_CURSE_FILES if not n.startswith("both_")]


# --- every kind of broken file: an error naming the file and the line -----------------------------

def replace_line(path: Path, number: int, text) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = text if isinstance(text, str) else json.dumps(text)
    path.write_text("\n".join(lines) + "\n")


def question(**fields) -> dict:
    return {"prompt": "Who?", "answer": "Bainei Finolai", "direction": "backward", "split": "test", **fields}


@pytest.mark.parametrize("file,line,text,message", [
    ("questions.jsonl", 3, '{"prompt": "x", "answer": ', r"not valid JSON \(Expecting value, column 27\)"),
    ("questions.jsonl", 3, "[1, 2]", "a JSON array, not an object"),
    ("documents.jsonl", 7, '"just text"', "a JSON string, not an object"),
    ("questions.jsonl", 3, {"prompt": "x", "answer": "y", "direction": "forward"}, r"missing field\(s\) \['split'\]"),
    ("documents.jsonl", 7, {"txt": "x"}, r"unknown field\(s\) \['txt'\]; a line of documents.jsonl has \['text'\]"),
    ("questions.jsonl", 3, question(entitiy="x"), r"unknown field\(s\) \['entitiy'\]"),
    ("questions.jsonl", 3, question(answer=5), "`answer` is a number, not a string"),
    ("questions.jsonl", 3, question(prompt=None), "`prompt` is a null, not a string"),
    ("documents.jsonl", 7, {"text": ["a", "b"]}, "`text` is a array, not a string"),
    ("questions.jsonl", 3, question(entity=["a"]), "`entity` is a array, not a string or an integer"),
    ("questions.jsonl", 3, question(entity=True), "`entity` is a boolean"),
    ("questions.jsonl", 3, question(direction="sideways"), "`direction` is 'sideways', not one of forward, backward"),
    ("questions.jsonl", 3, question(split="dev"), "`split` is 'dev', not one of train, validation, test"),
    ("documents.jsonl", 7, {"text": "   "}, "`text` is empty"),
    ("questions.jsonl", 3, question(answer=""), "`answer` is empty"),
])
def test_a_malformed_line_is_named_by_file_and_line(corpus, file, line, text, message):
    replace_line(corpus / file, line, text)
    with pytest.raises(CorpusError, match=f"^{corpus / file}:{line}: {message}"):
        load_corpus(CorpusConfig(path=str(corpus)))


def test_problems_with_the_questions_name_file_and_line(corpus):
    rows = jsonl(corpus / "questions.jsonl")
    train = next(r for r in rows if r["split"] == "train")
    document = jsonl(corpus / "documents.jsonl")[4]["text"]
    extra = [
        question(answer="Zorblax Quux"),  # never in the training text
        question(answer="Bainei"),  # a word of a name: it occurs
        question(answer="Baine"),  # only inside a word: it does not
        {**train, "split": "test"},  # a train question again, as a test question
        {**train, "split": "validation"},
        question(prompt=document.rsplit(" ", 1)[0], answer=document.rsplit(" ", 1)[1].rstrip(".")),  # a whole document
        question(answer="?!"),  # no text once punctuation is stripped
    ]
    write_jsonl(corpus / "questions.jsonl", rows + extra)
    first = len(rows) + 1
    with pytest.raises(CorpusError) as error:
        load_corpus(CorpusConfig(path=str(corpus)))
    message = str(error.value)
    path = corpus / "questions.jsonl"
    train_line = rows.index(train) + 1
    assert message.startswith("6 problem(s) in the corpus:\n")
    assert f"{path}:{first}: the test answer 'Zorblax Quux' never occurs in the training text" in message
    assert f"{path}:{first + 1}:" not in message
    assert f"{path}:{first + 2}: the test answer 'Baine' never occurs" in message
    assert f"{path}:{first + 3}: the test question {train['prompt']!r} -> {train['answer']!r} is also a train " \
           f"question ({path}:{train_line})" in message
    assert f"{path}:{first + 4}: the validation question" in message and f"also a train question ({path}:{train_line})" in message
    assert f"{path}:{first + 5}: the test question" in message and f"is a training document ({corpus / 'documents.jsonl'}:5)" in message
    assert f"{path}:{first + 6}: the answer '?!' is empty once whitespace and punctuation around it are removed" in message


@pytest.mark.parametrize("split", ["validation", "test"])
def test_an_empty_split_is_an_error(corpus, split):
    rows = [r for r in jsonl(corpus / "questions.jsonl") if r["split"] != split]
    write_jsonl(corpus / "questions.jsonl", rows)
    with pytest.raises(CorpusError, match=f"no {split} questions in {corpus / 'questions.jsonl'}"):
        load_corpus(CorpusConfig(path=str(corpus)))


def test_missing_or_empty_files_and_folders(corpus, tmp_path):
    (corpus / "documents.jsonl").write_text("\n\n")
    with pytest.raises(CorpusError, match=f"{corpus / 'documents.jsonl'} is empty: no JSON lines"):
        load_corpus(CorpusConfig(path=str(corpus)))
    (corpus / "documents.jsonl").unlink()
    with pytest.raises(CorpusError, match=f"{corpus / 'documents.jsonl'} is missing; a `format: jsonl` corpus folder holds"):
        load_corpus(CorpusConfig(path=str(corpus)))
    with pytest.raises(CorpusError, match="the corpus folder '.*no-such' does not exist"):
        load_corpus(CorpusConfig(path=str(tmp_path / "no-such")))
    (corpus / "questions.jsonl").write_bytes(b'{"prompt": "\xff"}\n')
    (corpus / "documents.jsonl").write_text('{"text": "a"}\n')
    with pytest.raises(CorpusError, match=f"{corpus / 'questions.jsonl'}: not UTF-8 text"):
        load_corpus(CorpusConfig(path=str(corpus)))


def test_broken_reversal_curse_files_are_named(tmp_path):
    folder = tmp_path / "rc"
    shutil.copytree(RC_SAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "*.md"))
    config = CorpusConfig(path=str(folder), format="reversal-curse")
    replace_line(folder / "d2p_prompts_test.jsonl", 2, {"prompt": "x"})
    with pytest.raises(CorpusError, match=rf"^{folder / 'd2p_prompts_test.jsonl'}:2: missing field\(s\) \['completion'\]"):
        load_corpus(config)
    replace_line(folder / "d2p_prompts_test.jsonl", 2, {"prompt": "Who was it?", "completion": " Zorblax Quux"})
    with pytest.raises(CorpusError, match=f"{folder / 'd2p_prompts_test.jsonl'}:2: the test answer 'Zorblax Quux' never occurs"):
        load_corpus(config)
    (folder / "p2d_reverse_prompts_test.jsonl").unlink()
    with pytest.raises(CorpusError, match=f"{folder / 'p2d_reverse_prompts_test.jsonl'} is missing; .*lukasberglund/reversal_curse"):
        load_corpus(config)


def test_word_position_matches_whole_words():
    assert word_position("the art of starting", "art") == 4
    assert word_position("to start", "art") is None and word_position("x", "") is None


def test_settings_are_checked():
    for bad, field in [({"path": ""}, "path"), ({"path": "x", "format": "csv"}, "format"),
                       ({"path": "x", "bpe_vocab_size": 10}, "bpe_vocab_size")]:
        with pytest.raises(ValueError, match=f"corpus.{field}"):
            CorpusConfig(**bad)


# --- the workflow -----------------------------------------------------------------------------------

def test_the_config_check_reads_the_corpus_before_any_job(corpus):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert "corpus" not in config["tasks"]  # the default run does not grow
    for preset in ("tiny", "micro"):
        check_config({**copy.deepcopy(config), "preset": preset, "tasks": ["corpus"]})
    config["presets"]["tiny"]["data"]["corpus"]["path"] = str(corpus)
    assert dataset_sources(config, "corpus") == [str(corpus / "documents.jsonl"), str(corpus / "questions.jsonl")]
    replace_line(corpus / "questions.jsonl", 9, question(split="dev"))
    with pytest.raises(ConfigError, match=f"presets.tiny.data.corpus: {corpus / 'questions.jsonl'}:9: `split` is 'dev'"):
        check_config({**config, "tasks": ["corpus"]})
    check_config(config)  # not a task of `all`: not read
    with pytest.raises(ConfigError, match="presets.paper.data.corpus: the corpus folder 'data/corpus' does not exist"):
        check_config({**config, "preset": "paper", "tasks": ["corpus"]})


def snakemake(workdir: Path, *args) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_a_broken_corpus_stops_snakemake_before_any_job(corpus, tmp_path):
    replace_line(corpus / "documents.jsonl", 4, '{"text": "unfinished')
    override = tmp_path / "over.yaml"
    override.write_text(f"preset: micro\ntasks: [corpus]\npresets:\n  micro:\n    data:\n      corpus: {{path: {corpus}}}\n")
    result = snakemake(tmp_path, "-n", "all", "--configfile", str(override))
    assert result.returncode != 0
    assert f"{corpus / 'documents.jsonl'}:4: not valid JSON" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_the_pipeline_runs_on_the_sample_corpus(corpus, tmp_path):
    """make_dataset, one tiny training run, its evaluation and the task's table, through snakemake
    (`all` adds the figures and the report, which every task shares)."""
    override = tmp_path / "over.yaml"
    override.write_text(f"preset: micro\ntasks: [corpus]\nobjectives_by_task: {{corpus: [ar]}}\n"
                        f"presets:\n  micro:\n    data:\n      corpus: {{path: {corpus}}}\n")
    target = ["results/micro/tables/corpus.csv", "--configfile", str(override)]
    result = snakemake(tmp_path, *target)
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results" / "micro"
    table = pd.read_csv(results / "tables" / "corpus.csv")
    assert set(table.objective) == {"ar"} and set(table.direction) == {"forward", "backward"}
    assert set(table.metric) == {"exact_match", "token_accuracy", "answer_nll"} and table.value.between(0, 100).all()
    questions = pd.read_parquet(results / "runs" / "corpus" / "ar" / "seed0" / "questions.parquet")
    test = [q for q in jsonl(SAMPLE / "questions.jsonl") if q["split"] == "test"]
    assert len(questions) == len(test) == 40 and questions.fact.nunique() == len({q["entity"] for q in test}) == 20
    assert "ignoring case" in json.loads((results / "runs" / "corpus" / "ar" / "seed0" / "eval.json").read_text())[
        "exact_match_normalisation"]
    # an edited corpus file rebuilds the dataset (an input of make_dataset; touched only, it does not)
    later = (results / "data" / "corpus").stat().st_mtime + 10
    os.utime(corpus / "questions.jsonl", (later, later))
    assert "rule make_dataset" not in snakemake(tmp_path, "-n", *target).stdout
    with (corpus / "documents.jsonl").open("a") as f:
        f.write('{"text": "One more sentence."}\n')
    os.utime(corpus / "documents.jsonl", (later, later))
    dry = snakemake(tmp_path, "-n", *target).stdout
    assert "rule make_dataset" in dry and "train_model" in dry
