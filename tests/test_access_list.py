"""IpAccessList under mocks, and no public range anywhere in what any stack sends to the engine."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings

from atlas_platform.components.access_list import AccessListEntry, IpAccessList, IpAccessListArgs
from tests.conftest import STACKS, key
from tests.harness.mocks import AtlasMocks, RecordingMonitor, Registration

ENTRY = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
PROJECT = "mongodbatlas:index/project:Project"
COMPONENT = "atlas-platform:index:IpAccessList"
SOURCES = ("ipAddress", "cidrBlock", "awsSecurityGroup")
NETWORK = key("network")


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


# Replacing an entry: every field forces a replacement, Create upserts and Delete removes by value
# (terraform-provider-mongodbatlas v2.16, internal/service/projectipaccesslist/), so only a
# delete-first replacement keeps the entry in Atlas; and two spellings of one entry must be one
# resource, or Pulumi creates the "new" one (a no-op upsert) and then deletes the "old" one.


class AliasRecordingMonitor(RecordingMonitor):
    """RecordingMonitor that also keeps each resource's aliases (the names it was known by before)."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.aliases: dict[str, list[str]] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.aliases[request.name] = [a.spec.name or a.urn for a in request.aliases]
        return response


def build(entries: Sequence[AccessListEntry]) -> tuple[dict[str, Registration], dict[str, list[str]]]:
    """The component alone, as another program would use it: its entries by name, and their aliases."""
    monitor = AliasRecordingMonitor(AtlasMocks())
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(AtlasMocks(), project="unit", stack="unit", preview=False, monitor=monitor)
    ran: list[list[str]] = []

    @pulumi.runtime.test
    def program() -> Any:
        component = IpAccessList("access", IpAccessListArgs(project_id="5f0000000000000000000a01", entries=entries))
        return component.entry_ids.apply(ran.append)

    program()
    assert ran and len(ran[0]) == len(entries), "the component's outputs never resolved"
    registered = {r.name: r for r in monitor.registrations if r.type == ENTRY}
    return registered, {name: monitor.aliases[name] for name in registered}


def plan_of(entries: Sequence[AccessListEntry]) -> dict[str, dict[str, Any]]:
    return {name: r.inputs for name, r in build(entries)[0].items()}


@pytest.mark.parametrize(
    "entry",
    [
        AccessListEntry(comment="bastion", ip_address="198.51.100.7"),
        AccessListEntry(comment="bastion", ip_address="2001:db8::7"),
        AccessListEntry(comment="nat", cidr_block="198.51.100.64/28"),
        AccessListEntry(comment="etl", aws_security_group="sg-0b1c2d3e4f5a60799"),
    ],
)
def test_comment_edit_keeps_the_name_and_replaces_delete_first(entry):
    before, _ = build([entry])
    after, _ = build([AccessListEntry(**{**entry.__dict__, "comment": "reviewed 2025-Q3: still needed"})])
    assert list(before) == list(after)
    (resource,) = after.values()
    assert resource.delete_before_replace, "create-then-delete would remove the entry it had just written"
    assert resource.inputs["comment"] == "reviewed 2025-Q3: still needed"


@pytest.mark.parametrize(
    ("spellings", "name", "sent"),
    [
        (
            [{"ip_address": "203.0.113.10"}, {"cidr_block": "203.0.113.10/32"}, {"ip_address": " 203.0.113.10 "}],
            "access-203-0-113-10",
            {"ipAddress": "203.0.113.10"},
        ),
        (
            [
                {"ip_address": "2001:db8::10"},
                {"ip_address": "2001:0DB8:0000::0010"},
                {"cidr_block": "2001:db8::10/128"},
                {"cidr_block": "2001:DB8:0:0::10/128"},
            ],
            "access-2001-db8--10",
            {"ipAddress": "2001:db8::10"},
        ),
        (
            [{"cidr_block": "2001:db8:ab::/48"}, {"cidr_block": "2001:0DB8:00AB:0000::/48"}],
            "access-2001-db8-ab---48",
            {"cidrBlock": "2001:db8:ab::/48"},
        ),
    ],
)
def test_one_entry_however_spelled_is_one_resource_with_one_form(spellings, name, sent):
    plans = [plan_of([AccessListEntry(comment="one-source", **spelling)]) for spelling in spellings]
    expected = {name: {"projectId": "5f0000000000000000000a01", "comment": "one-source", **sent}}
    assert all(plan == expected for plan in plans), plans


@pytest.mark.parametrize(
    ("written", "old_name", "new_name"),
    [
        ({"cidr_block": "203.0.113.10/32"}, "access-203-0-113-10-32", "access-203-0-113-10"),
        ({"cidr_block": "2001:db8::10/128"}, "access-2001-db8--10-128", "access-2001-db8--10"),
        ({"ip_address": "2001:0db8::0010"}, "access-2001-0db8--0010", "access-2001-db8--10"),
    ],
)
def test_a_renamed_spelling_keeps_its_old_name_as_an_alias(written, old_name, new_name):
    """Before normalized names, an entry was named from its text as written: upgrading renames it, not replaces it."""
    registered, aliases = build([AccessListEntry(comment="one-source", **written)])
    assert list(registered) == [new_name]
    assert aliases == {new_name: [old_name]}


def test_names_already_normalized_carry_no_alias():
    entries = [
        AccessListEntry(comment="bastion", ip_address="203.0.113.10"),
        AccessListEntry(comment="nat", cidr_block="203.0.113.64/28"),
        AccessListEntry(comment="etl", aws_security_group="sg-0b1c2d3e4f5a60799"),
    ]
    registered, aliases = build(entries)
    assert all(aliases[name] == [] for name in registered), aliases


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [AccessListEntry(comment="a", ip_address="203.0.113.10"), AccessListEntry(comment="b", cidr_block="203.0.113.10/32")],
            "would share the name 'access-203-0-113-10'",
        ),
        (
            [AccessListEntry(comment="office", cidr_block="10.0.0.1/8")],
            "access-list entry 'office': 10.0.0.1/8 has host bits set",
        ),
        ([AccessListEntry(comment="host", ip_address="2001:db8::1%eth0")], "has a zone id"),
    ],
)
def test_component_refuses_entries_it_cannot_name_safely(entries, message):
    with pytest.raises(ValueError, match=message):
        build(entries)


@pytest.mark.parametrize("stack", STACKS)
def test_every_entry_replaces_delete_first_and_sends_one_canonical_form(plans, stack):
    for entry in plans(stack).of_type(ENTRY):
        assert entry.delete_before_replace, entry.name
        if "ipAddress" in entry.inputs:
            assert str(ipaddress.ip_address(entry.inputs["ipAddress"])) == entry.inputs["ipAddress"]
        if "cidrBlock" in entry.inputs:
            network = ipaddress.ip_network(entry.inputs["cidrBlock"])
            assert str(network) == entry.inputs["cidrBlock"] and network.num_addresses > 1, "a single host goes as ipAddress"


def with_access_list(*entries: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[NETWORK]["accessList"] = list(entries)

    return change


@pytest.mark.parametrize("stack", STACKS)
def test_stack_respelling_entries_plans_the_same_resources(plan_variant, stack):
    written = with_access_list(
        {"ipAddress": "192.0.2.70", "comment": "fixture-bastion"},
        {"ipAddress": "2001:db8:70::1", "comment": "fixture-v6-tool"},
        {"cidrBlock": "192.0.2.96/28", "comment": "fixture-nat"},
    )
    respelled = with_access_list(
        {"cidrBlock": "2001:DB8:70:0::1/128", "comment": "fixture-v6-tool"},
        {"cidrBlock": "192.0.2.96/28", "comment": "fixture-nat"},
        {"cidrBlock": "192.0.2.70/32", "comment": "fixture-bastion"},
    )
    before = {r.name: r.inputs for r in plan_variant(stack, written).of_type(ENTRY)}
    after = {r.name: r.inputs for r in plan_variant(stack, respelled).of_type(ENTRY)}
    assert len(before) == 3 and before == after


@pytest.mark.parametrize("stack", STACKS)
def test_stack_comment_edit_replaces_in_place_delete_first(plans, plan_variant, stack):
    def review(config: dict[str, Any]) -> None:
        for entry in config[NETWORK]["accessList"]:
            entry["comment"] = f"reviewed: {entry['comment']}"[:80]

    before = {r.name: r for r in plans(stack).of_type(ENTRY)}
    after = {r.name: r for r in plan_variant(stack, review).of_type(ENTRY)}
    assert before and list(before) == list(after)
    for name, entry in after.items():
        assert entry.delete_before_replace and entry.inputs["comment"].startswith("reviewed: "), name
        assert {k: v for k, v in entry.inputs.items() if k != "comment"} == {
            k: v for k, v in before[name].inputs.items() if k != "comment"
        }
