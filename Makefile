# Two commands on a fresh machine with Python 3.11+:
#   make run    installs FinRes into .venv, loads the demo institution and serves the web app
#   make test   installs FinRes with its development tools and runs lint, types and all tests
#               (on SQLite, and on PostgreSQL when one answers)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
AS_OF ?= $(shell date +%F)
PROFILE ?= examples/profiles/securities-firm.yaml

.PHONY: run applicable test lint typecheck vulncheck lock pytest messages install install-dev clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reproducible installs: every package at the version and with the hashes of the lock file
# (`make lock` after changing the dependencies in pyproject.toml), then FinRes itself.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

# Re-resolve the lock files from pyproject.toml (needs the package index), with hashes.
UV_VERSION ?= 0.13.8
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.lock pyproject.toml

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

HOST ?= 127.0.0.1
PORT ?= 8000
run: $(VENV)/.installed
	$(BIN)/finres serve --demo --host $(HOST) --port $(PORT)

# The command-line applicability check on an example profile (no web server).
applicable: $(VENV)/.installed
	$(BIN)/finres applicable --profile $(PROFILE) --as-of $(AS_OF)

# System packages the tests need (Debian): CJK fonts for reports, Chromium for browser tests,
# poppler for reading PDFs back. Installed only where missing, and only where apt-get can run.
system-deps:
	@scripts/system-deps.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

# The locked versions against the OSV advisories for PyPI, offline (the PyPA advisory database
# in the shared data folder beside the repository, or OSV_DIR). Required in CI.
OSV_DIR ?= ../shared/data/osv/pypi-pypa-advisory-database
vulncheck: install-dev
	@if [ -d "$(OSV_DIR)" ] || [ -n "$$CI" ]; then \
		$(BIN)/python scripts/check_vulnerabilities.py --advisories "$(OSV_DIR)"; \
	else echo "No OSV advisories at $(OSV_DIR): skipped the vulnerability check (set OSV_DIR)"; fi

# The suite runs on SQLite, then again on PostgreSQL when one answers on DATABASE_URL_PG.
DATABASE_URL_PG ?= postgres://postgres@127.0.0.1:5432/finres
pytest: install-dev system-deps
	$(BIN)/pytest
	@if $(BIN)/python scripts/pg_available.py "$(DATABASE_URL_PG)"; then \
		echo "== again on PostgreSQL"; DATABASE_URL="$(DATABASE_URL_PG)" $(BIN)/pytest -m "not browser"; \
	else echo "PostgreSQL not reachable at $(DATABASE_URL_PG): skipped the PostgreSQL run"; fi

test: lint typecheck vulncheck pytest

# Re-extract user-facing messages, merge them into the zh-TW catalogues and compile them:
# the CLI's `finres` domain (Babel) and each Django app's `django` domain (gettext tools).
WEB_APPS := orgs frameworks audit assessments evidence improvements reports registers continuity \
	crypto incidents checks sbom jobs
DJANGO_ADMIN := $(abspath $(BIN))/django-admin --settings=finres.web.settings.dev
messages: install-dev
	$(BIN)/pybabel extract --no-location --omit-header -k N_ -k _ -k translate -o src/finres/locale/finres.pot src/finres/cli.py src/finres/cli_ops.py src/finres/cli_resilience.py src/finres/cli_checks.py src/finres/cli_sbom.py src/finres/cli_crypto.py src/finres/cli_jobs.py src/finres/usage.py src/finres/core src/finres/web/ops
	$(BIN)/pybabel update --omit-header --ignore-obsolete -w 100 -D finres -i src/finres/locale/finres.pot -d src/finres/locale -l zh_Hant
	$(BIN)/pybabel compile -D finres -d src/finres/locale
	cd src/finres/web && $(DJANGO_ADMIN) makemessages -l zh_Hant --no-obsolete $(foreach app,$(WEB_APPS) settings,--ignore '$(app)/*')
	for app in $(WEB_APPS); do (cd src/finres/web/$$app && $(DJANGO_ADMIN) makemessages -l zh_Hant --no-obsolete); done
	cd src/finres/web && $(DJANGO_ADMIN) compilemessages -l zh_Hant

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis
