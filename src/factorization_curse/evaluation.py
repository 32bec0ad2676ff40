"""Greedy left-to-right generation (the paper's protocol for every model) and retrieval metrics.

Answers are generated one token at a time, left to right, for a known number of answer tokens.
Every model is asked in its training layout, ``<bos> prompt answer <eos>`` with the answer's
unknown tokens as ``<mask>`` (:func:`question_layout`): same length, same ``<eos>`` position, same
positions. The decoder-only model never looks past the current position (causal attention); the
encoder-only MLM reads the masks and the ``<eos>`` after them (so it knows how many answer tokens
remain, as in training); the encoder-decoder sees only known tokens as context, ranked as the
objective's ``decoding`` says (``masked``: ``<eos>`` is known context, as when training left it
visible; ``left-to-right``: ranks are positions, so ``<eos>`` comes after the answer, as in AR
training). No special token (padding, BOS, EOS, mask, entity marks) is ever generated.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pandas as pd
import torch

from . import data as data_io
from .answers import match_normalised, normaliser_description
from .data import EncodedSplit
from .metrics import question_scores, summarize
from .model import KeyValueCache, load_model
from .objectives import decoding_rank
from .runtime import atomic_write_bytes, atomic_write_text, autocast, autocast_dtype, resolve_device
from .tasks import TASKS
from .vocabulary import EOS_ID, MASK_ID, SPECIAL_TOKENS

# every answer token is an ordinary token: the special ids are 0 .. len(SPECIAL_TOKENS)-1
NEVER_GENERATED = tuple(range(len(SPECIAL_TOKENS)))


@torch.no_grad()
def generate(model, prompts: torch.Tensor, num_tokens: int, decoding: str) -> torch.Tensor:
    """Greedy answers [B, num_tokens] for equal-length prompts [B, P] (BOS first, no padding)."""
    if model.cfg.architecture == "decoder":
        return generate_with_cache(model, prompts, num_tokens)
    return generate_by_reencoding(model, prompts, num_tokens, decoding)


def answerable(logits: torch.Tensor) -> torch.Tensor:
    """``logits`` [N, V] in fp32 with the special tokens ruled out: what an answer token is chosen from."""
    logits = logits.float()
    logits[:, list(NEVER_GENERATED)] = float("-inf")
    return logits


def greedy_pick(logits: torch.Tensor) -> torch.Tensor:
    return answerable(logits).argmax(-1)


@torch.no_grad()
def generate_with_cache(model, prompts: torch.Tensor, num_tokens: int) -> torch.Tensor:
    """The causal decoder reads the prompt once, then one new token per step (key-value cache)."""
    cache = KeyValueCache()
    answer = []
    logits = model.next_token_logits(prompts, cache)
    for step in range(num_tokens):
        answer.append(greedy_pick(logits))
        if step + 1 < num_tokens:
            logits = model.next_token_logits(answer[-1][:, None], cache)
    return torch.stack(answer, 1) if answer else prompts[:, :0]


def question_layout(prompts: torch.Tensor, num_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The training layout of a question: ``<bos> prompt <mask>×num_tokens <eos>`` [B, P+A+1] and
    which positions are known (BOS, prompt and EOS) [B, P+A+1]."""
    B, P = prompts.shape
    masks = torch.full((B, num_tokens), MASK_ID, dtype=prompts.dtype, device=prompts.device)
    eos = torch.full((B, 1), EOS_ID, dtype=prompts.dtype, device=prompts.device)
    tokens = torch.cat([prompts, masks, eos], 1)
    known = torch.ones_like(tokens, dtype=torch.bool)
    known[:, P : P + num_tokens] = False
    return tokens, known


@torch.no_grad()
def generate_by_reencoding(model, prompts: torch.Tensor, num_tokens: int, decoding: str) -> torch.Tensor:
    """Bidirectional models: every step re-reads the whole sequence, since a newly known token
    changes the states of the tokens before it; all questions of a batch go through together."""
    P = prompts.shape[1]
    tokens, known = question_layout(prompts, num_tokens)
    if decoding == "masked-whole":  # every answer token at once, from the fully masked answer
        select = torch.zeros_like(known)
        select[:, P : P + num_tokens] = True
        logits = model(tokens, decoding_rank(known, decoding), select)
        return greedy_pick(logits).view(prompts.shape[0], num_tokens)
    select = torch.zeros_like(known)
    for position in range(P, P + num_tokens):
        select.zero_()
        select[:, position] = True
        tokens[:, position] = greedy_pick(model(tokens, decoding_rank(known, decoding), select))
        known[:, position] = True
    return tokens[:, P : P + num_tokens]


def _answer_logits(logits: torch.Tensor) -> torch.Tensor:
    """Log-probabilities over the tokens an answer can hold (special tokens excluded, as in :func:`greedy_pick`)."""
    return torch.log_softmax(answerable(logits), -1)


@torch.no_grad()
def answer_nll(model, prompts: torch.Tensor, answers: torch.Tensor, decoding: str) -> torch.Tensor:
    """[B, A] teacher-forced negative log-likelihood (nats) of each true answer token, given the
    prompt and the true answer tokens before it, in the layout and order in which the model answers
    (:func:`generate`, with the true tokens where generation puts its own): how likely the model
    finds the right answer, which moves long before the greedy answer becomes right."""
    B, P = prompts.shape
    A = answers.shape[1]
    if A == 0:
        return answers.new_zeros((B, 0), dtype=torch.float32)
    if model.cfg.architecture == "decoder":  # causal: one pass scores every answer token
        tokens = torch.cat([prompts, answers], 1)
        select = torch.zeros_like(tokens, dtype=torch.bool)
        select[:, P:] = True
        rank = torch.arange(tokens.shape[1], device=tokens.device).expand_as(tokens)
        logp = _answer_logits(model(tokens, rank, select)).view(B, A, -1)
        return -logp.gather(-1, answers[..., None])[..., 0]
    tokens, known = question_layout(prompts, A)
    if decoding == "masked-whole":
        select = torch.zeros_like(known)
        select[:, P : P + A] = True
        logp = _answer_logits(model(tokens, decoding_rank(known, decoding), select)).view(B, A, -1)
        return -logp.gather(-1, answers[..., None])[..., 0]
    nll = []
    select = torch.zeros_like(known)
    for k in range(A):
        select.zero_()
        select[:, P + k] = True
        logp = _answer_logits(model(tokens, decoding_rank(known, decoding), select))
        nll.append(-logp.gather(-1, answers[:, k : k + 1])[:, 0])
        tokens[:, P + k] = answers[:, k]
        known[:, P + k] = True
    return torch.stack(nll, 1)


def predict(model, split: EncodedSplit, decoding: str, batch_size: int = 512) -> list[dict]:
    """Generate every example's answer; batches group examples of equal prompt and answer length."""
    was_training = model.training
    model.eval()
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (p, a) in enumerate(zip(split.prompt_lengths.tolist(), split.answer_lengths.tolist())):
        groups[(p, a)].append(i)
    results: list[dict] = [{} for _ in range(len(split))]
    for (P, A), indices in sorted(groups.items()):
        for start in range(0, len(indices), batch_size):
            idx = torch.tensor(indices[start : start + batch_size], device=split.tokens.device)
            rows = split.tokens[idx]
            answers = rows[:, P : P + A]
            predicted = generate(model, rows[:, :P], A, decoding)
            nll = answer_nll(model, rows[:, :P], answers, decoding).mean(1).tolist() if A else [None] * len(idx)
            correct = (predicted == answers).cpu()
            predicted = predicted.tolist()
            for j, i in enumerate(idx.tolist()):
                results[i] = {
                    "direction": split.directions[i],
                    "predicted": predicted[j],
                    "answer": answers[j].tolist(),
                    "exact_match": bool(correct[j].all()),
                    "token_accuracy": float(correct[j].float().mean()) if A else 1.0,
                    "position_correct": correct[j].tolist(),
                    "answer_nll": nll[j],
                }
                if split.other_answers[i]:
                    results[i]["incorrect_inference"] = predicted[j] == split.other_answers[i]
    model.train(was_training)
    return results


def evaluate_model(data_dir, model_path, objective, run: dict, evaluation_path, predictions_path,
                   questions_path=None, log=print, device: str = "auto", precision: str = "auto") -> dict:
    """Score a trained model once on every test question (the validation split served the learning
    curves and every choice of settings); write eval.json and predictions.jsonl. ``run``: which run
    this is (task, dataset, objective, seed), copied into eval.json."""
    device = resolve_device(device)
    model, saved = load_model(model_path, device)
    trained_on, here = saved.get("dataset_fingerprint"), data_io.dataset_fingerprint(data_dir)
    if trained_on != here:
        raise ValueError(f"{model_path} was trained on another version of the dataset in {data_dir} (fingerprint "
                         f"{str(trained_on)[:12]}, now {here[:12]}): retrain it, e.g. snakemake --cores all "
                         f"--forcerun {model_path}")
    tokenizer = data_io.load_tokenizer(data_dir)
    rows = data_io.load_split(data_dir, "test")
    test = data_io.encode_examples(rows, tokenizer).to(device)
    log(f"evaluating {run['objective']} on {len(test)} test questions")
    started = time.perf_counter()
    with autocast(autocast_dtype(precision, device), device):
        predictions = predict(model, test, objective.spec.decoding)
    return write_evaluation(predictions, rows, run, tokenizer.decode, time.perf_counter() - started, device,
                            evaluation_path, predictions_path, questions_path, log)


QUESTION_COLUMNS = ["task", "dataset", "objective", "seed", "direction", "question", "fact"]  # then the metrics


def write_evaluation(predictions: list[dict], rows: list[dict], run: dict, decode, seconds: float, device,
                     evaluation_path, predictions_path, questions_path=None, log=print) -> dict:
    """Score the test answers of one model (every architecture, and the LoRA fine-tunes) the same way:
    the task's answer normaliser where it has one (``decode``: token ids to text), every metric of
    :mod:`metrics` per direction; write eval.json, predictions.jsonl (answers decoded) and, with
    ``questions_path``, the per-question table (Parquet: :data:`QUESTION_COLUMNS`, then one column
    per metric, empty where a metric is undefined), from which the intervals are computed.
    ``rows``: the test split's rows, in the order of ``predictions``."""
    task = TASKS[run["task"]]
    if len(rows) != len(predictions):
        raise ValueError(f"{len(predictions)} answers for {len(rows)} test questions")
    if task.answer_normaliser is not None:
        match_normalised(predictions, decode, task.answer_normaliser)
    metrics = summarize(predictions, positions=task.position_metrics)
    for direction, values in metrics.items():
        extra = f", incorrect inference {values['incorrect_inference']:.1f}%" if "incorrect_inference" in values else ""
        log(f"{direction}: exact match {values['exact_match']:.1f}%, token accuracy {values['token_accuracy']:.1f}%{extra} "
            f"({values['count']} questions)")
    log(f"{len(predictions)} answers in {seconds:.1f} s ({len(predictions) / max(seconds, 1e-9):.0f} answers/s) on {device}")
    result = {**run, "split": "test", "metrics": metrics, "seconds": round(seconds, 2), "device": str(device)}
    if task.answer_normaliser is not None:
        result["exact_match_normalisation"] = normaliser_description(task.answer_normaliser)
    atomic_write_text(Path(evaluation_path), json.dumps(result, indent=1))
    lines = [json.dumps({**p, "question": i, "fact": row["fact"], "predicted": decode(p["predicted"]),
                         "answer": decode(p["answer"])}) for i, (p, row) in enumerate(zip(predictions, rows))]
    atomic_write_text(Path(predictions_path), "\n".join(lines) + "\n")
    if questions_path is not None:
        table = pd.DataFrame([{**{k: run.get(k) for k in QUESTION_COLUMNS[:4]}, "direction": p["direction"], "question": i,
                               "fact": int(row["fact"]), **question_scores(p, task.position_metrics)}
                              for i, (p, row) in enumerate(zip(predictions, rows))])
        atomic_write_bytes(Path(questions_path), table.to_parquet(index=False))
    return result
