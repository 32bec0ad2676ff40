"""Send a job's output to its Snakemake log file, line-buffered, so progress is visible live."""

from __future__ import annotations

import sys
from pathlib import Path


def log_to(path: str | Path, append: bool = False):
    """Redirect stdout and stderr to ``path`` and return a print-like function writing there."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "a" if append else "w", buffering=1)
    sys.stdout = sys.stderr = stream

    def log(message: str) -> None:
        print(message, file=stream, flush=True)

    return log
