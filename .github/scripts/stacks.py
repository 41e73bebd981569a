"""The CI matrix, from the stack files: every `Pulumi.<stack>.yaml`, production stacks last.

Prints `GITHUB_OUTPUT` lines: `all`, `nonprod` and `prod`, each a JSON list of stack names. A
stack is production when its file says `atlas-platform:environment: prod`; those deploy only
after every other stack has, and behind their environment's reviewers.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "atlas-platform"
# A stack name becomes a GitHub environment name and a CLI argument: keep it to safe characters.
STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def stacks(root: Path = ROOT) -> dict[str, list[str]]:
    names: list[str] = []
    production: list[str] = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        if not STACK_NAME.match(name):
            raise SystemExit(f"{path.name}: stack name {name!r} must match {STACK_NAME.pattern}")
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        names.append(name)
        if config.get(f"{NAMESPACE}:environment") == "prod":
            production.append(name)
    return {"all": names, "nonprod": [n for n in names if n not in production], "prod": production}


def main() -> None:
    for key, value in stacks().items():
        sys.stdout.write(f"{key}={json.dumps(value)}\n")


if __name__ == "__main__":
    main()
