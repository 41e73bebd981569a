"""ProdProject: one environment's Atlas project, its team roles and its SSO group mappings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from, slug

TOKEN = "atlas-platform:index:ProdProject"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:ProdProject"

# Least privilege at the organization level: members see the org, their project roles do the rest.
ORG_MEMBER_ROLE = "ORG_MEMBER"


@dataclass(frozen=True)
class TeamRoles:
    """An existing Atlas team and the project roles it gets."""

    key: str
    """Stable, readable key; it names the Pulumi resource, so renaming it replaces the assignment."""
    team_id: pulumi.Input[str]
    role_names: Sequence[str]


@dataclass(frozen=True)
class IdpGroupRoles:
    """An identity-provider group and the project roles its members get."""

    external_group_name: str
    role_names: Sequence[str]


@dataclass(frozen=True)
class ProjectFeatures:
    """Atlas project feature switches (`mongodbatlas.Project` is_*_enabled flags)."""

    data_explorer: bool = False
    data_explorer_gen_ai: bool = False
    performance_advisor: bool = True
    schema_advisor: bool = True
    realtime_performance_panel: bool = True
    collect_database_statistics: bool = True
    default_alerts: bool = True
    """Atlas creates its default alerts with the project (Atlas's own default). Turn it off when an
    AlertBaseline covers the project, or every such alert notifies twice. Read at create only."""


@dataclass(frozen=True)
class ProdProjectArgs:
    org_id: pulumi.Input[str]
    """The Atlas organization id (24 hex characters)."""
    name: pulumi.Input[str]
    """The Atlas project's name."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Project tags (Atlas resource tags)."""
    features: ProjectFeatures = ProjectFeatures()
    """Project feature switches; production's safe defaults when unset."""
    teams: Sequence[TeamRoles] = ()
    """Existing Atlas teams and the project roles each gets."""
    federation_settings_id: pulumi.Input[str] | None = None
    """The organization's federation settings id; set it to map identity-provider groups."""
    idp_groups: Sequence[IdpGroupRoles] = ()
    """Identity-provider groups mapped to project roles (with ORG_MEMBER); needs `federation_settings_id`."""
    protect: bool = True
    """Refuse `pulumi destroy` and replacements of the project (on by default; prod keeps it)."""


class ProdProject(pulumi.ComponentResource):
    """The environment's Atlas project with least-privilege team and SSO-group access."""

    project_id: pulumi.Output[str]
    """The Atlas project id."""
    project_name: pulumi.Output[str]
    """The Atlas project's name."""

    def __init__(self, name: str, args: ProdProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        child = pulumi.ResourceOptions(parent=self)
        features = args.features

        project = atlas.Project(
            f"{name}-project",
            org_id=args.org_id,
            name=args.name,
            tags=dict(args.tags),
            is_data_explorer_enabled=features.data_explorer,
            is_data_explorer_gen_ai_features_enabled=features.data_explorer_gen_ai,
            is_data_explorer_gen_ai_sample_document_passing_enabled=False,
            is_performance_advisor_enabled=features.performance_advisor,
            is_schema_advisor_enabled=features.schema_advisor,
            is_realtime_performance_panel_enabled=features.realtime_performance_panel,
            is_collect_database_specifics_statistics_enabled=features.collect_database_statistics,
            with_default_alerts_settings=features.default_alerts,
            # Create-only: Atlas reads it when it creates the project, and the provider refuses any
            # later change ("with_default_alerts_settings cannot be updated", CreateOnlyBoolWithDefault
            # in internal/service/project/resource_project_schema.go, v2.16). Ignored after create,
            # a project made with Atlas's defaults still plans; docs/operations.md says how to clean it up.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["with_default_alerts_settings"]),
        )

        # TeamProjectAssignment, not Project.teams: the latter is deprecated and managing both
        # flips the assignments on every update.
        for team in args.teams:
            atlas.TeamProjectAssignment(
                f"{name}-team-{slug(team.key)}",
                project_id=project.id,
                team_id=team.team_id,
                # A set to Atlas; sorted so the stack file's order never shows as a change.
                role_names=sorted(team.role_names),
                opts=child,
            )

        if args.federation_settings_id is not None:
            for group in args.idp_groups:
                atlas.FederatedSettingsOrgRoleMapping(
                    f"{name}-idp-{slug(group.external_group_name)}",
                    federation_settings_id=args.federation_settings_id,
                    org_id=args.org_id,
                    external_group_name=group.external_group_name,
                    role_assignments=[
                        atlas.FederatedSettingsOrgRoleMappingRoleAssignmentArgs(org_id=args.org_id, roles=[ORG_MEMBER_ROLE]),
                        atlas.FederatedSettingsOrgRoleMappingRoleAssignmentArgs(
                            group_id=project.id, roles=sorted(group.role_names)
                        ),
                    ],
                    opts=child,
                )

        self.project_id = project.id
        self.project_name = project.name
        self.register_outputs({"project_id": self.project_id, "project_name": self.project_name})
