"""Special tokens (defined once, here) and the whitespace tokenizer of the symbolic tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Sequence

PAD = "<pad>"
BOS = "<bos>"
EOS = "<eos>"
MASK = "<mask>"
SPECIAL_TOKENS = (PAD, BOS, EOS, MASK)
PAD_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKENS))


class SymbolicTokenizer:
    """Maps whitespace-separated symbols to ids; the special tokens always take ids 0-3."""

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

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.tokens[i] for i in ids)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"type": "symbolic", "tokens": self.tokens}, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "SymbolicTokenizer":
        spec = json.loads(Path(path).read_text())
        if spec.get("type") != "symbolic" or list(spec["tokens"][: len(SPECIAL_TOKENS)]) != list(SPECIAL_TOKENS):
            raise ValueError(f"{path} is not a symbolic vocabulary written by this package")
        return cls(spec["tokens"])
