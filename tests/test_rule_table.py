"""One rule table, enforced on both sides: every rule's cases get the same verdict from Atlas and from the pack.

The table is `policies/rules/atlas_rules.json`. Each case below is one proposed change, written
once, and sent two ways: as the request Atlas's Cedar engine decides (cedarpy; shapes as in
`tests/test_cedar.py`, from https://www.mongodb.com/docs/atlas/atlas-resource-policies/) and as
the resource the Pulumi engine would send the pack (its real gRPC Analyzer interface). Both must
forbid, or both allow. How Atlas fills `context.cluster` from a proposed cluster (its providers,
regions, `minGeneralClassInstanceSizeValue`) is read from those docs, not observed: only a real
Atlas org shows it (docs/operations.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cedarpy
import pytest

from atlas_platform.components import facts
from atlas_platform.components.atlas_rules import RULES, TABLE_FILE, Rule, region_name
from policies.rules import atlas_rules as pack_rules
from policies.rules import types as t
from stackconfig import ConfigError
from tests.conftest import FIXTURE_POLICY_CONFIG, STACKS, load_stack, stack_config
from tests.harness.policy import Report
from tests.policy_support import GOOD_CLUSTER, PROJECT_ID, resource, verdict

POLICY = "mongodbatlas:index/resourcePolicy:ResourcePolicy"
PROJECT = "mongodbatlas:index/project:Project"
ATLAS_ALLOWS_BY_DEFAULT = "permit (principal, action, resource);"
PROD_PROJECT = "6217f7fff7957854e2d09179"
OTHER_PROJECT = "65dcbf5ccd12a54df59a54e6"

# The parameters both engines get: the Cedar bodies are rendered with them, the pack is configured with them.
PARAMETERS: dict[str, Any] = {
    "providers": ["aws"],
    "regions": ["aws:us-east-1", "aws:us-west-2"],
    "minTier": "M30",
    "projectId": PROD_PROJECT,
}


@dataclass(frozen=True)
class Change:
    """One proposed change to a project's access list or to a cluster, said once for both engines."""

    cidr: str | None = None
    """An access-list change adding this CIDR; None: a cluster change."""
    production: bool = False
    provider: str = "AWS"
    regions: tuple[str, ...] = ("us-east-1",)
    tier: str = "M30"
    tls: str = "TLS1_2"

    def request(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Atlas's side: the request and the entities (the cluster is in its project)."""
        project = PROD_PROJECT if self.production else OTHER_PROJECT
        principal = 'ResourcePolicy::User::"change-author"'
        if self.cidr is not None:
            return {
                "principal": principal,
                "action": 'ResourcePolicy::Action::"project.ipAccessList.modify"',
                "resource": f'ResourcePolicy::Project::"{project}"',
                "context": {"project": {"ipAccessList": [{"__extn": {"fn": "ip", "arg": self.cidr}}]}},
            }, []
        provider = self.provider.lower()
        cluster = {
            "cloudProviders": [entity("CloudProvider", provider)],
            "regions": [entity("Region", region_name(provider, r)) for r in self.regions],
            "minTLSVersion": entity("TLSVersion", self.tls.lower()),
            "minGeneralClassInstanceSizeValue": int(self.tier.removeprefix("M")),
        }
        entities = [
            {"uid": {"type": "ResourcePolicy::Cluster", "id": "payments"}, "attrs": {}, "parents": [project_uid(project)]},
            {"uid": project_uid(project), "attrs": {}, "parents": []},
        ]
        return {
            "principal": principal,
            "action": 'ResourcePolicy::Action::"cluster.modify"',
            "resource": 'ResourcePolicy::Cluster::"payments"',
            "context": {"cluster": cluster},
        }, entities

    @property
    def stack(self) -> str:
        return "prod" if self.production else "staging"

    def resource(self) -> Any:
        """The pack's side: the resource as the engine would send it, in a prod or staging stack."""
        stack = self.stack
        if self.cidr is not None:
            return resource(t.ACCESS_LIST, "entry", {"projectId": PROJECT_ID, "cidrBlock": self.cidr}, stack=stack)
        props = json.loads(json.dumps(GOOD_CLUSTER))
        props["advancedConfiguration"]["minimumEnabledTlsProtocol"] = self.tls
        props["replicationSpecs"][0]["regionConfigs"] = [
            {
                "providerName": self.provider,
                "regionName": facts.atlas_region_name(region),
                "priority": 7.0 - index,
                "electableSpecs": {"instanceSize": self.tier, "nodeCount": 3.0},
            }
            for index, region in enumerate(self.regions)
        ]
        return resource(t.ADVANCED_CLUSTER, "payments", props, stack=stack)


def entity(kind: str, name: str) -> dict[str, Any]:
    return {"__entity": {"type": f"ResourcePolicy::{kind}", "id": name}}


def project_uid(project: str) -> dict[str, str]:
    return {"type": "ResourcePolicy::Project", "id": project}


# Each rule's cases: (verdict, change). At least one allowed and one forbidden each.
CASES: dict[str, list[tuple[str, Change]]] = {
    "forbid-open-access-list": [
        ("allow", Change(cidr="10.20.0.0/16")),
        ("allow", Change(cidr="203.0.113.7/32")),
        ("deny", Change(cidr="0.0.0.0/0")),
        ("deny", Change(cidr="0.0.0.0/0", production=True)),
        ("deny", Change(cidr="::/0")),
        ("allow", Change(cidr="2001:db8::/32")),
    ],
    "require-tls12": [
        ("allow", Change(tls="TLS1_2")),
        ("allow", Change(tls="TLS1_3")),
        ("deny", Change(tls="TLS1_1")),
        ("deny", Change(tls="TLS1_0", production=True)),
    ],
    "allowed-cloud-providers": [
        ("allow", Change(provider="AWS")),
        ("deny", Change(provider="AZURE")),
        ("deny", Change(provider="GCP", production=True)),
    ],
    "allowed-regions": [
        ("allow", Change(regions=("us-east-1",))),
        ("allow", Change(regions=("us-east-1", "us-west-2"), production=True)),
        ("deny", Change(regions=("us-east-1", "eu-west-1"))),
        ("deny", Change(regions=("ap-south-1",), production=True)),
    ],
    "production-min-tier": [
        ("allow", Change(production=True, tier="M30")),
        ("allow", Change(production=True, tier="M60")),
        ("allow", Change(production=False, tier="M10")),  # the rule holds in the production project only
        ("deny", Change(production=True, tier="M20")),
        ("deny", Change(production=True, tier="M10")),
    ],
}


def values_for(rule: Rule) -> dict[str, Any]:
    return {name: PARAMETERS[name] for name in rule.parameters}


def pack_config(rule: Rule) -> dict[str, Any]:
    """The pack's policy config for `rule`: the same parameters, under the names the table gives."""
    config: dict[str, Any] = {}
    for name, spec in rule.parameters.items():
        if "packConfig" in spec:
            for policy in rule.pack:
                config.setdefault(policy, {})[spec["packConfig"]] = PARAMETERS[name]
    return config


def cedar_verdict(body: str, change: Change) -> str:
    request, entities = change.request()
    result = cedarpy.is_authorized(request, f"{ATLAS_ALLOWS_BY_DEFAULT}\n{body}", entities)
    # An evaluation error skips a forbid rule in Cedar: it must never be why a request passes.
    assert not result.diagnostics.errors, result.diagnostics.errors
    return "deny" if result.decision == cedarpy.Decision.Deny else "allow"


def pack_verdict(report: Report, rule: Rule) -> str:
    return "deny" if any(f.policy in rule.pack for f in report.mandatory) else "allow"


def test_every_rule_of_the_table_has_an_allowed_and_a_forbidden_case():
    assert set(CASES) == {rule.id for rule in RULES}
    for rule_id, cases in CASES.items():
        assert {"allow", "deny"} <= {expected for expected, _ in cases}, rule_id


def test_the_table_has_at_least_four_rules_and_each_names_pack_policies_that_exist(policy_pack):
    assert len(RULES) >= 4
    for rule in RULES:
        assert rule.pack and set(rule.pack) <= set(policy_pack.policy_names()), rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_cedar_and_crossguard_agree_on_every_case(policy_pack, rule):
    body = rule.render(values_for(rule))
    config = pack_config(rule)
    for expected, change in CASES[rule.id]:
        atlas = cedar_verdict(body, change)
        pack = pack_verdict(verdict(policy_pack, change.resource(), stack=change.stack, config=config), rule)
        assert (atlas, pack) == (expected, expected), (rule.id, change)


def test_the_pack_reads_its_parameter_defaults_from_the_table():
    for rule in RULES:
        for name, spec in rule.parameters.items():
            if "packConfig" in spec:
                assert pack_rules.default(rule.id, name) == spec["default"]


def test_the_package_ships_the_packs_table_unchanged():
    # The pack's file is the authoritative one; the package's copy is what an installed program reads.
    assert TABLE_FILE.read_bytes() == pack_rules.TABLE_FILE.read_bytes(), (
        "atlas_platform/components/atlas_rules.json differs from policies/rules/atlas_rules.json: "
        "edit the pack's file, then copy it over the package's (cp policies/rules/atlas_rules.json atlas_platform/components/)"
    )


# --- what the program emits ---------------------------------------------------------------------


def managing_stacks() -> list[str]:
    return [s for s in STACKS if load_stack(s).resource_policies.enabled]


def expected_parameters(stack: str, project_id: str) -> dict[str, Any]:
    """The parameters, worked out here from the stack file, the way docs/operations.md states them."""
    cfg = load_stack(stack)
    assert cfg.cluster is not None
    regions = cfg.resource_policies.allowed_regions or [r.region for r in cfg.cluster.regions]
    compute = cfg.cluster.auto_scaling.compute
    return {
        "providers": ["aws"],
        "regions": sorted(f"aws:{r}" for r in regions),
        "minTier": compute.min_tier if compute.enabled and compute.min_tier else cfg.cluster.tier,
        "projectId": project_id,
    }


@pytest.mark.parametrize("stack", managing_stacks())
def test_the_program_emits_exactly_the_table_rules_rendered_with_the_stack_parameters(plans, stack):
    plan = plans(stack)
    cfg = load_stack(stack)
    custom = {p.name for p in cfg.resource_policies.custom}
    emitted = {r.inputs["name"]: [p["body"] for p in r.inputs["policies"]] for r in plan.of_type(POLICY)}
    params = expected_parameters(stack, plan.one(PROJECT).id)
    expected = {
        rule.id: [rule.render({name: params[name] for name in rule.parameters})]
        for rule in RULES
        if rule.id in cfg.resource_policies.enabled_rules() and (cfg.is_prod or not rule.production_only)
    }
    assert {name: bodies for name, bodies in emitted.items() if name not in custom} == expected
    descriptions = {r.inputs["name"]: r.inputs.get("description") for r in plan.of_type(POLICY)}
    assert all(descriptions[rule.id] == rule.description for rule in RULES if rule.id in expected)


@pytest.mark.parametrize("stack", managing_stacks())
def test_every_policy_config_checks_the_regions_and_tier_atlas_is_given(plans, stack):
    """The fixtures' policy configs check the parameters the managing stack gives Atlas, for every stack:
    Atlas applies the org's rules to every project. A stack's region list may be narrower than the
    org's (the pack is then stricter than Atlas), never wider: the preview would pass what Atlas refuses."""
    params = expected_parameters(stack, plans(stack).one(PROJECT).id)
    for config_file in sorted(FIXTURE_POLICY_CONFIG.glob("*.json")):
        config = json.loads(config_file.read_text())
        assert set(config["atlas-cluster-allowed-regions"]["allowedRegions"]) <= set(params["regions"]), config_file.name
    prod_config = json.loads((FIXTURE_POLICY_CONFIG / f"{stack}.json").read_text())
    assert prod_config["atlas-prod-cluster-min-tier"]["minTier"] == params["minTier"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_cluster_is_inside_the_org_allowed_regions(plans, stack):
    """Atlas would refuse a cluster of any stack outside the managing stack's allowed regions."""
    (managing,) = managing_stacks()
    allowed = set(expected_parameters(managing, "0" * 24)["regions"])
    cluster = load_stack(stack).cluster
    if cluster is not None:
        assert {f"aws:{r.region}" for r in cluster.regions} <= allowed, stack


def test_allowed_regions_must_hold_the_stack_own_cluster():
    config = stack_config("prod")
    config["atlas-platform:resourcePolicies"]["allowedRegions"] = ["us-east-1"]
    with pytest.raises(ConfigError) as caught:
        load_stack("prod", config)
    assert "leaves out us-east-2, us-west-2" in str(caught.value)
    assert "atlas-platform:resourcePolicies" in str(caught.value)
