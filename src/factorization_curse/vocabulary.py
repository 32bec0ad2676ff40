"""Special tokens (defined once, here), the whitespace tokenizer of the symbolic tasks, and the
one place that loads whichever tokenizer a dataset was written with.

Every tokenizer offers the same small interface: ``encode(text) -> ids``,
``encode_with_offsets(text) -> (ids, [(start, end), ...])`` (character span of each token, used to
find the tokens of a marked entity), ``decode(ids) -> text``, ``save(path)``, ``len()``; the
special tokens take ids 0-5 in every vocabulary.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable, Sequence

PAD = "<pad>"
BOS = "<bos>"
EOS = "<eos>"
MASK = "<mask>"
# Delimiters around an entity in entity-level reversed text (objective ar-rev-ent).
ENTITY_OPEN = "<ent>"
ENTITY_CLOSE = "</ent>"
SPECIAL_TOKENS = (PAD, BOS, EOS, MASK, ENTITY_OPEN, ENTITY_CLOSE)
PAD_ID, BOS_ID, EOS_ID, MASK_ID, ENTITY_OPEN_ID, ENTITY_CLOSE_ID = range(len(SPECIAL_TOKENS))


class SymbolicTokenizer:
    """Maps whitespace-separated symbols to ids; the special tokens always take ids 0-5."""

    def __init__(self, tokens: Iterable[str]):
        tokens = [t for t in tokens if t not in SPECIAL_TOKENS]
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary has duplicate tokens")
        bad = [t for t in tokens if not t or any(c.isspace() for c in t)]
        if bad:
            raise ValueError(f"vocabulary tokens must be non-empty and contain no whitespace: {bad[:5]}")
        self.tokens: list[str] = list(SPECIAL_TOKENS) + tokens
        self.ids = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str) -> list[int]:
        try:
            return [self.ids[t] for t in text.split()]
        except KeyError as e:
            raise ValueError(f"token {e.args[0]!r} is not in the vocabulary") from None

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        offsets = [m.span() for m in re.finditer(r"\S+", text)]
        return self.encode(text), offsets

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.tokens[i] for i in ids)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"type": "symbolic", "tokens": self.tokens}, indent=1))

    @classmethod
    def from_spec(cls, spec: dict) -> "SymbolicTokenizer":
        if list(spec["tokens"][: len(SPECIAL_TOKENS)]) != list(SPECIAL_TOKENS):
            raise ValueError("symbolic vocabulary does not start with this package's special tokens; regenerate the dataset")
        return cls(spec["tokens"])
