"""Rule 10: who may touch production. The organization's settings are strict and owned by one stack;
every service account is held to an access list and never owns the organization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from . import types as t
from .base import Context, StackResource, Violation, resource_policy, stack_policy
from .network import check_access_list
from .values import UNKNOWN, Unknown, items

ORG_OWNER = "ORG_OWNER"
OWNS_ORGANIZATION_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "default": False,
    "description": "Whether this stack is the one that manages the Atlas organization's settings.",
}

# Setting -> what it stops, for the messages.
STRICT_SETTINGS = {
    "multiFactorAuthRequired": "users without multi-factor authentication",
    "apiAccessListRequired": "API calls from anywhere (every service account and API key needs its access list)",
    "restrictEmployeeAccess": "MongoDB Support reaching deployments without a 24-hour grant",
}
ACCOUNTS = (t.SERVICE_ACCOUNT, t.PROJECT_SERVICE_ACCOUNT)
ACCESS_ENTRIES = (t.SERVICE_ACCOUNT_ACCESS_ENTRY, t.PROJECT_SERVICE_ACCOUNT_ACCESS_ENTRY)


def check_organization(props: Mapping[str, Any], ctx: Context) -> list[str]:
    problems = [
        f"{setting} is not true, which allows {allows}. Set {setting}=True."
        for setting, allows in STRICT_SETTINGS.items()
        # An unknown value shows intent only when it is not a literal false: unknowns are judged by the SDK's note.
        if props.get(setting) is not True and props.get(setting) is not UNKNOWN
    ]
    contact = props.get("securityContact")
    if contact is not UNKNOWN and not (isinstance(contact, str) and contact.strip()):
        problems.append("securityContact is empty, so Atlas's security notifications reach nobody. Set a team address.")
    return problems


def check_organization_owner(resources: list[StackResource], ctx: Context) -> list[Violation]:
    organizations = [r for r in resources if r.type == t.ORGANIZATION]
    owns = ctx.config.get("ownsOrganization") is True
    if owns and not organizations:
        return [
            Violation(
                "the policy config says this stack owns the Atlas organization (ownsOrganization), but it manages no "
                "mongodbatlas.Organization: add its settings (the `organization` section, adopted with `pulumi import`) "
                "or set ownsOrganization false here and true in the owning stack's policy config."
            )
        ]
    if owns and len(organizations) > 1:
        return [
            Violation(f"{r.name}: this stack manages {len(organizations)} organizations; keep one.", r.urn) for r in organizations
        ]
    if not owns:
        return [
            Violation(
                f"{r.name}: this stack manages the Atlas organization's settings, but its policy config does not say it "
                "owns the organization. Exactly one stack may: set ownsOrganization true for atlas-organization-owner in "
                "that stack's policy config, and remove the organization from every other stack.",
                r.urn,
            )
            for r in organizations
        ]
    return []


def _client_id_of(account: StackResource) -> Any:
    return account.props.get("clientId")


def _entries_for(account: StackResource, entries: list[StackResource]) -> list[StackResource]:
    """Access-list entries of `account`: their clientId comes from it, or equals its known client id."""
    client_id = _client_id_of(account)
    return [
        e
        for e in entries
        if e.depends_on(account.urn, "clientId")
        or (isinstance(client_id, str) and client_id and e.props.get("clientId") == client_id)
    ]


def check_service_accounts(resources: list[StackResource], ctx: Context) -> list[Violation]:
    entries = [r for r in resources if r.type in ACCESS_ENTRIES]
    violations = []
    for account in (r for r in resources if r.type in ACCOUNTS):
        roles = items(account.props.get("roles"))
        if isinstance(roles, Unknown) or any(isinstance(role, Unknown) for role in roles):
            violations.append(
                Violation(
                    f"{account.name}: its roles are unknown during preview, so it cannot be proven not to own the "
                    "organization. Pass the roles as literals.",
                    account.urn,
                )
            )
        elif any(str(role).strip().upper() == ORG_OWNER for role in roles):
            violations.append(
                Violation(
                    f"{account.name}: a service account holds {ORG_OWNER}, so it could change its own access list, the "
                    "organization's settings and every project. Give it ORG_MEMBER and project roles "
                    "(ServiceAccountProjectAssignment) instead.",
                    account.urn,
                )
            )
        if not _entries_for(account, entries):
            violations.append(
                Violation(
                    f"{account.name}: the service account has no access list, so its secret works from any address. Add "
                    "a ServiceAccountAccessListEntry (ProjectServiceAccountAccessListEntry for a project service account) "
                    "for each egress address of the automation that uses it.",
                    account.urn,
                )
            )
    return violations


POLICIES = [
    resource_policy(
        "atlas-organization-security",
        "The Atlas organization requires MFA and API access lists, restricts MongoDB employee access and names a "
        "security contact.",
        [t.ORGANIZATION],
        check_organization,
    ),
    stack_policy(
        "atlas-organization-owner",
        "Exactly one stack manages the Atlas organization's settings: the one whose policy config says ownsOrganization.",
        check_organization_owner,
        config={"ownsOrganization": OWNS_ORGANIZATION_SCHEMA},
    ),
    stack_policy(
        "atlas-service-account-least-privilege",
        "Every Atlas service account has an access list and no ORG_OWNER role.",
        check_service_accounts,
    ),
    resource_policy(
        "atlas-service-account-access-list-no-public-entries",
        "A service account's access list holds no public or very wide range.",
        list(ACCESS_ENTRIES),
        check_access_list,
        severity=Severity.HIGH,
    ),
]
