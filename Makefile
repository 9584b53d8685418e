# The two commands of the quick start are `make demo` and `make test`; both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PostgreSQL used by the test suite when it answers; override to point elsewhere.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test test-fast lint bench venv clean constraints migration browser deploy-check demo-airflow vendor

venv: $(STAMP)

# Reinstall only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The demo tax authority's API runs beside the platform (the API port + 1), so scheduled ingestion
# can reach it; sources reach only listed hosts, so the demo lists it.
DEMO_SOURCE_HOSTS = 127.0.0.1:$$(( $${EXCHANGE_API_PORT:-8000} + 1 ))
# The demonstration's users share a published password, so the second factor R21 requires of
# the bureau, auditors and reviewers is switched off here (production keeps it: see README).
demo: export EXCHANGE_SECOND_FACTOR_ROLES ?= []
demo: $(STAMP)
	$(BIN)/exchange db upgrade
	$(BIN)/exchange demo
	@$(BIN)/exchange demo-systems & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
		EXCHANGE_SOURCE_HOSTS="$${EXCHANGE_SOURCE_HOSTS:-$(DEMO_SOURCE_HOSTS)}" $(BIN)/exchange serve

# The same demo with Airflow 3 scheduling the platform's DAGs (api-server, scheduler,
# dag-processor, triggerer on 127.0.0.1); it prints the Airflow UI's address and sign-in.
demo-airflow: export EXCHANGE_SECOND_FACTOR_ROLES ?= []
demo-airflow: $(STAMP)
	$(BIN)/exchange db upgrade
	$(BIN)/exchange demo
	$(BIN)/exchange demo-airflow

test: $(STAMP) browser
	@if $(BIN)/python tools/pg_ready.py "$(TEST_POSTGRES_URL)"; then \
		echo "PostgreSQL answers: the suite runs on SQLite and PostgreSQL"; \
		EXCHANGE_TEST_POSTGRES_URL="$(TEST_POSTGRES_URL)" $(BIN)/python -m pytest -p no:cacheprovider; \
	else \
		echo "PostgreSQL does not answer at $(TEST_POSTGRES_URL): PostgreSQL tests will be skipped"; \
		$(BIN)/python -m pytest -p no:cacheprovider; \
	fi

# A developer's loop: SQLite only, without the tests marked slow (tests/conftest.py says which).
test-fast: $(STAMP)
	env -u EXCHANGE_TEST_POSTGRES_URL $(BIN)/python -m pytest -p no:cacheprovider -q -rfE -m "not slow"

# The portal's browser tests drive Debian's Chromium; without a CJK font Chinese renders as boxes.
browser:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
		{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1; } || \
		echo "chromium and fonts-noto-cjk could not be installed: the browser tests will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# wrk (Debian) drives the small-read benchmark; without it, Python clients do, less faithfully.
bench: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk could not be installed: small reads are measured with Python clients"
	@if $(BIN)/python tools/pg_ready.py "$(TEST_POSTGRES_URL)"; then \
		EXCHANGE_BENCH_POSTGRES_URL="$(TEST_POSTGRES_URL)" $(BIN)/python -m bench.run; \
	else \
		$(BIN)/python -m bench.run; \
	fi

# docker/compose.yaml run for real and checked (tools/deploy_check), then taken down. Prepares
# Docker with the offline-images script (DOCKER_PREPARE) when no engine answers; needs root then.
deploy-check: $(STAMP)
	$(BIN)/python -m tools.deploy_check

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# After changing dependencies in pyproject.toml: resolve afresh and record the result.
constraints:
	rm -rf .venv-resolve
	$(PYTHON) -m venv .venv-resolve
	.venv-resolve/bin/python -m pip install --quiet --upgrade pip
	.venv-resolve/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# The exact versions the project is tested with: pip freeze of a verified environment (make constraints)."; \
	  .venv-resolve/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	rm -rf .venv-resolve

# After changing package.json: the browser libraries the portal serves, fetched exactly as
# package-lock.json pins them (integrity checked by npm) and copied with their licences.
VENDOR := exchange_api/portal/static/vendor
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE $(VENDOR)/echarts/
	rm -rf node_modules

# A new migration generated from the difference between the models and the migrated schema.
migration: $(STAMP)
	@test -n "$(MESSAGE)" || { echo 'usage: make migration MESSAGE="what changed"'; exit 2; }
	rm -f var/.migration-base.db
	$(BIN)/python -c "from alembic import command; from migrations import alembic_config, upgrade; \
url = 'sqlite:///var/.migration-base.db'; upgrade(url); \
command.revision(alembic_config(url), message='$(MESSAGE)', autogenerate=True)"
	rm -f var/.migration-base.db
