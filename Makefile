# One command sets everything up and runs: `make preview STACK=prod`, `make access-report STACK=prod`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= prod
REQUIREMENTS := requirements.txt requirements-dev.txt policies/requirements.txt

.PHONY: setup preview access-report test bench clean

setup: $(VENV)/.installed

# The virtualenv is rebuilt whenever a requirements file changes.
$(VENV)/.installed: $(REQUIREMENTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

preview: setup
	$(PY) -m offline.preview --stack $(STACK)

# Markdown for a quarterly access review: `make access-report STACK=prod > review.md`.
access-report: setup
	@$(PY) -m offline.access_report --stack $(STACK)

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m offline.bench

clean:
	rm -rf $(VENV) .pytest_cache
