"""IpAccessList under mocks, and no public range anywhere in what any stack sends to the engine."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import pytest

from tests.conftest import STACKS, key

ENTRY = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
PROJECT = "mongodbatlas:index/project:Project"
COMPONENT = "atlas:prod:IpAccessList"
SOURCES = ("ipAddress", "cidrBlock", "awsSecurityGroup")


def strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def networks(value: Any) -> Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Every string in `value` that reads as an address or a range."""
    for text in strings(value):
        try:
            yield ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue


@pytest.mark.parametrize("stack", STACKS)
def test_every_entry_has_a_comment_and_one_source(plans, stack):
    entries = plans(stack).of_type(ENTRY)
    assert entries, f"{stack} has no access-list entry"
    for entry in entries:
        assert len(entry.inputs["comment"].strip()) >= 3
        assert len([s for s in SOURCES if entry.inputs.get(s)]) == 1, entry.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_no_public_range_anywhere(plans, stack):
    found = 0
    for resource in plans(stack).resources:
        for network in networks(resource.inputs):
            found += 1
            widest = 8 if network.version == 4 else 32
            assert network.prefixlen >= widest, f"{resource.name} opens {network}"
            assert not network.network_address.is_unspecified, f"{resource.name} names {network}"
    assert found, "no address was checked: the scan is looking in the wrong place"


def test_prod_access_list_is_exactly_the_stack_file(plans):
    plan = plans("prod")
    project = plan.one(PROJECT)
    entries = {e.name: e.inputs for e in plan.of_type(ENTRY)}
    assert entries == {
        "payments-prod-access-203-0-113-10": {"projectId": project.id, "ipAddress": "203.0.113.10", "comment": "prod-bastion"},
        "payments-prod-access-203-0-113-64-28": {
            "projectId": project.id,
            "cidrBlock": "203.0.113.64/28",
            "comment": "prod-monitoring-nat",
        },
    }
    component = plan.one(COMPONENT)
    assert all(e.parent == component.urn for e in plan.of_type(ENTRY))
    assert plan.exports["accessListEntries"] == ["prod-bastion", "prod-monitoring-nat"]


def test_security_group_entry_reaches_atlas(plan_variant):
    def add(config):
        config[key("network")]["accessList"].append({"awsSecurityGroup": "sg-0b1c2d3e4f5a60799", "comment": "staging-peered-etl"})

    plan = plan_variant("staging", add)
    entry = plan.named("payments-staging-access-sg-0b1c2d3e4f5a60799")
    assert entry.inputs["awsSecurityGroup"] == "sg-0b1c2d3e4f5a60799" and "cidrBlock" not in entry.inputs


def test_reordering_entries_replaces_nothing(plans, plan_variant):
    before = {r.name: r.inputs for r in plans("prod").of_type(ENTRY)}
    after = {r.name: r.inputs for r in plan_variant("prod", lambda c: c[key("network")]["accessList"].reverse()).of_type(ENTRY)}
    assert before == after


def test_no_access_list_means_no_component(plan_variant):
    plan = plan_variant("staging", lambda c: c[key("network")].pop("accessList"))
    assert plan.of_type(COMPONENT) == [] and plan.of_type(ENTRY) == []
