"""The workflow config resolved into what one job needs, and the checks a JSON schema can't make.

``config.yaml`` holds presets (tiny, paper, ...) with data, model and training settings per task,
architecture and objective; this module merges them for one (dataset, objective) so that each job
receives only the settings it uses (Snakemake reruns a job when its params change).
"""

from __future__ import annotations

import copy
from dataclasses import fields

from .model import ARCHITECTURES
from .objectives import Objective
from .tasks import TASKS
from .training import TrainConfig


class ConfigError(ValueError):
    """A config that would fail later; raised before any job starts."""


def _merge(base: dict, *overrides: dict | None) -> dict:
    out = copy.deepcopy(base)
    for o in overrides:
        for k, v in (o or {}).items():
            out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _check_entities(config: dict, task: str, objective_ids: list[str], where: str) -> None:
    """Entity-level objectives need a task that marks its entities."""
    if TASKS[task].marks_entities:
        return
    needy = [o for o in objective_ids if Objective.from_config(o, config["objectives"][o]).spec.needs_entities]
    if needy:
        marking = [name for name, t in TASKS.items() if t.marks_entities]
        raise ConfigError(
            f"{where}: {needy} reverse text entity by entity, but task {task!r} marks no entities; "
            f"run them on a task that does ({', '.join(marking)}) or drop them via objectives_by_task"
        )


def preset(config: dict) -> dict:
    name = config["preset"]
    if name not in config["presets"]:
        raise ConfigError(f"preset {name!r} is not defined; defined presets: {', '.join(config['presets'])}")
    return config["presets"][name]


def sweep_dataset(sweep: str, value) -> str:
    """The dataset (and run directory) name of one sweep point: ``<sweep>-<value>``."""
    return f"{sweep}-{value}"


def split_sweep_dataset(dataset: str) -> tuple[str, str]:
    """``<sweep>-<value>`` back to (sweep, value as written)."""
    sweep, _, value = dataset.rpartition("-")
    return sweep, value


def dataset_task(config: dict, dataset: str) -> tuple[str, dict]:
    """A dataset name is a task (``retrieval``) or a sweep point (``<sweep>-<value>``): return the
    task and its generator parameters: the preset's, then the sweep's own ``data``, then the value."""
    p = preset(config)
    if dataset in TASKS:
        return dataset, dict(p["data"].get(dataset, {}))
    sweep_name, value = split_sweep_dataset(dataset)
    sweep = config.get("sweeps", {}).get(sweep_name)
    if sweep is None:
        raise ConfigError(f"unknown dataset {dataset!r}: not a task ({', '.join(TASKS)}) nor a sweep point")
    values = [str(v) for v in sweep["values"]]
    if value not in values:
        raise ConfigError(f"sweep {sweep_name!r} has no value {value!r}; values: {values}")
    typed = sweep["values"][values.index(value)]
    return sweep["task"], {**p["data"].get(sweep["task"], {}), **sweep.get("data", {}), sweep["parameter"]: typed}


def sweep_of(config: dict, dataset: str) -> dict:
    """The sweep a dataset belongs to ({} for a plain task)."""
    if dataset in TASKS:
        return {}
    return config.get("sweeps", {}).get(split_sweep_dataset(dataset)[0], {})


def run_settings(config: dict, dataset: str, objective_id: str) -> dict:
    """Everything one training job needs: objective, model and training settings. A sweep's own
    ``training`` block (e.g. fewer steps) applies last to its runs."""
    task, _ = dataset_task(config, dataset)
    p = preset(config)
    entry = config["objectives"][objective_id]
    architecture = entry["architecture"]
    model = _merge(p["model"], p.get("model_by_architecture", {}).get(architecture), p.get("model_by_task", {}).get(task))
    model["architecture"] = architecture
    training = _merge(
        p["training"],
        p.get("training_by_task", {}).get(task),
        p.get("training_by_objective", {}).get(objective_id),
        sweep_of(config, dataset).get("training"),
    )
    return {"objective": dict(entry), "model": model, "training": training}


def task_objectives(config: dict, task: str) -> list[str]:
    """The objective ids `all` runs on a task: ``objectives_by_task[task]``, else ``run_objectives``."""
    return list(config.get("objectives_by_task", {}).get(task, config["run_objectives"]))


def check_config(config: dict) -> None:
    """Cross-field checks (the JSON schema checks each field alone). Raises ConfigError."""
    preset(config)
    for oid, entry in config["objectives"].items():
        try:
            obj = Objective.from_config(oid, entry)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        if entry["architecture"] not in ARCHITECTURES:
            raise ConfigError(f"objective {oid!r}: architecture must be one of {ARCHITECTURES}")
        try:
            obj.check_architecture(entry["architecture"])
        except ValueError as e:
            raise ConfigError(str(e)) from None
    missing = [o for o in config["run_objectives"] if o not in config["objectives"]]
    if missing:
        raise ConfigError(f"run_objectives names undefined objective(s) {missing}; defined: {', '.join(config['objectives'])}")
    unknown_tasks = [t for t in [*config["tasks"], *config.get("objectives_by_task", {})] if t not in TASKS]
    if unknown_tasks:
        raise ConfigError(f"tasks or objectives_by_task name unknown task(s) {unknown_tasks}; known: {', '.join(TASKS)}")
    for task, ids in config.get("objectives_by_task", {}).items():
        missing = [o for o in ids if o not in config["objectives"]]
        if missing:
            raise ConfigError(f"objectives_by_task.{task} names undefined objective(s) {missing}; defined: {', '.join(config['objectives'])}")
    for task in config["tasks"]:
        _check_entities(config, task, task_objectives(config, task), f"objectives for task {task!r}")
    for name, sweep in config.get("sweeps", {}).items():
        if sweep["task"] not in TASKS:
            raise ConfigError(f"sweeps.{name}.task {sweep['task']!r} is unknown; known: {', '.join(TASKS)}")
        missing = [o for o in sweep["objectives"] if o not in config["objectives"]]
        if missing:
            raise ConfigError(f"sweeps.{name}.objectives names undefined objective(s) {missing}")
        _check_entities(config, sweep["task"], sweep["objectives"], f"sweeps.{name}.objectives")
        if "-" in name:
            raise ConfigError(f"sweeps.{name}: a sweep name may not contain '-' (it separates the value)")
        base = {**preset(config)["data"].get(sweep["task"], {}), **sweep.get("data", {})}
        for value in sweep["values"]:
            try:
                TASKS[sweep["task"]].config_class(**{**base, sweep["parameter"]: value})
            except (TypeError, ValueError) as e:
                raise ConfigError(f"sweeps.{name}: {sweep['parameter']}={value!r} is not valid: {e}") from None
    train_keys = {f.name for f in fields(TrainConfig)}
    for pname, p in config["presets"].items():
        for task, params in p.get("data", {}).items():
            if task not in TASKS:
                raise ConfigError(f"presets.{pname}.data.{task}: unknown task; known: {', '.join(TASKS)}")
            try:
                TASKS[task].config_class(**params)
            except TypeError as e:
                raise ConfigError(f"presets.{pname}.data.{task}: {e}") from None
            except ValueError as e:
                raise ConfigError(f"presets.{pname}.data.{task}: {e}") from None
        blocks = [p["training"], *p.get("training_by_task", {}).values(), *p.get("training_by_objective", {}).values()]
        blocks += [s.get("training", {}) for s in config.get("sweeps", {}).values()]
        for block in blocks:
            unknown = set(block) - train_keys
            if unknown:
                raise ConfigError(f"presets.{pname}: unknown training setting(s) {sorted(unknown)}; known: {sorted(train_keys)}")
        for oid in p.get("training_by_objective", {}):
            if oid not in config["objectives"]:
                raise ConfigError(f"presets.{pname}.training_by_objective.{oid}: undefined objective")
