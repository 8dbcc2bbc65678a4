# keras_dlkit developer commands. Each target sets itself up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The CPU wheel of torch these machines carry; users' `torch` extra stays unpinned.
TORCH_SPEC ?= torch==2.13.0
BACKENDS ?= tensorflow jax torch
PYTEST_ARGS ?=
SPHINXOPTS ?= -W --keep-going
FASHION_MNIST_DEB_DIR := /usr/share/datasets/fashion-mnist
# JAX's persistent compilation cache for the tests (see tests/conftest.py),
# kept in the checkout so that later runs reuse it. Not for the benchmarks:
# a cache hit would leave the compile out of their memory figures.
JAX_CACHE_DIR ?= $(CURDIR)/.cache/jax

.PHONY: help install sysdeps seed lint test test-backend docs docs-clean bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[all]"
	touch $@

install: $(VENV)/.installed  ## Create .venv with every backend and extra

sysdeps:  ## Debian packages the data seeding reads (Fashion-MNIST), when apt is there
	@if [ ! -d $(FASHION_MNIST_DEB_DIR) ] && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist; \
	fi

seed: install sysdeps  ## Fill the data cache ($KERAS_HOME/datasets) without internet
	$(PY) -m keras_dlkit.datasets seed

lint: install  ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test test-backend: export JAX_COMPILATION_CACHE_DIR := $(JAX_CACHE_DIR)

test: lint seed  ## The suite on tensorflow, jax and torch (then the large tests once)
	@set -e; for backend in $(BACKENDS); do \
	  echo "=== pytest on $$backend ==="; \
	  KERAS_BACKEND=$$backend $(PY) -m pytest -m "not large" $(PYTEST_ARGS); \
	done
	@echo "=== pytest large (tensorflow) ==="; \
	KERAS_BACKEND=tensorflow $(PY) -m pytest -m large $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi

test-backend: install  ## The suite on one backend: make test-backend BACKEND=jax
	KERAS_BACKEND=$(BACKEND) $(PY) -m pytest $(PYTEST_ARGS)

docs: seed  ## Build the gallery site into docs/_build/html
	cd docs && ../$(PY) -m sphinx $(SPHINXOPTS) -b html . _build/html

docs-clean:  ## Remove the built site and executed gallery
	rm -rf docs/_build docs/auto_examples docs/api/generated docs/sg_execution_times.rst

bench: install  ## Run the benchmarks (ratios of medians against the anchors)
	$(PY) benchmarks/import_time.py
	set -e; for backend in tensorflow jax torch; do for model in mlp cnn; do \
	  KERAS_BACKEND=$$backend JAX_THREEFRY_PARTITIONABLE=false TF_NUM_INTEROP_THREADS=1 TF_NUM_INTRAOP_THREADS=1 \
	    $(PY) benchmarks/training_overhead.py --model $$model; \
	done; done
	set -e; for backend in tensorflow jax; do \
	  KERAS_BACKEND=$$backend JAX_THREEFRY_PARTITIONABLE=false $(PY) benchmarks/cnn_vs_keras_applications.py; \
	done
	set -e; for backend in tensorflow jax torch; do \
	  KERAS_BACKEND=$$backend JAX_THREEFRY_PARTITIONABLE=false $(PY) benchmarks/generative.py; \
	done
	set -e; for backend in tensorflow jax; do \
	  KERAS_BACKEND=$$backend JAX_THREEFRY_PARTITIONABLE=false $(PY) benchmarks/rnn.py; \
	done
	set -e; for backend in tensorflow jax; do \
	  KERAS_BACKEND=$$backend JAX_THREEFRY_PARTITIONABLE=false $(PY) benchmarks/transformers.py; \
	done
	KERAS_BACKEND=torch $(PY) benchmarks/transformers.py --processes 1 --rounds 2 --gen-rounds 1

clean: docs-clean  ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .cache
