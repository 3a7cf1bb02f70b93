# Zhiban — every target sets up its own virtualenv first (a fresh machine needs nothing else).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: run test test-unit test-service test-integration test-e2e lint bench docs up down clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[dev]"
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

run: $(STAMP)  ## the whole system, embedded: http://127.0.0.1:8000/docs
	$(VENV)/bin/zhiban run

test: $(STAMP)  ## every tier; broker tests skip (with the reason) unless a broker answers or REQUIRE_BROKER=1
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-service: $(STAMP)
	$(PY) -m pytest tests/service $(PYTEST_ARGS)

test-integration: $(STAMP)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: $(STAMP)  ## the web console in headless Chromium (/usr/bin/chromium; skips without it unless REQUIRE_BROWSER=1)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services/*/domain

bench: $(STAMP)  ## figures go to docs/benchmarks.md
	$(PY) -m bench.run --out docs/benchmarks.md

docs: $(STAMP)  ## AsyncAPI document and JSON Schemas of the contracts
	$(PY) -m services.docs

up:
	docker compose up -d --build

down:
	docker compose down

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
