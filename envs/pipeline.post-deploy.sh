#!/usr/bin/env bash
# Snakemake runs this in envs/pipeline.yaml's environment right after creating it (`--sdm conda`):
# install the project's library there, as `make` does in .venv (the one way jobs find it).
# Snakemake starts it from the directory it runs in: the repository root.
set -euo pipefail
python -m pip install --no-deps -e .
