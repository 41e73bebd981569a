"""The serviceAccount section of the stack file: the environment's Atlas service account for automation.

One per environment, assigned to that environment's project only, reachable only from the
addresses its automation calls from, with a short-lived secret kept in AWS Secrets Manager under
the stack's customer KMS key (as the database passwords are). It is never the identity that runs
`pulumi up` for this stack: see docs/access.md ("Who creates the deployer").
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from atlas_platform.components.facts import MAX_SECRET_HOURS, MIN_SECRET_HOURS

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production
from .network import Comment, IPNetwork, PublicAddressText, PublicCidrText, _exactly_one, parse_address, parse_cidr
from .project import Label, ProjectRole, Reason, _check_roles
from .users import MIN_RECOVERY_WINDOW_DAYS, PROD_RECOVERY_WINDOW_DAYS, check_recovery_window_range, resolved_recovery_window

# Organization roles a service account may hold (Admin API v2, OrgServiceAccountRequest.roles enum).
# ORG_OWNER is in Atlas's list and refused here: an automation identity that owns the organization
# can change its own access list, the organization's settings and every project.
ORG_OWNER = "ORG_OWNER"
ORG_ROLES: tuple[str, ...] = (
    "ORG_MEMBER",
    "ORG_READ_ONLY",
    "ORG_BILLING_ADMIN",
    "ORG_BILLING_READ_ONLY",
    "ORG_STREAM_PROCESSING_ADMIN",
    "ORG_GROUP_CREATOR",
)

# Production keeps secrets short; the default is the provider's own example
# (docs/resources/service_account.md: 2160). The range Atlas takes is in facts.py.
PROD_MAX_SECRET_HOURS = 2160
DEFAULT_SECRET_HOURS = 2160


def _org_role_hint(value: str) -> str:
    if value == ORG_OWNER:
        return (
            "; ORG_OWNER is refused for a service account: it could change its own access list and every "
            "project. Keep ORG_MEMBER and give it project roles in projectRoles"
        )
    return ""


OrgRole = Annotated[str, member_of(ORG_ROLES, "an organization role a service account may hold", _org_role_hint)]
# Atlas's service-account description: 1-250 letters, digits, spaces and -_.,' (OrgServiceAccountRequest.description).
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=250),
    matches(r"[\w\-.,' ]+", "a service-account description Atlas takes", "use letters, digits, spaces and -_.,' only"),
]


class ServiceAccountAccessEntry(StackModel):
    """One address or range the service account may call the Atlas Admin API from."""

    ip_address: PublicAddressText | None = None
    """One public address (e.g. a CI runner's NAT gateway, 203.0.113.10)."""
    cidr_block: PublicCidrText | None = None
    """A public range in network-address form (e.g. 203.0.113.0/28)."""
    comment: Comment
    """What calls from there (e.g. deploy runners' NAT, eu-west-1). Atlas keeps no comment on these entries:
    it lives in the stack file and in the stack's exports."""

    @model_validator(mode="after")
    def _one_public_source(self) -> ServiceAccountAccessEntry:
        _exactly_one(self, ("ip_address", "cidr_block"), "a service-account access-list entry")
        return self

    @property
    def network(self) -> IPNetwork:
        return parse_address(self.ip_address) if self.ip_address is not None else parse_cidr(str(self.cidr_block))

    @property
    def source(self) -> str:
        """The entry's identity (its canonical range), which names its resource."""
        return str(self.network)


class ServiceAccountSettings(StackModel):
    """The environment's Atlas service account for automation, its project roles, access list and secret."""

    name: Label
    """Stable key; the Atlas name is `<app>-<env>-<name>` and the secret `<app>/<env>/atlas/<name>`."""
    description: Description
    """What the account is for, in a sentence (e.g. Release pipeline of payments: snapshots, scaling)."""
    project_roles: Annotated[list[ProjectRole], Field(min_length=1)]
    """Roles on this environment's project only, least first (e.g. GROUP_READ_ONLY, GROUP_CLUSTER_MANAGER)."""
    owner_reason: Reason | None = None
    """Required in prod when `projectRoles` holds GROUP_OWNER: why automation must own the project."""
    org_roles: Annotated[list[OrgRole], Field(min_length=1)] = ["ORG_MEMBER"]
    """Organization roles. Default ORG_MEMBER, the least Atlas has; ORG_OWNER is refused."""
    access_list: Annotated[list[ServiceAccountAccessEntry], Field(min_length=1)]
    """Where the automation calls from: the public egress addresses or ranges of its runners."""
    secret_expires_after_hours: int = DEFAULT_SECRET_HOURS
    """Lifetime of each new secret, in hours (8-8760, at most 2160 = 90 days in prod). A change applies
    from the next `secretGeneration`."""
    secret_generation: Annotated[int, Field(ge=1)] = 1
    """Bump it (1, 2, ...) to issue a new secret and store it in Secrets Manager; see docs/access.md."""
    keep_previous_secret: bool = False
    """Keep the previous generation's secret valid beside the new one, while the automation moves over
    (the overlap); remove it to revoke the old secret."""
    secret_recovery_window_days: int | None = None
    """Days Secrets Manager keeps the deleted secret restorable (7-30), or 0 to delete it at once.
    Default: 30 in prod, 0 elsewhere; prod refuses 0."""

    @field_validator("access_list")
    @classmethod
    def _unique_sources(cls, entries: list[ServiceAccountAccessEntry]) -> list[ServiceAccountAccessEntry]:
        unique([e.source for e in entries], "access-list source")
        return entries

    @field_validator("org_roles")
    @classmethod
    def _unique_org_roles(cls, roles: list[str]) -> list[str]:
        unique(roles, "organization role")
        return roles

    @field_validator("secret_expires_after_hours")
    @classmethod
    def _secret_lifetime(cls, hours: int, info: ValidationInfo) -> int:
        if not MIN_SECRET_HOURS <= hours <= MAX_SECRET_HOURS:
            raise invalid(
                "secret_lifetime",
                f"secretExpiresAfterHours {hours} is outside what Atlas takes ({MIN_SECRET_HOURS}-{MAX_SECRET_HOURS} "
                f"hours); write e.g. {DEFAULT_SECRET_HOURS} (90 days)",
            )
        if in_production(info) and hours > PROD_MAX_SECRET_HOURS:
            raise invalid(
                "secret_lifetime",
                f"secretExpiresAfterHours {hours} is longer than production allows ({PROD_MAX_SECRET_HOURS} hours, "
                f"90 days): a leaked secret should die soon; write {PROD_MAX_SECRET_HOURS} or less and rotate before it expires",
            )
        return hours

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> ServiceAccountSettings:
        _check_roles(self.project_roles, self.owner_reason, info)
        if self.keep_previous_secret and self.secret_generation < 2:
            raise invalid(
                "no_previous_secret",
                "keepPreviousSecret needs a previous generation to keep; it applies once secretGeneration is 2 or more "
                "(bump secretGeneration to rotate, or remove keepPreviousSecret)",
            )
        window = self.secret_recovery_window_days
        if window is not None:
            check_recovery_window_range(window)
            if window == 0 and in_production(info):
                raise invalid(
                    "recovery_window",
                    "production keeps a deleted secret restorable: remove secretRecoveryWindowDays: 0 "
                    f"(the default is {PROD_RECOVERY_WINDOW_DAYS}) or write {MIN_RECOVERY_WINDOW_DAYS}-{PROD_RECOVERY_WINDOW_DAYS}",
                )
        return self

    def recovery_window_days(self, is_prod: bool) -> int:
        """Days a deleted credentials secret stays restorable: 30 in prod; 0 (delete at once) elsewhere."""
        return resolved_recovery_window(self.secret_recovery_window_days, is_prod)

    def atlas_name(self, prefix: str) -> str:
        return f"{prefix}-{self.name}"
