"""Each training run's size, hardware and time, from its run.json and Snakemake benchmark files.
A run trained in a pack (``pack_size`` > 1) shares its job's times with the pack's other seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .markdown import markdown_table


def read_benchmark(path: str | Path | None) -> dict | None:
    """The first row of a Snakemake benchmark TSV (``s``, ``max_rss``, ``cpu_time``, ...); ``None``
    if there is none (e.g. the job ran before benchmarks were recorded)."""
    if path is None or not Path(path).exists():
        return None
    frame = pd.read_csv(path, sep="\t")
    return frame.iloc[0].to_dict() if len(frame) else None


def run_record(identity: dict, run_info_path: str | Path, train_benchmark: str | Path | None = None,
               eval_benchmark: str | Path | None = None) -> dict:
    """One training run's size, hardware and timing, from its run.json and benchmark files."""
    info = json.loads(Path(run_info_path).read_text())
    train = read_benchmark(train_benchmark) or {}
    evaluation = read_benchmark(eval_benchmark) or {}
    return {
        "task": identity["task"], "dataset": identity.get("dataset", identity["task"]),
        "objective": identity["objective"], "seed": int(identity["seed"]),
        "steps": info.get("train_config", {}).get("steps"),
        "parameters": info.get("parameters"),
        "architecture": info.get("model_config", {}).get("architecture"),
        # the device, with the GPU's or CPU's model where run.json names it
        "device": f"{info.get('device')}: {info['device_name']}" if info.get("device_name") else info.get("device"),
        "precision": info.get("precision"), "host": info.get("host"), "threads": info.get("threads"),
        # models trained in the job (a pack of seeds): its times are the whole pack's
        "pack_size": info.get("pack_size", 1),
        "torch": info.get("torch"), "git_commit": info.get("git_commit"),
        "train_loop_s": info.get("train_seconds_this_session"),
        "train_job_s": train.get("s"), "train_cpu_s": train.get("cpu_time"), "train_max_rss_mb": train.get("max_rss"),
        "eval_job_s": evaluation.get("s"),
    }


def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def runs_markdown(runs: pd.DataFrame) -> str:
    frame = pd.DataFrame({
        "task": runs.dataset, "objective": runs.objective, "seed": runs.seed,
        "steps": [_num(v) for v in runs.steps], "parameters": [_num(v) for v in runs.parameters],
        "device": runs.device, "precision": [v or "–" for v in runs.precision], "host": runs.host, "threads": runs.threads,
        "models in the job": runs.pack_size,
        "training job (s)": [_num(v) for v in runs.train_job_s],
        "training loop (s)": [_num(v, 1) for v in runs.train_loop_s],
        "CPU time (s)": [_num(v) for v in runs.train_cpu_s],
        "peak RSS (MB)": [_num(v) for v in runs.train_max_rss_mb],
        "evaluation job (s)": [_num(v) for v in runs.eval_job_s],
    }).set_index("task")
    frame.index.name = "task"
    return markdown_table(frame)


def mixed_hardware(runs: pd.DataFrame) -> dict[str, list[str]]:
    """Tasks whose runs trained on more than one (device, precision): the same seed gives other
    numbers on a CPU without bf16 than with it, so their cells mix two kinds of run."""
    kinds = runs.assign(kind=[f"{d}, {p or 'precision not recorded'}" for d, p in zip(runs.device, runs.precision)])
    return {task: sorted(set(part.kind)) for task, part in kinds.groupby("task", sort=False) if part.kind.nunique() > 1}
