"""The factorization-gap meter (factorization_gap.py) and its table (analysis/factorization_gap.py):
orders built by hand, NLLs checked on a model whose likelihood is known and against a one-token-at-a-
time computation, each objective read in its own layout, the table's intervals on hand-made rows."""

import math

import pandas as pd
import pytest
import torch

from factorization_curse.analysis.factorization_gap import GAP_COLUMNS, gap_markdown, gap_table
from factorization_curse.factorization_gap import order_names, order_nll, sequence_nll, text_order
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import BOS_RANK, Objective, reverse_tokens, text_span
from factorization_curse.vocabulary import BOS_ID, EOS_ID, PAD_ID

V = 24
FIRST = 8  # ordinary token ids start above the special ones


def model_for(architecture, seed=0):
    torch.manual_seed(seed)
    return Transformer(ModelConfig(vocab_size=V, architecture=architecture, n_layer=2, n_head=2, d_model=16)).eval()


def sequences(B=4, D=5, seed=0):
    """Random texts of 3..D tokens between BOS and EOS, right-padded; entity marks on two spans."""
    g = torch.Generator().manual_seed(seed)
    text_lengths = torch.randint(3, D + 1, (B,), generator=g)
    T = D + 2
    tokens = torch.full((B, T), PAD_ID)
    entities = torch.zeros((B, T), dtype=torch.long)
    for b, n in enumerate(text_lengths.tolist()):
        tokens[b, 0] = BOS_ID
        tokens[b, 1 : 1 + n] = torch.randint(FIRST, V, (n,), generator=g)
        tokens[b, 1 + n] = EOS_ID
        entities[b, 1:3] = 1  # the first two text tokens form one entity
    return tokens, text_lengths + 2, entities


def test_orders_by_hand():
    """<bos> a1 a2 => b1 <eos>, entity a = a1 a2, entity b = b1: every order of the four text tokens."""
    tokens = torch.tensor([[BOS_ID, 10, 11, 12, 13, EOS_ID, PAD_ID]])
    lengths = torch.tensor([6])
    entities = torch.tensor([[0, 1, 1, 0, 2, 0, 0]])
    text = slice(1, 5)
    assert text_order("left-to-right", tokens, lengths, entities)[0, text].tolist() == [0, 1, 2, 3]
    assert text_order("right-to-left", tokens, lengths, entities)[0, text].tolist() == [3, 2, 1, 0]
    # chunks in reverse (b1, then =>, then a1 a2), each entity left to right
    assert text_order("entity-reversed", tokens, lengths, entities)[0, text].tolist() == [2, 3, 1, 0]
    g = torch.Generator().manual_seed(0)
    drawn = [text_order("random-1", tokens, lengths, entities, g)[0] for _ in range(20)]
    assert all(sorted(o[text].tolist()) == [0, 1, 2, 3] and (o[[0, 5, 6]] >= 4).all() for o in drawn)
    assert len({tuple(o[text].tolist()) for o in drawn}) > 5  # they differ from draw to draw
    with pytest.raises(ValueError, match="unknown order"):
        text_order("sideways", tokens, lengths, entities)
    assert order_names(2) == ["left-to-right", "right-to-left", "entity-reversed", "random-1", "random-2"]


@pytest.mark.parametrize("architecture,decoding", [("encoder-decoder", "left-to-right"), ("encoder-decoder", "masked"),
                                                   ("encoder", "masked"), ("decoder", "left-to-right")])
def test_a_model_that_knows_nothing_costs_log_v_per_token_in_every_order(architecture, decoding):
    """Zero output weights: every token of the vocabulary equally likely, log V nats each."""
    model = model_for(architecture)
    with torch.no_grad():
        model.head.weight.zero_()
    tokens, lengths, entities = sequences()
    names = ["left-to-right"] if architecture == "decoder" else ["left-to-right", "right-to-left", "entity-reversed",
                                                                 "random-1"]
    for name in names:
        order = text_order(name, tokens, lengths, entities, torch.Generator().manual_seed(1))
        assert torch.allclose(sequence_nll(model, tokens, lengths, order, decoding), torch.full((4,), math.log(V)))


def one_token_at_a_time(model, tokens, lengths, order, decoding):
    """The chain rule along ``order`` written out: one forward pass per place, the token at that
    place the only one scored, its context built by hand."""
    _, _, _, inside = text_span(tokens, lengths)
    total = torch.zeros(tokens.shape[0])
    for b in range(tokens.shape[0]):
        D = int(inside[b].sum())
        for place in range(D):
            position = int((inside[b] & (order[b] == place)).nonzero())
            if decoding == "left-to-right":
                rank = torch.where(inside[b], order[b], torch.full_like(order[b], 99))
            else:
                rank = torch.where(inside[b] & (order[b] < place), 0, 1)
                rank[tokens[b] == PAD_ID] = tokens.shape[1]
            rank[0] = BOS_RANK
            select = torch.zeros_like(inside[b:b + 1])
            select[0, position] = True
            logp = torch.log_softmax(model(tokens[b:b + 1], rank[None], select).float(), -1)
            total[b] -= logp[0, tokens[b, position]]
        total[b] /= D
    return total


@pytest.mark.parametrize("architecture,decoding", [("encoder-decoder", "left-to-right"), ("encoder-decoder", "masked"),
                                                   ("encoder", "masked")])
def test_the_batched_chain_rule_equals_one_token_at_a_time(architecture, decoding):
    model = model_for(architecture, seed=3)
    tokens, lengths, entities = sequences(seed=2)
    for name in ["left-to-right", "right-to-left", "entity-reversed", "random-1"]:
        order = text_order(name, tokens, lengths, entities, torch.Generator().manual_seed(5))
        batched = sequence_nll(model, tokens, lengths, order, decoding)
        assert torch.allclose(batched, one_token_at_a_time(model, tokens, lengths, order, decoding), atol=1e-5), name
    # a random model is not order-blind: the orders' NLLs differ
    l2r, r2l = (sequence_nll(model, tokens, lengths, text_order(n, tokens, lengths, entities), decoding)
                for n in ("left-to-right", "right-to-left"))
    assert not torch.allclose(l2r, r2l)


def test_each_objective_is_read_in_its_own_layout():
    """AR w/reverse scores right to left as the reversed text read left to right (how it trained);
    plain AR on the same model reads right to left as ranks; a decoder refuses other orders."""
    model = model_for("encoder-decoder", seed=4)
    tokens, lengths, entities = sequences(seed=4)
    ar_rev = Objective.from_config("ar-rev-ed", {"kind": "ar-reverse"})
    ar = Objective.from_config("ar-ed", {"kind": "ar"})
    reversed_text = reverse_tokens(tokens, lengths)
    as_trained = sequence_nll(model, reversed_text, lengths, text_order("left-to-right", reversed_text, lengths, entities),
                              "left-to-right")
    assert torch.equal(order_nll(model, ar_rev, tokens, lengths, entities, "right-to-left"), as_trained)
    as_ranks = order_nll(model, ar, tokens, lengths, entities, "right-to-left")
    assert not torch.allclose(as_ranks, as_trained)
    # every other order is the same computation for both
    for name in ("left-to-right", "entity-reversed"):
        assert torch.equal(order_nll(model, ar_rev, tokens, lengths, entities, name),
                           order_nll(model, ar, tokens, lengths, entities, name))
    decoder = model_for("decoder")
    order_nll(decoder, ar, tokens, lengths, entities, "left-to-right")
    order_nll(decoder, ar_rev, tokens, lengths, entities, "right-to-left")  # the reverse, read left to right
    with pytest.raises(ValueError, match="scores left-to-right only"):
        order_nll(decoder, ar, tokens, lengths, entities, "right-to-left")


def rows(objective, values: dict[str, float], facts=20, seeds=(0, 1)):
    return pd.DataFrame([{"task": "retrieval", "dataset": "retrieval", "objective": objective, "seed": s, "fact": f,
                          "statement": f, "order": order, "tokens": 5, "nll": value + 0.02 * f}
                         for s in seeds for f in range(facts) for order, value in values.items()])


def test_gap_table_on_hand_made_rows():
    """Per-statement NLLs that differ by a constant between orders: the gap is that constant with a
    zero-width interval; the random orders count as one (their mean); columns as documented."""
    table = gap_table(pd.concat([
        rows("ar-ed", {"left-to-right": 1.0, "right-to-left": 3.0, "entity-reversed": 2.5, "random-1": 2.0, "random-2": 3.0}),
        rows("mlm-u", {"left-to-right": 1.2, "right-to-left": 1.2, "entity-reversed": 1.2, "random-1": 1.1, "random-2": 1.3}),
    ]), ["mlm-u", "ar-ed"])
    assert list(table.columns) == GAP_COLUMNS
    assert table.objective.tolist() == ["mlm-u"] * 4 + ["ar-ed"] * 4
    cell = table.set_index(["objective", "order"])
    assert cell.loc[("ar-ed", "right-to-left"), ["gap", "gap_low", "gap_high"]].tolist() == pytest.approx([2.0] * 3)
    assert cell.loc[("ar-ed", "random"), "gap"] == pytest.approx(1.5)
    assert cell.loc[("mlm-u", "random"), ["gap", "gap_low", "gap_high"]].tolist() == pytest.approx([0.0] * 3, abs=1e-9)
    ltr = cell.loc[("ar-ed", "left-to-right")]
    assert ltr.nll == pytest.approx(1.0 + 0.02 * 9.5) and ltr.nll_low < ltr.nll < ltr.nll_high  # facts differ: a width
    assert (ltr.statements, ltr.facts, ltr.seeds) == (20, 20, 2)
    text = gap_markdown(table)
    assert "| ar-ed | 1.19 | 3.19 (+2.00 [+2.00, +2.00])" in text

