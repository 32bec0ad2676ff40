"""How much could training K small models in one process (packing) gain on this machine?

    .venv/bin/python benchmarks/packing_ceiling.py                     # every task, K = 1 2 4 8
    .venv/bin/python benchmarks/packing_ceiling.py --tasks retrieval --objectives ar

Packing K models of one architecture into batched weights runs each operator once for all K: it
saves the per-operator overhead (dispatch, kernel launch) K-1 times, never the arithmetic or the
memory traffic. The most it can gain is therefore what one model gains from a K times larger batch
on the same data: ``ceiling = K * t(B) / t(K * B)`` (t: seconds per training step, B: the preset's
batch). A ceiling near K says the steps are overhead-bound (what packing is for, e.g. a GPU at
these sizes); near 1, arithmetic- or memory-bound, and packing cannot help. Measured with the
pipeline's own training step on each task's tiny dataset (generated on the fly), one thread, the
precision ``auto`` picks; the model sizes of the tiny preset and one twice as wide (``wide``).
Prints one table and writes it as CSV (default results/bench/packing-ceiling-<device>.csv).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]

from factorization_curse import config as fc  # noqa: E402
from factorization_curse import throughput as bench  # noqa: E402
from factorization_curse.data import encode_examples, load_split, load_tokenizer, make_dataset  # noqa: E402
from factorization_curse.model import ModelConfig  # noqa: E402
from factorization_curse.objectives import Objective  # noqa: E402
from factorization_curse.runtime import autocast_dtype, device_name, resolve_device  # noqa: E402
from factorization_curse.training import TrainConfig  # noqa: E402

SIZES = {"tiny": {}, "wide": {"d_model": 256}}  # over the tiny preset's model


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", nargs="+", default=["retrieval", "relationship", "bios", "stargraph"])
    p.add_argument("--objectives", nargs="+", default=["ar", "mlm-15", "mlm-u"],
                   help="one per architecture: decoder, encoder, encoder-decoder")
    p.add_argument("--packs", nargs="+", type=int, default=[1, 2, 4, 8], help="K: models per process")
    p.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    p.add_argument("--steps", type=int, default=8, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", type=Path)
    return p.parse_args(argv)


def main(argv=None) -> pd.DataFrame:
    args = parse_args(argv)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    torch.set_num_threads(1)
    device = resolve_device(args.device)
    precision = autocast_dtype("auto", device)
    print(f"{device_name(device)}, 1 thread, precision {precision or torch.float32}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            folder = Path(tmp) / task
            make_dataset(task, config["presets"]["tiny"]["data"][task], config.get("data_seed", 0), folder)
            tokenizer = load_tokenizer(folder)
            train = encode_examples(load_split(folder, "train"), tokenizer).to(device)
            for objective_id in args.objectives:
                settings = fc.run_settings({**config, "tasks": [task]}, task, objective_id)
                objective = Objective.from_config(objective_id, settings["objective"])
                training = {k: v for k, v in settings["training"].items() if k in TrainConfig.__dataclass_fields__}
                train_config = TrainConfig(**training)
                for size in args.sizes:
                    model_config = ModelConfig(vocab_size=len(tokenizer), **{**settings["model"], **SIZES[size]})
                    _, step = bench.ours(model_config, objective, train_config, device)
                    single = None
                    for k in args.packs:
                        batches = bench.sample_batches(train, k * train_config.batch_size, args.warmup + args.steps)
                        seconds = bench.time_steps(step, batches, device, args.warmup)
                        single = seconds if k == 1 else single
                        tokens = sum(int(b.lengths.sum()) for b in batches[args.warmup:]) / args.steps
                        row = {"task": task, "objective": objective_id, "architecture": model_config.architecture,
                               "size": size, "K": k, "batch": k * train_config.batch_size,
                               "ms_per_step": 1000 * seconds, "tokens_per_s": tokens / seconds,
                               "ceiling": k * single / seconds if single else None}
                        rows.append(row)
                        print(f"{task:12s} {objective_id:7s} {size:5s} K={k}: {row['ms_per_step']:8.1f} ms/step "
                              f"{row['tokens_per_s']:9.0f} tokens/s"
                              + (f"  ceiling x{row['ceiling']:.2f}" if row["ceiling"] else ""), flush=True)
    table = pd.DataFrame(rows)
    table.insert(0, "device", device_name(device))
    out = args.out or ROOT / "results" / "bench" / f"packing-ceiling-{device.type}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4g")
    summary = table.pivot_table(index=["task", "objective", "size"], columns="K", values="ceiling", sort=False)
    print("\nceiling = K x t(batch B) / t(batch K x B): the most that packing K models could gain\n")
    print(summary.drop(columns=[1], errors="ignore").to_string(float_format="{:.2f}".format))
    print(f"wrote {out}")
    return table


if __name__ == "__main__":
    main()
