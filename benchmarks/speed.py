"""Training and generation speed of every objective at the config's model sizes, beside Hugging Face.

    make bench                       # CPU: tiny and paper sizes, a few minutes
    .venv/bin/python benchmarks/speed.py --sizes tiny --objectives ar mlm-15

Batches come from the BioS dataset of the `tiny` preset (generated on the fly). Prints one table
and writes it as CSV (default results/bench/speed-<device>.csv). Columns:
  ours_tok_s / hf_tok_s   training tokens per second (real tokens, padding excluded)
  speedup_vs_hf           ours / Hugging Face on the same batches, with torch's default AdamW (what
                          a user gets from torch.optim.AdamW); _fused: with the fused AdamW we use
  mfu                     model FLOPs (counted, forward + backward) per second / the measured matrix-
                          multiply peak of this device in the precision trained (--precision auto: bf16 where
                          the GPU or CPU computes bf16 natively, else fp32)
  gen_speedup             batched greedy generation / one question at a time, same model
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]

from factorization_curse import throughput as bench  # noqa: E402
from factorization_curse import config as fc  # noqa: E402
from factorization_curse.data import encode_examples, load_split, load_tokenizer  # noqa: E402
from factorization_curse.model import ModelConfig  # noqa: E402
from factorization_curse.objectives import Objective  # noqa: E402
from factorization_curse.data import make_dataset  # noqa: E402
from factorization_curse.runtime import autocast_dtype, resolve_device  # noqa: E402
from factorization_curse.runtime import device_name as describe_device  # noqa: E402
from factorization_curse.training import TrainConfig  # noqa: E402


HF_NAMES = bench.HF_EQUIVALENT


def parse_args(argv=None):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", nargs="+", default=["tiny", "paper"], help="presets whose model sizes to measure")
    p.add_argument("--objectives", nargs="+", default=config["run_objectives"], help="objective ids (config.yaml)")
    p.add_argument("--steps", type=int, default=3, help="timed training steps per measurement")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    p.add_argument("--cpu-paper-batch", type=int, default=16,
                   help="batch size of the paper size on CPU (the paper's 256 takes half a minute a step)")
    p.add_argument("--questions", type=int, default=300, help="held-out questions generated in batches (at most 64 for large models on CPU)")
    p.add_argument("--one-at-a-time", type=int, default=24, help="of those, generated one by one for gen_speedup")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: all cores)")
    # each measurement runs in a fresh process, so that its peak memory is its own
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"])
    p.add_argument("--no-hf", action="store_true", help="skip the Hugging Face models")
    p.add_argument("--out", type=Path, help="CSV path (default results/bench/speed-<device>.csv)")
    return p.parse_args(argv), config


def bios_data(config: dict, directory: Path):
    make_dataset("bios", config["presets"]["tiny"]["data"]["bios"], config.get("data_seed", 0), directory)
    tokenizer = load_tokenizer(directory)
    return (encode_examples(load_split(directory, "train"), tokenizer),
            encode_examples(load_split(directory, "test"), tokenizer), len(tokenizer))


def main(argv=None) -> pd.DataFrame:
    args, config = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    device_name = describe_device(device)
    print(f"device {device} ({device_name}), torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    precision = autocast_dtype(args.precision, device)
    peak_dtype = precision or torch.float32
    peak = bench.matmul_peak_flops(device, peak_dtype)
    print(f"measured {str(peak_dtype).removeprefix('torch.')} matmul peak: {peak / 1e12:.2f} TFLOP/s", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        train, test, vocab_size = bios_data(config, Path(tmp) / "bios")
    test = test.select(torch.arange(min(args.questions, len(test))))
    rows = []
    for size in args.sizes:
        config["preset"] = size
        for objective_id in args.objectives:
            settings = fc.run_settings({**config, "tasks": ["bios"]}, "bios", objective_id)
            model_config = ModelConfig(vocab_size=vocab_size, **settings["model"])
            training = {k: v for k, v in settings["training"].items() if k in TrainConfig.__dataclass_fields__}
            train_config = TrainConfig(**{**training, "precision": args.precision})
            batch_size = train_config.batch_size
            if device.type == "cpu" and size == "paper":
                batch_size = min(batch_size, args.cpu_paper_batch)
            objective = Objective.from_config(objective_id, settings["objective"])
            batches = [bench.Batch(b.tokens.cpu(), b.lengths.cpu(), b.entities.cpu())
                       for b in bench.sample_batches(train, batch_size, args.warmup + args.steps)]
            questions = test if device.type == "cuda" or size == "tiny" else test.select(torch.arange(min(64, len(test))))
            common = {"model_config": model_config, "objective": objective, "train_config": train_config,
                      "device": str(device), "batches": batches, "warmup": args.warmup, "threads": args.threads,
                      "max_length": train.tokens.shape[1] * 2}
            started = time.perf_counter()
            ours = bench.in_fresh_process(bench.measure, implementation="ours", test=questions,
                                          one_at_a_time=args.one_at_a_time, **common)
            row = {
                "size": size, "objective": objective_id, "architecture": model_config.architecture,
                "parameters_M": ours["parameters"] / 1e6, "batch": batch_size,
                "ours_steps_s": ours["steps_per_s"], "ours_tok_s": ours["tokens_per_s"],
                "ours_peak_mib": ours["peak_memory_mib"], "mfu": ours["flops_per_s"] / peak,
            }
            if not args.no_hf and objective.kind in HF_NAMES:
                theirs = bench.in_fresh_process(bench.measure, implementation="hf", **common)
                fused = bench.in_fresh_process(bench.measure, implementation="hf-fused", **common)
                if theirs is not None:
                    row.update({"hf_model": HF_NAMES[objective.kind], "hf_tok_s": theirs["tokens_per_s"],
                                "hf_peak_mib": theirs["peak_memory_mib"],
                                "speedup_vs_hf": ours["tokens_per_s"] / theirs["tokens_per_s"],
                                "hf_fused_tok_s": fused["tokens_per_s"],
                                "speedup_vs_hf_fused": ours["tokens_per_s"] / fused["tokens_per_s"]})
            row.update({"gen_answers_s": ours["answers_per_s"], "gen_one_at_a_time_s": ours["answers_per_s_one_at_a_time"],
                        "gen_speedup": ours["batched_speedup"], "gen_agree": ours["batched_answers_agree"]})
            rows.append(row)
            print(f"{size:5s} {objective_id:8s} ours {row['ours_tok_s']:9.0f} tok/s"
                  + (f"  hf {row['hf_tok_s']:9.0f} tok/s  x{row['speedup_vs_hf']:.2f}" if "hf_tok_s" in row else "")
                  + f"  mfu {row['mfu']:.1%}  gen {row['gen_answers_s']:.0f}/s (x{row['gen_speedup']:.0f} vs one at a time)"
                  + f"  [{time.perf_counter() - started:.0f}s]", flush=True)
    table = pd.DataFrame(rows)
    table.insert(0, "device", device_name)
    out = args.out or ROOT / "results" / "bench" / f"speed-{device.type}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4g")
    with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", "{:.3g}".format):
        print(table.drop(columns=["device"]).to_string(index=False))
    print(f"wrote {out}")
    return table


if __name__ == "__main__":
    main()
