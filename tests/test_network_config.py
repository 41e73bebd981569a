"""The network section of the stack file: every bad input ends in one clean ConfigError that says the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from program_args import access_list_args
from stackconfig import ConfigError, StackConfig
from tests.conftest import key, load_stack, stack_config

NETWORK = key("network")


def load(stack: str, change: Callable[[dict[str, Any]], None] = lambda c: None) -> StackConfig:
    """The loader alone (no program run): enough for a pure config check, and fast."""
    config = stack_config(stack)
    change(config)
    return load_stack(stack, config)


def problems(stack: str, change: Callable[[dict[str, Any]], None]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(stack, change)
    return [f"{p.key}: {p.message}" for p in raised.value.problems]


def set_access_list(*entries: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[NETWORK]["accessList"] = list(entries)

    return change


def first_vpc(config: dict[str, Any]) -> dict[str, Any]:
    return config[NETWORK]["privateEndpoints"][0]["vpcs"][0]


def test_shipped_stacks_load():
    for stack in ("prod", "staging", "dev"):
        assert load(stack).network.access_list


def test_stack_with_open_range_misaligned_cidr_and_twin_entry_fails_once_naming_each(plan_variant):
    change = set_access_list(
        {"cidrBlock": "0.0.0.0/0", "comment": "anyone"},
        {"cidrBlock": "10.0.0.1/8", "comment": "office"},
        {"ipAddress": "203.0.113.10", "comment": "prod-bastion"},
        {"cidrBlock": "203.0.113.10/32", "comment": "prod-bastion-again"},
    )
    with pytest.raises(ConfigError) as raised:
        plan_variant("prod", change)
    error = raised.value
    text = str(error)
    assert text.startswith("Pulumi.prod.yaml has 3 problems; nothing was created:")
    assert "Traceback" not in text
    by_key = {p.key: p.message for p in error.problems}
    assert sorted(by_key) == [
        f"{NETWORK}.accessList[0].cidrBlock",
        f"{NETWORK}.accessList[1].cidrBlock",
        f"{NETWORK}.accessList[3]",
    ]
    assert "'0.0.0.0/0' allows every address on the internet" in by_key[f"{NETWORK}.accessList[0].cidrBlock"]
    assert "'10.0.0.1/8' has host bits set; its network address is 10.0.0.0/8" in by_key[f"{NETWORK}.accessList[1].cidrBlock"]
    assert "203.0.113.10/32 repeats [2]" in by_key[f"{NETWORK}.accessList[3]"]


@pytest.mark.parametrize("spelling", ["::/0", "::0/0", "0:0::/0", "0:0:0:0:0:0:0:0/0", " 0.0.0.0/0 "])
def test_open_range_is_refused_however_spelled(spelling):
    found = problems("staging", set_access_list({"cidrBlock": spelling, "comment": "everyone"}))
    assert found == [
        f"{NETWORK}.accessList[0].cidrBlock: {spelling!r} allows every address on the internet; "
        "list the application servers', bastions' and tools' own addresses or CIDRs instead (or use a private endpoint)"
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"ipAddress": "0.0.0.0"}, "'0.0.0.0' is the unspecified address"),
        ({"ipAddress": "::"}, "'::' is the unspecified address"),
        ({"cidrBlock": "10.0.0.0/7"}, "'10.0.0.0/7' is wider than /8 (IPv4)"),
        ({"cidrBlock": "2001:db8::/31"}, "'2001:db8::/31' is wider than /32 (IPv6)"),
        ({"cidrBlock": "::ffff:0.0.0.0/96"}, "is wider than /8 (IPv4)"),
        ({"cidrBlock": "10.20.0.0/33"}, "'10.20.0.0/33' is not a CIDR block; write an address and prefix length"),
        ({"cidrBlock": "office-network"}, "'office-network' is not a CIDR block"),
        ({"cidrBlock": "203.0.113.7"}, "'203.0.113.7' has no prefix length; write it as 203.0.113.7/32"),
        ({"ipAddress": "203.0.113.300"}, "'203.0.113.300' is not an IP address"),
        ({"ipAddress": "203.0.113.0/24"}, "is a range, not one address; put it under cidrBlock"),
        ({"ipAddress": "127.0.0.1"}, "loopback, multicast or link-local"),
        ({"cidrBlock": "127.0.0.0/8"}, "'127.0.0.0/8' is a loopback, multicast or link-local range"),
        ({"cidrBlock": "0.0.0.0/8"}, "'0.0.0.0/8' starts at the unspecified address"),
        ({"cidrBlock": "0.0.0.0/32"}, "'0.0.0.0/32' starts at the unspecified address"),
        ({"cidrBlock": "2001:db8::1/64"}, "has host bits set; its network address is 2001:db8::/64"),
        ({"awsSecurityGroup": "sg-12"}, "'sg-12' is not a security group id"),
        ({"ipAddress": "2001:db8::1%eth0"}, "'2001:db8::1%eth0' has a zone id (%eth0); write 2001:db8::1"),
        ({"cidrBlock": "2001:db8::%1/48"}, "'2001:db8::%1/48' has a zone id (%1); write 2001:db8::/48"),
    ],
)
def test_bad_access_list_entry_is_refused_with_its_fix(entry, message):
    found = problems("staging", set_access_list({**entry, "comment": "some-tool"}))
    assert len(found) == 1 and found[0].startswith(f"{NETWORK}.accessList[0]"), found
    assert message in found[0]


def test_entry_without_a_comment_is_refused():
    found = problems("staging", set_access_list({"ipAddress": "198.51.100.10"}))
    assert found == [
        f"{NETWORK}.accessList[0].comment: required key is missing; add it "
        "(Why this entry exists, as Atlas shows it (e.g. prod-app-ecs-cluster, prod-bastion).)"
    ]


def test_blank_comment_is_refused():
    found = problems("staging", set_access_list({"ipAddress": "198.51.100.10", "comment": "   "}))
    assert found[0].startswith(f"{NETWORK}.accessList[0].comment: String should have at least 3 characters")


def test_entry_without_a_source_is_refused():
    found = problems("staging", set_access_list({"comment": "forgotten-address"}))
    assert found == [
        f"{NETWORK}.accessList[0]: an access-list entry needs one of ipAddress, cidrBlock, awsSecurityGroup; "
        "add the source it stands for"
    ]


def test_entry_with_two_sources_is_refused():
    found = problems(
        "staging", set_access_list({"ipAddress": "198.51.100.10", "cidrBlock": "198.51.100.0/24", "comment": "x-y-z"})
    )
    assert found == [
        f"{NETWORK}.accessList[0]: an access-list entry needs exactly one of ipAddress, cidrBlock, "
        "awsSecurityGroup; it has ipAddress, cidrBlock: split it into one entry per source"
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"ipAddress": "198.51.100.10"}, {"cidrBlock": "198.51.100.10/32"}),
        ({"ipAddress": "2001:db8::1"}, {"ipAddress": "2001:0db8:0000::0001"}),
        ({"ipAddress": "2001:db8::1"}, {"cidrBlock": "2001:DB8:0::1/128"}),
        ({"cidrBlock": "198.51.100.0/24"}, {"cidrBlock": "198.51.100.0/24"}),
        ({"awsSecurityGroup": "sg-0a1b2c3d"}, {"awsSecurityGroup": "sg-0a1b2c3d"}),
    ],
)
def test_duplicate_entries_are_refused(first, second):
    found = problems("staging", set_access_list({**first, "comment": "one-tool"}, {**second, "comment": "two-tool"}))
    assert len(found) == 1 and found[0].startswith(f"{NETWORK}.accessList[1]: access-list entry "), found
    assert "repeats [0]" in found[0]


# Pairs of access-list sources: twins (one Atlas entry) and near misses (two entries).
SPELLINGS = [
    ({"ipAddress": "198.51.100.10"}, {"cidrBlock": "198.51.100.10/32"}),
    ({"ipAddress": " 198.51.100.10"}, {"ipAddress": "198.51.100.10"}),
    ({"ipAddress": "2001:db8::1"}, {"cidrBlock": "2001:0DB8::1/128"}),
    ({"cidrBlock": "2001:db8:ab::/48"}, {"cidrBlock": "2001:DB8:AB:0::/48"}),
    ({"ipAddress": "198.51.100.10"}, {"cidrBlock": "198.51.100.10/31"}),
    ({"ipAddress": "198.51.100.10"}, {"ipAddress": "::ffff:198.51.100.10"}),
    ({"cidrBlock": "198.51.100.0/24"}, {"cidrBlock": "198.51.100.0/25"}),
    ({"awsSecurityGroup": "sg-0a1b2c3d"}, {"awsSecurityGroup": "sg-0a1b2c3e"}),
]


def component_key(source: dict[str, str]) -> str:
    """The name-giving key the program hands the component for a stack with this one entry."""
    cfg = load("staging", set_access_list({**source, "comment": "one-tool"}))
    (entry,) = access_list_args(cfg, "5f0000000000000000000a01").entries
    return entry.key


@pytest.mark.parametrize(("first", "second"), SPELLINGS)
def test_config_twins_are_exactly_the_entries_the_component_names_alike(first, second):
    """The config refuses a twin because Pulumi would plan it as one resource (one Atlas entry) twice."""
    try:
        load("staging", set_access_list({**first, "comment": "one-tool"}, {**second, "comment": "two-tool"}))
        twins = False
    except ConfigError as error:
        assert [p.message for p in error.problems if "repeats [0]" in p.message], error
        twins = True
    assert twins == (component_key(first) == component_key(second))


def test_spelling_pairs_hold_both_twins_and_distinct_entries():
    verdicts = {component_key(first) == component_key(second) for first, second in SPELLINGS}
    assert verdicts == {True, False}, "the agreement test above needs both kinds of pair to mean anything"


def test_prod_without_private_endpoint_or_opt_out_is_refused():
    def drop(config):
        del config[NETWORK]["privateEndpoints"]

    assert problems("prod", drop) == [
        f"{NETWORK}: prod has no private endpoint; add network.privateEndpoints (region, vpcs) or, if this production "
        "stack really must use the public access list only, set network.privateEndpointOptOutReason to why"
    ]


def test_prod_without_any_network_section_is_refused():
    found = problems("prod", lambda c: c.pop(NETWORK))
    assert found and found[0].startswith(f"{NETWORK}: prod has no private endpoint")


def test_prod_may_opt_out_with_a_written_reason():
    def opt_out(config):
        del config[NETWORK]["privateEndpoints"]
        config[NETWORK]["privateEndpointOptOutReason"] = (
            "Vendor BI tool connects from its SaaS egress IPs; PrivateLink planned Q3"
        )

    cfg = load("prod", opt_out)
    assert cfg.network.private_endpoints == [] and cfg.network.private_endpoint_opt_out_reason.startswith("Vendor")


def test_opt_out_reason_must_say_something():
    def opt_out(config):
        del config[NETWORK]["privateEndpoints"]
        config[NETWORK]["privateEndpointOptOutReason"] = "n/a"

    found = problems("prod", opt_out)
    assert found[0].startswith(f"{NETWORK}.privateEndpointOptOutReason: String should have at least 20 characters")


def test_opt_out_next_to_private_endpoints_is_a_contradiction():
    def both(config):
        config[NETWORK]["privateEndpointOptOutReason"] = "we do not need PrivateLink in production"

    assert "privateEndpointOptOutReason is set but privateEndpoints are configured" in problems("prod", both)[0]


def test_staging_and_dev_may_use_access_lists_only():
    assert load("dev").network.private_endpoints == []

    def drop(config):
        del config[NETWORK]["privateEndpoints"]

    assert load("staging", drop).network.private_endpoints == []


def test_opt_out_outside_prod_is_refused():
    found = problems("dev", lambda c: c[NETWORK].__setitem__("privateEndpointOptOutReason", "nothing private in dev at all"))
    assert found == [f"{NETWORK}: privateEndpointOptOutReason only applies to prod (this stack is dev); remove it"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("vpcId", "vpc-xyz", "'vpc-xyz' is not a VPC id; write the id AWS shows for it"),
        ("subnetIds", ["subnet-0a1b2c3d4e5f60711", "subnet-bad"], "'subnet-bad' is not a subnet id"),
        ("subnetIds", ["subnet-0a1b2c3d4e5f60711"], "prod needs subnets in at least two availability zones (got 1)"),
        (
            "subnetIds",
            ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60711"],
            "subnet 'subnet-0a1b2c3d4e5f60711' appears at [0] and [1]",
        ),
        ("name", "App VPC", "'App VPC' is not a valid name"),
    ],
)
def test_bad_vpc_is_refused(path, value, message):
    found = problems("prod", lambda c: first_vpc(c).__setitem__(path, value))
    assert len(found) == 1 and found[0].startswith(f"{NETWORK}.privateEndpoints[0].vpcs[0].{path}"), found
    assert message in found[0]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"cidrBlock": "0.0.0.0/0"}, "allows every address on the internet"),
        ({"cidrBlock": "10.10.32.1/20"}, "its network address is 10.10.32.0/20"),
        ({"securityGroupId": "sg-nothex00"}, "'sg-nothex00' is not a security group id"),
        ({"securityGroupId": "sg-0a1b2c3d4e5f60714"}, "source sg-0a1b2c3d4e5f60714 repeats [0]"),
    ],
)
def test_bad_allowed_source_is_refused(source, message):
    found = problems("prod", lambda c: first_vpc(c)["allowedSources"].append({**source, "description": "some tool"}))
    assert len(found) == 1 and found[0].startswith(f"{NETWORK}.privateEndpoints[0].vpcs[0].allowedSources[2]"), found
    assert message in found[0]


def test_allowed_source_needs_a_description():
    found = problems("prod", lambda c: first_vpc(c)["allowedSources"].append({"cidrBlock": "10.10.48.0/20"}))
    assert found[0].startswith(f"{NETWORK}.privateEndpoints[0].vpcs[0].allowedSources[2].description: required key is missing")


def test_vpc_needs_sources_or_an_existing_security_group_not_both():
    both = problems("prod", lambda c: first_vpc(c).__setitem__("securityGroupId", "sg-0a1b2c3d4e5f60799"))
    assert "VPC 'app' needs either allowedSources" in both[0]

    def neither(config):
        first_vpc(config)["allowedSources"] = []

    assert "VPC 'app' needs either allowedSources" in problems("prod", neither)[0]


def test_existing_security_group_replaces_the_sources():
    def existing(config):
        vpc = first_vpc(config)
        del vpc["allowedSources"]
        vpc["securityGroupId"] = "sg-0a1b2c3d4e5f60799"

    assert first_vpc_of(load("prod", existing)).security_group_id == "sg-0a1b2c3d4e5f60799"


def first_vpc_of(cfg: StackConfig):
    return cfg.network.private_endpoints[0].vpcs[0]


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ("US_EAST_1", "'US_EAST_1' is Atlas's form; write AWS's: us-east-1"),
        ("us-east", "'us-east' is not an AWS region; write it in AWS's form"),
        ("useast1", "'useast1' is not an AWS region"),
    ],
)
def test_region_must_be_written_the_aws_way(region, message):
    found = problems("prod", lambda c: c[NETWORK]["privateEndpoints"][0].__setitem__("region", region))
    assert found[0].startswith(f"{NETWORK}.privateEndpoints[0].region: {message}")


def test_one_endpoint_service_per_region():
    def twice(config):
        regions = config[NETWORK]["privateEndpoints"]
        regions.append(
            {
                "region": "us-east-1",
                "vpcs": [
                    {
                        "name": "other",
                        "vpcId": "vpc-0a1b2c3d4e5f60799",
                        "subnetIds": ["subnet-0a1b2c3d4e5f60797", "subnet-0a1b2c3d4e5f60798"],
                        "securityGroupId": "sg-0a1b2c3d4e5f60799",
                    }
                ],
            }
        )

    # Prod lists us-east-1, us-east-2 and us-west-2: the repeated entry is the fourth.
    assert problems("prod", twice) == [f"{NETWORK}.privateEndpoints: region 'us-east-1' appears at [0] and [3]; keep one entry"]


def without_endpoint_in(region: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        endpoints = config[NETWORK]["privateEndpoints"]
        assert region in {e["region"] for e in endpoints}
        endpoints[:] = [e for e in endpoints if e["region"] != region]

    return change


def with_read_only_nodes_in(region: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[key("cluster")]["regions"].append({"region": region, "priority": 0, "electableNodes": 0, "readOnlyNodes": 1})
        if key("resourcePolicies") in config:
            config[key("resourcePolicies")]["allowedRegions"].append(region)

    return change


def endpoint_missing_in(regions: str) -> str:
    return (
        f"{NETWORK}: the cluster has nodes in {regions} but privateEndpoints has no entry there; Atlas gives a "
        "multi-region cluster a private connection string only when every region with nodes has an endpoint: "
        f"add privateEndpoints entries for {regions} (`- region: <region>` with no vpcs when only other regions' "
        "VPCs reach it, over cross-region PrivateLink)"
    )


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        (without_endpoint_in("us-west-2"), "us-west-2"),
        (without_endpoint_in("us-east-2"), "us-east-2"),
        # A region with read-only nodes only is a region with nodes: it needs an endpoint too.
        (with_read_only_nodes_in("eu-west-1"), "eu-west-1"),
    ],
    ids=["electable-us-west-2", "electable-us-east-2", "read-only-eu-west-1"],
)
def test_prod_cluster_region_without_a_private_endpoint_is_refused(change, missing):
    assert problems("prod", change) == [endpoint_missing_in(missing)]


def test_every_uncovered_cluster_region_is_named_in_the_one_problem():
    def only_us_east_1(config):
        without_endpoint_in("us-east-2")(config)
        without_endpoint_in("us-west-2")(config)

    assert problems("prod", only_us_east_1) == [endpoint_missing_in("us-east-2, us-west-2")]


def test_endpoint_in_a_region_without_cluster_nodes_is_allowed():
    def extra(config):
        config[NETWORK]["privateEndpoints"].append(
            {
                "region": "eu-west-1",
                "vpcs": [
                    {
                        "name": "eu",
                        "vpcId": "vpc-0a1b2c3d4e5f60790",
                        "subnetIds": ["subnet-0a1b2c3d4e5f60791", "subnet-0a1b2c3d4e5f60792"],
                        "securityGroupId": "sg-0a1b2c3d4e5f60793",
                    }
                ],
            }
        )

    cfg = load("prod", extra)
    assert [e.region for e in cfg.network.private_endpoints] == ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"]
    # Its VPC reaches the cluster's regions cross-region: no endpoint service of its own there.
    assert cfg.private_service_regions() == ["us-east-1", "us-east-2", "us-west-2"]


def test_a_cluster_region_may_have_no_vpc_of_its_own():
    def no_vpcs(config):
        for entry in config[NETWORK]["privateEndpoints"]:
            if entry["region"] == "us-west-2":
                entry.pop("vpcs")

    cfg = load("prod", no_vpcs)
    assert cfg.private_service_regions() == ["us-east-1", "us-east-2", "us-west-2"]
    paths = cfg.network.private_paths(cfg.private_service_regions())
    assert all("us-west-2" in path for path in paths.values())


def test_a_region_with_neither_nodes_nor_vpcs_is_refused():
    def empty(config):
        config[NETWORK]["privateEndpoints"].append({"region": "eu-west-1"})

    assert problems("prod", empty) == [
        f"{NETWORK}: privateEndpoints entry eu-west-1 has no vpcs and the cluster has no nodes there, so it would do "
        "nothing; remove it, or list the application VPCs of eu-west-1"
    ]


def test_a_cluster_region_no_vpc_reaches_is_refused():
    def unreached(config):
        entries = config[NETWORK]["privateEndpoints"]
        for entry in entries:
            if entry["region"] == "us-west-2":
                entry.pop("vpcs")
        # Nobody reaches us-west-2 then: it has no VPC, and no other VPC has a cross-region endpoint.
        for entry in entries:
            for vpc in entry.get("vpcs", []):
                vpc["crossRegionPrivateLink"] = False

    found = problems("prod", unreached)
    assert (
        f"{NETWORK}: no VPC reaches the endpoint service in us-west-2: it has no vpcs of its own and every other VPC has "
        "crossRegionPrivateLink off; list a VPC of that region, or turn crossRegionPrivateLink on for one elsewhere" in found
    )


def test_prod_without_a_cluster_is_refused():
    assert problems("prod", lambda c: c.pop(key("cluster"))) == [
        f"{key('cluster')}: a production stack needs its cluster; add a `cluster` section (see docs/cluster.md)"
    ]


@pytest.mark.parametrize("stack", ["staging", "dev"])
def test_only_prod_requires_a_cluster(stack):
    assert load(stack, lambda c: c.pop(key("cluster"))).cluster is None


# ---- one rule for private and carrier-grade NAT ranges, in every access list ----

PRIVATE_SOURCES = [
    ("cidrBlock", "10.20.0.0/16", "10.0.0.0/8, RFC 1918 private"),
    ("cidrBlock", "172.20.0.0/16", "172.16.0.0/12, RFC 1918 private"),
    ("ipAddress", "192.168.1.10", "192.168.0.0/16, RFC 1918 private"),
    ("cidrBlock", "100.64.0.0/10", "100.64.0.0/10, RFC 6598 carrier-grade NAT"),
    ("ipAddress", "100.100.1.1", "100.64.0.0/10, RFC 6598 carrier-grade NAT"),
    ("cidrBlock", "fd00:1234::/32", "fc00::/7, RFC 4193 unique local"),
]


def _project_entry(source: str, value: str):
    return lambda c: c[NETWORK]["accessList"].__setitem__(0, {source: value, "comment": "office"})


def _service_account_entry(source: str, value: str):
    return lambda c: c[key("serviceAccount")].__setitem__("accessList", [{source: value, "comment": "ci runners"}])


@pytest.mark.parametrize(("source", "value", "range_"), PRIVATE_SOURCES)
@pytest.mark.parametrize(
    ("where", "entry"),
    [("network.accessList[0]", _project_entry), ("serviceAccount.accessList[0]", _service_account_entry)],
)
def test_a_private_or_carrier_grade_nat_source_is_refused_alike_in_both_access_lists(source, value, range_, where, entry):
    from tests.conftest import one_refusal

    message = one_refusal("prod", entry(source, value))
    assert f"atlas-platform:{where}.{source}: {value!r} is a private range ({range_}); Atlas sees the public address" in message


@pytest.mark.parametrize(
    ("source", "value"), [("cidrBlock", "198.51.100.0/24"), ("ipAddress", "203.0.113.99"), ("cidrBlock", "100.128.0.0/16")]
)
def test_public_sources_next_to_the_private_ranges_pass_both_lists(source, value):
    from tests.conftest import load_changed

    assert load_changed("prod", _project_entry(source, value)).network.access_list[0].source.startswith(value.partition("/")[0])
    assert load_changed("prod", _service_account_entry(source, value)).service_account is not None


def test_private_ranges_stay_valid_sources_of_a_private_endpoint():
    """The endpoint's security group is where private ranges belong: the fixture's allowedSources hold one."""
    from tests.conftest import load_stack

    sources = [
        s.cidr_block for r in load_stack("prod").network.private_endpoints for v in r.vpcs or [] for s in v.allowed_sources or []
    ]
    assert any(c is not None and c.startswith("10.") for c in sources)
