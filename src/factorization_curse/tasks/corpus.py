"""Bring your own corpus: a task that reads a user's training text and questions instead of generating them.

``presets.<preset>.data.corpus: {path: DIR, format: ...}`` names a folder in one of two formats.

``jsonl``: ``DIR/documents.jsonl`` holds the training text, one ``{"text": ...}`` object per line;
``DIR/questions.jsonl`` the questions, one ``{"prompt", "answer", "direction", "split"}`` object per
line: ``direction`` is ``forward`` (asked in the order the text states the fact) or ``backward``,
``split`` is ``train`` (trained on, like a document), ``validation`` (learning curves and choices)
or ``test`` (scored once, at the end). An optional ``entity`` (a string or an integer) says what a
question is about: the questions about one entity are one unit of the bootstrap intervals (the
per-question table's ``fact``); a question without one is a unit of its own.

``reversal-curse``: ``DIR`` holds the files of Berglund et al.'s reversal-curse experiment 1
(people and their descriptions; github.com/lukasberglund/reversal_curse,
``data/reverse_experiments/june_version_7921032488/``) as published, JSON lines of
``{"prompt", "completion"}``. :data:`REVERSAL_CURSE_FILES` says which file becomes what: every
training line (prompt + completion) is a document; the held-out prompts asked in the order their
person was trained on are forward questions, those asked the other way round backward ones, the
completion (stripped) the answer and the person the entity. Validation questions are then drawn
from the held-out ones by person (:func:`base.split_validation`).

Every problem in the files stops the workflow before any job, with the file and line
(``DIR/questions.jsonl:12: ...``): a line that is not JSON or not an object, a missing, unknown or
mistyped field, an empty text, an unknown direction or split; a split without questions; a held-out
answer that never occurs in the training text (as whole words, compared as exact match compares:
:func:`answers.normalise_answer`); a held-out question that is also a training question or a
document. The text is tokenized by the BPE tokenizer of the text tasks, trained on the training
text; exact match compares the answers as text (:func:`answers.normalise_answer`), as WikiReversal's.
The dataset folder also gets ``sources.csv`` (each file read: its role, lines and questions).
"""

from __future__ import annotations

import csv
import io
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..answers import normalise_answer
from ..subword import BPETokenizer
from .base import Example, Task, TaskData, resolve_source

FORMATS = ("jsonl", "reversal-curse")
DIRECTIONS = ("forward", "backward")
SPLITS = ("train", "validation", "test")
DOCUMENTS, QUESTIONS = "documents.jsonl", "questions.jsonl"
JSONL_HELP = (f"a `format: jsonl` corpus folder holds {DOCUMENTS} (one {{\"text\": ...}} object per line: the training "
              f"text) and {QUESTIONS} (one {{\"prompt\", \"answer\", \"direction\": forward|backward, \"split\": "
              "train|validation|test} object per line, optionally \"entity\"); see docs/tasks.md, \"Your own corpus\"")
REVERSAL_CURSE_HELP = ("a `format: reversal-curse` folder holds the JSON-lines files of Berglund et al.'s experiment 1 as "
                       "published in github.com/lukasberglund/reversal_curse, "
                       "data/reverse_experiments/june_version_7921032488/ (p2d_prompts_train.jsonl, ...)")


class Role(NamedTuple):
    """What one file of the reversal-curse release becomes: training text (``split`` "train", no
    direction) or test questions of a direction."""

    split: str
    direction: str
    required: bool
    what: str


# Berglund et al.'s files (ReverseTask.save in their src/tasks/reverse_experiments/reverse_task.py).
# p2d people are trained on "<name> ... <description>" lines, d2p people on "<description> ...
# <name>" lines, "both" people on both; the test files use held-out templates.
REVERSAL_CURSE_FILES: dict[str, Role] = {
    "p2d_prompts_train.jsonl": Role("train", "", True, "p2d people, name then description"),
    "d2p_prompts_train.jsonl": Role("train", "", True, "d2p people, description then name"),
    "both_prompts_train.jsonl": Role("train", "", False, "both-ways people, both orders"),
    "p2d_prompts_test.jsonl": Role("test", "forward", True, "p2d people: name -> description, as trained"),
    "d2p_prompts_test.jsonl": Role("test", "forward", True, "d2p people: description -> name, as trained"),
    "both_prompts_test.jsonl": Role("test", "forward", False, "both-ways people: either order, both trained"),
    "p2d_reverse_prompts_test.jsonl": Role("test", "backward", True, "p2d people: description -> name, reversed"),
    "d2p_reverse_prompts_test.jsonl": Role("test", "backward", True, "d2p people: name -> description, reversed"),
}
# files of the release that are not read, and why
REVERSAL_CURSE_UNREAD = {
    "all_prompts_train.jsonl": "the three *_prompts_train files together",
    "validation_prompts.jsonl": "the prompts of p2d_reverse_prompts_test with the answer cut to its first word "
                                "(test prompts: validation is drawn from the held-out questions by person instead)",
}


class CorpusError(ValueError):
    """A problem in a corpus folder; the message names the file and, where there is one, the line."""


@dataclass(frozen=True)
class CorpusConfig:
    # the corpus folder; a relative path is looked up in the working directory, then in the repository
    path: str = ""
    format: str = "jsonl"  # jsonl (documents.jsonl + questions.jsonl) or reversal-curse (Berglund et al.'s files)
    bpe_vocab_size: int = 1024

    def __post_init__(self):
        if not isinstance(self.path, str) or not self.path:
            raise ValueError("corpus.path must name the corpus folder (presets.<preset>.data.corpus.path)")
        if self.format not in FORMATS:
            raise ValueError(f"corpus.format must be one of {list(FORMATS)}, not {self.format!r}")
        if self.bpe_vocab_size < 128:
            raise ValueError("corpus.bpe_vocab_size must be at least 128")


@dataclass(frozen=True)
class Line:
    """Where a record came from: ``file:line`` (lines counted from 1)."""

    path: Path
    number: int

    def __str__(self) -> str:
        return f"{self.path}:{self.number}"


@dataclass(frozen=True)
class Document:
    text: str
    line: Line


@dataclass(frozen=True)
class Question:
    prompt: str
    answer: str
    direction: str
    split: str
    entity: str | int | None
    line: Line
    # whether the answer must occur in the training text (reversal-curse: the names only; their
    # descriptions are reworded by the held-out templates)
    check_answer: bool = True


@dataclass
class Corpus:
    documents: list[Document]
    questions: list[Question]
    sources: list[tuple[str, str, int]]  # (file, what it became, lines read)
    needs: tuple[str, ...] = ("validation", "test")  # the splits that must hold questions
    question_file: str = QUESTIONS  # where the questions are, for "split without questions"


# --- reading ----------------------------------------------------------------------------------------

def _json_type(value) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def read_jsonl(path: Path) -> list[tuple[Line, dict]]:
    """The objects of a JSON-lines file with their lines (blank lines skipped). Raises
    :class:`CorpusError` for a line that is not JSON or not an object, a file that is not UTF-8,
    and a file without lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    records = []
    for number, raw in enumerate(text.split("\n"), 1):  # not splitlines: U+2028 may stand inside a JSON string
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            raise CorpusError(f"{Line(path, number)}: not valid JSON ({e.msg}, column {e.colno})") from None
        if not isinstance(value, dict):
            raise CorpusError(f"{Line(path, number)}: a JSON {_json_type(value)}, not an object")
        records.append((Line(path, number), value))
    if not records:
        raise CorpusError(f"{path} is empty: no JSON lines")
    return records


def _fields(record: dict, line: Line, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    """``record`` has every field of ``required``, no field outside ``required + optional``, and its
    required fields are non-empty strings."""
    allowed = required + optional
    unknown = [k for k in record if k not in allowed]
    if unknown:
        raise CorpusError(f"{line}: unknown field(s) {unknown}; a line of {line.path.name} has {list(required)}"
                          + (f" and optionally {list(optional)}" if optional else ""))
    missing = [k for k in required if k not in record]
    if missing:
        raise CorpusError(f"{line}: missing field(s) {missing}")
    for key in required:
        if not isinstance(record[key], str):
            raise CorpusError(f"{line}: `{key}` is a {_json_type(record[key])}, not a string")
        if not record[key].strip():
            raise CorpusError(f"{line}: `{key}` is empty")


def _choice(record: dict, key: str, choices: tuple[str, ...], line: Line) -> str:
    if record[key] not in choices:
        raise CorpusError(f"{line}: `{key}` is {record[key]!r}, not one of {', '.join(choices)}")
    return record[key]


def _require(directory: Path, name: str, help_text: str) -> Path:
    path = directory / name
    if not path.is_file():
        raise CorpusError(f"{path} is missing; {help_text}")
    return path


def read_jsonl_corpus(directory: Path) -> Corpus:
    """``documents.jsonl`` and ``questions.jsonl`` of a ``format: jsonl`` folder, every line checked."""
    documents = []
    for line, record in read_jsonl(_require(directory, DOCUMENTS, JSONL_HELP)):
        _fields(record, line, ("text",))
        documents.append(Document(record["text"].strip(), line))
    questions = []
    for line, record in read_jsonl(_require(directory, QUESTIONS, JSONL_HELP)):
        _fields(record, line, ("prompt", "answer", "direction", "split"), ("entity",))
        entity = record.get("entity")
        if entity is not None and (isinstance(entity, bool) or not isinstance(entity, (str, int))):
            raise CorpusError(f"{line}: `entity` is a {_json_type(entity)}, not a string or an integer")
        if isinstance(entity, str) and not entity.strip():
            raise CorpusError(f"{line}: `entity` is empty (leave the field out for a question of its own)")
        questions.append(Question(record["prompt"].strip(), record["answer"].strip(),
                                  _choice(record, "direction", DIRECTIONS, line), _choice(record, "split", SPLITS, line),
                                  entity, line))
    sources = [(DOCUMENTS, "documents (training text)", len(documents)),
               (QUESTIONS, "questions (split and direction per line)", len(questions))]
    return Corpus(documents, questions, sources, question_file=str(directory / QUESTIONS))


def _leading_name(text: str) -> str | None:
    """``" Uriah Hawthorne now enjoys ..."`` -> ``"Uriah Hawthorne"``: the first two words when both
    are capitalised words (the release's names are first and last name); else None."""
    words = [w.strip(string.punctuation) for w in text.split()[:2]]
    if len(words) == 2 and all(w and w[0].isupper() and w.replace("-", "").replace("'", "").isalpha() for w in words):
        return " ".join(words)
    return None


def _first_name_in(text: str, names: list[str]) -> str | None:
    """The known name that occurs first in ``text`` as whole words."""
    found = [(position, name) for name in names if (position := word_position(text, name)) is not None]
    return min(found)[1] if found else None


def read_reversal_curse(directory: Path) -> Corpus:
    """Berglund et al.'s experiment-1 files, mapped by :data:`REVERSAL_CURSE_FILES`: training lines
    become documents (prompt + completion), test lines questions of the file's direction; a line's
    entity is its person (the names are the capitalised first two words of the completions that
    start with one; a line naming no known person is a unit of its own)."""
    lines: dict[str, list[tuple[Line, dict]]] = {}
    for name, role in REVERSAL_CURSE_FILES.items():
        if role.required:
            _require(directory, name, REVERSAL_CURSE_HELP)
        if (directory / name).is_file():
            lines[name] = read_jsonl(directory / name)
            for line, record in lines[name]:
                _fields(record, line, ("prompt", "completion"))
    names = sorted({n for records in lines.values() for _, r in records
                    if (n := _leading_name(r["completion"])) is not None}, key=lambda n: (-len(n), n))
    documents, questions, sources = [], [], []
    for name, records in lines.items():
        role = REVERSAL_CURSE_FILES[name]
        for line, record in records:
            if role.split == "train":
                documents.append(Document((record["prompt"] + record["completion"]).strip(), line))
                continue
            answer = record["completion"].strip()
            person = _first_name_in(record["prompt"] + " " + record["completion"], names)
            questions.append(Question(record["prompt"].strip(), answer, role.direction, "test", person, line,
                                      check_answer=_leading_name(answer) in names))
        became = "documents (training text)" if role.split == "train" else f"{role.direction} test questions"
        sources.append((name, f"{became}: {role.what}", len(records)))
    for path in sorted(directory.glob("*.jsonl")):
        if path.name not in REVERSAL_CURSE_FILES:
            sources.append((path.name, "not read: " + REVERSAL_CURSE_UNREAD.get(path.name, "not a file of experiment 1"), 0))
    return Corpus(documents, questions, sources, needs=("test",), question_file=str(directory / "*_test.jsonl"))


READERS = {"jsonl": read_jsonl_corpus, "reversal-curse": read_reversal_curse}


# --- checks -----------------------------------------------------------------------------------------

def _flat(text: str) -> str:
    """Text as the checks compare it: runs of whitespace one space, case folded."""
    return " ".join(text.split()).casefold()


def _word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def word_position(text: str, words: str) -> int | None:
    """Where ``words`` first occurs in ``text`` as whole words (not inside a longer word), or None."""
    start = text.find(words) if words else -1
    while start != -1:
        if not _word_char(text, start - 1) and not _word_char(text, start + len(words)):
            return start
        start = text.find(words, start + 1)
    return None


def corpus_problems(corpus: Corpus) -> list[str]:
    """Every problem of a read corpus (each naming its file and line): a split without questions,
    a held-out question that is also a training question or a whole document, a held-out answer
    that is empty as text or never occurs (as whole words) in the training text."""
    problems = []
    for split in corpus.needs:
        if not any(q.split == split for q in corpus.questions):
            problems.append(f"no {split} questions in {corpus.question_file} (every split needs questions)")
    seen: dict[tuple[str, str], Question] = {}
    for q in corpus.questions:
        first = seen.setdefault((_flat(q.prompt), _flat(q.answer)), q)
        if first.split != q.split:
            problems.append(f"{q.line}: the {q.split} question {q.prompt!r} -> {q.answer!r} is also a {first.split} "
                            f"question ({first.line})")
    documents = {}
    for d in corpus.documents:
        documents.setdefault(normalise_answer(d.text), d)  # punctuation at the ends aside
    training = [d.text for d in corpus.documents] + [f"{q.prompt} {q.answer}" for q in corpus.questions if q.split == "train"]
    text = "\n".join(_flat(t) for t in training)
    for q in corpus.questions:
        if q.split == "train":
            continue
        copy = documents.get(normalise_answer(f"{q.prompt} {q.answer}"))
        if copy is not None:
            problems.append(f"{q.line}: the {q.split} question {q.prompt!r} -> {q.answer!r} is a training "
                            f"document ({copy.line})")
        answer = normalise_answer(q.answer)
        if not answer:
            problems.append(f"{q.line}: the answer {q.answer!r} is empty once whitespace and punctuation around it "
                            "are removed (exact match compares answers so)")
        elif q.check_answer and word_position(text, answer) is None:
            problems.append(f"{q.line}: the {q.split} answer {q.answer!r} never occurs in the training text "
                            "(documents and train questions), so no model can learn it")
    return problems


def check_corpus(corpus: Corpus) -> None:
    """Raise :class:`CorpusError` listing the corpus's problems (:func:`corpus_problems`), the first ten."""
    problems = corpus_problems(corpus)
    if problems:
        more = f"\n(and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise CorpusError(f"{len(problems)} problem(s) in the corpus:\n" + "\n".join(problems[:10]) + more)


def corpus_dir(config: CorpusConfig) -> Path:
    directory = resolve_source(config.path)
    if not directory.is_dir():
        raise CorpusError(f"the corpus folder {str(directory)!r} does not exist; "
                          + (JSONL_HELP if config.format == "jsonl" else REVERSAL_CURSE_HELP))
    return directory


def load_corpus(config: CorpusConfig) -> Corpus:
    """The corpus a config names, read and checked: raises :class:`CorpusError` on any problem."""
    corpus = READERS[config.format](corpus_dir(config))
    check_corpus(corpus)
    return corpus


def source_files(config: CorpusConfig) -> list[Path]:
    """The files the corpus is read from (inputs of its dataset's job: an edited file rebuilds it)."""
    directory = resolve_source(config.path)
    if config.format == "jsonl":
        return [directory / DOCUMENTS, directory / QUESTIONS]
    return [directory / name for name, role in REVERSAL_CURSE_FILES.items()
            if role.required or (directory / name).is_file()]


# --- the dataset ------------------------------------------------------------------------------------

def entity_ids(questions: list[Question]) -> list[int]:
    """Per question, the number of its entity (in order of first appearance); a question without
    an entity gets a number of its own."""
    ids: dict[tuple, int] = {}
    return [ids.setdefault(("entity", q.entity) if q.entity is not None else ("question", i), len(ids))
            for i, q in enumerate(questions)]


def _csv(header: tuple, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def make_corpus(config: CorpusConfig, seed: int) -> TaskData:
    """The corpus as a dataset: documents and train questions to train on, the validation and test
    questions held out. The files fix every split (``seed`` is unused) but reversal-curse's
    validation questions, which :func:`data.make_dataset` draws from the test ones by person."""
    corpus = load_corpus(config)
    facts = entity_ids(corpus.questions)
    train = [Example(d.text, "", "statement", "", i) for i, d in enumerate(corpus.documents)]
    held: dict[str, list[Example]] = {"validation": [], "test": []}
    for q, fact in zip(corpus.questions, facts):
        e = Example(q.prompt, q.answer, "query", q.direction, fact)
        (train if q.split == "train" else held[q.split]).append(e)
    texts = [text for e in train for text in (e.prompt, e.answer) if text]
    entities = {}
    for q, fact in zip(corpus.questions, facts):
        entities.setdefault(fact, [q.entity if q.entity is not None else "", 0])[1] += 1
    return TaskData(
        train=train,
        test=held["test"],
        validation=held["validation"],
        tokenizer=BPETokenizer.train(texts, config.bpe_vocab_size),
        files={
            "sources.csv": _csv(("file", "became", "lines_read"), corpus.sources),
            "entities.csv": _csv(("fact", "entity", "questions"), [(f, *v) for f, v in sorted(entities.items())]),
        },
    )


TASK = Task(CorpusConfig, make_corpus, marks_entities=False, check_sources=load_corpus, source_files=source_files,
            answer_normaliser=normalise_answer)
