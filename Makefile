# The two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install run demo test test-fast testbed-build testbed-up testbed-down bench corpus live-corpus

$(BIN)/homelab-wizard: pyproject.toml
	tests/testbed/install-system-deps.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/homelab-wizard

# Opens the TUI on REPO, or on the demo repo when no REPO is given.
run: install
	@if [ -n "$(REPO)" ]; then $(BIN)/homelab-wizard --repo "$(REPO)"; else $(BIN)/homelab-wizard demo; fi

# Every test layer: unit, TUI, integration (real git/kubectl/sops/age) and end-to-end on the testbed.
test: install testbed-build
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Everything except the testbed layer (no Go build needed).
test-fast: install
	$(BIN)/pytest -q -m "not testbed" $(PYTEST_ARGS)

testbed-build: install
	tests/testbed/build.sh

testbed-up: testbed-build
	@$(PY) -m tests.testbed up

testbed-down:
	@$(PY) -m tests.testbed down

# One row per corpus repo and option: each item's result, objects before and after, answers, seconds.
corpus: install
	$(PY) -m tests.corpus.driver

# One row per corpus repo, live: applied by hand to its own testbed, then Next followed through Phase 4.
live-corpus: install testbed-build
	$(PY) -m tests.live $(REPOS)

bench: install
	$(PY) benchmarks/run.py
