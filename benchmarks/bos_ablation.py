"""Ablation of the BOS token's position (model.bos_position): one seed per architecture.

    .venv/bin/python benchmarks/bos_ablation.py [--task retrieval] [--preset tiny]

Trains the config's objectives ar (decoder), mlm-15 (encoder) and mlm-u (encoder-decoder) on the
preset's dataset of the task, once with BOS as a position-free attention sink (`sink`, its key
carries no rotary position) and once as an ordinary position-0 token (`ordinary`), with the
preset's training settings, and scores each on the validation split (choices are made on
validation, never on test). Prints one table and writes it to
results/<preset>/ablations/bos_position-<task>.csv.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]

from factorization_curse import config as fc  # noqa: E402
from factorization_curse.data import encode_examples, load_split, load_tokenizer  # noqa: E402
from factorization_curse.evaluation import predict  # noqa: E402
from factorization_curse.metrics import summarize  # noqa: E402
from factorization_curse.objectives import Objective  # noqa: E402
from factorization_curse.data import make_dataset  # noqa: E402
from factorization_curse.model import load_model  # noqa: E402
from factorization_curse.runtime import autocast, autocast_dtype  # noqa: E402
from factorization_curse.training import TrainConfig, train_model  # noqa: E402


def train_and_score(config: dict, task: str, objective_id: str, bos_position: str, seed: int, work: Path) -> dict:
    """One run: train with the preset's settings and this BOS position, score on validation."""
    torch.set_num_threads(1)
    data_dir = work / "data"
    settings = fc.run_settings(config, task, objective_id)
    objective = Objective.from_config(objective_id, settings["objective"])
    run = work / objective_id / bos_position
    run.mkdir(parents=True, exist_ok=True)
    started = time.time()
    cfg = TrainConfig(**settings["training"], seed=seed)
    train_model(data_dir, objective, {**settings["model"], "bos_position": bos_position}, cfg,
                run / "model.pt", run / "metrics.jsonl", run / "run.json", log=lambda s: None)
    model, _ = load_model(run / "model.pt")
    validation = encode_examples(load_split(data_dir, "validation"), load_tokenizer(data_dir))
    with autocast(autocast_dtype(cfg.precision, torch.device("cpu")), torch.device("cpu")):
        summary = summarize(predict(model, validation, objective.spec.decoding))
    row = {"task": task, "objective": objective_id, "architecture": settings["model"]["architecture"],
           "bos_position": bos_position, "seed": seed, "split": "validation"}
    for direction, values in summary.items():
        row[f"{direction}_exact_match"] = round(values["exact_match"], 1)
        row[f"{direction}_count"] = values["count"]
    row["seconds"] = round(time.time() - started)
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="retrieval")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--objectives", nargs="+", default=["ar", "mlm-15", "mlm-u"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="runs trained at once, one thread each")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["preset"] = args.preset
    out = ROOT / "results" / args.preset / "ablations"
    work = out / f"bos_position-{args.task}"
    make_dataset(args.task, fc.preset(config)["data"][args.task], config["data_seed"], work / "data")
    runs = [(config, args.task, o, b, args.seed, work) for o in args.objectives for b in ("sink", "ordinary")]
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        rows = pool.starmap(train_and_score, runs)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    table.to_csv(out / f"bos_position-{args.task}.csv", index=False)


if __name__ == "__main__":
    main()
