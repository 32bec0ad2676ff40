"""Entity representations of a trained model and their principal components (paper Figures 4b, 4c).

The representation of one token is the last layer's hidden state right after the model has read
that token, reading the text left to right as it does when it answers: the state at the next
position that predicts the next token, with every later token unknown (``<mask>``, ranked as the
objective decodes). For the decoder this is its causal state; for the BERT-style encoder and the
encoder-decoder it is the state of the next, still hidden position. An entity's representation
is the mean over its tokens, taken in the training statements that hold it (e.g. ``A => B => C``
of the relationship task, entities A, B, C).

Only the model's public API is used: :func:`model.load_model`, ``Transformer.hidden_states``
and :func:`objectives.decoding_rank`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import data as data_io
from .model import load_model
from .objectives import decoding_rank
from .vocabulary import MASK_ID

ROLE_NAMES = "ABCDEFGHIJ"  # the k-th entity of a statement


@torch.no_grad()
def reading_states(model, tokens: torch.Tensor, decoding: str) -> torch.Tensor:
    """[B, T, d] for equal-length, unpadded sequences [B, T]: row i is the state after reading
    tokens 0..i (the hidden state of position i + 1 when only 0..i are known); the last row,
    which no next position follows, is NaN."""
    B, T = tokens.shape
    states = None
    for i in range(T - 1):
        known = torch.zeros_like(tokens, dtype=torch.bool)
        known[:, : i + 1] = True
        visible = torch.where(known, tokens, torch.full_like(tokens, MASK_ID))
        h = model.hidden_states(visible, decoding_rank(known, decoding))
        if states is None:
            states = torch.full((B, T, h.shape[-1]), float("nan"), dtype=h.dtype, device=h.device)
        states[:, i] = h[:, i + 1]
    if states is None:
        raise ValueError("sequences of one token have no state after reading")
    return states


def entity_representations(model, rows: list[dict], tokenizer, decoding: str, test_facts: set[int],
                           batch_size: int = 256) -> tuple[pd.DataFrame, np.ndarray]:
    """Representations of every entity of every training statement (``kind == "statement"``).

    Returns (meta, vectors): meta has one row per entity with ``fact`` (the example's ``entity``
    field: which fact the statement states), ``role`` (A, B, C: its place in the statement) and
    ``split`` (``test`` if the fact's questions are held out, else ``train``); vectors [N, d]."""
    statements = [r for r in rows if r["kind"] == "statement"]
    if not statements:
        raise ValueError("no statements to read entities from")
    encoded = data_io.encode_examples(statements, tokenizer)
    model_device = next(model.parameters()).device
    groups: dict[int, list[int]] = defaultdict(list)
    for i, length in enumerate(encoded.lengths.tolist()):
        groups[length].append(i)
    meta, vectors = [], []
    for length, indices in sorted(groups.items()):
        for start in range(0, len(indices), batch_size):
            idx = torch.tensor(indices[start : start + batch_size])
            tokens = encoded.tokens[idx, :length].to(model_device)
            states = reading_states(model, tokens, decoding).float().cpu()
            numbers = encoded.entities[idx, :length]
            for j, i in enumerate(idx.tolist()):
                for k in sorted(set(numbers[j].tolist()) - {0}):
                    positions = numbers[j] == k
                    vectors.append(states[j, positions].mean(0).numpy())
                    fact = int(statements[i]["fact"])
                    meta.append({"fact": fact, "role": ROLE_NAMES[k - 1] if k <= len(ROLE_NAMES) else str(k),
                                 "split": "test" if fact in test_facts else "train"})
    return pd.DataFrame(meta), np.stack(vectors)


def principal_components(vectors: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """PCA by SVD of the centred vectors: (coordinates [N, k], explained variance ratio [k]).
    Signs are fixed so that each component's largest coordinate in absolute value is positive."""
    x = np.asarray(vectors, dtype=np.float64)
    x = x - x.mean(0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    coords = u[:, :k] * s[:k]
    for c in range(coords.shape[1]):
        if coords[np.argmax(np.abs(coords[:, c])), c] < 0:
            coords[:, c] *= -1
    variance = s**2
    ratio = variance[:k] / variance.sum() if variance.sum() > 0 else np.zeros(k)
    return coords, ratio


def entity_pca(data_dir: str | Path, model_path: str | Path, decoding: str, csv_path: str | Path | None = None,
               device: str = "cpu") -> pd.DataFrame:
    """The first two principal components of a trained model's entity representations on a dataset;
    columns fact, role, split, pc1, pc2, pc1_variance, pc2_variance (explained variance ratio).
    Written to ``csv_path`` when given."""

    model, _ = load_model(model_path, device)
    tokenizer = data_io.load_tokenizer(data_dir)
    # held-out facts: those whose questions were not trained on (validation and test)
    test_facts = {int(r["fact"]) for split in ("validation", "test") for r in data_io.load_split(data_dir, split)}
    meta, vectors = entity_representations(model, data_io.load_split(data_dir, "train"), tokenizer, decoding, test_facts)
    coords, ratio = principal_components(vectors, 2)
    table = meta.assign(pc1=coords[:, 0], pc2=coords[:, 1], pc1_variance=ratio[0], pc2_variance=ratio[1])
    if csv_path is not None:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(csv_path, index=False, float_format="%.6g")
    return table
