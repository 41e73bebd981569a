"""Every Atlas resource-policy body the program emits, run through the Cedar engine itself (cedarpy).

Requests are shaped as Atlas's resource-policy documentation shows them
(https://www.mongodb.com/docs/atlas/atlas-resource-policies/, "Atlas Resource Policy Examples", and
the provider's example `examples/mongodbatlas_resource_policy/main.tf` at v2.16.0): the action is
`ResourcePolicy::Action::"cluster.modify"` or `"project.ipAccessList.modify"`, and the context holds
the proposed state: `context.project.ipAccessList` (a set of `ip(...)`), `context.cluster.regions`,
`context.cluster.cloudProviders` and `context.cluster.minTLSVersion` (entities of
`ResourcePolicy::Region`, `::CloudProvider`, `::TLSVersion`). Atlas's policies leave `principal`
unconstrained, so any principal stands for "whoever makes the change".

Atlas allows by default and a body holds only `forbid` rules, while Cedar denies by default: each
evaluation adds one `permit (principal, action, resource);`, so a request is denied exactly when a
forbid rule matches it, as in Atlas.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import cedarpy
import pytest

from atlas_platform.components.resource_policy import RuleParameters, standard_policies
from stackconfig import ConfigError
from stackconfig.operations import STANDARD_POLICY_KEYS
from tests.conftest import STACKS, key, load_stack, stack_config

POLICY = "mongodbatlas:index/resourcePolicy:ResourcePolicy"
ATLAS_ALLOWS_BY_DEFAULT = "permit (principal, action, resource);"
PROJECT = 'ResourcePolicy::Project::"6217f7fff7957854e2d09179"'
CLUSTER = 'ResourcePolicy::Cluster::"payments-prod"'


def ip(cidr: str) -> dict[str, Any]:
    return {"__extn": {"fn": "ip", "arg": cidr}}


def entity(kind: str, name: str) -> dict[str, Any]:
    return {"__entity": {"type": f"ResourcePolicy::{kind}", "id": name}}


def access_list_change(*cidrs: str) -> dict[str, Any]:
    return {
        "principal": 'ResourcePolicy::User::"change-author"',
        "action": 'ResourcePolicy::Action::"project.ipAccessList.modify"',
        "resource": PROJECT,
        "context": {"project": {"ipAccessList": [ip(c) for c in cidrs]}},
    }


def cluster_change(tls: str = "tls1_2", regions: tuple[str, ...] = ("aws:us-east-1",)) -> dict[str, Any]:
    return {
        "principal": 'ResourcePolicy::User::"change-author"',
        "action": 'ResourcePolicy::Action::"cluster.modify"',
        "resource": CLUSTER,
        "context": {
            "cluster": {
                "cloudProviders": [entity("CloudProvider", "aws")],
                "regions": [entity("Region", r) for r in regions],
                "minTLSVersion": entity("TLSVersion", tls),
            }
        },
    }


def decide(body: str, request: dict[str, Any]) -> str:
    result = cedarpy.is_authorized(request, f"{ATLAS_ALLOWS_BY_DEFAULT}\n{body}", [])
    # An evaluation error silently skips a forbid rule in Cedar: it must never be why a request passes.
    assert not result.diagnostics.errors, result.diagnostics.errors
    return "deny" if result.decision == cedarpy.Decision.Deny else "allow"


# What each standard rule must forbid and must let through.
CASES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "forbid-open-access-list": [
        ("deny", access_list_change("0.0.0.0/0")),
        ("deny", access_list_change("10.20.0.0/16", "0.0.0.0/0")),
        # IPv6's open range too: Atlas takes IPv6 access-list entries.
        ("deny", access_list_change("::/0")),
        ("deny", access_list_change("2001:db8::/32", "::/0")),
        ("allow", access_list_change("2001:db8::/32")),
        ("allow", access_list_change("10.20.0.0/16", "203.0.113.7/32")),
        ("allow", access_list_change()),
        ("allow", cluster_change()),  # another action: the rule does not apply
    ],
    "require-tls12": [
        ("deny", cluster_change("tls1_0")),
        ("deny", cluster_change("tls1_1")),
        ("allow", cluster_change("tls1_2")),
        ("allow", cluster_change("tls1_3")),  # a stronger minimum than 1.2 stays allowed
        ("allow", access_list_change("10.20.0.0/16")),
    ],
}


# The two parameterless standard rules; tests/test_rule_table.py runs every rule of the table, and
# holds each verdict to the pack's.
FIXED_RULES = [p for p in standard_policies(RuleParameters(providers=["aws"], regions=["aws:us-east-1"])) if p.key in CASES]


def emitted_bodies(plan: Any) -> dict[str, list[str]]:
    """Each ResourcePolicy's Atlas name and its Cedar bodies, as the engine would receive them."""
    return {r.inputs["name"]: [p["body"] for p in r.inputs["policies"]] for r in plan.of_type(POLICY)}


def parsed(body: str) -> list[dict[str, Any]]:
    document = json.loads(cedarpy.policies_to_json_str(body))
    return [*document.get("staticPolicies", {}).values(), *document.get("templates", {}).values()]


def test_every_standard_rule_is_a_table_rule_the_config_knows():
    keys = {policy.key for policy in standard_policies(RuleParameters(providers=["aws"], regions=["aws:us-east-1"]))}
    assert set(CASES) <= keys <= STANDARD_POLICY_KEYS


@pytest.mark.parametrize("policy", FIXED_RULES, ids=lambda p: p.key)
def test_standard_rule_denies_and_allows_what_it_should(policy):
    assert [effect["effect"] for effect in parsed(policy.body)] == ["forbid"]
    for expected, request in CASES[policy.key]:
        assert decide(policy.body, request) == expected, (policy.key, request)


@pytest.mark.parametrize("stack", STACKS)
def test_every_emitted_body_is_one_forbid_the_engine_parses(plans, stack):
    for name, bodies in emitted_bodies(plans(stack)).items():
        for body in bodies:
            assert [p["effect"] for p in parsed(body)] == ["forbid"], (stack, name)


@pytest.mark.parametrize("stack", STACKS)
def test_emitted_standard_rules_decide_every_case(plans, stack):
    for name, bodies in emitted_bodies(plans(stack)).items():
        if name not in CASES:
            continue
        for expected, request in CASES[name]:
            assert [decide(body, request) for body in bodies].count("deny") == (1 if expected == "deny" else 0)


# --- custom rules from the stack file ---------------------------------------------------------

FORBID_AP_SOUTH = """forbid (
  principal,
  action == ResourcePolicy::Action::"cluster.modify",
  resource
)
when { context.cluster.regions.containsAny([ResourcePolicy::Region::"aws:ap-south-1"]) };"""


def with_custom(*policies: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[key("resourcePolicies")] = {**config.get(key("resourcePolicies"), {}), "enabled": True, "custom": list(policies)}

    return change


def test_custom_rule_reaches_atlas_and_decides_as_written(plan_variant):
    plan = plan_variant(
        "prod", with_custom({"name": "no-mumbai", "description": "Data stays out of India.", "body": FORBID_AP_SOUTH})
    )
    (body,) = emitted_bodies(plan)["no-mumbai"]
    assert body == FORBID_AP_SOUTH
    assert decide(body, cluster_change(regions=("aws:us-east-1", "aws:ap-south-1"))) == "deny"
    assert decide(body, cluster_change(regions=("aws:us-east-1", "aws:eu-west-1"))) == "allow"


def refusal(*policies: dict[str, str]) -> str:
    config = stack_config("prod")
    with_custom(*policies)(config)
    with pytest.raises(ConfigError) as caught:
        load_stack("prod", config)
    assert len(caught.value.problems) == 1, caught.value
    return str(caught.value)


def test_malformed_cedar_is_refused_before_anything_is_created():
    broken = FORBID_AP_SOUTH.replace("containsAny([", "containsAny(")
    message = refusal({"name": "no-mumbai", "body": broken})
    assert "Pulumi.prod.yaml" in message
    assert "atlas-platform:resourcePolicies.custom[0].body" in message
    assert "not a Cedar policy (" in message
    assert "Traceback" not in message


def test_permit_rule_is_refused_because_atlas_allows_by_default():
    message = refusal({"name": "allow-all", "body": ATLAS_ALLOWS_BY_DEFAULT})
    assert "is a `permit`" in message


def test_two_rules_in_one_body_are_refused():
    message = refusal({"name": "two", "body": FORBID_AP_SOUTH + "\n" + str(FIXED_RULES[0].body)})
    assert "has 2 Cedar policies; Atlas takes exactly one per body" in message


def test_custom_rule_may_not_reuse_a_standard_name():
    message = refusal({"name": "require-tls12", "body": FORBID_AP_SOUTH})
    assert "is a standard rule's" in message
