"""The project section of the stack file: who may do what in the environment's Atlas project."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from atlas_platform.components.facts import REASON_MAX_LENGTH, REASON_MIN_LENGTH

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production

# Atlas's project-level roles (Admin API v2, TeamRole.roleNames / RoleAssignment.role enums).
PROJECT_ROLES: tuple[str, ...] = (
    "GROUP_OWNER",
    "GROUP_CLUSTER_MANAGER",
    "GROUP_DATA_ACCESS_ADMIN",
    "GROUP_DATA_ACCESS_READ_WRITE",
    "GROUP_DATA_ACCESS_READ_ONLY",
    "GROUP_READ_ONLY",
    "GROUP_BACKUP_MANAGER",
    "GROUP_OBSERVABILITY_VIEWER",
    "GROUP_DATABASE_ACCESS_ADMIN",
    "GROUP_SEARCH_INDEX_EDITOR",
    "GROUP_STREAM_PROCESSING_OWNER",
)

AtlasId = Annotated[
    str,
    matches(
        r"[0-9a-f]{24}",
        "an Atlas id",
        "write the 24-character lowercase hex id Atlas shows for it (e.g. 5f1a2b3c4d5e6f7a8b9c0d1e)",
    ),
]
ProjectRole = Annotated[str, member_of(PROJECT_ROLES, "an Atlas project role")]
Label = Annotated[
    str,
    matches(
        r"[a-z0-9][a-z0-9-]{0,62}",
        "a valid label",
        "use lowercase letters, digits and hyphens, starting with a letter or digit, at most 63 characters",
    ),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=REASON_MIN_LENGTH, max_length=REASON_MAX_LENGTH)]


def _check_roles(roles: list[str], owner_reason: str | None, info: ValidationInfo) -> None:
    seen: set[str] = set()
    for role in roles:
        if role in seen:
            raise invalid("duplicate", f"{role!r} is listed twice in roles; list each role once")
        seen.add(role)
    if in_production(info) and "GROUP_OWNER" in roles and not owner_reason:
        raise invalid(
            "owner_without_reason",
            "GROUP_OWNER on the production project needs `ownerReason` (why this must own prod); "
            "prefer GROUP_CLUSTER_MANAGER or GROUP_READ_ONLY",
        )


class TeamAccess(StackModel):
    """An existing Atlas team given roles on this environment's project."""

    name: Label
    """A readable name for the team; it names the Pulumi resource, so keep it stable."""
    team_id: AtlasId
    """The team's id (Atlas > Organization > Access Manager > Teams)."""
    roles: Annotated[list[ProjectRole], Field(min_length=1)]
    """Project roles for the team, least privilege first (e.g. GROUP_READ_ONLY)."""
    owner_reason: Reason | None = None
    """Required in prod when `roles` holds GROUP_OWNER: why this team must own the project."""

    @model_validator(mode="after")
    def _least_privilege(self, info: ValidationInfo) -> TeamAccess:
        _check_roles(self.roles, self.owner_reason, info)
        return self


class IdpGroup(StackModel):
    """An identity-provider (SSO) group mapped to project roles."""

    external_group_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    """The group name exactly as the identity provider sends it."""
    roles: Annotated[list[ProjectRole], Field(min_length=1)]
    """Project roles for members of the group."""
    owner_reason: Reason | None = None
    """Required in prod when `roles` holds GROUP_OWNER: why this group must own the project."""

    @model_validator(mode="after")
    def _least_privilege(self, info: ValidationInfo) -> IdpGroup:
        _check_roles(self.roles, self.owner_reason, info)
        return self


class Federation(StackModel):
    """Atlas federated authentication (SSO) that maps identity-provider groups to roles."""

    settings_id: AtlasId
    """Federation settings id (Atlas > Organization > Federation Management)."""
    groups: Annotated[list[IdpGroup], Field(min_length=1)]
    """Identity-provider groups and their project roles in this environment."""

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, groups: list[IdpGroup]) -> list[IdpGroup]:
        unique([g.external_group_name for g in groups], "externalGroupName")
        return groups


class ProjectSettings(StackModel):
    """Atlas project feature switches. Unset values take the environment's safe default."""

    data_explorer: bool | None = None
    """Browse and edit data from the Atlas UI. Default: off in prod (data access goes through
    database users only), on elsewhere."""
    data_explorer_gen_ai: bool = False
    """Generative-AI features in Data Explorer (sends schema information to the AI service)."""
    performance_advisor: bool = True
    """Performance Advisor and Profiler."""
    schema_advisor: bool = True
    """Schema suggestions in Performance Advisor and Data Explorer."""
    realtime_performance_panel: bool = True
    """Real-Time Performance Panel."""
    collect_database_statistics: bool = True
    """Collect database-specific statistics in cluster metrics."""
    default_alerts: bool | None = None
    """Let Atlas create its own default alerts with the project. Default: off where the alert baseline
    is on (they would duplicate it), on where it is off. Read only when the project is created."""

    def resolved_default_alerts(self, baseline_on: bool) -> bool:
        return self.default_alerts if self.default_alerts is not None else not baseline_on
