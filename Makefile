# The two commands: `make demo` and `make test`. Everything else is a helper for them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := shopapp.app:create_app

.PHONY: demo test test-future lock install translations migrate seed serve lint typecheck bench soak fuzz audit clean

# Dependencies come from the lock (exact versions and their hashes), then the project itself.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) translations node_modules/.package-lock.json

# axe-core for the browser tests' accessibility checks (skipped when this machine has no npm).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; else echo "npm not found: accessibility checks will be skipped"; fi

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d shopapp/translations -f >/dev/null

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask dev seed

## make demo: environment, migrations, demo town, then web + worker + beat on the embedded default.
demo: seed
	$(BIN)/python scripts/demo.py

## make test: the whole suite on the embedded default, and on PostgreSQL + Redis when reachable.
test: install
	$(BIN)/python scripts/run_tests.py $(ARGS)

## make test-future: the embedded-default suite (no browser) under faketime, 400 days ahead and on the night
## the clocks go forward (Debian package faketime), so no test depends on today's date.
test-future: install
	$(BIN)/python scripts/run_tests.py --future $(ARGS)

## make lock: re-resolve the locks after a change to pyproject.toml (requirements.lock for production,
## requirements-dev.lock with the dev tools); a test fails while a lock no longer satisfies pyproject.toml.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: install
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev --output-file requirements-dev.lock pyproject.toml

## make lint: ruff, and the floors of the house (import-linter contracts in pyproject.toml: every import runs down).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy shopapp worker

## make bench: each bench in its own process (catalog pages, checkout, notices) driven by wrk, every row
## beside its floor, on PostgreSQL + Redis on 127.0.0.1; writes test-artifacts/bench/results.json
## (BENCH_QUICK=1 for short windows). Not part of `make test`.
bench: install
	$(BIN)/python -m bench

## make soak: 200 simulated residents shop for 2 minutes on gunicorn + Celery, PostgreSQL + Redis on 127.0.0.1
## (SOAK_SECONDS, SOAK_USERS to change); fails on any error, a broken invariant or worker memory growth > 10 %.
soak: install
	$(BIN)/python -m bench.soak

## make fuzz: Schemathesis against the OpenAPI document, FUZZ_EXAMPLES generated requests per operation
## and mode (`make test` runs the same test with 5).
FUZZ_EXAMPLES ?= 200
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/reliability/test_fuzz_api.py -q -p no:cacheprovider --timeout=0

## make audit: known vulnerabilities in the installed (locked) dependencies; the project itself is skipped.
## Fails when a dependency could not be looked up (no route to the vulnerability database), not only on a finding.
audit: install
	$(BIN)/python scripts/audit.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache build dist
