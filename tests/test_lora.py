"""The optional LoRA fine-tune (the paper's Mistral-7B row) on a tiny randomly initialised
Mistral-architecture model built from a config, never on downloaded weights."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

pytest.importorskip("transformers", reason="the LoRA extra is not installed (pip install -r requirements-lora.txt)")
pytest.importorskip("peft", reason="the LoRA extra is not installed (pip install -r requirements-lora.txt)")

from factorization_curse import lora  # noqa: E402
from factorization_curse.config import ConfigError, check_config, lora_settings, task_objectives  # noqa: E402
from factorization_curse.data import make_dataset  # noqa: E402
from factorization_curse.training import TrainConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MICRO_WIKI = {"genwiki_dir": str(ROOT / "data" / "genwiki_sample"), "max_passages": 60, "min_relation_count": 2,
              "bpe_vocab_size": 256}


def tiny_checkpoint(folder: Path, texts: list[str]) -> Path:
    """A one-layer Mistral-architecture model with random weights and a word-level tokenizer of
    ``texts``, saved as a Hugging Face checkpoint folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import MistralConfig, MistralForCausalLM, PreTrainedTokenizerFast

    specials = ["<unk>", "<s>", "</s>", "<pad>"]
    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                        pad_token="<pad>")
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = MistralConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                           bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                           pad_token_id=tokenizer.pad_token_id)
    MistralForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def wiki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lora")
    data = make_dataset("wikireversal", MICRO_WIKI, 0, folder / "data")
    texts = [f"{e.prompt} {e.answer}" for e in data.train + data.test]
    return folder / "data", tiny_checkpoint(folder / "checkpoint", texts)


def test_answer_tokens_start_at_the_answer(wiki):
    data_dir, checkpoint = wiki
    from factorization_curse.data import load_split

    tokenizer = lora.load_tokenizer(checkpoint)
    rows = load_split(data_dir, "train")
    row = next(r for r in rows if r["kind"] == "query")
    statement = next(r for r in rows if r["kind"] == "statement")
    query, text = lora.encode_rows([row, statement], tokenizer)
    assert query.ids[0] == tokenizer.bos_token_id and query.ids[-1] == tokenizer.eos_token_id
    assert query.prompt_length == 1 + len(tokenizer(row["prompt"], add_special_tokens=False)["input_ids"])
    answer = tokenizer.decode(query.ids[query.prompt_length : query.prompt_length + query.answer_length])
    assert answer.replace(" ", "") == row["answer"].replace(" ", "") and "<unk>" not in answer
    assert len(query.ids) == query.prompt_length + query.answer_length + 1
    assert text.answer_length == 0 and text.prompt_length == len(text.ids) - 1


def test_finetune_and_evaluate_the_tiny_model(wiki, tmp_path):
    data_dir, checkpoint = wiki
    settings = lora.LoraSettings(checkpoint=str(checkpoint))  # the paper's r = alpha = 256
    cfg = TrainConfig(steps=4, batch_size=4, lr=1e-4, eval_every=2, eval_max_examples=8, log_every=2, device="cpu")
    base = {k: v.clone() for k, v in lora.load_model(checkpoint, torch.device("cpu")).state_dict().items()}
    metrics = lora.finetune_lora(data_dir, settings, cfg, tmp_path / "adapter", tmp_path / "metrics.jsonl",
                                 tmp_path / "run.json", task="wikireversal", log=lambda m: None)
    assert [m["step"] for m in metrics] == [2, 4] and {"loss", "forward_exact_match", "backward_exact_match"} <= set(metrics[-1])
    adapter = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert adapter["r"] == 256 and adapter["lora_alpha"] == 256 and (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["train_config"]["steps"] == 4 and 0 < info["trainable_parameters"] < info["parameters"]
    # the checkpoint itself is untouched: only the adapters trained
    after = lora.load_model(checkpoint, torch.device("cpu")).state_dict()
    assert all(torch.equal(base[k], after[k]) for k in base)
    result = lora.evaluate_lora(data_dir, settings, tmp_path / "adapter",
                                {"task": "wikireversal", "dataset": "wikireversal", "objective": "mistral-7b-lora", "seed": 0},
                                tmp_path / "eval.json", tmp_path / "predictions.jsonl", log=lambda m: None)
    assert set(result["metrics"]) == {"forward", "backward"} and "ignoring case" in result["exact_match_normalisation"]
    lines = (tmp_path / "predictions.jsonl").read_text().splitlines()
    answers = [json.loads(line) for line in lines]
    assert len(answers) == sum(v["count"] for v in result["metrics"].values())
    assert all(isinstance(a["answer"], str) and "token_exact_match" in a for a in answers)


def test_greedy_answers_have_the_answers_length(wiki):
    data_dir, checkpoint = wiki
    tokenizer = lora.load_tokenizer(checkpoint)
    model = lora.load_model(checkpoint, torch.device("cpu"))
    from factorization_curse.data import load_split

    examples = lora.encode_rows(load_split(data_dir, "test")[:12], tokenizer, eos=False)
    predictions = lora.predict(model, tokenizer, examples, batch_size=5)
    assert [len(p["predicted"]) for p in predictions] == [e.answer_length for e in examples]
    assert not {t for p in predictions for t in p["predicted"]} & set(tokenizer.all_special_ids)


def test_config_names_the_missing_checkpoint(tmp_path, monkeypatch):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    config["objectives_by_task"]["wikireversal"] = ["ar", "mistral-7b-lora"]
    with pytest.raises(ConfigError, match=r"lora.mistral-7b-lora: .*config.json missing.*huggingface-cli download"):
        check_config(config)
    (tmp_path / "checkpoints" / "Mistral-7B-v0.1").mkdir(parents=True)
    (tmp_path / "checkpoints" / "Mistral-7B-v0.1" / "config.json").write_text("{}")
    check_config(config)
    assert task_objectives(config, "wikireversal") == ["ar", "mistral-7b-lora"]
    settings = lora_settings(config, "wikireversal_split-different", "mistral-7b-lora")
    assert settings["lora"]["r"] == settings["lora"]["alpha"] == 256 and settings["training"]["lr"] == 1e-4
    assert settings["training"]["steps"] == config["presets"]["tiny"]["training_by_task"]["wikireversal"]["steps"]


@pytest.mark.slow
def test_lora_row_through_the_workflow(wiki, tmp_path):
    """micro preset, WikiReversal with AR and the LoRA objective on the tiny checkpoint: Table 3's
    Mistral column gets measured numbers, on both split variants."""
    _, checkpoint = wiki
    override = tmp_path / "lora.yaml"
    override.write_text(yaml.safe_dump({
        "preset": "micro", "tasks": ["wikireversal"], "objectives_by_task": {"wikireversal": ["ar", "mistral-7b-lora"]},
        "lora": {"mistral-7b-lora": {"checkpoint": str(checkpoint), "r": 256, "alpha": 256, "training": {"lr": 1.0e-4}}},
    }))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--cores", "2", "all",
           "--configfile", str(override)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = tmp_path / "results" / "micro"
    for dataset in ("wikireversal", "wikireversal_split-different"):
        run = results / "runs" / dataset / "mistral-7b-lora" / "seed0"
        assert (run / "adapter" / "adapter_config.json").exists() and not (run / "model.pt").exists()
        assert json.loads((run / "eval.json").read_text())["objective"] == "mistral-7b-lora"
    table = (results / "tables" / "paper" / "table3.md").read_text()
    assert "| forward (paper) | 14 | 3.4 | 11 | 21 |" in table
    measured = next(line for line in table.splitlines() if line.startswith("| forward |"))
    assert measured.split("|")[-2].strip() != "not run"  # the Mistral column is measured
    report = (results / "report.md").read_text()
    assert "| wikireversal_split-different | mistral-7b-lora | 0 | 6 |" in report
    assert "not implemented in this pipeline" not in report
