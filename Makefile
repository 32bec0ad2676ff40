# Two commands do all set-up on a fresh machine (Python 3.11 + pip):
#   make reproduce   run the pipeline on the embedded default (local CPU, preset from config.yaml)
#   make test        run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: reproduce test sweeps bench dry-run lint clean-venv

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/snakemake --cores all all

sweeps: $(STAMP)
	$(BIN)/snakemake --cores all sweeps

test: $(STAMP)
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
