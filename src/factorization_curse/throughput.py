"""Speed measurements: our training step and generation beside what a user would pick instead.

For one model size and objective, on the same batches of a real dataset: training throughput of the
pipeline's own step (``training.training_step``), of the Hugging Face model a user would otherwise
train (``GPT2LMHeadModel`` for the causal objectives, ``BertForMaskedLM`` for fixed-rate MLM; same
layers, heads, width, batch, AdamW), peak memory, FLOPs counted by ``torch.utils.flop_counter``
(so model FLOPs utilisation against a matrix-multiply peak measured in the same run), and
answers per second of batched greedy generation against one question at a time.
``transformers`` is a benchmark-only extra: without it the Hugging Face columns stay empty.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from .data import EncodedSplit
from .evaluation import predict
from .model import ModelConfig, Transformer
from .objectives import Objective
from .training import TrainConfig, autocast, autocast_dtype, make_optimizer, training_step
from .vocabulary import MASK_ID, PAD_ID


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class PeakMemory:
    """Peak memory of a block in MiB: allocated tensors on a GPU; on Linux CPUs, the growth of the
    process's resident set (its high-water mark is reset through /proc/self/clear_refs)."""

    def __init__(self, device: torch.device):
        self.device, self.mib = device, float("nan")

    @staticmethod
    def _status(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise KeyError(field)

    def __enter__(self):
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device) / 2**20
        else:
            try:
                Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS
                self._start = self._status("VmRSS")
            except OSError:
                self._start = None
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            self.mib = torch.cuda.max_memory_allocated(self.device) / 2**20 - self._start
        elif self._start is not None:
            self.mib = self._status("VmHWM") - self._start
        return False


def matmul_peak_flops(device: torch.device, dtype: torch.dtype, size: int = 4096, seconds: float = 1.0) -> float:
    """Measured FLOP/s of a square matrix multiply: the denominator of MFU."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    synchronize(device)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        n += 1
        if device.type == "cuda" and n % 10:
            continue
        synchronize(device)
    synchronize(device)
    return 2 * size**3 * n / (time.perf_counter() - started)


@dataclass
class Batch:
    """One training batch as the pipeline samples it (cut to its longest sequence on CPU)."""

    tokens: torch.Tensor
    lengths: torch.Tensor
    entities: torch.Tensor


def sample_batches(train: EncodedSplit, batch_size: int, count: int, seed: int = 0) -> list[Batch]:
    g = torch.Generator().manual_seed(seed)  # rows on the host, as training draws them
    host_lengths = train.lengths.cpu()
    batches = []
    for _ in range(count):
        idx = torch.randint(len(train), (batch_size,), generator=g)
        batches.append(Batch(*train.training_batch(idx, host_lengths)))
    return batches


def time_steps(step, batches: list[Batch], device: torch.device, warmup: int) -> float:
    """Seconds per step, after ``warmup`` untimed steps."""
    for batch in batches[:warmup]:
        step(batch)
    synchronize(device)
    started = time.perf_counter()
    for batch in batches[warmup:]:
        step(batch)
    synchronize(device)
    return (time.perf_counter() - started) / max(1, len(batches) - warmup)


def count_flops(step, batch: Batch) -> float:
    with FlopCounterMode(display=False) as counter:
        step(batch)
    return float(counter.get_total_flops())


def ours(model_config: ModelConfig, objective: Objective, train_config: TrainConfig, device: torch.device):
    """The pipeline's model and training step, exactly as ``train_model`` runs them."""
    torch.manual_seed(0)
    model = Transformer(model_config).to(device).train()
    optimizer = make_optimizer(model, train_config)
    forward_model = torch.compile(model) if train_config.compile else model
    precision = autocast_dtype(train_config.precision, device)
    generator = torch.Generator(device=device).manual_seed(0)

    def step(batch: Batch):
        training_step(forward_model, optimizer, objective, batch.tokens, batch.lengths, generator, batch.entities,
                      precision, train_config.grad_clip)

    return model, step


HF_EQUIVALENT = {"ar": "GPT2LMHeadModel", "ar-reverse": "GPT2LMHeadModel", "mlm": "BertForMaskedLM"}


def hugging_face(model_config: ModelConfig, objective: Objective, train_config: TrainConfig, device: torch.device,
                 max_length: int, fused: bool = False):
    """The ``transformers`` model a user would train for this objective, with torch's AdamW (default
    implementation, or ``fused`` as ours) and the same batches (the objective's factorisation turned
    into the model's inputs and labels); None without an equivalent or without ``transformers``."""
    name = HF_EQUIVALENT.get(objective.kind)
    if name is None:
        return None
    try:
        import transformers
    except ImportError:
        return None
    transformers.logging.set_verbosity_error()
    cfg = model_config
    width = cfg.d_ff or 4 * cfg.d_model
    torch.manual_seed(0)
    if name == "GPT2LMHeadModel":
        hf_config = transformers.GPT2Config(
            vocab_size=cfg.vocab_size, n_positions=max_length, n_embd=cfg.d_model, n_layer=cfg.n_layer,
            n_head=cfg.n_head, n_inner=width, activation_function="gelu", resid_pdrop=0.0, embd_pdrop=0.0,
            attn_pdrop=0.0, bos_token_id=None, eos_token_id=None, attn_implementation="sdpa",
        )
        model = transformers.GPT2LMHeadModel(hf_config)
    else:
        hf_config = transformers.BertConfig(
            vocab_size=cfg.vocab_size, hidden_size=cfg.d_model, num_hidden_layers=cfg.n_layer,
            num_attention_heads=cfg.n_head, intermediate_size=width, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, max_position_embeddings=max_length, pad_token_id=PAD_ID,
            attn_implementation="sdpa",
        )
        model = transformers.BertForMaskedLM(hf_config)
    model = model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay,
                                  fused=fused or None)
    precision = autocast_dtype(train_config.precision, device)
    generator = torch.Generator(device=device).manual_seed(0)

    def step(batch: Batch):
        fact = objective(batch.tokens, batch.lengths, generator, batch.entities)
        padding = fact.tokens == PAD_ID
        with autocast(precision, device):
            if name == "GPT2LMHeadModel":
                labels = fact.tokens.masked_fill(padding, -100)
                out = model(input_ids=fact.tokens, attention_mask=(~padding).long(), labels=labels)
            else:
                hidden = fact.rank > 0
                inputs = torch.where(hidden, torch.full_like(fact.tokens, MASK_ID), fact.tokens)
                labels = fact.tokens.masked_fill(~fact.targets, -100)
                out = model(input_ids=inputs, attention_mask=(~padding).long(), labels=labels)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        if train_config.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        optimizer.step()

    return model, step


def training_throughput(step, batches: list[Batch], device: torch.device, warmup: int) -> dict:
    seconds = time_steps(step, batches, device, warmup)
    tokens = sum(int(b.lengths.sum()) for b in batches[warmup:]) / max(1, len(batches) - warmup)
    flops = count_flops(step, batches[0]) * sum(b.tokens.numel() for b in batches[warmup:]) / (
        batches[0].tokens.numel() * max(1, len(batches) - warmup))
    return {"steps_per_s": 1 / seconds, "tokens_per_s": tokens / seconds, "flops_per_s": flops / seconds}


def measure(implementation: str, model_config: ModelConfig, objective: Objective, train_config: TrainConfig,
            device: str, batches: list[Batch], warmup: int, threads: int = 0, max_length: int = 0,
            test: EncodedSplit | None = None, one_at_a_time: int = 0) -> dict | None:
    """One implementation's measurements ("ours", "hf" or "hf-fused"): training throughput, FLOPs and
    the peak memory of building the model and training it (run it in a fresh process, see
    :func:`in_fresh_process`, so that memory freed by an earlier measurement does not hide it);
    for "ours" with ``test``, also generation throughput. None where Hugging Face has no equivalent."""
    if threads:
        torch.set_num_threads(threads)
    device = torch.device(device)
    batches = [Batch(b.tokens.to(device), b.lengths.to(device), b.entities.to(device)) for b in batches]
    with PeakMemory(device) as memory:
        if implementation == "ours":
            built = ours(model_config, objective, train_config, device)
        else:
            built = hugging_face(model_config, objective, train_config, device, max_length,
                                 fused=implementation == "hf-fused")
            if built is None:
                return None
        model, step = built
        result = training_throughput(step, batches, device, warmup)
    result["peak_memory_mib"] = memory.mib
    result["parameters"] = sum(p.numel() for p in model.parameters())
    if implementation == "ours" and test is not None:
        precision = autocast_dtype(train_config.precision, device)
        result.update(generation_throughput(model, test.to(device), objective.spec.decoding, device, one_at_a_time,
                                            precision))
    return result


def in_fresh_process(function, **kwargs):
    """``function(**kwargs)`` in a new Python process (spawned, so no state is inherited)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, **kwargs).result()


def generation_throughput(model: Transformer, test: EncodedSplit, decoding: str, device: torch.device,
                          one_at_a_time: int, precision: torch.dtype | None) -> dict:
    """Answers per second over the whole test split in batches, and for the first ``one_at_a_time``
    questions one by one (batch size 1), on the same model; the answers must agree."""
    model.eval()
    with autocast(precision, device):
        predict(model, test.select(torch.arange(min(8, len(test)))), decoding)  # warm-up
        synchronize(device)
        started = time.perf_counter()
        batched = predict(model, test, decoding)
        synchronize(device)
        batched_rate = len(test) / (time.perf_counter() - started)
        subset = test.select(torch.arange(min(one_at_a_time, len(test))))
        started = time.perf_counter()
        single = predict(model, subset, decoding, batch_size=1)
        synchronize(device)
        single_rate = len(subset) / (time.perf_counter() - started)
    model.train()
    agree = all(a["predicted"] == b["predicted"] for a, b in zip(batched, single))
    return {"answers_per_s": batched_rate, "answers_per_s_one_at_a_time": single_rate,
            "batched_speedup": batched_rate / single_rate, "batched_answers_agree": agree}
