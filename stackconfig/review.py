"""The review section of the stack file: the scheduled live access review (`make review`) and its identity.

The review reads the live Atlas project read-only and compares it with this stack file
(tools/review.py, docs/operations.md "Live access review"). This section holds what the review
needs to know that the rest of the stack file does not say: how long an unused user or access-list
entry may stay, how many failed sign-ins make a spike, which users are idle on purpose, and the
read-only service account the scheduled review runs as, with the addresses it calls from.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StackModel, invalid
from .project import Label, ProjectRole
from .service_account import Description, ServiceAccountSettings

READ_ONLY = "GROUP_READ_ONLY"
# Database Access History (getGroupDbAccessHistoryCluster) needs, by the vendored Atlas spec's
# x-rolesRequirements, "Project Cluster Log Viewer" or "Project Database Access Admin"
# (tools/atlas_api/operations.py). Only the second is a role the provider v2.16.0 and this program
# name (GROUP_DATABASE_ACCESS_ADMIN); it can also change database users, which the review never does.
ACCESS_HISTORY_ROLE = "GROUP_DATABASE_ACCESS_ADMIN"
REVIEW_ROLES: tuple[str, ...] = (READ_ONLY, ACCESS_HISTORY_ROLE)
REVIEW_ACCOUNT_NAME = "review"
DEFAULT_STALE_DAYS = 90


class ReviewAccount(ServiceAccountSettings):
    """The read-only Atlas service account the scheduled review runs as (created by this program).

    Everything of `serviceAccount` applies (access list, secret lifetime and rotation); only the name,
    the description and the roles have review defaults, and the roles are held to what a review needs."""

    name: Label = REVIEW_ACCOUNT_NAME
    """Stable key; the Atlas name is `<app>-<env>-review` and the secret `<app>/<env>/atlas/review`."""
    description: Description = "Read-only access review of this project, run on a schedule by make review"
    """What the account is for, in a sentence."""
    project_roles: Annotated[list[ProjectRole], Field(min_length=1)] = [READ_ONLY]
    """GROUP_READ_ONLY, plus GROUP_DATABASE_ACCESS_ADMIN for Database Access History (`review.accessHistory`)."""

    @field_validator("project_roles")
    @classmethod
    def _read_only(cls, roles: list[str]) -> list[str]:
        extra = [r for r in roles if r not in REVIEW_ROLES]
        if extra or READ_ONLY not in roles:
            raise invalid(
                "review_roles",
                f"projectRoles {roles} is not what a read-only review holds: write [{READ_ONLY}] and add "
                f"{ACCESS_HISTORY_ROLE} only to read Database Access History (review.accessHistory)",
            )
        return roles

    @field_validator("org_roles")
    @classmethod
    def _member_only(cls, roles: list[str]) -> list[str]:
        if roles != ["ORG_MEMBER"]:
            raise invalid("review_org_roles", f"orgRoles {roles}: the review's account holds ORG_MEMBER only; remove orgRoles")
        return roles


class FailedAuthentications(StackModel):
    """When failed sign-ins count as a spike: more than `threshold` within `withinHours`, per user or per source."""

    threshold: Annotated[int, Field(ge=1, le=100000)] = 20
    """Failed authentications a single user or a single address may have within the period before it is a finding."""
    within_hours: Annotated[int, Field(ge=1, le=168)] = 24
    """The sliding period the threshold counts over, in hours (at most 168: Atlas keeps 7 days of history)."""


class ReviewSettings(StackModel):
    """The scheduled live access review of this stack's Atlas project (`make review`, docs/operations.md)."""

    service_account: ReviewAccount
    """The read-only identity the review runs as, and the addresses it calls from (its API access list)."""
    access_history: bool = True
    """Read Database Access History for stale users, unused access-list entries, unknown sources and
    failed-sign-in spikes. Needs GROUP_DATABASE_ACCESS_ADMIN in serviceAccount.projectRoles; false skips those checks."""
    stale_after_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_STALE_DAYS
    """A user without a successful sign-in, or an access-list entry without a connection, for this long is stale.
    Atlas keeps less history than this (7 days): the report says which period it could see."""
    failed_authentications: FailedAuthentications = FailedAuthentications()
    """The failed-sign-in spike threshold."""
    idle_allowed: list[Label] = []
    """Names of databaseUsers that are idle on purpose (a break-glass user): never reported stale."""

    @model_validator(mode="after")
    def _history_role(self) -> ReviewSettings:
        if self.access_history and ACCESS_HISTORY_ROLE not in self.service_account.project_roles:
            raise invalid(
                "access_history_role",
                "accessHistory is on but serviceAccount.projectRoles lacks "
                f"{ACCESS_HISTORY_ROLE}, which Atlas requires to read Database Access History: add it, or set "
                "`accessHistory: false` (the review then skips stale users, unused entries, unknown sources and spikes)",
            )
        if not self.access_history and ACCESS_HISTORY_ROLE in self.service_account.project_roles:
            raise invalid(
                "access_history_role",
                f"accessHistory is false, so the review needs no {ACCESS_HISTORY_ROLE}: remove it from serviceAccount.projectRoles",
            )
        return self

    def check_against(self, info: ValidationInfo) -> None:
        """Cross-section checks: idle users are declared users; the account's name is free."""
        users = info.data.get("database_users")
        if users is not None:
            names = {u.name for u in users}
            unknown = [n for n in self.idle_allowed if n not in names]
            if unknown:
                raise invalid(
                    "unknown_user",
                    f"review.idleAllowed names {unknown}, which databaseUsers does not declare; use names from databaseUsers",
                )
        automation = info.data.get("service_account")
        if automation is not None and automation.name == self.service_account.name:
            raise invalid(
                "duplicate_account",
                f"serviceAccount and review.serviceAccount are both named {automation.name!r}; give the review's another name",
            )
