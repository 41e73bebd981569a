"""The CrossGuard pack: `pulumi preview --policy-pack policies`. Only assembles; rules live in rules/."""

from pulumi_policy import EnforcementLevel, PolicyPack
from rules import POLICIES

PolicyPack(
    name="atlas-platform-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
