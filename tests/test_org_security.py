"""The organization's security settings: one owning production stack, adopted and never deleted,
bad input refused cleanly, and the pack holding any stack to strict settings and one owner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from atlas_platform.components.organization import FEDERATION_CONFIG_TYPE, ORGANIZATION_TYPE, child_names
from stackconfig import ConfigError
from tests.conftest import STACKS, key, load_stack, stack_config
from tests.policy_support import messages, resource, verdict

ORG = key("organization")
ORG_TOKEN = "atlas-platform:index:OrgSecurity"
FEDERATION = {
    "settingsId": "5f0000000000000000000c01",
    "identityProviderId": "0oa1b2c3d4e5f6g7h8i9",
    "domainAllowList": ["example.com"],
    # The workforce IdP prod's oidc users name, and one only another stack's users sign in through.
    "dataAccessIdentityProviderIds": ["5f0000000000000000000d99", "5f0000000000000000000d01"],
    "postAuthRoleGrants": ["ORG_MEMBER"],
}


def refused(change: Callable[[dict[str, Any]], None], stack: str = "prod") -> str:
    config = stack_config(stack)
    change(config)
    with pytest.raises(ConfigError) as error:
        load_stack(stack, config)
    return str(error.value)


def owning_stacks() -> list[str]:
    return [s for s in STACKS if load_stack(s).organization is not None]


@pytest.mark.parametrize("stack", owning_stacks())
def test_the_owning_stack_adopts_the_organization_protected_and_retained(plans, stack):
    plan = plans(stack)
    cfg = load_stack(stack)
    [org] = plan.of_type(ORGANIZATION_TYPE)
    assert org.protect and org.retain_on_delete
    # What Create needs to make a NEW organization is never sent, so an accidental create fails cleanly.
    assert not {"orgOwnerId", "roleNames", "description", "serviceAccount", "federationSettingsId"} & set(org.inputs)
    assert org.inputs["multiFactorAuthRequired"] is True
    assert org.inputs["apiAccessListRequired"] is True
    assert org.inputs["restrictEmployeeAccess"] is True
    assert org.inputs["securityContact"] == cfg.organization.security_contact
    # Explicit, or the provider's default (true) would switch generative AI on.
    assert org.inputs["genAiFeaturesEnabled"] is cfg.organization.gen_ai_features_enabled
    [component] = [r for r in plan.resources if r.type == ORG_TOKEN]
    assert org.parent == component.urn and org.name == child_names(component.name)[ORGANIZATION_TYPE]


def test_the_federation_link_is_adopted_too_and_keeps_its_identity_provider(plan_variant):
    plan = plan_variant("prod", lambda c: c[ORG].__setitem__("federation", dict(FEDERATION)))
    [link] = plan.of_type(FEDERATION_CONFIG_TYPE)
    assert link.protect and link.retain_on_delete
    assert link.inputs["identityProviderId"] == FEDERATION["identityProviderId"]
    assert link.inputs["domainRestrictionEnabled"] is True and link.inputs["domainAllowLists"] == ["example.com"]
    assert link.inputs["orgId"] == load_stack("prod").org_id
    # Sent always, as written (sorted): left out, the provider's update after the import would empty them.
    assert link.inputs["dataAccessIdentityProviderIds"] == ["5f0000000000000000000d01", "5f0000000000000000000d99"]
    assert link.inputs["postAuthRoleGrants"] == ["ORG_MEMBER"]


@pytest.mark.parametrize("field", ["dataAccessIdentityProviderIds", "postAuthRoleGrants"])
def test_federation_without_what_atlas_would_empty_is_refused(field):
    federation = {k: v for k, v in FEDERATION.items() if k != field}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert f"atlas-platform:organization.federation.{field}" in message


def test_an_oidc_users_identity_provider_left_out_of_data_access_is_refused():
    federation = {**FEDERATION, "dataAccessIdentityProviderIds": ["5f0000000000000000000d99"]}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert "dataAccessIdentityProviderIds ['5f0000000000000000000d99'] leaves out 5f0000000000000000000d01" in message
    assert "add 5f0000000000000000000d01 to dataAccessIdentityProviderIds" in message


def test_granting_org_owner_after_sign_in_is_refused():
    federation = {**FEDERATION, "postAuthRoleGrants": ["ORG_MEMBER", "ORG_OWNER"]}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert "ORG_OWNER is refused here" in message


def test_import_ids_are_the_ones_the_providers_take():
    from atlas_platform.components.organization import OrgFederationArgs, OrgSecurityArgs, import_ids

    args = OrgSecurityArgs(
        org_id="5f0000000000000000000a01",
        name="Payments Corp",
        security_contact="security@example.com",
        federation=OrgFederationArgs("5f0000000000000000000c01", "0oa1", True, ("example.com",), (), ()),
    )
    assert import_ids(args) == {
        ORGANIZATION_TYPE: "5f0000000000000000000a01",
        FEDERATION_CONFIG_TYPE: "5f0000000000000000000c01-5f0000000000000000000a01",
    }


# ---- bad input, one clean error each --------------------------------------------------------------


@pytest.mark.parametrize("setting", ["multiFactorAuthRequired", "apiAccessListRequired", "restrictEmployeeAccess"])
def test_production_refuses_a_weak_organization_setting(setting):
    message = refused(lambda c: c[ORG].__setitem__(setting, False))
    assert f"atlas-platform:organization: production refuses {setting}: false" in message
    assert f"Remove `{setting}`" in message


def test_the_organization_outside_production_is_refused():
    org = stack_config("prod")[ORG]
    message = refused(lambda c: c.__setitem__(ORG, org), stack="staging")
    assert "atlas-platform:organization: the organization holds production's project" in message
    assert "set it in the production stack file" in message


def test_a_missing_security_contact_is_refused():
    message = refused(lambda c: c[ORG].pop("securityContact"))
    assert "atlas-platform:organization.securityContact" in message


def test_a_bad_security_contact_is_refused():
    message = refused(lambda c: c[ORG].__setitem__("securityContact", "security team"))
    assert "'security team' is not an email address" in message


def test_domain_restriction_without_domains_is_refused():
    federation = {**FEDERATION, "domainAllowList": []}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert "atlas-platform:organization.federation: domainRestrictionEnabled is on but domainAllowList is empty" in message


def test_federation_without_identity_provider_is_refused():
    federation = {k: v for k, v in FEDERATION.items() if k != "identityProviderId"}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert "atlas-platform:organization.federation.identityProviderId" in message


def test_a_second_federation_is_refused():
    federation = {**FEDERATION, "settingsId": "5f0000000000000000000c99"}
    message = refused(lambda c: c[ORG].__setitem__("federation", federation))
    assert "an organization has one federation" in message


def test_a_misspelt_organization_key_gets_a_hint():
    def misspell(c: dict[str, Any]) -> None:
        c[ORG]["multiFactorAuthRequird"] = c[ORG].pop("multiFactorAuthRequired", True)

    assert "did you mean 'multiFactorAuthRequired'" in refused(misspell)


# ---- the pack -------------------------------------------------------------------------------------

STRICT = {
    "name": "Payments Corp",
    "multiFactorAuthRequired": True,
    "apiAccessListRequired": True,
    "restrictEmployeeAccess": True,
    "securityContact": "security@example.com",
}
OWNER = {"atlas-organization-owner": {"ownsOrganization": True}}


@pytest.mark.parametrize("setting", ["multiFactorAuthRequired", "apiAccessListRequired", "restrictEmployeeAccess"])
def test_pack_refuses_a_weak_organization(policy_pack, setting):
    org = resource(ORGANIZATION_TYPE, "org", {**STRICT, setting: False})
    report = verdict(policy_pack, org, config=OWNER)
    assert f"{setting} is not true" in messages(report, "atlas-organization-security")
    assert "atlas-organization-security" in report.policies("mandatory")


def test_pack_refuses_an_organization_without_security_contact(policy_pack):
    org = resource(ORGANIZATION_TYPE, "org", {k: v for k, v in STRICT.items() if k != "securityContact"})
    assert "securityContact is empty" in messages(verdict(policy_pack, org, config=OWNER), "atlas-organization-security")


def test_pack_accepts_a_strict_organization_in_its_owning_stack(policy_pack):
    report = verdict(policy_pack, resource(ORGANIZATION_TYPE, "org", STRICT), config=OWNER)
    assert not {"atlas-organization-security", "atlas-organization-owner"} & report.policies("mandatory")


def test_pack_refuses_an_organization_in_a_stack_that_does_not_own_it(policy_pack):
    report = verdict(policy_pack, resource(ORGANIZATION_TYPE, "org", STRICT, stack="staging"), stack="staging")
    assert "does not say it owns the organization" in messages(report, "atlas-organization-owner")


def test_pack_refuses_an_owning_stack_without_the_organization(policy_pack):
    project = resource("mongodbatlas:index/project:Project", "p", {"name": "payments-prod", "orgId": "5f0000000000000000000a01"})
    report = verdict(policy_pack, project, config=OWNER)
    assert "manages no mongodbatlas.Organization" in messages(report, "atlas-organization-owner")


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_has_the_owner_config_it_needs(policy_pack, plans, stack):
    """The shipped policy configs agree with the stack files: the owner says so, the others manage none."""
    report = policy_pack.check_plan(plans(stack))
    assert "atlas-organization-owner" not in report.policies("mandatory")


def test_the_import_file_adopts_exactly_what_the_owning_stack_registers(plans):
    """`make org-import`: each adopted resource's type, name, parent and id are those the plan registers."""
    from tests.conftest import fixture_file
    from tools.org_import import import_file

    document = import_file("prod", stack_file=fixture_file("prod"))
    plan = plans("prod")
    component, *adopted = document["resources"]
    registered = plan.one(component["type"])
    assert component["component"] is True and component["name"] == registered.name
    assert adopted
    for entry in adopted:
        resource = plan.one(entry["type"])
        assert (entry["name"], resource.parent) == (resource.name, registered.urn)
        assert entry["parent"] == component["name"]
    organization = next(e for e in adopted if e["type"] == "mongodbatlas:index/organization:Organization")
    assert organization["id"] == load_stack("prod").org_id
