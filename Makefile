# Ascend's tasks. `make demo` and `make test` work on a fresh machine (see README).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Tests and `make serve-pg` talk to the machine's PostgreSQL and Redis.
PG_ENV := DATABASE_URL=postgres://ascend_app@127.0.0.1:5432/ascend \
	DATABASE_OWNER_URL=postgres://ascend_owner@127.0.0.1:5432/ascend \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 CACHE_URL=rediscache://127.0.0.1:6379/1

.PHONY: demo install node-deps system-deps db test quicktest lint typecheck format serve-pg worker bench-dashboard bench-recompute bench-latency bench-api bench-deps lint-schema clean

demo: install  ## SQLite, tasks in-process, demo data, http://127.0.0.1:8000
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py migrate --noinput
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py seed_demo
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/python manage.py runserver 127.0.0.1:8000

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node-deps: node_modules/.installed  ## axe-core, which the every-page accessibility test injects

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm)
	npm ci --no-audit --no-fund --silent
	touch $@

system-deps:  ## Debian's Chromium for the browser tests, and the PostgreSQL client
	@command -v chromium >/dev/null && command -v psql >/dev/null || \
		($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium postgresql-client)

db:  ## the owner and application roles, idempotently
	./scripts/setup-postgres.sh

test: system-deps install node-deps db  ## lint, import layers, migrations check and the whole suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy .
	$(PG_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest --create-db

quicktest: install node-deps  ## the suite, reusing the test database
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install  ## mypy with django-stubs and djangorestframework-stubs
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

serve-pg: install db  ## the app on PostgreSQL with a real worker: run `make worker` beside it
	$(PG_ENV) $(BIN)/python manage.py migrate --noinput
	$(PG_ENV) $(BIN)/python manage.py seed_demo
	$(PG_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

worker: install
	$(PG_ENV) $(BIN)/celery -A config worker --loglevel=INFO

bench-dashboard: install db  ## dashboard server time with 100,000 accounts (bench/README.md)
	$(BIN)/python bench/dashboard.py

bench-recompute: install db  ## bench 1 and 4: recompute of 1,000,000 accounts vs one SQL statement
	$(BIN)/python bench/tenant_recompute.py --reuse

bench-latency: install db  ## bench 2: submission to segment latency at 20/s with a real worker
	$(BIN)/python bench/latency.py

bench-api: install db bench-deps  ## bench 3: the API under wrk vs a trivial DRF view
	$(BIN)/python bench/api_load.py

lint-schema: install node-deps  ## Redocly's recommended rules on the served schema (also tests/api/test_schema_lint.py)
	env -u DATABASE_URL $(BIN)/python manage.py spectacular --format openapi-json --file .schema.json
	node_modules/.bin/redocly lint .schema.json --config redocly.yaml

bench-deps:  ## wrk, the load generator of bench-api
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
