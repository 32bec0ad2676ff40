"""Tasks by name. A task is a generator from (config, seed) to train/test examples and a vocabulary.

Every example is a prompt and an answer (empty for plain training text); models read
``<bos> prompt answer <eos>`` and are tested on producing ``answer`` from ``prompt``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Example:
    prompt: str
    answer: str
    kind: str  # "statement" (training text) or "query"
    direction: str  # "forward", "backward", or "" for statements
    entity: int  # which fact (pair, person, ...) the example is about


@dataclass
class TaskData:
    train: list[Example]
    test: list[Example]
    vocabulary: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Task:
    name: str
    config_class: type
    generate: Callable[..., TaskData]


from .retrieval import RetrievalConfig, make_retrieval  # noqa: E402
from .stargraph import StarGraphConfig, make_stargraph  # noqa: E402

TASKS: dict[str, Task] = {
    "retrieval": Task("retrieval", RetrievalConfig, make_retrieval),
    "stargraph": Task("stargraph", StarGraphConfig, make_stargraph),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}")
    return TASKS[name]


def check_no_leak(data: TaskData) -> None:
    """A test query must never appear in training (as the same prompt with the same answer)."""
    train = {(e.prompt, e.answer) for e in data.train if e.kind == "query"}
    leaked = [e for e in data.test if (e.prompt, e.answer) in train]
    if leaked:
        raise AssertionError(f"{len(leaked)} test queries also appear in training, e.g. {leaked[0]}")


def make_dataset(task_name: str, params: dict, seed: int, out_dir: str | Path) -> TaskData:
    """Generate a task's data and write train/test Parquet files and the vocabulary to ``out_dir``.

    The files are written to a temporary sibling directory first and renamed into place, so a
    crash never leaves a half-written dataset behind.
    """
    import datasets
    from ..vocabulary import SymbolicTokenizer

    task = get_task(task_name)
    config = task.config_class(**params)
    data = task.generate(config, seed)
    check_no_leak(data)

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for split in ("train", "test"):
        rows = [dataclasses.asdict(e) for e in getattr(data, split)]
        datasets.Dataset.from_list(rows).to_parquet(str(tmp / f"{split}.parquet"))
    SymbolicTokenizer(data.vocabulary).save(tmp / "vocab.json")
    info = {
        "task": task_name,
        "seed": seed,
        "config": dataclasses.asdict(config),
        "num_train": len(data.train),
        "num_test": len(data.test),
    }
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return data
