# `make run` and `make test` work on a fresh machine: they build .venv with Python 3.12+.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= scenarios/deposit_sprint.toml
REPLICATIONS ?= 20
JOBS ?= 2

.PHONY: run test lint bench validate-model clean-venv

# Probe candidates by running them: pyenv shims for python3.12 may exist and still fail.
$(VENV)/.installed: pyproject.toml
	@set -e; \
	if [ ! -x $(PY) ]; then \
	  found=""; \
	  for c in python3.13 python3.12 python3 \
	    $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null) \
	    $$(command -v pyenv >/dev/null && ls -d $$(pyenv root)/versions/3.1[2-9]*/bin/python3 2>/dev/null) \
	    /usr/bin/python3.12 /usr/bin/python3.13 /usr/local/bin/python3.12 /usr/local/bin/python3.13; do \
	    if $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then found=$$c; break; fi; \
	  done; \
	  if [ -z "$$found" ]; then echo "error: campaign-sim needs Python 3.12 or newer (Mesa 3.5); none found. Install one (e.g. pyenv install 3.12) and retry." >&2; exit 1; fi; \
	  echo "using $$found ($$($$found --version))"; \
	  $$found -m venv $(VENV); \
	fi; \
	$(PY) -m pip install -q --upgrade pip >/dev/null; \
	$(PY) -m pip install -q -e '.[dev]'; \
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/campaign-sim run $(SCENARIO) --replications $(REPLICATIONS) --jobs $(JOBS)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check sim tests benchmarks
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check sim tests benchmarks

# every validation pattern at full size (a few minutes on 2 cores); exit 1 if any fails
validate-model: $(VENV)/.installed
	$(VENV)/bin/campaign-sim check-model --full --jobs $(JOBS)

bench: $(VENV)/.installed
	$(PY) benchmarks/run.py

clean-venv:
	rm -rf $(VENV)
