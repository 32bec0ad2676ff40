"""Where and how a job runs, and what it leaves behind: device, precision, threads, atomic files,
provenance (git commit, code fingerprints), log files.

The bottom of the package: it imports nothing from it. It is also imported where torch must not
be (the results layer, the Snakemake DAG build), so torch is imported inside the functions that
use it, never at module level.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import torch

PACKAGE = Path(__file__).resolve().parent
SCRIPTS = PACKAGE.parents[1] / "workflow" / "scripts"  # (absent where the package is installed elsewhere)


# --- deferred imports ------------------------------------------------------------------------

def import_lazily(name: str):
    """Module ``name``, executed on its first attribute access (the standard library's
    ``importlib.util.LazyLoader`` recipe; already imported: the module itself). objectives.py names
    torch this way, so that the Snakemake DAG build checks every objective of the config without
    loading torch (1.5-2 s per invocation, measured); any use of ``torch.<attr>`` loads it."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --- device, precision, threads -------------------------------------------------------------

def resolve_device(name: str) -> "torch.device":
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but no GPU is visible; use device: auto or cpu")
    return torch.device(name)


def cpu_computes_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices natively (AVX512-BF16 or AMX), as oneDNN reports it;
    elsewhere bf16 is emulated and slower than fp32."""
    import torch

    try:
        return torch.backends.mkldnn.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def autocast_dtype(precision: str, device: "torch.device") -> "torch.dtype | None":
    """The autocast dtype for ``precision`` on ``device``, or None for plain fp32."""
    import torch

    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"precision {precision!r}: use auto, bf16 or fp32")
    if precision == "auto":
        native = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_computes_bf16()
        return torch.bfloat16 if native else None
    return torch.bfloat16 if precision == "bf16" else None


def autocast(dtype: "torch.dtype | None", device: "torch.device"):
    import torch

    return torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)


def set_threads(threads: int | None) -> None:
    """Intra-op threads of this process (a job's Snakemake ``threads``); None leaves torch's default."""
    import torch

    if threads:
        torch.set_num_threads(int(threads))


def device_name(device: "torch.device") -> str:
    """The GPU's or the CPU's model name, for the run's metadata and the benchmarks."""
    if device.type == "cuda":
        import torch

        return torch.cuda.get_device_name(device)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


# --- files ------------------------------------------------------------------------------------

def _atomic(write: Callable[[Path], None], path: Path) -> None:
    """Write through ``<path>.tmp`` and rename: ``path`` is the old file or the whole new one. A failed
    write (a full disk) removes the partial temporary file and says which file and why."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as error:
        tmp.unlink(missing_ok=True)
        no_space = getattr(error, "errno", None) == errno.ENOSPC or "No space left" in str(error)
        if no_space:
            raise OSError(errno.ENOSPC, f"no space left on device while writing {path}; free space and rerun "
                                        "(what was saved before is intact)") from error
        raise


def atomic_save(obj, path: Path) -> None:
    """``torch.save`` through a temporary file (see :func:`atomic_write_text`)."""
    import torch

    _atomic(lambda tmp: torch.save(obj, tmp), Path(path))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the whole new one."""
    _atomic(lambda tmp: tmp.write_text(text), Path(path))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the whole new one."""
    _atomic(lambda tmp: tmp.write_bytes(data), Path(path))


class UnreadableFileError(ValueError):
    """A project file (model, checkpoint) that cannot be read as one: truncated, garbled, of another
    kind, or holding more than tensors and plain data."""


def load_state(path: str | Path, device="cpu", required: tuple[str, ...] = ()) -> dict:
    """A model or checkpoint file written by this project, loaded with ``weights_only=True``: tensors
    and plain Python data only, so a crafted file can never run code while it is read."""
    import torch

    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # zip-archive errors, UnpicklingError, EOFError, ...
        raise UnreadableFileError(f"{path} is not a readable model or checkpoint of this project "
                                  f"({type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''})") from error
    missing = [key for key in required if not isinstance(state, dict) or key not in state]
    if missing:
        raise UnreadableFileError(f"{path} lacks {', '.join(missing)}: not a file of this kind")
    return state


def log_to(path: str | Path, append: bool = False):
    """Redirect stdout and stderr to ``path`` (a job's Snakemake log, line-buffered, so progress is
    visible live) and return a print-like function writing there."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "a" if append else "w", buffering=1)
    sys.stdout = sys.stderr = stream

    def log(message: str) -> None:
        print(message, file=stream, flush=True)

    return log


# --- provenance -------------------------------------------------------------------------------

def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# The code behind each kind of job, for its content fingerprint (a rule parameter: an edit of that
# code reruns the jobs, touching a file without changing it does not). Library: the results layer
# is the analysis/ subpackage (plus the metric registry and the answer normaliser, which it shows);
# the code that builds datasets is DATA_CODE; the numeric code is everything else but config.py
# (the settings it computes are rule parameters themselves). Rule scripts: under workflow/scripts.
RESULTS_CODE = ("analysis/", "metrics.py", "answers.py", "runtime.py")
DATA_CODE = ("tasks/", "vocabulary.py", "subword.py", "data.py", "answers.py", "runtime.py")
NUMERIC_SCRIPTS = ("make_dataset.py", "train_model.py", "evaluate_model.py", "entity_representations.py",
                   "finetune_lora.py", "evaluate_lora.py", "score_orders.py")


def code_files(kind: str) -> list[Path]:
    """The files whose content identifies ``kind`` of job: ``data`` (make_dataset), ``numbers``
    (datasets, training, evaluation, entity representations, LoRA) or ``results`` (the rest)."""
    modules = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "config.py")
    scripts = sorted(SCRIPTS.glob("*.py")) if SCRIPTS.is_dir() else []

    def under(p: Path, prefixes) -> bool:
        return any(p.relative_to(PACKAGE).as_posix().startswith(d) for d in prefixes)

    if kind == "data":
        return [p for p in modules if under(p, DATA_CODE)] + [p for p in scripts if p.name == "make_dataset.py"]
    if kind == "numbers":
        return ([p for p in modules if not under(p, ("analysis/",))]
                + [p for p in scripts if p.name in NUMERIC_SCRIPTS])
    if kind == "results":
        return [p for p in modules if under(p, RESULTS_CODE)] + [p for p in scripts if p.name not in NUMERIC_SCRIPTS]
    raise ValueError(f"unknown kind of code {kind!r}: data, numbers or results")


def code_fingerprint(kind: str = "numbers") -> str:
    """SHA-256 (first 16 hex digits) of the content of :func:`code_files` of ``kind``."""
    digest = hashlib.sha256()
    for path in code_files(kind):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
