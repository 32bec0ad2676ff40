import copy
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from factorization_curse.config import ConfigError, check_config, dataset_task, run_settings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")


@pytest.fixture
def config():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


@pytest.mark.parametrize("preset", ["tiny", "paper", "micro"])
def test_shipped_config_is_valid_for_every_preset(config, preset, monkeypatch, tmp_path):
    config["preset"] = preset
    validate(copy.deepcopy(config), SCHEMA)
    if preset == "paper":  # WikiReversal reads GenWiki, which the repository does not ship
        monkeypatch.chdir(tmp_path)
        with pytest.raises(ConfigError, match="presets.paper.data.wikireversal: .*'data/genwiki' does not exist"):
            check_config(config)
        config["presets"]["paper"]["data"]["wikireversal"]["genwiki_dir"] = str(ROOT / "data" / "genwiki_sample")
    check_config(config)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c["objectives"]["mlm-15"].update(rate=1.5), "rate"),
        (lambda c: c["objectives"]["mlm-15"].update(rate=0.0), "rate"),
        (lambda c: c["presets"]["tiny"]["training"].update(steps=-5), "steps"),
        (lambda c: c["presets"]["tiny"]["training"].update(stepz=5), "stepz"),
        (lambda c: c["presets"]["tiny"]["model"].update(n_layer=0), "n_layer"),
        # unknown keys are refused at every level (typos were once silently ignored)
        (lambda c: c.update(seed=[1, 2, 3]), "seed"),
        (lambda c: c["presets"]["tiny"].update(trainig_by_task={}), "trainig_by_task"),
        (lambda c: c["presets"]["tiny"]["data"]["retrieval"].update(num_pair=3), "num_pair"),
        (lambda c: c["sweeps"]["retrieval_entity_length"].update(objective=["ar"]), "objective"),
        # names that become paths stay inside results/
        (lambda c: c.update(preset="../../../tmp/x"), "does not match"),
        (lambda c: c["presets"].update({"../x": c["presets"]["tiny"]}), "does not match"),
        (lambda c: c["sweeps"].update({"../../x": c["sweeps"]["retrieval_entity_length"]}), "does not match"),
    ],
)
def test_schema_rejects_bad_values(config, edit, message):
    edit(config)
    with pytest.raises(WorkflowError, match=message):
        validate(config, SCHEMA)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c.update(run_objectives=["ar", "mlm-16"]), "undefined objective.*mlm-16.*defined: ar"),
        (lambda c: c.update(preset="huge"), "preset 'huge' is not defined; defined presets: tiny"),
        (lambda c: c["objectives"]["mlm-u"].update(architecture="decoder"), "cannot run on the 'decoder'.*encoder-decoder"),
        (lambda c: c["objectives"]["plm"].update(rate=0.3), "not used by kind 'plm'"),
        (lambda c: c["objectives"]["mlm-u"].update(kind="mlm-uniformm"), "unknown kind 'mlm-uniformm'; known: ar, "),
        (lambda c: c.update(tasks=["retreival"]), "unknown task.*retreival.*known: retrieval"),
        (lambda c: c["presets"]["tiny"]["data"]["retrieval"].update(token_pool_size=2), "raise token_pool_size"),
        (lambda c: c["objectives_by_task"].update(stargraph=["ar", "ar-rev-ent"]),
         "ar-rev-ent.*task 'stargraph' marks no entities.*objectives_by_task"),
        (lambda c: c["objectives_by_task"].update(relationship=["ar", "arr"]), "objectives_by_task.relationship.*arr"),
        (lambda c: c["presets"]["tiny"]["model"].update(n_head=3, d_model=32), "objective 'ar' on retrieval: the model .*impossible"),
        (lambda c: c["objectives"]["mlm-u"].update(model={"d_model": 30}), "objective 'mlm-u' .*impossible"),
        (lambda c: c["presets"]["tiny"]["data"]["bios"].update(attributes=["birth_city"]), "bios.attributes must include birth_date"),
        (lambda c: c["presets"]["tiny"]["training_by_objective"].update({"mlm-99": {"lr": 1.0}})
         if "training_by_objective" in c["presets"]["tiny"] else c["presets"]["tiny"].update(
             training_by_objective={"mlm-99": {"lr": 1.0}}), "mlm-99"),
        (lambda c: c["variants"]["wikireversal_split"].update(values=["same"]),
         "split_seeds='same' is the task's own setting.*dataset 'wikireversal' already"),
        (lambda c: c["variants"]["wikireversal_split"].update(values=["sideways"]), "split_seeds='sideways' is not valid"),
        (lambda c: c["variants"]["wikireversal_split"].update(parameter="split_seed"),
         "parameter 'split_seed' is not a setting of task 'wikireversal'"),
        (lambda c: c["variants"].update({"wiki-split": c["variants"]["wikireversal_split"]}), "may not contain '-'"),
        (lambda c: c["variants"]["wikireversal_split"].update(task="wikireversl"), "task 'wikireversl' is unknown"),
        (lambda c: c["sweeps"].update(wikireversal_split=c["sweeps"]["retrieval_entity_length"]),
         "sweeps.wikireversal_split.*nor be the name of a task or a variant"),
        (lambda c: c["factorization_gap"].update(objectives=["ar", "mlm-u"]),
         "factorization_gap.objectives: 'ar' trains the causal decoder, which scores only the left-to-right order"),
        (lambda c: c["factorization_gap"].update(objectives=["nope"]), "factorization_gap.objectives.*undefined objective 'nope'"),
        (lambda c: c["factorization_gap"].update(tasks=["retrievl"]), "factorization_gap.tasks.*retrievl"),
        (lambda c: c["presets"]["tiny"]["model_sizes"].append({"d_model": 30}),
         r"model_size_sweep: ar at \{'d_model': 30\} is impossible: d_model=30 must split into n_head=4"),
        (lambda c: c["model_size_sweep"].update(objectives=["ar", "mlm-v"]), "model_size_sweep.objectives.*'mlm-v'"),
        (lambda c: c["model_size_sweep"].update(task="relation"), "model_size_sweep.task 'relation' is unknown"),
    ],
)
def test_cross_checks_name_the_key_and_the_fix(config, edit, message):
    edit(config)
    with pytest.raises(ConfigError, match=message):
        check_config(config)


def test_objectives_by_task_replace_run_objectives(config):
    from factorization_curse.config import task_objectives

    assert task_objectives(config, "wikireversal") == config["objectives_by_task"]["wikireversal"]
    del config["objectives_by_task"]["bios"]
    assert task_objectives(config, "bios") == config["run_objectives"]
    assert "ar-rev-ent" in task_objectives(config, "relationship") and "ar-rev-ent" not in config["run_objectives"]


def test_an_objectives_model_settings_apply_over_the_presets(config):
    s = run_settings(config, "retrieval", "mlm-u-sink")
    assert s["model"]["bos_position"] == "sink" and s["model"]["architecture"] == "encoder-decoder"
    assert "model" not in s["objective"]
    assert run_settings(config, "retrieval", "mlm-u")["model"]["bos_position"] == "ordinary"


def test_run_settings_merge_overrides(config):
    config["presets"]["tiny"]["training_by_objective"] = {"mlm-u": {"lr": 0.5}}
    config["presets"]["tiny"]["model_by_architecture"] = {"encoder-decoder": {"d_model": 64}}
    s = run_settings(config, "retrieval", "mlm-u")
    assert s["training"]["lr"] == 0.5 and s["model"]["d_model"] == 64 and s["model"]["architecture"] == "encoder-decoder"
    other = run_settings(config, "retrieval", "ar")
    assert other["training"]["lr"] == config["presets"]["tiny"]["training"]["lr"]
    assert other["model"]["d_model"] == config["presets"]["tiny"]["model"]["d_model"]


def test_sweep_datasets_override_one_parameter(config):
    task, params = dataset_task(config, "retrieval_entity_length-5")
    assert task == "retrieval" and params["entity_length"] == 5
    assert params["num_pairs"] == config["presets"]["tiny"]["data"]["retrieval"]["num_pairs"]
    with pytest.raises(ConfigError, match="unknown dataset 'retrieval_entity_length-9'"):
        dataset_task(config, "retrieval_entity_length-9")


def test_variants_are_datasets_of_their_task(config):
    from factorization_curse.config import task_datasets, training_resources

    assert task_datasets(config, "wikireversal") == ["wikireversal", "wikireversal_split-different"]
    assert task_datasets(config, "retrieval") == ["retrieval"]
    task, params = dataset_task(config, "wikireversal_split-different")
    assert task == "wikireversal" and params == {**config["presets"]["tiny"]["data"]["wikireversal"], "split_seeds": "different"}
    assert dataset_task(config, "wikireversal")[1]["split_seeds"] == "same"
    # the variant trains and asks for resources as its task does
    assert run_settings(config, "wikireversal_split-different", "mlm-u") == run_settings(config, "wikireversal", "mlm-u")
    assert training_resources(config, "wikireversal_split-different") == training_resources(config, "wikireversal")
    with pytest.raises(ConfigError, match="unknown dataset 'wikireversal_split-same'"):
        dataset_task(config, "wikireversal_split-same")
    config.pop("variants")
    check_config(config)
    assert task_datasets(config, "wikireversal") == ["wikireversal"]


def test_paper_preset_trains_wikireversal_with_appendix_e3_settings(config):
    """GPT and BERT (AR, MLM-15): 12 layers, 12 heads, d=768, lr 3e-4, weight decay 0.01; the
    encoder-decoder (MLM-U): 12 layers, 9 heads, d=576, lr 5e-5, no weight decay; 1% warm-up, no dropout."""
    config["preset"] = "paper"
    for objective, (layers, heads, width, lr, decay) in {"ar": (12, 12, 768, 3e-4, 0.01), "mlm-15": (12, 12, 768, 3e-4, 0.01),
                                                         "mlm-u": (12, 9, 576, 5e-5, 0.0)}.items():
        s = run_settings(config, "wikireversal_split-different", objective)
        assert (s["model"]["n_layer"], s["model"]["n_head"], s["model"]["d_model"]) == (layers, heads, width), objective
        assert (s["training"]["lr"], s["training"]["weight_decay"]) == (lr, decay), objective
        assert s["training"]["warmup_fraction"] == 0.01 and s["model"].get("dropout", 0.0) == 0.0


def test_every_library_module_and_rule_script_identifies_some_job():
    from factorization_curse.runtime import PACKAGE, SCRIPTS, code_files

    numbers, results, data = (set(code_files(k)) for k in ("numbers", "results", "data"))
    # the results layer and the numeric code share only the modules both use (metrics, answers, runtime)
    assert {p.name for p in numbers & results} == {"metrics.py", "answers.py", "runtime.py"} and data <= numbers
    everything = {p for p in PACKAGE.rglob("*.py") if p.name != "config.py"} | set(SCRIPTS.glob("*.py"))
    assert numbers | results == everything


def test_evaluation_asks_for_a_gpu_where_training_does(config):
    from factorization_curse.config import evaluation_resources, training_resources

    assert evaluation_resources(config, "retrieval")["gpu"] == 0  # tiny: CPU
    config["preset"] = "paper"
    train, evaluate = training_resources(config, "bios"), evaluation_resources(config, "bios")
    assert train["gpu"] >= 1 and evaluate["gpu"] == 1 and evaluate["gpu_model"] == train["gpu_model"]
    assert evaluate["runtime"] == 30 and evaluate["mem_mb"] == train["mem_mb"]


def test_a_preset_based_on_another_is_that_preset_with_its_own_keys_merged_in(config):
    from factorization_curse.config import resolve_presets

    config["presets"]["small_paper"] = {"based_on": "paper", "model": {"d_model": 64},
                                        "training_by_task": {"bios": {"epochs": 3}}}
    resolve_presets(config)
    small, paper = config["presets"]["small_paper"], config["presets"]["paper"]
    assert small["model"] == {**paper["model"], "d_model": 64}
    assert small["training_by_task"]["bios"] == {"epochs": 3} and small["training_by_task"]["stargraph"] == paper["training_by_task"]["stargraph"]
    assert small["data"] == paper["data"] and small["resources"] == paper["resources"]
    assert resolve_presets(copy.deepcopy(config))["presets"] == config["presets"]  # idempotent
    config["presets"]["small_paper"]["based_on"] = "papr"
    with pytest.raises(ConfigError, match="presets.small_paper.based_on: no preset 'papr'"):
        resolve_presets({"presets": {"small_paper": config["presets"]["small_paper"]}})
    with pytest.raises(ConfigError, match="a circle of presets"):
        resolve_presets({"presets": {"a": {"based_on": "b"}, "b": {"based_on": "a"}}})


def test_model_size_sweep_ids_name_their_size_and_reuse_the_presets_own(config):
    from factorization_curse.config import add_model_sweep_objectives, model_sweep_points

    points = model_sweep_points(config)
    assert [p["objective"] for p in points] == ["ar-l1-d64", "ar", "ar-l4-d256", "mlm-u-l1-d64", "mlm-u", "mlm-u-l4-d256"]
    add_model_sweep_objectives(config)
    assert config["objectives"]["mlm-u-l4-d256"] == {**config["objectives"]["mlm-u"], "model": {"n_layer": 4, "d_model": 256}}
    settings = run_settings(config, "relationship", "mlm-u-l4-d256")
    assert settings["model"] == {**config["presets"]["tiny"]["model"], "n_layer": 4, "d_model": 256,
                                 "architecture": "encoder-decoder"}
    assert settings["training"] == run_settings(config, "relationship", "mlm-u")["training"]  # only the size differs
    check_config(config)
