"""The CI matrix, from the stack files: every `Pulumi.<stack>.yaml`, production stacks last.

Prints `GITHUB_OUTPUT` lines: `all`, `nonprod` and `prod`, each a JSON list of stack names. A
stack is production as the program decides it, by the one definition `is_production` in
stackconfig/production.py (`production: true`, or `environment: prod`); those deploy only after
every other stack has, and behind their environment's reviewers. That module is loaded by its
path: it needs only the standard library, where the `stackconfig` package needs pydantic.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# A stack name becomes a GitHub environment name and a CLI argument: keep it to safe characters.
STACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _is_production() -> Callable[[Mapping[str, object], str], bool]:
    spec = importlib.util.spec_from_file_location("stackconfig_production", ROOT / "stackconfig" / "production.py")
    if spec is None or spec.loader is None:
        raise SystemExit("stackconfig/production.py: cannot load the definition of production")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: Callable[[Mapping[str, object], str], bool] = module.is_production
    return function


is_production = _is_production()


def namespace(root: Path) -> str:
    """The program's config namespace: its project name in Pulumi.yaml (`atlas-platform` unless renamed)."""
    project = root / "Pulumi.yaml"
    name = (yaml.safe_load(project.read_text()) or {}).get("name") if project.exists() else None
    return str(name) if name else "atlas-platform"


def stacks(root: Path = ROOT) -> dict[str, list[str]]:
    names: list[str] = []
    production: list[str] = []
    project = namespace(root)
    # By stack name (`prod` before `prod-eu`), as `make preview` lists them; not by file name.
    for name in sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml")):
        path = root / f"Pulumi.{name}.yaml"
        if not STACK_NAME.match(name):
            raise SystemExit(f"{path.name}: stack name {name!r} must match {STACK_NAME.pattern}")
        config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        names.append(name)
        if is_production(config, project):
            production.append(name)
    return {"all": names, "nonprod": [n for n in names if n not in production], "prod": production}


def main() -> None:
    for key, value in stacks().items():
        sys.stdout.write(f"{key}={json.dumps(value)}\n")


if __name__ == "__main__":
    main()
