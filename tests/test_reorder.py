"""Nothing lost on change: a reordered but equivalent stack file sends the engine exactly the same plan.

Each stack is planned as shipped and again with every list reversed (then rotated) and every
mapping's keys reversed. The engine must receive the same resource names and, per name, identical
inputs (lists compared in order: a list in a different order is an update, or a replacement, to
the engine), secret markers, dependencies and options. Where the program passes a set-like list in
config order, the component or `program_args` sorts it.

Lists whose order is meaningful, found by reading the model (`stackconfig/`):
- the contents of an audit-filter clause (`auditing.extraFilters[i]`, when written as a YAML mapping
  rather than a JSON string): BSON documents are ordered, and MongoDB matches an embedded document,
  or an array, only in the order written. The `extraFilters` list itself is not meaningful (the
  clauses are `$or` operands) and is permuted.
Nothing else is: cluster regions carry their own `priority` (the component orders region configs
by it), alert thresholds are scalars, and every other list is a set of keyed entries (users,
access-list entries, endpoints, roles, channels, subnets, ARNs, frequencies).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import STACKS, key, stack_config
from tests.harness.runner import Plan, run_stack
from tools.bench import limit_stack_config


def _meaningful(path: tuple[str | int, ...]) -> bool:
    """Inside one audit-filter clause: its order is part of what it matches."""
    return len(path) >= 3 and path[0] == key("auditing") and path[1] == "extraFilters"


def reorder(value: Any, how: str, path: tuple[str | int, ...] = ()) -> Any:
    """`value` with every list permuted (`reverse`, or `rotate` by one) and every mapping's keys reversed."""
    if _meaningful(path):
        return value
    if isinstance(value, dict):
        return {k: reorder(value[k], how, (*path, k)) for k in reversed(list(value))}
    if isinstance(value, list):
        items = [reorder(item, how, (*path, i)) for i, item in enumerate(value)]
        return items[::-1] if how == "reverse" else items[1:] + items[:1]
    return value


def permuted_lists(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of the lists `reorder` really changes (two or more different items)."""
    found: list[tuple[str | int, ...]] = []
    if _meaningful(path):
        return found
    if isinstance(value, dict):
        for k, item in value.items():
            found += permuted_lists(item, (*path, k))
    elif isinstance(value, list):
        if len({repr(item) for item in value}) > 1:
            found.append(path)
        for i, item in enumerate(value):
            found += permuted_lists(item, (*path, i))
    return found


def engine_view(plan: Plan) -> dict[str, dict[str, Any]]:
    """Per resource name, everything the engine receives for it."""
    return {
        r.name: {
            "type": r.type,
            "parent": r.parent,
            "inputs": r.inputs,
            "secret_inputs": sorted(r.secret_inputs),
            "dependencies": sorted(r.dependencies),
            "property_dependencies": {k: sorted(v) for k, v in r.property_dependencies.items()},
            "protect": r.protect,
            "retain_on_delete": r.retain_on_delete,
            "custom_timeouts": r.custom_timeouts,
        }
        for r in plan.resources
    }


def differences(before: Plan, after: Plan) -> list[str]:
    """What the engine would see change between two plans (empty: nothing)."""
    old, new = engine_view(before), engine_view(after)
    found = [f"only in the first plan: {name}" for name in sorted(old.keys() - new.keys())]
    found += [f"only in the second plan: {name}" for name in sorted(new.keys() - old.keys())]
    for name in sorted(old.keys() & new.keys()):
        for aspect, value in old[name].items():
            if new[name][aspect] != value:
                found.append(f"{name}: {aspect} differ: {value!r} != {new[name][aspect]!r}"[:400])
    if before.exports != after.exports:
        changed = sorted(k for k in before.exports.keys() | after.exports.keys() if before.exports.get(k) != after.exports.get(k))
        found.append(f"exports differ: {changed}")
    return found


@pytest.mark.parametrize("how", ["reverse", "rotate"])
@pytest.mark.parametrize("stack", STACKS)
def test_reordered_stack_file_plans_the_same_resources_and_inputs(
    stack: str, how: str, plans: Callable[[str], Plan], plan_variant: Callable[..., Plan]
) -> None:
    shipped = stack_config(stack)
    # json.dumps keeps key order: the variant really is written differently.
    assert json.dumps(reorder(shipped, how)) != json.dumps(shipped)

    def change(config: dict[str, Any]) -> None:
        reordered = reorder(dict(config), how)
        config.clear()
        config.update(reordered)

    assert differences(plans(stack), plan_variant(stack, change)) == []


@pytest.fixture(scope="module")
def limit_config() -> dict[str, Any]:
    config = limit_stack_config(stack_config("prod"))
    # Give the set-like lists the shipped prod file keeps to one item a second one.
    cluster = config[key("cluster")]
    cluster["encryption"]["keyAdminArns"].append("arn:aws:iam::111111111111:role/payments-prod-kms-admin-2")
    cluster["encryption"]["keyUserArns"] = [
        "arn:aws:iam::111111111111:role/payments-prod-kms-user-b",
        "arn:aws:iam::111111111111:role/payments-prod-kms-user-a",
    ]
    cluster["backup"]["copies"].append({"region": "eu-west-1", "frequencies": ["monthly", "daily"]})
    # The organization's regions hold every copy (stackconfig/model.py).
    config[key("resourcePolicies")]["allowedRegions"].append("eu-west-1")
    config[key("customRoles")].append(
        {"name": "ledgerReader", "actions": [{"action": "FIND", "resources": ["payments.ledger", "payments.audit"]}]}
    )
    config[key("auditing")]["extraFilters"].append('{"atype": "authCheck", "param.command": "renameCollection"}')
    config[key("databaseUsers")][0]["clusters"] = ["payments-prod-cluster1", "payments-prod-analytics"]
    config[key("databaseUsers")][0]["labels"] = {"team": "payments", "tier": "gold"}
    return config


def test_reordered_limit_stack_plans_the_same_resources_and_inputs(limit_config: dict[str, Any]) -> None:
    lists = permuted_lists(limit_config)
    # Every set-like list kind the model has is in this stack with two or more items.
    for wanted in (
        "databaseUsers",
        "customRoles",
        "teams",
        "regions",
        "copies",
        "frequencies",
        "keyAdminArns",
        "keyUserArns",
        "accessList",
        "privateEndpoints",
        "subnetIds",
        "allowedSources",
        "notifications",
        "categories",
        "extraFilters",
        "actions",
        "resources",
        "databases",
        "clusters",
    ):
        assert any(wanted in path or key(wanted) in path for path in lists), wanted
    shipped = run_stack("prod", config=limit_config)
    assert differences(shipped, run_stack("prod", config=reorder(limit_config, "reverse"))) == []


def test_reordering_inside_an_audit_clause_changes_the_filter() -> None:
    # Why the clause contents are left alone: as a YAML mapping, their order reaches Atlas.
    config = stack_config("prod")
    config[key("auditing")]["extraFilters"] = [{"atype": "authCheck", "param.command": "dropDatabase"}]
    flipped = stack_config("prod")
    flipped[key("auditing")]["extraFilters"] = [{"param.command": "dropDatabase", "atype": "authCheck"}]
    found = differences(run_stack("prod", config=config), run_stack("prod", config=flipped))
    assert len(found) == 1 and "payments-prod-audit-auditing: inputs differ" in found[0]


def test_differences_sees_a_changed_comment(plans: Callable[[str], Plan], plan_variant: Callable[..., Plan]) -> None:
    def recomment(config: dict[str, Any]) -> None:
        config[key("network")]["accessList"][0]["comment"] = "prod-bastion-2"

    found = differences(plans("prod"), plan_variant("prod", recomment))
    assert any("inputs differ" in f and "prod-bastion-2" in f for f in found)
    assert any("exports differ: ['accessListEntries']" in f for f in found)
