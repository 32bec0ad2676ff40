"""A pack of K models trains each member bit for bit as it trains alone (fp32, CPU)."""

import json

import pytest
import torch

from factorization_curse.data import make_dataset
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import Objective
from factorization_curse.packing import PackedTransformer
from factorization_curse.runtime import autocast_dtype
from factorization_curse.training import RunFiles, TrainConfig, TrainingInterrupted, train_model, train_models

from .conftest import make_batch

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def retrieval(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "retrieval"
    make_dataset("retrieval", {"num_pairs": 30, "entity_length": 2, "token_pool_size": 16}, 0, path)
    return path


@pytest.fixture(scope="module")
def bios(tmp_path_factory):
    """Rows of different lengths: the members' batches differ in width and the pack pads them."""
    path = tmp_path_factory.mktemp("data") / "bios"
    make_dataset("bios", {"num_people": 12, "attributes": ["birth_date", "birth_city"], "bpe_vocab_size": 200,
                          "pool_scale": 0.1}, 0, path)
    return path


def _config(seed, **overrides):
    return TrainConfig(**{"steps": 8, "batch_size": 8, "lr": 3e-3, "weight_decay": 0.1, "eval_every": 4,
                          "checkpoint_every": 3, "log_every": 4, "precision": "fp32", "seed": seed, **overrides})


def _files(directory, seed):
    run = directory / f"seed{seed}"
    run.mkdir(parents=True, exist_ok=True)
    return RunFiles(run / "model.pt", run / "metrics.jsonl", run / "run.json")


def _same_run(a: RunFiles, b: RunFiles):
    left, right = torch.load(a.model, weights_only=True), torch.load(b.model, weights_only=True)
    assert left["model"].keys() == right["model"].keys()
    differ = [name for name in left["model"] if not torch.equal(left["model"][name], right["model"][name])]
    assert not differ, differ
    assert a.metrics.read_text() == b.metrics.read_text()


CASES = [("retrieval", "ar", "ar", {}, "decoder"), ("retrieval", "ar-rev", "ar-reverse", {}, "decoder"),
         ("retrieval", "mlm-40", "mlm", {"rate": 0.4}, "encoder"),
         ("retrieval", "mlm-u", "mlm-uniform", {}, "encoder-decoder"),
         ("bios", "plm", "plm", {}, "encoder-decoder"), ("bios", "ar", "ar", {}, "decoder"),
         ("bios", "mlm-15", "mlm", {"rate": 0.15}, "encoder")]


@pytest.mark.parametrize("task,objective_id,kind,params,architecture", CASES)
def test_pack_of_three_equals_three_runs_alone(request, tmp_path, task, objective_id, kind, params, architecture):
    data = request.getfixturevalue(task)
    objective = Objective(objective_id, kind, params)
    model = {"architecture": architecture, "n_layer": 2, "n_head": 2, "d_model": 16}
    alone = [_files(tmp_path / "alone", s) for s in SEEDS]
    for seed, files in zip(SEEDS, alone):
        train_model(data, objective, model, _config(seed), files.model, files.metrics, files.run_info, log=lambda m: None)
    packed = [_files(tmp_path / "packed", s) for s in SEEDS]
    messages = []
    curves = train_models(data, objective, model, [_config(s) for s in SEEDS], packed, log=messages.append)
    assert any("3 models trained as one pack" in m for m in messages)
    for a, b, curve in zip(alone, packed, curves):
        _same_run(a, b)
        assert curve == [json.loads(line) for line in b.metrics.read_text().splitlines()]
        assert json.loads(b.run_info.read_text())["pack_size"] == 3
    # the seeds really differ: a pack is not three copies of one model
    first, second = (torch.load(f.model, weights_only=True)["model"]["embed.weight"] for f in packed[:2])
    assert not torch.equal(first, second)


@pytest.mark.skipif(autocast_dtype("auto", torch.device("cpu")) is None, reason="this CPU does not compute bf16 natively")
def test_pack_equals_runs_alone_under_bf16_autocast_too(retrieval, tmp_path):
    """Where `precision: auto` trains in bf16 (a CPU with AVX512-BF16 or AMX), a pack changes no bit
    either: the tiny preset's numbers are the same packed or not."""
    objective = Objective("mlm-u", "mlm-uniform", {})
    model = {"architecture": "encoder-decoder", "n_layer": 2, "n_head": 4, "d_model": 64}
    alone = [_files(tmp_path / "alone", s) for s in SEEDS[:2]]
    for seed, files in zip(SEEDS, alone):
        train_model(retrieval, objective, model, _config(seed, precision="bf16"), files.model, files.metrics,
                    files.run_info, log=lambda m: None)
    packed = [_files(tmp_path / "packed", s) for s in SEEDS[:2]]
    train_models(retrieval, objective, model, [_config(s, precision="bf16") for s in SEEDS[:2]], packed,
                 log=lambda m: None)
    for a, b in zip(alone, packed):
        _same_run(a, b)


def test_interrupted_pack_resumes_every_member(retrieval, tmp_path):
    objective = Objective("mlm-u", "mlm-uniform", {})
    model = {"architecture": "encoder-decoder", "n_layer": 1, "n_head": 2, "d_model": 16}
    straight = [_files(tmp_path / "straight", s) for s in SEEDS]
    train_models(retrieval, objective, model, [_config(s, steps=10) for s in SEEDS], straight, log=lambda m: None)
    resumed = [_files(tmp_path / "resumed", s) for s in SEEDS]
    configs = [_config(s, steps=10) for s in SEEDS]
    train_models(retrieval, objective, model, configs, resumed, log=lambda m: None, stop_after=7)  # saved at step 6
    assert all(f.checkpoint.exists() and not f.model.exists() for f in resumed)
    # a member whose checkpoint is older (killed between two members' writes) catches up alone first
    older = [_files(tmp_path / "older", s) for s in SEEDS]
    train_models(retrieval, objective, model, configs[:1], older[:1], log=lambda m: None, stop_after=4)  # step 3
    resumed[0].checkpoint.write_bytes(older[0].checkpoint.read_bytes())
    messages = []
    train_models(retrieval, objective, model, configs, resumed, log=messages.append)
    assert sorted(int(m.split(" at step ")[1]) for m in messages if m.startswith("resumed from")) == [3, 6, 6]
    for a, b in zip(straight, resumed):
        _same_run(a, b)
        assert not b.checkpoint.exists()


def test_pack_stops_on_signal_with_every_member_saved(retrieval, tmp_path, monkeypatch):
    import factorization_curse.training as training

    class SignalAtStep5(training.StopRequest):
        def __enter__(self):
            entered = super().__enter__()
            original = training.Member.next_batch

            def next_batch(member, *args):
                if member.step == 5:
                    self.signum = 15
                return original(member, *args)

            monkeypatch.setattr(training.Member, "next_batch", next_batch)
            return entered

    monkeypatch.setattr(training, "StopRequest", SignalAtStep5)
    files = [_files(tmp_path, s) for s in SEEDS]
    with pytest.raises(TrainingInterrupted):
        train_models(retrieval, Objective("ar", "ar", {}), {"architecture": "decoder", "n_layer": 1, "n_head": 2,
                     "d_model": 16}, [_config(s, checkpoint_every=0) for s in SEEDS], files, log=lambda m: None)
    assert all(torch.load(f.checkpoint, weights_only=True)["step"] == 6 for f in files)


def test_pack_refuses_members_that_differ_beyond_their_seed(retrieval, tmp_path):
    files = [_files(tmp_path, s) for s in (0, 1)]
    with pytest.raises(ValueError, match="differ in their seed only"):
        train_models(retrieval, Objective("ar", "ar", {}), {"architecture": "decoder"},
                     [_config(0), _config(1, lr=1e-2)], files)
    with pytest.raises(ValueError, match="seeds must differ"):
        train_models(retrieval, Objective("ar", "ar", {}), {"architecture": "decoder"}, [_config(0), _config(0)], files)


def test_packed_forward_equals_each_model_and_owns_no_parameters():
    torch.manual_seed(0)
    models = [Transformer(ModelConfig(vocab_size=20, architecture="encoder-decoder", n_layer=2, n_head=2, d_model=16))
              for _ in range(3)]
    pack = PackedTransformer(models)
    assert list(pack.parameters()) == []
    tokens, lengths = make_batch([8, 6, 8])
    rank = torch.arange(8).expand(3, 8).clone()
    together = pack(tokens.expand(3, -1, -1), rank.expand(3, -1, -1))
    for model, logits in zip(models, together):
        assert torch.equal(model(tokens, rank), logits)
    with pytest.raises(ValueError, match="one configuration"):
        PackedTransformer([models[0], Transformer(ModelConfig(vocab_size=20, d_model=32))])
    with pytest.raises(ValueError, match="dropout 0"):
        PackedTransformer([Transformer(ModelConfig(vocab_size=20, dropout=0.1)) for _ in range(2)])
