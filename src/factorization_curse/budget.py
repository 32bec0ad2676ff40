"""What a training run will cost before it runs: steps, FLOPs and GPU hours per (dataset, objective).

Read from the real things, not from a formula: the built dataset (how many training sequences,
how long), the model and objective at the preset's settings, and the training step itself, whose
forward and backward FLOPs ``torch.utils.flop_counter`` counts on a few real rows of a training
batch (the step pads a batch to its own longest row, so that width is what is counted) and scales
to the batch size. Steps come from the epochs exactly as ``train_model`` derives them. Hours follow
from an assumed model FLOPs utilisation (MFU) of a GPU's peak: the one guess here, until
``benchmarks/gpu_check.sh`` measures the MFU on the GPU at hand. ``benchmarks/paper_budget.py``
prints the estimate for a preset; the paper preset's SLURM runtimes in config.yaml come from it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import data as data_io
from .config import run_settings
from .model import ModelConfig, Transformer
from .objectives import Objective
from .training import loss_on, steps_for_epochs

# Dense bf16 tensor-core peak of an H200 (the same as an H100 SXM), FLOP/s, from NVIDIA's datasheet
# (989 TFLOP/s without sparsity). Peak of the GPU the estimate is for; a measured one can be passed.
H200_BF16_PEAK_FLOPS = 989e12


@dataclass(frozen=True)
class RunBudget:
    """One training run's size and cost: ``step_flops`` forward and backward, optimiser excluded
    (a few FLOPs per parameter, nothing beside the matrices)."""

    dataset: str
    objective: str
    architecture: str
    parameters: int
    training_sequences: int
    sequences_per_step: int
    steps: int
    batch_width: float
    step_flops: float

    @property
    def total_flops(self) -> float:
        return self.steps * self.step_flops

    def gpu_hours(self, mfu: float, peak_flops: float = H200_BF16_PEAK_FLOPS) -> float:
        """Hours on one GPU that sustains ``mfu`` of ``peak_flops``."""
        if not 0 < mfu <= 1:
            raise ValueError(f"mfu must be a fraction in (0, 1], got {mfu}")
        return self.total_flops / (mfu * peak_flops) / 3600


def random_batches(lengths: torch.Tensor, batch_size: int, batches: int = 8, seed: int = 0) -> list[torch.Tensor]:
    """Row indices of ``batches`` random training batches (drawn as the training loop draws them:
    uniformly with replacement)."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(len(lengths), (batch_size,), generator=g) for _ in range(batches)]


def count_step_flops(model: Transformer, objective: Objective, split: data_io.EncodedSplit, batch: torch.Tensor,
                     rows: int = 4, seed: int = 0) -> float:
    """FLOPs of the forward and backward pass of one training batch (row indices ``batch``), counted
    on its longest row and ``rows - 1`` others at the batch's width, scaled to the batch size (every
    FLOP of a step belongs to one sequence). Scored at every position (``only_targets`` off), as on
    a GPU."""
    longest = batch[split.lengths[batch].argmax()]
    picked = torch.cat([longest.view(1), batch[torch.randperm(len(batch), generator=torch.Generator().manual_seed(seed))[
        : rows - 1]]])
    tokens, lengths, entities = split.training_batch(picked)
    generator = torch.Generator().manual_seed(seed)
    with FlopCounterMode(display=False) as counter:
        loss_on(model, objective, tokens, lengths, generator, entities, only_targets=False).backward()
    model.zero_grad(set_to_none=True)
    return float(counter.get_total_flops()) * len(batch) / len(picked)


def run_budget(config: dict, dataset: str, objective_id: str, data_dir: str | Path, batches: int = 4,
               flops_cache: dict | None = None) -> RunBudget:
    """The budget of training ``objective_id`` on ``dataset`` (built in ``data_dir``) at the config's
    preset: the model at full size on the CPU, in fp32 (FLOP counts do not depend on precision).
    ``flops_cache`` (a dict kept between calls) reuses a step's count for another objective with the
    same model and batch shape: with every position scored, which positions an objective masks or
    predicts changes no FLOP."""
    settings = run_settings(config, dataset, objective_id)
    training, objective = settings["training"], Objective.from_config(objective_id, settings["objective"])
    tokenizer = data_io.load_tokenizer(data_dir)
    split = data_io.encode_examples(data_io.load_split(data_dir, "train"), tokenizer)
    batch_size = int(training["batch_size"])
    per_step = batch_size * (2 if objective.spec.doubles_batch else 1)
    epochs = float(training.get("epochs") or 0)
    steps = steps_for_epochs(epochs, len(split), per_step) if epochs else int(training["steps"])
    model_settings = dict(settings["model"])
    model = Transformer(ModelConfig(vocab_size=len(tokenizer), **model_settings)).train()
    objective.check_architecture(model_settings["architecture"])
    draws = random_batches(split.lengths, batch_size, batches)
    cache = {} if flops_cache is None else flops_cache
    key = (str(data_dir), json.dumps(model_settings, sort_keys=True), batch_size, objective.spec.doubles_batch, batches)
    if key not in cache:
        cache[key] = [count_step_flops(model, objective, split, batch, seed=k) for k, batch in enumerate(draws)]
    flops = cache[key]
    return RunBudget(
        dataset=dataset, objective=objective_id, architecture=model_settings["architecture"],
        parameters=model.num_parameters(), training_sequences=len(split), sequences_per_step=per_step, steps=steps,
        batch_width=float(sum(int(split.lengths[b].max()) for b in draws) / len(draws)),
        step_flops=sum(flops) / len(flops),
    )


def runtime_request_minutes(hours: float, safety: float = 1.5, floor_minutes: int = 120,
                            ceiling_minutes: int = 24 * 60) -> int:
    """The SLURM time limit for a run estimated at ``hours``: ``safety`` times the estimate, rounded
    up to the hour, at least ``floor_minutes`` (a FLOP count leaves out the per-step cost of kernel
    launches and the optimiser, which dominates at short sequences: the paper preset's retrieval
    runs 39k steps of 12 tokens); at most ``ceiling_minutes`` (a longer run continues from its
    checkpoint when the profile resubmits it)."""
    minutes = math.ceil(hours * safety) * 60
    return int(min(max(minutes, floor_minutes), ceiling_minutes))
