"""Training objectives as rules for which tokens are context for which predictions.

An objective turns a batch of token sequences into a :class:`Factorization`: the sequence the
model reads, a *rank* per position, and a loss weight per position. The rule is one line:

    token j is context for the prediction of token i  iff  rank[j] < rank[i].

Left-to-right AR gives rank = position; PLM gives rank = a random permutation; masked objectives
give rank 0 to visible tokens and 1 to hidden ones (hidden tokens see only visible ones). The
beginning-of-sequence token has rank -1 (context for everything, never predicted) and padding a
rank above every real token. The encoder-decoder turns ranks into attention masks; the decoder-only
and encoder-only architectures accept the objectives whose rule they can express (see ``kind``).

Adding an objective: write one function ``(tokens, lengths, generator, **params) -> Factorization``
and register it in ``OBJECTIVE_KINDS``; the config names it under ``objectives``. Objectives that
need to know where the entities are (entity-level reversal) also take ``entities``: per token, the
number k > 0 of the marked entity it belongs to, 0 outside entities (see ``data.encode_examples``).
The registry is read without torch (the DAG build checks the config with it); torch loads when a
rule first runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .runtime import import_lazily
from .vocabulary import BOS_ID, ENTITY_CLOSE_ID, ENTITY_OPEN_ID, EOS_ID, PAD_ID

# Loaded on first use: the Snakemake DAG build reads only the registry below (config.check_config),
# the jobs that train and evaluate run the rules.
torch = import_lazily("torch")

BOS_RANK = -1


@dataclass
class Factorization:
    tokens: torch.Tensor  # [B, T] int64: the sequences the model reads (BOS first, right padding)
    rank: torch.Tensor  # [B, T] int64: token j informs token i iff rank[j] < rank[i]
    weights: torch.Tensor  # [B, T] float: loss weight of predicting token i (0: not predicted)

    @property
    def targets(self) -> torch.Tensor:
        return self.weights > 0

    def context_mask(self) -> torch.Tensor:
        """[B, T, T] bool: entry (b, i, j) says token j is context for the prediction of token i."""
        return self.rank[:, None, :] < self.rank[:, :, None]


def real_positions(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """[B, T] bool: the predictable tokens, i.e. positions 1 .. length-1 (everything after BOS)."""
    positions = torch.arange(T, device=lengths.device)
    return (positions[None, :] >= 1) & (positions[None, :] < lengths[:, None])


def _finish(tokens, lengths, rank, predicted, weights) -> Factorization:
    """Fix BOS at rank -1, padding above every real rank, and zero weights off the predictions."""
    real = real_positions(lengths, tokens.shape[1])
    rank = rank.clone()
    rank[:, 0] = BOS_RANK
    rank[~real & (torch.arange(tokens.shape[1], device=tokens.device)[None, :] > 0)] = tokens.shape[1]
    weights = torch.where(predicted & real, weights, torch.zeros_like(weights))
    return Factorization(tokens=tokens, rank=rank, weights=weights)


def random_order(lengths: torch.Tensor, T: int, generator: torch.Generator | None) -> torch.Tensor:
    """[B, T] int: a uniformly random order 0..D-1 of each sequence's D real tokens (others >= D)."""
    keys = torch.rand(lengths.shape[0], T, generator=generator, device=lengths.device)
    keys = torch.where(real_positions(lengths, T), keys, torch.full_like(keys, 2.0))
    keys[:, 0] = 3.0  # BOS sorts last; its rank is overwritten anyway
    return keys.argsort(dim=1).argsort(dim=1)


def left_to_right(tokens, lengths, generator=None) -> Factorization:
    """AR: every token predicted from the tokens before it."""
    T = tokens.shape[1]
    real = real_positions(lengths, tokens.shape[1])
    rank = torch.arange(T, device=tokens.device).expand_as(tokens)
    D = real.sum(1, keepdim=True).clamp(min=1)
    return _finish(tokens, lengths, rank, real, (1.0 / D).expand(tokens.shape).float())


def text_span(tokens: torch.Tensor, lengths: torch.Tensor):
    """Where the text lies between BOS and an optional EOS: (positions [B, T], ends_with_eos [B],
    last text position [B], inside [B, T] bool)."""
    positions = torch.arange(tokens.shape[1], device=tokens.device)[None, :].expand_as(tokens)
    ends_with_eos = tokens.gather(1, (lengths - 1)[:, None]).squeeze(1) == EOS_ID
    last = lengths - 1 - ends_with_eos.long()
    inside = (positions >= 1) & (positions <= last[:, None])
    return positions, ends_with_eos, last, inside


def reverse_tokens(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Token-level reverse of the text between BOS and EOS (BOS, EOS and padding stay in place)."""
    positions, _, last, inside = text_span(tokens, lengths)
    source = torch.where(inside, 1 + last[:, None] - positions, positions)
    return tokens.gather(1, source)


def left_to_right_with_reverse(tokens, lengths, generator=None) -> Factorization:
    """AR w/reverse: AR on every sequence and on its token-level reverse (the batch doubles)."""
    both = torch.cat([tokens, reverse_tokens(tokens, lengths)])
    return left_to_right(both, torch.cat([lengths, lengths]))


def chunk_starts(entities: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
    """[B, T] bool: the positions (of ``inside``) where a chunk begins, a chunk being a whole marked
    entity (a run of one entity number > 0) or one token outside entities."""
    ent = torch.where(inside, entities, torch.zeros_like(entities))
    previous = torch.cat([torch.zeros_like(ent[:, :1]), ent[:, :-1]], 1)
    return inside & ((ent == 0) | (ent != previous))


def reverse_entities(tokens: torch.Tensor, lengths: torch.Tensor, entities: torch.Tensor, delimiters: bool):
    """Entity-level reverse: the text between BOS and EOS read as chunks (a whole marked entity, or
    one token outside entities) in reverse chunk order, each entity's tokens kept in their order and,
    with ``delimiters``, wrapped in ``<ent> .. </ent>``. Returns (tokens [B, T'], lengths [B]).

    "A => B => C" with entities A = a1 a2, B = b1, C = c1 c2 becomes "c1 c2 => b1 => a1 a2"
    (or "<ent> c1 c2 </ent> => <ent> b1 </ent> => <ent> a1 a2 </ent>"). Vectorised: no loop over
    the batch, so it runs on the device with the rest of the step.
    """
    B, T = tokens.shape
    positions, ends_with_eos, _, inside = text_span(tokens, lengths)
    ent = torch.where(inside, entities, torch.zeros_like(entities))
    starts = chunk_starts(entities, inside)
    chunk = torch.where(inside, starts.long().cumsum(1) - 1, torch.full_like(ent, T))  # T: outside the text
    size = torch.zeros(B, T + 1, dtype=torch.long, device=tokens.device).scatter_add_(1, chunk, torch.ones_like(chunk))
    is_entity = torch.zeros_like(size).scatter_reduce_(1, chunk, (ent > 0).long(), "amax", include_self=True)
    size[:, T], is_entity[:, T] = 0, 0
    pad = 2 * int(delimiters)
    width = size + pad * is_entity
    total = width.sum(1)
    chunk_start = 1 + total[:, None] - width.cumsum(1)  # output position where chunk c begins
    first = torch.full_like(size, T).scatter_reduce_(1, chunk, positions.contiguous(), "amin", include_self=True)
    c = chunk.clamp(max=T)
    destination = chunk_start.gather(1, c) + (pad // 2) * is_entity.gather(1, c) + positions - first.gather(1, c)
    new_lengths = lengths + pad * is_entity.sum(1)
    W = T + pad * int(is_entity.sum(1).max()) if pad else T
    out = torch.full((B, W + 1), PAD_ID, dtype=tokens.dtype, device=tokens.device)  # column W: discarded
    out[:, 0] = BOS_ID
    out.scatter_(1, torch.where(inside, destination, torch.full_like(destination, W)), tokens)
    if pad:
        opened = torch.where(is_entity.bool(), chunk_start, torch.full_like(chunk_start, W))
        closed = torch.where(is_entity.bool(), chunk_start + width - 1, torch.full_like(chunk_start, W))
        out.scatter_(1, opened, torch.full_like(opened, ENTITY_OPEN_ID))
        out.scatter_(1, closed, torch.full_like(closed, ENTITY_CLOSE_ID))
    eos_at = torch.where(ends_with_eos, 1 + total, torch.full_like(total, W))
    out.scatter_(1, eos_at[:, None], torch.full_like(eos_at[:, None], EOS_ID))
    return out[:, :W], new_lengths


def left_to_right_with_entity_reverse(tokens, lengths, generator=None, *, entities, delimiters: bool = True) -> Factorization:
    """AR w/reverse (entity): AR on every sequence and on its entity-level reverse (see
    :func:`reverse_entities`); the batch doubles. Without delimiters (the paper's starred column)
    a reversed entity cannot be told apart from forward text."""
    reversed_tokens, reversed_lengths = reverse_entities(tokens, lengths, entities, delimiters)
    forward = torch.full_like(reversed_tokens, PAD_ID)
    forward[:, : tokens.shape[1]] = tokens
    return left_to_right(torch.cat([forward, reversed_tokens]), torch.cat([lengths, reversed_lengths]))


def random_segments(tokens: torch.Tensor, lengths: torch.Tensor, generator: torch.Generator | None,
                    max_length: int) -> torch.Tensor:
    """[B, T] segment numbers 1, 2, .. of the text between BOS and EOS (0 elsewhere): consecutive
    segments whose lengths are drawn uniformly from 1..``max_length`` (the last one cut at the end
    of the text), covering the text."""
    positions, _, _, inside = text_span(tokens, lengths)
    sizes = torch.randint(1, max_length + 1, tokens.shape, generator=generator, device=tokens.device)
    ends = sizes.cumsum(1)  # segment k covers text offsets [ends[k-1], ends[k])
    segment = torch.searchsorted(ends, (positions - 1).contiguous(), right=True) + 1
    return torch.where(inside, segment, torch.zeros_like(segment))


def left_to_right_with_segment_reverse(tokens, lengths, generator=None, *, max_segment_length: int) -> Factorization:
    """AR w/reverse (random segments; Golovneva et al. 2024, beside entity reversal): AR on every
    sequence and on its reverse by random-length segments (:func:`random_segments`), each segment
    keeping its token order, so that no entity marks are needed; the batch doubles. Without
    delimiters: the reverse is a permutation of the text."""
    if max_segment_length < 1:
        raise ValueError(f"max_segment_length must be at least 1, not {max_segment_length}")
    segments = random_segments(tokens, lengths, generator, max_segment_length)
    reversed_tokens, _ = reverse_entities(tokens, lengths, segments, delimiters=False)
    return left_to_right(torch.cat([tokens, reversed_tokens]), torch.cat([lengths, lengths]))


def masked_fixed_rate(tokens, lengths, generator=None, *, rate: float) -> Factorization:
    """BERT-style MLM: each token hidden with probability ``rate``; loss = mean over hidden tokens."""
    real = real_positions(lengths, tokens.shape[1])
    hidden = (torch.rand(tokens.shape, generator=generator, device=tokens.device) < rate) & real
    count = hidden.sum(1, keepdim=True).clamp(min=1)
    return _finish(tokens, lengths, hidden.long(), hidden, (1.0 / count).expand(tokens.shape).float())


def masked_from_order(tokens, lengths, order, num_visible) -> Factorization:
    """MLM-U, paper eq. 5, for a given order and t-1 = ``num_visible``: the first t-1 tokens of the
    order are visible, the D-t+1 others hidden, each weighted D/(D-t+1) (divided by D per token)."""
    real = real_positions(lengths, tokens.shape[1])
    hidden = real & (order >= num_visible[:, None])
    count = hidden.sum(1, keepdim=True).clamp(min=1)
    return _finish(tokens, lengths, hidden.long(), hidden, (1.0 / count).expand(tokens.shape).float())


def masked_uniform_rate(tokens, lengths, generator=None, *, estimator: str = "eq5") -> Factorization:
    """MLM-U: a uniformly random masking rate per sequence (absorbing-state discrete diffusion).

    ``eq5`` (default): t ~ U{1..D}, exactly D-t+1 random tokens hidden, weight D/(D-t+1) (bounded).
    ``bernoulli``: r ~ U(0,1), each token hidden with probability r, weight 1/r (unbounded near 0).
    Both are unbiased for the same objective; weights are divided by D to be per token.
    """
    T = tokens.shape[1]
    real = real_positions(lengths, tokens.shape[1])
    D = real.sum(1)
    if estimator == "eq5":
        t = (torch.rand(D.shape, generator=generator, device=tokens.device) * D).long() + 1  # U{1..D}
        return masked_from_order(tokens, lengths, random_order(lengths, T, generator), t - 1)
    if estimator == "bernoulli":
        r = torch.rand(D.shape, generator=generator, device=tokens.device).clamp(min=1e-3)
        hidden = (torch.rand(tokens.shape, generator=generator, device=tokens.device) < r[:, None]) & real
        weights = (1.0 / (r * D.clamp(min=1)))[:, None].expand(tokens.shape).float()
        return _finish(tokens, lengths, hidden.long(), hidden, weights)
    raise ValueError(f"unknown MLM-U estimator {estimator!r}; use 'eq5' or 'bernoulli'")


def masked_uniform_rate_entity(tokens, lengths, generator=None, *, entities) -> Factorization:
    """MLM-U over whole entities (DiffER's whole-entity masking, He et al. 2026): eq. 5 with chunks
    for tokens, a chunk being a whole marked entity or one token outside entities
    (:func:`chunk_starts`). Of a sequence's C chunks, t ~ U{1..C}: the first t-1 of a uniformly
    random order of the chunks are visible, the other C-t+1 hidden with all their tokens, each hidden
    token weighted C/(C-t+1) / D (D real tokens). Without entity marks it is ``mlm-u`` (eq5), draw
    for draw. At test time answers are still generated one token at a time, so an answer entity's
    later tokens are predicted with its first ones visible, a state training never shows."""
    T = tokens.shape[1]
    real = real_positions(lengths, T)
    D = real.sum(1)
    starts = chunk_starts(entities, real)
    C = starts.sum(1)
    t = (torch.rand(C.shape, generator=generator, device=tokens.device) * C).long() + 1  # U{1..C}
    order = random_order(lengths, T, generator)
    keys = torch.where(starts, order, torch.full_like(order, T))  # rank the chunks by their first token's draw
    chunk_order = keys.argsort(dim=1).argsort(dim=1)
    positions = torch.arange(T, device=tokens.device).expand_as(tokens)
    first = torch.where(starts, positions, torch.zeros_like(positions)).cummax(dim=1).values  # each token's chunk
    hidden = real & (chunk_order.gather(1, first) >= (t - 1)[:, None])
    weights = (C / ((C - t + 1).clamp(min=1) * D.clamp(min=1)))[:, None].expand(tokens.shape).float()
    return _finish(tokens, lengths, hidden.long(), hidden, weights)


def permutation_from_order(tokens, lengths, order) -> Factorization:
    """PLM for a given order: every token predicted from the tokens before it in ``order``."""
    real = real_positions(lengths, tokens.shape[1])
    D = real.sum(1, keepdim=True).clamp(min=1)
    return _finish(tokens, lengths, order, real, (1.0 / D).expand(tokens.shape).float())


def permutation(tokens, lengths, generator=None) -> Factorization:
    """PLM: AR over a uniformly random permutation of all positions, every token predicted."""
    return permutation_from_order(tokens, lengths, random_order(lengths, tokens.shape[1], generator))


@dataclass(frozen=True)
class ObjectiveKind:
    factorize: Callable[..., Factorization]
    # "causal": rank == position (decoder-only can run it); "masked": ranks in {0, 1} (encoder-only
    # can run it); "any-order": only the encoder-decoder expresses it.
    structure: str
    # How answers are generated, left to right either way: "left-to-right" ranks known tokens by
    # position (as in training), "masked" makes all known tokens one visible set (rank 0);
    # "masked-whole" as "masked", but every answer token is predicted in one pass from the fully
    # masked answer (for objectives that mask whole entities: a half-known entity is never trained).
    decoding: str
    params: tuple[str, ...] = ()
    needs_entities: bool = False  # takes ``entities=`` (a task must mark its entities)
    # trains each text and a reverse of it: a batch of B texts is 2B sequences (a budget in epochs
    # counts sequences, so that every objective gets the same steps)
    doubles_batch: bool = False
    # trains on the token-level reverse of each text read left to right: the factorization-gap meter
    # scores its right-to-left order in that layout (:mod:`.factorization_gap`)
    reads_reverse: bool = False


OBJECTIVE_KINDS: dict[str, ObjectiveKind] = {
    "ar": ObjectiveKind(left_to_right, "causal", "left-to-right"),
    "ar-reverse": ObjectiveKind(left_to_right_with_reverse, "causal", "left-to-right", doubles_batch=True,
                                reads_reverse=True),
    "ar-reverse-entity": ObjectiveKind(left_to_right_with_entity_reverse, "causal", "left-to-right", ("delimiters",), True,
                                       doubles_batch=True),
    "ar-reverse-segment": ObjectiveKind(left_to_right_with_segment_reverse, "causal", "left-to-right",
                                        ("max_segment_length",), doubles_batch=True),
    "mlm": ObjectiveKind(masked_fixed_rate, "masked", "masked", ("rate",)),
    "mlm-uniform": ObjectiveKind(masked_uniform_rate, "masked", "masked", ("estimator",)),
    # trained with whole entities masked together, so its answer entity is predicted whole, all
    # tokens from the fully masked answer (the state training shows), not one token at a time
    "mlm-uniform-entity": ObjectiveKind(masked_uniform_rate_entity, "masked", "masked-whole", (), True),
    "plm": ObjectiveKind(permutation, "any-order", "left-to-right"),
}

ARCHITECTURE_SUPPORTS = {
    "decoder": {"causal"},
    "encoder": {"masked"},
    "encoder-decoder": {"causal", "masked", "any-order"},
}


@dataclass(frozen=True)
class Objective:
    """A configured objective: its id (as in paths and tables), its kind and parameters."""

    id: str
    kind: str
    params: dict

    @classmethod
    def from_config(cls, objective_id: str, entry: dict) -> "Objective":
        entry = dict(entry)
        kind = entry.pop("kind")
        entry.pop("architecture", None)
        entry.pop("model", None)  # model settings of the objective's runs (config.run_settings)
        if kind not in OBJECTIVE_KINDS:
            raise ValueError(f"objective {objective_id!r}: unknown kind {kind!r}; known: {', '.join(OBJECTIVE_KINDS)}")
        allowed = set(OBJECTIVE_KINDS[kind].params)
        extra = set(entry) - allowed
        if extra:
            raise ValueError(f"objective {objective_id!r}: parameter(s) {sorted(extra)} not used by kind {kind!r}")
        return cls(objective_id, kind, entry)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "params": dict(self.params)}

    @property
    def spec(self) -> ObjectiveKind:
        return OBJECTIVE_KINDS[self.kind]

    def __call__(self, tokens, lengths, generator=None, entities=None) -> Factorization:
        if self.spec.needs_entities:
            if entities is None:
                raise ValueError(f"objective {self.id!r} needs the entity annotations of the batch")
            return self.spec.factorize(tokens, lengths, generator, entities=entities, **self.params)
        return self.spec.factorize(tokens, lengths, generator, **self.params)

    def check_architecture(self, architecture: str) -> None:
        if self.spec.structure not in ARCHITECTURE_SUPPORTS[architecture]:
            runs_on = [a for a, s in ARCHITECTURE_SUPPORTS.items() if self.spec.structure in s]
            raise ValueError(
                f"objective {self.id!r} ({self.kind}) cannot run on the {architecture!r} architecture; "
                f"choose one of {runs_on}"
            )


def decoding_rank(known: torch.Tensor, decoding: str) -> torch.Tensor:
    """Ranks for generating the next answer token: ``known`` [B, T] marks BOS, prompt and answer
    tokens generated so far; every other position is unknown (ranked above all known ones)."""
    if decoding == "left-to-right":
        rank = torch.arange(known.shape[1], device=known.device).repeat(known.shape[0], 1)
    elif decoding in ("masked", "masked-whole"):
        rank = (~known).long()
    else:
        raise ValueError(f"unknown decoding {decoding!r}")
    rank[:, 0] = BOS_RANK
    return rank
