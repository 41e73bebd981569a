"""The whole stack file as one validated object.

`__main__.py` builds exactly one `StackConfig` (through `stackconfig.load_stack_config`) and
hands typed pieces of it to the components. Later sections (cluster, network, users,
operations) are fields here, each modelled in its own module.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import field_validator

from .base import StackModel, invalid, pattern_str, unique
from .operations import Alerts, Auditing, IntegrationList, NotificationList, ResourcePolicies
from .project import AtlasId, Federation, ProjectSettings, TeamAccess

Environment = Literal["prod", "staging", "dev"]

AppName = pattern_str(
    r"[a-z][a-z0-9-]{1,29}",
    "a valid application name",
    "use 2-30 lowercase letters, digits and hyphens, starting with a letter (e.g. payments)",
)
ProjectName = pattern_str(
    r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}",
    "a valid Atlas project name",
    "use at most 64 letters, digits, hyphens and underscores (e.g. payments-prod)",
)
TagKey = pattern_str(
    r"[A-Za-z0-9 ;@_.+-]{1,255}",
    "a valid Atlas tag key",
    "use 1-255 letters, digits, spaces or ;@_-.+",
)
TagValue = pattern_str(
    r"[A-Za-z0-9 ;@_.+/:-]{1,255}",
    "a valid Atlas tag value",
    "use 1-255 letters, digits, spaces or ;@_-.+/:",
)

# Tags this program always sets; a stack may not override them.
RESERVED_TAGS = ("environment", "application", "managed-by")


class StackConfig(StackModel):
    """Everything one stack file says about one environment."""

    environment: Environment
    """Which environment this stack is: prod, staging or dev. Production turns on every safety default."""
    org_id: AtlasId
    """The Atlas organization that owns the project (Atlas > Organization Settings)."""
    app: AppName
    """Short application name; it prefixes every resource name (`<app>-<env>-...`)."""
    project_name: Optional[ProjectName] = None
    """Atlas project name. Default: `<app>-<environment>`."""
    project_tags: dict[TagKey, TagValue] = {}
    """Extra tags on the Atlas project (cost centre, owner). environment, application and managed-by are set for you."""
    project_settings: ProjectSettings = ProjectSettings()
    """Project feature switches."""
    teams: list[TeamAccess] = []
    """Existing Atlas teams and their roles on this project."""
    federation: Optional[Federation] = None
    """Identity-provider groups mapped to project roles through Atlas federated authentication."""
    alerts: Alerts = Alerts()
    """Atlas alert configurations: the production baseline (on by default in prod), tuning and extras."""
    notifications: NotificationList = []
    """Alert notification channels (EMAIL, SLACK, PAGER_DUTY, DATADOG, WEBHOOK); keys only as `secure:` values."""
    integrations: IntegrationList = []
    """Project third-party integrations for the observability tools this stack uses; keys only as `secure:` values."""
    auditing: Auditing = Auditing()
    """Database auditing and its audit filter (on by default in prod)."""
    resource_policies: ResourcePolicies = ResourcePolicies()
    """Org-level Atlas resource policies (Cedar rules Atlas enforces); opt-in, in exactly one stack."""

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def resolved_project_name(self) -> str:
        return self.project_name or f"{self.app}-{self.environment}"

    @property
    def resource_prefix(self) -> str:
        """Prefix of every Pulumi resource name in the stack: `<app>-<env>`."""
        return f"{self.app}-{self.environment}"

    @field_validator("project_tags")
    @classmethod
    def _no_reserved_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key in tags:
            if key.lower() in RESERVED_TAGS:
                raise invalid(
                    "reserved_tag", f"tag {key!r} is set by this program from `environment` and `app`; remove it from projectTags"
                )
        return tags

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, teams: list[TeamAccess]) -> list[TeamAccess]:
        unique([t.name for t in teams], "team name")
        unique([t.team_id for t in teams], "teamId")
        return teams

