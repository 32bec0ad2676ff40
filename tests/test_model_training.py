import json
import os
import signal

import pytest
import torch

from factorization_curse.data import EncodedSplit, encode_examples, load_split, load_tokenizer
from factorization_curse.evaluation import generate, predict
from factorization_curse.model import ModelConfig, Transformer
from factorization_curse.objectives import Objective
from factorization_curse.data import make_dataset
from factorization_curse.model import load_model
from factorization_curse.training import TrainConfig, TrainingInterrupted, loss_on, train_model
from factorization_curse import training

from .conftest import make_batch


@pytest.mark.parametrize("architecture,kind", [("decoder", "ar"), ("encoder", "mlm"), ("encoder-decoder", "mlm-uniform")])
def test_forward_backward_each_architecture(architecture, kind):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=20, architecture=architecture, n_layer=2, n_head=2, d_model=16))
    tokens, lengths = make_batch([8, 6, 8])
    objective = Objective("x", kind, {"rate": 0.5} if kind == "mlm" else {})
    loss = loss_on(model, objective, tokens, lengths, torch.Generator().manual_seed(0))
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "retrieval"
    make_dataset("retrieval", {"num_pairs": 30, "entity_length": 2, "token_pool_size": 16}, 0, path)
    return path


@pytest.mark.parametrize("architecture,kind", [("decoder", "ar"), ("encoder", "mlm"), ("encoder-decoder", "plm")])
def test_batched_generation_equals_one_at_a_time(dataset, architecture, kind):
    torch.manual_seed(1)
    model = Transformer(ModelConfig(vocab_size=len(load_tokenizer(dataset)), architecture=architecture,
                                    n_layer=1, n_head=2, d_model=16)).eval()
    split = encode_examples(load_split(dataset, "test"), load_tokenizer(dataset))
    decoding = Objective("x", kind, {"rate": 0.15} if kind == "mlm" else {}).spec.decoding
    batched = predict(model, split, decoding, batch_size=64)
    for i in range(0, len(split), 7):
        P, A = int(split.prompt_lengths[i]), int(split.answer_lengths[i])
        single = generate(model, split.tokens[i : i + 1, :P], A, decoding)[0].tolist()
        assert single == batched[i]["predicted"]


def _train(dataset, run_dir, stop_after=None, steps=12, log=lambda s: None):
    cfg = TrainConfig(steps=steps, batch_size=8, lr=3e-3, eval_every=4, checkpoint_every=3, log_every=4, seed=5)
    return train_model(
        dataset, Objective("mlm-u", "mlm-uniform", {}),
        {"architecture": "encoder-decoder", "n_layer": 1, "n_head": 2, "d_model": 16}, cfg,
        run_dir / "model.pt", run_dir / "metrics.jsonl", run_dir / "run.json", log=log, stop_after=stop_after,
    )


def test_interrupted_training_resumes_to_identical_weights(dataset, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight = _train(dataset, tmp_path / "a")
    _train(dataset, tmp_path / "b", stop_after=7)  # last rolling checkpoint at step 6
    assert (tmp_path / "b" / "checkpoint.pt").exists() and not (tmp_path / "b" / "model.pt").exists()
    resumed = _train(dataset, tmp_path / "b")
    assert resumed == straight
    a, _ = load_model(tmp_path / "a" / "model.pt")
    b, _ = load_model(tmp_path / "b" / "model.pt")
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name
    assert not (tmp_path / "b" / "checkpoint.pt").exists()
    info = json.loads((tmp_path / "a" / "run.json").read_text())
    assert info["device"] == "cpu" and info["objective"]["id"] == "mlm-u"
    assert len((tmp_path / "a" / "metrics.jsonl").read_text().splitlines()) == 3


def test_checkpoint_of_another_config_is_set_aside(dataset, tmp_path):
    _train(dataset, tmp_path, stop_after=4)
    straight = tmp_path / "straight"
    straight.mkdir()
    assert _train(dataset, tmp_path, steps=20) == _train(dataset, straight, steps=20)  # started afresh
    assert (tmp_path / "checkpoint.stale.pt").exists()


def _same_weights(a_path, b_path):
    a, _ = load_model(a_path)
    b, _ = load_model(b_path)
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_sigterm_saves_a_checkpoint_and_the_rerun_finishes_identically(dataset, tmp_path):
    """What SLURM sends before preemption: the run saves at the end of the step and stops."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight = _train(dataset, tmp_path / "a")

    def log(message):
        if message.startswith("step 4/"):  # not a periodic checkpoint step (every 3)
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(TrainingInterrupted) as interrupted:
        _train(dataset, tmp_path / "b", log=log)
    assert interrupted.value.step == 4 and interrupted.value.exit_code != 0
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=True)
    assert state["step"] == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
    assert _train(dataset, tmp_path / "b") == straight
    assert _same_weights(tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt")


def test_bos_position_sink_removes_the_bos_keys_position_and_bad_values_are_refused():
    with pytest.raises(ValueError, match="bos_position"):
        ModelConfig(vocab_size=20, bos_position="first")
    tokens, lengths = make_batch([8, 8])
    rank = torch.arange(8).expand(2, 8)
    outputs = {}
    for position in ("sink", "ordinary"):
        torch.manual_seed(0)
        model = Transformer(ModelConfig(vocab_size=20, architecture="encoder", n_layer=1, n_head=2, d_model=16,
                                        bos_position=position))
        k = torch.randn(1, 2, 8, 8)
        first_key = model.blocks[0].rotary.keys(k)[..., 0, :]
        assert (first_key.abs().sum() == 0) == (position == "sink")
        outputs[position] = model(tokens, rank)
    assert not torch.allclose(outputs["sink"], outputs["ordinary"])


def test_checkpoint_minutes_saves_by_time(dataset, tmp_path, monkeypatch):
    """checkpoint_minutes alone (checkpoint_every 0) writes the rolling checkpoint once that much time
    has passed since the last one: here 0.0001 min, so after every step; the run it saves resumes
    to the same weights as one never stopped. The training clock advances one second each time it
    is read, so the cadence does not hang on how fast this machine runs a step."""
    ticks = iter(range(10**9))
    monkeypatch.setattr(training, "clock", lambda: float(next(ticks)))
    def train(run_dir, stop_after=None, **cadence):
        run_dir.mkdir(exist_ok=True)
        cfg = TrainConfig(steps=8, batch_size=8, lr=3e-3, eval_every=4, log_every=4, seed=5, **cadence)
        return train_model(dataset, Objective("ar", "ar", {}), {"architecture": "decoder", "n_layer": 1, "n_head": 2,
                                                                   "d_model": 16}, cfg, run_dir / "model.pt",
                           run_dir / "metrics.jsonl", run_dir / "run.json", log=lambda s: None, stop_after=stop_after)

    straight = train(tmp_path / "a", checkpoint_every=0)
    train(tmp_path / "b", stop_after=5, checkpoint_every=0, checkpoint_minutes=1e-4)
    state = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert state["step"] == 5
    train(tmp_path / "c", stop_after=5, checkpoint_every=0, checkpoint_minutes=60)
    assert not (tmp_path / "c" / "checkpoint.pt").exists()  # an hour has not passed
    assert train(tmp_path / "b", checkpoint_every=0, checkpoint_minutes=1e-4) == straight
    a, _ = load_model(tmp_path / "a" / "model.pt")
    b, _ = load_model(tmp_path / "b" / "model.pt")
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_training_batches_are_cut_without_reading_the_device(dataset):
    """The batch width comes from the host's copy of the lengths: with the split's tensors on the
    meta device (which cannot be read), batches are still cut to their own longest row."""
    split = encode_examples(load_split(dataset, "train"), load_tokenizer(dataset))
    host_lengths = split.lengths.clone()
    on_meta = EncodedSplit(split.tokens.to("meta"), split.lengths.to("meta"), split.prompt_lengths, split.answer_lengths,
                           split.entities.to("meta"), split.directions, split.other_answers)
    rows = torch.tensor([0, 3, 5])
    tokens, lengths, entities = on_meta.training_batch(rows, host_lengths)
    assert tokens.device.type == "meta" and tokens.shape == (3, int(host_lengths[rows].max()))
    cpu_tokens, _, _ = split.training_batch(rows)
    assert torch.equal(cpu_tokens, split.tokens[rows, : int(split.lengths[rows].max())])


def test_an_epoch_budget_becomes_steps_from_the_training_split(dataset, tmp_path):
    """epochs > 0 replaces steps by ceil(epochs * training sequences / batch_size), the paper's way of
    giving a budget; run.json records the steps it became, so a rerun on other data says so."""
    sequences = len(load_split(dataset, "train"))
    cfg = TrainConfig(steps=999, epochs=0.5, batch_size=8, lr=3e-3, eval_every=1000, log_every=1000, seed=5,
                      checkpoint_every=0)
    lines = []
    metrics = train_model(dataset, Objective("ar", "ar", {}), {"architecture": "decoder", "n_layer": 1, "n_head": 2,
                                                              "d_model": 16}, cfg, tmp_path / "model.pt",
                          tmp_path / "metrics.jsonl", tmp_path / "run.json", log=lines.append)
    expected = -(-sequences // 16)  # ceil(0.5 * sequences / 8)
    assert json.loads((tmp_path / "run.json").read_text())["train_config"]["steps"] == expected
    assert metrics[-1]["step"] == expected
    assert any(f"{expected} steps" in line for line in lines)
