"""Dev and test never reach prod: no production stack shares a network source with another stack.

Every fixture stack file is loaded through the real loader (the repository's own stack files
get the same check in tests/test_your_stacks.py); each production stack is
compared with each non-production stack, one row of `SHARED` at a time. A later capability adds
its own row (database usernames, IAM role ARNs...) with the values it reads from a StackConfig
and, when equality is not enough, how two values clash (CIDRs clash when they overlap).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from stackconfig import StackConfig
from tests.conftest import STACKS, key, load_stack, stack_config


@dataclass(frozen=True)
class Shared:
    """One kind of value a production stack must never share with a non-production stack."""

    what: str
    values: Callable[[StackConfig], Iterable[Any]]
    clash: Callable[[Any, Any], bool] = lambda a, b: a == b


def _vpcs(cfg: StackConfig) -> Iterable[Any]:
    return (vpc for region in cfg.network.private_endpoints for vpc in region.vpcs)


def _security_groups(cfg: StackConfig) -> Iterable[str]:
    yield from (e.aws_security_group for e in cfg.network.access_list if e.aws_security_group)
    for vpc in _vpcs(cfg):
        if vpc.security_group_id:
            yield vpc.security_group_id
        yield from (s.security_group_id for s in vpc.allowed_sources if s.security_group_id)


def _cidrs(cfg: StackConfig) -> Iterable[Any]:
    yield from (e.network for e in cfg.network.access_list if e.network is not None)
    yield from (s.network for vpc in _vpcs(cfg) for s in vpc.allowed_sources if s.network is not None)


def _overlap(a: Any, b: Any) -> bool:
    return a.version == b.version and a.overlaps(b)


SHARED: list[Shared] = [
    Shared("VPC", lambda cfg: (vpc.vpc_id for vpc in _vpcs(cfg))),
    Shared("subnet", lambda cfg: (subnet for vpc in _vpcs(cfg) for subnet in vpc.subnet_ids)),
    Shared("security group", _security_groups),
    Shared("CIDR", _cidrs, _overlap),
    Shared("access-list entry", lambda cfg: (e.source for e in cfg.network.access_list)),
    # Production's automation calls Atlas from its own runners: a range shared with another
    # environment's service account means those runners could use either secret.
    Shared(
        "service-account access range",
        lambda cfg: (e.network for e in (cfg.service_account.access_list if cfg.service_account else [])),
        _overlap,
    ),
]


def load(stack: str, config: dict[str, Any] | None = None) -> StackConfig:
    return load_stack(stack, config)


def shared_between(prod: tuple[str, StackConfig], other: tuple[str, StackConfig], rows: list[Shared] = SHARED) -> list[str]:
    """Every value `prod` shares with `other`, one line each, naming both stacks."""
    (prod_name, prod_cfg), (other_name, other_cfg) = prod, other
    found = []
    for row in rows:
        theirs = list(row.values(other_cfg))
        for mine in row.values(prod_cfg):
            for value in theirs:
                if row.clash(mine, value):
                    found.append(f"{row.what}: {prod_name} has {mine}, {other_name} has {value}")
    return found


def isolation_problems(configs: dict[str, StackConfig]) -> list[str]:
    prods = [(name, cfg) for name, cfg in configs.items() if cfg.is_prod]
    others = [(name, cfg) for name, cfg in configs.items() if not cfg.is_prod]
    return [line for prod in prods for other in others for line in shared_between(prod, other)]


def test_no_production_stack_shares_a_network_source_with_another_environment():
    # The repository's own stacks get the same check in tests/test_your_stacks.py.
    configs = {stack: load(stack) for stack in STACKS}
    assert any(c.is_prod for c in configs.values()) and any(not c.is_prod for c in configs.values())
    assert isolation_problems(configs) == []


def test_every_row_reads_something_from_the_example_prod_stack():
    configs = [load(stack) for stack in STACKS]
    for row in SHARED:
        # A row that reads nothing from prod compares nothing.
        assert any(list(row.values(cfg)) for cfg in configs if cfg.is_prod), f"row {row.what!r} reads nothing from prod"


def endpoint_vpc(config: dict[str, Any], region: str) -> dict[str, Any]:
    """The first VPC of `region`'s private-endpoint entry in a stack file's config."""
    return next(e for e in config[key("network")]["privateEndpoints"] if e["region"] == region)["vpcs"][0]


def test_rows_read_every_region_of_the_shipped_prod_stack():
    # Prod has endpoints in us-east-1, us-east-2 and us-west-2: each region's ids are compared.
    prod = stack_config("prod")
    endpoints = prod[key("network")]["privateEndpoints"]
    assert [e["region"] for e in endpoints] == ["us-east-1", "us-east-2", "us-west-2"]
    cfg = load("prod")
    vpcs = [vpc for e in endpoints for vpc in e["vpcs"]]
    rows = {row.what: set(map(str, row.values(cfg))) for row in SHARED}
    assert rows["VPC"] == {vpc["vpcId"] for vpc in vpcs} and len(rows["VPC"]) == 3
    assert rows["subnet"] == {subnet for vpc in vpcs for subnet in vpc["subnetIds"]} and len(rows["subnet"]) == 7
    assert (
        rows["security group"] == {s["securityGroupId"] for vpc in vpcs for s in vpc["allowedSources"] if "securityGroupId" in s}
        and len(rows["security group"]) == 3
    )


def test_isolation_check_catches_staging_reusing_prod_network():
    prod = stack_config("prod")
    staging = stack_config("staging")
    network = staging[key("network")]
    prod_vpc = endpoint_vpc(prod, "us-east-1")
    standby, dr = endpoint_vpc(prod, "us-east-2"), endpoint_vpc(prod, "us-west-2")
    vpc = network["privateEndpoints"][0]["vpcs"][0]
    # Staging's own group replaced by an id no stack uses: only what this test reuses is shared
    # (the shipped files are checked by test_no_production_stack_shares_a_network_source_with_another_environment).
    vpc["allowedSources"] = [{"securityGroupId": "sg-0e2f3a4b5c6d60754", "description": "staging app tasks"}]
    vpc["vpcId"] = prod_vpc["vpcId"]
    vpc["subnetIds"] = [prod_vpc["subnetIds"][0], "subnet-0b1c2d3e4f5a60729"]
    vpc["allowedSources"].append({"securityGroupId": "sg-0a1b2c3d4e5f60714", "description": "prod app tasks"})
    # A wider range around prod's batch subnet, and prod's bastion written as its /32.
    vpc["allowedSources"].append({"cidrBlock": "10.10.0.0/16", "description": "all of the app VPC"})
    network["accessList"].append({"cidrBlock": "203.0.113.10/32", "comment": "borrowed-bastion"})
    # Prod's other regions: staging borrows each one's VPC, a subnet and its security group.
    for name, borrowed, subnet in (
        ("borrowed-standby", standby, standby["subnetIds"][1]),
        ("borrowed-dr", dr, dr["subnetIds"][0]),
    ):
        network["privateEndpoints"][0]["vpcs"].append(
            {
                "name": name,
                "vpcId": borrowed["vpcId"],
                "subnetIds": [subnet],
                "allowedSources": [{"securityGroupId": borrowed["allowedSources"][0]["securityGroupId"], "description": name}],
            }
        )

    found = isolation_problems({"prod": load("prod", prod), "staging": load("staging", staging)})
    # The standby ids are read from the file: the shipped ones are staging's own and must change.
    standby_vpc, standby_subnet = standby["vpcId"], standby["subnetIds"][1]
    standby_sg = standby["allowedSources"][0]["securityGroupId"]
    assert found == [
        "VPC: prod has vpc-0a1b2c3d4e5f60710, staging has vpc-0a1b2c3d4e5f60710",
        f"VPC: prod has {standby_vpc}, staging has {standby_vpc}",
        "VPC: prod has vpc-0c1d2e3f4a5b60730, staging has vpc-0c1d2e3f4a5b60730",
        "subnet: prod has subnet-0a1b2c3d4e5f60711, staging has subnet-0a1b2c3d4e5f60711",
        f"subnet: prod has {standby_subnet}, staging has {standby_subnet}",
        "subnet: prod has subnet-0c1d2e3f4a5b60731, staging has subnet-0c1d2e3f4a5b60731",
        "security group: prod has sg-0a1b2c3d4e5f60714, staging has sg-0a1b2c3d4e5f60714",
        f"security group: prod has {standby_sg}, staging has {standby_sg}",
        "security group: prod has sg-0c1d2e3f4a5b60734, staging has sg-0c1d2e3f4a5b60734",
        "CIDR: prod has 203.0.113.10/32, staging has 203.0.113.10/32",
        "CIDR: prod has 10.10.32.0/20, staging has 10.10.0.0/16",
        "access-list entry: prod has 203.0.113.10/32, staging has 203.0.113.10/32",
    ]


def test_isolation_check_compares_by_environment_not_by_file_name():
    # A second production stack (e.g. another region) is held to the same rule against dev.
    prod_eu = load("prod")
    dev = stack_config("dev")
    dev[key("network")]["accessList"].append({"ipAddress": "203.0.113.70", "comment": "dev-laptop"})
    assert isolation_problems({"prod-eu": prod_eu, "dev": load("dev", dev)}) == [
        "CIDR: prod-eu has 203.0.113.64/28, dev has 203.0.113.70/32",
    ]


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [("10.0.0.0/8", "10.20.0.0/16", True), ("10.0.0.0/16", "10.1.0.0/16", False), ("10.0.0.0/8", "2001:db8::/32", False)],
)
def test_cidrs_clash_when_they_overlap(a, b, clash):
    assert _overlap(ipaddress.ip_network(a), ipaddress.ip_network(b)) is clash
