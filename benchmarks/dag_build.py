"""What one Snakemake invocation costs before any job runs: the DAG build of `all` and `sweeps`
(the Snakefile, the config checks, the plan), which every `snakemake` command and every cluster
job repeats. Optionally beside another checkout of the project (e.g. an older commit), alternating
the two so that both see the same load, and the cost of `import torch` alone for scale.

    .venv/bin/python benchmarks/dag_build.py
    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/dag_build.py --baseline /tmp/before --repeats 7

Each checkout runs with its own ``src`` first on PYTHONPATH, so the installed package does not
decide which library a checkout's Snakefile imports. Prints the median wall seconds of each and
their ratio; a dry run writes only Snakemake's metadata, into a temporary folder (``-d``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dry_run_seconds(checkout: Path, workdir: Path) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout / "src"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "snakemake", "-s", str(checkout / "Snakefile"), "-d", str(workdir), "-n", "--quiet=all",
           "all", "sweeps"]
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"dag_build: the dry run of {checkout} failed:\n{result.stderr[-2000:]}")
    return seconds


def import_torch_seconds() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout of the project to time beside this one")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    checkouts = {"this checkout": ROOT}
    if args.baseline:
        if not (args.baseline / "Snakefile").is_file():
            sys.exit(f"dag_build: {args.baseline} holds no Snakefile; give a checkout of this project")
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    times = {name: [] for name in [*checkouts, "import torch"]}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):  # alternating: a busy machine slows both alike
            for name, checkout in checkouts.items():
                times[name].append(dry_run_seconds(checkout, Path(tmp) / name.replace(" ", "-")))
            times["import torch"].append(import_torch_seconds())
            print(f"  repeat {i + 1}/{args.repeats}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()),
                  flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"\nmedian of {args.repeats} (snakemake -n all sweeps; {os.cpu_count()} CPUs):")
    for name, seconds in median.items():
        print(f"  {name:>14}: {seconds:5.2f} s")
    if args.baseline:
        print(f"  this checkout / baseline: {median['this checkout'] / median['baseline']:.2f}")


if __name__ == "__main__":
    main()
