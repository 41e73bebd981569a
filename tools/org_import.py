"""`make org-import STACK=prod > org-import.json`: the file `pulumi import --file` takes to adopt the
organization (and its federation link) into the one stack that owns the organization's settings.

The names and ids are the program's own (`atlas_platform/components/organization.py` `child_names`, `import_ids`;
the component is `<app>-org` in `__main__.py`), read from the stack file as the program reads it, so
the import matches what the next `pulumi up` registers (tests/test_org_security.py holds the two to
the plan). docs/access.md gives the commands around it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from atlas_platform.components.organization import TOKEN, child_names, import_ids
from program_args import org_security_args
from stackconfig import load_stack_config
from stackconfig.loader import ConfigError
from tests.harness.runner import ROOT
from tests.harness.stackfile import engine_config, project_name


def import_file(stack: str, stack_file: Path | None = None, root: Path = ROOT) -> dict[str, Any]:
    """The `pulumi import --file` document for `stack`; a stack without `organization` has nothing to adopt."""
    values, secret_keys = engine_config(root, stack, stack_file=stack_file)
    cfg = load_stack_config(values, namespace=project_name(root), stack=stack, secret_keys=secret_keys)
    args = org_security_args(cfg)
    if args is None:
        raise SystemExit(f"{stack}: the stack file has no `organization` section; only the owning stack adopts the organization")
    component = f"{cfg.app}-org"
    names = child_names(component)
    resources: list[dict[str, Any]] = [{"type": TOKEN, "name": component, "component": True}]
    resources += [
        {"type": token, "name": names[token], "id": resource_id, "parent": component}
        for token, resource_id in import_ids(args).items()
    ]
    return {"resources": resources}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make org-import", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)
    try:
        document = import_file(args.stack, args.stack_file)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
