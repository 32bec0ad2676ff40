"""Every architecture is asked a question in the layout it was trained on (issue: encoder models
were once asked without <eos>), and no special token is ever generated inside an answer."""

import pytest
import torch

from factorization_curse.data import encode_examples, load_split, load_tokenizer
from factorization_curse.evaluation import NEVER_GENERATED, predict, question_layout
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import Objective
from factorization_curse.data import make_dataset
from factorization_curse.training import TrainConfig, train_model
from factorization_curse.vocabulary import EOS_ID, MASK_ID, SPECIAL_TOKENS

OBJECTIVES = {  # one objective per architecture, and PLM's left-to-right decoding on the encoder-decoder
    "decoder": Objective("ar", "ar", {}),
    "encoder": Objective("mlm-15", "mlm", {"rate": 0.15}),
    "encoder-decoder": Objective("mlm-u", "mlm-uniform", {}),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "retrieval"
    make_dataset("retrieval", {"num_pairs": 40, "entity_length": 2, "token_pool_size": 16, "query_train_fraction": 0.5}, 0, path)
    return path


def test_every_special_token_is_never_generated():
    assert set(NEVER_GENERATED) == set(range(len(SPECIAL_TOKENS)))


def test_question_layout_is_the_training_sequence_with_the_answer_masked(dataset):
    split = encode_examples(load_split(dataset, "test"), load_tokenizer(dataset))
    for i in range(len(split)):
        P, A, L = int(split.prompt_lengths[i]), int(split.answer_lengths[i]), int(split.lengths[i])
        tokens, known = question_layout(split.tokens[i : i + 1, :P], A)
        expected = split.tokens[i, :L].clone()
        expected[P : P + A] = MASK_ID
        assert tokens[0].tolist() == expected.tolist()  # same length, same <eos> position
        assert tokens[0, -1] == EOS_ID and L == P + A + 1
        assert known[0].tolist() == [j < P or j == L - 1 for j in range(L)]


@pytest.mark.parametrize("architecture", ["encoder", "encoder-decoder"])
def test_bidirectional_models_read_exactly_the_masked_training_sequence(dataset, architecture):
    """What the model's forward pass receives during generation, step by step: the training row with
    the not-yet-generated answer tokens as <mask>, nothing shifted or cut; then, for the answer NLL,
    the same rows with the true answer tokens in place of the generated ones."""
    tokenizer = load_tokenizer(dataset)
    split = encode_examples(load_split(dataset, "test"), tokenizer)
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=len(tokenizer), architecture=architecture, n_layer=1, n_head=2, d_model=16))
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    predictions = predict(model, split, OBJECTIVES[architecture].spec.decoding, batch_size=len(split))
    P, A, L = int(split.prompt_lengths[0]), int(split.answer_lengths[0]), int(split.lengths[0])
    assert len(seen) == 2 * A  # one pass per answer token (all questions here have one shape), twice
    predicted = torch.tensor([p["predicted"] for p in predictions])
    for step, tokens in enumerate(seen):
        assert tokens.shape == (len(split), L)
        expected = split.tokens[:, :L].clone()
        if step < A:  # generation: its own answer so far
            expected[:, P : P + step] = predicted[:, :step]
        expected[:, P + step % A : P + A] = MASK_ID  # the answer NLL: the true answer so far
        assert torch.equal(tokens, expected)


@pytest.mark.parametrize("architecture", list(OBJECTIVES))
def test_no_special_token_in_any_answer_of_an_untrained_model(dataset, architecture):
    tokenizer = load_tokenizer(dataset)
    split = encode_examples(load_split(dataset, "test"), tokenizer)
    torch.manual_seed(3)
    model = Transformer(ModelConfig(vocab_size=len(tokenizer), architecture=architecture, n_layer=1, n_head=2, d_model=16))
    with torch.no_grad():  # make the special tokens the most likely output everywhere
        model.embed.weight[: len(SPECIAL_TOKENS)] *= 50
    for p in predict(model, split, OBJECTIVES[architecture].spec.decoding):
        assert not set(p["predicted"]) & set(NEVER_GENERATED)


def test_fixed_rate_mlm_answers_the_questions_it_was_trained_on(tmp_path):
    """A model that cannot answer what it was trained on has a decoding bug, not a finding."""
    data = tmp_path / "data"
    make_dataset("retrieval", {"num_pairs": 24, "entity_length": 2, "token_pool_size": 24, "query_train_fraction": 0.5}, 0, data)
    cfg = TrainConfig(steps=1000, batch_size=32, lr=3e-3, warmup_fraction=0.05, eval_every=1000, checkpoint_every=1000,
                      log_every=1000, weight_decay=0.0, seed=0)
    objective = Objective("mlm-40", "mlm", {"rate": 0.4})
    train_model(data, objective, {"architecture": "encoder", "n_layer": 2, "n_head": 4, "d_model": 64}, cfg,
                tmp_path / "model.pt", tmp_path / "metrics.jsonl", tmp_path / "run.json", log=lambda s: None)
    from factorization_curse.model import load_model

    model, _ = load_model(tmp_path / "model.pt")
    tokenizer = load_tokenizer(data)
    trained_questions = [r for r in load_split(data, "train") if r["kind"] == "query"]
    predictions = predict(model, encode_examples(trained_questions, tokenizer), objective.spec.decoding)
    exact = sum(p["exact_match"] for p in predictions) / len(predictions)
    assert exact >= 0.8, f"fixed-rate MLM answers only {exact:.0%} of its own training questions"
