"""The speed harness (make bench) on the micro sizes: it measures what it says, and its numbers are sane."""
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from factorization_curse import throughput as bench
from factorization_curse.model import ModelConfig
from factorization_curse.objectives import Objective
from factorization_curse.training import TrainConfig

from .conftest import make_batch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import speed  # noqa: E402

CPU = torch.device("cpu")


@pytest.mark.slow
def test_harness_writes_one_row_per_size_and_objective(tmp_path):
    out = tmp_path / "speed.csv"
    speed.main(["--sizes", "micro", "--objectives", "ar", "mlm-15", "plm", "--steps", "2", "--questions", "24",
                "--one-at-a-time", "6", "--threads", "1", "--no-hf", "--out", str(out)])
    table = pd.read_csv(out)
    assert list(table["objective"]) == ["ar", "mlm-15", "plm"]
    assert list(table["architecture"]) == ["decoder", "encoder", "encoder-decoder"]
    assert (table["ours_tok_s"] > 0).all() and (table["mfu"] > 0).all() and (table["mfu"] < 1).all()
    assert table["gen_agree"].all() and (table["gen_answers_s"] > 0).all()


def _batches(count=3):
    tokens, lengths = make_batch([9, 7, 5, 9], vocab=30, seed=1)
    return [bench.Batch(tokens, lengths, torch.zeros_like(tokens)) for _ in range(count)]


def test_counted_flops_match_six_times_parameters_times_tokens():
    """A training step of the decoder costs about 6 FLOPs per parameter per token (forward 2,
    backward 4) plus attention: the counter that MFU divides must say so (within 25%)."""
    cfg = ModelConfig(vocab_size=30, architecture="decoder", n_layer=2, n_head=2, d_model=64)
    model, step = bench.ours(cfg, Objective("ar", "ar", {}), TrainConfig(), CPU)
    batch = _batches(1)[0]
    matmul_parameters = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n)
    head = cfg.vocab_size * cfg.d_model
    expected = 6 * (matmul_parameters + head) * batch.tokens.numel()
    assert bench.count_flops(step, batch) == pytest.approx(expected, rel=0.25)


def test_peak_memory_sees_a_large_allocation():
    with bench.PeakMemory(CPU) as memory:
        block = torch.ones(64 * 2**20 // 4)  # 64 MiB
        block += 1
        del block
    if memory.mib != memory.mib:  # NaN: no /proc on this system
        pytest.skip("peak memory unreadable here")
    assert memory.mib > 48


def test_hugging_face_models_train_on_our_batches():
    pytest.importorskip("transformers")
    cfg = ModelConfig(vocab_size=30, architecture="encoder", n_layer=1, n_head=2, d_model=32)
    for objective in (Objective("ar", "ar", {}), Objective("mlm-15", "mlm", {"rate": 0.15})):
        model, step = bench.hugging_face(cfg, objective, TrainConfig(lr=1e-2), CPU, max_length=16)
        before = [p.detach().clone() for p in model.parameters()]
        step(_batches(1)[0])
        assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert bench.hugging_face(cfg, Objective("mlm-u", "mlm-uniform", {}), TrainConfig(), CPU, 16) is None


def test_the_genwiki_benchmark_input_is_read_like_the_release_and_its_filler_is_dropped(tmp_path):
    """benchmarks/genwiki_builder.py's input: GenWiki's layout, the requested number of records, and
    the filler passages (the share real GenWiki loses to the filters) contribute no triple."""
    import genwiki_builder
    from factorization_curse.tasks.wikireversal import filter_triples, read_genwiki

    genwiki_builder.write_genwiki(tmp_path / "genwiki", 12_000, kept=0.1)
    parts = sorted((tmp_path / "genwiki" / "train" / "full").glob("part_*.json"))
    assert len(parts) == 3
    records = list(read_genwiki(tmp_path / "genwiki"))
    assert len(records) == 12_000 and sum(r["graph"][0][1].startswith("fillerRelation") for r in records) == 10_800
    kept = filter_triples(records, min_relation_count=2)
    assert kept.triples and not any(t.relation.startswith("fillerRelation") for t in kept.triples)


def test_packing_benchmark_times_the_same_batches_packed_as_apart(tmp_path):
    """benchmarks/packing.py's measurement: the pack trains on exactly the batches the separate runs
    draw (same tokens), so its tokens/s compare like with like; both sides are timed."""
    import packing
    from factorization_curse.data import make_dataset

    make_dataset("retrieval", {"num_pairs": 24, "entity_length": 2, "token_pool_size": 16}, 0, tmp_path / "retrieval")
    spec = {"task": "retrieval", "data": str(tmp_path / "retrieval"), "objective": "mlm-u", "size": "tiny",
            "threads": 1, "precision": "fp32", "warmup": 1, "steps": 2, "device": "cpu", "seeds": [0, 1]}
    measured = packing.worker(spec)
    assert measured["tokens"] == measured["packed_tokens"] > 0
    assert measured["separate"] > 0 and measured["packed"] > 0 and measured["precision"] == "float32"
    assert packing.worker({**spec, "startup_only": True}) == {}
