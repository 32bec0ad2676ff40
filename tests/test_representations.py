"""Entity representations (the state after reading each token) and their principal components."""
import numpy as np
import pandas as pd
import pytest
import torch

from factorization_curse import data as data_io
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.representations import entity_pca, entity_representations, principal_components, reading_states
from factorization_curse.data import make_dataset
from factorization_curse.vocabulary import BOS_ID

from .conftest import FIRST_CONTENT_ID

CASES = [("decoder", "left-to-right"), ("encoder", "masked"), ("encoder-decoder", "masked"),
         ("encoder-decoder", "left-to-right")]


def tiny_model(architecture, vocab=24, seed=0):
    torch.manual_seed(seed)
    return Transformer(ModelConfig(vocab_size=vocab, architecture=architecture, n_layer=2, n_head=2, d_model=16)).eval()


@pytest.mark.parametrize("architecture,decoding", CASES)
def test_state_after_reading_depends_on_tokens_up_to_it_only(architecture, decoding):
    model = tiny_model(architecture)
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(FIRST_CONTENT_ID, 24, (3, 7), generator=g)
    tokens[:, 0] = BOS_ID
    states = reading_states(model, tokens, decoding)
    assert states.shape == (3, 7, 16) and torch.isnan(states[:, -1]).all() and not torch.isnan(states[:, :-1]).any()
    i = 3
    later = tokens.clone()
    later[:, i + 1 :] = torch.randint(FIRST_CONTENT_ID, 24, (3, 7 - i - 1), generator=g)
    assert torch.allclose(reading_states(model, later, decoding)[:, i], states[:, i], atol=1e-6)
    changed = tokens.clone()
    changed[:, i] = FIRST_CONTENT_ID + (tokens[:, i] - FIRST_CONTENT_ID + 1) % (24 - FIRST_CONTENT_ID)
    assert not torch.allclose(reading_states(model, changed, decoding)[:, i], states[:, i], atol=1e-4)


def test_entity_representations_one_point_per_entity(tmp_path):
    data_dir = tmp_path / "relationship"
    make_dataset("relationship", {"num_facts": 10, "entity_length": 2, "token_pool_size": 16, "query_train_fraction": 0.5},
                 0, data_dir)
    tokenizer = data_io.load_tokenizer(data_dir)
    model = tiny_model("decoder", vocab=len(tokenizer))
    rows = data_io.load_split(data_dir, "train")
    test_facts = {int(r["fact"]) for r in data_io.load_split(data_dir, "test")}
    meta, vectors = entity_representations(model, rows, tokenizer, "left-to-right", test_facts)
    assert vectors.shape == (30, 16) and len(meta) == 30  # A, B, C of 10 chains
    assert sorted(meta.role.value_counts().items()) == [("A", 10), ("B", 10), ("C", 10)]
    assert set(meta[meta.split == "test"].fact) == test_facts and 0 < len(test_facts) < 10
    # the same entity text in one statement gives the mean of its tokens' states
    statement = next(r for r in rows if r["kind"] == "statement")
    encoded = data_io.encode_examples([statement], tokenizer)
    states = reading_states(model, encoded.tokens, "left-to-right")[0]
    first = states[encoded.entities[0] == 1].mean(0).numpy()
    row = meta.index[(meta.fact == statement["fact"]) & (meta.role == "A")][0]
    assert np.allclose(vectors[row], first, atol=1e-6)

    model_path = tmp_path / "model.pt"
    torch.save({"model": model.state_dict(), "model_config": model.cfg.to_dict()}, model_path)
    table = entity_pca(data_dir, model_path, "left-to-right", tmp_path / "pca.csv")
    assert list(table.columns) == ["fact", "role", "split", "pc1", "pc2", "pc1_variance", "pc2_variance"]
    assert len(pd.read_csv(tmp_path / "pca.csv")) == 30
    assert 0 < table.pc2_variance.iloc[0] <= table.pc1_variance.iloc[0] <= 1


def test_principal_components_find_the_dominant_direction():
    rng = np.random.default_rng(0)
    t = rng.normal(size=200)
    x = np.outer(t, [3.0, 3.0, 0.0]) + 0.1 * rng.normal(size=(200, 3)) + 7.0
    coords, ratio = principal_components(x, 2)
    assert coords.shape == (200, 2) and ratio[0] > 0.99 and ratio[1] < 0.01
    assert np.allclose(coords.mean(0), 0, atol=1e-9)
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.999
    # signs fixed: the largest coordinate of each component is positive, whatever the input's sign
    assert coords[np.argmax(np.abs(coords[:, 0])), 0] > 0
    flipped, _ = principal_components(-x, 2)
    assert np.allclose(flipped, coords, atol=1e-8)
