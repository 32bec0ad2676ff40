"""Every fast path against the plain one it replaces: same logits, same answers, same loss curve."""
import copy

import pytest
import torch

from factorization_curse.evaluation import generate_by_reencoding, generate_with_cache
from factorization_curse.model import KeyValueCache, ModelConfig, Transformer, attention
from factorization_curse.objectives import Objective
from factorization_curse.runtime import autocast, autocast_dtype, cpu_computes_bf16
from factorization_curse.training import loss_on

from .conftest import make_batch

VOCAB = 40


def decoder(seed=0, **overrides):
    torch.manual_seed(seed)
    cfg = {"vocab_size": VOCAB, "architecture": "decoder", "n_layer": 2, "n_head": 2, "d_model": 32, **overrides}
    return Transformer(ModelConfig(**cfg)).eval()


def test_cached_next_token_logits_equal_the_full_forward_pass():
    """Feeding a prompt, then one token at a time through the key-value cache gives, at every step,
    the logits the full causal pass computes for that position (fp32, atol 1e-5)."""
    model = decoder()
    tokens, lengths = make_batch([12, 12, 12], vocab=VOCAB, seed=3)
    full = model(tokens, torch.arange(12).expand(3, 12))  # row i predicts token i
    cache = KeyValueCache()
    P = 5
    cached = [model.next_token_logits(tokens[:, :P], cache)]
    for i in range(P, 11):
        cached.append(model.next_token_logits(tokens[:, i : i + 1], cache))
    for step, logits in enumerate(cached):
        torch.testing.assert_close(logits, full[:, P + step], atol=1e-5, rtol=1e-5)


def test_cache_reads_several_new_tokens_causally():
    model = decoder(seed=1)
    tokens, _ = make_batch([10, 10], vocab=VOCAB, seed=4)
    full = model(tokens, torch.arange(10).expand(2, 10))
    cache = KeyValueCache()
    model.next_token_logits(tokens[:, :4], cache)
    torch.testing.assert_close(model.next_token_logits(tokens[:, 4:8], cache), full[:, 8], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("prompt_length,answer_length", [(1, 4), (5, 3), (9, 1), (4, 0)])
def test_cached_generation_gives_the_answers_of_reencoding(prompt_length, answer_length):
    model = decoder(seed=2)
    prompts, _ = make_batch([prompt_length + 1] * 16, vocab=VOCAB, seed=prompt_length)
    prompts = prompts[:, :prompt_length]
    cached = generate_with_cache(model, prompts, answer_length)
    plain = generate_by_reencoding(model, prompts, answer_length, "left-to-right")
    assert cached.shape == (16, answer_length)
    assert torch.equal(cached, plain)


def test_cache_refuses_bidirectional_models():
    model = decoder(architecture="encoder")
    with pytest.raises(ValueError, match="causal decoder"):
        model.next_token_logits(torch.ones(1, 3, dtype=torch.long), KeyValueCache())


def _loss_curve(model, objective, steps=4):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, fused=True)
    generator = torch.Generator().manual_seed(0)
    tokens, lengths = make_batch([9, 7, 5, 9, 8, 6], vocab=VOCAB, seed=5)
    curve = []
    for _ in range(steps):
        loss = loss_on(model, objective, tokens, lengths, generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(loss.item())
    return curve


@pytest.mark.slow
def test_compiled_training_follows_the_eager_loss_curve():
    """torch.compile (the `compile: true` switch) changes kernels, not the maths: the same
    4-step loss curve on CPU within 1e-4 relative."""
    objective = Objective("mlm-u", "mlm-uniform", {})
    torch.manual_seed(0)
    eager = Transformer(ModelConfig(vocab_size=VOCAB, architecture="encoder-decoder", n_layer=2, n_head=2, d_model=32))
    compiled_copy = copy.deepcopy(eager)
    eager_curve = _loss_curve(eager, objective)
    compiled_curve = _loss_curve(torch.compile(compiled_copy), objective)
    assert compiled_curve == pytest.approx(eager_curve, rel=1e-4)
    assert eager_curve[-1] < eager_curve[0]


def test_bf16_autocast_stays_near_fp32():
    """The bf16 path (precision: bf16; auto where the hardware computes bf16) gives the fp32 loss to within 2%."""
    model = decoder(seed=3, architecture="encoder-decoder")
    objective = Objective("plm", "plm", {})
    tokens, lengths = make_batch([9, 7, 5, 9], vocab=VOCAB, seed=6)
    fp32 = loss_on(model, objective, tokens, lengths, torch.Generator().manual_seed(0))
    with autocast(torch.bfloat16, torch.device("cpu")):
        bf16 = loss_on(model, objective, tokens, lengths, torch.Generator().manual_seed(0))
    assert bf16.dtype == torch.float32
    assert bf16.item() == pytest.approx(fp32.item(), rel=0.02)


def test_cpu_bf16_attention_computes_in_fp32(monkeypatch):
    """Under bf16 autocast on a CPU, attention (forward and backward) is fp32 attention of the same
    bf16 inputs, not the CPU's slow bf16 kernel; its output is bf16 like the layers around it."""
    kernel, seen = torch.nn.functional.scaled_dot_product_attention, []
    def spy(q, *args, **kwargs):
        seen.append(q.dtype)
        return kernel(q, *args, **kwargs)
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 9, 8, generator=g).bfloat16().requires_grad_() for _ in range(3))
    mask = torch.rand(2, 1, 9, 9, generator=g) < 0.7
    mask[..., 0] = True
    with autocast(torch.bfloat16, torch.device("cpu")):
        y = attention(q, k, v, mask)
    assert y.dtype == torch.bfloat16 and seen == [torch.float32]
    reference = torch.nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float(), attn_mask=mask)
    torch.testing.assert_close(y.float(), reference.bfloat16().float())
    y.float().sum().backward()
    qf = q.detach().float().requires_grad_()
    torch.nn.functional.scaled_dot_product_attention(qf, k.detach().float(), v.detach().float(), attn_mask=mask).sum().backward()
    torch.testing.assert_close(q.grad.float(), qf.grad.bfloat16().float())


def test_auto_precision_is_bf16_only_where_the_hardware_computes_it():
    cpu = torch.device("cpu")
    assert autocast_dtype("auto", cpu) == (torch.bfloat16 if cpu_computes_bf16() else None)
    assert autocast_dtype("fp32", cpu) is None and autocast_dtype("bf16", cpu) == torch.bfloat16
    with pytest.raises(ValueError, match="precision 'fp16'"):
        autocast_dtype("fp16", cpu)


@pytest.mark.parametrize("architecture,kind,params", [
    ("decoder", "ar", {}), ("encoder", "mlm", {"rate": 0.4}), ("encoder-decoder", "mlm-uniform", {}),
])
def test_scoring_every_position_gives_the_loss_of_scoring_only_targets(architecture, kind, params):
    """The GPU path (no boolean selection, no sync) and the CPU path agree (fp32, rtol 1e-5)."""
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=VOCAB, architecture=architecture, n_layer=1, n_head=2, d_model=32))
    objective = Objective("x", kind, params)
    tokens, lengths = make_batch([9, 7, 5, 9], vocab=VOCAB, seed=7)
    picked = loss_on(model, objective, tokens, lengths, torch.Generator().manual_seed(1), only_targets=True)
    scored = loss_on(model, objective, tokens, lengths, torch.Generator().manual_seed(1), only_targets=False)
    torch.testing.assert_close(scored, picked, rtol=1e-5, atol=1e-6)
