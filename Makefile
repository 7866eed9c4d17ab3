# Samdesk. `make run` serves the demo on http://127.0.0.1:5000; `make test` installs what the
# tests need (packages, PostgreSQL, chromium, dovecot) and runs them all.

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export SAMDESK_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: run venv venv-dev translations db demo test test-sqlite test-postgres lint services bench screenshots extract clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

translations: venv
	@for dir in app/translations $$(ls -d app/*/translations 2>/dev/null); do \
	  [ -d $$dir/nb ] && $(BIN)/pybabel -q compile --use-fuzzy -d $$dir; done

extract: venv
	$(BIN)/pybabel extract -q -F babel.cfg -k _l -o /tmp/samdesk-messages.pot app
	@echo "catalogue template in /tmp/samdesk-messages.pot; see docs/translations.md"

db: venv
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo load

run: venv translations demo
	$(FLASK) run --host 127.0.0.1 --port 5000

services:
	bash scripts/test-services.sh

lint: venv-dev
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy app
	$(BIN)/lint-imports

test: venv-dev translations lint
	bash scripts/test-services.sh
	. ./.test-env && $(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite: venv-dev translations
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider tests

test-postgres: venv-dev translations
	@if [ -z "$${TEST_DATABASE_URL:-}" ]; then \
	  if [ "$${CI:-}" = "true" ]; then echo "TEST_DATABASE_URL is not set" >&2; exit 1; fi; \
	  echo "PostgreSQL not available here: skipping the PostgreSQL run"; exit 0; fi
	$(BIN)/pytest -q -p no:cacheprovider -m "not sqlite_only and not browser" tests

bench: venv-dev translations
	bash scripts/test-services.sh
	. ./.test-env && $(BIN)/python -m bench.run

screenshots: venv-dev translations
	bash scripts/test-services.sh
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) instance .test-env
