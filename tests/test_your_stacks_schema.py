"""Your stack files against the shipped JSON Schema (schema/stack-file.schema.json): an editor pointed at it
flags nothing in a stack file the program accepts. Only these tests read the root stack files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT, YOUR_STACKS
from tools.schema import SCHEMA_FILE


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_file_is_valid_against_the_schema(stack):
    validator = jsonschema.Draft7Validator(json.loads((ROOT / SCHEMA_FILE).read_text(encoding="utf-8")))
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(document)]
    assert not problems, (
        f"Pulumi.{stack}.yaml breaks {SCHEMA_FILE}; if the program accepts it, the schema is stale: run `make schema`\n"
        + "\n".join(problems)
    )
