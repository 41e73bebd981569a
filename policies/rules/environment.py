"""Which environment a stack is: the pack is strict in production and advisory elsewhere.

Sources, first match wins:
1. policy config: the `environment` property of the policy being run (from `--policy-pack-config`
   or the Pulumi Cloud policy group), either way: `prod`/`production` or anything else;
2. otherwise production when EITHER the stack name looks like production (`prod`, `production`,
   `prod-*`, `production-*`, `*-prod`, `*-production`, any case) OR the stack tag `environment`
   is `prod`/`production`. A tag can mark a stack production but never downgrade one named so.

Where the pack learns these (pulumi_policy 1.21 under the Pulumi engine):
- the stack name is in every resource URN (`urn:pulumi:<stack>::<project>::...`), which the
  engine sends with each `Analyze`/`AnalyzeStack` request; the engine also starts the pack with
  PULUMI_STACK in its environment, used when there is no URN to read;
- stack tags arrive in the Analyzer `ConfigureStack` call and reach policies as `args.stack_tags`;
- policy config arrives in the Analyzer `Configure` call and reaches policies as `args.get_config()`.
The offline driver (`offline/policy.py`) makes the same three calls, so both paths are the same code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENT_TAG = "environment"
CONFIG_KEY = "environment"
PROD_VALUES = frozenset({"prod", "production"})
_PROD_NAME = re.compile(r"^(prod|production)(-.+)?$|^.+-(prod|production)$")

# The JSON schema of the `environment` override, added to every environment-dependent policy.
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "Overrides environment detection for this policy: 'prod' or 'production' is "
    "production, any other value (e.g. 'staging') is not.",
}


@dataclass(frozen=True)
class Environment:
    is_prod: bool
    reason: str

    @property
    def label(self) -> str:
        return "production" if self.is_prod else "non-production"


def stack_from_urn(urn: str) -> str | None:
    """`prod` from `urn:pulumi:prod::atlas-platform::...`; None for anything else."""
    if not urn.startswith("urn:pulumi:"):
        return None
    stack = urn[len("urn:pulumi:") :].split("::", 1)[0]
    return stack or None


def is_prod_stack_name(stack: str) -> bool:
    # The CLI also accepts fully qualified names (org/project/stack); only the last part is the name.
    return bool(_PROD_NAME.match(stack.rsplit("/", 1)[-1].strip().lower()))


def is_prod_value(value: str) -> bool:
    return value.strip().lower() in PROD_VALUES


def resolve(
    *, urn: str = "", stack_tags: Mapping[str, str] | None = None, config: Mapping[str, Any] | None = None
) -> Environment:
    override = (config or {}).get(CONFIG_KEY)
    if isinstance(override, str) and override.strip():
        return Environment(is_prod_value(override), f"policy config environment={override!r}")
    stack = stack_from_urn(urn) or os.environ.get("PULUMI_STACK", "")
    tag = (stack_tags or {}).get(ENVIRONMENT_TAG, "")
    if stack and is_prod_stack_name(stack):
        return Environment(True, f"stack name {stack!r}")
    if tag and is_prod_value(tag):
        return Environment(True, f"stack tag {ENVIRONMENT_TAG}={tag!r}")
    found = f"stack name {stack!r}" if stack else "no stack name"
    return Environment(False, found + (f", stack tag {ENVIRONMENT_TAG}={tag!r}" if tag else ""))
