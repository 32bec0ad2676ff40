"""Datasets on disk (written by ``tasks.make_dataset``) to padded token tensors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from .vocabulary import BOS_ID, EOS_ID, PAD_ID, SymbolicTokenizer


@dataclass
class EncodedSplit:
    """A split as tensors: ``<bos> prompt answer <eos>`` right-padded with ``<pad>``."""

    tokens: torch.Tensor  # [N, T]
    lengths: torch.Tensor  # [N] tokens incl. BOS and EOS
    prompt_lengths: torch.Tensor  # [N] BOS + prompt tokens
    answer_lengths: torch.Tensor  # [N]
    directions: list[str]
    kinds: list[str]

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def select(self, indices: torch.Tensor) -> "EncodedSplit":
        picked = indices.tolist()
        return EncodedSplit(
            self.tokens[indices], self.lengths[indices], self.prompt_lengths[indices], self.answer_lengths[indices],
            [self.directions[i] for i in picked], [self.kinds[i] for i in picked],
        )

    def to(self, device) -> "EncodedSplit":
        return EncodedSplit(
            self.tokens.to(device), self.lengths.to(device), self.prompt_lengths.to(device),
            self.answer_lengths.to(device), self.directions, self.kinds,
        )


def encode_examples(rows: list[dict], tokenizer: SymbolicTokenizer) -> EncodedSplit:
    sequences, prompt_lengths, answer_lengths = [], [], []
    for row in rows:
        prompt, answer = tokenizer.encode(row["prompt"]), tokenizer.encode(row["answer"])
        sequences.append([BOS_ID] + prompt + answer + [EOS_ID])
        prompt_lengths.append(1 + len(prompt))
        answer_lengths.append(len(answer))
    T = max(len(s) for s in sequences)
    tokens = torch.full((len(sequences), T), PAD_ID, dtype=torch.long)
    for i, s in enumerate(sequences):
        tokens[i, : len(s)] = torch.tensor(s)
    return EncodedSplit(
        tokens=tokens,
        lengths=torch.tensor([len(s) for s in sequences]),
        prompt_lengths=torch.tensor(prompt_lengths),
        answer_lengths=torch.tensor(answer_lengths),
        directions=[row["direction"] for row in rows],
        kinds=[row["kind"] for row in rows],
    )


def load_tokenizer(data_dir: str | Path) -> SymbolicTokenizer:
    return SymbolicTokenizer.load(Path(data_dir) / "vocab.json")


def load_split(data_dir: str | Path, split: str) -> list[dict]:
    """Rows of ``<data_dir>/<split>.parquet`` as dicts, read with ``datasets``."""
    import datasets

    path = Path(data_dir) / f"{split}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; regenerate the dataset (rule make_dataset)")
    return datasets.Dataset.from_parquet(str(path)).to_list()


def load_info(data_dir: str | Path) -> dict:
    return json.loads((Path(data_dir) / "info.json").read_text())
