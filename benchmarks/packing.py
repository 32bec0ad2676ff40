"""Packed training against separate processes: K models in one pack beside K processes of one model.

    .venv/bin/python benchmarks/packing.py                           # the default grid below
    .venv/bin/python benchmarks/packing.py --tasks relationship --objectives mlm-u --packs 1 3

For each task's tiny dataset (generated on the fly), objective, model size and K, on the same core
budget (``--threads`` per process, default 1, processes one after another):
- ``separate``: K processes, each training one model (seeds 0..K-1) as a ``train_model`` job does;
- ``packed``: one process training the K models as one pack (``training.packed_training_step``),
  as a ``train_pack`` job does.
Each process builds the models and optimisers exactly as training does, runs ``--warmup`` steps, then
times ``--steps`` steps (the training step only: evaluation during training is per member either
way). Reported: tokens/s of the timed steps over all K models, the ratio packed / separate, and each
side's process time from start to exit (start-up, dataset load, model set-up: what K jobs pay K
times). Sizes: the tiny preset's model and ``small`` (4 layers of 256, the model-size sweep's largest
tiny point). Prints one table and writes it as CSV (default benchmarks/results/packing-<cpu>.csv).
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
    """Train ``spec['seeds']`` as the pipeline would (one model: training_step; several: a pack) and
    time the steps after the warm-up."""
    import torch

    from factorization_curse import config as fc
    from factorization_curse.data import encode_examples, load_split, load_tokenizer
    from factorization_curse.model import ModelConfig, Transformer
    from factorization_curse.objectives import Objective
    from factorization_curse.runtime import autocast_dtype, resolve_device
    from factorization_curse.training import (TrainConfig, learning_rate, make_optimizer, packed_training_step,
                                              training_step)

    torch.set_num_threads(spec["threads"])
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    settings = fc.run_settings({**config, "tasks": [spec["task"]]}, spec["task"], spec["objective"])
    objective = Objective.from_config(spec["objective"], settings["objective"])
    cfg = TrainConfig(**{k: v for k, v in settings["training"].items() if k in TrainConfig.__dataclass_fields__})
    device = resolve_device(spec.get("device", "cpu"))
    precision = autocast_dtype(spec["precision"], device)
    tokenizer = load_tokenizer(spec["data"])
    train = encode_examples(load_split(spec["data"], "train"), tokenizer).to(device)
    host_lengths = train.lengths.cpu()
    model_config = ModelConfig(vocab_size=len(tokenizer), **{**settings["model"], **SIZES[spec["size"]]})
    models, optimizers, samplers, schedulers = [], [], [], []
    for seed in spec["seeds"]:
        torch.manual_seed(seed)
        models.append(Transformer(model_config).to(device))
        optimizers.append(make_optimizer(models[-1], cfg))
        schedulers.append(torch.optim.lr_scheduler.LambdaLR(optimizers[-1], lambda s: learning_rate(s, cfg)))
        samplers.append(torch.Generator().manual_seed(seed))
    # the objectives' random streams: the sampler on a CPU, a generator on the device otherwise (as training)
    draws = samplers if device.type == "cpu" else [torch.Generator(device=device).manual_seed(s) for s in spec["seeds"]]
    packs: dict = {}
    tokens, started = 0, None
    for step in range(spec["warmup"] + spec["steps"]):
        if step == spec["warmup"]:
            tokens, started = 0, time.perf_counter()
        batches = [train.training_batch(torch.randint(len(train), (cfg.batch_size,), generator=g), host_lengths)
                   for g in samplers]
        if len(models) == 1:
            losses = [training_step(models[0], optimizers[0], objective, *batches[0][:2], draws[0], batches[0][2],
                                    precision, cfg.grad_clip)]
        else:
            losses = packed_training_step(models, optimizers, objective, batches, draws, precision, cfg.grad_clip,
                                          packs)
        for scheduler in schedulers:
            scheduler.step()
        float(sum(losses))  # the step's work is done (the device synchronised) before the clock reads
        tokens += sum(int(lengths.sum()) for _, lengths, _ in batches)
    seconds = time.perf_counter() - started
    return {"tokens": tokens, "seconds": seconds, "precision": str(precision or torch.float32).removeprefix("torch.")}


def run_worker(spec: dict) -> dict:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"worker {spec} failed:\n{out.stderr[-3000:]}")
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_s": time.perf_counter() - started}


def device_label(device: str) -> str:
    if device == "cuda":
        import torch

        return torch.cuda.get_device_name()
    return cpu_name()


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or "cpu"


def main(argv=None) -> pd.DataFrame:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return pd.DataFrame()
    from factorization_curse.data import make_dataset

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    cpu = device_label(args.device)
    print(f"{cpu}: {args.threads} thread(s) per process, processes one after another, precision {args.precision}",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            data = Path(tmp) / task
            make_dataset(task, config["presets"]["tiny"]["data"][task], config.get("data_seed", 0), data)
            for objective in args.objectives:
                for size in args.sizes:
                    for k in args.packs:
                        base = {"task": task, "data": str(data), "objective": objective, "size": size,
                                "threads": args.threads, "precision": args.precision, "warmup": args.warmup,
                                "device": args.device,
                                "steps": args.steps}
                        alone = [run_worker({**base, "seeds": [seed]}) for seed in range(k)]
                        pack = run_worker({**base, "seeds": list(range(k))})
                        separate_rate = sum(r["tokens"] for r in alone) / sum(r["seconds"] for r in alone)
                        packed_rate = pack["tokens"] / pack["seconds"]
                        rows.append({"device": cpu, "precision": pack["precision"], "threads": args.threads,
                                     "task": task, "objective": objective, "size": size, "K": k,
                                     "separate_tokens_per_s": round(separate_rate),
                                     "packed_tokens_per_s": round(packed_rate),
                                     "ratio": round(packed_rate / separate_rate, 2),
                                     "separate_process_s": round(sum(r["process_s"] for r in alone), 1),
                                     "packed_process_s": round(pack["process_s"], 1)})
                        print(" ".join(f"{key}={value}" for key, value in rows[-1].items() if key != "device"), flush=True)
    frame = pd.DataFrame(rows)
    print(frame.drop(columns="device").to_string(index=False))
    slug = "".join(c if c.isalnum() else "-" for c in cpu.lower()).strip("-")[:40]
    out = args.out or ROOT / "benchmarks" / "results" / f"packing-{slug}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"wrote {out}")
    return frame


if __name__ == "__main__":
    main()
