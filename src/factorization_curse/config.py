"""The workflow config resolved into what one job needs, and the checks a JSON schema can't make.

``config.yaml`` holds presets (tiny, paper, ...) with data, model and training settings per task,
architecture and objective; this module merges them for one (dataset, objective) so that each job
receives only the settings it uses (Snakemake reruns a job when its params change).

Datasets are planned, never decoded: :func:`planned_datasets` lists every dataset the config
defines, each with its task, generator settings and training overrides: the task's own, every
point of a sweep (``sweeps``, extra experiments) and every variant (``variants``: run by ``all``
beside the task and aggregated into the task's table, e.g. WikiReversal's ``split_seeds:
different``). A derived dataset's folder is called ``<name>-<value>``; nothing reads a setting back
out of that name.

Torch-free, checks included (the results layer and the DAG build import it): the checks build
model settings (:mod:`.settings`) and objectives (:mod:`.objectives`, which loads torch only
when a rule runs).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields

from .objectives import Objective
from .settings import ARCHITECTURES, CADENCE_KEYS, ModelConfig
from .tasks import TASKS

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
    needy = [o for o in objective_ids if o in config["objectives"]
             and Objective.from_config(o, config["objectives"][o]).spec.needs_entities]
    if needy:
        marking = [name for name, t in TASKS.items() if t.marks_entities]
        raise ConfigError(
            f"{where}: {needy} work entity by entity (reversing or masking whole entities), but task {task!r} marks no entities; "
            f"run them on a task that does ({', '.join(marking)}) or drop them via objectives_by_task"
        )


def _check_sources(config: dict, task: str) -> None:
    """A task that reads data (WikiReversal: GenWiki) needs it in place before any job starts."""
    check = TASKS[task].check_sources
    if check is None:
        return
    params = preset(config)["data"].get(task, {})
    try:
        check(TASKS[task].config_class(**params))
    except (TypeError, ValueError, OSError) as e:
        raise ConfigError(f"presets.{config['preset']}.data.{task}: {e}") from None


def resolve_presets(config: dict) -> dict:
    """Expand every preset that says ``based_on: <preset>``: the named preset, deep-merged with this
    one's keys (a shrunken copy that cannot drift from what it copies: ``paper_smoke`` is the paper
    preset with every size small). In place, and idempotent; returns ``config``."""
    presets = config.get("presets", {})
    resolved: dict[str, dict] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict:
        if name in resolved:
            return resolved[name]
        entry = presets[name]
        base = entry.get("based_on")
        if base is None:
            resolved[name] = entry
            return entry
        if base not in presets:
            raise ConfigError(f"presets.{name}.based_on: no preset {base!r}; defined presets: {', '.join(presets)}")
        if base in chain:
            raise ConfigError(f"presets.{name}.based_on: a circle of presets ({' -> '.join([*chain, name, base])})")
        resolved[name] = _merge(resolve(base, (*chain, name)), entry)
        return resolved[name]

    for name in list(presets):
        presets[name] = resolve(name, ())
    return config


def preset(config: dict) -> dict:
    """The settings of the preset this config runs (``based_on`` expanded)."""
    resolve_presets(config)
    name = config["preset"]
    if name not in config["presets"]:
        raise ConfigError(f"preset {name!r} is not defined; defined presets: {', '.join(config['presets'])}")
    return config["presets"][name]


@dataclass(frozen=True)
class PlannedDataset:
    """One dataset the config defines: its folder name, task and generator settings; for a sweep
    point or a variant, which one (``group``), the setting that derives it from its task
    (``setting``: {parameter: value}) and the sweep's training overrides."""

    name: str
    task: str
    data: dict
    group: str | None = None
    setting: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)


def derived_name(group: str, value) -> str:
    """The folder name of one sweep point or variant: ``<name>-<value>`` (written, never parsed)."""
    return f"{group}-{value}"


def planned_datasets(config: dict) -> dict[str, PlannedDataset]:
    """Every dataset of the config by name: the tasks', then each variant's and each sweep's points
    (generator settings: the preset's for the task, then a sweep's own ``data``, then the value)."""
    p = preset(config)
    plan = {task: PlannedDataset(task, task, dict(p["data"].get(task, {}))) for task in TASKS}
    for kind in ("variants", "sweeps"):
        for group, entry in config.get(kind, {}).items():
            base = {**p["data"].get(entry["task"], {}), **entry.get("data", {})}
            for value in entry["values"]:
                name = derived_name(group, value)
                plan[name] = PlannedDataset(name, entry["task"], {**base, entry["parameter"]: value}, group,
                                            {entry["parameter"]: value}, dict(entry.get("training", {})))
    return plan


def planned(config: dict, dataset: str) -> PlannedDataset:
    plan = planned_datasets(config)
    if dataset not in plan:
        raise ConfigError(f"unknown dataset {dataset!r}: the config defines {', '.join(plan)}")
    return plan[dataset]


def dataset_task(config: dict, dataset: str) -> tuple[str, dict]:
    """The task of a planned dataset and its generator settings."""
    entry = planned(config, dataset)
    return entry.task, dict(entry.data)


def dataset_sources(config: dict, dataset: str) -> list[str]:
    """The files a planned dataset is read from (the star graph's ``train_file``, ``test_file``), as
    paths; empty for generated data."""
    task, params = dataset_task(config, dataset)
    files = TASKS[task].source_files
    return [] if files is None else [str(path) for path in files(TASKS[task].config_class(**params))]


def group_datasets(config: dict, group: str) -> list[str]:
    """The datasets of one sweep or variant, in the order of its values."""
    return [d.name for d in planned_datasets(config).values() if d.group == group]


def variant_datasets(config: dict, task: str) -> list[str]:
    """The variants of ``task`` that `all` runs beside it, in config order."""
    return [name for group in config.get("variants", {}) for name in group_datasets(config, group)
            if planned(config, name).task == task]


def task_datasets(config: dict, task: str) -> list[str]:
    """Every dataset whose runs go into ``tables/<task>.csv``: the task's own, then its variants."""
    return [task, *variant_datasets(config, task)]


def run_settings(config: dict, dataset: str, objective_id: str) -> dict:
    """Everything one training job needs: objective, model and training settings. A sweep's own
    ``training`` block (e.g. fewer steps) applies last to its runs."""
    task, _ = dataset_task(config, dataset)
    p = preset(config)
    entry = config["objectives"][objective_id]
    architecture = entry["architecture"]
    model = _merge(p["model"], p.get("model_by_architecture", {}).get(architecture), p.get("model_by_task", {}).get(task),
                   entry.get("model"))
    model["architecture"] = architecture
    training = _merge(
        p["training"],
        p.get("training_by_task", {}).get(task),
        p.get("training_by_objective", {}).get(objective_id),
        planned(config, dataset).training,
    )
    objective = {k: v for k, v in entry.items() if k != "model"}  # the model settings are under "model"
    return {"objective": objective, "model": model, "training": training}


def run_identity(settings: dict) -> dict:
    """What identifies a run for reruns: its settings (see :func:`run_settings`) without the training
    cadence (logging, validation and checkpoint intervals, :data:`CADENCE_KEYS`)."""
    return {**settings, "training": {k: v for k, v in settings["training"].items() if k not in CADENCE_KEYS}}


def run_cadence(settings: dict) -> dict:
    """The training cadence of a run (read by the job from the config, never a rerun trigger)."""
    return {k: v for k, v in settings["training"].items() if k in CADENCE_KEYS}


# What a training job asks the cluster for when the preset says nothing: no GPU, 4 GB, one hour.
DEFAULT_RESOURCES = {"gpus": 0, "mem_mb": 4000, "runtime": 60}


def training_resources(config: dict, dataset: str) -> dict:
    """What one training job asks the cluster for, as Snakemake resources the SLURM executor reads:
    ``gpu`` (count, 0 for none; ``--gpus``), ``gpu_model`` (None: any type), ``cpus_per_task``,
    ``mem_mb`` and ``runtime`` (minutes). The preset's ``resources``, then its
    ``resources_by_task`` entry; CPUs default to the preset's ``threads``."""
    task, _ = dataset_task(config, dataset)
    p = preset(config)
    r = _merge(DEFAULT_RESOURCES, p.get("resources"), p.get("resources_by_task", {}).get(task))
    return {
        "gpu": r["gpus"],
        "gpu_model": r.get("gpu_model") if r["gpus"] else None,
        "cpus_per_task": r.get("cpus", p.get("threads", 1)),
        "mem_mb": r["mem_mb"],
        "runtime": r["runtime"],
    }


def evaluation_resources(config: dict, dataset: str) -> dict:
    """What one evaluation job asks for: one GPU (of the training jobs' type) where training asks for
    any, since generation at the paper's sizes is GPU work too; the training job's CPUs and memory;
    the preset's ``resources.eval_runtime`` minutes (default 30)."""
    train = training_resources(config, dataset)
    p = preset(config)
    r = _merge(DEFAULT_RESOURCES, p.get("resources"), p.get("resources_by_task", {}).get(dataset_task(config, dataset)[0]))
    return {**train, "gpu": min(1, train["gpu"]), "runtime": r.get("eval_runtime", 30)}


def lora_objectives(config: dict) -> dict[str, dict]:
    """The pretrained models fine-tuned with LoRA (``lora``: the paper's Mistral-7B row), by objective id."""
    return dict(config.get("lora") or {})


# how a model setting is spelled in the id of a model-size sweep's objective (mlm-u-l4-d256)
MODEL_SETTING_ABBREVIATIONS = {"n_layer": "l", "d_model": "d", "n_head": "h", "d_ff": "f"}


def model_sweep_points(config: dict) -> list[dict]:
    """The points of ``model_size_sweep``: per listed objective and size of the preset's
    ``model_sizes`` (none without them), the objective id that trains it (``objective``), the
    objective it scales (``base``), the size (``size``) and the model it trains (``model``: the size
    over the model the objective trains on the task). A size that is that model already is the base
    objective itself (its runs are shared with ``all``); any other gets an id of its own, e.g.
    ``mlm-u-l4-d256``."""
    sweep = config.get("model_size_sweep")
    p = preset(config)
    if not sweep or not p.get("model_sizes"):
        return []
    points = []
    for base in sweep["objectives"]:
        if base not in config["objectives"]:
            raise ConfigError(f"model_size_sweep.objectives names undefined objective {base!r}; "
                              f"defined: {', '.join(config['objectives'])}")
        own = {k: v for k, v in run_settings(config, sweep["task"], base)["model"].items() if k != "architecture"}
        for size in p["model_sizes"]:
            unknown = [k for k in size if k not in MODEL_SETTING_ABBREVIATIONS]
            if unknown:
                raise ConfigError(f"presets.{config['preset']}.model_sizes: {unknown} are not swept model settings; use "
                                  f"{', '.join(MODEL_SETTING_ABBREVIATIONS)}")
            same = all(own.get(k) == v for k, v in size.items())
            name = base if same else base + "".join(f"-{MODEL_SETTING_ABBREVIATIONS[k]}{v}" for k, v in size.items())
            points.append({"objective": name, "base": base, "size": dict(size), "model": {**own, **size}})
    return points


def add_model_sweep_objectives(config: dict) -> dict:
    """Define the model-size sweep's own objective ids (:func:`model_sweep_points`) in
    ``config["objectives"]``: the base objective's entry with the size's settings over its own. In place."""
    for point in model_sweep_points(config):
        if point["objective"] != point["base"]:
            entry = config["objectives"][point["base"]]
            config["objectives"][point["objective"]] = {**entry, "model": {**entry.get("model", {}), **point["size"]}}
    return config


def defined_objectives(config: dict) -> list[str]:
    """Every objective id a task may run: ``objectives`` and ``lora``."""
    return [*config["objectives"], *lora_objectives(config)]


def lora_settings(config: dict, dataset: str, objective_id: str) -> dict:
    """Everything one LoRA fine-tune needs: ``lora`` (checkpoint, r, alpha, dropout,
    target_modules) and ``training``: the preset's, its ``training_by_task`` entry, then the
    entry's own ``training`` (the paper's lr 1e-4)."""
    task, _ = dataset_task(config, dataset)
    p = preset(config)
    entry = dict(lora_objectives(config)[objective_id])
    training = _merge(p["training"], p.get("training_by_task", {}).get(task), entry.pop("training", None))
    return {"lora": entry, "training": training}


def _check_lora(config: dict, objective_id: str) -> None:
    """A LoRA objective that a task runs needs the extra installed and its checkpoint in place."""
    where = f"lora.{objective_id}"
    entry = {k: v for k, v in lora_objectives(config)[objective_id].items() if k != "training"}
    try:
        from .lora import LoraSettings, check_checkpoint, require_extra

        require_extra()
        check_checkpoint(LoraSettings(**entry).checkpoint)
    except (ImportError, OSError, TypeError, ValueError) as e:
        raise ConfigError(f"{where}: {e}") from None


def task_objectives(config: dict, task: str) -> list[str]:
    """The objective ids `all` runs on a task: ``objectives_by_task[task]``, else ``run_objectives``."""
    return list(config.get("objectives_by_task", {}).get(task, config["run_objectives"]))


def _check_variant(config: dict, name: str, variant: dict) -> None:
    """A variant names a known task and one of its generator parameters; each value gives a valid
    config that differs from the task's own (else the two datasets would be the same runs)."""
    where = f"variants.{name}"
    task = variant["task"]
    if task not in TASKS:
        raise ConfigError(f"{where}.task {task!r} is unknown; known: {', '.join(TASKS)}")
    if "-" in name or name in TASKS:
        raise ConfigError(f"{where}: a variant name may not contain '-' (it separates the value) nor be a task's name")
    config_class = TASKS[task].config_class
    parameter = variant["parameter"]
    if parameter not in {f.name for f in fields(config_class)}:
        raise ConfigError(f"{where}.parameter {parameter!r} is not a setting of task {task!r}; "
                          f"settings: {', '.join(f.name for f in fields(config_class))}")
    base = preset(config)["data"].get(task, {})
    own = getattr(config_class(**base), parameter)
    for value in variant["values"]:
        try:
            config_class(**{**base, parameter: value})
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: {parameter}={value!r} is not valid: {e}") from None
        if value == own:
            raise ConfigError(f"{where}: {parameter}={value!r} is the task's own setting at preset "
                              f"{config['preset']!r}; `all` runs it as dataset {task!r} already")


def _check_factorization_gap(config: dict) -> None:
    """The meter's models must be able to read every order: a causal decoder reads left to right only."""
    gap = config.get("factorization_gap")
    if not gap:
        return
    unknown = [t for t in gap["tasks"] if t not in TASKS]
    if unknown:
        raise ConfigError(f"factorization_gap.tasks names unknown task(s) {unknown}; known: {', '.join(TASKS)}")
    for oid in gap["objectives"]:
        if oid not in config["objectives"]:
            raise ConfigError(f"factorization_gap.objectives names undefined objective {oid!r}; "
                              f"defined: {', '.join(config['objectives'])}")
        if config["objectives"][oid]["architecture"] == "decoder":
            raise ConfigError(f"factorization_gap.objectives: {oid!r} trains the causal decoder, which scores only the "
                              "left-to-right order; define it on the encoder-decoder (architecture: encoder-decoder) "
                              "and list that id")


def _check_model_size_sweep(config: dict) -> None:
    """Every size must be a model the architecture can build, on a task that exists."""
    sweep = config.get("model_size_sweep")
    if not sweep:
        return
    if sweep["task"] not in TASKS:
        raise ConfigError(f"model_size_sweep.task {sweep['task']!r} is unknown; known: {', '.join(TASKS)}")
    for point in model_sweep_points(config):
        try:
            ModelConfig(vocab_size=8, **point["model"])
        except (TypeError, ValueError) as e:
            raise ConfigError(f"model_size_sweep: {point['base']} at {point['size']} is impossible: {e}") from None


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
    defined = defined_objectives(config)
    clash = [o for o in lora_objectives(config) if o in config["objectives"]]
    if clash:
        raise ConfigError(f"lora: {clash} are also defined under objectives; an objective id names one of them")
    missing = [o for o in config["run_objectives"] if o not in defined]
    if missing:
        raise ConfigError(f"run_objectives names undefined objective(s) {missing}; defined: {', '.join(defined)}")
    unknown_tasks = [t for t in [*config["tasks"], *config.get("objectives_by_task", {})] if t not in TASKS]
    if unknown_tasks:
        raise ConfigError(f"tasks or objectives_by_task name unknown task(s) {unknown_tasks}; known: {', '.join(TASKS)}")
    for task, ids in config.get("objectives_by_task", {}).items():
        missing = [o for o in ids if o not in defined]
        if missing:
            raise ConfigError(f"objectives_by_task.{task} names undefined objective(s) {missing}; defined: {', '.join(defined)}")
    for task in config["tasks"]:
        _check_entities(config, task, task_objectives(config, task), f"objectives for task {task!r}")
        _check_sources(config, task)
    for objective_id in dict.fromkeys(o for task in config["tasks"] for o in task_objectives(config, task)):
        if objective_id in lora_objectives(config):
            _check_lora(config, objective_id)
    for name, sweep in config.get("sweeps", {}).items():
        if sweep["task"] not in TASKS:
            raise ConfigError(f"sweeps.{name}.task {sweep['task']!r} is unknown; known: {', '.join(TASKS)}")
        missing = [o for o in sweep["objectives"] if o not in config["objectives"]]
        if missing:
            raise ConfigError(f"sweeps.{name}.objectives names undefined objective(s) {missing}")
        _check_entities(config, sweep["task"], sweep["objectives"], f"sweeps.{name}.objectives")
        if "-" in name or name in TASKS or name in config.get("variants", {}):
            raise ConfigError(f"sweeps.{name}: a sweep name may not contain '-' (it separates the value) nor be the "
                              "name of a task or a variant")
        base = {**preset(config)["data"].get(sweep["task"], {}), **sweep.get("data", {})}
        for value in sweep["values"]:
            try:
                TASKS[sweep["task"]].config_class(**{**base, sweep["parameter"]: value})
            except (TypeError, ValueError) as e:
                raise ConfigError(f"sweeps.{name}: {sweep['parameter']}={value!r} is not valid: {e}") from None
    for name, variant in config.get("variants", {}).items():
        _check_variant(config, name, variant)
    _check_factorization_gap(config)
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
        for oid in p.get("training_by_objective", {}):
            if oid not in defined:
                raise ConfigError(f"presets.{pname}.training_by_objective.{oid}: undefined objective")
        for task in p.get("resources_by_task", {}):
            if task not in TASKS:
                raise ConfigError(f"presets.{pname}.resources_by_task.{task}: unknown task; known: {', '.join(TASKS)}")
    _check_models(config)
    _check_model_size_sweep(config)


def _check_models(config: dict) -> None:
    """Build the model config of every run the preset plans (tasks and sweeps), so that an impossible
    model (e.g. n_head 3 with d_model 32) fails here, before any dataset is built."""
    runs = [(task, o) for task in config["tasks"] for o in task_objectives(config, task) if o in config["objectives"]]
    runs += [(derived_name(name, sweep["values"][0]), o) for name, sweep in config.get("sweeps", {}).items()
             for o in sweep["objectives"]]
    for dataset, objective_id in runs:
        model = run_settings(config, dataset, objective_id)["model"]
        try:
            ModelConfig(vocab_size=64, **model)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"preset {config['preset']!r}, objective {objective_id!r} on {dataset}: the model "
                              f"{model} is impossible: {e}") from None
