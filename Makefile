# mobisweep: `make help` lists the targets. Every target installs what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The torch build to install; users with their own CUDA build can override it (or install torch first).
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PYTEST_ARGS ?=
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-run data-deps system-deps slurm-deps run lint test test-slow test-slurm test-all cost paper reference gpu-check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

data-deps: ## the default run's data: Debian's Fashion-MNIST (root + apt-get)
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		[ -d /usr/share/datasets/fashion-mnist ] || { apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; }; \
	else echo "data-deps: no root apt-get here; install Debian's dataset-fashion-mnist yourself (or pass data.root)"; fi

system-deps: data-deps ## Debian packages the tests use: Fashion-MNIST, Chromium, PostgreSQL (root + apt-get)
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		need=""; \
		command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
		if [ -n "$$need" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need; fi; \
	else echo "system-deps: no root apt-get here; install Debian's dataset-fashion-mnist, chromium and postgresql yourself"; fi

# What a run needs (torch, mobisweep), then what the tests and benchmarks add (dev, onnx extras).
$(BIN)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH_SPEC)
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.installed: $(BIN)/.installed-run
	$(BIN)/pip install -q -e ".[dev,onnx]"
	touch $@

install-run: $(BIN)/.installed-run ## create .venv with torch and mobisweep alone (what make run uses)

install: $(BIN)/.installed ## create .venv and install mobisweep with its dev extras

run: install-run data-deps ## train and measure one MobileNet on Fashion-MNIST (the embedded default)
	$(BIN)/python -m mobisweep $(ARGS)

lint: install ## style (ruff, the project's rules, 100 columns) and types (mypy on src/); CI runs it first
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

test: install system-deps ## run the default test suite (fast: slow tests deselected)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

gpu-check: install ## on a GPU machine: the prepared check (<= 8 min), CSV + report in benchmarks/results/gpu_check
	$(BIN)/python benchmarks/gpu_check.py --minutes 8 --out benchmarks/results/gpu_check

slurm-deps: ## Debian packages of the one-node SLURM cluster the cluster tests start (root + apt-get)
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		command -v slurmctld >/dev/null 2>&1 && command -v slurmdbd >/dev/null 2>&1 && command -v mariadbd >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends munge slurmctld slurmd slurm-client slurmdbd mariadb-server; }; \
	else echo "slurm-deps: no root apt-get here; install Debian's munge, slurmctld, slurmd, slurm-client, slurmdbd and mariadb-server yourself"; fi

test-slow: install system-deps slurm-deps ## the slow tests, cluster tests included, but not those that need a quiet machine (CI runs it)
	$(BIN)/python -m pytest -m "slow and not quiet" $(PYTEST_ARGS)

test-slurm: install system-deps slurm-deps ## the cluster tests: sweeps on a real one-node SLURM cluster on loopback
	$(BIN)/python -m pytest -m slurm $(PYTEST_ARGS)

test-all: install system-deps slurm-deps ## run every test, the slow ones too
	$(BIN)/python -m pytest $(PYTEST_ARGS)

cost: install ## mult-adds and params of the default model at 224 px
	$(BIN)/python -m mobisweep.cost

paper: install ## the paper's Tables 2 and 4-9 beside mobisweep's counts
	$(BIN)/python -m mobisweep.cost +table=paper

# The committed reproductions in sweeps/reference/, on Tiny ImageNet (the shared archive, or your
# copy: TINY_IMAGENET=path/to/tiny-imagenet-200[.zip|.tar.gz]). Each sweep runs as its own study
# (reference_<sweep>) so that a default-budget study of the same sweep is never resumed; rerunning
# a target resumes its study and trains only what did not finish. The budgets below are written
# into every trial's result.json, and the README's budget table is generated from those records.
TINY_IMAGENET ?= ../shared/data/tiny-imagenet-200.tar.gz
REFERENCE_SWEEPS := alpha_rho thin_vs_shallow dw_vs_full baselines thin_vs_shallow_ladder \
	dw_vs_full_ladder design_space
# Each reference sweep's recipe (data, classes, epochs, learning rate) is a config file:
# conf/experiment/reference_<sweep>.yaml.

reference: $(addprefix reference-,$(REFERENCE_SWEEPS)) ## rerun every reference sweep on this CPU into sweeps/reference/

reference-%: reference-run-% ## one reference sweep, e.g. make reference-thin_vs_shallow
	$(BIN)/python -m mobisweep.reference --plots sweeps/reference

reference-run-%: install
	$(BIN)/python -m mobisweep +experiment=reference_$* data.root=$(TINY_IMAGENET) -m
	mkdir -p sweeps/reference/$*
	cp sweeps/reference_$*/trials.csv sweeps/reference_$*/curves.csv sweeps/reference/$*/

reference-tables: install ## rewrite the tables of sweeps/reference/README.md from the committed CSVs
	$(BIN)/python -m mobisweep.reference sweeps/reference --readme sweeps/reference/README.md

clean: ## remove run outputs (never the venv or the committed reference sweeps)
	rm -rf outputs multirun lightning_logs wandb .pytest_cache
