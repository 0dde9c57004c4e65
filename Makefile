# REPM Portal. `make help` lists the targets. Everything installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
DEPS_STAMP := $(VENV)/.deps-$(shell cat pyproject.toml | sha256sum | cut -c1-16)
ASSETS_STAMP := node_modules/.stamp-$(shell cat package.json package-lock.json | sha256sum | cut -c1-16)
# The machine's own servers, for the production-like integration run.
TCP_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
TCP_REDIS_URL ?= redis://127.0.0.1:6379/9
# The suite runs on every core (pytest-xdist); a test file stays on one worker, with its fixtures.
PYTEST_WORKERS ?= auto
BARE_CLONE ?= /tmp/repm-bare-clone

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: deps
deps: system-deps $(DEPS_STAMP) $(ASSETS_STAMP) messages ## Install Debian packages, Python packages (.venv), front-end assets and the compiled Hindi catalogues

.PHONY: system-deps
system-deps: ## Install the Debian packages that are missing (as root or via sudo)
	@scripts/system_deps.sh

$(DEPS_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.deps-* && touch $@

.PHONY: messages
messages: system-deps $(DEPS_STAMP) ## Compile the translation catalogues (locale/<part>/hi/LC_MESSAGES/django.po -> .mo; msgfmt from gettext)
	@# Placeholder URLs: compiling catalogues needs no database or broker.
	DATABASE_URL=postgresql://typecheck@127.0.0.1:1/typecheck REDIS_URL=redis://127.0.0.1:1/0 \
	  $(MANAGE) compilemessages --ignore '.venv' --ignore 'node_modules' --ignore '.local' --ignore 'staticfiles' -v 0

$(ASSETS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.stamp-* && touch $@

.PHONY: migrate
migrate: deps ## Apply database migrations (embedded PostgreSQL unless DATABASE_URL is set)
	$(MANAGE) migrate --noinput

.PHONY: seed
seed: migrate ## Create the demo scheme, people and firms (idempotent), played forward to the demo's as-of date
	REPM_CLOCK_AS_OF=$${REPM_CLOCK_AS_OF-demo} $(MANAGE) seed_demo

.PHONY: run
run: seed ## Set up, seed, collect static files and serve the demo as production does (gunicorn, DEBUG off; WEB_CONCURRENCY workers) on http://127.0.0.1:8000 with a Celery worker and beat
	REPM_CLOCK_AS_OF=$${REPM_CLOCK_AS_OF-demo} $(MANAGE) runplatform 127.0.0.1:8000

.PHONY: dev
dev: seed ## As `run`, but Django's auto-reloading runserver with DEBUG on, for development
	REPM_CLOCK_AS_OF=$${REPM_CLOCK_AS_OF-demo} $(MANAGE) runplatform --dev 127.0.0.1:8000

.PHONY: lint
lint: deps ## ruff, ruff format --check, mypy, makemigrations --check, Django's system checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check --fail-level WARNING

.PHONY: typecheck
typecheck: deps ## mypy (django-stubs) over the core, every service, selector and engine, and the jobs module
	@# Placeholder URLs: the settings then start no embedded server just to be type-checked.
	DATABASE_URL=postgresql://typecheck@127.0.0.1:1/typecheck REDIS_URL=redis://127.0.0.1:1/0 $(BIN)/mypy

.PHONY: format
format: deps ## Reformat and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: test
test: lint check-deploy compose-check ## Lint, then every test on embedded servers, then integration tests over TCP
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile
	$(MAKE) --no-print-directory test-tcp

.PHONY: test-fast
test-fast: deps ## Tests without the browser ones
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not e2e"

.PHONY: test-tcp
test-tcp: deps ## Integration tests against this machine's PostgreSQL and Redis over TCP, as production
	@scripts/local_services.sh
	DATABASE_URL=$(TCP_DATABASE_URL) REDIS_URL=$(TCP_REDIS_URL) $(BIN)/pytest -m integration --create-db -p no:cacheprovider

.PHONY: test-bare-clone
test-bare-clone: deps ## The OCDS tests on a clone of the project alone (no shared/ beside it): they skip, saying why
	@rm -rf $(BARE_CLONE) && git clone -q . $(BARE_CLONE)/repm && ln -s $(CURDIR)/.venv $(BARE_CLONE)/repm/.venv
	cd $(BARE_CLONE)/repm && env -u REPM_REQUIRE_OCDS -u REPM_OCDS_DIR REPM_EMBEDDED_DIR=$(CURDIR)/.local \
	  REPM_TEST_DB_SUFFIX=_bare .venv/bin/pytest tests/bidding/test_ocds.py -p no:cacheprovider -q -rs \
	  | tee $(BARE_CLONE)/out.txt
	@grep -q "SKIPPED" $(BARE_CLONE)/out.txt && ! grep -qE "[0-9]+ (failed|error)" $(BARE_CLONE)/out.txt \
	  && echo "bare clone: the OCDS tests skip, saying why"
	@rm -rf $(BARE_CLONE)

.PHONY: check-deploy
check-deploy: deps ## `check --deploy` under production settings (with throwaway secrets)
	DJANGO_SETTINGS_MODULE=repm_portal.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=repm.example.gov.in DATABASE_URL=$(TCP_DATABASE_URL) REDIS_URL=$(TCP_REDIS_URL) \
	AUDIT_CHECKPOINT_KEY_FILE=$(CURDIR)/.local/check-deploy/checkpoint.pem AUDIT_CHECKPOINT_DIR=$(CURDIR)/.local/check-deploy \
	$(MANAGE) check --deploy --fail-level WARNING

.PHONY: compose-check
compose-check: ## Validate docker-compose.yml (`docker compose config`, or Debian's docker-compose)
	@export SECRET_KEY=check POSTGRES_PASSWORD=check \
	  REPM_OWNER_PASSWORD=check REPM_APP_PASSWORD=check AUDIT_CHECKPOINT_KEY_PATH=/dev/null; \
	if docker compose version >/dev/null 2>&1; then docker compose config -q; \
	else docker-compose config -q; fi && echo "docker-compose.yml: valid"

.PHONY: bench
bench: deps ## Benchmarks that print figures (no pass/fail timing)
	$(BIN)/python -m bench

.PHONY: bench-ingest
bench-ingest: deps ## Sales-claim ingestion: validate and store 100k/300k/1M lines, against a bare COPY
	$(BIN)/python -m bench.ingest_store

.PHONY: bench-disburse
bench-disburse: deps ## SLI money over a 5M-line scheme: every figure against a bare GROUP BY, one letter against its rendering
	$(BIN)/python -m bench.disburse

.PHONY: bench-web
bench-web: seed ## The pages under gunicorn with wrk at 1, 10 and 50 connections, each against /health/
	REPM_CLOCK_AS_OF=$${REPM_CLOCK_AS_OF-demo} $(BIN)/python -m bench.web

.PHONY: stop
stop: deps ## Stop the embedded PostgreSQL and Redis of this checkout
	$(MANAGE) stop_embedded

.PHONY: clean
clean: ## Remove the virtualenv, assets, collected static files and embedded data
	-$(MANAGE) stop_embedded 2>/dev/null
	rm -rf $(VENV) node_modules staticfiles .local .pytest_cache .ruff_cache
