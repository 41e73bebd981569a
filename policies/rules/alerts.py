"""Rule 13: a production Atlas project alerts someone (its stack manages alert configurations)."""

from __future__ import annotations

from pulumi_policy import Severity

from . import types as t
from .base import ADVISORY, Context, StackResource, Violation, opt_out_schema, stack_policy

OPT_OUT_SCHEMA = opt_out_schema("Why this production stack manages no alert configuration; empty means it should manage some.")


def check_alerts(resources: list[StackResource], ctx: Context) -> list[Violation]:
    # Alert configurations belong to a project: the stack that creates the project owns its alerts.
    projects = [r for r in resources if r.type == t.PROJECT]
    if not projects or any(r.type == t.ALERT_CONFIGURATION for r in resources):
        return []
    if ctx.opted_out:
        return []
    return [
        Violation(
            f"{project.name}: this production project has no mongodbatlas.AlertConfiguration, so no failure of its "
            "cluster (a node down, no primary, a full disk, failed snapshots) notifies the team that runs it. Add alert "
            "configurations routed to the on-call channels, or set optOutReason for atlas-prod-alerts in the policy "
            "config explaining who is alerted instead.",
            project.urn,
        )
        for project in projects
    ]


POLICIES = [
    stack_policy(
        "atlas-prod-alerts",
        "A production stack that creates an Atlas project manages its alert configurations, unless the policy config "
        "gives a reasoned opt-out.",
        check_alerts,
        level=ADVISORY,
        severity=Severity.MEDIUM,
        only_in="prod",
        config={"optOutReason": OPT_OUT_SCHEMA},
    ),
]
