"""The workflow through snakemake itself, in a temporary directory, at the seconds-long micro preset."""
import json
import os
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


def report_items(page: str) -> dict[str, bytes]:
    """The files a Snakemake report embeds (as base64 data URIs), by file name."""
    import base64
    import re

    found = re.finditer(r"data:[^;,\"]*;[^,\"]*?filename=([^;,\"]+);base64,([A-Za-z0-9+/=]+)", page)
    return {m.group(1): base64.b64decode(m.group(2)) for m in found}


@pytest.mark.slow
def test_micro_pipeline_end_to_end(tmp_path):
    snakemake(tmp_path, "all", "--config", "preset=micro")
    results = tmp_path / "results" / "micro"
    table = pd.read_csv(results / "tables" / "retrieval.csv")
    assert list(table.columns) == ["task", "objective", "seed", "direction", "metric", "value"]
    retrieval_objectives = {"ar", "ar-rev", "mlm-15", "mlm-40", "mlm-85", "mlm-u", "plm", "ar-sink", "mlm-15-sink",
                            "mlm-u-sink"}  # the paper's Table 1, then the <bos>-position ablation
    assert set(table.objective) == retrieval_objectives
    assert set(table.direction) == {"forward", "backward"}
    assert set(table.metric) == {"exact_match", "token_accuracy", "answer_nll"}
    assert table.value.between(0, 100).all() and len(table) == 10 * 2 * 3
    for task in ("retrieval", "relationship", "bios", "stargraph", "wikireversal"):
        assert (results / "figures" / f"{task}.pdf").read_bytes().startswith(b"%PDF")
    relationship = pd.read_csv(results / "tables" / "relationship.csv")
    assert {"ar-rev-ent", "ar-rev-ent-nodelim", "mlm-u"} <= set(relationship.objective)
    assert set(relationship.metric) == {"exact_match", "token_accuracy", "incorrect_inference", "answer_nll"}
    stargraph = pd.read_csv(results / "tables" / "stargraph.csv")
    assert set(stargraph.direction) == {"forward"} and set(stargraph.objective) == {"ar", "ar-rev", "mlm-u", "ar-sink", "mlm-u-sink"}
    assert set(stargraph.metric) == {"exact_match", "token_accuracy", "answer_nll", "position_1", "position_2", "position_3"}
    assert "Chance level of exact match" in (results / "tables" / "stargraph.md").read_text()
    assert set(pd.read_csv(results / "tables" / "bios.csv").direction) == {"forward", "backward"}
    markdown = (results / "tables" / "retrieval.md").read_text()
    assert "| forward |" in markdown and "mlm-u" in markdown
    run = results / "runs" / "retrieval" / "mlm-u" / "seed0"
    assert {p.name for p in run.iterdir()} >= {"model.pt", "metrics.jsonl", "run.json", "eval.json", "predictions.jsonl"}
    assert "steps/s" in (results / "logs" / "train_model" / "retrieval" / "mlm-u" / "seed0.log").read_text()
    # the paper's figures, tables and the reproduction report
    figures = ["overview", "figure4a_learning_curves", "figure4b_entity_pca_ar", "figure4c_entity_pca_mlm-u",
               "figure5a_stargraph", "figure7_delayed_generalisation"]
    for figure in figures:
        pdf = (results / "figures" / f"{figure}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 3000, figure
    for table in ("table1", "table2", "table3", "table4", "table5", "table6", "table7", "table8"):
        assert (results / "tables" / "paper" / f"{table}.md").read_text().startswith(f"# Table {table[5:]}")
        assert "\\toprule" in (results / "tables" / "paper" / f"{table}.tex").read_text()
    pca = pd.read_csv(results / "tables" / "entity_pca" / "relationship" / "mlm-u_seed0.csv")
    assert len(pca) == 3 * 12 and set(pca.split) == {"train", "test"}
    report = (results / "report.md").read_text()
    assert "Preset **micro**" in report and "39 training runs" in report
    assert "### wikireversal: Table 3, Table 8 (left)\n" in report and "### wikireversal_split-different: Table 8 (right)\n" in report
    assert "| exact match | mistral-7b-lora | forward | not run |  | 21 |  | not run |" in report
    # `make report`'s page: the report, each paper table rendered (HTML), the comparison CSV, every figure
    snakemake(tmp_path, "--report", "report.html", "--config", "preset=micro")
    items = report_items((tmp_path / "report.html").read_text())
    assert {"report.html", "table1.html", "table4.html", "comparison.csv", "overview.pdf"} <= set(items)
    table1 = items["table1.html"].decode()
    assert "<table>" in table1 and "<th>" in table1
    measured = pd.read_csv(results / "tables" / "retrieval.csv")
    value = measured[(measured.objective == "mlm-u") & (measured.metric == "exact_match")].value.iloc[0]
    assert f"{value:.1f}" in table1
    assert items["comparison.csv"].decode().startswith(pd.read_csv(results / "tables" / "paper" / "comparison.csv")
                                                        .to_csv(index=False)[:40])
    assert "- Exact match here: Answers compared as text, ignoring case" in report
    assert "| wikireversal_split-different | mlm-u | 0 | 6 |" in report
    for figure in figures:
        assert f"(figures/{figure}.pdf)" in report
    assert "| retrieval | mlm-u | 0 | 6 |" in report  # one row per run with its steps

    # WikiReversal: both split variants trained, evaluated and aggregated into one table
    wiki = pd.read_csv(results / "tables" / "wikireversal.csv")
    assert list(wiki.columns) == ["task", "objective", "seed", "direction", "metric", "value", "split_seeds"]
    assert set(wiki.task) == {"wikireversal"} and set(wiki.objective) == {"ar", "mlm-15", "mlm-u"}
    assert wiki.groupby("split_seeds").size().to_dict() == {"same": 3 * 2 * 3, "different": 3 * 2 * 3}  # objectives x directions x metrics
    assert "| objective | same: forward | same: backward | different: forward | different: backward |" in \
        (results / "tables" / "wikireversal.md").read_text()
    assert (results / "data" / "wikireversal" / "stats.csv").read_text().startswith("relation,count\n")
    for dataset, split in (("wikireversal", "same"), ("wikireversal_split-different", "different")):
        assert json.loads((results / "data" / dataset / "info.json").read_text())["config"]["split_seeds"] == split
        evaluation = json.loads((results / "runs" / dataset / "mlm-u" / "seed0" / "eval.json").read_text())
        assert evaluation["dataset"] == dataset and "ignoring case" in evaluation["exact_match_normalisation"]
        answer = json.loads((results / "runs" / dataset / "ar" / "seed0" / "predictions.jsonl").read_text().splitlines()[0])
        assert {"token_exact_match", "exact_match"} <= set(answer) and isinstance(answer["answer"], str)
    table8 = (results / "tables" / "paper" / "table8.md").read_text()  # both blocks measured, none "(not run)"
    assert "## wikireversal, Table 3, Table 8 (left): exact match\n" in table8
    assert "## wikireversal_split-different, Table 8 (right): exact match\n" in table8

    # nothing changed: nothing to do
    assert "Nothing to be done" in snakemake(tmp_path, "-n", "all", "--config", "preset=micro").stdout
    # one objective's hyperparameter changed: only its jobs and the aggregation rerun
    override = tmp_path / "override.yaml"
    override.write_text("preset: micro\nobjectives:\n  mlm-40: {kind: mlm, rate: 0.45, architecture: encoder}\n")
    dry = snakemake(tmp_path, "-n", "all", "--configfile", str(override)).stdout
    # (mlm-40 runs on retrieval, relationship and bios; it is drawn in Figure 4a and the overview and
    # counted in the paper's Tables 1, 2, 5, 6, 7, in Table 4, the paired comparisons and the report;
    # not in Figures 4b/c, 5a, 7)
    assert job_counts(dry) == {"train_model": 3, "evaluate_model": 3, "aggregate_results": 3, "plot_figure": 3,
                               "plot_learning_curves": 1, "plot_overview": 1, "paper_table": 5,
                               "qualitative_summary": 1, "paired_comparisons": 1, "write_report": 1, "all": 1}
    assert "objective=mlm-40" in dry

    # beyond the paper, in one invocation: the factorization-gap meter on relationship (its
    # encoder-decoder runs trained, MLM-U's reused from `all`, every order scored) joining the report
    # through beyond_the_paper, and the model-size sweep (the micro preset's smaller size of ar and
    # mlm-u; its own size reused from `all`)
    extras = tmp_path / "extras.yaml"
    extras.write_text("preset: micro\nbeyond_the_paper: [factorization_gap]\nfactorization_gap:\n"
                      "  tasks: [relationship]\n  objectives: [ar-ed, ar-rev-ed, mlm-15-ed, mlm-u]\n  random_orders: 8\n")
    beyond = snakemake(tmp_path, "all", "factorization_gap", "model_size_sweep", "--configfile", str(extras))
    assert job_counts(beyond.stderr) == {"train_model": 3 + 2, "evaluate_model": 2, "score_orders": 4,
                                         "factorization_gap_table": 1, "factorization_gap": 1,
                                         "aggregate_model_size_sweep": 1, "model_size_sweep": 1, "write_report": 1,
                                         "all": 1}
    gap = pd.read_csv(results / "tables" / "factorization_gap.csv")
    assert set(gap.objective) == {"ar-ed", "ar-rev-ed", "mlm-15-ed", "mlm-u"} and set(gap.task) == {"relationship"}
    assert set(gap.order) == {"left-to-right", "right-to-left", "entity-reversed", "random"}
    assert (gap[gap.order == "left-to-right"].gap == 0).all() and (gap.nll > 0).all() and (gap.nll_low <= gap.nll).all()
    orders = pd.read_parquet(results / "runs" / "relationship" / "ar-ed" / "seed0" / "order_nll.parquet")
    assert orders.order.nunique() == 3 + 8 and orders.fact.nunique() == gap.facts.iloc[0]
    assert (results / "figures" / "factorization_gap.pdf").read_bytes().startswith(b"%PDF")
    report = (results / "report.md").read_text()
    assert "## Beyond the paper" in report and "#### relationship (3 facts, 1 seed(s))" in report
    assert "(figures/factorization_gap.pdf)" in report
    sizes = pd.read_csv(results / "tables" / "model_size_sweep.csv")
    assert set(sizes.objective) == {"ar-d16", "ar", "mlm-u-d16", "mlm-u"} and set(sizes.d_model) == {16, 32}
    assert sizes.groupby("d_model").parameters.max().is_monotonic_increasing
    assert (results / "figures" / "model_size_sweep.pdf").read_bytes().startswith(b"%PDF")


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


def test_command_line_seeds_plan_one_pack_per_run(tmp_path):
    """micro has pack_seeds: the seeds of each (dataset, objective) train in one job, evaluated one by one."""
    dry = snakemake(tmp_path, "-n", "all", "--config", "preset=micro", "seeds=[0,1]").stdout
    jobs = job_counts(dry)
    assert jobs["train_pack"] == 10 + 10 + 8 + 5 + 2 * 3 and "train_model" not in jobs
    assert jobs["evaluate_model"] == 2 * jobs["train_pack"] and "seed=1" in dry


def test_a_pack_trains_every_seed_in_one_job(tmp_path):
    target = "results/micro/runs/retrieval/mlm-u/seed{}/eval.json"  # relative to the working directory
    runs = tmp_path / "results" / "micro" / "runs" / "retrieval" / "mlm-u"
    snakemake(tmp_path, target.format(0), target.format(1), "--config", "preset=micro", "seeds=[0,1]")
    log = (tmp_path / "results" / "micro" / "logs" / "train_pack" / "retrieval" / "mlm-u.log").read_text()
    assert "2 models trained as one pack (seeds 0, 1)" in log and "[retrieval/mlm-u/seed1]" in log
    for seed in (0, 1):
        info = json.loads((runs / f"seed{seed}" / "run.json").read_text())
        assert info["pack_size"] == 2 and info["train_config"]["seed"] == seed
        assert json.loads((runs / f"seed{seed}" / "eval.json").read_text())["split"] == "test"
    # one seed's model gone: the pack trains again (its seeds are one job's outputs)
    (runs / "seed1" / "model.pt").unlink()
    model = "results/micro/runs/retrieval/mlm-u/seed1/model.pt"
    assert planned_jobs(tmp_path, model, "--config", "preset=micro", "seeds=[0,1]") == {"train_pack": 1}


def planned_jobs(workdir, *args) -> dict[str, int]:
    """Rule -> number of jobs a dry run plans (from Snakemake's job-stats table)."""
    out = snakemake(workdir, "-n", *args).stdout
    if "Nothing to be done" in out:
        return {}
    stats = out.split("Job stats:")[1].split("\n\n")[0].splitlines()[3:]
    jobs = dict(line.split() for line in stats if line.strip())
    return {rule: int(count) for rule, count in jobs.items() if rule != "total"}


@pytest.mark.slow
def test_reruns_follow_what_identifies_a_run(tmp_path):
    """Logging and evaluation cadence never rerun a training job; touching a script without
    changing it reruns nothing; a learning rate changed for one task reruns that task's runs."""
    base = "preset: micro\ntasks: [retrieval, stargraph]\nrun_objectives: [ar]\nobjectives_by_task: {retrieval: [ar], stargraph: [ar]}\n"
    config = tmp_path / "over.yaml"
    config.write_text(base)
    target = ["results/micro/tables/retrieval.csv", "results/micro/tables/stargraph.csv", "--configfile", str(config)]
    snakemake(tmp_path, *target)
    assert planned_jobs(tmp_path, *target) == {}
    config.write_text(base + "presets:\n  micro:\n    training: {log_every: 3, eval_every: 5, checkpoint_every: 7}\n")
    assert planned_jobs(tmp_path, *target) == {}
    script = ROOT / "workflow" / "scripts" / "train_model.py"
    os.utime(script)  # touched, not changed
    assert planned_jobs(tmp_path, *target) == {}
    config.write_text(base + "presets:\n  micro:\n    training_by_task: {retrieval: {lr: 0.002}}\n")
    jobs = planned_jobs(tmp_path, *target)
    assert jobs.get("train_model") == 1 and jobs.get("evaluate_model") == 1 and "make_dataset" not in jobs, jobs
    assert jobs.get("aggregate_results") == 1  # retrieval's table only
