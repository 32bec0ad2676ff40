"""Objectives published since the paper: MLM-U over whole entities (``mlm-u-entity``) and reverse
training by random-length segments (``ar-rev-segment``)."""
from collections import Counter
from pathlib import Path

import pytest
import torch
import yaml

from factorization_curse.config import ConfigError, check_config
from factorization_curse.objectives import Objective, chunk_starts, real_positions, reverse_tokens
from factorization_curse.vocabulary import BOS_ID, EOS_ID, PAD_ID

from .conftest import FIRST_CONTENT_ID, make_batch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
ENTITY = Objective.from_config("mlm-u-entity", CONFIG["objectives"]["mlm-u-entity"])
SEGMENT = Objective.from_config("ar-rev-segment", CONFIG["objectives"]["ar-rev-segment"])
MLM_U = Objective("mlm-u", "mlm-uniform", {"estimator": "eq5"})


def entity_batch(copies=1):
    """``a1 a2 => b1 b2 b3 => c1 c2`` and ``b1 b2 b3 <= a1 a2 =`` with their entities numbered, padded."""
    a1, a2, b1, b2, b3, c1, c2, fwd, bwd, eq = range(FIRST_CONTENT_ID, FIRST_CONTENT_ID + 10)
    tokens = torch.tensor([
        [BOS_ID, a1, a2, fwd, b1, b2, b3, fwd, c1, c2, EOS_ID],
        [BOS_ID, b1, b2, b3, bwd, a1, a2, eq, EOS_ID, PAD_ID, PAD_ID],
    ]).repeat(copies, 1)
    entities = torch.tensor([
        [0, 1, 1, 0, 2, 2, 2, 0, 3, 3, 0],
        [0, 1, 1, 1, 0, 2, 2, 0, 0, 0, 0],
    ]).repeat(copies, 1)
    return tokens, torch.tensor([11, 9]).repeat(copies), entities


def spans(entities_row):
    """The positions of each entity of one sequence."""
    found = {}
    for position, number in enumerate(entities_row.tolist()):
        if number:
            found.setdefault(number, []).append(position)
    return list(found.values())


def test_every_token_of_an_entity_shares_its_mask_state():
    tokens, lengths, entities = entity_batch(copies=500)
    f = ENTITY(tokens, lengths, torch.Generator().manual_seed(0), entities=entities)
    hidden = f.targets
    assert torch.equal(hidden, f.rank == 1) and not (hidden & ~real_positions(lengths, tokens.shape[1])).any()
    states = Counter()
    for b in range(len(lengths)):
        for positions in spans(entities[b]):
            state = hidden[b, positions]
            assert state.all() or not state.any(), (b, positions, state)  # whole entities, hidden or visible
            states[bool(state[0])] += 1
    assert states[True] > 100 and states[False] > 100
    # tokens outside entities are chunks of their own: two of them differ in some draws
    assert (hidden[0::2, 3] != hidden[0::2, 7]).any()
    # a hidden token's context is BOS and the visible tokens, never another hidden one
    context = f.context_mask()
    visible = real_positions(lengths, tokens.shape[1]) & ~hidden
    for b, i in hidden[:20].nonzero().tolist():
        assert context[b, i].nonzero().flatten().tolist() == [0] + visible[b].nonzero().flatten().tolist()


def test_entity_mlm_u_hides_a_uniform_number_of_chunks_weighted_as_eq5():
    tokens, lengths, entities = entity_batch(copies=3000)
    f = ENTITY(tokens, lengths, torch.Generator().manual_seed(1), entities=entities)
    real = real_positions(lengths, tokens.shape[1])
    starts = chunk_starts(entities, real)
    chunks = starts.sum(1)
    assert chunks[0::2].eq(6).all() and chunks[1::2].eq(5).all()  # A => B => C <eos>; B <= A = <eos>
    hidden_chunks = (f.targets & starts).sum(1)
    for first, C in ((0, 6), (1, 5)):  # C - t + 1 hidden chunks with t ~ U{1..C}: each of 1..C equally often
        counts = torch.bincount(hidden_chunks[first::2], minlength=C + 1)
        assert counts[0] == 0 and len(counts) == C + 1 and (counts[1:] > 0.8 * 3000 / C).all(), counts
    D = real.sum(1)
    expected = chunks / (hidden_chunks * D)  # C/(C-t+1) per hidden token, divided by D
    for b in range(0, len(lengths), 97):
        assert torch.allclose(f.weights[b, f.targets[b]], expected[b].float().expand(int(f.targets[b].sum())))
        assert (f.weights[b, ~f.targets[b]] == 0).all()


def test_without_entity_marks_it_is_mlm_u_draw_for_draw():
    tokens, lengths = make_batch([9, 7, 5, 9, 12], seed=3)
    for seed in range(5):
        plain = MLM_U(tokens, lengths, torch.Generator().manual_seed(seed))
        entity = ENTITY(tokens, lengths, torch.Generator().manual_seed(seed), entities=torch.zeros_like(tokens))
        assert torch.equal(plain.rank, entity.rank) and torch.equal(plain.tokens, entity.tokens)
        assert torch.allclose(plain.weights, entity.weights)


def test_entity_mlm_u_needs_the_entity_marks():
    tokens, lengths, _ = entity_batch()
    with pytest.raises(ValueError, match="needs the entity annotations"):
        ENTITY(tokens, lengths)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["objectives_by_task"]["stargraph"] = ["ar", "mlm-u-entity", "ar-rev-segment"]
    with pytest.raises(ConfigError, match=r"\['mlm-u-entity'\] work entity by entity.*'stargraph' marks no entities"):
        check_config(config)


def distinct_batch(lengths):
    """Sequences whose text tokens are all different, so that a token tells its position."""
    T = max(lengths)
    tokens = torch.full((len(lengths), T), PAD_ID)
    for b, n in enumerate(lengths):
        tokens[b, 0], tokens[b, n - 1] = BOS_ID, EOS_ID
        tokens[b, 1 : n - 1] = torch.arange(FIRST_CONTENT_ID, FIRST_CONTENT_ID + n - 2)
    return tokens, torch.tensor(lengths)


def segments_of(original, reversed_text):
    """``reversed_text`` cut into maximal runs of tokens that follow each other in ``original``."""
    where = {t: i for i, t in enumerate(original)}
    runs = [[reversed_text[0]]]
    for token in reversed_text[1:]:
        if where[token] == where[runs[-1][-1]] + 1:
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


def test_segment_reverse_is_the_text_cut_into_segments_in_reverse_order():
    tokens, lengths = distinct_batch([14, 9, 20, 3, 14] * 40)
    f = SEGMENT(tokens, lengths, torch.Generator().manual_seed(0))
    B = len(lengths)
    assert torch.equal(f.tokens[:B], tokens) and torch.equal(f.targets[B:], f.targets[:B])
    sizes = Counter()
    for b, n in enumerate(lengths.tolist()):
        row = f.tokens[B + b]
        assert row[0] == BOS_ID and row[n - 1] == EOS_ID and (row[n:] == PAD_ID).all()
        original, reversed_text = tokens[b, 1 : n - 1].tolist(), row[1 : n - 1].tolist()
        assert sorted(reversed_text) == sorted(original)  # a permutation of the text
        runs = segments_of(original, reversed_text)
        assert [t for run in reversed(runs) for t in run] == original  # contiguous segments, in reverse order
        assert all(len(run) <= CONFIG["objectives"]["ar-rev-segment"]["max_segment_length"] for run in runs)
        sizes.update(len(run) for run in runs[1:])  # the first run is the last segment, cut at the end
    assert set(sizes) == {1, 2, 3, 4}  # every length of 1..max_segment_length occurs
    # AR on both halves: every real token predicted from the tokens before it
    real = real_positions(lengths, tokens.shape[1])
    positions = torch.arange(tokens.shape[1]).expand_as(tokens)
    assert torch.equal(f.targets[B:], real) and torch.equal(f.rank[B:][real], positions[real])


def test_segment_reverse_is_deterministic_given_the_generator():
    tokens, lengths = distinct_batch([16] * 8)
    first = SEGMENT(tokens, lengths, torch.Generator().manual_seed(5)).tokens
    assert torch.equal(first, SEGMENT(tokens, lengths, torch.Generator().manual_seed(5)).tokens)
    assert not torch.equal(first, SEGMENT(tokens, lengths, torch.Generator().manual_seed(6)).tokens)


def test_one_token_segments_are_the_token_level_reverse():
    tokens, lengths = make_batch([9, 7, 5, 9], seed=2)
    one = Objective("ar-rev-segment-1", "ar-reverse-segment", {"max_segment_length": 1})
    f = one(tokens, lengths, torch.Generator().manual_seed(0))
    assert torch.equal(f.tokens[len(lengths):], reverse_tokens(tokens, lengths))
    with pytest.raises(ValueError, match="max_segment_length must be at least 1"):
        Objective("x", "ar-reverse-segment", {"max_segment_length": 0})(tokens, lengths)


def test_the_new_objectives_run_on_their_architectures():
    for objective_id in ("mlm-u-entity", "ar-rev-segment"):
        entry = CONFIG["objectives"][objective_id]
        Objective.from_config(objective_id, entry).check_architecture(entry["architecture"])
    SEGMENT.check_architecture("decoder")
    with pytest.raises(ValueError, match="cannot run on the 'decoder'"):
        ENTITY.check_architecture("decoder")


def test_entity_mlm_u_answers_its_entity_whole_as_it_trained():
    """Trained with every entity masked all together or not at all, mlm-u-entity never sees a
    half-known entity, so it answers in one pass from the fully masked answer: one forward, and
    every answer token is that pass's pick at its position (the layout and ranks are MLM-U's)."""
    from factorization_curse.evaluation import generate, greedy_pick, question_layout
    from factorization_curse.model import ModelConfig, Transformer
    from factorization_curse.objectives import decoding_rank

    assert ENTITY.spec.decoding == "masked-whole" and MLM_U.spec.decoding == "masked"
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=FIRST_CONTENT_ID + 20, architecture="encoder-decoder", n_layer=1,
                                    n_head=2, d_model=16)).eval()
    calls = []
    model.register_forward_hook(lambda module, args, out: calls.append(args[0].clone()))
    prompts = torch.tensor([[BOS_ID, FIRST_CONTENT_ID + 1, FIRST_CONTENT_ID + 2],
                            [BOS_ID, FIRST_CONTENT_ID + 3, FIRST_CONTENT_ID + 4]])
    answer = generate(model, prompts, 3, ENTITY.spec.decoding)
    assert len(calls) == 1
    tokens, known = question_layout(prompts, 3)
    assert torch.equal(calls[0], tokens)  # <bos> prompt <mask> <mask> <mask> <eos>
    with torch.no_grad():
        logits = model(tokens, decoding_rank(known, "masked"))
    assert torch.equal(answer, greedy_pick(logits[:, 3:6].reshape(6, -1)).view(2, 3))
    calls.clear()
    generate(model, prompts, 3, MLM_U.spec.decoding)
    assert len(calls) == 3  # token by token, each pass re-reading the answer so far
