"""What an environment is: a name, and whether it is production.

Environments are names, not a fixed list (`qa`, `uat`, `perf`, `sandbox`, ...). Exactly one fact
decides the safe defaults and the refusals: production or not. `prod` is production; any other
name is not, unless its stack file says `production: true`. Every section's validators read that
one flag (`in_production`), never the name, so a new environment needs no code edit. That flag
comes from `is_production` (stackconfig/production.py), the one definition the CI matrix, the tools
and the policy pack's copy use too.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import TypeAdapter, ValidationError, ValidationInfo

from .base import matches
from .production import ENVIRONMENT_KEY, NAMESPACE, PRODUCTION_KEY
from .production import PROD as PROD
from .production import is_production as is_production

# A slug: it becomes part of the project name, resource names, secret paths and the KMS alias
# (`<app>-<environment>-...`, `<app>/<environment>/mongodb/...`), so it stays short and plain.
NAME_PATTERN = r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?"
EnvironmentName = Annotated[
    str,
    matches(
        NAME_PATTERN,
        "a valid environment name",
        "use 1-20 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen "
        "(e.g. prod, staging, qa, perf-eu)",
    ),
]


# Names a reader takes for production: `production`, `prod-eu`, `payments-prod`. Any of them but `prod`
# must say `production: true|false`, so no stack gets non-production defaults by its name's accident.
# The policy pack keeps its own copy for stack names (policies/rules/environment.py); a test holds them equal.
PROD_LOOKING_NAME = r"^(prod|production)(-.+)?$|^.+-(prod|production)$"


def looks_like_production(environment: object) -> bool:
    return isinstance(environment, str) and re.match(PROD_LOOKING_NAME, environment) is not None


def stack_keys(environment: object, production: object) -> dict[str, object]:
    """The two keys `is_production` reads, as a stack file's config mapping (no `production` key when None)."""
    keys = {f"{NAMESPACE}:{ENVIRONMENT_KEY}": environment}
    if production is not None:
        keys[f"{NAMESPACE}:{PRODUCTION_KEY}"] = production
    return keys


def production_before_validation(environment: object, production: object) -> bool | None:
    """What the loader tells every section before the model is built: production or not, or None when the
    stack file leaves it unclear (a bad `environment` and no valid `production`), so no prod-only rule is
    chosen on a guess."""
    if production is not None:
        try:
            flag = TypeAdapter(bool).validate_python(production)
        except ValidationError:
            return None
        # `prod` with `production: false` is refused by the model; its sections keep production's rules.
        return is_production(stack_keys(environment, flag))
    if not isinstance(environment, str) or not re.fullmatch(NAME_PATTERN, environment):
        return None
    return is_production(stack_keys(environment, None))


def in_production(info: ValidationInfo) -> bool:
    """For a section's validator: whether the stack being validated is production (the loader's context)."""
    return bool((info.context or {}).get("production"))
