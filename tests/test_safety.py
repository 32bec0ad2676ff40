"""Nothing silently wrong, nothing unsafe: project files load without running code, a broken
checkpoint is set aside, and a run never continues or is scored on another dataset."""

import errno
import json
import os

import pytest
import torch

from factorization_curse import runtime
from factorization_curse.evaluation import evaluate_model
from factorization_curse.objectives import Objective
from factorization_curse.data import make_dataset
from factorization_curse.model import load_model
from factorization_curse.runtime import UnreadableFileError
from factorization_curse.training import TrainConfig, train_model

RETRIEVAL = {"num_pairs": 30, "entity_length": 2, "token_pool_size": 16, "query_train_fraction": 0.5}
OBJECTIVE = Objective("mlm-u", "mlm-uniform", {})
MODEL = {"architecture": "encoder-decoder", "n_layer": 1, "n_head": 2, "d_model": 16}


@pytest.fixture()
def dataset(tmp_path):
    path = tmp_path / "data"
    make_dataset("retrieval", RETRIEVAL, 0, path)
    return path


def _train(dataset, run_dir, stop_after=None, steps=12, messages=None):
    run_dir.mkdir(exist_ok=True)
    cfg = TrainConfig(steps=steps, batch_size=8, lr=3e-3, eval_every=4, checkpoint_every=3, log_every=4, seed=5)
    return train_model(dataset, OBJECTIVE, MODEL, cfg, run_dir / "model.pt", run_dir / "metrics.jsonl",
                       run_dir / "run.json", log=(messages.append if messages is not None else lambda s: None),
                       stop_after=stop_after)


def _weights(path):
    model, _ = load_model(path)
    return [p.clone() for p in model.state_dict().values()]


class _RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_crafted_model_file_cannot_run_code(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"model": _RunsACommand(marker), "model_config": {}}, tmp_path / "model.pt")
    with pytest.raises(UnreadableFileError, match="model.pt"):
        load_model(tmp_path / "model.pt")
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "garbled", "empty", "a model file"])
def test_a_corrupted_checkpoint_is_set_aside_and_the_run_starts_afresh(dataset, tmp_path, damage):
    straight = _train(dataset, tmp_path / "straight")
    run = tmp_path / "run"
    _train(dataset, run, stop_after=7)
    checkpoint = run / "checkpoint.pt"
    content = checkpoint.read_bytes()
    if damage == "truncated":
        checkpoint.write_bytes(content[: len(content) // 2])
    elif damage == "garbled":
        checkpoint.write_bytes(content[:100] + bytes(200) + content[300:])
    elif damage == "empty":
        checkpoint.write_bytes(b"")
    else:
        checkpoint.write_bytes((tmp_path / "straight" / "model.pt").read_bytes())
    (run / "checkpoint.pt.tmp").write_bytes(b"partial")  # as a full disk leaves it
    messages = []
    assert _train(dataset, run, messages=messages) == straight
    assert any("checkpoint.pt" in m and "starting afresh" in m for m in messages), messages
    assert (run / "checkpoint.corrupt.pt").exists() and not (run / "checkpoint.pt.tmp").exists()
    assert all(torch.equal(a, b) for a, b in zip(_weights(run / "model.pt"), _weights(tmp_path / "straight" / "model.pt")))


def test_a_checkpoint_of_another_dataset_is_never_resumed(dataset, tmp_path):
    run = tmp_path / "run"
    _train(dataset, run, stop_after=7)
    make_dataset("retrieval", {**RETRIEVAL, "query_train_fraction": 0.75}, 0, dataset)  # rebuilt, other split
    messages = []
    fresh = _train(dataset, tmp_path / "fresh")
    assert _train(dataset, run, messages=messages) == fresh
    assert any("dataset_fingerprint" in m and "starting afresh" in m for m in messages), messages
    assert not any(m.startswith("resumed") for m in messages)


def test_a_model_is_never_scored_on_another_dataset(dataset, tmp_path):
    run = tmp_path / "run"
    _train(dataset, run)
    vocab = json.loads((dataset / "vocab.json").read_text())
    tokens = vocab["tokens"] if isinstance(vocab, dict) else vocab
    tokens[-1], tokens[-2] = tokens[-2], tokens[-1]  # two tokens swapped after training
    (dataset / "vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(ValueError, match="another version of the dataset"):
        evaluate_model(dataset, run / "model.pt", OBJECTIVE, {"task": "retrieval", "objective": "mlm-u", "seed": 0},
                       tmp_path / "eval.json", tmp_path / "predictions.jsonl", log=lambda s: None)
    assert not (tmp_path / "eval.json").exists()


def test_a_full_disk_leaves_the_old_file_and_no_partial_one(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.pt"
    runtime.atomic_save({"step": 1}, target)

    def full_disk(obj, path):
        with open(path, "wb") as f:
            f.write(b"half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="no space left on device while writing .*checkpoint.pt"):
        runtime.atomic_save({"step": 2}, target)
    monkeypatch.undo()
    assert runtime.load_state(target)["step"] == 1
    assert not (tmp_path / "checkpoint.pt.tmp").exists()


@pytest.mark.parametrize("name", ["train.parquet", "vocab.json", "info.json", "test.parquet"])
@pytest.mark.parametrize("damage", ["garbled", "missing"])
def test_a_broken_dataset_file_is_named_with_the_command_that_rebuilds_it(dataset, name, damage):
    from factorization_curse.data import DatasetFileError, load_info, load_split, load_tokenizer

    path = dataset / name
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:40] + b"\x00garbage")
    read = {"train.parquet": lambda: load_split(dataset, "train"), "test.parquet": lambda: load_split(dataset, "test"),
            "vocab.json": lambda: load_tokenizer(dataset), "info.json": lambda: load_info(dataset)}[name]
    with pytest.raises(DatasetFileError) as error:
        read()
    assert str(path) in str(error.value) and f"--forcerun {dataset}" in str(error.value)


def test_bf16_training_resumes_bitwise(dataset, tmp_path):
    def run(directory, stop_after=None):
        directory.mkdir(exist_ok=True)
        cfg = TrainConfig(steps=12, batch_size=8, lr=3e-3, eval_every=6, checkpoint_every=3, log_every=6, seed=5,
                          precision="bf16")
        return train_model(dataset, OBJECTIVE, MODEL, cfg, directory / "model.pt", directory / "metrics.jsonl",
                           directory / "run.json", log=lambda s: None, stop_after=stop_after)

    straight = run(tmp_path / "straight")
    run(tmp_path / "resumed", stop_after=7)
    assert run(tmp_path / "resumed") == straight
    assert json.loads((tmp_path / "straight" / "run.json").read_text())["precision"] == "bfloat16"
    assert all(torch.equal(a, b) for a, b in zip(_weights(tmp_path / "straight" / "model.pt"),
                                                 _weights(tmp_path / "resumed" / "model.pt")))


def test_a_changed_logging_cadence_resumes_the_checkpoint(dataset, tmp_path):
    def run(stop_after=None, **cadence):
        cfg = TrainConfig(steps=12, batch_size=8, lr=3e-3, seed=5, **{"eval_every": 4, "checkpoint_every": 3,
                                                                        "log_every": 4, **cadence})
        messages = []
        train_model(dataset, OBJECTIVE, MODEL, cfg, tmp_path / "model.pt", tmp_path / "metrics.jsonl",
                    tmp_path / "run.json", log=messages.append, stop_after=stop_after)
        return messages

    run(stop_after=7)
    assert any(m.startswith("resumed from") and "at step 6" in m for m in run(log_every=2, eval_every=6))


def test_reading_a_dataset_leaves_nothing_in_the_home_cache(dataset, tmp_path, monkeypatch):
    from factorization_curse.data import load_split

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")  # read at import
    assert load_split(dataset, "train") and load_split(dataset, "test")
    assert not (tmp_path / "hf").exists() or not any((tmp_path / "hf").rglob("*"))
