
import pytest
import torch

from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import (
    OBJECTIVE_KINDS, Objective, masked_from_order, permutation_from_order, real_positions, reverse_entities,
    reverse_tokens,
)
from factorization_curse.vocabulary import BOS_ID, ENTITY_CLOSE_ID, ENTITY_OPEN_ID, EOS_ID, PAD_ID

from .conftest import FIRST_CONTENT_ID, make_batch

OBJECTIVES = {
    "ar": Objective("ar", "ar", {}),
    "ar-rev": Objective("ar-rev", "ar-reverse", {}),
    "mlm-15": Objective("mlm-15", "mlm", {"rate": 0.15}),
    "mlm-85": Objective("mlm-85", "mlm", {"rate": 0.85}),
    "mlm-u": Objective("mlm-u", "mlm-uniform", {"estimator": "eq5"}),
    "mlm-u-bernoulli": Objective("mlm-u-bernoulli", "mlm-uniform", {"estimator": "bernoulli"}),
    "plm": Objective("plm", "plm", {}),
}


def test_ar_is_causal(batch):
    tokens, lengths = batch
    f = OBJECTIVES["ar"](tokens, lengths)
    context = f.context_mask()
    real = real_positions(lengths, tokens.shape[1])
    T = tokens.shape[1]
    for b in range(len(lengths)):
        for i in range(1, T):
            if real[b, i]:
                assert context[b, i].nonzero().flatten().tolist() == list(range(i))  # BOS and all before
    assert torch.equal(f.targets, real)


def test_ar_reverse_doubles_batch_with_token_reversal(batch):
    tokens, lengths = batch
    f = OBJECTIVES["ar-rev"](tokens, lengths)
    assert f.tokens.shape[0] == 2 * tokens.shape[0]
    assert torch.equal(f.tokens[: len(lengths)], tokens)
    for b, n in enumerate(lengths.tolist()):
        rev = f.tokens[len(lengths) + b]
        assert rev[0] == BOS_ID and rev[n - 1] == EOS_ID
        assert rev[1 : n - 1].tolist() == tokens[b, 1 : n - 1].flip(0).tolist()
        assert (rev[n:] == PAD_ID).all()


def test_reverse_without_eos():
    tokens = torch.tensor([[BOS_ID, 5, 6, 7, PAD_ID]])
    assert reverse_tokens(tokens, torch.tensor([4])).tolist() == [[BOS_ID, 7, 6, 5, PAD_ID]]


def _entity_batch():
    """``a1 a2 => b1 => c1 c2`` and ``b1 <= a1 a2`` (entities numbered per sequence), padded."""
    a1, a2, b1, c1, c2, fwd, bwd = range(10, 17)
    tokens = torch.tensor([
        [BOS_ID, a1, a2, fwd, b1, fwd, c1, c2, EOS_ID],
        [BOS_ID, b1, bwd, a1, a2, EOS_ID, PAD_ID, PAD_ID, PAD_ID],
    ])
    entities = torch.tensor([[0, 1, 1, 0, 2, 0, 3, 3, 0], [0, 1, 0, 2, 2, 0, 0, 0, 0]])
    return tokens, torch.tensor([9, 6]), entities, (a1, a2, b1, c1, c2, fwd, bwd)


def test_entity_reversal_keeps_each_entity_in_order():
    tokens, lengths, entities, (a1, a2, b1, c1, c2, fwd, bwd) = _entity_batch()
    plain, plain_lengths = reverse_entities(tokens, lengths, entities, delimiters=False)
    assert plain_lengths.tolist() == [9, 6]
    assert plain[0].tolist() == [BOS_ID, c1, c2, fwd, b1, fwd, a1, a2, EOS_ID]
    assert plain[1].tolist()[:6] == [BOS_ID, a1, a2, bwd, b1, EOS_ID]
    O, C = ENTITY_OPEN_ID, ENTITY_CLOSE_ID
    wrapped, wrapped_lengths = reverse_entities(tokens, lengths, entities, delimiters=True)
    assert wrapped_lengths.tolist() == [15, 10]
    assert wrapped[0].tolist() == [BOS_ID, O, c1, c2, C, fwd, O, b1, C, fwd, O, a1, a2, C, EOS_ID]
    assert wrapped[1].tolist() == [BOS_ID, O, a1, a2, C, bwd, O, b1, C, EOS_ID] + [PAD_ID] * 5


def test_entity_reversal_of_unmarked_text_is_token_reversal(batch):
    tokens, lengths = batch
    for delimiters in (False, True):
        reversed_tokens, new_lengths = reverse_entities(tokens, lengths, torch.zeros_like(tokens), delimiters)
        assert torch.equal(reversed_tokens, reverse_tokens(tokens, lengths)) and torch.equal(new_lengths, lengths)


@pytest.mark.parametrize("delimiters", [True, False])
def test_ar_rev_ent_trains_on_text_and_its_entity_reverse(delimiters):
    tokens, lengths, entities, _ = _entity_batch()
    objective = Objective("ar-rev-ent", "ar-reverse-entity", {"delimiters": delimiters})
    f = objective(tokens, lengths, entities=entities)
    assert f.tokens.shape[0] == 4
    assert torch.equal(f.tokens[:2, : tokens.shape[1]], tokens)  # the text itself, never delimited
    assert not ((f.tokens[:2] == ENTITY_OPEN_ID) | (f.tokens[:2] == ENTITY_CLOSE_ID)).any()
    has_delimiters = bool((f.tokens[2:] == ENTITY_OPEN_ID).any())
    assert has_delimiters == delimiters
    assert torch.equal(f.tokens[2:], reverse_entities(tokens, lengths, entities, delimiters)[0])
    with pytest.raises(ValueError, match="needs the entity annotations"):
        objective(tokens, lengths)


@pytest.mark.parametrize("name", ["mlm-15", "mlm-85", "mlm-u", "mlm-u-bernoulli"])
def test_masked_objectives_hide_exactly_their_targets(batch, name):
    tokens, lengths = batch
    f = OBJECTIVES[name](tokens, lengths, torch.Generator().manual_seed(1))
    real = real_positions(lengths, tokens.shape[1])
    hidden = real & (f.rank == 1)
    assert torch.equal(f.targets, hidden)
    context = f.context_mask()
    # a hidden token's context is exactly BOS plus the visible tokens; visible tokens are not predicted
    visible = real & (f.rank == 0)
    for b in range(len(lengths)):
        for i in hidden[b].nonzero().flatten().tolist():
            expected = [0] + visible[b].nonzero().flatten().tolist()
            assert context[b, i].nonzero().flatten().tolist() == expected


def test_mlm_u_rates_cover_unit_interval():
    tokens, lengths = make_batch([12] * 4000, seed=3)
    g = torch.Generator().manual_seed(0)
    for name in ("mlm-u", "mlm-u-bernoulli"):
        f = OBJECTIVES[name](tokens, lengths, g)
        rate = f.targets.sum(1).float() / real_positions(lengths, tokens.shape[1]).sum(1)
        # eq. 5 hides k ~ U{1..D} of D tokens: rates from 1/D to 1, each about equally often
        assert rate.min() <= 0.1 and rate.max() == 1.0
        counts = torch.histc(rate, bins=5, min=0, max=1)
        assert (counts > 0.1 * len(rate)).all(), counts
    # fixed rate MLM stays near its rate
    f = OBJECTIVES["mlm-15"](tokens, lengths, g)
    assert abs(f.targets.float().sum() / real_positions(lengths, tokens.shape[1]).sum() - 0.15) < 0.01


def test_eq5_weights_are_d_over_hidden():
    tokens, lengths = make_batch([8] * 500, seed=4)
    f = OBJECTIVES["mlm-u"](tokens, lengths, torch.Generator().manual_seed(0))
    hidden = f.targets.sum(1)
    # per token weight D/(D-t+1) / D = 1/hidden; each sequence's weights sum to one
    assert torch.allclose(f.weights.sum(1), torch.ones(500))
    assert torch.allclose(f.weights.max(1).values, 1.0 / hidden.float())


def test_plm_masks_follow_the_permutation(batch):
    tokens, lengths = batch
    f = OBJECTIVES["plm"](tokens, lengths, torch.Generator().manual_seed(2))
    real = real_positions(lengths, tokens.shape[1])
    context = f.context_mask()
    for b, n in enumerate(lengths.tolist()):
        order = f.rank[b, 1:n]
        assert sorted(order.tolist()) == list(range(n - 1))  # a permutation of the real tokens
        for i in range(1, n):
            expected = [0] + [j for j in range(1, n) if f.rank[b, j] < f.rank[b, i]]
            assert context[b, i].nonzero().flatten().tolist() == expected
    assert torch.equal(f.targets, real)


ARCH_OBJECTIVES = [
    ("decoder", "ar"), ("decoder", "ar-rev"),
    ("encoder", "mlm-15"), ("encoder", "mlm-85"), ("encoder", "mlm-u"),
    ("encoder-decoder", "ar"), ("encoder-decoder", "ar-rev"), ("encoder-decoder", "mlm-15"),
    ("encoder-decoder", "mlm-u"), ("encoder-decoder", "mlm-u-bernoulli"), ("encoder-decoder", "plm"),
]


@pytest.mark.parametrize("architecture,name", ARCH_OBJECTIVES)
def test_no_target_sees_itself_nor_later_tokens(architecture, name):
    """Changing a predicted token (or anything not in its context) leaves its logits unchanged,
    and changing a context token changes them: the model obeys the objective's rule."""
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=20, architecture=architecture, n_layer=2, n_head=2, d_model=16)).eval()
    tokens, lengths = make_batch([9, 7, 9], seed=5)
    f = OBJECTIVES[name](tokens, lengths, torch.Generator().manual_seed(7))
    logits = model(f.tokens, f.rank)
    context = f.context_mask()
    changed_context = 0
    for b, i in f.targets.nonzero().tolist():
        for j in range(1, int(f.tokens[b].ne(PAD_ID).sum())):
            edited = f.tokens.clone()
            edited[b, j] = FIRST_CONTENT_ID + (edited[b, j] - FIRST_CONTENT_ID + 1) % (20 - FIRST_CONTENT_ID)  # another content token
            new = model(edited, f.rank)[b, i]
            if context[b, i, j]:
                changed_context += int(not torch.allclose(new, logits[b, i], atol=1e-6))
            else:
                assert torch.allclose(new, logits[b, i], atol=1e-5), (b, i, j)
    assert changed_context > 0


def test_architecture_compatibility_is_checked():
    with pytest.raises(ValueError, match="cannot run on the 'decoder'"):
        OBJECTIVES["mlm-u"].check_architecture("decoder")
    with pytest.raises(ValueError, match="cannot run on the 'encoder'"):
        OBJECTIVES["plm"].check_architecture("encoder")
    for name in OBJECTIVES:  # the encoder-decoder runs every objective (paper footnote 2)
        OBJECTIVES[name].check_architecture("encoder-decoder")


def test_every_kind_is_registered_with_a_decoding():
    for kind in OBJECTIVE_KINDS.values():
        assert kind.decoding in ("left-to-right", "masked", "masked-whole")
        assert kind.structure in ("causal", "masked", "any-order")


def _expected_loss(model, tokens, lengths, factorizations):
    """Exact expectation of the weighted NLL over equally likely factorizations."""
    total = 0.0
    for f in factorizations:
        logp = torch.log_softmax(model(f.tokens, f.rank).double(), -1)
        nll = -logp.gather(-1, f.tokens[..., None]).squeeze(-1)
        total = total + (nll * f.weights).sum() / f.tokens.shape[0]
    return total / len(factorizations)


def test_plm_and_mlm_u_optimise_the_same_bound_for_d2():
    """Paper Appendix B: for D=2 both objectives equal 1/2(log p(x1)+log p(x2)) + 1/2(log p(x1|x2)+log p(x2|x1))."""
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=12, architecture="encoder-decoder", n_layer=2, n_head=2, d_model=16)).eval()
    tokens = torch.tensor([[BOS_ID, 5, 9], [BOS_ID, 7, 4]])
    lengths = torch.tensor([3, 3])
    orders = [torch.tensor([[9, 0, 1]] * 2), torch.tensor([[9, 1, 0]] * 2)]  # the two permutations of D=2
    plm = [permutation_from_order(tokens, lengths, o) for o in orders]
    mlm_u = [masked_from_order(tokens, lengths, o, torch.tensor([t - 1] * 2)) for o in orders for t in (1, 2)]
    with torch.no_grad():
        plm_loss = _expected_loss(model, tokens, lengths, plm)
        mlm_u_loss = _expected_loss(model, tokens, lengths, mlm_u)
        # the bound itself, from the model's marginals and conditionals
        logits_marginal = model(tokens, torch.tensor([[-1, 1, 1]] * 2)).double().log_softmax(-1)
        logits_given_2 = model(tokens, torch.tensor([[-1, 1, 0]] * 2)).double().log_softmax(-1)
        logits_given_1 = model(tokens, torch.tensor([[-1, 0, 1]] * 2)).double().log_softmax(-1)
        pick = lambda lp, i: -lp[torch.arange(2), i, tokens[:, i]]
        bound = 0.5 * 0.5 * (pick(logits_marginal, 1) + pick(logits_marginal, 2)) + 0.5 * 0.5 * (
            pick(logits_given_2, 1) + pick(logits_given_1, 2))
    assert torch.allclose(plm_loss, mlm_u_loss, atol=1e-9)
    assert torch.allclose(plm_loss, bound.mean(), atol=1e-9)


@pytest.mark.parametrize("bos_position", ["sink", "ordinary"])
def test_encoder_decoder_is_translation_invariant_only_with_a_position_free_bos(bos_position):
    """With relative positions and a position-free BOS, moving the context one slot to the right
    (behind a hidden token nobody attends to) leaves the prediction unchanged; an ordinary BOS at
    position 0 is an absolute anchor, so the prediction changes."""
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=20, architecture="encoder-decoder", n_layer=2, n_head=2, d_model=16,
                                    bos_position=bos_position)).eval()
    a = model(torch.tensor([[BOS_ID, 7, 8, 9]]), torch.tensor([[-1, 0, 0, 1]]))[0, 3]
    b = model(torch.tensor([[BOS_ID, 5, 7, 8, 9]]), torch.tensor([[-1, 1, 0, 0, 1]]))[0, 4]
    assert torch.allclose(a, b, atol=1e-5) == (bos_position == "sink")


@pytest.mark.parametrize("kind", sorted(OBJECTIVE_KINDS))
def test_doubles_batch_says_what_the_objective_builds(kind):
    """An epoch budget counts sequences by ``doubles_batch``: it must match the rows the objective
    really trains on, for every kind."""
    spec = OBJECTIVE_KINDS[kind]
    params = {"rate": 0.15} if kind == "mlm" else {"max_segment_length": 2} if kind == "ar-reverse-segment" else {}
    objective = Objective(kind, kind, params)
    tokens = torch.tensor([[BOS_ID, 5, 6, 7, 8, EOS_ID], [BOS_ID, 9, 10, 11, 12, EOS_ID]])
    lengths = torch.tensor([6, 6])
    entities = torch.tensor([[0, 1, 1, 0, 2, 0], [0, 1, 1, 0, 2, 0]])
    built = objective(tokens, lengths, torch.Generator().manual_seed(0), entities)
    assert built.tokens.shape[0] == (4 if spec.doubles_batch else 2)
