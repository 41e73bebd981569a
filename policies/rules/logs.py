"""Rule 10: a production stack keeps its audit trail outside Atlas (a log export of its audit log)."""

from __future__ import annotations

from . import types as t
from .base import Context, StackResource, Violation, opt_out_schema, stack_policy
from .stack import ATLAS_TYPES
from .values import UNKNOWN

AUDIT_LOG_TYPES = frozenset({"MONGOD_AUDIT", "MONGOS_AUDIT"})

OPT_OUT_SCHEMA = opt_out_schema("Why this production stack exports no audit log; empty means it must export one.")


def _exports_audit_log(integration: StackResource) -> bool:
    log_types = integration.props.get("logTypes")
    # Unknown during preview still shows the intent to export; only a known list without it fails.
    if log_types is UNKNOWN:
        return True
    return isinstance(log_types, list) and any(str(v) in AUDIT_LOG_TYPES for v in log_types)


def check_audit_log_export(resources: list[StackResource], ctx: Context) -> list[Violation]:
    if not any(r.type in ATLAS_TYPES for r in resources):
        return []
    if ctx.opted_out:
        return []
    integrations = [r for r in resources if r.type == t.LOG_INTEGRATION]
    if any(_exports_audit_log(i) for i in integrations):
        return []
    what = (
        f"its log integrations ({', '.join(sorted(i.name for i in integrations))}) export no MONGOD_AUDIT"
        if integrations
        else "it has no mongodbatlas.LogIntegration"
    )
    return [
        Violation(
            f"this production stack uses Atlas but {what}: the audit log stays only in Atlas. Add a LogIntegration "
            "(e.g. type S3_LOG_EXPORT) with MONGOD_AUDIT in logTypes, or set optOutReason for "
            "atlas-prod-audit-log-export in the policy config explaining why."
        )
    ]


POLICIES = [
    stack_policy(
        "atlas-prod-audit-log-export",
        "A production stack that uses Atlas exports its audit log (a LogIntegration with MONGOD_AUDIT), unless the "
        "policy config gives a reasoned opt-out.",
        check_audit_log_export,
        only_in="prod",
        config={"optOutReason": OPT_OUT_SCHEMA},
    ),
]
