# Two commands on a fresh machine with Python 3.11+:
#   make run    installs FinRes into .venv and shows an example institution's applicable rules
#   make test   installs FinRes with its development tools and runs lint, types and all tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
AS_OF ?= $(shell date +%F)
PROFILE ?= examples/profiles/securities-firm.yaml

.PHONY: run test lint typecheck pytest messages install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/finres applicable --profile $(PROFILE) --as-of $(AS_OF)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

test: lint typecheck pytest

# Re-extract user-facing messages, merge them into the zh-TW catalogue and compile it.
messages: install-dev
	$(BIN)/pybabel extract --no-location --omit-header -k N_ -k _ -o src/finres/locale/finres.pot src/finres
	$(BIN)/pybabel update --no-location --omit-header -D finres -i src/finres/locale/finres.pot -d src/finres/locale -l zh_Hant
	$(BIN)/pybabel compile -D finres -d src/finres/locale

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
