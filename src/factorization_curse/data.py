"""The dataset folder, both ways: :func:`make_dataset` generates a task's data and writes it
(train/validation/test Parquet, ``vocab.json``, ``info.json``); the readers load it back, with an
error naming the file and the rebuild command when it is missing or broken, and encode it into
padded token tensors for training and evaluation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .subword import BPETokenizer
from .tasks import get_task
from .tasks.base import TaskData, check_no_leak, split_validation
from .vocabulary import BOS_ID, EOS_ID, PAD_ID, SymbolicTokenizer


@dataclass
class EncodedSplit:
    """A split as tensors: ``<bos> prompt answer <eos>`` right-padded with ``<pad>``."""

    tokens: torch.Tensor  # [N, T]
    lengths: torch.Tensor  # [N] tokens incl. BOS and EOS
    prompt_lengths: torch.Tensor  # [N] BOS + prompt tokens
    answer_lengths: torch.Tensor  # [N]
    entities: torch.Tensor  # [N, T] k > 0 on the tokens of the sequence's k-th marked entity, else 0
    directions: list[str]
    # token ids of the answer a model that treats the relation as symmetric gives ([] if none)
    other_answers: list[list[int]]

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def select(self, indices: torch.Tensor) -> "EncodedSplit":
        picked = indices.tolist()
        return EncodedSplit(
            self.tokens[indices], self.lengths[indices], self.prompt_lengths[indices], self.answer_lengths[indices],
            self.entities[indices], [self.directions[i] for i in picked],
            [self.other_answers[i] for i in picked],
        )

    def training_batch(self, indices: torch.Tensor, host_lengths: torch.Tensor | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Tokens, lengths and entity numbers of these rows, cut to the batch's own longest row (no
        work on the dataset's padding: about half of BioS's rows at the paper preset). ``indices``
        live on the host; ``host_lengths`` (:attr:`lengths` on the host, once) gives the width without
        reading the device, so a GPU batch costs no device-to-host sync."""
        host_lengths = self.lengths if host_lengths is None else host_lengths
        width = int(host_lengths[indices].max())
        rows = indices.to(self.tokens.device, non_blocking=True)
        return self.tokens[rows, :width], self.lengths[rows], self.entities[rows, :width]

    def to(self, device) -> "EncodedSplit":
        return EncodedSplit(
            self.tokens.to(device), self.lengths.to(device), self.prompt_lengths.to(device),
            self.answer_lengths.to(device), self.entities.to(device), self.directions, self.other_answers,
        )


def entity_numbers(offsets: list[tuple[int, int]], spans: list[list[int]], first: int) -> list[int]:
    """Per token: ``first + k`` if the token lies inside the k-th span, else 0."""
    numbers = []
    for start, end in offsets:
        inside = [k for k, (s, e) in enumerate(spans) if s <= start and end <= e]
        numbers.append(first + inside[0] if inside else 0)
    return numbers


def encode_examples(rows: list[dict], tokenizer) -> EncodedSplit:
    """Token tensors of ``<bos> prompt answer <eos>``, with each marked entity's tokens numbered."""
    sequences, numbered, prompt_lengths, answer_lengths = [], [], [], []
    for row in rows:
        prompt, prompt_offsets = tokenizer.encode_with_offsets(row["prompt"])
        answer, answer_offsets = tokenizer.encode_with_offsets(row["answer"])
        prompt_spans, answer_spans = row.get("prompt_entities") or [], row.get("answer_entities") or []
        sequences.append([BOS_ID] + prompt + answer + [EOS_ID])
        numbered.append(
            [0] + entity_numbers(prompt_offsets, prompt_spans, 1)
            + entity_numbers(answer_offsets, answer_spans, 1 + len(prompt_spans)) + [0]
        )
        prompt_lengths.append(1 + len(prompt))
        answer_lengths.append(len(answer))
    T = max(len(s) for s in sequences)
    tokens = torch.full((len(sequences), T), PAD_ID, dtype=torch.long)
    entities = torch.zeros((len(sequences), T), dtype=torch.long)
    for i, (s, n) in enumerate(zip(sequences, numbered)):
        tokens[i, : len(s)] = torch.tensor(s)
        entities[i, : len(n)] = torch.tensor(n)
    return EncodedSplit(
        tokens=tokens,
        lengths=torch.tensor([len(s) for s in sequences]),
        prompt_lengths=torch.tensor(prompt_lengths),
        answer_lengths=torch.tensor(answer_lengths),
        entities=entities,
        directions=[row["direction"] for row in rows],
        other_answers=[tokenizer.encode(row["other_answer"]) if row.get("other_answer") else [] for row in rows],
    )


class DatasetFileError(ValueError):
    """A dataset file that is missing or cannot be read; the message names it and the rebuild command."""


def rebuild_hint(data_dir: str | Path) -> str:
    return (f"rebuild the dataset with `snakemake --cores all --forcerun {data_dir}` (a plain rerun does not "
            "rebuild a folder that exists), or delete the folder and rerun")


def _read(data_dir: str | Path, name: str, read: Callable[[Path], object]):
    path = Path(data_dir) / name
    if not path.exists():
        raise DatasetFileError(f"{path} is missing; {rebuild_hint(data_dir)}")
    try:
        return read(path)
    except Exception as error:  # a truncated Parquet file, malformed JSON, a garbled vocabulary ...
        raise DatasetFileError(f"{path} cannot be read ({type(error).__name__}: {str(error)[:200]}); "
                               f"{rebuild_hint(data_dir)}") from error


def load_tokenizer_file(path: str | Path):
    """The tokenizer saved at ``path`` (``vocab.json`` beside a dataset), whatever its type."""
    spec = json.loads(Path(path).read_text())
    kind = spec.get("type")
    if kind == "symbolic":
        return SymbolicTokenizer.from_spec(spec)
    if kind == "bpe":
        return BPETokenizer.from_spec(spec)
    raise ValueError(f"{path}: unknown tokenizer type {kind!r}; regenerate the dataset (rule make_dataset)")


def load_tokenizer(data_dir: str | Path):
    return _read(data_dir, "vocab.json", load_tokenizer_file)


def load_split(data_dir: str | Path, split: str) -> list[dict]:
    """Rows of ``<data_dir>/<split>.parquet`` (written with ``datasets``) as dicts. Read with pyarrow
    directly: ``datasets`` would leave an Arrow copy and lock files in ~/.cache/huggingface for
    every read, and lock files on a cluster's NFS home fail."""
    import pyarrow.parquet as pq

    return _read(data_dir, f"{split}.parquet", lambda path: pq.read_table(path).to_pylist())


def load_info(data_dir: str | Path) -> dict:
    return _read(data_dir, "info.json", lambda path: json.loads(path.read_text()))


def dataset_fingerprint(data_dir: str | Path) -> str:
    """SHA-256 of a dataset's content (every split's rows and the vocabulary): what a run was
    trained on, recorded with its checkpoint and model, so that neither is ever used with another
    dataset. Content, not bytes: an identical rebuild has the same fingerprint."""
    digest = hashlib.sha256()
    for split in ("train", "validation", "test"):
        digest.update(json.dumps(load_split(data_dir, split), sort_keys=True, default=str).encode())
    digest.update((Path(data_dir) / "vocab.json").read_bytes())
    return digest.hexdigest()


def make_dataset(task_name: str, params: dict, seed: int, out_dir: str | Path) -> TaskData:
    """Generate a task's data and write train/validation/test Parquet files and the vocabulary to
    ``out_dir``; the generator's held-out questions are split into validation and test
    (:func:`split_validation`) unless it gives its validation questions itself.

    The files are written to a temporary sibling directory first and renamed into place, so a
    crash never leaves a half-written dataset behind.
    """
    import datasets

    datasets.disable_progress_bars()  # per-call bars clutter the job logs
    task = get_task(task_name)
    config = task.config_class(**params)
    data = task.generate(config, seed)
    check_no_leak(data)
    if not data.validation:  # a task that reads its splits (corpus) brings its own
        data.validation, data.test = split_validation(data.test, seed)

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for split in ("train", "validation", "test"):
        rows = [dataclasses.asdict(e) for e in getattr(data, split)]
        datasets.Dataset.from_list(rows).to_parquet(str(tmp / f"{split}.parquet"))
    (data.tokenizer or SymbolicTokenizer(data.vocabulary)).save(tmp / "vocab.json")
    for name, text in data.files.items():
        (tmp / name).write_text(text)
    info = {
        "task": task_name,
        "seed": seed,
        "config": dataclasses.asdict(config),
        "num_train": len(data.train),
        "num_validation": len(data.validation),
        "num_test": len(data.test),
    }
    if task.chance is not None:
        info["chance_exact_match"] = task.chance(config)
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return data
