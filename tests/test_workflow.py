"""The workflow through snakemake itself, in a temporary directory, at the seconds-long micro preset."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def snakemake(workdir, *args, check=True):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.mark.slow
def test_micro_pipeline_end_to_end(tmp_path):
    snakemake(tmp_path, "all", "--config", "preset=micro")
    results = tmp_path / "results" / "micro"
    table = pd.read_csv(results / "tables" / "retrieval.csv")
    assert list(table.columns) == ["task", "objective", "seed", "direction", "metric", "value"]
    assert set(table.objective) == {"ar", "ar-rev", "mlm-15", "mlm-40", "mlm-85", "mlm-u", "plm"}
    assert set(table.direction) == {"forward", "backward"}
    assert set(table.metric) == {"exact_match", "token_accuracy"}
    assert table.value.between(0, 100).all() and len(table) == 7 * 2 * 2
    for task in ("retrieval", "relationship", "bios", "stargraph"):
        assert (results / "figures" / f"{task}.pdf").read_bytes().startswith(b"%PDF")
    relationship = pd.read_csv(results / "tables" / "relationship.csv")
    assert {"ar-rev-ent", "ar-rev-ent-nodelim", "mlm-u"} <= set(relationship.objective)
    assert set(relationship.metric) == {"exact_match", "token_accuracy", "incorrect_inference"}
    stargraph = pd.read_csv(results / "tables" / "stargraph.csv")
    assert set(stargraph.direction) == {"forward"} and set(stargraph.objective) == {"ar", "ar-rev", "mlm-u"}
    assert set(stargraph.metric) == {"exact_match", "token_accuracy", "position_1", "position_2", "position_3"}
    assert "Chance level of exact match" in (results / "tables" / "stargraph.md").read_text()
    assert set(pd.read_csv(results / "tables" / "bios.csv").direction) == {"forward", "backward"}
    markdown = (results / "tables" / "retrieval.md").read_text()
    assert "| forward |" in markdown and "mlm-u" in markdown
    run = results / "runs" / "retrieval" / "mlm-u" / "seed0"
    assert {p.name for p in run.iterdir()} >= {"model.pt", "metrics.jsonl", "run.json", "eval.json", "predictions.jsonl"}
    assert "steps/s" in (results / "logs" / "train_model" / "retrieval" / "mlm-u" / "seed0.log").read_text()

    # nothing changed: nothing to do
    assert "Nothing to be done" in snakemake(tmp_path, "-n", "all", "--config", "preset=micro").stdout
    # one objective's hyperparameter changed: only its jobs and the aggregation rerun
    override = tmp_path / "override.yaml"
    override.write_text("preset: micro\nobjectives:\n  mlm-40: {kind: mlm, rate: 0.45, architecture: encoder}\n")
    dry = snakemake(tmp_path, "-n", "all", "--configfile", str(override)).stdout
    # (mlm-40 runs on retrieval, relationship and bios)
    assert job_counts(dry) == {"train_model": 3, "evaluate_model": 3, "aggregate_results": 3, "plot_figure": 3, "all": 1}
    assert "objective=mlm-40" in dry


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    lines = dry_run_output.split("Job stats:")[1].splitlines()
    counts = {}
    for line in lines[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_bad_config_fails_before_any_job(tmp_path):
    result = snakemake(tmp_path, "-n", "all", "--config", "run_objectives=[ar,mlm-16]", check=False)
    assert result.returncode != 0
    assert "mlm-16" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists()


def test_command_line_seeds_plan_one_job_per_seed(tmp_path):
    dry = snakemake(tmp_path, "-n", "all", "--config", "preset=micro", "seeds=[0,1]").stdout
    assert job_counts(dry)["train_model"] == 2 * (7 + 9 + 7 + 3) and "seed=1" in dry
