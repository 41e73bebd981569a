"""Your stacks' regions agree across the organization: every root `Pulumi.<stack>.yaml` and its
`policies/config/<stack>.json`, whatever they hold.

Atlas applies the org's allowed-regions resource policy to every cluster of every project, and the
one stack that manages it (`resourcePolicies.enabled` with `restrictRegions`) states the
organization's regions in `allowedRegions`. A staging or second production cluster outside that list
passes its own stack's checks and is refused by Atlas at `pulumi up`; these tests find it offline.
Like tests/test_your_stacks.py they assert only what holds for any valid set of stacks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from atlas_platform.components.atlas_rules import region_name
from stackconfig import StackConfig
from tests.conftest import ROOT, YOUR_STACKS, load_your_stack

POLICY_CONFIG_DIR = ROOT / "policies" / "config"
REGIONS_POLICY = "atlas-cluster-allowed-regions"


def _stacks() -> dict[str, StackConfig]:
    return {stack: load_your_stack(stack) for stack in YOUR_STACKS}


def org_regions(configs: dict[str, StackConfig]) -> tuple[str, list[str]] | None:
    """The stack that states the organization's regions and those regions; None when no stack restricts them."""
    owners = [
        (stack, cfg.resource_policies.allowed_regions or [])
        for stack, cfg in sorted(configs.items())
        if cfg.resource_policies.enabled and cfg.resource_policies.restrict_regions
    ]
    # At most one stack manages the org's policies (tests/test_your_stacks.py checks it).
    return owners[0] if owners else None


def policy_regions(stack: str) -> list[str] | None:
    """`allowedRegions` of the pack's region check in policies/config/<stack>.json (aws:<region>), if it sets one."""
    path = POLICY_CONFIG_DIR / f"{stack}.json"
    if not path.exists():
        return None
    settings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")).get(REGIONS_POLICY) or {}
    regions = settings.get("allowedRegions")
    return None if regions is None else [str(r).lower() for r in regions]


def _outside_org(configs: dict[str, StackConfig]) -> dict[str, list[str]]:
    owned = org_regions(configs)
    if owned is None:
        return {}
    allowed = set(owned[1])
    return {
        stack: outside
        for stack, cfg in sorted(configs.items())
        if cfg.cluster is not None and (outside := [r for r in cfg.cluster.data_regions if r not in allowed])
    }


def test_every_cluster_and_backup_copy_of_your_stacks_is_inside_the_org_regions() -> None:
    configs = _stacks()
    owned = org_regions(configs)
    assert _outside_org(configs) == {}, (
        f"Atlas would refuse these stacks' clusters (or hold their backup copies outside the organization's regions): "
        f"add the regions to resourcePolicies.allowedRegions in Pulumi.{owned[0] if owned else '?'}.yaml"
    )


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_policy_config_allows_the_stacks_own_cluster_regions(stack: str) -> None:
    cluster, regions = load_your_stack(stack).cluster, policy_regions(stack)
    if cluster is None or regions is None:
        return
    missing = [region_name("aws", r.region) for r in cluster.regions if region_name("aws", r.region) not in regions]
    assert missing == [], f"policies/config/{stack}.json {REGIONS_POLICY}.allowedRegions leaves out {missing}"


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_policy_config_allows_no_region_outside_the_org_regions(stack: str) -> None:
    owned, regions = org_regions(_stacks()), policy_regions(stack)
    if owned is None or regions is None:
        return
    allowed = {region_name("aws", r) for r in owned[1]}
    wider = [r for r in regions if r not in allowed]
    assert wider == [], (
        f"policies/config/{stack}.json {REGIONS_POLICY}.allowedRegions has {wider}, outside the organization's regions "
        f"(Pulumi.{owned[0]}.yaml resourcePolicies.allowedRegions): the preview would pass a cluster Atlas refuses"
    )


# --- the checks themselves, on a made-up set of stacks (fixtures, not your files) ----------------


def test_the_region_check_catches_a_staging_cluster_outside_the_org_regions() -> None:
    from tests.conftest import load_changed

    def to_frankfurt(config: dict[str, Any]) -> None:
        config["atlas-platform:cluster"]["regions"][0]["region"] = "eu-central-1"
        for endpoint in config.get("atlas-platform:network", {}).get("privateEndpoints", []):
            endpoint["region"] = "eu-central-1"

    configs = {"prod": load_changed("prod", lambda c: None), "staging": load_changed("staging", to_frankfurt)}
    assert _outside_org(configs) == {"staging": ["eu-central-1"]}
