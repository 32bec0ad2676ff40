"""A short real training run of each architecture on the GPU, through the library (part of gpu_check.sh).

Builds the tiny retrieval dataset, trains `ar` (decoder), `mlm-15` (encoder) and `mlm-u`
(encoder-decoder) for --steps steps each at the tiny preset's sizes and settings on cuda,
evaluates the test split, and prints steps/s, tokens/s and exact match per direction, so a user
sees the GPU path train, checkpoint and generate end to end. Writes one CSV row per run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

from factorization_curse import config as fc
from factorization_curse.data import make_dataset
from factorization_curse.evaluation import evaluate_model
from factorization_curse.objectives import Objective
from factorization_curse.training import TrainConfig, train_model

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--objectives", nargs="+", default=["ar", "mlm-15", "mlm-u"])
    p.add_argument("--out", type=Path, default=Path("results/bench/gpu-train-check.csv"))
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: to try this script without a GPU")
    args = p.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_train_check: no CUDA device visible (torch.cuda.is_available() is False)")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config = {**config, "preset": "tiny", "tasks": ["retrieval"]}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "retrieval"
        make_dataset("retrieval", fc.preset(config)["data"]["retrieval"], config.get("data_seed", 0), data)
        for objective_id in args.objectives:
            settings = fc.run_settings(config, "retrieval", objective_id)
            training = {**settings["training"], "steps": args.steps, "device": args.device, "eval_every": args.steps,
                        "checkpoint_every": args.steps // 2, "log_every": max(args.steps // 4, 1)}
            run = Path(tmp) / objective_id
            run.mkdir()
            started = time.time()
            train_model(data, Objective.from_config(objective_id, settings["objective"]), settings["model"],
                        TrainConfig(**{k: v for k, v in training.items() if k in TrainConfig.__dataclass_fields__}),
                        run / "model.pt", run / "metrics.jsonl", run / "run.json", log=print)
            seconds = time.time() - started
            evaluate_model(data, run / "model.pt", Objective.from_config(objective_id, settings["objective"]),
                           {"task": "retrieval", "dataset": "retrieval", "objective": objective_id, "seed": 0},
                           run / "eval.json", run / "predictions.jsonl", log=print, device=args.device)
            metrics = json.loads((run / "eval.json").read_text())["metrics"]
            rows.append({"objective": objective_id, "architecture": settings["model"]["architecture"],
                         "steps": args.steps, "seconds": round(seconds, 1), "steps_per_s": round(args.steps / seconds, 1),
                         **{f"{d}_exact_match": round(v["exact_match"], 1) for d, v in metrics.items()}})
            print(rows[-1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(args.out, index=False)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
