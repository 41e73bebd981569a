"""AtlasResourcePolicies: org-level Cedar rules that Atlas itself enforces on every project.

A server-side backstop behind the CrossGuard pack: they hold even for changes made in the Atlas
UI, the CLI or another program. Org-level, so exactly one stack may manage them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from

TOKEN = "atlas-platform:index:AtlasResourcePolicies"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:AtlasResourcePolicies"

# Cedar bodies in the form of Atlas's resource-policy documentation.
FORBID_OPEN_ACCESS_LIST = """forbid (
  principal,
  action == ResourcePolicy::Action::"project.ipAccessList.modify",
  resource
)
when { context.project.ipAccessList.contains(ip("0.0.0.0/0")) };"""

# Written as "forbid 1.0 and 1.1" rather than "unless 1.2", so a later, stronger minimum is not
# forbidden along with the weak ones.
FORBID_TLS_BELOW_1_2 = """forbid (
  principal,
  action == ResourcePolicy::Action::"cluster.modify",
  resource
)
when {
  context.cluster.minTLSVersion == ResourcePolicy::TLSVersion::"tls1_0" ||
  context.cluster.minTLSVersion == ResourcePolicy::TLSVersion::"tls1_1"
};"""


@dataclass(frozen=True)
class CedarPolicy:
    """One Atlas resource policy: a stable key, a readable description and its Cedar body."""

    key: str
    description: str
    body: str


@dataclass(frozen=True)
class AtlasResourcePoliciesArgs:
    org_id: pulumi.Input[str]
    policies: Sequence[CedarPolicy]


def standard_policies(forbid_open_access_list: bool = True, require_tls12: bool = True) -> list[CedarPolicy]:
    """The backstop rules this program offers, by switch."""
    policies = []
    if forbid_open_access_list:
        policies.append(
            CedarPolicy(
                "forbid-open-access-list",
                "No project may allow 0.0.0.0/0 in its IP access list.",
                FORBID_OPEN_ACCESS_LIST,
            )
        )
    if require_tls12:
        policies.append(CedarPolicy("require-tls12", "No cluster may accept TLS below 1.2.", FORBID_TLS_BELOW_1_2))
    return policies


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
