"""Two processes (DDP, gloo on CPU, launched by torchrun) train the model one process trains."""
import json
from dataclasses import asdict

import pytest
import torch

from factorization_curse.distributed import Processes
from factorization_curse.launch import run_with_torchrun
from factorization_curse.objectives import Objective
from factorization_curse.data import make_dataset
from factorization_curse.model import load_model
from factorization_curse.training import TrainConfig, train_model

MODEL = {"architecture": "decoder", "n_layer": 1, "n_head": 2, "d_model": 16}


def test_batch_must_split_evenly_over_processes():
    with pytest.raises(ValueError, match="multiple of 4"):
        Processes(rank=0, world_size=4).check_batch(10)
    assert Processes(rank=1, world_size=2).my_slice(torch.arange(6)).tolist() == [3, 4, 5]


@pytest.mark.slow
def test_two_processes_follow_the_single_process_run(tmp_path):
    """Same global batch of 8: with `ar` (no random masks) the loss curve and the final weights agree
    to float rounding (rtol 1e-4, in fp32: bf16 would round each process's half-batch differently);
    the ranks' gradients are averaged by DDP."""
    data = tmp_path / "data"
    make_dataset("retrieval", {"num_pairs": 30, "entity_length": 2, "token_pool_size": 16}, 0, data)
    cfg = TrainConfig(steps=8, batch_size=8, lr=3e-3, eval_every=4, checkpoint_every=4, log_every=2, seed=3,
                      precision="fp32")
    objective = Objective.from_config("ar", {"kind": "ar"})

    single = tmp_path / "single"
    single.mkdir()
    train_model(data, objective, MODEL, cfg, single / "model.pt", single / "metrics.jsonl", single / "run.json",
                log=lambda s: None)

    double = tmp_path / "double"
    double.mkdir()
    arguments = {
        "data_dir": str(data), "objective_id": "ar", "objective": {"kind": "ar"}, "model_config": MODEL,
        "train_config": asdict(cfg), "model_path": str(double / "model.pt"),
        "metrics_path": str(double / "metrics.jsonl"), "run_info_path": str(double / "run.json"),
        "log_path": str(double / "train.log"), "threads": 1,
    }
    assert run_with_torchrun(2, arguments, double / "arguments.json") == 0
    assert json.loads((double / "run.json").read_text())["processes"] == 2
    assert "step 8/8" in (double / "train.log").read_text()

    read = lambda path: [json.loads(line) for line in path.read_text().splitlines()]  # noqa: E731
    one, two = read(single / "metrics.jsonl"), read(double / "metrics.jsonl")
    assert [row["step"] for row in one] == [row["step"] for row in two] == [4, 8]
    assert [row["loss"] for row in two] == pytest.approx([row["loss"] for row in one], rel=1e-4)
    a, _ = load_model(single / "model.pt")
    b, _ = load_model(double / "model.pt")
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(y, x, rtol=1e-4, atol=1e-5, msg=name)
