"""Adopting the organization changes nothing by surprise: the first `pulumi up` after `pulumi import`.

`pulumi import` records as the resource's inputs what the provider's Read returns (for the organization,
internal/service/organization/resource_organization.go resourceRead; for its federation link,
internal/service/federatedsettingsorgconfig/resource_federated_settings_connected_org.go resourceRead, at
v2.16.0). The next `pulumi up` diffs the program's inputs against those: an input the program leaves
out is sent as the provider's empty or default value, unless the provider keeps it when omitted
(tools/omitted.json). So for an organization with every setting set, and a stack file that says what
Atlas has, every imported value must be sent unchanged or be one the provider keeps.
"""

from __future__ import annotations

from typing import Any

import pytest

from atlas_platform.components.organization import FEDERATION_CONFIG_TYPE, ORGANIZATION_TYPE
from tests.conftest import key, stack_config
from tests.harness.runner import Plan, run_stack
from tools.hazards import omitted_table

ORG = key("organization")
IDP = "5f0000000000000000000d01"  # the workforce IdP prod's oidc users name
OTHER_IDP = "5f0000000000000000000d99"  # one only another stack's oidc users name

# What Read puts in state for an organization with every setting set (Admin API v2: AtlasOrganization
# and OrganizationSettings), and for its connected-org config.
IMPORTED: dict[str, dict[str, Any]] = {
    ORGANIZATION_TYPE: {
        "name": "Payments Corp",
        "skipDefaultAlertsSettings": True,
        "apiAccessListRequired": True,
        "multiFactorAuthRequired": True,
        "restrictEmployeeAccess": True,
        "genAiFeaturesEnabled": False,
        "securityContact": "security@example.com",
    },
    FEDERATION_CONFIG_TYPE: {
        "federationSettingsId": "5f0000000000000000000c01",
        "orgId": "5f0000000000000000000a01",
        "identityProviderId": "0oa1b2c3d4e5f6g7h8i9",
        "domainRestrictionEnabled": True,
        "domainAllowLists": ["example.com", "payments.example.com"],
        "dataAccessIdentityProviderIds": [OTHER_IDP, IDP],
        "postAuthRoleGrants": ["ORG_MEMBER", "ORG_READ_ONLY"],
    },
}


def stack_file_saying_what_atlas_has(config: dict[str, Any]) -> None:
    config[ORG].update(name="Payments Corp", securityContact="security@example.com")
    config[ORG]["federation"] = {
        "settingsId": "5f0000000000000000000c01",
        "identityProviderId": "0oa1b2c3d4e5f6g7h8i9",
        "domainAllowList": ["payments.example.com", "example.com"],
        "dataAccessIdentityProviderIds": [IDP, OTHER_IDP],
        "postAuthRoleGrants": ["ORG_READ_ONLY", "ORG_MEMBER"],
    }


@pytest.fixture(scope="module")
def adopted() -> Plan:
    config = stack_config("prod")
    stack_file_saying_what_atlas_has(config)
    return run_stack("prod", config=config)


def clearing_values(plan: Plan) -> list[str]:
    """Each imported value the first `pulumi up` would change although the stack file says what Atlas has."""
    table = omitted_table()
    found = []
    for token, state in IMPORTED.items():
        resource = plan.one(token)
        entries = table[token]["inputs"]
        for name, value in state.items():
            sent = resource.inputs.get(name)
            if name not in resource.inputs:
                verdict = entries.get(name, {}).get("omitted", "clears")
                if verdict != "kept" and name not in resource.ignore_changes:
                    found.append(f"{token}.{name}: left out, the provider sends it as {verdict!r} (imported {value!r})")
            elif (sorted(sent) if isinstance(sent, list) else sent) != (sorted(value) if isinstance(value, list) else value):
                found.append(f"{token}.{name}: {value!r} imported, {sent!r} sent")
    return found


def test_the_first_up_after_import_sends_no_clearing_value(adopted):
    assert clearing_values(adopted) == []


def test_settings_the_stack_file_cannot_express_are_ones_the_provider_keeps(adopted):
    """skip_default_alerts_settings is Optional+Computed: left out, Update sends the state value."""
    organization = adopted.one(ORGANIZATION_TYPE)
    assert "skipDefaultAlertsSettings" not in organization.inputs
    assert omitted_table()[ORGANIZATION_TYPE]["inputs"]["skipDefaultAlertsSettings"]["omitted"] == "kept"


@pytest.mark.parametrize(
    "name", ["dataAccessIdentityProviderIds", "postAuthRoleGrants", "identityProviderId", "domainAllowLists"]
)
def test_the_check_fails_when_the_program_would_leave_a_federation_list_out(adopted, name):
    link = adopted.one(FEDERATION_CONFIG_TYPE)
    original = dict(link.inputs)
    try:
        del link.inputs[name]
        assert any(f"{FEDERATION_CONFIG_TYPE}.{name}: left out" in problem for problem in clearing_values(adopted))
    finally:
        link.inputs.clear()
        link.inputs.update(original)


def test_the_check_fails_when_an_organization_setting_is_left_out(adopted):
    organization = adopted.one(ORGANIZATION_TYPE)
    original = dict(organization.inputs)
    try:
        del organization.inputs["securityContact"], organization.inputs["genAiFeaturesEnabled"]
        problems = clearing_values(adopted)
        assert any("securityContact: left out, the provider sends it as 'clears'" in p for p in problems)
        assert any("genAiFeaturesEnabled: left out, the provider sends it as 'default'" in p for p in problems)
    finally:
        organization.inputs.clear()
        organization.inputs.update(original)
