# Config validation (before any job starts) and the helpers that compute paths and params.
# The library (src/factorization_curse) is installed into the environment that runs Snakemake and
# its jobs (`make` does `pip install -e .`; README, "Installing"): the one way it is found.
import os
import sys
from pathlib import Path
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

try:
    from factorization_curse import config as fc
    from factorization_curse import runtime
    from factorization_curse.tasks import TASKS
except ImportError as error:
    raise WorkflowError(f"the project's library is not installed in this Python ({error}): run `make` once "
                        "(or `pip install -e .` in the repository) and start Snakemake from that environment, "
                        "e.g. .venv/bin/snakemake")

# `--config seeds=[0,1,2]` hands the list's items over as strings
if "seeds" in config:
    config["seeds"] = [int(s) if isinstance(s, str) and s.isdigit() else s for s in config["seeds"]]
try:
    fc.resolve_presets(config)  # presets `based_on` another one, expanded before anything reads them
except fc.ConfigError as error:
    raise WorkflowError(f"config.yaml is invalid: {error}")
validate(config, schema="../schemas/config.schema.yaml")
try:
    fc.add_model_sweep_objectives(config)  # the model-size sweep's objective ids (extensions.smk)
except fc.ConfigError as error:
    raise WorkflowError(f"config.yaml is invalid: {error}")
# the training seeds of this invocation: the command line's, else the preset's
config["seeds"] = config.get("seeds") or config["presets"].get(config["preset"], {}).get("seeds", [0])
try:
    fc.check_config(config)
except fc.ConfigError as error:
    raise WorkflowError(f"config.yaml is invalid: {error}")

PRESET = config["preset"]
# Which preset runs is the first thing a user must know (the profiles choose different ones). A
# --config on the command line replaces the SLURM profile's `preset=paper`: refuse to send the tiny
# preset to a cluster unless it was asked for by name.
def _sent_to_slurm(argv=sys.argv):
    """Whether this command line sends jobs to SLURM (--profile slurm, or the SLURM executor), read
    from the command itself: while the Snakefile is parsed Snakemake has not chosen its executor yet."""
    named = [os.environ.get("SNAKEMAKE_PROFILE", "")]
    for i, arg in enumerate(argv):
        if arg in ("--profile", "--executor", "-e") and i + 1 < len(argv):
            named.append(argv[i + 1])
        elif arg.startswith(("--profile=", "--executor=")):
            named.append(arg.split("=", 1)[1])
    return any(Path(value).name == "slurm" for value in named if value)


if not workflow.remote_exec:
    if _sent_to_slurm() and "preset" not in workflow.config_settings.overwrite_config:
        raise WorkflowError(
            "no preset named for a cluster run: a --config on the command line replaces the profile's "
            "preset=paper. Name it there as well, e.g. --config preset=paper 'seeds=[0,1,2]' (or "
            "preset=tiny to run the small preset on the cluster)."
        )
    print(f"preset {PRESET}: results under results/{PRESET}/ ({len(config['seeds'])} seed(s))", file=sys.stderr)
# content fingerprints of the code behind each kind of job (library modules and rule scripts), a
# parameter of those jobs: rerun when that code changes, not when a file is only touched (README,
# "What reruns")
CODE = runtime.code_fingerprint("numbers")
DATA_CODE = runtime.code_fingerprint("data")
RESULTS_CODE = runtime.code_fingerprint("results")
RESULTS = f"results/{PRESET}"
RUN = f"{RESULTS}/runs/{{dataset}}/{{objective}}/seed{{seed}}"
ENV = "../../envs/pipeline.yaml"


wildcard_constraints:
    dataset=r"[a-z][a-z0-9_]*(-[A-Za-z0-9.]+)?",
    task="|".join(TASKS),
    sweep="|".join(config.get("sweeps", {})) or "(?!)",
    objective=r"[a-z0-9][a-z0-9-]*",
    seed=r"\d+",


def task_objectives(task):
    return fc.task_objectives(config, task)


def task_datasets(task):
    """The task's own dataset, then its variants (config `variants`): all go into tables/<task>.csv."""
    return fc.task_datasets(config, task)


def eval_files(dataset, objectives):
    return expand(f"{RUN}/eval.json", dataset=dataset, objective=objectives, seed=config["seeds"])


def question_files(dataset, objectives):
    return expand(f"{RUN}/questions.parquet", dataset=dataset, objective=objectives, seed=config["seeds"])


def sweep_datasets(sweep):
    return fc.group_datasets(config, sweep)


def get_final_output():
    """What `all` builds: per task, the long table, its paper-layout twin and the figure; then the
    paper's tables and figures and the reproduction report (get_report_output, report.smk)."""
    return expand(
        [f"{RESULTS}/tables/{{task}}.csv", f"{RESULTS}/tables/{{task}}.md", f"{RESULTS}/figures/{{task}}.pdf"],
        task=config["tasks"],
    ) + get_report_output()


def get_sweep_output():
    return expand(f"{RESULTS}/figures/{{sweep}}.pdf", sweep=config.get("sweeps", {}))


def training_threads():
    return fc.preset(config).get("threads", 1)


# The preset's pack_seeds: every seed of a (dataset, objective) trained in one job (rule train_pack),
# whenever this invocation has more than one seed.
PACK_SEEDS = bool(fc.preset(config).get("pack_seeds")) and len(config["seeds"]) > 1


def pack_files(name):
    """One file of every seed's run: the outputs of a pack (wildcards dataset and objective)."""
    return [f"{RESULTS}/runs/{{dataset}}/{{objective}}/seed{seed}/{name}" for seed in config["seeds"]]


MODEL_SWEEP_POINTS = fc.model_sweep_points(config)
MODEL_SWEEP_TASK = config.get("model_size_sweep", {}).get("task", "relationship")


def model_sweep_objectives(wildcards=None):
    """The objective ids of the model-size sweep's points (config.model_sweep_points)."""
    if not MODEL_SWEEP_POINTS:
        raise WorkflowError(f"preset {PRESET} has no model_sizes: give presets.{PRESET}.model_sizes (config.yaml) "
                            "to run the model-size sweep")
    return [p["objective"] for p in MODEL_SWEEP_POINTS]
