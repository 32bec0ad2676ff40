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
from .objectives import Factorization, Objective
from .packing import PackedTransformer, same_width_groups, stack_factorizations
from .runtime import (UnreadableFileError, atomic_save, atomic_write_text, autocast, autocast_dtype, code_fingerprint,
                      device_name, git_commit, load_state, resolve_device)
from .settings import CADENCE_KEYS, TrainConfig

# Seconds on a clock that never jumps back: progress rates and the checkpoint_minutes cadence read it
# (one name, so a test can drive the cadence with a clock of its own).
clock = time.monotonic


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


def factorization_loss(logits: torch.Tensor, fact: Factorization, only_targets: bool) -> torch.Tensor:
    """The weighted negative log-likelihood of ``fact``, averaged over the sequences it holds, from
    the logits of its target rows [N, V] (``only_targets``) or of every position [B, T, V]."""
    if only_targets:
        targets = fact.targets
        nll = F.cross_entropy(logits.float(), fact.tokens[targets], reduction="none")
        return (nll * fact.weights[targets]).sum() / fact.tokens.shape[0]
    nll = F.cross_entropy(logits.float().flatten(0, 1), fact.tokens.flatten(), reduction="none")
    return (nll * fact.weights.flatten()).sum() / fact.tokens.shape[0]


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
    return factorization_loss(model(fact.tokens, fact.rank, fact.targets if only_targets else None), fact, only_targets)


def losses_on_pack(models: list, objective: Objective, batches: list[tuple], generators: list,
                   only_targets: bool | None = None, packs: dict | None = None) -> list[torch.Tensor]:
    """:func:`loss_on` for each of K models, each with its own batch (tokens, lengths, entities) and
    random stream: each factorization is drawn exactly as alone, then the models whose factorizations
    share a width run as one :class:`PackedTransformer` (kept in ``packs`` between steps)."""
    facts = [objective(tokens, lengths, generator, entities)
             for (tokens, lengths, entities), generator in zip(batches, generators)]
    if only_targets is None:
        only_targets = batches[0][0].device.type == "cpu"
    packs = {} if packs is None else packs
    losses: list = [None] * len(models)
    for group in same_width_groups(facts):
        if len(group) == 1:
            fact = facts[group[0]]
            logits = [models[group[0]](fact.tokens, fact.rank, fact.targets if only_targets else None)]
        else:
            key = tuple(id(models[i]) for i in group)
            pack = packs.get(key) or packs.setdefault(key, PackedTransformer([models[i] for i in group]))
            both = stack_factorizations([facts[i] for i in group])
            logits = pack(both.tokens, both.rank, both.targets if only_targets else None)
        for i, rows in zip(group, logits):
            losses[i] = factorization_loss(rows, facts[i], only_targets)
    return losses


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


def packed_training_step(models: list, optimizers: list, objective: Objective, batches: list[tuple],
                         generators: list, precision: torch.dtype | None = None, grad_clip: float = 0.0,
                         packs: dict | None = None) -> list[torch.Tensor]:
    """:func:`training_step` for K models at once (:func:`losses_on_pack`): one forward and backward
    pass, then each model's own clipping and optimiser step. Returns each model's loss."""
    with autocast(precision, batches[0][0].device):
        losses = losses_on_pack(models, objective, batches, generators, packs=packs)
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    torch.autograd.backward(losses)  # model k's gradients are those of its own loss alone
    for model, optimizer in zip(models, optimizers):
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
    return [loss.detach() for loss in losses]


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


# what a rolling checkpoint holds (a member writes and reads it)
CHECKPOINT_KEYS = ("identity", "model", "optimizer", "scheduler", "sampler", "draws", "torch_rng", "step", "metrics",
                   "window")


@dataclass
class RunFiles:
    """Where one model's outputs go; the rolling checkpoint defaults to checkpoint.pt beside the model."""

    model: Path
    metrics: Path
    run_info: Path
    checkpoint: Path | None = None

    def __post_init__(self):
        self.model, self.metrics, self.run_info = Path(self.model), Path(self.metrics), Path(self.run_info)
        self.checkpoint = Path(self.checkpoint) if self.checkpoint else self.model.with_name("checkpoint.pt")


class Member:
    """One model of a training job and everything that is its own: parameters, optimiser and
    schedule, the host generator that draws its batches, the stream of its masks and orders, its
    validation questions, learning curve, progress window and rolling checkpoint. A job trains one
    member, or several of one configuration as a pack (:func:`train_models`)."""

    def __init__(self, cfg: TrainConfig, files: RunFiles, mcfg: ModelConfig, identity: dict, validation,
                 device: torch.device, processes: Processes, run_name: str):
        self.cfg, self.files, self.identity, self.run_name = cfg, files, identity, run_name
        torch.manual_seed(cfg.seed)
        pick = torch.randperm(len(validation), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.eval_max_examples]
        self.validation = validation.select(pick).to(device)
        self.model = Transformer(mcfg).to(device)
        self.optimizer = make_optimizer(self.model, cfg)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: learning_rate(s, cfg))
        # batch rows on the host (the same global batches in every process), with the rows' lengths there
        # too: a batch's width is known without reading the device
        self.sampler = torch.Generator().manual_seed(cfg.seed)
        # the objective's random choices (masks, orders), on the device: on a CPU in one process the
        # sampler itself; in several processes each its own stream, so that their slices of the batch
        # get independent masks
        if processes.several:
            self.draws = torch.Generator(device=device).manual_seed(cfg.seed * 7919 + processes.rank)
        else:
            self.draws = self.sampler if device.type == "cpu" else torch.Generator(device=device).manual_seed(cfg.seed)
        self.torch_rng = torch.get_rng_state()
        self.step, self.metrics = 0, []
        self.window_loss, self.window_steps = 0.0, 0  # training loss summed since the last log line
        self.latest_validation = ""  # the last validation exact match, for the progress line

    def resume(self, device: torch.device, processes: Processes, log: Callable[[str], None]) -> None:
        """Continue from the rolling checkpoint if there is one of this very run; a damaged one, or
        one of another run (other settings, dataset or code), is set aside and the run starts afresh."""
        checkpoint = self.files.checkpoint
        checkpoint.with_name(checkpoint.name + ".tmp").unlink(missing_ok=True)  # a write that never finished
        if not checkpoint.exists():
            return
        try:
            state = load_state(checkpoint, device, required=CHECKPOINT_KEYS)
        except UnreadableFileError as error:
            corrupt = checkpoint.with_name("checkpoint.corrupt.pt")
            os.replace(checkpoint, corrupt)
            log(f"{error}: kept as {corrupt}, starting afresh")
            return
        if state["identity"] != self.identity:
            stale = checkpoint.with_name("checkpoint.stale.pt")
            os.replace(checkpoint, stale)
            changed = sorted(k for k in self.identity if state["identity"].get(k) != self.identity[k])
            log(f"{checkpoint} came from a run with another {' and '.join(changed)}: kept as {stale}, starting afresh")
            return
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.sampler.set_state(state["sampler"].cpu())
        if processes.several:
            self.draws.set_state(state["draws"][processes.rank].cpu())
        elif self.draws is not self.sampler:
            self.draws.set_state(state["draws"][0].cpu())
        self.torch_rng = state["torch_rng"].cpu()
        self.step, self.metrics = state["step"], state["metrics"]
        self.window_loss, self.window_steps = state["window"]
        log(f"resumed from {checkpoint} at step {self.step}")

    @property
    def done(self) -> bool:
        return self.step >= self.cfg.steps

    def next_batch(self, train, host_lengths, processes: Processes) -> tuple:
        """This member's next batch (tokens, lengths, entities), drawn by its own sampler."""
        idx = processes.my_slice(torch.randint(len(train), (self.cfg.batch_size,), generator=self.sampler))
        return train.training_batch(idx, host_lengths)

    def save_checkpoint(self, processes: Processes, device: torch.device) -> None:
        window = (float(processes.mean(torch.as_tensor(self.window_loss, device=device))), self.window_steps)
        draw_states = processes.gather(self.draws.get_state()) if processes.several else \
            ([self.draws.get_state()] if self.draws is not self.sampler else None)
        if processes.main:
            atomic_save({
                "identity": self.identity, "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "sampler": self.sampler.get_state(), "draws": draw_states,
                "torch_rng": self.torch_rng, "step": self.step, "metrics": self.metrics, "window": window,
            }, self.files.checkpoint)

    def finish(self, mcfg: ModelConfig, info: dict) -> None:
        """The final model, curve and run.json; the rolling checkpoint goes."""
        write_metrics(self.files.metrics, self.metrics)
        atomic_save({"model": self.model.state_dict(), "model_config": mcfg.to_dict(), **self.identity,
                     "step": self.step}, self.files.model)
        atomic_write_text(self.files.run_info, json.dumps({**self.identity, "parameters": self.model.num_parameters(),
                                                           **info}, indent=1))
        self.files.checkpoint.unlink(missing_ok=True)


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
    files = RunFiles(model_path, metrics_path, run_info_path, checkpoint_path)
    return train_models(data_dir, objective, model_config, [train_config], [files], log, stop_after)[0]


def train_models(
    data_dir: str | Path,
    objective: Objective,
    model_config: dict,
    train_configs: list[TrainConfig],
    files: list[RunFiles],
    log: Callable[[str], None] = print,
    stop_after: int | None = None,
) -> list[list[dict]]:
    """Train K models that differ only in their seed, in one process, as :func:`train_model`
    trains each (its outputs, checkpoints, resume and interruption), and return their curves.

    With K > 1 they train as a pack (:mod:`packing`): every step runs one forward and backward pass
    for all members, each on its own batch, masks and optimiser, which in fp32 on a CPU gives each
    member bit for bit the model it gets alone. Evaluation during training and checkpoints stay per
    member. A pack trains in one process (no torchrun) and without ``compile``.
    """
    if len(train_configs) != len(files) or not train_configs:
        raise ValueError(f"one output set per model: {len(train_configs)} configurations, {len(files)} output sets")
    cfg = train_configs[0]
    if any(replace(c, seed=0) != replace(cfg, seed=0) for c in train_configs):
        raise ValueError("the models of a pack may differ in their seed only")
    if len({c.seed for c in train_configs}) != len(train_configs):
        raise ValueError(f"a pack's seeds must differ: {[c.seed for c in train_configs]}")
    packed = len(train_configs) > 1
    processes = Processes.from_environment()
    if packed and (processes.several or cfg.compile):
        raise ValueError("a pack trains in one process without compile: train its models one by one under "
                         "torchrun, or set compile: false")
    processes.check_batch(cfg.batch_size)
    device = processes.start(resolve_device(cfg.device))
    if not processes.main:
        log = lambda message: None  # noqa: E731 (process 0 reports for all)

    tokenizer = data_io.load_tokenizer(data_dir)
    train = data_io.encode_examples(data_io.load_split(data_dir, "train"), tokenizer).to(device)
    if cfg.epochs:
        per_step = cfg.batch_size * (2 if objective.spec.doubles_batch else 1)
        steps = steps_for_epochs(cfg.epochs, len(train), per_step)
        train_configs = [replace(c, steps=steps) for c in train_configs]
        cfg = train_configs[0]
        log(f"{cfg.epochs:g} epochs of {len(train)} training sequences, {per_step} sequences a step: {cfg.steps} steps")
    # learning curves read the validation split; the test split is scored once, by evaluate_model
    validation = data_io.encode_examples(data_io.load_split(data_dir, "validation"), tokenizer)

    mcfg = ModelConfig(vocab_size=len(tokenizer), **model_config)
    objective.check_architecture(mcfg.architecture)
    precision = autocast_dtype(cfg.precision, device)
    fingerprints = {"dataset_fingerprint": data_io.dataset_fingerprint(data_dir), "code_fingerprint": code_fingerprint()}
    members = []
    for c, f in zip(train_configs, files):
        numbers = {k: v for k, v in asdict(c).items() if k not in CADENCE_KEYS}  # what changes the trained model
        identity = {"objective": objective.to_dict(), "model_config": mcfg.to_dict(), "train_config": numbers,
                    **fingerprints}
        run_name = f"{Path(data_dir).name}/{objective.id}/seed{c.seed}"  # which run a log line belongs to
        member = Member(c, f, mcfg, identity, validation, device, processes, run_name)
        member.resume(device, processes, log)
        members.append(member)
    forward_model = members[0].model
    if processes.several:
        forward_model = DistributedDataParallel(forward_model, device_ids=[device.index] if device.type == "cuda" else None)
    forward_model = torch.compile(forward_model) if cfg.compile else forward_model
    host_lengths = train.lengths.cpu()

    for m in members:
        log(f"training {m.run_name}: {objective.id} on {mcfg.architecture} ({m.model.num_parameters() / 1e6:.2f}M "
            f"parameters) on {device}: {len(train)} training sequences, {cfg.steps} steps of {cfg.batch_size}")
    if packed:
        log(f"{len(members)} models trained as one pack (seeds {', '.join(str(c.seed) for c in train_configs)})")
    pack_name = members[0].run_name if not packed else \
        f"{Path(data_dir).name}/{objective.id}/seeds {','.join(str(c.seed) for c in train_configs)}"
    for m in members:
        m.model.train()
    started = window_start = last_checkpoint = clock()
    first_step, window_tokens = min(m.step for m in members), 0
    packs, stop = {}, StopRequest()  # packs: the PackedTransformer of each group of members met so far
    with stop:
        while not all(m.done for m in members):
            # every unfinished member at the lowest step steps (after a resume they may differ)
            low = min(m.step for m in members if not m.done)
            group = [m for m in members if not m.done and m.step == low]
            batches = [m.next_batch(train, host_lengths, processes) for m in group]
            if len(group) == 1:
                losses = [training_step(forward_model if group[0] is members[0] else group[0].model,
                                        group[0].optimizer, objective, *batches[0][:2], group[0].draws, batches[0][2],
                                        precision, cfg.grad_clip)]
            else:
                losses = packed_training_step([m.model for m in group], [m.optimizer for m in group], objective,
                                              batches, [m.draws for m in group], precision, cfg.grad_clip, packs)
            for m, loss in zip(group, losses):
                m.scheduler.step()
                m.step += 1
                m.window_loss += loss  # a tensor: no device sync until the next log line
                m.window_steps += 1
            step = low + 1
            window_tokens += sum(lengths.sum() for _, lengths, _ in batches)
            if step % cfg.log_every == 0 or step == cfg.steps:
                now = clock()
                rate = min(m.window_steps for m in group) / max(now - window_start, 1e-9)
                tokens_per_s = float(window_tokens) * processes.world_size / max(now - window_start, 1e-9)
                eta = (cfg.steps - step) * (now - started) / max(step - first_step, 1)
                for m in group:
                    m.window_loss = float(processes.mean(m.window_loss))
                    log(f"step {step}/{cfg.steps} loss {m.window_loss / m.window_steps:.4f} lr "
                        f"{m.scheduler.get_last_lr()[0]:.2e} {rate:.1f} steps/s {tokens_per_s:.0f} tokens/s"
                        f"{m.latest_validation} ETA {_duration(eta)} [{m.run_name}]")
            for m in group:
                if (step % cfg.eval_every == 0 or step == cfg.steps) and processes.main:
                    with autocast(precision, device):
                        summary = summarize(predict(m.model, m.validation, objective.spec.decoding))
                    row = curve_row(step, float(m.window_loss) / max(m.window_steps, 1), summary)
                    m.metrics.append(row)
                    write_metrics(m.files.metrics, m.metrics)
                    log("eval " + " ".join(f"{k}={v:.1f}" for k, v in row.items() if k.endswith("exact_match"))
                        + f" (validation, step {step}) [{m.run_name}]")
                    m.latest_validation = (" | validation exact match " + " ".join(
                        f"{d} {v['exact_match']:.0f}%" for d, v in summary.items()) + f" at step {step} |")
            if step % cfg.eval_every == 0:
                processes.barrier()  # the others wait for process 0's evaluation
            if step % cfg.log_every == 0 or step % cfg.eval_every == 0:
                for m in group:
                    m.window_loss, m.window_steps = 0.0, 0
                window_start, window_tokens = clock(), 0
            due = bool(cfg.checkpoint_minutes) and clock() - last_checkpoint >= 60 * cfg.checkpoint_minutes
            stopping, due = processes.any_each([stop.signum is not None, due], device)
            periodic = due or bool(cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
            saving = [m for m in (members if stopping else group) if not m.done] if (periodic or stopping) else []
            for m in saving:
                m.save_checkpoint(processes, device)
            if saving:
                last_checkpoint = clock()
                processes.barrier()
            if stopping:
                log(f"signal {stop.signum} received: saved the checkpoint of {pack_name} at step {step}; rerun to continue")
                processes.finish()
                raise TrainingInterrupted(stop.signum or signal.SIGTERM, step)
            if stop_after is not None and all(m.step >= stop_after or m.done for m in members) \
                    and not all(m.done for m in members):
                log(f"stopping early at step {step} as asked")
                processes.finish()
                return [m.metrics for m in members]

    if not processes.main:
        processes.barrier()
        processes.finish()
        return [m.metrics for m in members]
    info = {**where_it_ran(device, precision), "processes": processes.world_size, "pack_size": len(members),
            "train_seconds_this_session": round(clock() - started, 1)}
    for m in members:
        m.finish(mcfg, info)
    processes.barrier()
    processes.finish()
    return [m.metrics for m in members]
