"""The stack that manages the org's resource policies states the organization's regions.

Atlas applies the allowed-regions rule to every cluster of the organization; a list defaulted from
the managing stack's own regions refused other stacks' clusters at `pulumi up` only (issue 20).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import key, load_changed, one_refusal


def _policies(**settings: Any):
    def change(config: dict[str, Any]) -> None:
        config[key("resourcePolicies")] = {"enabled": True, **settings}

    return change


def test_the_managing_stack_without_the_org_regions_is_refused_with_what_to_write():
    message = one_refusal("prod", _policies())
    assert "atlas-platform:resourcePolicies:" in message
    assert "set allowedRegions to every AWS region where any of your stacks has cluster nodes or backup copies" in message
    # Its own regions, backup copies included, as the start of the list to write.
    assert "(this stack's own: us-east-1, us-east-2, us-west-2, us-west-1)" in message


def test_the_org_regions_must_hold_the_stacks_backup_copies():
    message = one_refusal("prod", _policies(allowedRegions=["us-east-1", "us-east-2", "us-west-2"]))
    assert "leaves out us-west-1, where this stack's cluster has nodes or backup copies" in message


def test_the_org_regions_may_hold_other_stacks_regions():
    cfg = load_changed("prod", _policies(allowedRegions=["eu-central-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"]))
    assert cfg.resource_policies.allowed_regions is not None
    assert "eu-central-1" in cfg.resource_policies.allowed_regions


def test_without_the_region_rule_no_regions_are_needed():
    cfg = load_changed("prod", _policies(restrictRegions=False))
    assert cfg.resource_policies.allowed_regions is None


def test_the_org_regions_reach_atlas_in_the_region_rule(plans):
    (rule,) = [
        r
        for r in plans("prod").of_type("mongodbatlas:index/resourcePolicy:ResourcePolicy")
        if r.inputs["name"] == "allowed-regions"
    ]
    body = rule.inputs["policies"][0]["body"]
    for region in ("us-east-1", "us-east-2", "us-west-1", "us-west-2"):
        assert f'"aws:{region}"' in body
