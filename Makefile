# One command sets everything up and runs: `make preview STACK=prod`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= prod
# What `make diff` compares the working tree with; HEAD shows what uncommitted edits would do.
BASE ?= HEAD
# pyproject.toml too: requirements.txt installs the package from it (`-e .`).
REQUIREMENTS := requirements.txt requirements-dev.txt policies/requirements.txt pyproject.toml

.PHONY: setup preview diff access-report review org-import adopt schema test lint package bench clean

setup: $(VENV)/.installed

# The virtualenv is rebuilt whenever a requirements file changes.
# Messages go to stderr, so `make access-report STACK=prod > review.md` holds only the report.
$(VENV)/.installed: $(REQUIREMENTS)
	@echo "Setting up $(VENV) from requirements-dev.txt (first use, or a requirements file changed)" >&2
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
	@touch $@

preview: setup
	$(PY) -m tools.preview --stack $(STACK)

# What a change to the code or the stack file would create, update, replace or delete:
# `make diff STACK=prod BASE=origin/main`. Exits 0 whether or not anything changes.
diff: setup
	$(PY) -m tools.diff --stack $(STACK) --base $(BASE)

# Markdown for a quarterly access review: `make access-report STACK=prod > review.md`.
access-report: setup
	@$(PY) -m tools.access_report --stack $(STACK)

# The live access review: what the stack's Atlas project really holds against the stack file, read-only
# (docs/operations.md, "Live access review"). Credentials and MONGODB_ATLAS_BASE_URL as the provider reads
# them; `make review STACK=prod REVIEW_ARGS="--output review.md --json review.json"`. Exit 0 clean, 1 findings, 2 unread.
review: setup
	@$(PY) -m tools.review --stack $(STACK) $(REVIEW_ARGS)

# The `pulumi import --file` document that adopts the organization: `make org-import STACK=prod > org-import.json`.
org-import: setup
	@$(PY) -m tools.org_import --stack $(STACK)

# Bring a hand-built Atlas project under this program (docs/adopt.md), read-only:
# `make adopt PROJECT=payments-prod STACK=prod [APP=...] [ENVIRONMENT=...] [PRODUCTION=true|false]
#  [CLUSTER=<name>] [AWS_ENDPOINTS=endpoints.yaml] [OUT_DIR=.]` writes Pulumi.<stack>.yaml and
# import-<stack>.json and prints what it could not adopt. Exit 2, one line, nothing written: Atlas could not be read.
# STACK_FILE=Pulumi.<stack>.yaml (after editing it): write only its import document, with the names you gave.
adopt: setup
	@$(PY) -m tools.adopt --project "$(PROJECT)" --stack "$(STACK)" --out-dir "$(or $(OUT_DIR),.)" \
		$(if $(APP),--app "$(APP)") $(if $(ENVIRONMENT),--environment "$(ENVIRONMENT)") \
		$(if $(PRODUCTION),--production "$(PRODUCTION)") $(if $(CLUSTER),--cluster "$(CLUSTER)") \
		$(if $(AWS_ENDPOINTS),--aws-endpoints "$(AWS_ENDPOINTS)") $(if $(STACK_FILE),--stack-file "$(STACK_FILE)")

# The stack file's JSON Schema for editors (schema/stack-file.schema.json), generated from stackconfig/:
# run it after changing the model, and commit the result (tests/test_schema.py checks it is current).
schema: setup
	$(PY) -m tools.schema

test: lint package
	$(PY) -m pytest -q

# The installable package (atlas-platform-components, pyproject.toml) as a wheel in dist/, built
# with the backend from requirements-dev.txt. tests/test_package.py builds its own and installs it
# into a fresh virtualenv.
package: setup
	rm -f dist/atlas_platform_components-*.whl
	$(PY) -m build --wheel --no-isolation --outdir dist . >&2

# Lint, format check and strict typing (configured in pyproject.toml); part of `make test`.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	# The pack is its own program (its own __main__, imported from policies/ as the engine runs it).
	cd policies && ../$(VENV)/bin/mypy --strict --config-file ../pyproject.toml __main__.py rules
	# The workflow as GitHub reads it: schema, actionlint (shellcheck on each `run:`), and zizmor
	# without network lookups. A finding kept on purpose is suppressed in place, with its reason.
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(VENV)/bin/actionlint -shellcheck $(VENV)/bin/shellcheck
	$(VENV)/bin/zizmor --offline --no-progress .github/

bench: setup
	$(PY) -m tools.bench

clean:
	rm -rf $(VENV) .pytest_cache dist build
