# Auto Trendy: `make run` serves the site, `make test` runs the suite.
# Both create .venv on first use with a Python 3.12+ found by bin/find-python.

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
comma := ,
# Where `make run` remembers the origin it serves, for `make staff` in another terminal.
ORIGIN_FILE ?= .run/dev-origin
# The host as it appears in a link: a wildcard address is reached through the loopback one,
# an IPv6 address needs brackets.
LINK_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(if $(filter ::,$(HOST)),[::1],$(if $(findstring :,$(HOST)),$(if $(findstring [,$(HOST)),$(HOST),[$(HOST)]),$(HOST))))
# The origin every absolute link is built for (canonical links, feeds, sitemaps, share and
# password links, emails): SITE_ORIGIN if set; else HOST and PORT when given; else, for the
# commands run beside a server (`make staff`), the origin `make run` last served.
ifeq ($(origin HOST)$(origin PORT),filefile)
LAST_ORIGIN := $(shell cat $(ORIGIN_FILE) 2>/dev/null)
endif
RUN_ORIGIN := $(or $(SITE_ORIGIN),http://$(LINK_HOST):$(PORT))
TOOL_ORIGIN := $(or $(SITE_ORIGIN),$(LAST_ORIGIN),$(RUN_ORIGIN))
# `make run` is the embedded development setup: debug on unless the environment says otherwise,
# links for the origin served, and that host allowed.
DEV_HOSTS := $${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1,[::1]$(if $(filter-out 0.0.0.0 :: localhost 127.0.0.1 [::1],$(LINK_HOST)),$(comma)$(LINK_HOST))}
DEV_ENV = DJANGO_DEBUG=$${DJANGO_DEBUG:-true} DJANGO_ALLOWED_HOSTS="$(DEV_HOSTS)"
DEV := $(DEV_ENV) SITE_ORIGIN="$(RUN_ORIGIN)"
TOOL := $(DEV_ENV) SITE_ORIGIN="$(TOOL_ORIGIN)"

.PHONY: run serve test install migrate fixtures superuser staff check lint format bench faults clean

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

# Migrations only when some are unapplied: an up-to-date database says nothing.
migrate: install
	@$(DEV) $(PY) manage.py migrate --check >/dev/null 2>&1 || $(DEV) $(PY) manage.py migrate --noinput

# The launch articles, only where they are missing: an editor's changes are never replaced.
fixtures: migrate
	@$(DEV) $(PY) manage.py load_launch

run: fixtures
	@mkdir -p $(dir $(ORIGIN_FILE)) && echo "$(RUN_ORIGIN)" > $(ORIGIN_FILE)
	@echo
	@echo "Auto Trendy is at $(RUN_ORIGIN)/ (every link the site builds points there)"
	@echo "Editors log in at $(RUN_ORIGIN)/admin/"
	@echo "No account yet? In another terminal, either"
	@echo "  make superuser"
	@echo "or, for a newsroom role (prints a link to set the password):"
	@echo "  make staff USERNAME=dana ROLE=author NAME=\"Dana Reyes\""
	@echo
	$(DEV) $(PY) manage.py runserver $(if $(findstring :,$(HOST)),$(LINK_HOST),$(HOST)):$(PORT)

# The production setup on this machine: collectstatic, migrate, then gunicorn behind nginx
# (deploy/nginx.conf; nginx's pid, temp files, cache and logs in .run/). Ctrl-C stops both.
# Without DJANGO_SECRET_KEY it uses a throwaway key kept in .run/ and says so.
serve: install
	$(PY) deploy/serve.py --host $(HOST) --port $(PORT)

superuser: migrate
	@$(TOOL) $(PY) manage.py createsuperuser

# The password link is built for the origin `make run` serves (see TOOL_ORIGIN).
staff: migrate
	@test -n "$(USERNAME)" && test -n "$(ROLE)" || { echo 'Usage: make staff USERNAME=dana ROLE=author|reviewer|editor NAME="Dana Reyes" [EMAIL=dana@example.com]'; exit 2; }
	@$(TOOL) $(PY) manage.py add_staff "$(USERNAME)" --role "$(ROLE)" $(if $(NAME),--name "$(NAME)") $(if $(EMAIL),--email "$(EMAIL)")

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

# The production setup under load while Redis stops and PostgreSQL restarts (bench/faults.py).
# The PostgreSQL restart is opt-in (it restarts the machine's cluster): FAULTS_ARGS="--pg-restart".
FAULTS_ARGS ?=
faults: install
	$(PY) bench/faults.py $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles screenshots .pytest_cache
