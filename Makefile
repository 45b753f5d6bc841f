# Two commands set everything up on a fresh machine: `make run` and `make test`.
# Django 6.1 needs Python 3.12 or newer; we build .venv with the newest one found.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Newest usable Python >= 3.12: plain commands first, then pyenv's installs (whose shims
# refuse to run a version that is not selected).
PYTHON_FOR_VENV := $(shell for c in python3.14 python3.13 python3.12 \
	$$(ls -d /root/.pyenv/versions/3.1[2-9]*/bin/python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    $$c -c 'import sys; print(sys.version_info[:2] >= (3, 12) and sys.executable)'; break; fi; done)

.PHONY: run test venv migrate demo check bench-sync bench-import bench-admin clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
	  echo "error: Python 3.12 or newer is needed (Django 6.1). Install python3.12 or python3.13 and retry." >&2; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON_FOR_VENV)"
	@test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --password "$${DEMO_PASSWORD:-letmein-demo}"

run: demo
	$(PY) manage.py collectstatic --noinput -v 0
	@echo "Serving http://127.0.0.1:$(PORT)/  (demo logins printed above)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

check: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# Spreadsheet import benchmark (issue 4): run with DATABASE_URL pointing at PostgreSQL.
bench-import: venv
	$(PY) bench/import_bench.py $(BENCH_ARGS)

# Trust-scale benchmarks (issue 9). Each drops and recreates BENCH_DATABASE_URL
# (default postgres://postgres@127.0.0.1:5432/dbp_bench) and prints a table; loopback only.
bench-sync: venv
	$(PY) bench/sync_bench.py $(BENCH_ARGS)

bench-admin: venv
	$(PY) bench/admin_bench.py $(BENCH_ARGS)
