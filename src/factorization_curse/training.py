"""The training loop: sample a batch, factorize it with the objective, weighted cross-entropy.

Resumable: every ``checkpoint_every`` steps and/or every ``checkpoint_minutes`` the full state
(model, optimiser, schedule, step, RNG and batch-sampler state, metrics so far) is written
atomically to a rolling checkpoint, and a restarted run continues from it. The rolling checkpoint
is deleted once the final model is saved. Batches are drawn on the host (rows and their widths),
so a GPU step never waits for the host to read the device.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from . import data as data_io
from .distributed import Processes
from .evaluation import predict
from .metrics import METRICS, summarize
from .model import ModelConfig, Transformer
from .objectives import Objective
from .runtime import (UnreadableFileError, atomic_save, atomic_write_text, autocast, autocast_dtype, code_fingerprint,
                      device_name, git_commit, load_state, resolve_device)

# Seconds on a clock that never jumps back: progress rates and the checkpoint_minutes cadence read it
# (one name, so a test can drive the cadence with a clock of its own).
clock = time.monotonic


@dataclass
class TrainConfig:
    steps: int = 2000
    # > 0: the budget in epochs of the training split, as the paper gives it (WikiReversal: 1500);
    # steps = ceil(epochs * training sequences / sequences a step), computed when the data is loaded
    epochs: float = 0.0
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_fraction: float = 0.01  # the paper warms up over 1% of training
    lr_schedule: str = "cosine"  # "cosine" (decay to min_lr_fraction) or "constant"
    min_lr_fraction: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 250  # steps between validation-split evaluations logged to metrics.jsonl
    eval_max_examples: int = 1000  # validation questions per evaluation during training (per run)
    checkpoint_every: int = 500  # steps between rolling checkpoints (0: by steps never)
    # minutes between rolling checkpoints (0: by time never): at paper scale a checkpoint is ~1 GB,
    # so time, not steps, bounds the work a preemption loses
    checkpoint_minutes: float = 0.0
    log_every: int = 100
    seed: int = 0
    device: str = "auto"  # "auto" (cuda if visible), "cpu" or "cuda"
    # "auto": bf16 autocast where the hardware computes in bf16 (a GPU that supports it, a CPU with
    # AVX512-BF16 or AMX; measured at the tiny preset on Zen 4: training steps 1.3-1.5x faster), else
    # fp32; "bf16" or "fp32" to force
    precision: str = "auto"
    compile: bool = False  # torch.compile the model (measured: slower at the tiny preset on CPU)


# Settings that change only what is logged, evaluated on validation, or checkpointed, and when: never
# the trained model. They are not part of a run's identity, so changing them neither reruns a
# training job nor restarts a checkpointed run.
CADENCE_KEYS = ("log_every", "eval_every", "eval_max_examples", "checkpoint_every", "checkpoint_minutes")


def steps_for_epochs(epochs: float, sequences: int, per_step: int) -> int:
    """Training steps that train on ``epochs`` times the training split's number of sequences,
    ``per_step`` a step (batches are drawn with replacement, so an epoch is a number of sequences,
    not a pass over each one; a reversal objective's text and its reverse count as two)."""
    return max(1, math.ceil(epochs * sequences / per_step))


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Multiplier of the peak learning rate at ``step``: linear warm-up, then cosine or constant."""
    warmup = max(1, math.ceil(cfg.warmup_fraction * cfg.steps))
    if step < warmup:
        return (step + 1) / warmup
    if cfg.lr_schedule == "constant":
        return 1.0
    progress = (step - warmup) / max(1, cfg.steps - warmup)
    return cfg.min_lr_fraction + (1 - cfg.min_lr_fraction) * 0.5 * (1 + math.cos(math.pi * progress))


def curve_row(step: int, loss: float | None, summary: dict[str, dict]) -> dict:
    """One point of a learning curve (a line of metrics.jsonl): the step, the training loss since
    the last point, and each direction's validation metrics that :data:`metrics.METRICS` curves."""
    row = {"step": step} if loss is None else {"step": step, "loss": loss}
    for direction, values in summary.items():
        for m in METRICS.values():
            if m.in_curves and m.name in values:
                row[f"{direction}_{m.name}"] = values[m.name]
    return row


def where_it_ran(device: torch.device, precision: torch.dtype | None) -> dict:
    """What run.json records of the machine a run trained on (the report says when cells mix them)."""
    return {"device": str(device), "device_name": device_name(device),
            "precision": str(precision or torch.float32).removeprefix("torch."), "torch": torch.__version__,
            "host": platform.node(), "threads": torch.get_num_threads(),
            "slurm_job_id": os.environ.get("SLURM_JOB_ID"), "git_commit": git_commit()}


def write_metrics(path: Path, metrics: list[dict]) -> None:
    """The learning curve so far as JSON lines (rewritten whole, atomically)."""
    atomic_write_text(path, "".join(json.dumps(row) + "\n" for row in metrics))


def loss_on(model, objective: Objective, tokens, lengths, generator=None, entities=None,
            only_targets: bool | None = None) -> torch.Tensor:
    """The objective's weighted negative log-likelihood, averaged over the sequences it built.

    ``only_targets`` (default: on CPU) computes the output layer only at the predicted positions,
    which saves most of it under fixed-rate masking; picking them is a device-to-host sync, so on a
    GPU every position is scored and the loss weights (zero off the targets) do the selecting.
    """
    fact = objective(tokens, lengths, generator, entities)
    if only_targets is None:
        only_targets = tokens.device.type == "cpu"
    if only_targets:
        targets = fact.targets
        nll = F.cross_entropy(model(fact.tokens, fact.rank, targets).float(), fact.tokens[targets], reduction="none")
        return (nll * fact.weights[targets]).sum() / fact.tokens.shape[0]
    logits = model(fact.tokens, fact.rank).float()
    nll = F.cross_entropy(logits.flatten(0, 1), fact.tokens.flatten(), reduction="none")
    return (nll * fact.weights.flatten()).sum() / fact.tokens.shape[0]


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW, no weight decay on biases and norms; fused: one kernel over all parameters
    (measured: a whole step 1.3x faster at the paper size on CPU)."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, fused=True)


def training_step(model, optimizer, objective: Objective, tokens, lengths, generator=None, entities=None,
                  precision: torch.dtype | None = None, grad_clip: float = 0.0) -> torch.Tensor:
    """One optimiser step on one batch; returns the (detached) loss without syncing the device."""
    with autocast(precision, tokens.device):
        loss = loss_on(model, objective, tokens, lengths, generator, entities)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.detach()


class TrainingInterrupted(Exception):
    """Raised after SIGTERM/SIGUSR1 once the state is saved: rerunning the job continues it."""

    exit_code = 75  # EX_TEMPFAIL: a temporary failure, try again

    def __init__(self, signum: int, step: int):
        super().__init__(f"interrupted by signal {signum} at step {step}; checkpoint saved")
        self.signum, self.step = signum, step


class StopRequest:
    """Within ``with``, SIGTERM and SIGUSR1 (what SLURM sends before preemption or the time limit)
    only record a request; the training loop saves a checkpoint and stops at the end of the step."""

    SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

    def __init__(self):
        self.signum: int | None = None
        self._previous: dict = {}

    def _request(self, signum, frame):
        self.signum = signum

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {s: signal.signal(s, self._request) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)
        return False


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


# what a rolling checkpoint holds (train_model writes and reads it)
CHECKPOINT_KEYS = ("identity", "model", "optimizer", "scheduler", "sampler", "draws", "torch_rng", "step", "metrics",
                   "window")


def train_model(
    data_dir: str | Path,
    objective: Objective,
    model_config: dict,
    train_config: TrainConfig,
    model_path: str | Path,
    metrics_path: str | Path,
    run_info_path: str | Path,
    checkpoint_path: str | Path | None = None,
    log: Callable[[str], None] = print,
    stop_after: int | None = None,
) -> list[dict]:
    """Train one model and write the final model, its metrics log and its run metadata.

    SIGTERM or SIGUSR1 makes it save a checkpoint at the end of the current step and raise
    :class:`TrainingInterrupted`; a rerun resumes from there. ``stop_after`` ends the run after that
    many steps without saving (as a crash would), for testing resume; a normal run leaves it None.
    Under ``torchrun`` (several processes), it trains one model with DistributedDataParallel.
    """
    cfg = train_config
    model_path, metrics_path, run_info_path = Path(model_path), Path(metrics_path), Path(run_info_path)
    checkpoint_path = Path(checkpoint_path) if checkpoint_path else model_path.with_name("checkpoint.pt")
    processes = Processes.from_environment()
    processes.check_batch(cfg.batch_size)
    device = processes.start(resolve_device(cfg.device))
    if not processes.main:
        log = lambda message: None  # noqa: E731 (process 0 reports for all)
    torch.manual_seed(cfg.seed)

    tokenizer = data_io.load_tokenizer(data_dir)
    train = data_io.encode_examples(data_io.load_split(data_dir, "train"), tokenizer).to(device)
    if cfg.epochs:
        per_step = cfg.batch_size * (2 if objective.spec.doubles_batch else 1)
        cfg = replace(cfg, steps=steps_for_epochs(cfg.epochs, len(train), per_step))
        log(f"{cfg.epochs:g} epochs of {len(train)} training sequences, {per_step} sequences a step: {cfg.steps} steps")
    # learning curves read the validation split; the test split is scored once, by evaluate_model
    validation = data_io.encode_examples(data_io.load_split(data_dir, "validation"), tokenizer)
    eval_pick = torch.randperm(len(validation), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.eval_max_examples]
    validation_subset = validation.select(eval_pick).to(device)

    mcfg = ModelConfig(vocab_size=len(tokenizer), **model_config)
    objective.check_architecture(mcfg.architecture)
    model = Transformer(mcfg).to(device)
    optimizer = make_optimizer(model, cfg)
    precision = autocast_dtype(cfg.precision, device)
    forward_model = model
    if processes.several:
        forward_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    forward_model = torch.compile(forward_model) if cfg.compile else forward_model
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: learning_rate(s, cfg))
    # batch rows on the host (the same global batches in every process), with the rows' lengths there
    # too: a batch's width is known without reading the device
    sampler = torch.Generator().manual_seed(cfg.seed)
    host_lengths = train.lengths.cpu()
    # the objective's random choices (masks, orders), on the device: on a CPU in one process the
    # sampler itself; in several processes each its own stream, so that their slices of the batch
    # get independent masks
    if processes.several:
        draws = torch.Generator(device=device).manual_seed(cfg.seed * 7919 + processes.rank)
    else:
        draws = sampler if device.type == "cpu" else torch.Generator(device=device).manual_seed(cfg.seed)
    numbers = {k: v for k, v in asdict(cfg).items() if k not in CADENCE_KEYS}  # what changes the trained model
    identity = {"objective": objective.to_dict(), "model_config": mcfg.to_dict(), "train_config": numbers,
                "dataset_fingerprint": data_io.dataset_fingerprint(data_dir), "code_fingerprint": code_fingerprint()}

    step, metrics = 0, []
    window_loss, window_steps = 0.0, 0  # training loss summed since the last log line
    checkpoint_path.with_name(checkpoint_path.name + ".tmp").unlink(missing_ok=True)  # a write that never finished
    state = None
    if checkpoint_path.exists():
        try:
            state = load_state(checkpoint_path, device, required=CHECKPOINT_KEYS)
        except UnreadableFileError as error:
            corrupt = checkpoint_path.with_name("checkpoint.corrupt.pt")
            os.replace(checkpoint_path, corrupt)
            log(f"{error}: kept as {corrupt}, starting afresh")
    if state is not None and state["identity"] != identity:
        stale = checkpoint_path.with_name("checkpoint.stale.pt")
        os.replace(checkpoint_path, stale)
        changed = sorted(k for k in identity if state["identity"].get(k) != identity[k])
        log(f"{checkpoint_path} came from a run with another {' and '.join(changed)}: kept as {stale}, starting afresh")
        state = None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        sampler.set_state(state["sampler"].cpu())
        if processes.several:
            draws.set_state(state["draws"][processes.rank].cpu())
        elif draws is not sampler:
            draws.set_state(state["draws"][0].cpu())
        torch.set_rng_state(state["torch_rng"].cpu())
        step, metrics = state["step"], state["metrics"]
        window_loss, window_steps = state["window"]
        log(f"resumed from {checkpoint_path} at step {step}")

    run_name = f"{Path(data_dir).name}/{objective.id}/seed{cfg.seed}"  # which run a log line belongs to
    log(
        f"training {run_name}: {objective.id} on {mcfg.architecture} ({model.num_parameters() / 1e6:.2f}M "
        f"parameters) on {device}: {len(train)} training sequences, {cfg.steps} steps of {cfg.batch_size}"
    )
    model.train()
    started = window_start = last_checkpoint = clock()
    first_step, window_tokens = step, 0
    latest_validation = ""  # the last validation exact match, for the progress line
    stop = StopRequest()
    with stop:
        while step < cfg.steps:
            idx = processes.my_slice(torch.randint(len(train), (cfg.batch_size,), generator=sampler))
            tokens, lengths, entities = train.training_batch(idx, host_lengths)
            loss = training_step(forward_model, optimizer, objective, tokens, lengths, draws, entities,
                                 precision, cfg.grad_clip)
            scheduler.step()
            step += 1
            window_loss += loss  # a tensor: no device sync until the next log line
            window_tokens += lengths.sum()
            window_steps += 1
            if step % cfg.log_every == 0 or step == cfg.steps:
                window_loss = float(processes.mean(window_loss))
                now = clock()
                rate = window_steps / max(now - window_start, 1e-9)
                tokens_per_s = float(window_tokens) * processes.world_size / max(now - window_start, 1e-9)
                eta = (cfg.steps - step) * (now - started) / max(step - first_step, 1)
                log(f"step {step}/{cfg.steps} loss {window_loss / window_steps:.4f} lr {scheduler.get_last_lr()[0]:.2e} "
                    f"{rate:.1f} steps/s {tokens_per_s:.0f} tokens/s{latest_validation} ETA {_duration(eta)} [{run_name}]")
            if (step % cfg.eval_every == 0 or step == cfg.steps) and processes.main:
                with autocast(precision, device):
                    summary = summarize(predict(model, validation_subset, objective.spec.decoding))
                row = curve_row(step, float(window_loss) / max(window_steps, 1), summary)
                metrics.append(row)
                write_metrics(metrics_path, metrics)
                log("eval " + " ".join(f"{k}={v:.1f}" for k, v in row.items() if k.endswith("exact_match"))
                    + f" (validation, step {step}) [{run_name}]")
                latest_validation = (" | validation exact match " + " ".join(
                    f"{d} {v['exact_match']:.0f}%" for d, v in summary.items()) + f" at step {step} |")
            if step % cfg.eval_every == 0:
                processes.barrier()  # the others wait for process 0's evaluation
            if step % cfg.log_every == 0 or step % cfg.eval_every == 0:
                window_loss, window_steps, window_start, window_tokens = 0.0, 0, clock(), 0
            due = bool(cfg.checkpoint_minutes) and clock() - last_checkpoint >= 60 * cfg.checkpoint_minutes
            stopping, due = processes.any_each([stop.signum is not None, due], device)
            periodic = due or bool(cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
            if step < cfg.steps and (periodic or stopping):
                window = (float(processes.mean(torch.as_tensor(window_loss, device=device))), window_steps)
                draw_states = processes.gather(draws.get_state()) if processes.several else \
                    ([draws.get_state()] if draws is not sampler else None)
                if processes.main:
                    atomic_save(
                        {
                            "identity": identity, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict(), "sampler": sampler.get_state(), "draws": draw_states,
                            "torch_rng": torch.get_rng_state(), "step": step, "metrics": metrics, "window": window,
                        },
                        checkpoint_path,
                    )
                last_checkpoint = clock()
                processes.barrier()
                if stopping:
                    log(f"signal {stop.signum} received: saved {checkpoint_path} at step {step}; rerun to continue")
                    processes.finish()
                    raise TrainingInterrupted(stop.signum or signal.SIGTERM, step)
            if stop_after is not None and step >= stop_after and step < cfg.steps:
                log(f"stopping early at step {step} as asked")
                processes.finish()
                return metrics

    if not processes.main:
        processes.barrier()
        processes.finish()
        return metrics
    write_metrics(metrics_path, metrics)
    atomic_save({"model": model.state_dict(), "model_config": mcfg.to_dict(), **identity, "step": step}, model_path)
    info = {**identity, "parameters": model.num_parameters(), **where_it_ran(device, precision),
            "processes": processes.world_size, "train_seconds_this_session": round(clock() - started, 1)}
    atomic_write_text(run_info_path, json.dumps(info, indent=1))
    checkpoint_path.unlink(missing_ok=True)
    processes.barrier()
    processes.finish()
    return metrics
