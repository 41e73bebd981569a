"""`make bench`: the stack at Atlas's limits, the critical path and the linear-cost check (no timing here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

import tools.bench as bench
from tests.conftest import FIXTURES, key, load_stack, stack_config
from tests.harness.runner import Plan, run_stack
from tools.bench import (
    CLUSTER_TYPE,
    CREATE_SECONDS,
    DEFAULT_SECONDS,
    critical_path,
    critical_path_problems,
    interleaved,
    limit_stack_config,
    limit_verdict,
    linear_cost_problem,
)

KMS_CHAIN = [
    "mongodbatlas:index/project:Project",
    "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup",
    "aws:iam/role:Role",
    "aws:kms/key:Key",
    "aws:iam/rolePolicy:RolePolicy",
    # Atlas assumes the role only after IAM propagation (the official modules' 30 s).
    "time:index/sleep:Sleep",
    "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization",
    "mongodbatlas:index/encryptionAtRest:EncryptionAtRest",
    # The cluster waits for the KMS private endpoint of each of its regions (prod requires private networking).
    "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint",
]


@pytest.fixture(scope="module")
def limit_plan() -> Plan:
    return run_stack("prod", config=limit_stack_config(stack_config("prod")))


def test_limit_stack_loads_with_atlas_limits() -> None:
    cfg = load_stack("prod", limit_stack_config(stack_config("prod")))
    assert sum(len(u.usernames(cfg.resource_prefix, cfg.is_prod)) for u in cfg.database_users) == 100
    assert set(cfg.production_defaults.password_rotation.values()) == {"alternating", "single"}
    assert {u.kind for u in cfg.database_users} == {"app", "analytics", "dba"}
    assert {u.auth for u in cfg.database_users} == {"password", "awsIam", "x509"}
    assert len(cfg.network.access_list) == 200
    assert len({e.source for e in cfg.network.access_list}) == 200
    assert all(e.comment for e in cfg.network.access_list)
    assert cfg.cluster is not None
    endpoint_regions = {r.region for r in cfg.network.private_endpoints}
    assert len(cfg.network.private_endpoints) == 3
    assert endpoint_regions == {r.region for r in cfg.cluster.regions}
    assert sum(r.electable_nodes for r in cfg.cluster.regions) % 2 == 1
    assert cfg.production_defaults.alerts


def test_limit_stack_plans_the_full_alert_baseline(limit_plan: Plan) -> None:
    from stackconfig.operations import BASELINE

    alerts = {r.name for r in limit_plan.of_type("mongodbatlas:index/alertConfiguration:AlertConfiguration")}
    assert {f"payments-prod-alerts-alert-{b.key.lower()}" for b in BASELINE} <= alerts
    assert len(limit_plan.of_type("mongodbatlas:index/databaseUser:DatabaseUser")) == 100
    assert len(limit_plan.of_type("mongodbatlas:index/projectIpAccessList:ProjectIpAccessList")) == 200
    assert len(limit_plan.of_type("mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint")) == 3


def test_limit_stack_turns_a_disabled_baseline_alert_back_on() -> None:
    base = stack_config("prod")
    base[key("alerts")]["baseline"]["cpu"] = {"enabled": False}
    cfg = load_stack("prod", limit_stack_config(base))
    assert cfg.alerts.baseline.cpu.enabled


def test_prod_critical_path_is_the_kms_then_cluster_chain(plans: Callable[[str], Plan]) -> None:
    plan = plans("prod")
    path = critical_path(plan)
    types = [r.type for r in path.chain]
    at = types.index(CLUSTER_TYPE)
    assert types[:at] == KMS_CHAIN
    # After the cluster: a user scoped by its name, then what holds the user's credential.
    assert types[at + 1] == "mongodbatlas:index/databaseUser:DatabaseUser"
    assert all(CREATE_SECONDS.get(t, DEFAULT_SECONDS) <= 60 for t in types[at + 1 :])
    cluster_done = path.finish[path.chain[at].urn]
    assert cluster_done == sum(CREATE_SECONDS.get(t, DEFAULT_SECONDS) for t in [*KMS_CHAIN, CLUSTER_TYPE])
    assert path.seconds - cluster_done <= 60
    assert path.seconds == max(path.finish.values())
    assert critical_path_problems(plan, path) == []


LINK = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"


def test_privatelink_chain_finishes_before_the_cluster_chain(plans: Callable[[str], Plan]) -> None:
    plan = plans("prod")
    path = critical_path(plan)
    links = plan.of_type(LINK)
    # Each of prod's three VPCs links an endpoint into each of the cluster's three regions.
    assert len(links) == 9, "prod has a PrivateLink chain from each VPC into each of the cluster's regions"
    cluster = plan.one(CLUSTER_TYPE)
    for link in links:
        # Each region's chain in parallel: project 10 s, endpoint service 4 min, VPC endpoint 2 min, link 5 min.
        assert path.finish[link.urn] == 10 + 4 * 60 + 2 * 60 + 5 * 60
        assert path.finish[link.urn] < path.finish[cluster.urn]


def test_limit_stack_critical_path_is_still_the_cluster_chain(limit_plan: Plan) -> None:
    path = critical_path(limit_plan)
    assert critical_path_problems(limit_plan, path) == []
    assert [r.type for r in path.chain][: len(KMS_CHAIN) + 1] == [*KMS_CHAIN, CLUSTER_TYPE]


def test_critical_path_check_flags_a_slow_resource_after_the_cluster(
    plans: Callable[[str], Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plans("prod")
    path = critical_path(plan)
    types = [r.type for r in path.chain]
    after = path.chain[types.index(CLUSTER_TYPE) + 1]
    monkeypatch.setattr(bench, "CREATE_SECONDS", {**CREATE_SECONDS, after.type: 20 * 60})
    problems = critical_path_problems(plan, critical_path(plan))
    assert any(f"{after.name} ({after.type}) is slow and follows the cluster" in p for p in problems)


def test_critical_path_check_flags_privatelink_waiting_for_the_cluster(plans: Callable[[str], Plan]) -> None:
    plan = plans("prod")
    cluster = plan.one(CLUSTER_TYPE)
    link = plan.of_type(LINK)[0]
    # As if the link took an explicit depends_on on the cluster.
    rewired = dataclasses.replace(link, dependencies=[*link.dependencies, cluster.urn])
    changed = dataclasses.replace(plan, resources=[rewired if r.urn == link.urn else r for r in plan.resources])
    problems = critical_path_problems(changed, critical_path(changed))
    assert any(f"{link.name} (PrivateLink)" in p for p in problems)
    assert any("without reading any of its outputs" in p for p in problems)


def test_linear_cost_check_fails_above_the_limit() -> None:
    assert linear_cost_problem(shipped_ms=8.0, large_ms=12.0) is None
    problem = linear_cost_problem(shipped_ms=8.0, large_ms=12.1)
    assert problem is not None and "1.51x" in problem
    assert linear_cost_problem(shipped_ms=8.0, large_ms=40.0) is not None


def test_a_limit_fails_only_when_every_round_is_over_it() -> None:
    assert limit_verdict([1.2, 1.3, 1.4], 1.5) == "ok"
    # One slow round out of five moves no median.
    assert limit_verdict([1.2, 1.3, 1.9, 1.3, 1.4], 1.5) == "ok"
    # A median over the limit with a round under it: run-to-run noise, reported, not failed.
    assert limit_verdict([1.4, 1.6, 1.7], 1.5) == "noise"
    assert limit_verdict([1.6, 1.7, 1.8], 1.5) == "regression"


def test_rounds_interleave_the_compared_measurements() -> None:
    order: list[str] = []
    results = interleaved({"a": lambda: order.append("a") or 1.0, "b": lambda: order.append("b") or 2.0}, 3)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert results == {"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]}


def test_the_limit_stack_grows_from_the_example_fixture_not_your_prod() -> None:
    assert bench.EXAMPLE_PROD == FIXTURES / "Pulumi.prod.yaml"
    assert limit_stack_config() == limit_stack_config(stack_config("prod"))


def test_the_limit_stack_follows_any_cluster_layout() -> None:
    # A single-region cluster (what a team may run) gets one endpoint region, and still loads.
    base = stack_config("prod")
    base[key("cluster")]["regions"] = [{"region": "us-east-1", "electableNodes": 3}]
    base[key("cluster")]["backup"].pop("copies", None)
    cfg = load_stack("prod", limit_stack_config(base))
    assert [r.region for r in cfg.network.private_endpoints] == ["us-east-1"]
