"""PrivateEndpoint under mocks: the PrivateLink chain, its order, its security group and its outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas
import pytest
from pulumi.runtime import settings as pulumi_settings

from atlas_platform.components.facts import atlas_region_name
from atlas_platform.components.private_endpoint import (
    ATLAS_PORTS,
    AllowedSource,
    EndpointVpc,
    PrivateEndpoint,
    PrivateEndpointArgs,
    private_srv_by_vpc,
)
from tests.conftest import key
from tests.harness.mocks import ID_FORMATS, AtlasMocks, RecordingMonitor, Registration
from tests.harness.runner import Plan

SERVICE = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
LINK = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
VPCE = "aws:ec2/vpcEndpoint:VpcEndpoint"
SG = "aws:ec2/securityGroup:SecurityGroup"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PROJECT = "mongodbatlas:index/project:Project"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
COMPONENT = "atlas-platform:index:PrivateEndpoint"
CHAIN = (SERVICE, SG, RULE, VPCE, LINK)
NETWORK = key("network")


def first_vpc(config: dict[str, Any]) -> dict[str, Any]:
    return config[NETWORK]["privateEndpoints"][0]["vpcs"][0]


# The prod cluster has nodes in three regions, and Atlas lists a multi-region cluster's private
# string only when each of them has an endpoint: prod has one chain per region.
# region -> (Atlas's region name, VPC name, VPC id, subnet ids)
PROD_CHAINS = {
    "us-east-1": (
        "US_EAST_1",
        "app",
        "vpc-0a1b2c3d4e5f60710",
        ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712", "subnet-0a1b2c3d4e5f60713"],
    ),
    "us-east-2": ("US_EAST_2", "standby", "vpc-0d1e2f3a4b5c60720", ["subnet-0d1e2f3a4b5c60721", "subnet-0d1e2f3a4b5c60722"]),
    "us-west-2": ("US_WEST_2", "dr", "vpc-0c1d2e3f4a5b60730", ["subnet-0c1d2e3f4a5b60731", "subnet-0c1d2e3f4a5b60732"]),
}
PROD_REGIONS = sorted(PROD_CHAINS)


def component(plan: Plan, region: str) -> Registration:
    """The PrivateEndpoint component of `region`: `<app>-<stack>-privatelink-<region>`."""
    found = [c for c in plan.of_type(COMPONENT) if c.name == f"payments-{plan.stack}-privatelink-{region}"]
    assert len(found) == 1, f"expected one {COMPONENT} for {region}, found {[c.name for c in found]}"
    return found[0]


def in_region(plan: Plan, token: str, region: str) -> list[Registration]:
    """Resources of type `token` in `region`'s local chain: children of its component that serve
    its own VPCs (the other regions' cross-region endpoints are tests/test_cross_region.py's)."""
    parent = component(plan, region)
    children = [r for r in plan.resources if r.parent == parent.urn]
    local_vpce = {r.id for r in children if r.type == VPCE and "serviceRegion" not in r.inputs}

    def local(r: Registration) -> bool:
        if r.type == VPCE:
            return r.id in local_vpce
        if r.type in (SG, RULE):
            return r.inputs.get("region") == region
        if r.type == LINK:
            return r.inputs.get("endpointServiceId") in local_vpce
        return True

    return [r for r in children if r.type == token and local(r)]


def one_in(plan: Plan, token: str, region: str) -> Registration:
    found = in_region(plan, token, region)
    assert len(found) == 1, f"expected exactly one {token} in {region}, found {[r.name for r in found]}"
    return found[0]


# --- the prod stack, as the engine would receive it ---------------------------------------------


def test_prod_has_exactly_one_chain_per_cluster_region(plans):
    plan = plans("prod")
    assert sorted(c.name for c in plan.of_type(COMPONENT)) == [f"payments-prod-privatelink-{r}" for r in PROD_REGIONS]
    for token in (SERVICE, VPCE, LINK, SG):
        for region in PROD_REGIONS:
            one_in(plan, token, region)
    assert len(plan.of_type(SERVICE)) == len(PROD_REGIONS)


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_prod_registers_the_whole_chain_in_its_region(plans, region):
    atlas_region, _, vpc_id, subnet_ids = PROD_CHAINS[region]
    plan = plans("prod")
    project = plan.one(PROJECT)
    service, vpce, link, group = (one_in(plan, token, region) for token in (SERVICE, VPCE, LINK, SG))

    assert service.inputs["providerName"] == "AWS"
    assert service.inputs["region"] == atlas_region
    assert service.inputs["projectId"] == project.id

    assert vpce.inputs["vpcEndpointType"] == "Interface"
    assert vpce.inputs["serviceName"] == service.outputs["endpointServiceName"]
    assert vpce.inputs["serviceName"].startswith(f"com.amazonaws.vpce.{region}.vpce-svc-")
    assert vpce.inputs["vpcId"] == vpc_id
    assert vpce.inputs["subnetIds"] == subnet_ids
    assert vpce.inputs["securityGroupIds"] == [group.id] and group.id.startswith("sg-")
    assert vpce.inputs["region"] == group.inputs["region"] == region
    assert group.inputs["vpcId"] == vpce.inputs["vpcId"]

    assert link.inputs["endpointServiceId"] == vpce.id and vpce.id.startswith("vpce-")
    assert link.inputs["privateLinkId"] == service.outputs["privateLinkId"]
    assert link.inputs["projectId"] == project.id
    assert link.inputs["providerName"] == "AWS"


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_chain_runs_in_order_through_data_dependencies(plans, region):
    plan = plans("prod")
    project = plan.one(PROJECT)
    service, vpce, link, group = (one_in(plan, t, region) for t in (SERVICE, VPCE, LINK, SG))
    assert plan.depends_on(service, project)
    assert plan.depends_on(vpce, service) and plan.depends_on(vpce, group)
    assert plan.depends_on(link, vpce) and plan.depends_on(link, service)
    rules = in_region(plan, RULE, region)
    assert rules
    for rule in rules:
        assert plan.depends_on(rule, group)
    # Nothing runs backwards, and no explicit depends_on: every edge comes from an input.
    assert not plan.depends_on(service, vpce) and not plan.depends_on(vpce, link)
    for resource in (service, vpce, link, group):
        assert set(resource.dependencies) <= {u for deps in resource.property_dependencies.values() for u in deps}
    # The regions' chains build in parallel: none waits for another region's.
    others = [r for other in PROD_REGIONS if other != region for token in CHAIN for r in in_region(plan, token, other)]
    assert others
    for resource in (service, vpce, link, group, *rules):
        assert not any(plan.depends_on(resource, other) for other in others), f"{resource.name} waits for another region"


def test_prod_chain_does_not_wait_for_the_cluster(plans):
    plan = plans("prod")
    clusters = plan.of_type(CLUSTER)
    if not clusters:
        pytest.skip("no cluster in this program yet; the component test below covers the rule with one")
    for token in CHAIN:
        for resource in plan.of_type(token):
            assert not any(plan.depends_on(resource, cluster) for cluster in clusters), f"{resource.name} waits for the cluster"


@pytest.mark.parametrize(
    ("region", "expected_sources"),
    [
        ("us-east-1", {"sg-0a1b2c3d4e5f60714", "10.10.32.0/20"}),
        ("us-east-2", {"sg-0d1e2f3a4b5c60724"}),
        ("us-west-2", {"sg-0c1d2e3f4a5b60734"}),
    ],
)
def test_security_group_rules_are_atlas_ports_from_the_configured_sources_only(plans, region, expected_sources):
    plan = plans("prod")
    group = one_in(plan, SG, region)
    rules = in_region(plan, RULE, region)
    assert len(rules) == len(expected_sources)
    sources = {r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4") for r in rules}
    assert sources == expected_sources
    for rule in rules:
        assert rule.inputs["securityGroupId"] == group.id
        assert rule.inputs["region"] == region
        assert rule.inputs["ipProtocol"] == "tcp"
        assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == ATLAS_PORTS == (1024, 65535)
        assert rule.inputs["description"].strip()
        assert "cidrIpv6" not in rule.inputs
    # No inline rules, and no egress at all: the endpoint only answers connections.
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    assert group.inputs["description"]
    assert not plan.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_slow_resources_get_generous_timeouts(plans, region):
    plan = plans("prod")
    for token in (SERVICE, LINK):
        resource = one_in(plan, token, region)
        assert resource.custom_timeouts == {"create": "2h", "delete": "2h"}
        # A timed-out create is cleaned up, so the retry does not hit "already exists for region".
        assert resource.inputs["deleteOnCreateTimeout"] is True
    assert one_in(plan, VPCE, region).custom_timeouts == {"create": "30m", "update": "30m", "delete": "30m"}


def test_prod_protects_the_chain_and_staging_does_not(plans):
    for token in (SERVICE, VPCE, LINK):
        for region in PROD_REGIONS:
            assert one_in(plans("prod"), token, region).protect is True
        assert plans("staging").one(token).protect is False


@pytest.mark.parametrize(("stack", "regions"), [("prod", PROD_REGIONS), ("staging", ["us-east-1"])])
def test_chain_lives_in_the_component_and_is_named_after_it(plans, stack, regions):
    plan = plans(stack)
    components = {c.urn: c for c in plan.of_type(COMPONENT)}
    assert sorted(c.name for c in components.values()) == [f"payments-{stack}-privatelink-{r}" for r in regions]
    for token in CHAIN:
        for resource in plan.of_type(token):
            assert resource.parent in components, f"{resource.name} is outside every PrivateEndpoint"
            assert resource.name.startswith(f"{components[resource.parent].name}-")
    for region in regions:
        assert {r.type for r in plan.children(component(plan, region))} == set(CHAIN), region


def test_dev_has_no_private_endpoint(plans):
    assert plans("dev").of_type(COMPONENT) == [] and plans("dev").of_type(SERVICE) == []
    assert "privateEndpoints" not in plans("dev").exports


def test_exports_list_every_region(plans):
    assert sorted(plans("prod").exports["privateEndpoints"]) == PROD_REGIONS


@pytest.mark.parametrize("region", PROD_REGIONS)
def test_exports_name_the_service_and_the_endpoints(plans, region):
    vpc_name = PROD_CHAINS[region][1]
    plan = plans("prod")
    exported = plan.exports["privateEndpoints"][region]
    service = one_in(plan, SERVICE, region)
    assert exported["endpointServiceName"] == service.outputs["endpointServiceName"]
    assert exported["endpointServiceId"] == service.outputs["privateLinkId"]
    # Its own VPC's endpoint, and the other regions' VPCs' cross-region ones (tests/test_cross_region.py).
    assert exported["vpcEndpointIds"][vpc_name] == one_in(plan, VPCE, region).id
    assert sorted(exported["vpcEndpointIds"]) == sorted(
        chain[1] if home == region else f"{home}-{chain[1]}" for home, chain in PROD_CHAINS.items()
    )
    # The private string of each of the region's own VPCs comes from the read that waits for every
    # link, so the first `pulumi up` has it (tests/test_cross_region.py checks where it comes from).
    assert sorted(exported["privateSrv"]) == [vpc_name]
    assert exported["privateSrv"][vpc_name].startswith("mongodb+srv://")


def test_reordering_sources_subnets_and_vpcs_replaces_nothing(plans, plan_variant):
    def shuffle(config):
        region = config[NETWORK]["privateEndpoints"][0]
        region["vpcs"].insert(
            0,
            {
                "name": "batch",
                "vpcId": "vpc-0a1b2c3d4e5f60780",
                "subnetIds": ["subnet-0a1b2c3d4e5f60781", "subnet-0a1b2c3d4e5f60782"],
                "securityGroupId": "sg-0a1b2c3d4e5f60783",
            },
        )
        region["vpcs"][1]["allowedSources"].reverse()

    before = {r.name: r.inputs for r in plans("prod").resources if r.type in CHAIN}
    after = {r.name: r.inputs for r in plan_variant("prod", shuffle).resources if r.type in CHAIN}
    assert {name: after[name] for name in before} == before
    # The new VPC's endpoint and link in its own region, and its cross-region ones in the others.
    assert set(after) - set(before) == {
        f"payments-prod-privatelink-{region}-{'' if region == 'us-east-1' else 'us-east-1-'}batch-{kind}"
        for region in PROD_REGIONS
        for kind in ("vpce", "link")
    }


def test_existing_security_group_is_attached_instead_of_a_new_one(plan_variant):
    def existing(config):
        vpc = first_vpc(config)
        del vpc["allowedSources"]
        vpc["securityGroupId"] = "sg-0a1b2c3d4e5f60799"

    plan = plan_variant("prod", existing)
    assert in_region(plan, SG, "us-east-1") == [] and in_region(plan, RULE, "us-east-1") == []
    assert one_in(plan, VPCE, "us-east-1").inputs["securityGroupIds"] == ["sg-0a1b2c3d4e5f60799"]
    # The other regions keep the group this program creates for them.
    for region in ("us-east-2", "us-west-2"):
        assert one_in(plan, VPCE, region).inputs["securityGroupIds"] == [one_in(plan, SG, region).id]
    # app's cross-region endpoints attach the same existing group: one created group fewer per region.
    assert len(plan.of_type(SG)) == len(PROD_REGIONS) * (len(PROD_REGIONS) - 1)
    for vpce in plan.of_type(VPCE):
        if vpce.inputs["vpcId"] == PROD_CHAINS["us-east-1"][2]:
            assert vpce.inputs["securityGroupIds"] == ["sg-0a1b2c3d4e5f60799"]


def test_a_region_without_nodes_gets_no_endpoint_service_its_vpcs_reach_the_cluster_cross_region(plan_variant):
    def second_region(config):
        config[NETWORK]["privateEndpoints"].append(
            {
                "region": "eu-west-1",
                "vpcs": [
                    {
                        "name": "app-eu",
                        "vpcId": "vpc-0a1b2c3d4e5f60790",
                        "subnetIds": ["subnet-0a1b2c3d4e5f60791", "subnet-0a1b2c3d4e5f60792"],
                        "allowedSources": [{"cidrBlock": "10.11.0.0/16", "description": "prod-app eu subnets"}],
                    }
                ],
            }
        )

    plan = plan_variant("prod", second_region)
    # The cluster has no nodes in eu-west-1: no Atlas endpoint service there (it would serve nothing).
    services = {r.inputs["region"]: r for r in plan.of_type(SERVICE)}
    assert sorted(services) == ["US_EAST_1", "US_EAST_2", "US_WEST_2"]
    # The EU VPC reaches each cluster region through a cross-region endpoint created in its own region.
    eu = [r for r in plan.of_type(VPCE) if r.inputs["vpcId"] == "vpc-0a1b2c3d4e5f60790"]
    assert sorted(e.inputs["serviceRegion"] for e in eu) == ["us-east-1", "us-east-2", "us-west-2"]
    assert {e.inputs["region"] for e in eu} == {"eu-west-1"}
    for endpoint in eu:
        service = services[atlas_region_name(endpoint.inputs["serviceRegion"])]
        assert endpoint.inputs["serviceName"] == service.outputs["endpointServiceName"]
        assert "EU_WEST_1" in service.inputs["supportedRemoteRegions"]
    # Its sources are rules in its own region only, on its cross-region endpoints' groups.
    assert {r.inputs["region"] for r in plan.of_type(RULE) if r.inputs.get("cidrIpv4") == "10.11.0.0/16"} == {"eu-west-1"}
    # Its private connection string is exported too, read through those endpoints.
    assert sorted(plan.exports["privateEndpoints"]) == ["eu-west-1", "us-east-1", "us-east-2", "us-west-2"]
    assert set(plan.exports["privateEndpoints"]["eu-west-1"]) == {"privateSrv"}
    assert plan.exports["privateEndpoints"]["eu-west-1"]["privateSrv"]["app-eu"].startswith("mongodb+srv://")


def test_a_cluster_region_without_a_vpc_of_its_own_is_served_cross_region(plan_variant):
    def no_vpc_in_us_west_2(config):
        for entry in config[NETWORK]["privateEndpoints"]:
            if entry["region"] == "us-west-2":
                del entry["vpcs"]

    plan = plan_variant("prod", no_vpc_in_us_west_2)
    services = {r.inputs["region"]: r for r in plan.of_type(SERVICE)}
    assert sorted(services) == ["US_EAST_1", "US_EAST_2", "US_WEST_2"]
    into_west = [e for e in plan.of_type(VPCE) if e.inputs["serviceName"] == services["US_WEST_2"].outputs["endpointServiceName"]]
    # Only the other regions' VPCs, each from its own region.
    assert sorted(e.inputs["region"] for e in into_west) == ["us-east-1", "us-east-2"]
    assert services["US_WEST_2"].inputs["supportedRemoteRegions"] == ["US_EAST_1", "US_EAST_2"]
    assert not in_region(plan, SG, "us-west-2")


# --- the component on its own, with a cluster -------------------------------------------------------

VPC = EndpointVpc(
    key="app",
    vpc_id="vpc-0a1b2c3d4e5f60710",
    subnet_ids=["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60712"],
    allowed_sources=[
        AllowedSource(key="sg-0a1b2c3d4e5f60714", description="app tasks", security_group_id="sg-0a1b2c3d4e5f60714")
    ],
)
VPCE_ID = ID_FORMATS[VPCE]("pe-app-vpce")
PRIVATE_SRV = "mongodb+srv://main-pl-0.abcde.mongodb.net"


def run_program(build: Callable[[], dict[str, Any]], mocks: pulumi.runtime.Mocks) -> tuple[Plan, dict[str, Any]]:
    monitor = RecordingMonitor(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="unit", stack="unit", preview=False, monitor=monitor)
    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> Any:
        outputs = build()
        return pulumi.Output.all(**outputs).apply(captured.update)

    program()
    return Plan(project="unit", stack="unit", resources=list(monitor.registrations)), captured


def test_component_alone_gives_each_vpc_its_endpoint_id_and_builds_no_cluster():
    plan, outputs = run_program(
        lambda: {
            "ids": PrivateEndpoint("pe", PrivateEndpointArgs(project_id="p", region="us-east-1", vpcs=[VPC])).vpc_endpoint_ids
        },
        AtlasMocks(),
    )
    assert outputs == {"ids": {"app": VPCE_ID}}
    assert plan.of_type(CLUSTER) == []


@pytest.mark.parametrize(
    "strings",
    [
        # provider 4.x output objects
        atlas.outputs.AdvancedClusterConnectionStrings(
            private_endpoints=[
                atlas.outputs.AdvancedClusterConnectionStringsPrivateEndpoint(
                    srv_connection_string=PRIVATE_SRV,
                    endpoints=[atlas.outputs.AdvancedClusterConnectionStringsPrivateEndpointEndpoint(endpoint_id="vpce-1")],
                )
            ]
        ),
        # the engine's camelCase dicts
        {"privateEndpoints": [{"srvConnectionString": PRIVATE_SRV, "endpoints": [{"endpointId": "vpce-1"}]}]},
        # older providers: a list of connection-string objects
        [
            {"standard_srv": "x"},
            {"private_endpoints": [{"srv_connection_string": PRIVATE_SRV, "endpoints": [{"endpoint_id": "vpce-1"}]}]},
        ],
    ],
)
def test_private_srv_is_matched_by_vpc_endpoint_id_in_every_provider_shape(strings):
    assert private_srv_by_vpc(strings, {"app": ["vpce-1"], "batch": ["vpce-2"]}) == {"app": PRIVATE_SRV, "batch": None}


def test_private_srv_before_atlas_lists_any_endpoint():
    assert private_srv_by_vpc(None, {"app": ["vpce-1"]}) == {"app": None}
    assert private_srv_by_vpc({"standardSrv": "mongodb+srv://x"}, {"app": ["vpce-1"]}) == {"app": None}


def test_component_refuses_a_vpc_without_sources_or_group():
    with pytest.raises(ValueError, match="give allowed_sources"):
        run_program(
            lambda: {
                "x": PrivateEndpoint(
                    "pe",
                    PrivateEndpointArgs(
                        project_id="p", region="us-east-1", vpcs=[EndpointVpc(key="a", vpc_id="vpc-1", subnet_ids=["subnet-1"])]
                    ),
                ).endpoint_service_name
            },
            AtlasMocks(),
        )


def test_ipv6_source_becomes_an_ipv6_rule(plan_variant):
    def add(config):
        first_vpc(config)["allowedSources"].append({"cidrBlock": "2001:db8:10::/56", "description": "prod-app ipv6 subnets"})

    rule = next(r for r in plan_variant("prod", add).of_type(RULE) if "cidrIpv6" in r.inputs)
    assert rule.inputs["cidrIpv6"] == "2001:db8:10::/56" and "cidrIpv4" not in rule.inputs
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (1024, 65535)
    assert rule.name == "payments-prod-privatelink-us-east-1-app-sg-from-2001-db8-10---56"
