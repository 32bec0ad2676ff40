"""Several processes (GPUs) training one model: DistributedDataParallel under ``torchrun``.

Every process draws the same global batch from the same sampler and trains on its own equal slice;
DDP averages the gradients, so the update equals the single-process one on the whole batch (the
global batch size does not depend on the number of processes). Process 0 evaluates, logs and writes
checkpoints and outputs. A training job that asks for more than one GPU re-launches itself with
``torchrun`` (:func:`factorization_curse.launch.run_with_torchrun`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Processes:
    """This process's place among the training processes (one, outside torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @classmethod
    def from_environment(cls) -> "Processes":
        env = os.environ
        return cls(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def several(self) -> bool:
        return self.world_size > 1

    def start(self, device: torch.device) -> torch.device:
        """Join the process group (NCCL on GPUs, gloo on CPU); return this process's device."""
        if not self.several:
            return device
        if device.type == "cuda":
            device = torch.device("cuda", self.local_rank)
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        return device

    def check_batch(self, batch_size: int) -> None:
        if batch_size % self.world_size:
            raise ValueError(f"batch_size {batch_size} does not split over {self.world_size} processes; "
                             f"use a multiple of {self.world_size}")

    def my_slice(self, global_indices: torch.Tensor) -> torch.Tensor:
        return global_indices.view(self.world_size, -1)[self.rank] if self.several else global_indices

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        if self.several:
            value = value.clone()
            dist.all_reduce(value)
            value /= self.world_size
        return value

    def any_each(self, flags: list[bool], device: torch.device) -> list[bool]:
        """Per flag: True on every process when it is True on one (a stop signal may reach them at
        different steps; clocks differ), all in one all-reduce."""
        if not self.several:
            return [bool(f) for f in flags]
        t = torch.tensor([int(f) for f in flags], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def gather(self, obj) -> list:
        if not self.several:
            return [obj]
        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.several:
            dist.barrier()

    def finish(self) -> None:
        if self.several and dist.is_initialized():
            dist.destroy_process_group()
