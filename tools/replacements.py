"""The replacement table (tools/replacements.json): which inputs make a provider replace a resource.

Facts come from the providers' source at the pinned versions (each entry names its file); the
verdict for a stack-file key follows from the inputs it feeds. docs/changes.md explains each verdict.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("replacements.json")
# Worst first: what a change to a key does when it feeds several inputs.
VERDICTS = ("delete then create", "replace", "update fails", "ignored after create", "in place")


@cache
def table() -> dict[str, Any]:
    return dict(json.loads(TABLE.read_text()))


def types() -> dict[str, dict[str, Any]]:
    return dict(table()["types"])


def split_target(target: str) -> tuple[str, str]:
    """`mongodbatlas:index/project:Project.orgId` -> (type token, Pulumi input name)."""
    token, _, name = target.rpartition(".")
    return token, name


def input_verdict(token: str, name: str) -> str:
    entry = types()[token]
    if name in entry["replaceOn"]:
        delete_first = entry["handling"] == "deleteBeforeReplace" or entry.get("deleteBeforeReplace", False)
        return "delete then create" if delete_first else "replace"
    if name in entry.get("ignoredByProgram", {}):
        # The program's ignore_changes wins over the provider's create-only error.
        return "ignored after create"
    if name in entry.get("updateFails", {}):
        return "update fails"
    return "in place"


def key_verdict(key: str) -> str:
    verdicts = {input_verdict(*split_target(t)) for t in table()["stackKeys"][key]["targets"]}
    return next(v for v in VERDICTS if v in verdicts)


def set_by_program(token: str, name: str) -> bool:
    listed = set(table()["setByProgram"]["inputs"])
    return f"{token}.{name}" in listed or f"*.{name}" in listed
