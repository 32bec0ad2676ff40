"""Which of the paper's figures a configuration draws, and the checks of report.figures."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from factorization_curse.analysis.figures import FigureSettingsError, check_figure_settings, figure_specs

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = yaml.safe_load((ROOT / "config.yaml").read_text())["report"]["figures"]
ALL = {
    "retrieval": ["ar", "mlm-u"],
    "relationship": ["ar", "mlm-15", "mlm-40", "mlm-85", "mlm-u"],
    "bios": ["ar", "mlm-u", "plm"],
    "stargraph": ["ar", "ar-rev", "mlm-u"],
}


def by_id(specs):
    return {s["id"]: s for s in specs}


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


@pytest.mark.parametrize("edit,message", [
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
