# The two commands of the README: `make demo` and `make test`. Both install into .venv first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH := torch==2.13.0

.PHONY: install demo test export clean-nbs figures

$(STAMP): setup.py settings.ini
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)   # first and pinned: a CPU build (unpinned torch pulls CUDA)
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Main job on the shipped defaults: load the shipped data, encode, (generate), print a summary.
demo: install
	$(VENV)/bin/diffcrysgen demo

## Every notebook through nbdev_test, then the integration tests; pytest prints `N passed`.
## Serial on purpose: on 2 cores pytest-xdist (-n 2) measured slower (520 s vs 373 s), since the round-trip test
## already uses 2 processes and torch uses both cores. Narrow a run with e.g. `make test PYTEST_ARGS="-k 00_ircr"`.
PYTEST_ARGS ?=
test: install
	$(PY) -m pytest tests/ -q -p no:cacheprovider -p no:dash $(PYTEST_ARGS)

export: install
	$(VENV)/bin/nbdev_export

clean-nbs: install
	$(VENV)/bin/nbdev_clean
