"""A BPE subword tokenizer for the text tasks (BioS), built on the ``tokenizers`` library.

Text is split into words at whitespace and punctuation (``pre_tokenizers.Whitespace``), so every
token lies inside one word and its offsets are an exact character range without spaces: the
tokens of a marked entity are exactly the tokens inside the entity's span. Pieces that continue a
word carry ``##`` so that ``decode`` can glue words back together (``decoders.WordPiece``).

The merges are learned here, not with ``tokenizers.trainers.BpeTrainer``: with a continuing-subword
prefix that trainer numbers the ``##`` characters in hash-map order, so ties between equally
frequent pairs break differently from run to run and the same texts give different vocabularies
(seen with tokenizers 0.23). :func:`learn_merges` breaks ties by the pair's strings, so a
dataset's tokenizer depends on its texts alone. Encoding, offsets and decoding are the library's.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from .vocabulary import SPECIAL_TOKENS

UNK = "<unk>"  # id len(SPECIAL_TOKENS): characters never seen in training map here instead of failing
PREFIX = "##"  # marks a piece that continues a word


def learn_merges(word_counts: dict[str, int], size: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Byte-pair encoding on a word-frequency table: ``(alphabet, merges)``, merges in rank order.

    A word starts as its first character followed by ``##``-prefixed characters. Each step merges
    the most frequent adjacent pair (ties: the smallest pair of strings) until alphabet and merged
    tokens together number ``size`` or no pair is left. Pair counts are updated only for the words that
    contain the merged pair, and a heap with lazily discarded stale entries finds the best pair.
    """
    words = sorted(word_counts)
    counts = [word_counts[w] for w in words]
    symbols = [[w[0]] + [PREFIX + c for c in w[1:]] for w in words]
    alphabet = sorted({s for syms in symbols for s in syms})

    pair_counts: Counter[tuple[str, str]] = Counter()
    where: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for i, syms in enumerate(symbols):
        for pair in zip(syms, syms[1:]):
            pair_counts[pair] += counts[i]
            where[pair].add(i)
    heap = [(-c, pair) for pair, c in pair_counts.items()]
    heapq.heapify(heap)

    known = set(alphabet)
    merges: list[tuple[str, str]] = []
    while len(known) < size and heap:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative:
            continue  # stale entry: the count changed after it was pushed
        first, second = pair
        merged = first + second[len(PREFIX):]  # the second piece always continues a word
        merges.append(pair)
        known.add(merged)  # two merges may spell the same token ("ab"+"##c", "a"+"##bc")
        changed: set[tuple[str, str]] = set()
        for i in sorted(where.pop(pair)):
            old = symbols[i]
            new, k = [], 0
            while k < len(old):
                if k + 1 < len(old) and old[k] == first and old[k + 1] == second:
                    new.append(merged)
                    k += 2
                else:
                    new.append(old[k])
                    k += 1
            for p in zip(old, old[1:]):
                pair_counts[p] -= counts[i]
                changed.add(p)
            for p in zip(new, new[1:]):
                pair_counts[p] += counts[i]
                changed.add(p)
            for p in set(zip(old, old[1:])) - set(zip(new, new[1:])):
                where[p].discard(i)
            for p in zip(new, new[1:]):
                where[p].add(i)
            symbols[i] = new
        for p in sorted(changed):
            if pair_counts[p] > 0:
                heapq.heappush(heap, (-pair_counts[p], p))
            else:
                del pair_counts[p]
    return alphabet, merges


class BPETokenizer:
    """Subword tokenizer with the interface of :class:`vocabulary.SymbolicTokenizer`.

    Ids 0-5 are the special tokens, id 6 is ``<unk>``, then the alphabet and the merged tokens.
    """

    def __init__(self, tokenizer: Tokenizer):
        first = [tokenizer.id_to_token(i) for i in range(len(SPECIAL_TOKENS))]
        if first != list(SPECIAL_TOKENS):
            raise ValueError(
                f"BPE vocabulary starts with {first}, not this package's special tokens {list(SPECIAL_TOKENS)}; "
                "regenerate the dataset (rule make_dataset)"
            )
        tokenizer.post_processor = None  # encode adds no special tokens; data.encode_examples does
        self.tokenizer = tokenizer

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int) -> "BPETokenizer":
        """Learn a vocabulary of (about) ``vocab_size`` tokens from ``texts``; same texts, same tokenizer.

        The vocabulary is larger than ``vocab_size`` only when the specials and the alphabet alone
        exceed it; it is smaller when every word already is a single token.
        """
        pre_tokenizer = pre_tokenizers.Whitespace()
        word_counts: Counter[str] = Counter()
        for text in texts:
            word_counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(text))
        reserved = list(SPECIAL_TOKENS) + [UNK]
        alphabet, merges = learn_merges(word_counts, vocab_size - len(reserved))

        vocab: dict[str, int] = {}
        for token in reserved + alphabet + [a + b[len(PREFIX):] for a, b in merges]:
            vocab.setdefault(token, len(vocab))
        model = models.BPE(vocab=vocab, merges=merges, unk_token=UNK, continuing_subword_prefix=PREFIX)
        tokenizer = Tokenizer(model)
        tokenizer.pre_tokenizer = pre_tokenizer
        tokenizer.decoder = decoders.WordPiece(prefix=PREFIX)
        tokenizer.add_special_tokens(reserved)  # already in the vocabulary: they keep their ids
        return cls(tokenizer)

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        return encoding.ids, [tuple(span) for span in encoding.offsets]

    def decode(self, ids: Sequence[int]) -> str:
        """Words joined by spaces, ``##`` pieces glued on, no space before ``. , ? !``; specials kept."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=False)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"type": "bpe", "tokenizer": self.tokenizer.to_str()}))

    @classmethod
    def from_spec(cls, spec: dict) -> "BPETokenizer":
        return cls(Tokenizer.from_str(spec["tokenizer"]))
