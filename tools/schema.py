"""`make schema`: the JSON Schema of a stack file, generated from the stack-file model, for editors.

`python -m tools.schema` writes schema/stack-file.schema.json from `stackconfig.StackConfig` (the
model the program validates with): every `atlas-platform:` key with its field docstring as the
description, its default, the values an Atlas list allows (`enum`), the form a name must have
(`pattern`) and examples from the docstrings. Each stack file names the schema on its first lines,
for the YAML language server (VS Code's YAML extension, Neovim, Helix...) and for JetBrains IDEs:

    # yaml-language-server: $schema=schema/stack-file.schema.json
    # $schema: schema/stack-file.schema.json

The schema helps while typing; the program's loader stays the judge (cross-field rules, production
rules and the did-you-mean hints are its own). `--check` exits 1 when the shipped file is stale.
tests/test_schema.py holds the shipped file to the model. JSON Schema draft-07: the YAML language
server supports draft-07 and earlier.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from stackconfig import StackConfig
from stackconfig.base import SECRET_NAME_PATTERN
from stackconfig.loader import OTHER_NAMESPACES, PROVIDER_SECRET_KEYS
from tests.harness.runner import ROOT
from tests.harness.stackfile import project_name

SCHEMA_FILE = Path("schema/stack-file.schema.json")
DRAFT = "http://json-schema.org/draft-07/schema#"
# Examples a docstring gives: `(e.g. payments-prod)`, `e.g. M30`. Kept only where the field accepts them.
PYTHON_GROUP = re.compile(r"\(\?P<\w+>")
EXAMPLE = re.compile(r"\be\.g\.,? `?([^\s,;)`]+)`?")


def modelines(folder: Path | None = None, root: Path = ROOT) -> list[str]:
    """The comment lines that point an editor at the schema from a stack file in `folder` (default: the
    project root, where Pulumi reads stack files): the YAML language server's, then JetBrains'."""
    target = Path(os.path.relpath(root / SCHEMA_FILE, folder or root)).as_posix()
    return [f"# yaml-language-server: $schema={target}", f"# $schema: {target}"]


def _secure_value(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "type": "object",
        "properties": {"secure": {"type": "string", "description": "The value, encrypted by `pulumi config set --secret`."}},
        "required": ["secure"],
        "additionalProperties": False,
    }


def _draft07(node: Any, names: bool = False) -> Any:
    """pydantic's schema as draft-07 reads it: `definitions`, no keyword beside a `$ref` (ignored there),
    and no `title` (pydantic's are the Python names). `names`: `node` maps names (properties) to schemas."""
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: _draft07(v) for k, v in node.items()}
    out = {k: _draft07(v, names=k in ("properties", "patternProperties", "$defs")) for k, v in node.items() if k != "title"}
    if isinstance(out.get("pattern"), str):
        # Python's named groups are not JavaScript's (editors run the pattern as an ECMA-262 RegExp).
        out["pattern"] = PYTHON_GROUP.sub("(?:", out["pattern"])
    if "$ref" in out and len(out) > 1:
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


def _accepts(schema: dict[str, Any], value: str) -> bool:
    options = schema.get("anyOf", [schema])
    for option in options:
        if option.get("type") != "string":
            continue
        if "enum" in option and value not in option["enum"]:
            continue
        if "pattern" in option and not re.search(option["pattern"], value):
            continue
        return True
    return False


def _examples(node: Any) -> None:
    """Add `examples` to each string property whose description gives one the property accepts."""
    if isinstance(node, list):
        for item in node:
            _examples(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _examples(value)
    for prop in (node.get("properties") or {}).values():
        found = [e.strip("'\".") for e in EXAMPLE.findall(str(prop.get("description", "")))]
        accepted = [e for e in dict.fromkeys(found) if e and _accepts(prop, e)]
        if accepted and "examples" not in prop:
            prop["examples"] = accepted


def build_schema(namespace: str) -> dict[str, Any]:
    model = StackConfig.model_json_schema(by_alias=True, ref_template="#/definitions/{model}")
    definitions = _draft07(model.pop("$defs", {}), names=True)
    fields = _draft07(model)
    settings = {f"{namespace}:{name}": schema for name, schema in fields["properties"].items()}
    known = "|".join(re.escape(name) for name in fields["properties"])
    config: dict[str, Any] = {
        "description": f"The stack's settings: `{namespace}:<key>` for this program, and its providers' and Pulumi's own keys.",
        "type": "object",
        "properties": {
            **settings,
            "aws:region": {"description": "The AWS region of the AWS provider (e.g. us-east-1).", "type": "string"},
            **{key: _secure_value(f"{what}: a `secure:` value only.") for key, what in PROVIDER_SECRET_KEYS.items()},
        },
        "patternProperties": {
            # A secret the settings name (`serviceKeySecret: pagerDutyServiceKey`): its own key, a `secure:` value.
            f"^{re.escape(namespace)}:(?!(?:{known})$){SECRET_NAME_PATTERN}$": _secure_value(
                "A secret config key named by a setting (e.g. `serviceKeySecret: pagerDutyServiceKey`); "
                "set it with `pulumi config set --secret`."
            ),
            f"^(?:{'|'.join(OTHER_NAMESPACES)}):": {"description": "A provider's or Pulumi's own setting."},
        },
        "additionalProperties": False,
        "required": [f"{namespace}:{name}" for name in fields.get("required", [])],
    }
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": f"Pulumi stack file of {namespace} (Pulumi.<stack>.yaml)",
        "description": (
            f"Generated from stackconfig.StackConfig by `make schema`; do not edit. {fields.get('description', '')} "
            "The program's loader decides: it also checks rules across keys and production's rules."
        ),
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string", "description": "Where the stack's secrets are encrypted."},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {"description": "Pulumi ESC environments this stack imports.", "type": ["array", "object"]},
        },
        "additionalProperties": False,
        "definitions": definitions,
    }
    _examples(schema)
    return schema


def render(root: Path = ROOT) -> str:
    return json.dumps(build_schema(project_name(root)), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the shipped schema is not what the model gives")
    args = parser.parse_args(argv)
    path = ROOT / SCHEMA_FILE
    text = render()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date with stackconfig/: run `make schema` and commit it", file=sys.stderr)
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
