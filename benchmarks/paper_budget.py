"""GPU hours of every training run of a preset, estimated before any GPU runs it (issue 18).

For each (dataset, objective) of the preset: training sequences of the built dataset, steps from
the epochs, forward+backward FLOPs of one step counted on real rows at full model size
(``factorization_curse.budget``), and hours on one GPU at an assumed MFU (default: 0.15, 0.25 and
0.35 of an H200's 989 TFLOP/s bf16 peak), beside the runtime the preset asks SLURM for, which is
flagged when it is below the estimate at the lowest MFU (the job would need resubmissions).

    # the datasets first (minutes on a CPU; WikiReversal needs GenWiki in data/genwiki)
    .venv/bin/snakemake --cores 2 --config preset=paper 'tasks=[retrieval,relationship,bios,stargraph]' \\
        -- results/paper/data/{retrieval,relationship,bios,stargraph}
    .venv/bin/python benchmarks/paper_budget.py --data-root results/paper/data

The FLOP counts are exact for the model as built; the MFU is the guess, until
benchmarks/gpu_check.sh measures it on the GPU at hand (``--mfu`` takes the measured one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

from factorization_curse import config as fc
from factorization_curse.budget import H200_BF16_PEAK_FLOPS, run_budget, runtime_request_minutes

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    p.add_argument("--preset", default="paper")
    p.add_argument("--data-root", type=Path, default=Path("results/paper/data"),
                   help="folder holding the preset's built datasets, one subfolder per dataset")
    p.add_argument("--tasks", nargs="+", default=None, help="default: the config's tasks")
    p.add_argument("--mfu", type=float, nargs="+", default=[0.15, 0.25, 0.35])
    p.add_argument("--peak-tflops", type=float, default=H200_BF16_PEAK_FLOPS / 1e12)
    p.add_argument("--batches", type=int, default=2, help="random batches whose FLOPs are counted and averaged")
    p.add_argument("--out", type=Path, default=Path("results/bench/paper-budget.csv"))
    args = p.parse_args(argv)

    config = yaml.safe_load(args.config.read_text())
    config = fc.add_model_sweep_objectives({**config, "preset": args.preset, "tasks": args.tasks or config["tasks"]})
    rows, missing, flops_cache = [], [], {}
    for task in config["tasks"]:
        for dataset in fc.task_datasets(config, task):
            data_dir = args.data_root / dataset
            if not (data_dir / "train.parquet").exists():
                missing.append(f"{dataset} (no {data_dir}/train.parquet)")
                continue
            requested = fc.training_resources(config, dataset)["runtime"]
            for objective in fc.task_objectives(config, task):
                if objective in fc.lora_objectives(config):
                    continue  # a pretrained model's LoRA: not a from-scratch run
                b = run_budget(config, dataset, objective, data_dir, batches=args.batches, flops_cache=flops_cache)
                row = {"dataset": dataset, "objective": objective, "architecture": b.architecture,
                       "parameters_M": round(b.parameters / 1e6, 1), "training_sequences": b.training_sequences,
                       "sequences_per_step": b.sequences_per_step, "steps": b.steps,
                       "batch_width": round(b.batch_width, 1), "step_tflops": round(b.step_flops / 1e12, 2),
                       "total_pflops": round(b.total_flops / 1e15, 1)}
                for mfu in args.mfu:
                    row[f"hours_at_mfu_{mfu:g}"] = round(b.gpu_hours(mfu, args.peak_tflops * 1e12), 2)
                row["requested_minutes"] = requested
                row["suggested_minutes"] = runtime_request_minutes(b.gpu_hours(min(args.mfu), args.peak_tflops * 1e12))
                row["request_covers_lowest_mfu"] = requested >= 60 * b.gpu_hours(min(args.mfu), args.peak_tflops * 1e12)
                rows.append(row)
                print(f"{dataset:>14} {objective:>20}: {b.steps:>7} steps of {b.sequences_per_step} x "
                      f"{b.batch_width:.0f} tokens, {b.step_flops / 1e12:.2f} TFLOP a step, "
                      + ", ".join(f"{row[f'hours_at_mfu_{m:g}']:.2f} h at MFU {m:g}" for m in args.mfu)
                      + f"; asks {requested} min", flush=True)
    for line in missing:
        print(f"not estimated: {line}", file=sys.stderr)
    table = pd.DataFrame(rows)
    if table.empty:
        raise SystemExit(f"paper_budget: no built dataset under {args.data_root}; build them first (see --help)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    hours = table.groupby("dataset")[[c for c in table if c.startswith("hours_at")]].sum().round(1)
    print(f"\nGPU hours per dataset, all its objectives, one seed ({args.peak_tflops:g} TFLOP/s peak):\n{hours}")
    print("total: " + ", ".join(f"{hours[c].sum():.1f} h at MFU {c.rsplit('_', 1)[1]}" for c in hours))
    print(f"wrote {args.out}")
    return table


if __name__ == "__main__":
    main()
