"""Rule 9: limits and safeguards that only show when looking at the whole stack."""

from __future__ import annotations

from collections import defaultdict

from pulumi_policy import Severity

from . import types as t
from .base import Context, StackResource, Violation, opt_out_schema, stack_policy
from .values import UNKNOWN

MAX_USERS_PER_PROJECT = 100
ATLAS_TYPES = (t.PROJECT, t.ADVANCED_CLUSTER, t.LEGACY_CLUSTER)

OPT_OUT_SCHEMA = opt_out_schema("Why this production stack has no private endpoint; empty means it must have one.")


def project_key(user: StackResource) -> str:
    """The project a user belongs to: its id, else the resource its id comes from (unknown in preview)."""
    project_id = user.props.get("projectId")
    if isinstance(project_id, str) and project_id:
        return project_id
    deps = user.property_dependencies.get("projectId", ())
    return deps[0] if deps else "(unknown project)"


def check_users_per_project(resources: list[StackResource], ctx: Context) -> list[Violation]:
    by_project: dict[str, list[StackResource]] = defaultdict(list)
    for user in (r for r in resources if r.type == t.DATABASE_USER):
        by_project[project_key(user)].append(user)
    return [
        Violation(
            f"project {project} would have {len(users)} database users; Atlas allows at most "
            f"{MAX_USERS_PER_PROJECT}. Move applications to their own project, or use IAM/X.509 roles shared by services."
        )
        for project, users in sorted(by_project.items())
        if len(users) > MAX_USERS_PER_PROJECT
    ]


def _uses_atlas(resources: list[StackResource]) -> bool:
    return any(r.type in ATLAS_TYPES for r in resources)


def check_private_endpoint(resources: list[StackResource], ctx: Context) -> list[Violation]:
    if not _uses_atlas(resources):
        return []
    if ctx.opted_out:
        return []
    missing = [
        what
        for token, what in (
            (t.PRIVATE_LINK_ENDPOINT, "mongodbatlas.PrivateLinkEndpoint (the Atlas side)"),
            (t.PRIVATE_LINK_ENDPOINT_SERVICE, "mongodbatlas.PrivateLinkEndpointService (the approved connection)"),
        )
        if not any(r.type == token for r in resources)
    ]
    if not missing:
        return []
    return [
        Violation(
            f"this production stack uses Atlas but has no {' and no '.join(missing)}. Add a private endpoint "
            "(PrivateLinkEndpoint, an Interface aws.ec2.VpcEndpoint, PrivateLinkEndpointService), "
            "or set optOutReason for atlas-prod-private-endpoint in the "
            "policy config explaining why traffic may cross the internet."
        )
    ]


def check_auditing(resources: list[StackResource], ctx: Context) -> list[Violation]:
    if not _uses_atlas(resources):
        return []
    audits = [r for r in resources if r.type == t.AUDITING]
    if not audits:
        return [Violation("this production stack uses Atlas but manages no mongodbatlas.Auditing. Add one with enabled=True.")]
    # An unknown `enabled` still shows the intent to audit: only an explicit false fails.
    return [
        Violation(f"{a.name}: database auditing is off. Set enabled=True.", a.urn)
        for a in audits
        if a.props.get("enabled") is not True and a.props.get("enabled") is not UNKNOWN
    ]


POLICIES = [
    stack_policy(
        "atlas-project-user-limit",
        f"At most {MAX_USERS_PER_PROJECT} database users per Atlas project (an Atlas limit).",
        check_users_per_project,
        severity=Severity.MEDIUM,
    ),
    stack_policy(
        "atlas-prod-private-endpoint",
        "A production stack that uses Atlas reaches it through a private endpoint, unless the policy config "
        "gives a reasoned opt-out.",
        check_private_endpoint,
        only_in="prod",
        config={"optOutReason": OPT_OUT_SCHEMA},
    ),
    stack_policy(
        "atlas-prod-auditing",
        "A production stack that uses Atlas enables database auditing.",
        check_auditing,
        only_in="prod",
    ),
]
