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

# On the embedded database (no DATABASE_URL) `make demo` remembers what it did, so running it again serves at
# once: migrations run again when one changed, static files are collected again when one changed, the seed runs
# once (`make clean`, or a deleted var/db.sqlite3, forgets them). With DATABASE_URL or VAR_DIR set it asks the
# database every time.
MIGRATIONS := $(wildcard */migrations/0*.py)
STATIC_FILES := $(shell find static -type f 2>/dev/null)
ifeq ($(DATABASE_URL)$(VAR_DIR),)
ifeq ($(wildcard var/db.sqlite3),)
$(shell rm -f var/.migrated var/.seeded)
endif
var/.migrated: $(VENV)/.runtime $(MIGRATIONS)
	$(BIN)/python manage.py migrate --noinput -v 0
	@mkdir -p var && touch $@

var/.seeded: var/.migrated
	$(BIN)/python manage.py seed_demo
	touch $@
DEMO_DATA := var/.seeded
else
DEMO_DATA := seed
endif

var/static/.collected: $(VENV)/.runtime $(STATIC_FILES)
	$(BIN)/python manage.py collectstatic --noinput -v 0
	touch $@

## make demo: install, migrate, seed the demo district, serve it (embedded defaults: no server to install)
demo: $(DEMO_DATA) var/static/.collected
	@echo ""
	@echo "  e智办 is at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo logins (password demo-2026): admin, jiedao (cockpit), xiaofang1 (fire station), fuze6 (block 6),"
	@echo "  wangge1, wuye1, jiancha1, qiye1, xinshimin (resident); docs/demo-data.md. Ctrl-C stops the server."
	@echo ""
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --simulate $(DEMO_SCENARIOS)

## make test: install test tools, lint, check the import contracts, run the whole suite (PostgreSQL/Redis/Mosquitto when they answer)
test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	PYTHON=$(BIN)/python bash tests/lanes.sh $(PYTEST_ARGS)

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var/db.sqlite3 var/db.sqlite3-wal var/db.sqlite3-shm var/.migrated var/.seeded var/static var/media var/test
