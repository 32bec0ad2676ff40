import pytest
import torch

from factorization_curse.vocabulary import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS

FIRST_CONTENT_ID = len(SPECIAL_TOKENS)


def make_batch(lengths, T=None, vocab=20, seed=0):
    """Random sequences <bos> x .. <eos> with right padding; content ids avoid the special tokens."""
    g = torch.Generator().manual_seed(seed)
    T = T or max(lengths)
    tokens = torch.full((len(lengths), T), PAD_ID)
    for b, n in enumerate(lengths):
        tokens[b, 0] = BOS_ID
        tokens[b, 1 : n - 1] = torch.randint(FIRST_CONTENT_ID, vocab, (n - 2,), generator=g)
        tokens[b, n - 1] = EOS_ID
    return tokens, torch.tensor(lengths)


@pytest.fixture
def batch():
    return make_batch([9, 7, 5, 9])
