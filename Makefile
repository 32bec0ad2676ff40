# Two commands do all set-up on a fresh machine (Python 3.11 + pip):
#   make reproduce   run the pipeline on the embedded default (local CPU, preset from config.yaml)
#   make test        run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: reproduce test sweeps report bench dry-run lint clean-venv

# pip's index for torch: empty = PyPI's default build (CUDA wheels on Linux x86-64, several GB);
# e.g. TORCH_INDEX=https://download.pytorch.org/whl/cpu for a CPU-only build, .../whl/cu121 for a
# given CUDA (README, "Installing on a cluster").
TORCH_INDEX ?=

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: $(PYTHON) is Python " + sys.version.split()[0] + "; this project needs Python 3.11 or newer (Snakemake 9). Run make PYTHON=python3.11 ...")'
	@echo "make: setting up $(VENV) with $$($(PYTHON) --version) (requirements.txt: torch, snakemake, datasets, pandas, matplotlib, seaborn, pyyaml, pytest)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --progress-bar off $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements.txt
	$(BIN)/python -m pip install --progress-bar off --no-deps -e .
	touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all all

# One HTML file to read in a browser, after `make reproduce`: the reproduction report, every paper
# table rendered, the comparison with the paper (also a CSV) and every figure, with captions.
PRESET ?= tiny
report: $(STAMP)
	$(BIN)/snakemake --report results/$(PRESET)/snakemake-report.html --config preset=$(PRESET)
	@echo "make: open results/$(PRESET)/snakemake-report.html in a browser"

sweeps: $(STAMP)
	$(BIN)/snakemake --cores all sweeps

# the suite, after Snakemake's linter (exits non-zero on any finding)
test: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/python -m pytest

# Speed of every objective at the tiny and paper sizes beside Hugging Face GPT-2/BERT (CSV in results/bench/)
bench: $(STAMP)
	$(BIN)/python -m pip install -q -r requirements-bench.txt
	$(BIN)/python benchmarks/speed.py

dry-run: $(STAMP)
	$(BIN)/snakemake -n all

lint: $(STAMP)
	$(BIN)/snakemake --lint

clean-venv:
	rm -rf $(VENV)
