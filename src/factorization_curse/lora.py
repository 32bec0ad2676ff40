"""The paper's Mistral-7B row (Table 3 / Table 8): a pretrained causal LM fine-tuned with LoRA.

An optional extra (``pip install -r requirements-lora.txt``: ``transformers``, ``peft``,
``accelerate``); nothing else in the package imports it. A ``lora`` entry of config.yaml names a
local Hugging Face checkpoint folder (model and tokenizer), the LoRA rank and scale (the paper:
r = alpha = 256) and the modules that get adapters. :func:`finetune_lora` trains the adapters
with AdamW on the dataset's training texts (statements and trained questions) with the next-token
loss, the learning-rate schedule of :mod:`training`; :func:`evaluate_lora` answers each held-out
question greedily, left to right, for the answer's number of tokens, the protocol of
:mod:`evaluation`, and writes the same ``eval.json`` and ``predictions.jsonl``.

An example reads ``prompt + " " + answer`` (just the prompt for a statement), tokenized by the
checkpoint's own tokenizer with a BOS token first (where it has one) and EOS last; the answer's
tokens are those that start at or after the answer's first character (a fast tokenizer's
offsets). There is no rolling checkpoint: a stopped fine-tune starts again.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import torch

from . import data as data_io
from .evaluation import write_evaluation
from .metrics import summarize
from .tasks import TASKS
from .runtime import atomic_write_text, autocast_dtype, resolve_device
from .training import TrainConfig, curve_row, learning_rate, where_it_ran, write_metrics

EXTRA_HELP = ("the LoRA fine-tune needs the optional extra: pip install -r requirements-lora.txt "
              "(transformers, peft, accelerate)")


@dataclass(frozen=True)
class LoraSettings:
    checkpoint: str  # local Hugging Face folder: config.json, weights, tokenizer
    r: int = 256  # the paper's rank
    alpha: float = 256  # the paper's scale (alpha = r)
    dropout: float = 0.0  # the paper trains without dropout
    # modules that get adapters; "all-linear": every linear layer but the output head (the paper
    # does not say which)
    target_modules: str | list[str] = "all-linear"

    def __post_init__(self):
        if self.r < 1 or self.alpha <= 0 or not 0 <= self.dropout < 1:
            raise ValueError("lora: r must be at least 1, alpha positive and dropout in [0, 1)")


@dataclass
class EncodedText:
    ids: list[int]  # BOS (if the tokenizer has one), the text's tokens, EOS
    prompt_length: int  # tokens before the answer's first token (BOS included)
    answer_length: int
    direction: str
    kind: str = ""
    extra: dict = field(default_factory=dict)


def require_extra():
    """``(transformers, peft)``, or ImportError saying how to install them."""
    try:
        import peft
        import transformers
    except ImportError as e:
        raise ImportError(f"{EXTRA_HELP} ({e})") from None
    return transformers, peft


def check_checkpoint(path: str | Path) -> Path:
    """The checkpoint folder, if it holds a Hugging Face model (config.json); else FileNotFoundError
    saying what to put there."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"no Hugging Face checkpoint in {str(path)!r} (config.json missing): download the model into that folder, "
            "e.g. `huggingface-cli download mistralai/Mistral-7B-v0.1 --local-dir <folder>`, and set lora.<id>.checkpoint "
            "in config.yaml to it (a relative path is taken from the directory Snakemake runs in)"
        )
    return path


def load_tokenizer(checkpoint: str | Path):
    transformers, _ = require_extra()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(check_checkpoint(checkpoint)))
    if not tokenizer.is_fast:
        raise ValueError(f"the tokenizer of {checkpoint} is not a fast tokenizer: answers are found by character offsets")
    return tokenizer


def encode_rows(rows: list[dict], tokenizer, eos: bool = True) -> list[EncodedText]:
    """Each row's text ``prompt + " " + answer`` in the checkpoint's tokens; see the module docstring."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    end = [tokenizer.eos_token_id] if eos and tokenizer.eos_token_id is not None else []
    out = []
    for row in rows:
        text = f"{row['prompt']} {row['answer']}" if row["answer"] else row["prompt"]
        answer_start = len(row["prompt"]) + 1 if row["answer"] else len(text)
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
        prompt = sum(1 for start, _ in offsets if start < answer_start)
        out.append(EncodedText(bos + ids + end, len(bos) + prompt, len(ids) - prompt, row["direction"], row["kind"]))
    return out


def load_model(checkpoint: str | Path, device: torch.device, precision: str = "auto"):
    """The pretrained causal LM, in bf16 where :func:`runtime.autocast_dtype` says so (a GPU, or a
    CPU that computes bf16 natively), else fp32."""
    transformers, _ = require_extra()
    dtype = autocast_dtype(precision, device) or torch.float32
    model = transformers.AutoModelForCausalLM.from_pretrained(str(check_checkpoint(checkpoint)), dtype=dtype)
    return model.to(device)


def with_adapters(model, settings: LoraSettings):
    """The model with fresh LoRA adapters (``peft``); only the adapters train."""
    _, peft = require_extra()
    config = peft.LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                             target_modules=settings.target_modules, task_type="CAUSAL_LM")
    return peft.get_peft_model(model, config)


def _batch(examples: list[EncodedText], pad_id: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded ids, attention mask and labels (-100 on padding)."""
    width = max(len(e.ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, e in enumerate(examples):
        ids[i, : len(e.ids)] = torch.tensor(e.ids)
        mask[i, : len(e.ids)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return ids.to(device), mask.to(device), labels.to(device)


@torch.no_grad()
def predict(model, tokenizer, examples: list[EncodedText], batch_size: int = 64) -> list[dict]:
    """Greedy answers of the length of each true answer (special tokens never generated; the
    model's ``generate`` with its key-value cache), in the prediction format of
    :func:`evaluation.predict`; batches group equal prompt and answer lengths, so nothing is padded."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    never = sorted(set(tokenizer.all_special_ids))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[(e.prompt_length, e.answer_length)].append(i)
    results: list[dict] = [{} for _ in examples]
    for (P, A), indices in sorted(groups.items()):
        for start in range(0, len(indices), batch_size):
            picked = indices[start : start + batch_size]
            prompts = torch.tensor([examples[i].ids[:P] for i in picked], device=device)
            answers = torch.tensor([examples[i].ids[P : P + A] for i in picked], device=device)
            if A:
                out = model.generate(input_ids=prompts, attention_mask=torch.ones_like(prompts), do_sample=False,
                                     max_new_tokens=A, min_new_tokens=A, suppress_tokens=never, pad_token_id=pad)
                predicted = out[:, P:]
            else:
                predicted = answers
            correct = (predicted == answers).cpu()
            for j, i in enumerate(picked):
                results[i] = {
                    "direction": examples[i].direction, "predicted": predicted[j].tolist(), "answer": answers[j].tolist(),
                    "exact_match": bool(correct[j].all()), "token_accuracy": float(correct[j].float().mean()) if A else 1.0,
                    "position_correct": correct[j].tolist(),
                }
    model.train(was_training)
    return results


def finetune_lora(data_dir: str | Path, settings: LoraSettings, train_config: TrainConfig, adapter_dir: str | Path,
                  metrics_path: str | Path, run_info_path: str | Path, task: str, log: Callable[[str], None] = print) -> list[dict]:
    """Fine-tune LoRA adapters on the dataset's training texts; write the adapters (``peft``'s
    ``save_pretrained``), the learning curve (validation accuracy every ``eval_every`` steps, as
    :func:`training.train_model` writes it) and the run's metadata."""

    cfg = train_config
    device = resolve_device(cfg.device)
    torch.manual_seed(cfg.seed)
    tokenizer = load_tokenizer(settings.checkpoint)
    train = encode_rows(data_io.load_split(data_dir, "train"), tokenizer)
    validation = encode_rows(data_io.load_split(data_dir, "validation"), tokenizer, eos=False)  # learning curves
    generator = torch.Generator().manual_seed(cfg.seed)
    subset = [validation[i] for i in torch.randperm(len(validation), generator=generator)[: cfg.eval_max_examples].tolist()]
    model = with_adapters(load_model(settings.checkpoint, device, cfg.precision), settings)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: learning_rate(step, cfg))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if task not in TASKS:
        raise KeyError(f"unknown task {task!r}")
    log(f"LoRA r={settings.r}, alpha={settings.alpha} on {settings.checkpoint}: "
        f"{sum(p.numel() for p in trainable):,} trainable of {sum(p.numel() for p in model.parameters()):,} parameters; "
        f"{len(train)} training texts, {cfg.steps} steps of {cfg.batch_size} on {device}")
    metrics, window, started = [], [], time.time()
    for step in range(1, cfg.steps + 1):
        picked = torch.randint(len(train), (cfg.batch_size,), generator=generator).tolist()
        ids, mask, labels = _batch([train[i] for i in picked], pad, device)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
        optimizer.step()
        schedule.step()
        window.append(float(loss.detach()))
        row = {}
        if step % cfg.log_every == 0 or step == cfg.steps:
            row["loss"] = sum(window) / len(window)
            log(f"step {step}: loss {row['loss']:.4f} ({step / (time.time() - started):.2f} steps/s)")
            window = []
        if step % cfg.eval_every == 0 or step == cfg.steps:
            # token-exact, as training.train_model's learning curves (eval.json applies the task's normaliser)
            row.update(curve_row(step, None, summarize(predict(model, tokenizer, subset))))
        if row:
            metrics.append({"step": step, **row})
    adapter_dir, metrics_path = Path(adapter_dir), Path(metrics_path)
    model.save_pretrained(str(adapter_dir))
    write_metrics(metrics_path, metrics)
    info = {
        "objective": {"kind": "lora", **asdict(settings)},
        "model_config": {"architecture": "pretrained causal LM + LoRA", "checkpoint": settings.checkpoint},
        "train_config": asdict(cfg),
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in trainable),
        **where_it_ran(device, next(model.parameters()).dtype if next(model.parameters()).dtype != torch.float32 else None),
        "train_seconds_this_session": round(time.time() - started, 1),
    }
    atomic_write_text(Path(run_info_path), json.dumps(info, indent=1))
    return metrics


def evaluate_lora(data_dir: str | Path, settings: LoraSettings, adapter_dir: str | Path, run: dict,
                  evaluation_path: str | Path, predictions_path: str | Path, questions_path: str | Path | None = None,
                  log: Callable[[str], None] = print,
                  device: str = "auto", precision: str = "auto") -> dict:
    """The base model with the trained adapters answers every held-out question; eval.json and
    predictions.jsonl as :func:`evaluation.evaluate_model` writes them."""
    _, peft = require_extra()
    device = resolve_device(device)
    tokenizer = load_tokenizer(settings.checkpoint)
    model = peft.PeftModel.from_pretrained(load_model(settings.checkpoint, device, precision), str(adapter_dir))
    rows = data_io.load_split(data_dir, "test")
    test = encode_rows(rows, tokenizer, eos=False)
    log(f"evaluating {run['objective']} on {len(test)} test questions")
    started = time.perf_counter()
    predictions = predict(model, tokenizer, test)
    decode = lambda ids: tokenizer.decode(ids, skip_special_tokens=True)  # noqa: E731
    return write_evaluation(predictions, rows, run, decode, time.perf_counter() - started, device, evaluation_path,
                            predictions_path, questions_path, log)
