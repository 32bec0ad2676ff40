"""Packed training against separate runs: K models in one pack beside K models trained apart.

    .venv/bin/python benchmarks/packing.py                           # the default grid below
    .venv/bin/python benchmarks/packing.py --tasks relationship --objectives mlm-u --packs 1 3

For each task's tiny dataset (generated on the fly), objective, model size and K, on one core
(``--threads`` per process, default 1):
- ``separate``: K models (seeds 0..K-1), each stepped on its own, as K ``train_model`` jobs step
  them (``training.training_step``);
- ``packed``: K more models of the same seeds stepped as one pack, as a ``train_pack`` job steps
  them (``training.packed_training_step``).
Both sets live in one process and their steps alternate (K separate steps, then one packed step),
so that both see the same machine: a shared machine's load changes between runs, not between two
neighbouring steps. After ``--warmup`` steps, ``--steps`` are timed (the training step only:
evaluation during training is per model either way). Reported: tokens/s over all K models, the
ratio packed / separate, and ``startup_s``, what one training job spends before its first step
(a fresh process: imports, dataset, model and optimiser set-up), which K separate jobs pay K times
and a pack once. Sizes: the tiny preset's model and ``small`` (4 layers of 256, the model-size
sweep's largest tiny point). ``--device cuda`` measures a GPU (benchmarks/gpu_check.sh). Prints one
table and writes it as CSV (default benchmarks/results/packing-<device>.csv).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"tiny": {}, "small": {"n_layer": 4, "d_model": 256}}  # over the tiny preset's model


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["retrieval", "relationship", "bios", "stargraph"])
    p.add_argument("--objectives", nargs="+", default=["ar", "mlm-15", "mlm-u"],
                   help="one per architecture: decoder, encoder, encoder-decoder")
    p.add_argument("--packs", nargs="+", type=int, default=[1, 2, 4, 8], help="K: models per pack")
    p.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    p.add_argument("--steps", type=int, default=10, help="timed steps per process")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="cuda: the GPU, where a tiny model's step waits on kernel launches (gpu_check.sh)")
    p.add_argument("--out", type=Path)
    p.add_argument("--worker", type=json.loads, help=argparse.SUPPRESS)  # one process's measurement
    return p.parse_args(argv)


def worker(spec: dict) -> dict:
    """Step ``spec['seeds']`` apart and as a pack, alternating, and time both after the warm-up;
    with ``startup_only``, stop before the first step (the start-up a job pays)."""
    from dataclasses import replace

    import torch

    from factorization_curse import config as fc
    from factorization_curse.data import encode_examples, load_split, load_tokenizer
    from factorization_curse.distributed import Processes
    from factorization_curse.model import ModelConfig
    from factorization_curse.objectives import Objective
    from factorization_curse.runtime import autocast_dtype, resolve_device
    from factorization_curse.training import Member, RunFiles, TrainConfig, packed_training_step, training_step

    torch.set_num_threads(spec["threads"])
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    settings = fc.run_settings({**config, "tasks": [spec["task"]]}, spec["task"], spec["objective"])
    objective = Objective.from_config(spec["objective"], settings["objective"])
    cfg = TrainConfig(**{k: v for k, v in settings["training"].items() if k in TrainConfig.__dataclass_fields__})
    device = resolve_device(spec.get("device", "cpu"))
    processes = Processes.from_environment()
    precision = autocast_dtype(spec["precision"], device)
    tokenizer = load_tokenizer(spec["data"])
    train = encode_examples(load_split(spec["data"], "train"), tokenizer).to(device)
    validation = encode_examples(load_split(spec["data"], "validation"), tokenizer)
    host_lengths = train.lengths.cpu()
    model_config = ModelConfig(vocab_size=len(tokenizer), **{**settings["model"], **SIZES[spec["size"]]})

    def build() -> list[Member]:
        """The models of ``seeds`` as training builds them (nothing is written: no step is saved)."""
        unused = RunFiles("model.pt", "metrics.jsonl", "run.json")
        return [Member(replace(cfg, seed=seed), unused, model_config, {}, validation, device, processes, f"seed{seed}")
                for seed in spec["seeds"]]

    apart = build()
    if spec.get("startup_only"):
        return {}
    together = build()
    packs: dict = {}
    seconds = {"separate": 0.0, "packed": 0.0}
    tokens = {"separate": 0, "packed": 0}  # the same batches on both sides: equal (tested)
    for step in range(spec["warmup"] + spec["steps"]):
        timed = step >= spec["warmup"]
        started = time.perf_counter()
        for m in apart:
            tokens_, lengths, entities = m.next_batch(train, host_lengths, processes)
            loss = training_step(m.model, m.optimizer, objective, tokens_, lengths, m.draws, entities, precision,
                                 cfg.grad_clip)
            m.scheduler.step()
            float(loss)  # the step's work is done (the device synchronised) before the clock reads
            tokens["separate"] += int(lengths.sum()) if timed else 0
        middle = time.perf_counter()
        batches = [m.next_batch(train, host_lengths, processes) for m in together]
        losses = packed_training_step([m.model for m in together], [m.optimizer for m in together], objective,
                                      batches, [m.draws for m in together], precision, cfg.grad_clip, packs)
        for m in together:
            m.scheduler.step()
        float(sum(losses))
        tokens["packed"] += sum(int(lengths.sum()) for _, lengths, _ in batches) if timed else 0
        if timed:
            seconds["separate"] += middle - started
            seconds["packed"] += time.perf_counter() - middle
    return {"tokens": tokens["separate"], "packed_tokens": tokens["packed"], **seconds,
            "precision": str(precision or torch.float32).removeprefix("torch.")}


def run_worker(spec: dict) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"worker {spec} failed:\n{out.stderr[-3000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_s": time.perf_counter() - started}


def device_label(device: str) -> str:
    """The GPU's or CPU's model name (runtime.device_name, as run.json records it)."""
    import torch

    from factorization_curse.runtime import device_name

    return device_name(torch.device(device))


def main(argv=None) -> pd.DataFrame:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return pd.DataFrame()
    from factorization_curse.data import make_dataset

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    device = device_label(args.device)
    print(f"{device}: {args.threads} thread(s), separate and packed steps alternating, precision {args.precision}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            data = Path(tmp) / task
            make_dataset(task, config["presets"]["tiny"]["data"][task], config.get("data_seed", 0), data)
            for objective in args.objectives:
                for size in args.sizes:
                    base = {"task": task, "data": str(data), "objective": objective, "size": size,
                            "threads": args.threads, "precision": args.precision, "warmup": args.warmup,
                            "steps": args.steps, "device": args.device}
                    startup = run_worker({**base, "seeds": [0], "startup_only": True})["process_s"]
                    for k in args.packs:
                        r = run_worker({**base, "seeds": list(range(k))})
                        rows.append({"device": device, "precision": r["precision"], "threads": args.threads,
                                     "task": task, "objective": objective, "size": size, "K": k,
                                     "separate_tokens_per_s": round(r["tokens"] / r["separate"]),
                                     "packed_tokens_per_s": round(r["tokens"] / r["packed"]),
                                     "ratio": round(r["separate"] / r["packed"], 2), "startup_s": round(startup, 1)})
                        print(" ".join(f"{key}={value}" for key, value in rows[-1].items() if key != "device"),
                              flush=True)
    frame = pd.DataFrame(rows)
    print(frame.drop(columns="device").to_string(index=False))
    slug = "".join(c if c.isalnum() else "-" for c in device.lower()).strip("-")[:40]
    out = args.out or ROOT / "benchmarks" / "results" / f"packing-{slug}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"wrote {out}")
    return frame


if __name__ == "__main__":
    main()
