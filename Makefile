# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
# One environment per interpreter: `make test PYTHON=python3.13` builds .venv-python3.13
# and leaves .venv as it is.
VENV   ?= $(if $(filter python3,$(PYTHON)),.venv,.venv-$(notdir $(PYTHON)))
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench fuzz lint audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/hotline demo

test: install
# The console's browser test needs the distribution's Chromium: installed when missing, as root.
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } || true
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m tests.bench.incoming
	$(BIN)/python -m tests.bench.simulation
	$(BIN)/python -m tests.bench.dispatch
	$(BIN)/python -m tests.bench.memory
	$(BIN)/python -m tests.bench.public_crowd
	$(MAKE) fuzz

# The webhook fuzz test's long form: 10,000 examples per webhook; fails on any 5xx or bad TwiML.
fuzz: install
	$(BIN)/python -m tests.bench.fuzz

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the installed packages, from PyPI's advisory data. --strict fails
# when a package cannot be looked up, rather than passing with it unchecked; Hotline itself
# (installed editable, not on PyPI) is skipped.
audit: install
	$(BIN)/pip-audit --strict --skip-editable

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
