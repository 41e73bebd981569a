"""AtlasResourcePolicies: org-level Cedar rules that Atlas itself enforces on every project.

A server-side backstop behind the CrossGuard pack: they hold even for changes made in the Atlas
UI, the CLI or another program. Org-level, so exactly one stack may manage them. The standard
rules come from the rule table the pack checks too (`atlas_platform/components/atlas_rules.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas

from . import atlas_rules
from .naming import renamed_from

TOKEN = "atlas-platform:index:AtlasResourcePolicies"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:AtlasResourcePolicies"


@dataclass(frozen=True)
class CedarPolicy:
    """One Atlas resource policy: a stable key, a readable description and its Cedar body."""

    key: str
    description: str
    body: pulumi.Input[str]


@dataclass(frozen=True)
class RuleParameters:
    """What the rule table's parameters are filled with: the managing stack's own values."""

    providers: Sequence[str]
    """Cloud providers clusters may use, as Atlas's policies name them (`aws`)."""
    regions: Sequence[str]
    """Regions clusters may have nodes in, as Atlas's policies name them (`aws:us-east-1`)."""
    min_tier: str | None = None
    """Smallest tier of a production cluster; None when the stack holds no production cluster."""
    production_project_id: pulumi.Input[str] | None = None
    """The production project the production-only rules hold in; None when the stack is not production."""


@dataclass(frozen=True)
class AtlasResourcePoliciesArgs:
    org_id: pulumi.Input[str]
    policies: Sequence[CedarPolicy]


def _body(rule: atlas_rules.Rule, params: RuleParameters) -> pulumi.Input[str]:
    values: dict[str, Any] = {"providers": params.providers, "regions": params.regions, "minTier": params.min_tier}
    values = {name: value for name, value in values.items() if name in rule.parameters}
    if "projectId" not in rule.parameters:
        return rule.render(values)
    # The project id is an output of the project; the body waits for it (no resource is made in here).
    return pulumi.Output.from_input(params.production_project_id).apply(lambda pid: rule.render({**values, "projectId": pid}))


def applies(rule: atlas_rules.Rule, params: RuleParameters) -> bool:
    """A production-only rule needs a production project and cluster to hold; the others always apply."""
    return not rule.production_only or (params.production_project_id is not None and params.min_tier is not None)


def standard_policies(params: RuleParameters, enabled: Collection[str] | None = None) -> list[CedarPolicy]:
    """The table's rules (all, or those whose ids are in `enabled`), in table order, as Atlas policies."""
    return [
        CedarPolicy(rule.id, rule.description, _body(rule, params))
        for rule in atlas_rules.RULES
        if (enabled is None or rule.id in enabled) and applies(rule, params)
    ]


class AtlasResourcePolicies(pulumi.ComponentResource):
    """One `ResourcePolicy` per rule, so a rejected change names the rule that refused it."""

    policy_ids: pulumi.Output[Mapping[str, str]]

    def __init__(self, name: str, args: AtlasResourcePoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        policies = {
            policy.key: atlas.ResourcePolicy(
                f"{name}-{policy.key}",
                org_id=args.org_id,
                name=policy.key,
                description=policy.description,
                policies=[atlas.ResourcePolicyPolicyArgs(body=policy.body)],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in args.policies
        }
        ids = {key: policy.id for key, policy in policies.items()}
        self.policy_ids = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.register_outputs({"policy_ids": self.policy_ids})
