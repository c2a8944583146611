# Auto Trendy: `make run` serves the site, `make test` runs the suite.
# Both create .venv on first use with a Python 3.12+ found by bin/find-python.

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is the embedded development setup: debug on unless the environment says otherwise.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

.PHONY: run serve test install migrate fixtures superuser staff check lint format bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@set -e; \
	if [ ! -x $(PY) ]; then \
		interpreter=$$(sh bin/find-python) || exit 1; \
		echo "Creating $(VENV) with $$interpreter"; \
		"$$interpreter" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt; \
	touch $@

install: $(VENV)/.installed

# axe-core for the accessibility tests, from the npm registry; without npm those tests skip.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --silent && touch $@; \
	else \
		echo "npm not found: the accessibility tests will be skipped (install Node.js and npm to run them)"; \
	fi

migrate: install
	$(DEV) $(PY) manage.py migrate --noinput

fixtures: migrate
	$(DEV) $(PY) manage.py load_launch

run: fixtures
	@echo
	@echo "Auto Trendy is at http://$(HOST):$(PORT)/"
	@echo "Editors log in at http://$(HOST):$(PORT)/admin/"
	@echo "No account yet? In another terminal, either"
	@echo "  make superuser"
	@echo "or, for a newsroom role (prints a link to set the password):"
	@echo "  make staff USERNAME=dana ROLE=author NAME=\"Dana Reyes\""
	@echo
	$(DEV) $(PY) manage.py runserver $(HOST):$(PORT)

# The production setup on this machine: collectstatic, migrate, then gunicorn behind nginx
# (deploy/nginx.conf; nginx's pid, temp files, cache and logs in .run/). Ctrl-C stops both.
# Without DJANGO_SECRET_KEY it uses a throwaway key kept in .run/ and says so.
serve: install
	$(PY) deploy/serve.py --host $(HOST) --port $(PORT)

superuser: migrate
	$(DEV) $(PY) manage.py createsuperuser

staff: migrate
	@test -n "$(USERNAME)" && test -n "$(ROLE)" || { echo 'Usage: make staff USERNAME=dana ROLE=author|reviewer|editor NAME="Dana Reyes"'; exit 2; }
	$(DEV) $(PY) manage.py add_staff "$(USERNAME)" --role "$(ROLE)" $(if $(NAME),--name "$(NAME)")

# The whole suite on the configured database (SQLite by default), then, when that was not
# PostgreSQL, the PostgreSQL-only tests against POSTGRES_TEST_URL. No server: those tests are
# skipped with the reason, except in CI (CI=true), where that is a failure.
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/autotrendy
test: install node_modules/.installed
	$(PY) -m pytest
	@case "$${DATABASE_URL:-}" in postgres*) exit 0;; esac; \
	if $(PY) -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('/autotrendy', '/postgres'), connect_timeout=3).close()" "$(POSTGRES_TEST_URL)" 2>/dev/null; then \
		echo; echo "== PostgreSQL-only tests on $(POSTGRES_TEST_URL)"; \
		DATABASE_URL="$(POSTGRES_TEST_URL)" $(PY) -m pytest -m postgres -p no:cacheprovider; \
	elif [ "$${CI:-}" = true ]; then \
		echo "PostgreSQL is not reachable at $(POSTGRES_TEST_URL): in CI the PostgreSQL tests must run."; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL-only tests: no server at $(POSTGRES_TEST_URL) (set POSTGRES_TEST_URL, or see README)."; \
	fi

# System checks, no missing migrations, and ruff (lint and format) over the whole repo.
check: install lint
	$(DEV) $(PY) manage.py check
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Apply ruff's safe fixes and formatting.
format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The benchmark (bench/README.md): `make bench BENCH_ARGS="--sizes 2,10000 --db sqlite --http"`.
BENCH_ARGS ?=
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles screenshots .pytest_cache
