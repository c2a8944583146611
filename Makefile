# Auto Trendy: `make run` serves the site, `make test` runs the suite.
# Both create .venv on first use with a Python 3.12+ found by bin/find-python.

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run` is the embedded development setup: debug on unless the environment says otherwise.
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}

.PHONY: run test install migrate fixtures superuser staff check bench clean

$(VENV)/.installed: requirements.txt
	@set -e; \
	if [ ! -x $(PY) ]; then \
		interpreter=$$(sh bin/find-python) || exit 1; \
		echo "Creating $(VENV) with $$interpreter"; \
		"$$interpreter" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt; \
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
	$(DEV) $(PY) manage.py loaddata launch

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

superuser: migrate
	$(DEV) $(PY) manage.py createsuperuser

staff: migrate
	@test -n "$(USERNAME)" && test -n "$(ROLE)" || { echo 'Usage: make staff USERNAME=dana ROLE=author|reviewer|editor NAME="Dana Reyes"'; exit 2; }
	$(DEV) $(PY) manage.py add_staff "$(USERNAME)" --role "$(ROLE)" $(if $(NAME),--name "$(NAME)")

test: install node_modules/.installed
	$(PY) -m pytest

check: install
	$(DEV) $(PY) manage.py check
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles screenshots .pytest_cache
