"""Several models of one configuration trained as one: a pack.

A tiny model's training step is a few hundred small operators, which on a GPU each wait for a kernel
launch. K models of the same shape (the seeds of one task and objective) can run each operator once
for all K: their weights are stacked along a leading *member* dimension, every linear layer becomes
one batched matrix product (``torch.baddbmm``) and every attention one call over the members'
batches together. (On a CPU, where the step is bound by its arithmetic, this gains nothing: 0.88-1.05x
measured by benchmarks/packing.py, so the tiny preset does not pack.) Each member keeps its own
parameters, optimiser, data order, masks and random streams (``training.train_models``), so a
member of a pack trains bit for bit as it would alone (tested in fp32, and under bf16 autocast on a
CPU that computes bf16): a batched product gives each member's slice exactly what ``F.linear`` gives
it alone, forward and backward, and so does attention over the flattened batch; layer norms,
embeddings and the output head, where that does not hold or the members' shapes differ, run member
by member. Members whose batches differ in width step in packs of their own width
(:func:`same_width_groups`).

:class:`PackedTransformer` is :class:`model.Transformer` itself (its forward code, unchanged) over
packed leaves: the blocks are shallow copies of the first member's whose ``nn.Linear``,
``nn.LayerNorm`` and ``nn.Embedding`` are replaced by the classes below. It owns no parameters.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .model import Transformer
from .objectives import Factorization


class PackedLinear(nn.Module):
    """K ``nn.Linear`` of one shape as one batched product over inputs [K, ..., in]."""

    def __init__(self, members: list[nn.Linear]):
        super().__init__()
        self.members = tuple(members)  # a tuple: not registered, the members own their parameters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        K = len(self.members)
        weight = torch.stack([m.weight for m in self.members]).transpose(1, 2)  # [K, in, out]
        flat = x.reshape(K, -1, x.shape[-1])
        if self.members[0].bias is None:
            y = torch.bmm(flat, weight)
        else:
            y = torch.baddbmm(torch.stack([m.bias for m in self.members]).unsqueeze(1), flat, weight)
        return y.view(*x.shape[:-1], y.shape[-1])


class PerMember(nn.Module):
    """K modules applied each to its own member's slice of [K, ...] (layer norms, embeddings: a
    batched layer norm with per-member scales does not round as the fused one does)."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = tuple(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(part) for m, part in zip(self.members, x)])


def pack_module(modules: list[nn.Module]) -> nn.Module:
    """One module over K modules of the same structure: the first one's object (shallow copy, so its
    attributes and forward code) with each child packed in turn."""
    first = modules[0]
    if isinstance(first, nn.Linear):
        return PackedLinear(modules)
    if isinstance(first, (nn.LayerNorm, nn.Embedding)):
        return PerMember(modules)
    if next(first.parameters(recurse=False), None) is not None:
        raise TypeError(f"cannot pack a {type(first).__name__}: it holds parameters of its own")
    shell = copy.copy(first)
    shell.__dict__["_modules"] = {name: pack_module([m._modules[name] for m in modules])
                                  for name, child in first._modules.items() if child is not None}
    shell.__dict__["_parameters"] = {}
    return shell


class PackedTransformer(Transformer):
    """K :class:`Transformer` of one configuration run together: tokens and ranks [K, B, T]."""

    def __init__(self, members: list[Transformer]):
        nn.Module.__init__(self)
        configs = {repr(m.cfg) for m in members}
        if len(configs) != 1:
            raise ValueError(f"a pack's models must share one configuration, got {sorted(configs)}")
        if members[0].cfg.dropout:
            raise ValueError("a pack needs dropout 0: K models would draw their dropout masks from one stream")
        self.cfg = members[0].cfg
        self.members = tuple(members)
        self.embed = PerMember([m.embed for m in members])
        self.blocks = nn.ModuleList(pack_module([m.blocks[i] for m in members]) for i in range(len(members[0].blocks)))
        if self.cfg.architecture == "encoder-decoder":
            self.query_blocks = nn.ModuleList(pack_module([m.query_blocks[i] for m in members])
                                              for i in range(len(members[0].query_blocks)))

    def query_stream_start(self, h: torch.Tensor) -> torch.Tensor:
        return torch.stack([m.query_embedding.expand_as(part) for m, part in zip(self.members, h)])

    def forward(self, tokens: torch.Tensor, rank: torch.Tensor, select: torch.Tensor | None = None):
        """Each member's logits, as :meth:`Transformer.forward` gives them: a list of [N_k, V] with a
        bool ``select`` [K, B, T] (members select different rows), else [K, B, T, V]."""
        h = self.hidden_states(tokens, rank)
        if select is None:
            return torch.stack([m.head(m.ln_f(part)) for m, part in zip(self.members, h)])
        return [m.head(m.ln_f(part[chosen])) for m, part, chosen in zip(self.members, h, select)]


def same_width_groups(facts: list[Factorization]) -> list[list[int]]:
    """Indices of the factorizations that share a width, in order of first appearance. Members of a
    pack run together only at one width: padding one member's batch would change how sums over its
    positions round (a bias's gradient, the query embedding's), and so its bits."""
    groups: dict[int, list[int]] = {}
    for i, fact in enumerate(facts):
        groups.setdefault(fact.tokens.shape[1], []).append(i)
    return list(groups.values())


def stack_factorizations(facts: list[Factorization]) -> Factorization:
    """Factorizations of one width as one [K, B, T] batch."""
    return Factorization(tokens=torch.stack([f.tokens for f in facts]), rank=torch.stack([f.rank for f in facts]),
                         weights=torch.stack([f.weights for f in facts]))
