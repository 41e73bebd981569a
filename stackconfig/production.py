"""The one definition of production, over a stack file's config mapping.

The program (`StackConfig.is_prod`), the CI matrix (`.github/scripts/stacks.py`), the tools and the tests
all ask `is_production`; the policy pack, published alone, keeps a copy of it in
`policies/rules/environment.py` that `tests/test_environments.py` holds identical to this one.

Standard library only, on purpose: the CI job that builds its matrix loads this file by path, without
the `stackconfig` package (whose `__init__` needs pydantic).
"""

from __future__ import annotations

from collections.abc import Mapping

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
