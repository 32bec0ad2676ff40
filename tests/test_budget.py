"""The compute budget of a run before it runs (factorization_curse.budget): steps as training derives
them, FLOPs counted on real rows and scaled, hours and SLURM runtimes from them."""

import json
from pathlib import Path

import pytest
import torch
import yaml

from factorization_curse import budget
from factorization_curse.config import run_settings
from factorization_curse.data import encode_examples, load_split, load_tokenizer, make_dataset
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import Objective
from factorization_curse.training import TrainConfig, train_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def micro(tmp_path_factory):
    """The micro preset's retrieval dataset and a config whose training budget is 3 epochs."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config = {**config, "preset": "micro"}
    config["presets"]["micro"]["training"]["epochs"] = 3
    data_dir = tmp_path_factory.mktemp("budget") / "retrieval"
    make_dataset("retrieval", config["presets"]["micro"]["data"]["retrieval"], 0, data_dir)
    return config, data_dir


def test_steps_are_the_steps_training_runs(micro, tmp_path):
    """The budget's steps for an epoch budget equal what train_model runs and writes to run.json,
    also for an objective that doubles its batch (text and reverse)."""
    config, data_dir = micro
    for objective_id in ("ar", "ar-rev"):
        b = budget.run_budget(config, "retrieval", objective_id, data_dir, batches=1)
        settings = run_settings(config, "retrieval", objective_id)
        run = tmp_path / objective_id
        run.mkdir()
        train_model(data_dir, Objective.from_config(objective_id, settings["objective"]), dict(settings["model"]),
                    TrainConfig(**{**settings["training"], "eval_every": 10**6, "log_every": 10**6}),
                    run / "model.pt", run / "metrics.jsonl", run / "run.json", log=lambda s: None)
        assert b.steps == json.loads((run / "run.json").read_text())["train_config"]["steps"] > 1
        assert b.training_sequences == len(load_split(data_dir, "train"))


def test_step_flops_scale_exactly_from_a_few_rows(micro):
    """Counting 2 rows of a batch at its width and scaling by 4 gives the count of all 8 rows at that
    width: every FLOP of a step belongs to one sequence."""
    _, data_dir = micro
    split = encode_examples(load_split(data_dir, "train"), load_tokenizer(data_dir))
    model = Transformer(ModelConfig(vocab_size=len(load_tokenizer(data_dir)), n_layer=1, n_head=2, d_model=32,
                                    architecture="encoder-decoder")).train()
    objective = Objective.from_config("mlm-u", {"kind": "mlm-uniform", "estimator": "eq5"})
    # eight rows all as long as the longest: any subset is cut to the same width
    longest = int(split.lengths.max())
    same_width = torch.nonzero(split.lengths == longest).flatten()
    batch = same_width[torch.arange(8) % len(same_width)]
    whole = budget.count_step_flops(model, objective, split, batch, rows=8)
    part = budget.count_step_flops(model, objective, split, batch, rows=2)
    assert whole == pytest.approx(part, rel=1e-12) and whole > 0


def test_a_decoder_step_costs_six_flops_per_parameter_and_token(micro):
    """The count agrees with the rule of thumb for a decoder (6 N T: forward 2, backward 4), within
    the attention's share, which the rule leaves out."""
    config, data_dir = micro
    b = budget.run_budget(config, "retrieval", "ar", data_dir, batches=2)
    rule = 6 * b.parameters * b.batch_width * b.sequences_per_step
    assert 0.9 < b.step_flops / rule < 1.5


def test_objectives_of_one_model_and_batch_share_a_count(micro):
    """With every position scored, a fixed-rate and a uniform-rate MLM on the same encoder cost the
    same FLOPs: the cache's reuse is a saving, not an approximation."""
    config, data_dir = micro
    fresh_15 = budget.run_budget(config, "retrieval", "mlm-15", data_dir, batches=2)
    fresh_85 = budget.run_budget(config, "retrieval", "mlm-85", data_dir, batches=2)
    assert fresh_15.step_flops == fresh_85.step_flops
    cache = {}
    budget.run_budget(config, "retrieval", "mlm-15", data_dir, batches=2, flops_cache=cache)
    assert budget.run_budget(config, "retrieval", "mlm-85", data_dir, batches=2, flops_cache=cache).step_flops \
        == fresh_85.step_flops and len(cache) == 1


def test_hours_and_runtime_requests():
    b = budget.RunBudget("d", "ar", "decoder", 10, 100, 10, 1000, 8.0, step_flops=3.6e15)
    assert b.total_flops == 3.6e18
    assert b.gpu_hours(0.5, peak_flops=1e15) == pytest.approx(2.0)  # 3.6e18 / 5e14 per s = 7200 s
    with pytest.raises(ValueError, match="mfu"):
        b.gpu_hours(0.0)
    assert budget.runtime_request_minutes(0.1) == 120  # at least two hours
    assert budget.runtime_request_minutes(2.0) == 180  # 1.5 x 2 h
    assert budget.runtime_request_minutes(2.0, floor_minutes=240) == 240
    assert budget.runtime_request_minutes(2.1) == 240  # 3.15 h, rounded up to the hour
    assert budget.runtime_request_minutes(100.0) == 24 * 60  # a longer run resubmits from its checkpoint
