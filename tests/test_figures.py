"""The figure registry: which figures a configuration draws, the checks of report.figures, and
that the registry is the one place the workflow's figure rules and targets come from."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from factorization_curse.analysis import draw
from factorization_curse.analysis.figures import FIGURES, INPUTS, FigureSettingsError, check_figure_settings, figure_specs
from factorization_curse.config import task_objectives

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
SETTINGS = CONFIG["report"]["figures"]
ALL = {
    "retrieval": ["ar", "mlm-u"],
    "relationship": ["ar", "mlm-15", "mlm-40", "mlm-85", "mlm-u"],
    "bios": ["ar", "mlm-u", "plm"],
    "stargraph": ["ar", "ar-rev", "mlm-u"],
}


def by_id(specs):
    """The figures the report lists (the paper's and the overview), by id."""
    return {s["id"]: s for s in specs if s["in_report"]}


def test_every_figure_for_the_shipped_tasks():
    specs = by_id(figure_specs(SETTINGS, ALL, [3, 4]))
    assert list(specs) == ["overview", "figure4a", "figure4b", "figure4c", "figure5a", "figure7"]
    assert specs["figure4a"]["objectives"] == ["mlm-15", "mlm-40", "mlm-85", "mlm-u"]
    assert specs["figure4a"]["leader"] == "mlm-u" and specs["figure4a"]["others"] == ["mlm-15", "mlm-40", "mlm-85"]
    assert specs["figure4b"]["file"] == "figure4b_entity_pca_ar.pdf" and specs["figure4c"]["objective"] == "mlm-u"
    assert specs["figure4c"]["seed"] == 3 and "seed 3" in specs["figure4c"]["caption"]
    assert specs["figure7"]["tasks"] == ["bios"]  # WikiReversal does not run
    assert all(s["caption"].endswith(".") and s["caption"].count(". ") == 0 for s in specs.values())  # one sentence


def test_figures_follow_the_tasks_and_objectives_that_run():
    specs = by_id(figure_specs(SETTINGS, {"retrieval": ["ar", "mlm-u"]}, [0]))
    assert list(specs) == ["overview"]
    specs = by_id(figure_specs(SETTINGS, {"relationship": ["ar", "mlm-40"], "wikireversal": ["mlm-u"]}, [0]))
    assert specs["figure4a"]["objectives"] == ["mlm-40"] and "figure4c" not in specs and "figure4b" in specs
    assert specs["figure7"]["tasks"] == ["wikireversal"] and specs["figure7"]["objectives"] == ["mlm-u"]
    assert figure_specs(SETTINGS, {}, [0]) == []


def test_one_figure_per_task_and_per_sweep():
    sweeps = {"retrieval_entity_length": {"task": "retrieval", "parameter": "entity_length", "values": [1, 2],
                                          "objectives": ["ar", "mlm-u"]}}
    specs = figure_specs(SETTINGS, ALL, [0], sweeps)
    per_task = [s for s in specs if s["kind"] == "figure"]
    assert [s["file"] for s in per_task] == [f"{t}.pdf" for t in ALL] and per_task[1]["objectives"] == ALL["relationship"]
    assert all(s["target"] == "all" and not s["in_report"] and s["job"] == s["task"] for s in per_task)
    (sweep,) = [s for s in specs if s["kind"] == "sweep"]
    assert sweep["file"] == "retrieval_entity_length.pdf" and sweep["target"] == "sweeps" and sweep["parameter"] == "entity_length"
    pca = by_id(specs)["figure4b"]
    assert pca["job"] == "figure4b_ar" and by_id(specs)["overview"]["job"] is None


def test_every_registered_figure_has_a_drawing_function_inputs_and_captions():
    sweeps = {"s": {"task": "retrieval", "parameter": "entity_length", "values": [1], "objectives": ["ar"]}}
    specs = figure_specs(SETTINGS, ALL, [0], sweeps)
    for figure in FIGURES.values():
        assert callable(getattr(draw, figure.draw, None)), f"{figure.name}: no function draw.{figure.draw}"
        assert figure.inputs and set(figure.inputs) <= set(INPUTS), figure.name
        instances = [s for s in specs if s["kind"] == figure.name]
        assert instances, f"{figure.name}: no figure drawn for the shipped settings"
        for spec in instances:
            assert spec["caption"].strip() and spec["caption"].endswith("."), spec["id"]
    files = [s["file"] for s in specs]
    assert len(set(files)) == len(files) and all(f.endswith(".pdf") for f in files)


def test_the_workflows_figure_rules_and_targets_come_from_the_registry(tmp_path):
    """A dry run of `all` and `sweeps` draws exactly the registry's figures of the shipped config,
    each with rule plot_<its entry>; the rule files name no figure file themselves."""
    rules = "".join((ROOT / "workflow" / "rules" / f).read_text() for f in ("report.smk", "report_common.smk"))
    assert ".pdf" not in rules and not re.search(r"^rule plot_", rules, re.MULTILINE)
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "-n",
                             "all", "sweeps"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    drawn = {}
    for block in re.split(r"\n(?=(?:local)?rule )", result.stdout):
        rule = re.match(r"(?:local)?rule (\S+):", block)
        output = re.search(r"\n    output: (.*)", block)
        if rule and output and "/figures/" in output.group(1):
            drawn[output.group(1).strip()] = rule.group(1)
    tasks = {t: task_objectives(CONFIG, t) for t in CONFIG["tasks"]}
    specs = figure_specs(SETTINGS, tasks, [0], CONFIG.get("sweeps", {}))  # (the seeds name no file)
    assert drawn == {f"results/{CONFIG['preset']}/figures/{s['file']}": f"plot_{s['kind']}" for s in specs}


@pytest.mark.parametrize("edit,message", [
    (lambda s: s.update(figure9={"task": "bios"}), r"report.figures: unknown figure.*figure9"),
    (lambda s: s["learning_curves"].update(objectives=["mlm-15", "mlm-16"]), r"learning_curves.objectives.*mlm-16"),
    (lambda s: s["entity_pca"].update(task="relationshp"), r"entity_pca.task.*relationshp"),
    (lambda s: s["entity_pca"]["panels"].update(d="plmm"), r"entity_pca.panels.*plmm"),
])
def test_bad_figure_settings_are_named(edit, message):
    settings = yaml.safe_load(yaml.safe_dump(SETTINGS))
    edit(settings)
    with pytest.raises(FigureSettingsError, match=message):
        check_figure_settings(settings, ["ar", "mlm-15", "mlm-40", "mlm-85", "mlm-u", "plm"], list(ALL))


def test_bad_report_settings_stop_the_workflow_before_any_job(tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text("report:\n  figures:\n    entity_pca: {task: relationship, panels: {b: arr}}\n")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "-n", "all",
           "--configfile", str(override)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode != 0 and "entity_pca.panels" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()
