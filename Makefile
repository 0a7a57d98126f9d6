# Two commands do everything: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
DEMO_SCENARIOS ?= --scenario ebike-overheat

.PHONY: demo test lint format migrate seed serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools<82' wheel

$(VENV)/.runtime: $(BIN)/python requirements.txt requirements-face.txt
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -r requirements-face.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

migrate: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput -v 0

seed: migrate
	$(BIN)/python manage.py seed_demo

## make demo: install, migrate, seed the demo district, serve it (embedded defaults: no server to install)
demo: seed
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@echo ""
	@echo "  e智办 is at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins are printed above (password demo-2026). Ctrl-C stops the server."
	@echo ""
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --simulate $(DEMO_SCENARIOS)

## make test: install test tools, lint, check the import contracts, run the whole suite (PostgreSQL/Redis/Mosquitto when they answer)
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var/db.sqlite3 var/static var/media var/test
