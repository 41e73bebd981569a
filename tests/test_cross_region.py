"""Cross-region private paths and the first-run private connection string, for every stack file.

Each application VPC must reach every region holding cluster nodes (the private SRV string lists
every node); the users' secrets take the private SRV from a read that waits for every link.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from atlas_platform.components.facts import atlas_region_name as atlas_region
from atlas_platform.components.facts import aws_region_name
from stackconfig import ConfigError
from stackconfig.network import endpoint_key
from tests.conftest import key, load_stack, stack_config
from tests.harness.runner import Plan

SERVICE = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
LINK = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
READ = "mongodbatlas:index/getAdvancedCluster:getAdvancedCluster"
NETWORK = key("network")
STACKS_WITH_ENDPOINTS = ["prod", "staging"]


def vpcs_by_region(config: Any) -> dict[str, list[Any]]:
    return {r.region: r.vpcs for r in config.network.private_endpoints}


def endpoints_of(plan: Plan, vpc_id: str) -> list[Any]:
    return [e for e in plan.of_type(VPCE) if e.inputs["vpcId"] == vpc_id]


def service_of(plan: Plan, endpoint: Any) -> Any:
    return next(s for s in plan.of_type(SERVICE) if s.outputs["endpointServiceName"] == endpoint.inputs["serviceName"])


# --- every shipped stack: each VPC reaches each endpoint region over its own endpoint ------------


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_every_vpc_has_an_endpoint_to_every_region(plans, stack):
    cfg, plan = load_stack(stack), plans(stack)
    regions = vpcs_by_region(cfg)
    paths = cfg.network.private_paths()
    for home, vpcs in regions.items():
        for vpc in vpcs:
            own = {r for r, via in paths[(home, vpc.name)].items() if via is None}
            endpoints = endpoints_of(plan, vpc.vpc_id)
            reached = {service_of(plan, e).inputs["region"]: e for e in endpoints}
            assert len(reached) == len(endpoints), f"{vpc.name}: two endpoints to one region"
            assert sorted(reached) == sorted(atlas_region(r) for r in own), vpc.name
            for region, endpoint in reached.items():
                # The endpoint lives in the VPC's region; a cross-region one names the service's region.
                assert endpoint.inputs["region"] == home
                if region == atlas_region(home):
                    assert "serviceRegion" not in endpoint.inputs
                else:
                    assert endpoint.inputs["serviceRegion"] == aws_region_name(region)
                assert any(link.inputs["endpointServiceId"] == endpoint.id for link in plan.of_type(LINK)), endpoint.name


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_each_service_admits_exactly_the_regions_of_its_remote_vpcs(plans, stack):
    plan = plans(stack)
    for service in plan.of_type(SERVICE):
        regions = {
            atlas_region(e.inputs["region"])
            for e in plan.of_type(VPCE)
            if e.inputs["serviceName"] == service.outputs["endpointServiceName"]
        }
        remote = sorted(regions - {service.inputs["region"]})
        # Atlas refuses the service's own region in the list (provider v2.16 privatelink_endpoint.md).
        assert service.inputs.get("supportedRemoteRegions", []) == remote, service.name


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_cross_region_groups_admit_exactly_the_sources_of_their_vpc(plans, stack):
    cfg, plan = load_stack(stack), plans(stack)
    for vpcs in vpcs_by_region(cfg).values():
        for vpc in vpcs:
            expected = {s.source for s in vpc.allowed_sources}
            for endpoint in endpoints_of(plan, vpc.vpc_id):
                groups = endpoint.inputs["securityGroupIds"]
                assert len(groups) == 1
                if vpc.security_group_id is not None:
                    assert groups == [vpc.security_group_id]
                    continue
                group = next(g for g in plan.of_type(SG) if g.id == groups[0])
                assert group.inputs["vpcId"] == vpc.vpc_id and group.inputs["region"] == endpoint.inputs["region"]
                rules = [r for r in plan.of_type(RULE) if r.inputs["securityGroupId"] == group.id]
                routed = {
                    c
                    for v in (x for xs in vpcs_by_region(cfg).values() for x in xs)
                    for rr in v.routed_regions
                    if rr.via == vpc.name
                    for c in rr.cidr_blocks
                }
                sources = {
                    r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")
                    for r in rules
                }
                own_region = endpoint.inputs.get("serviceRegion") is None
                assert sources == (expected | routed if own_region else expected), endpoint.name
                assert all(r.inputs["region"] == group.inputs["region"] for r in rules)


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_cross_region_chains_never_wait_for_the_cluster(plans, stack):
    plan = plans(stack)
    clusters = plan.of_type(CLUSTER)
    for token in (SERVICE, VPCE, LINK, SG, RULE):
        for resource in plan.of_type(token):
            assert not any(plan.depends_on(resource, c) for c in clusters), f"{resource.name} waits for the cluster"


# --- the first-run private connection string ------------------------------------------------------


def the_read(plan: Plan) -> Any:
    reads = [i for i in plan.invocations if i.token == READ]
    assert len(reads) == 1, [i.token for i in plan.invocations]
    return reads[0]


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_private_strings_are_read_after_every_link(plans, stack):
    plan = plans(stack)
    read = the_read(plan)
    cluster = plan.one(CLUSTER)
    assert read.args["name"] == cluster.inputs["name"]
    assert read.args["projectId"] == cluster.inputs["projectId"]
    links = plan.of_type(LINK)
    assert links
    missing = [link.name for link in links if link.urn not in read.depends_on]
    assert not missing, f"the read does not wait for {missing}"


@pytest.mark.parametrize("stack", STACKS_WITH_ENDPOINTS)
def test_secret_holds_the_private_srv_from_the_read(plans, stack):
    cfg, plan = load_stack(stack), plans(stack)
    read = the_read(plan)
    listed = read.result["connectionStrings"]["privateEndpoints"]
    assert listed, "the mock read lists no private string"
    # The first VPC (regions, then VPC names, sorted): its entry lists its endpoint in every region.
    region = sorted(vpcs_by_region(cfg))[0]
    vpc = sorted(vpcs_by_region(cfg)[region], key=lambda v: v.name)[0]
    exported = plan.exports["privateEndpoints"][region]["privateSrv"][vpc.name]
    assert exported in {entry["srvConnectionString"] for entry in listed}
    entry = next(e for e in listed if e["srvConnectionString"] == exported)
    # That entry lists the endpoints this VPC reaches each region through: its own, or its peer's.
    path = cfg.network.private_paths()[(region, vpc.name)]
    ids = plan.exports["privateEndpoints"]
    reached = {ids[r]["vpcEndpointIds"][via or endpoint_key(region, vpc.name, r)] for r, via in path.items()}
    assert {e["endpointId"] for e in entry["endpoints"]} <= reached
    # One endpoint per region with nodes: Atlas lists an entry only once every such region has one.
    assert {e["region"] for e in entry["endpoints"]} == {atlas_region(r.region) for r in cfg.cluster.regions}
    assert exported != plan.one(CLUSTER).outputs["connectionStrings"]["standardSrv"]
    versions = plan.of_type(SECRET_VERSION)
    texts = [v.inputs["secretString"] for v in versions if str(v.inputs.get("secretString", "")).startswith("{")]
    with_string = [d for d in map(json.loads, texts) if "connectionString" in d]
    assert with_string, "no secret carries a connection string"
    for document in with_string:
        assert document["connectionString"] == exported


def test_without_endpoints_the_secret_keeps_the_public_srv(plans):
    plan = plans("dev")
    assert not [i for i in plan.invocations if i.token == READ]


# --- the routed alternative and the refusals ------------------------------------------------------


def routed_variant(config: dict[str, Any]) -> None:
    """prod's us-east-1 app VPC reaches us-east-2 through the standby VPC (peered), not its own endpoint."""
    app = config[NETWORK]["privateEndpoints"][0]["vpcs"][0]
    app["routedRegions"] = [{"region": "us-east-2", "via": "standby", "cidrBlocks": ["10.10.0.0/16"]}]


def test_routed_region_uses_the_peer_endpoint_with_cidr_rules(plan_variant):
    plan = plan_variant("prod", routed_variant)
    app = "vpc-0a1b2c3d4e5f60710"
    reached = {service_of(plan, e).inputs["region"] for e in endpoints_of(plan, app)}
    assert reached == {"US_EAST_1", "US_WEST_2"}
    east2 = next(s for s in plan.of_type(SERVICE) if s.inputs["region"] == "US_EAST_2")
    assert "US_EAST_1" not in east2.inputs.get("supportedRemoteRegions", [])
    standby = next(e for e in endpoints_of(plan, "vpc-0d1e2f3a4b5c60720") if "serviceRegion" not in e.inputs)
    group = standby.inputs["securityGroupIds"][0]
    cidr_rules = [
        r for r in plan.of_type(RULE) if r.inputs["securityGroupId"] == group and r.inputs.get("cidrIpv4") == "10.10.0.0/16"
    ]
    assert len(cidr_rules) == 1 and cidr_rules[0].inputs["region"] == "us-east-2"
    # The read still waits for every link, and app's string is the one through standby's endpoint.
    read = the_read(plan)
    assert all(link.urn in read.depends_on for link in plan.of_type(LINK))


def refusal(config_change, stack: str = "prod") -> str:
    config = stack_config(stack)
    config_change(config)
    with pytest.raises(ConfigError) as raised:
        load_stack(stack, config)
    return str(raised.value)


def test_refuses_a_vpc_without_a_path_to_an_electable_region():
    def no_path(config):
        config[NETWORK]["privateEndpoints"][0]["vpcs"][0]["crossRegionPrivateLink"] = False

    message = refusal(no_path)
    assert "Pulumi.prod.yaml" in message and f"{NETWORK}" in message
    assert "VPC 'app' (us-east-1) has no private path to us-east-2" in message
    assert "VPC 'app' (us-east-1) has no private path to us-west-2" in message
    assert "routedRegions" in message and "crossRegionPrivateLink" in message


def test_refuses_a_route_via_a_vpc_the_region_does_not_have():
    def bad_via(config):
        app = config[NETWORK]["privateEndpoints"][0]["vpcs"][0]
        app["routedRegions"] = [{"region": "us-east-2", "via": "nosuch", "cidrBlocks": ["10.10.0.0/16"]}]

    message = refusal(bad_via)
    assert "routedRegions[0]" in message and "'nosuch'" in message and "standby" in message


def test_refuses_a_route_to_its_own_region_or_an_unmanaged_group():
    def own(config):
        app = config[NETWORK]["privateEndpoints"][0]["vpcs"][0]
        app["routedRegions"] = [{"region": "us-east-1", "via": "app", "cidrBlocks": ["10.10.0.0/16"]}]

    assert "uses its own endpoint there" in refusal(own)

    def unmanaged(config):
        routed_variant(config)
        standby = config[NETWORK]["privateEndpoints"][1]["vpcs"][0]
        del standby["allowedSources"]
        standby["securityGroupId"] = "sg-0d1e2f3a4b5c60799"

    assert "existing security group" in refusal(unmanaged)


def test_one_vpc_name_in_two_regions_names_distinct_endpoints(plan_variant):
    def same_name(config):
        config[NETWORK]["privateEndpoints"][1]["vpcs"][0]["name"] = "app"

    plan = plan_variant("prod", same_name)
    names = [e.name for e in plan.of_type(VPCE)]
    assert len(names) == len(set(names)) == 9
    assert "payments-prod-privatelink-us-east-1-us-east-2-app-vpce" in names
    assert "payments-prod-privatelink-us-east-2-us-east-1-app-vpce" in names


def test_refuses_a_vpc_name_that_clashes_with_a_cross_region_endpoint():
    def clash(config):
        config[NETWORK]["privateEndpoints"][1]["vpcs"][0]["name"] = "us-east-1-app"

    message = refusal(clash)
    assert "'us-east-1-app' in us-east-2 is also the name of the cross-region endpoint there of us-east-1's VPC 'app'" in message


# --- the string lookup on its own -----------------------------------------------------------------


def test_private_srv_by_vpc_takes_the_entry_whose_endpoints_the_vpc_reaches():
    from atlas_platform.components.private_endpoint import private_srv_by_vpc

    strings = {
        "private_endpoints": [
            {"srv_connection_string": "mongodb+srv://c-pl-0", "endpoints": [{"endpoint_id": "a1"}, {"endpoint_id": "b9"}]},
            {"srv_connection_string": "mongodb+srv://c-pl-1", "endpoints": [{"endpoint_id": "a1"}, {"endpoint_id": "b1"}]},
        ]
    }
    # app reaches region a through a1 and region b through b1: only pl-1's endpoints are all its own.
    assert private_srv_by_vpc(strings, {"app": ["a1", "b1"], "other": ["a2", "b2"]}) == {
        "app": "mongodb+srv://c-pl-1",
        "other": None,
    }
    assert private_srv_by_vpc(None, {"app": ["a1"]}) == {"app": None}
