"""Encryption at rest over PrivateLink: `cluster.encryption.requirePrivateNetworking` and its endpoint.

Every plan assertion holds for any stack: what the plan must contain is read from the stack's own
validated config (`ClusterSettings.kms_private`), never from the shipped example's values.
"""

from __future__ import annotations

from typing import Any

import pytest

from atlas_platform.components.encryption import KMS_ENDPOINT_REPLACE_ON
from atlas_platform.components.facts import atlas_region_name, aws_region_name
from stackconfig import StackConfig
from tests.conftest import STACKS, key, load_stack
from tests.conftest import load_changed as load
from tests.conftest import one_refusal as refusal
from tools.bench import critical_path

ENCRYPTION = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
ENDPOINT = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
KMS_COMPONENT = "atlas-platform:index:AtlasKmsEncryption"
EXISTING_KEY = "arn:aws:kms:us-west-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"

CLUSTER_STACKS = [s for s in STACKS if load_stack(s).cluster is not None]
PROD_STACKS = [s for s in CLUSTER_STACKS if load_stack(s).is_prod]
OTHER_STACKS = [s for s in CLUSTER_STACKS if not load_stack(s).is_prod]


def key_region(cfg: StackConfig) -> str:
    """The region the program puts the key in (AWS form), as program_args resolves it."""
    assert cfg.cluster is not None
    encryption = cfg.cluster.encryption
    return encryption.existing_key_region or encryption.key_region or cfg.cluster.preferred_region.region


def encryption_section(config: dict[str, Any]) -> dict[str, Any]:
    return config[key("cluster")].setdefault("encryption", {})


def encrypt_privately(config: dict[str, Any]) -> None:
    """Customer-key encryption over PrivateLink with an existing key in another region than any cluster's default."""
    config[key("cluster")]["encryption"] = {"enabled": True, "keyArn": EXISTING_KEY, "requirePrivateNetworking": True}


# ---- the plan has what the stack file asks for ----


def endpoint_regions(cfg: StackConfig) -> list[str]:
    """Atlas-form regions that need a KMS private endpoint: every region with nodes, and the key's."""
    assert cfg.cluster is not None
    return sorted({*(atlas_region_name(r.region) for r in cfg.cluster.regions), atlas_region_name(key_region(cfg))})


def assert_plan_matches_config(plan, cfg: StackConfig) -> None:
    assert cfg.cluster is not None
    endpoints = plan.of_type(ENDPOINT)
    encrypted, private = cfg.cluster.encrypted(cfg.is_prod), cfg.cluster.kms_private(cfg.is_prod)
    if encrypted:
        assert plan.one(ENCRYPTION).inputs["awsKmsConfig"]["requirePrivateNetworking"] is private
    if not private:
        assert endpoints == []
        return
    encryption, cluster = plan.one(ENCRYPTION), plan.one(CLUSTER)
    # One per region that holds nodes, and one in the key's region, each named by its region.
    assert sorted(e.inputs["regionName"] for e in endpoints) == endpoint_regions(cfg)
    assert encryption.inputs["awsKmsConfig"]["region"] in {e.inputs["regionName"] for e in endpoints}
    component = plan.one(KMS_COMPONENT)
    for endpoint in endpoints:
        assert endpoint.inputs["cloudProvider"] == "AWS"
        assert endpoint.name == f"{component.name}-private-endpoint-{aws_region_name(endpoint.inputs['regionName'])}"
        # After EncryptionAtRest has private networking on: through its project_id, not an explicit edge.
        assert endpoint.property_dependencies["projectId"] == [encryption.urn]
        assert set(endpoint.dependencies) == {encryption.urn}
        assert endpoint.parent == component.urn
        assert set(endpoint.replace_on_changes) == set(KMS_ENDPOINT_REPLACE_ON) == {"projectId", "cloudProvider", "regionName"}
        assert endpoint.custom_timeouts["create"]
        # The cluster waits for every endpoint through its project id (data, no depends_on): Atlas puts
        # nodes only in regions with an approved endpoint.
        assert endpoint.urn in cluster.property_dependencies["projectId"]
        # The endpoint of before (always in the key's region) keeps its URN through an alias.
        old = {"name": f"{component.name}-private-endpoint"}
        in_key_region = endpoint.inputs["regionName"] == encryption.inputs["awsKmsConfig"]["region"]
        assert any(old.items() <= spec.items() for spec in endpoint.alias_specs) == in_key_region
    assert cluster.inputs["projectId"] == encryption.inputs["projectId"]
    # No explicit depends_on on the cluster: every edge it has is a data edge.
    assert set(cluster.dependencies) <= {urn for urns in cluster.property_dependencies.values() for urn in urns}
    # On the critical path: EncryptionAtRest, an endpoint, then the cluster.
    chain = [r.type for r in critical_path(plan).chain]
    assert chain[chain.index(CLUSTER) - 1] == ENDPOINT


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_each_stack_plans_a_kms_endpoint_exactly_when_its_config_asks(plans, stack):
    assert_plan_matches_config(plans(stack), load_stack(stack))


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_private_networking_turned_on_plans_the_endpoint_in_the_key_region(plan_variant, stack):
    plan = plan_variant(stack, encrypt_privately)
    cfg = load(stack, encrypt_privately)
    assert cfg.cluster is not None and cfg.cluster.kms_private(cfg.is_prod)
    assert_plan_matches_config(plan, cfg)
    assert "US_WEST_2" in {e.inputs["regionName"] for e in plan.of_type(ENDPOINT)}


@pytest.mark.parametrize("stack", OTHER_STACKS)
def test_outside_prod_encryption_alone_keeps_the_public_kms_endpoint(plan_variant, stack):
    def encrypt(config: dict[str, Any]) -> None:
        config[key("cluster")]["encryption"] = {"enabled": True, "keyArn": EXISTING_KEY}

    plan = plan_variant(stack, encrypt)
    assert plan.one(ENCRYPTION).inputs["awsKmsConfig"]["requirePrivateNetworking"] is False
    assert plan.of_type(ENDPOINT) == []


@pytest.mark.parametrize("stack", PROD_STACKS)
def test_production_defaults_to_private_kms_networking(stack):
    def unset(config: dict[str, Any]) -> None:
        encryption_section(config).pop("requirePrivateNetworking", None)

    cfg = load(stack, unset)
    assert cfg.cluster is not None and cfg.cluster.kms_private(True) == cfg.cluster.encrypted(True)


# ---- refusals: one clean error naming the file, key path, value and fix ----


@pytest.mark.parametrize("stack", PROD_STACKS)
def test_production_refuses_public_kms_networking(stack):
    message = refusal(stack, lambda c: encryption_section(c).update(requirePrivateNetworking=False))
    assert f"Pulumi.{stack}.yaml: atlas-platform:cluster.encryption.requirePrivateNetworking: production refuses" in message
    assert "remove the key" in message


@pytest.mark.parametrize("stack", OTHER_STACKS)
def test_private_networking_without_customer_key_is_refused(stack):
    def private_but_off(config: dict[str, Any]) -> None:
        config[key("cluster")]["encryption"] = {"enabled": False, "requirePrivateNetworking": True}

    message = refusal(stack, private_but_off)
    assert f"Pulumi.{stack}.yaml: atlas-platform:cluster.encryption: requirePrivateNetworking makes Atlas" in message
    assert "remove requirePrivateNetworking or drop enabled: false" in message


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_a_non_boolean_private_networking_value_is_refused(stack):
    message = refusal(stack, lambda c: encryption_section(c).update(requirePrivateNetworking="sometimes"))
    assert "cluster.encryption.requirePrivateNetworking: " in message
    assert "'sometimes'" in message


# ---- the access review says whether KMS traffic is private ----


@pytest.mark.parametrize("stack", STACKS)
def test_access_report_says_whether_kms_traffic_is_private(plans, stack):
    from tools.access_report import render_report

    cfg = load_stack(stack)
    report = render_report(plans(stack))
    line = next(line for line in report.splitlines() if line.startswith("- KMS traffic: "))
    if cfg.cluster is None or not cfg.cluster.encrypted(cfg.is_prod):
        assert line.startswith("- KMS traffic: none")
    elif cfg.cluster.kms_private(cfg.is_prod):
        assert line.startswith("- KMS traffic: private:")
        assert f"endpoint in {atlas_region_name(key_region(cfg))}" in line
    else:
        assert line.startswith("- KMS traffic: public:")


def test_access_report_flags_public_kms_traffic_in_a_variant(plan_variant):
    from tools.access_report import render_report

    if not OTHER_STACKS:
        pytest.skip("no non-production stack with a cluster: only there may KMS traffic be public")
    stack = OTHER_STACKS[0]
    plan = plan_variant(stack, lambda c: c[key("cluster")].update(encryption={"enabled": True, "keyArn": EXISTING_KEY}))
    assert "- KMS traffic: public: Atlas reaches the key in US_WEST_2 over the public AWS KMS endpoint." in render_report(plan)


# ---- the pack guards the same rule for any program (policies/rules/clusters.py) ----

PACK_RULE = "atlas-kms-private-networking"


def _encryption(private: bool | None, enabled: bool = True) -> dict[str, Any]:
    kms: dict[str, Any] = {"enabled": enabled, "customerMasterKeyId": EXISTING_KEY, "region": "US_EAST_1", "roleId": "r"}
    if private is not None:
        kms["requirePrivateNetworking"] = private
    return {"projectId": "5f00000000000000000000aa", "awsKmsConfig": kms}


@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_passes_every_stack_plan_on_private_kms_networking(policy_pack, plans, stack):
    report = policy_pack.check_plan(plans(stack))
    assert not any(f.policy.startswith(PACK_RULE) for f in report.findings), report.findings


@pytest.mark.parametrize("private", [False, None])
def test_the_pack_refuses_a_production_key_reached_over_the_public_endpoint(policy_pack, private):
    from tests.policy_support import resource, verdict

    encryption = resource("mongodbatlas:index/encryptionAtRest:EncryptionAtRest", "payments-kms", _encryption(private))
    assert PACK_RULE in verdict(policy_pack, encryption).policies("mandatory")
    staging = resource(
        "mongodbatlas:index/encryptionAtRest:EncryptionAtRest", "payments-kms", _encryption(private), stack="staging"
    )
    outside = verdict(policy_pack, staging, stack="staging")
    assert PACK_RULE not in outside.policies("mandatory")
    assert f"{PACK_RULE}-outside-prod" in outside.policies("advisory")


def test_the_pack_accepts_private_networking_and_ignores_encryption_that_is_off(policy_pack):
    from tests.policy_support import resource, verdict

    for props in (_encryption(True), _encryption(False, enabled=False)):
        encryption = resource("mongodbatlas:index/encryptionAtRest:EncryptionAtRest", "payments-kms", props)
        assert PACK_RULE not in verdict(policy_pack, encryption).policies("mandatory")


# ---- turning private networking off: two steps, the one-step edit refused before anything changes ----

GUARD = "time:index/static:Static"


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_the_guard_is_protected_exactly_while_the_endpoints_are_wanted(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    assert cfg.cluster is not None
    guards = plan.of_type(GUARD, within=KMS_COMPONENT)
    assert len(guards) == (1 if cfg.cluster.kms_private(cfg.is_prod) else 0)
    for guard in guards:
        assert guard.protect is not cfg.cluster.encryption.private_endpoints_removed
        assert guard.inputs == {}


@pytest.mark.parametrize("stack", OTHER_STACKS)
def test_step_one_removes_the_endpoints_keeps_the_flag_and_unprotects_the_guard(plan_variant, stack):
    def step_one(config: dict[str, Any]) -> None:
        encrypt_privately(config)
        encryption_section(config)["privateEndpointsRemoved"] = True

    plan = plan_variant(stack, step_one)
    assert plan.one(ENCRYPTION).inputs["awsKmsConfig"]["requirePrivateNetworking"] is True
    assert plan.of_type(ENDPOINT) == []
    assert plan.one(GUARD).protect is False


@pytest.mark.parametrize("stack", OTHER_STACKS)
def test_endpoints_removed_without_private_networking_is_refused(stack):
    def removed_alone(config: dict[str, Any]) -> None:
        config[key("cluster")]["encryption"] = {"enabled": True, "keyArn": EXISTING_KEY, "privateEndpointsRemoved": True}

    message = refusal(stack, removed_alone)
    assert f"Pulumi.{stack}.yaml: atlas-platform:cluster.encryption: privateEndpointsRemoved is step 1" in message
    assert "set requirePrivateNetworking: false (step 2)" in message


@pytest.mark.parametrize("stack", PROD_STACKS)
def test_production_refuses_removing_its_kms_endpoints(stack):
    message = refusal(stack, lambda c: encryption_section(c).update(privateEndpointsRemoved=True))
    assert "cluster.encryption.privateEndpointsRemoved: production keeps its KMS private endpoints" in message
