"""ProjectAuditing: database auditing for every cluster of one Atlas project."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from

TOKEN = "atlas-platform:index:ProjectAuditing"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:ProjectAuditing"


@dataclass(frozen=True)
class ProjectAuditingArgs:
    project_id: pulumi.Input[str]
    audit_filter: str
    """The audit filter as one JSON document (MongoDB audit filter syntax)."""
    enabled: bool = True
    audit_authorization_success: bool = False
    """Log successful authorization checks too; Atlas warns this can severely slow a cluster."""


class ProjectAuditing(pulumi.ComponentResource):
    """Atlas database auditing with a JSON audit filter (Atlas records it as FILTER_JSON)."""

    enabled: pulumi.Output[bool]
    audit_filter: pulumi.Output[str]

    def __init__(self, name: str, args: ProjectAuditingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        auditing = atlas.Auditing(
            f"{name}-auditing",
            project_id=args.project_id,
            enabled=args.enabled,
            audit_filter=args.audit_filter,
            audit_authorization_success=args.audit_authorization_success,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.enabled = auditing.enabled
        self.audit_filter = auditing.audit_filter
        self.register_outputs({"enabled": self.enabled, "audit_filter": self.audit_filter})
