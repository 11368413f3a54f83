# pitwall: `make run` builds the warehouse from raw/, `make ui` opens Dagster, `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
# Rewritten after a successful install; `make` reinstalls only when the lock or pyproject.toml is newer.
STAMP := $(VENV)/.pitwall-install.stamp

PORT ?= 3000
HOST ?= 127.0.0.1

# The UI test's browser: Debian's Chromium and its own chromedriver, installed by `make test` when missing.
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
# The fetch tests' results site: Debian's Apache httpd (mod_autoindex), started by the tests on 127.0.0.1.
APACHE2 := /usr/sbin/apache2

.PHONY: run test ui install lock clean browser apache bi bench lint postgres

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "pitwall needs Python >= 3.11, $(PYTHON) is " + sys.version.split()[0] + ": run make PYTHON=python3.11")'
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then \
		echo "$(VENV) has Python < 3.11: remove it (make clean) and run make again" >&2; exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@[ "$$($(BIN)/uv --version 2>/dev/null)" = "uv $(UV_VERSION)" ] || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

run: install
	$(BIN)/pitwall refresh
	@echo
	@echo "Warehouse: $${PITWALL_WAREHOUSE:-$(CURDIR)/warehouse/pitwall.duckdb}"
	@echo "Query it:  $(BIN)/pitwall sql \"select * from marts.fct_session_results limit 10\""
	@echo "UI:        make ui   -> http://$(HOST):$(PORT)"

test: install browser apache postgres lint
	$(BIN)/pytest

# ruff (configured in pyproject.toml) and sqlfluff (.sqlfluff: the dbt models and singular tests; the
# generic tests are {% test %} blocks, which render to nothing), pinned in requirements.lock:
# checked only, nothing rewritten.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests/singular

# Optional, slow: Apache Superset's own `superset test-db` on the published copy. Superset pins
# pandas < 2.2, so it gets its own venv, .venv-bi/, built by the test from tests/bi/requirements.lock.
bi: install
	$(BIN)/pytest -m bi tests/bi

# apt-get as root (or through sudo); without apt-get the UI test is skipped, saying why.
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "no apt-get here: install Chromium and chromedriver to run the UI test (pytest -m ui)" >&2; exit 0; fi; \
	SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	echo "installing chromium and chromium-driver (Debian packages) for the UI test"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver

# apt-get as root (or through sudo); without apt-get the fetch tests against Apache are skipped, saying why.
apache:
	@if [ -x $(APACHE2) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "no apt-get here: install Apache httpd (apache2) to run the fetch tests against a local site" >&2; exit 0; fi; \
	SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	echo "installing apache2 (Debian package) for the fetch tests"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends apache2

# `pitwall db start`: Debian's PostgreSQL, installed when missing (its server is started by pitwall, not here).
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "no apt-get here: install PostgreSQL (Debian package postgresql) for pitwall db and its tests" >&2; exit 0; fi; \
	SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	echo "installing postgresql (Debian package) for pitwall db"; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql

ui: install
	$(BIN)/pitwall ui --host $(HOST) --port $(PORT)

# The benchmark, small: the real raw/ tree and one synthetic season, 3 runs each, side by side with
# the limit and the peers; writes bench/RESULTS.md (the full run: see bench/README.md).
bench: install
	$(BIN)/python bench/run.py --quick

# Regenerate the pinned lock from pyproject.toml's ranges (needs the package index).
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# The venv, the warehouse, Dagster's local instance and dbt's build artefacts.
clean:
	rm -rf $(VENV) .venv-bi warehouse .dagster_home .dagster_server dbt_project/target dbt_project/logs dbt_project/dbt_packages .pytest_cache
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
