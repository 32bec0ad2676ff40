"""The teacher-forced answer NLL (metrics.METRICS["answer_nll"]): checked on models whose
likelihoods are known, against the decoder's own cached decoding, and against greedy generation."""

import math

import pandas as pd
import pytest
import torch

from factorization_curse.analysis.tables import interval_table
from factorization_curse.evaluation import NEVER_GENERATED, answer_nll, generate, predict
from factorization_curse.data import encode_examples, load_split, load_tokenizer, make_dataset
from factorization_curse.model import KeyValueCache, ModelConfig, Transformer

SETUPS = [("decoder", "left-to-right"), ("encoder", "masked"), ("encoder-decoder", "left-to-right"),
          ("encoder-decoder", "masked"), ("encoder-decoder", "masked-whole")]
V = 24


def model_for(architecture, seed=0):
    torch.manual_seed(seed)
    return Transformer(ModelConfig(vocab_size=V, architecture=architecture, n_layer=2, n_head=2, d_model=16)).eval()


def questions(B=5, P=4, A=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    prompts = torch.randint(len(NEVER_GENERATED), V, (B, P), generator=g)
    prompts[:, 0] = 1  # BOS
    return prompts, torch.randint(len(NEVER_GENERATED), V, (B, A), generator=g)


@pytest.mark.parametrize("architecture,decoding", SETUPS)
def test_a_model_that_knows_nothing_scores_the_log_of_the_answerable_tokens(architecture, decoding):
    """Zero output weights: every answerable token equally likely, so each answer token costs
    log(V - special tokens) nats, whatever the prompt, in every architecture and decoding."""
    model = model_for(architecture)
    with torch.no_grad():
        model.head.weight.zero_()
    prompts, answers = questions()
    nll = answer_nll(model, prompts, answers, decoding)
    assert nll.shape == answers.shape
    torch.testing.assert_close(nll, torch.full(answers.shape, math.log(V - len(NEVER_GENERATED))))


def test_the_decoders_one_pass_equals_its_token_by_token_likelihood():
    model = model_for("decoder", seed=3)
    prompts, answers = questions(seed=3)
    cache, expected = KeyValueCache(), []
    logits = model.next_token_logits(prompts, cache)
    for k in range(answers.shape[1]):
        logits = logits.float()
        logits[:, list(NEVER_GENERATED)] = float("-inf")
        expected.append(-torch.log_softmax(logits, -1).gather(-1, answers[:, k : k + 1])[:, 0])
        logits = model.next_token_logits(answers[:, k : k + 1], cache)
    torch.testing.assert_close(answer_nll(model, prompts, answers, "left-to-right"), torch.stack(expected, 1))


@pytest.mark.parametrize("architecture,decoding", SETUPS)
def test_the_greedy_answer_is_the_likeliest_token_at_every_step(architecture, decoding):
    """Teacher-forced on the model's own greedy answer, every token is the argmax of the step that
    chose it: changing any one answer token raises that token's NLL (the order matches generation)."""
    model = model_for(architecture, seed=1)
    prompts, _ = questions(seed=1)
    greedy = generate(model, prompts, 3, decoding)
    base = answer_nll(model, prompts, greedy, decoding)
    for k in range(3):
        other = greedy.clone()
        other[:, k] = len(NEVER_GENERATED) + (greedy[:, k] - len(NEVER_GENERATED) + 1) % (V - len(NEVER_GENERATED))
        assert (answer_nll(model, prompts, other, decoding)[:, k] > base[:, k]).all()


def test_predict_records_it_and_the_tables_keep_it_in_nats(tmp_path):
    path = tmp_path / "retrieval"
    make_dataset("retrieval", {"num_pairs": 20, "entity_length": 2, "token_pool_size": 16}, 0, path)
    split = encode_examples(load_split(path, "test"), load_tokenizer(path))
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=len(load_tokenizer(path)), architecture="decoder", n_layer=1,
                                    n_head=2, d_model=16)).eval()
    answers = predict(model, split, "left-to-right")
    assert all(a["answer_nll"] > 0 for a in answers)
    rows = pd.DataFrame([{"task": "retrieval", "dataset": "retrieval", "objective": "ar", "seed": 0,
                          "direction": a["direction"], "question": i, "fact": i // 2, "exact_match": a["exact_match"],
                          "answer_nll": a["answer_nll"]} for i, a in enumerate(answers)])
    table = interval_table(rows, resamples=200)
    nll = table[(table.metric == "answer_nll") & (table.direction == "forward")].iloc[0]
    forward = rows[rows.direction == "forward"].answer_nll.mean()
    assert nll["mean"] == pytest.approx(forward) and nll.low <= forward <= nll.high  # nats, not x100
