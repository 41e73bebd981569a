"""Service accounts for automation: one per environment, ORG_MEMBER plus its project's roles, an
access list, a short-lived secret stored under the customer key; bad input refused; the pack's rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from atlas_platform.components.facts import MIN_SECRET_HOURS
from policies.rules import types as t
from stackconfig import ConfigError
from tests.conftest import STACKS, key, load_stack, stack_config
from tests.harness.mocks import mock_service_account_secret
from tests.policy_support import messages, resource, verdict

SA = key("serviceAccount")
ACCOUNT = "mongodbatlas:index/serviceAccount:ServiceAccount"
ASSIGNMENT = "mongodbatlas:index/serviceAccountProjectAssignment:ServiceAccountProjectAssignment"
ENTRY = "mongodbatlas:index/serviceAccountAccessListEntry:ServiceAccountAccessListEntry"
SECRET = "mongodbatlas:index/serviceAccountSecret:ServiceAccountSecret"
STORED = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
RULE = "atlas-service-account-least-privilege"


def refused(change: Callable[[dict[str, Any]], None], stack: str = "prod") -> str:
    config = stack_config(stack)
    change(config)
    with pytest.raises(ConfigError) as error:
        load_stack(stack, config)
    return str(error.value)


def set_sa(**fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config[SA].update(fields)


def waits_for(resource: Any, urn: str, prop: str) -> bool:
    return urn in resource.property_dependencies.get(prop, [])


def in_account(plan, token: str) -> list[Any]:
    component = next(r for r in plan.resources if r.type == "atlas-platform:index:ScopedServiceAccount")
    return [r for r in plan.of_type(token) if r.parent == component.urn]


STACKS_WITH_SA = [s for s in STACKS if load_stack(s).service_account is not None]


@pytest.mark.parametrize("stack", STACKS_WITH_SA)
def test_the_account_is_a_member_with_its_projects_roles_only(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    [account] = in_account(plan, ACCOUNT)
    assert "ORG_OWNER" not in account.inputs["roles"] and account.inputs["roles"] == sorted(cfg.service_account.org_roles)
    # Provider v2.16.0 always issues an initial secret: the shortest lifetime, never stored, create-only.
    assert "withoutInitialSecret" not in account.inputs
    assert account.inputs["secretExpiresAfterHours"] == MIN_SECRET_HOURS
    assert account.ignore_changes == ["secretExpiresAfterHours"]
    assert account.protect == cfg.is_prod
    [assignment] = in_account(plan, ASSIGNMENT)
    [project] = plan.of_type("mongodbatlas:index/project:Project")
    assert waits_for(assignment, project.urn, "projectId") and waits_for(assignment, account.urn, "clientId")
    assert assignment.inputs["roles"] == sorted(cfg.service_account.project_roles)


@pytest.mark.parametrize("stack", STACKS_WITH_SA)
def test_the_account_has_one_access_entry_per_source(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    entries = in_account(plan, ENTRY)
    [account] = in_account(plan, ACCOUNT)
    assert len(entries) == len(cfg.service_account.access_list) >= 1
    assert all(waits_for(e, account.urn, "clientId") and e.delete_before_replace for e in entries)
    sent = {e.inputs.get("cidrBlock") or e.inputs.get("ipAddress") + "/32" for e in entries}
    assert sent == {e.source for e in cfg.service_account.access_list}


@pytest.mark.parametrize("stack", STACKS_WITH_SA)
def test_the_secret_is_short_lived_and_stored_under_the_customer_key(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    [secret] = in_account(plan, SECRET)
    assert secret.inputs["secretExpiresAfterHours"] == cfg.service_account.secret_expires_after_hours
    assert secret.ignore_changes == ["secretExpiresAfterHours"]
    [stored] = in_account(plan, STORED)
    assert stored.inputs["name"] == f"{cfg.app}/{cfg.environment}/atlas/{cfg.service_account.name}"
    assert stored.inputs["kmsKeyId"].startswith("arn:aws:kms:") and stored.protect == cfg.is_prod
    assert stored.inputs["recoveryWindowInDays"] == (30 if cfg.is_prod else 0)
    [version] = in_account(plan, VERSION)
    assert "secretString" in version.secret_inputs
    document = json.loads(version.inputs["secretString"])
    assert document["clientSecret"] == mock_service_account_secret(secret.name)
    assert set(document) == {"clientId", "clientSecret", "secretId", "expiresAt"}


def test_a_rotation_with_overlap_keeps_the_previous_secret(plan_variant):
    plan = plan_variant("prod", set_sa(secretGeneration=2, keepPreviousSecret=True))
    names = sorted(s.name for s in in_account(plan, SECRET))
    assert names == ["payments-prod-sa-secret-1", "payments-prod-sa-secret-2"]
    [version] = in_account(plan, VERSION)
    assert json.loads(version.inputs["secretString"])["clientSecret"] == mock_service_account_secret("payments-prod-sa-secret-2")


def test_a_rotation_without_overlap_replaces_the_secret(plan_variant):
    plan = plan_variant("prod", set_sa(secretGeneration=3))
    assert [s.name for s in in_account(plan, SECRET)] == ["payments-prod-sa-secret-3"]


# ---- bad input, one clean error each --------------------------------------------------------------


def test_org_owner_is_refused():
    message = refused(set_sa(orgRoles=["ORG_MEMBER", "ORG_OWNER"]))
    assert (
        "atlas-platform:serviceAccount.orgRoles[1]: 'ORG_OWNER' is not an organization role a service account may hold" in message
    )
    assert "ORG_OWNER is refused for a service account" in message


def test_an_account_without_access_list_is_refused():
    assert "atlas-platform:serviceAccount.accessList" in refused(set_sa(accessList=[]))


def test_a_private_access_range_is_refused():
    message = refused(set_sa(accessList=[{"cidrBlock": "10.20.0.0/16", "comment": "ci runners"}]))
    assert "'10.20.0.0/16' is a private range (10.0.0.0/8, RFC 1918 private); Atlas sees the public address" in message


def test_an_open_access_range_is_refused():
    message = refused(set_sa(accessList=[{"cidrBlock": "0.0.0.0/0", "comment": "anywhere"}]))
    assert "allows every address on the internet" in message


@pytest.mark.parametrize(
    "hours, expected",
    [(4, "outside what Atlas takes (8-8760"), (8761, "outside what Atlas takes"), (4320, "longer than production allows")],
)
def test_a_secret_lifetime_out_of_range_is_refused(hours, expected):
    message = refused(set_sa(secretExpiresAfterHours=hours))
    assert f"atlas-platform:serviceAccount.secretExpiresAfterHours: secretExpiresAfterHours {hours}" in message
    assert expected in message


def test_staging_may_keep_a_longer_secret():
    config = stack_config("staging")
    config[SA]["secretExpiresAfterHours"] = 4320
    assert load_stack("staging", config).service_account.secret_expires_after_hours == 4320


def test_keeping_a_previous_secret_of_generation_one_is_refused():
    assert "keepPreviousSecret needs a previous generation" in refused(set_sa(keepPreviousSecret=True))


def test_production_refuses_an_immediate_delete_of_the_stored_secret():
    assert "production keeps a deleted secret restorable" in refused(set_sa(secretRecoveryWindowDays=0))


def test_group_owner_without_reason_is_refused_in_production():
    assert "GROUP_OWNER on the production project needs `ownerReason`" in refused(set_sa(projectRoles=["GROUP_OWNER"]))


def test_a_duplicate_access_source_is_refused():
    twice = [{"ipAddress": "203.0.113.99", "comment": "runner a"}, {"cidrBlock": "203.0.113.99/32", "comment": "runner b"}]
    assert "access-list source '203.0.113.99/32' appears at [0] and [1]" in refused(set_sa(accessList=twice))


def test_a_name_too_long_for_atlas_is_refused():
    message = refused(set_sa(name="r" * 60))
    assert "Atlas takes at most 64: shorten serviceAccount.name" in message


# ---- the pack -------------------------------------------------------------------------------------


def _account(roles: list[str], stack: str = "prod"):
    return resource(
        ACCOUNT, "sa", {"orgId": "5f0000000000000000000a01", "name": "x", "roles": roles, "clientId": "mdb_sa_id_1"}, stack=stack
    )


def _entry(account, cidr: str = "203.0.113.0/28"):
    return resource(
        ENTRY,
        f"sa-{cidr}",
        {"orgId": "5f0000000000000000000a01", "clientId": "mdb_sa_id_1", "cidrBlock": cidr},
        property_dependencies={"clientId": [account.urn]},
    )


def test_pack_refuses_a_service_account_without_access_list(policy_pack):
    report = verdict(policy_pack, [_account(["ORG_MEMBER"])])
    assert "the service account has no access list" in messages(report, RULE)
    assert RULE in report.policies("mandatory")


def test_pack_refuses_a_service_account_owning_the_organization(policy_pack):
    account = _account(["ORG_MEMBER", "org_owner"])
    assert "holds ORG_OWNER" in messages(verdict(policy_pack, [account, _entry(account)]), RULE)


def test_pack_refuses_a_project_service_account_without_access_list(policy_pack):
    account = resource(t.PROJECT_SERVICE_ACCOUNT, "psa", {"projectId": "5f00000000000000000000aa", "roles": ["GROUP_READ_ONLY"]})
    assert "has no access list" in messages(verdict(policy_pack, [account]), RULE)


def test_pack_accepts_a_member_with_an_access_list(policy_pack):
    account = _account(["ORG_MEMBER"])
    assert RULE not in verdict(policy_pack, [account, _entry(account)]).policies("mandatory")


def test_pack_refuses_a_public_service_account_access_entry(policy_pack):
    account = _account(["ORG_MEMBER"])
    report = verdict(policy_pack, [account, _entry(account, "0.0.0.0/0")])
    assert "opens the project to the whole internet" in messages(report, "atlas-service-account-access-list-no-public-entries")
