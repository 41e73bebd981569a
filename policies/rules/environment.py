"""Which environment a stack is: the pack is strict in production and advisory elsewhere.

Sources, first match wins:
1. policy config: the `environment` property of the policy being run (from `--policy-pack-config`
   or the Pulumi Cloud policy group), either way: `prod`/`production` or anything else;
2. the stack's own config, as the program reads it (`is_production`, a copy of the program's one
   definition in stackconfig/production.py that a test holds identical): `<project>:production` when
   set, and `<project>:environment: prod` always. The stack tag `environment` = `prod`/`production`
   still promotes such a stack, never demotes it;
3. a stack whose config has neither key (another program) is production when EITHER its name looks
   like production (`prod`, `production`, `prod-*`, `production-*`, `*-prod`, `*-production`, any case)
   OR its stack tag `environment` is `prod`/`production`. A tag can promote, never demote.

Where the pack learns these (pulumi_policy 1.21 under the Pulumi engine):
- the engine starts the pack with the stack's config in PULUMI_CONFIG (a JSON map of `<project>:<key>`
  to strings, the same map a program gets; pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go,
  `constructEnv`), and PULUMI_STACK/PULUMI_PROJECT beside it. Newer engines also put that config in
  the Analyzer `ConfigureStack` call, which pulumi_policy 1.21 does not pass on to policies;
- the stack name and project are in every resource URN (`urn:pulumi:<stack>::<project>::...`), which
  the engine sends with each `Analyze`/`AnalyzeStack` request; PULUMI_STACK is used when there is none;
- stack tags arrive in the Analyzer `ConfigureStack` call and reach policies as `args.stack_tags`;
- policy config arrives in the Analyzer `Configure` call and reaches policies as `args.get_config()`.
The offline driver (`tests/harness/policy.py`) starts the pack and makes the calls the same way.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENT_TAG = "environment"
CONFIG_KEY = "environment"

# ---- a copy of stackconfig/production.py (the pack is published alone); tests/test_environments.py holds them equal ----
NAMESPACE = "atlas-platform"
PROD = "prod"
PRODUCTION_KEY = "production"
ENVIRONMENT_KEY = "environment"
# The words pydantic's lax bool reads as "no", as the program's loader reads `production:`; a test holds them equal.
NO = frozenset({"false", "f", "no", "n", "off", "0"})


def is_production(config: Mapping[str, object], namespace: str = NAMESPACE) -> bool:
    """Whether the stack whose config is `config` (`<namespace>:<key>` -> value, as written in the stack
    file or as the engine passes it) is production: `production` when it says so, else `environment: prod`.

    The unsafe side never wins: `prod` is production whatever `production` says (the program refuses
    `production: false` there), and a `production` value that is not a plain "no" is production (the program
    refuses a value it cannot read as a yes/no).
    """
    environment = config.get(f"{namespace}:{ENVIRONMENT_KEY}")
    if isinstance(environment, str) and environment.strip().lower() == PROD:
        return True
    production = config.get(f"{namespace}:{PRODUCTION_KEY}")
    return production is not None and str(production).strip().lower() not in NO


# ---- end of the copy ----

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


def project_from_urn(urn: str) -> str | None:
    """`atlas-platform` from `urn:pulumi:prod::atlas-platform::...`; None for anything else."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:") :].split("::", 2)
    return parts[1] or None if len(parts) > 1 else None


def engine_stack_config() -> dict[str, str]:
    """The stack's config as the engine hands it to the pack process (empty when there is none)."""
    try:
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in config.items()} if isinstance(config, dict) else {}


def _from_stack_config(config: Mapping[str, str], project: str) -> Environment | None:
    """Production as the stack's own config says it (the program's definition), or None when it says nothing."""
    said = {key: str(config.get(f"{project}:{key}") or "").strip() for key in (PRODUCTION_KEY, ENVIRONMENT_KEY)}
    if not any(said.values()):
        return None
    # The key that decided: `production` when set, unless the environment is `prod` (production whatever it says).
    key = PRODUCTION_KEY if said[PRODUCTION_KEY] and said[ENVIRONMENT_KEY].lower() != PROD else ENVIRONMENT_KEY
    return Environment(is_production(config, project), f"stack config {project}:{key}={said[key]}")


def stack_name(urn: str = "") -> str:
    """The stack being checked: from the resource's URN, else what the engine said (PULUMI_STACK), else empty."""
    return stack_from_urn(urn) or os.environ.get("PULUMI_STACK", "")


def is_prod_stack_name(stack: str) -> bool:
    # The CLI also accepts fully qualified names (org/project/stack); only the last part is the name.
    return bool(_PROD_NAME.match(stack.rsplit("/", 1)[-1].strip().lower()))


def is_prod_value(value: str) -> bool:
    return value.strip().lower() in PROD_VALUES


def resolve(
    *,
    urn: str = "",
    stack_tags: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    stack_config: Mapping[str, str] | None = None,
) -> Environment:
    """`stack_config` defaults to what the engine passed the pack (PULUMI_CONFIG)."""
    override = (config or {}).get(CONFIG_KEY)
    if isinstance(override, str) and override.strip():
        return Environment(is_prod_value(override), f"policy config environment={override!r}")
    tag = (stack_tags or {}).get(ENVIRONMENT_TAG, "")
    project = project_from_urn(urn) or os.environ.get("PULUMI_PROJECT", "")
    said = _from_stack_config(engine_stack_config() if stack_config is None else stack_config, project) if project else None
    if said is not None:
        if not said.is_prod and tag and is_prod_value(tag):
            return Environment(True, f"stack tag {ENVIRONMENT_TAG}={tag!r} (over {said.reason})")
        return said
    stack = stack_name(urn)
    if stack and is_prod_stack_name(stack):
        return Environment(True, f"stack name {stack!r}")
    if tag and is_prod_value(tag):
        return Environment(True, f"stack tag {ENVIRONMENT_TAG}={tag!r}")
    found = f"stack name {stack!r}" if stack else "no stack name"
    return Environment(False, found + (f", stack tag {ENVIRONMENT_TAG}={tag!r}" if tag else ""))
