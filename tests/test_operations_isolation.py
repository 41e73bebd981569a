"""Across stacks: no Atlas resource is managed by two stacks.

Project-level resources live in each stack's own project. Org-level ones (the project itself by
name, resource policies, IdP group mappings, teams) are one object in Atlas whichever stack
declares them: two stacks declaring the same one would overwrite each other on every `pulumi up`,
and the first `pulumi destroy` would delete it for both.
"""

from __future__ import annotations

import json
from typing import Any

from atlas_platform.components.atlas_rules import RULES
from tests.conftest import STACKS, key, load_stack, stack_config
from tests.harness.mocks import Registration
from tests.harness.runner import Plan

# Type token -> the inputs that name the one Atlas object it manages.
ORG_LEVEL_IDENTITY: dict[str, tuple[str, ...]] = {
    "mongodbatlas:index/project:Project": ("orgId", "name"),
    "mongodbatlas:index/resourcePolicy:ResourcePolicy": ("orgId", "name"),
    "mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping": (
        "federationSettingsId",
        "orgId",
        "externalGroupName",
    ),
    "mongodbatlas:index/team:Team": ("orgId", "name"),
    # The organization takes no id input (it is adopted by id with `pulumi import`): a repository
    # holds one organization, so any two stacks declaring one manage the same one.
    "mongodbatlas:index/organization:Organization": (),
    "mongodbatlas:index/federatedSettingsOrgConfig:FederatedSettingsOrgConfig": ("federationSettingsId", "orgId"),
}


def org_identity(resource: Registration) -> tuple[Any, ...] | None:
    """The org-level object a resource manages, or None for project-level resources."""
    props = resource.inputs
    if resource.type in ORG_LEVEL_IDENTITY:
        return (resource.type, *(props.get(name) for name in ORG_LEVEL_IDENTITY[resource.type]))
    # Types added later on other branches: anything bound to the org and not to a project is
    # org-level; identical inputs then mean the same object.
    if resource.custom and "orgId" in props and "projectId" not in props:
        return (resource.type, json.dumps(props, sort_keys=True, default=str))
    return None


def shared_org_resources(plans: dict[str, Plan]) -> list[str]:
    """Every org-level object that more than one stack would manage, named with those stacks."""
    owners: dict[tuple[Any, ...], list[str]] = {}
    for stack, plan in plans.items():
        for resource in plan.resources:
            identity = org_identity(resource)
            if identity is not None:
                owners.setdefault(identity, []).append(f"{stack}:{resource.name}")
    return [f"{identity} is managed by {', '.join(where)}" for identity, where in owners.items() if len(where) > 1]


def stacks_enabling_resource_policies(configs: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(
        stack for stack, config in configs.items() if (config.get(key("resourcePolicies")) or {}).get("enabled") is True
    )


def stack_files() -> dict[str, dict[str, Any]]:
    return {stack: stack_config(stack) for stack in STACKS}


def test_at_most_one_stack_file_manages_resource_policies():
    enabling = stacks_enabling_resource_policies(stack_files())
    assert len(enabling) <= 1, f"resource policies are org-level; only one stack may enable them, found {enabling}"
    assert enabling == ["prod"]


def test_the_one_stack_check_fails_when_a_second_stack_enables_policies():
    configs = stack_files()
    configs["staging"][key("resourcePolicies")] = {"enabled": True}
    assert stacks_enabling_resource_policies(configs) == ["prod", "staging"]


def test_no_org_level_resource_is_managed_by_two_stacks(plans):
    all_plans = {stack: plans(stack) for stack in STACKS}
    assert any(org_identity(r) for r in all_plans["prod"].resources), "the check found no org-level resource to compare"
    assert shared_org_resources(all_plans) == []


def test_shared_resource_check_catches_a_bad_pair(plans, plan_variant):
    def enable_policies(config: dict[str, Any]) -> None:
        config[key("resourcePolicies")] = {"enabled": True, "allowedRegions": ["us-east-1"]}

    conflicts = shared_org_resources({"prod": plans("prod"), "staging": plan_variant("staging", enable_policies)})
    # Staging is not production: every table rule but the production-only ones.
    assert len(conflicts) == sum(not rule.production_only for rule in RULES)
    assert any("'forbid-open-access-list'" in c and "prod:" in c and "staging:" in c for c in conflicts)


def test_shared_idp_group_between_stacks_is_caught(plans, plan_variant):
    def reuse_prod_group(config: dict[str, Any]) -> None:
        config[key("federation")]["groups"][0]["externalGroupName"] = "payments-prod-oncall"

    conflicts = shared_org_resources({"prod": plans("prod"), "staging": plan_variant("staging", reuse_prod_group)})
    assert len(conflicts) == 1 and "payments-prod-oncall" in conflicts[0]


def test_same_project_name_in_two_stacks_is_caught(plans, plan_variant):
    staging = plan_variant("staging", lambda c: c.__setitem__(key("projectName"), "payments-prod"))
    conflicts = shared_org_resources({"prod": plans("prod"), "staging": staging})
    assert len(conflicts) == 1 and "'payments-prod'" in conflicts[0]


def stacks_managing_the_organization(configs: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(stack for stack, config in configs.items() if config.get(key("organization")) is not None)


def test_exactly_one_stack_file_manages_the_organization():
    owners = stacks_managing_the_organization(stack_files())
    assert len(owners) == 1, f"the organization's settings are managed by exactly one stack, found {owners}"
    assert load_stack(owners[0]).is_prod, "the owning stack is a production one"


def test_a_second_stack_declaring_the_organization_is_caught(plans, plan_variant):
    # Another application's production stack in the same organization (`orders-prod`) copying the section.
    orders = plan_variant("prod", lambda config: config.__setitem__(key("app"), "orders"))
    conflicts = shared_org_resources({"prod": plans("prod"), "orders-prod": orders})
    assert any("organization:Organization" in c and "prod:" in c and "orders-prod:" in c for c in conflicts)
