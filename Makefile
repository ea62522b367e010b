# The two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install bytecode run demo test test-fast testbed-build testbed-up testbed-down bench corpus live-corpus tui-journey

$(BIN)/homelab-wizard: pyproject.toml
	tests/testbed/install-system-deps.sh
	test -x $(PY) || python3 -m venv $(VENV)
	# compat: a plain path in a .pth file. pip's default editable finder costs every Python process ~12 ms at
	# start (pathlib, fnmatch, importlib.util), and the tests start the CLI thousands of times.
	$(BIN)/pip install -q -e '.[test]' --config-settings editable_mode=compat
	touch $@

install: $(BIN)/homelab-wizard

# Bytecode compiled once here, as pip does for an installed wheel: with PYTHONDONTWRITEBYTECODE set (it is on
# the shared machine these tests run on) Python never writes it, and every CLI run a test starts (thousands)
# would compile the wizard's modules again. Only changed files are compiled.
bytecode: install
	@$(PY) -m compileall -q -j 0 -x 'assets/demo/' wizard screens assets tests benchmarks >/dev/null

# Opens the TUI on REPO, or on the demo repo when no REPO is given.
run: install
	@if [ -n "$(REPO)" ]; then $(BIN)/homelab-wizard --repo "$(REPO)"; else $(BIN)/homelab-wizard demo; fi

# Every test layer: unit, TUI, integration (real git/kubectl/sops/age) and corpus in parallel (TEST_WORKERS,
# default one per core), then end-to-end on the testbed; prints the 20 slowest tests (tests/run-layers).
test: install testbed-build bytecode
	BIN=$(BIN) tests/run-layers --testbed $(PYTEST_ARGS)

# Everything except the testbed layer (no Go build needed).
test-fast: install bytecode
	BIN=$(BIN) tests/run-layers $(PYTEST_ARGS)

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

# The real binary's TUI in a pseudo-terminal, from 1.0 to 5.4 by the home screen's Next (issue 24; opt-in).
tui-journey: install testbed-build bytecode
	HOMELAB_WIZARD_PTY_JOURNEY=1 $(BIN)/pytest -s tests/e2e/test_follow_next_tui.py

bench: bytecode
	$(PY) benchmarks/run.py
