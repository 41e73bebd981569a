"""The organization section of the stack file: the Atlas organization's own security settings.

The organization is one object shared by every environment, so exactly one stack file manages it
(the production one; `tests/test_operations_isolation.py` holds the repository to that, and the
pack's `atlas-organization-owner` rule holds every stack to its policy config). The program never
creates an organization: it adopts the existing one with `pulumi import` (docs/access.md), and a
`pulumi destroy` leaves it in Atlas.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints, ValidationInfo, field_validator, model_validator

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production
from .operations import EmailAddress
from .project import AtlasId
from .service_account import ORG_OWNER, ORG_ROLES
from .users import IdpId

# Atlas's organization name: 1-64 characters (Admin API v2, AtlasOrganization.name).
OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Domain = Annotated[
    str,
    matches(
        r"(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
        "a domain name",
        "write the lowercase domain your users' email addresses end with (e.g. example.com)",
    ),
]


def _grant_hint(value: str) -> str:
    if value == ORG_OWNER:
        return "; ORG_OWNER is refused here: everyone who signs in through the identity provider would own the organization"
    return ""


# Organization roles Atlas grants after a federated sign-in (Admin API v2, ConnectedOrgConfig.postAuthRoleGrants).
PostAuthRole = Annotated[str, member_of(ORG_ROLES, "an organization role to grant after sign-in", _grant_hint)]

# The settings production cannot do without, with what each one stops.
STRICT_SETTINGS: dict[str, str] = {
    "multi_factor_auth_required": "every Atlas user must set up multi-factor authentication",
    "api_access_list_required": "API calls (service accounts, API keys) must come from their own access list",
    "restrict_employee_access": "MongoDB Support reaches no deployment without a 24-hour grant",
}


class OrgFederation(StackModel):
    """The organization's link to the federation (SSO): which identity provider signs users in, and
    which email domains may join (`FederatedSettingsOrgConfig`, imported like the organization)."""

    settings_id: AtlasId
    """Federation settings id (Atlas > Organization > Federation Management)."""
    identity_provider_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    """The identity provider that signs this organization's users in (its `oktaIdpId`, 20 characters in
    Atlas's UI). Required: the provider detaches the identity provider when it is left out of an update
    (internal/service/federatedsettingsorgconfig/resource_federated_settings_connected_org.go, Update)."""
    domain_restriction_enabled: bool = True
    """Only users whose email domain is in `domainAllowList` may join the organization."""
    domain_allow_list: list[Domain] = []
    """Email domains allowed in when `domainRestrictionEnabled` is on (e.g. example.com)."""
    # Both lists are Optional and not Computed in the provider, and its Update sends whatever changed
    # (internal/service/federatedsettingsorgconfig/resource_federated_settings_connected_org.go, v2.16.0,
    # resourceUpdate: HasChange -> Set...): after `pulumi import`, leaving one out of the program is a
    # change to empty, which Atlas applies. So neither has a default: write what Atlas shows.
    data_access_identity_provider_ids: list[IdpId]
    """Every identity provider (its 24-character IdP ID) that may be used for database access in this
    organization's projects, as Atlas shows under Federation Management > Organizations: all of them,
    including those only other stacks' OIDC users name. Required: an update without one detaches it, and
    every OIDC database user signing in through it is locked out. Write [] when no project uses OIDC for
    database access. The oidc users of this stack file must be covered."""
    post_auth_role_grants: list[PostAuthRole]
    """Organization roles Atlas grants every user who signs in through the identity provider (e.g.
    [ORG_MEMBER]), as Atlas shows them. Required, for the same reason: an update without them empties
    the list. Write [] for none. ORG_OWNER is refused."""

    @field_validator("domain_allow_list")
    @classmethod
    def _unique_domains(cls, domains: list[str]) -> list[str]:
        unique(domains, "domain")
        return domains

    @field_validator("data_access_identity_provider_ids")
    @classmethod
    def _unique_idps(cls, ids: list[str]) -> list[str]:
        unique(ids, "identity provider")
        return ids

    @field_validator("post_auth_role_grants")
    @classmethod
    def _unique_grants(cls, roles: list[str]) -> list[str]:
        unique(roles, "role")
        return roles

    @model_validator(mode="after")
    def _restriction_needs_domains(self) -> OrgFederation:
        if self.domain_restriction_enabled and not self.domain_allow_list:
            raise invalid(
                "domain_restriction_without_domains",
                "domainRestrictionEnabled is on but domainAllowList is empty, so nobody could join the organization; "
                "list your email domains (e.g. domainAllowList: [example.com]) or set domainRestrictionEnabled: false",
            )
        return self


class Organization(StackModel):
    """The Atlas organization's security settings (`mongodbatlas.Organization`), managed by one stack."""

    name: OrgName
    """The organization's name exactly as Atlas shows it: the provider renames the organization to this."""
    multi_factor_auth_required: bool = True
    """Users must set up multi-factor authentication before they reach the organization. Production refuses false."""
    api_access_list_required: bool = True
    """Every Admin API call must come from an address on the calling identity's own access list. Production
    refuses false. Before turning it on, give the deployer's own identity an access list (docs/access.md)."""
    restrict_employee_access: bool = True
    """MongoDB Support reaches no deployment without an explicit 24-hour grant. Production refuses false."""
    security_contact: EmailAddress
    """One address Atlas sends security notifications to (a team list, e.g. security@example.com)."""
    gen_ai_features_enabled: bool = False
    """Generative-AI features in the organization. Default off: the provider's own default is on
    (internal/service/organization/resource_organization.go, gen_ai_features_enabled Default true)."""
    federation: OrgFederation | None = None
    """Optional: the federation's domain restriction and identity provider for this organization."""

    @model_validator(mode="after")
    def _strict_in_production(self, info: ValidationInfo) -> Organization:
        if not in_production(info):
            return self
        weak = [field for field in STRICT_SETTINGS if getattr(self, field) is not True]
        if weak:
            aliases = [type(self).model_fields[f].alias or f for f in weak]
            raise invalid(
                "weak_org_settings",
                f"production refuses {', '.join(f'{a}: false' for a in aliases)}: "
                + "; ".join(STRICT_SETTINGS[f] for f in weak)
                + f" only when it is on. Remove {' and '.join(f'`{a}`' for a in aliases)} (the default is true)",
            )
        return self
