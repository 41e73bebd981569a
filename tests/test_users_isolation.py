"""Production database identities are never reused by another environment's stack file."""

from __future__ import annotations

from typing import Any

import pytest

from stackconfig import StackConfig
from tests.conftest import STACKS, key, load_stack, stack_config

# Production by what each stack file says (`environment: prod` or `production: true`), not by its name.
PRODUCTION = [s for s in STACKS if load_stack(s).is_prod]
PROD_AND_OTHER = [(p, s) for p in PRODUCTION for s in STACKS if s not in PRODUCTION]


def load(stack: str, config: dict[str, Any] | None = None) -> StackConfig:
    return load_stack(stack, config)


def identities(cfg: StackConfig) -> set[str]:
    """Every username the stack creates in Atlas (IAM ARNs included)."""
    return {user.username(cfg.resource_prefix) for user in cfg.database_users}


def iam_accounts(cfg: StackConfig) -> set[str]:
    return {user.iam_arn.split(":")[4] for user in cfg.database_users if user.iam_arn}


def shared_with_prod(prod: StackConfig, other: StackConfig) -> set[str]:
    return identities(prod) & identities(other)


@pytest.mark.parametrize(("production", "stack"), PROD_AND_OTHER)
def test_no_username_or_iam_arn_is_shared_with_prod(production, stack):
    prod, other = load(production), load(stack)
    assert identities(prod) and identities(other)
    assert shared_with_prod(prod, other) == set()


@pytest.mark.parametrize(("production", "stack"), PROD_AND_OTHER)
def test_non_prod_iam_users_live_outside_the_prod_aws_account(production, stack):
    assert iam_accounts(load(production))
    assert iam_accounts(load(production)).isdisjoint(iam_accounts(load(stack)))


def test_usernames_carry_the_environment():
    for stack in STACKS:
        cfg = load(stack)
        for user in cfg.database_users:
            if not user.iam_arn:
                assert user.username(cfg.resource_prefix) == f"{cfg.app}-{cfg.environment}-{user.name}"


def test_the_check_catches_a_staging_user_reusing_a_prod_iam_arn():
    config = stack_config("staging")
    prod_arn = next(u["iamArn"] for u in stack_config("prod")[key("databaseUsers")] if u.get("iamArn"))
    config[key("databaseUsers")][1]["iamArn"] = prod_arn
    assert shared_with_prod(load("prod"), load("staging", config)) == {prod_arn}


def test_the_check_catches_a_staging_stack_that_claims_prod_usernames():
    # The environment is part of every username, so reusing prod's names takes claiming to be prod:
    # here a staging stack file that is a copy of prod's.
    config = stack_config("prod")
    assert "payments-prod-api" in shared_with_prod(load("prod"), load("staging", config))
