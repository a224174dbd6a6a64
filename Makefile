# The README's two commands: `make run` and `make test`.
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: setup run test check bench demo lock load faults faults-restart

setup:
	@./scripts/setup.sh

# The worker (workbook imports uploaded in the browser) runs beside the server and stops with it.
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py db_worker --no-reload --interval 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

test: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	.venv/bin/pytest $(PYTEST_ARGS)

# Lint, format and layers: ruff's rules, `ruff format`, import-linter's contracts
# (pyproject.toml). CI runs this beside `make test`.
check: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

# The demo district at scale 1 and 10 in fresh databases beside DATABASE_URL's, timed
# (README, "Benchmark"). BENCH_ARGS passes options, e.g. BENCH_ARGS="--scales 1".
bench: setup
	$(PY) manage.py bench $(BENCH_ARGS)

# 50 staff posting repayments at once for 5 minutes through gunicorn, then the ledger
# reconciled with what each was told (README, "Benchmark"). On a copy: the bench's
# PostgreSQL database, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/vbsp_district_bench1.
load: setup
	$(PY) manage.py load_test $(LOAD_ARGS)

# kill -9 of the gunicorn worker in the middle of a workbook import and of a transaction-day
# sheet post (README, "Benchmark"): nothing partial remains, a retry succeeds. On a copy of
# the demo district, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/vbsp_faults made
# by `createdb -T vbsp_district_bench1 vbsp_faults`. FAULTS_ARGS passes options, e.g.
# "--only sheet --without-checks".
faults: setup
	$(PY) manage.py kill_test $(FAULTS_ARGS)

# PostgreSQL restarted under the load's traffic (README, "Benchmark"): every request it
# breaks answers the 503 page, nothing is written in part, the app recovers on its own.
# It cuts every connection on the machine: it waits while a test database is in use.
# On a copy, as `make load`. RESTART_ARGS passes options, e.g. "--seconds 90 --restart-after 30".
faults-restart: setup
	$(PY) manage.py restart_test $(RESTART_ARGS)

# The lock files with hashes, from pyproject.toml's ranges: the newest versions they allow
# (README, "Dependencies"). pip-tools runs in a virtual environment of its own.
lock:
	test -x .venv-tools/bin/pip-compile || (python3 -m venv .venv-tools && .venv-tools/bin/pip install -q pip-tools)
	.venv-tools/bin/pip-compile -q --upgrade --generate-hashes --strip-extras --allow-unsafe -o requirements.txt pyproject.toml
	.venv-tools/bin/pip-compile -q --upgrade --generate-hashes --strip-extras --allow-unsafe --extra test -o requirements-dev.txt pyproject.toml
