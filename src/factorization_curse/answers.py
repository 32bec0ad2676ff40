"""How a generated answer is compared with the true one as text (WikiReversal's normalised exact
match). Plain Python, no torch: the results layer (tables, report) reads the descriptions too."""

from __future__ import annotations

import inspect
import unicodedata
from typing import Callable


def _is_edge(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def normalise_answer(text: str) -> str:
    """Answers compared as text, ignoring case and surrounding whitespace and punctuation:
    lower-cased (Unicode case folding), runs of whitespace made one space, whitespace and
    punctuation (Unicode categories P*) removed from both ends; inner punctuation stays.

    ``" New York City. "`` -> ``"new york city"``; ``"(St. Louis)"`` -> ``"st. louis"``.
    """
    text = " ".join(text.split()).casefold()
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def normaliser_description(normalise: Callable[[str], str]) -> str:
    """What a task's answer normaliser does, in words: its docstring's first paragraph."""
    return " ".join(inspect.getdoc(normalise).split("\n\n")[0].split())


def match_normalised(predictions: list[dict], decode: Callable[[list[int]], str], normalise: Callable[[str], str]) -> None:
    """Exact match on text, in place: each prediction's ``exact_match`` becomes whether the decoded
    generated and true answers agree after ``normalise``; the token-level verdict is kept as
    ``token_exact_match``. Per-token accuracy stays token-level."""
    for p in predictions:
        p["token_exact_match"] = p["exact_match"]
        p["exact_match"] = normalise(decode(p["predicted"])) == normalise(decode(p["answer"]))
