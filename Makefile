# The README's two commands: `make run` and `make test`.
PY := .venv/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: setup run test check bench demo

setup:
	@./scripts/setup.sh

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver $(HOST)

test: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	.venv/bin/pytest $(PYTEST_ARGS)

check: setup
	.venv/bin/ruff check .
