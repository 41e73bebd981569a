"""OrgSecurity: the existing Atlas organization's security settings, and optionally its federation link.

The organization is never created here. `mongodbatlas.Organization`'s Create makes a NEW
organization (it needs `org_owner_id` plus an ORG_OWNER API key or service account, and refuses to
run without them) and its Delete deletes the organization
(terraform-provider-mongodbatlas v2.16.0 internal/service/organization/resource_organization.go).
So the resource is adopted with `pulumi import` (docs/access.md gives the command and
`make org-import STACK=<stack>` writes the import file, tools/org_import.py), is `protect`ed so no change can delete or
replace it, and is `retain_on_delete`: removing it from the program or destroying the stack only
forgets it. `FederatedSettingsOrgConfig` is the same: its Create refuses ("this resource must be
imported") and its Delete disconnects the organization from the federation
(internal/service/federatedsettingsorgconfig/resource_federated_settings_connected_org.go).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

TOKEN = "atlas-platform:index:OrgSecurity"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None
ORGANIZATION_TYPE = "mongodbatlas:index/organization:Organization"
FEDERATION_CONFIG_TYPE = "mongodbatlas:index/federatedSettingsOrgConfig:FederatedSettingsOrgConfig"


@dataclass(frozen=True)
class OrgFederationArgs:
    """The organization's link to a federation (SSO)."""

    federation_settings_id: str
    identity_provider_id: str
    """Always sent: an update without it detaches the identity provider (the provider's Update)."""
    domain_restriction_enabled: bool
    domain_allow_list: Sequence[str] = ()
    data_access_identity_provider_ids: Sequence[str] | None = None
    """Every identity provider usable for database access in the organization. None leaves the input
    out, and the provider's Update then empties Atlas's list (Optional, not Computed): give it always
    for an adopted organization."""
    post_auth_role_grants: Sequence[str] | None = None
    """Organization roles granted after a federated sign-in; None empties Atlas's list, as above."""


@dataclass(frozen=True)
class OrgSecurityArgs:
    org_id: str
    """The organization's id: what `pulumi import` adopts (the resource itself takes no id input)."""
    name: str
    """The organization's current name: the provider renames the organization to whatever this says."""
    security_contact: str
    multi_factor_auth_required: bool = True
    api_access_list_required: bool = True
    restrict_employee_access: bool = True
    gen_ai_features_enabled: bool = False
    """Sent explicitly: left out, the provider's default (true) would switch the features on."""
    federation: OrgFederationArgs | None = None

    def __post_init__(self) -> None:
        if not self.security_contact.strip():
            raise ValueError("OrgSecurity needs a security contact: an empty one clears Atlas's (the provider sends it as is)")


def child_names(name: str) -> dict[str, str]:
    """The Pulumi names of the resources an OrgSecurity called `name` adopts (the import file uses them)."""
    return {ORGANIZATION_TYPE: f"{name}-organization", FEDERATION_CONFIG_TYPE: f"{name}-federation"}


def import_ids(args: OrgSecurityArgs) -> dict[str, str]:
    """The id `pulumi import` takes for each adopted resource (the providers' Import sections)."""
    ids = {ORGANIZATION_TYPE: args.org_id}
    if args.federation is not None:
        # `{federation_settings_id}-{org_id}` (splitImportID in the federation resource).
        ids[FEDERATION_CONFIG_TYPE] = f"{args.federation.federation_settings_id}-{args.org_id}"
    return ids


class OrgSecurity(pulumi.ComponentResource):
    """MFA, API access list, support access and the security contact of an existing organization."""

    org_id: pulumi.Output[str]
    multi_factor_auth_required: pulumi.Output[bool]
    api_access_list_required: pulumi.Output[bool]
    restrict_employee_access: pulumi.Output[bool]
    domain_restriction_enabled: pulumi.Output[bool]
    """False when the component manages no federation link."""

    def __init__(self, name: str, args: OrgSecurityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        names = child_names(name)
        # Never deleted, never replaced (nothing in the schema forces a replacement, and
        # org_owner_id, description, role_names, federation_settings_id and service_account, the
        # create-only inputs whose change fails the update, are never set here).
        adopted = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        organization = atlas.Organization(
            names[ORGANIZATION_TYPE],
            name=args.name,
            multi_factor_auth_required=args.multi_factor_auth_required,
            api_access_list_required=args.api_access_list_required,
            restrict_employee_access=args.restrict_employee_access,
            security_contact=args.security_contact,
            gen_ai_features_enabled=args.gen_ai_features_enabled,
            opts=adopted,
        )
        self.domain_restriction_enabled = pulumi.Output.from_input(False)
        if args.federation is not None:
            federation = atlas.FederatedSettingsOrgConfig(
                names[FEDERATION_CONFIG_TYPE],
                federation_settings_id=args.federation.federation_settings_id,
                org_id=args.org_id,
                identity_provider_id=args.federation.identity_provider_id,
                domain_restriction_enabled=args.federation.domain_restriction_enabled,
                # A list to the provider, a set to Atlas: sorted, so reordering is no change.
                domain_allow_lists=sorted(args.federation.domain_allow_list),
                # Sent always, as the stack file says: both are Optional and not Computed, and Update sends
                # whatever changed (resource_federated_settings_connected_org.go, v2.16.0), so an import
                # followed by an update without them would empty them (the OIDC identity providers detached
                # from database access: every OIDC database user locked out).
                data_access_identity_provider_ids=sorted(args.federation.data_access_identity_provider_ids)
                if args.federation.data_access_identity_provider_ids is not None
                else None,
                post_auth_role_grants=sorted(args.federation.post_auth_role_grants)
                if args.federation.post_auth_role_grants is not None
                else None,
                opts=adopted,
            )
            self.domain_restriction_enabled = federation.domain_restriction_enabled

        self.org_id = organization.org_id
        self.multi_factor_auth_required = organization.multi_factor_auth_required
        self.api_access_list_required = organization.api_access_list_required
        self.restrict_employee_access = organization.restrict_employee_access
        self.register_outputs(
            {
                "org_id": self.org_id,
                "multi_factor_auth_required": self.multi_factor_auth_required,
                "api_access_list_required": self.api_access_list_required,
                "restrict_employee_access": self.restrict_employee_access,
                "domain_restriction_enabled": self.domain_restriction_enabled,
            }
        )
