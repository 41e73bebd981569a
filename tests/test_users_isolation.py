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
    """Every username the stack creates in Atlas (IAM ARNs included, and both users of an alternating one)."""
    return {name for user in cfg.database_users for name in user.usernames(cfg.resource_prefix, cfg.is_prod)}


def iam_accounts(cfg: StackConfig) -> set[str]:
    return {user.iam_arn.split(":")[4] for user in cfg.database_users if user.iam_arn}


def shared_with_prod(prod: StackConfig, other: StackConfig) -> set[str]:
    return identities(prod) & identities(other)


def idp_groups(cfg: StackConfig) -> set[str]:
    """The IdP groups whose members sign in to the stack's databases, by name alone (case-folded): two
    Atlas identity providers can front one directory, so the same group name on another IdP id is no
    separation; and group names need not carry the environment (an Entra ID group claim is an object id)."""
    return {user.group.casefold() for user in cfg.database_users if user.group}


def groups_shared_with_prod(prod: StackConfig, other: StackConfig) -> set[str]:
    return idp_groups(prod) & idp_groups(other)


@pytest.mark.parametrize(("production", "stack"), PROD_AND_OTHER)
def test_no_username_or_iam_arn_is_shared_with_prod(production, stack):
    prod, other = load(production), load(stack)
    assert identities(prod) and identities(other)
    assert shared_with_prod(prod, other) == set()


@pytest.mark.parametrize(("production", "stack"), PROD_AND_OTHER)
def test_non_prod_iam_users_live_outside_the_prod_aws_account(production, stack):
    assert iam_accounts(load(production))
    assert iam_accounts(load(production)).isdisjoint(iam_accounts(load(stack)))


@pytest.mark.parametrize(("production", "stack"), PROD_AND_OTHER)
def test_no_idp_group_signs_in_to_prod_and_another_stack(production, stack):
    assert groups_shared_with_prod(load(production), load(stack)) == set()


def test_usernames_carry_the_environment():
    # IAM ARNs and OIDC identities are named by AWS and the identity provider; the checks above keep them apart.
    for stack in STACKS:
        cfg = load(stack)
        for user in cfg.database_users:
            if not user.iam_arn and user.auth != "oidc":
                assert user.username(cfg.resource_prefix) == f"{cfg.app}-{cfg.environment}-{user.name}"


def test_the_check_catches_a_staging_user_signing_in_as_a_prod_idp_group():
    config = stack_config("staging")
    prod_user = next(u for u in stack_config("prod")[key("databaseUsers")] if u.get("group"))
    staging_dba = next(u for u in config[key("databaseUsers")] if u["kind"] == prod_user["kind"])
    for field in ("passwordVersion", "certificateMonths", "secretRecoveryWindowDays"):
        staging_dba.pop(field, None)
    # Another IdP id and another spelling: still the same people.
    staging_dba.update(auth="oidc", identityProviderId="65a1b2c3d4e5f60718293a4b", group=prod_user["group"].upper())
    assert groups_shared_with_prod(load("prod"), load("staging", config)) == {prod_user["group"].casefold()}


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
