"""Your stacks: every root `Pulumi.<stack>.yaml`, whatever it holds, against what any valid stack must do.

These are the only tests that read the repository's own stack files (the behaviour tests read
their fixtures in tests/fixtures/). They assert nothing about the shipped example's values: rename
the app, swap the ids, shrink the cluster or add a `qa` stack (README, "Make it yours"), and they
still hold. Each stack loads; plans under the mock runtime; passes the policy pack; names its
resources from its own `app` and `environment`; plans the same when its file is written in
another order; and shares no network source or org-level object with another stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from stackconfig import StackConfig
from tests.conftest import ROOT, YOUR_STACKS, load_your_stack
from tests.harness.policy import config_for_stack, reconcile_config
from tests.harness.runner import Plan, run_stack
from tests.test_isolation import isolation_problems
from tests.test_operations_isolation import shared_org_resources, stacks_enabling_resource_policies
from tests.test_reorder import differences, reorder
from tests.test_users_isolation import iam_accounts, shared_with_prod

PROJECT = "mongodbatlas:index/project:Project"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"


def your_config(stack: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"])


def test_the_repository_has_stacks():
    assert YOUR_STACKS, "no Pulumi.<stack>.yaml at the repository root"


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_loads(stack: str) -> None:
    cfg = load_your_stack(stack)
    assert cfg.environment and cfg.app


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_plans_its_project_and_cluster(stack: str, your_plans: Callable[[str], Plan]) -> None:
    cfg = load_your_stack(stack)
    plan = your_plans(stack)
    assert plan.one(PROJECT).inputs["name"] == cfg.resolved_project_name
    assert plan.one(CLUSTER).inputs["name"].startswith(f"{cfg.app}-{cfg.environment}-")
    assert plan.exports["environment"] == cfg.environment
    assert plan.exports["projectName"] == cfg.resolved_project_name


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_names_its_resources_from_its_own_app_and_environment(stack: str, your_plans: Callable[[str], Plan]) -> None:
    cfg = load_your_stack(stack)
    own = f"{cfg.app}-{cfg.environment}"
    # The organization's settings and resource policies are org-level, one set per organization, so
    # they carry the app, not an environment.
    org = f"{cfg.app}-org"
    strays = [
        (r.type, r.name)
        for r in your_plans(stack).resources
        if r.name not in (own, org) and not r.name.startswith((f"{own}-", f"{org}-"))
    ]
    assert strays == []


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_passes_the_policy_pack(stack: str, policy_pack: Any, your_plans: Callable[[str], Plan]) -> None:
    report = policy_pack.check_plan(your_plans(stack))
    assert [f.line() for f in report.mandatory] == []


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_policy_config_file_if_any_is_valid_for_the_pack(stack: str, policy_pack: Any) -> None:
    # policies/config/<stack>.json is optional outside production (README, "Adding an environment"); a
    # production stack without one fails test_your_stack_passes_the_policy_pack, naming the file.
    config = config_for_stack(stack)
    if config:
        reconcile_config(policy_pack.info, config)
    assert config or not load_your_stack(stack).is_prod, f"production stack {stack} has no policies/config/{stack}.json"


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_your_stack_plans_the_same_written_in_another_order(stack: str, your_plans: Callable[[str], Plan]) -> None:
    config = your_config(stack)
    reversed_config = reorder(config, "reverse")
    assert differences(your_plans(stack), run_stack(stack, config=reversed_config)) == []


def _configs() -> dict[str, StackConfig]:
    return {stack: load_your_stack(stack) for stack in YOUR_STACKS}


def test_your_production_stacks_share_no_network_source_with_another_environment() -> None:
    assert isolation_problems(_configs()) == []


def test_your_production_stacks_share_no_database_identity_or_aws_account_with_another_environment() -> None:
    configs = _configs()
    pairs = [(p, o) for p in configs for o in configs if configs[p].is_prod and not configs[o].is_prod]
    shared = {f"{p}/{o}": shared_with_prod(configs[p], configs[o]) for p, o in pairs}
    assert {pair: found for pair, found in shared.items() if found} == {}
    accounts = {f"{p}/{o}": iam_accounts(configs[p]) & iam_accounts(configs[o]) for p, o in pairs}
    assert {pair: found for pair, found in accounts.items() if found} == {}


def test_your_stacks_have_projects_of_their_own() -> None:
    names = [cfg.resolved_project_name for cfg in _configs().values()]
    assert sorted(names) == sorted(set(names)), names


def test_no_org_level_object_is_managed_by_two_of_your_stacks(your_plans: Callable[[str], Plan]) -> None:
    assert shared_org_resources({stack: your_plans(stack) for stack in YOUR_STACKS}) == []


def test_at_most_one_of_your_stacks_manages_resource_policies() -> None:
    enabling = stacks_enabling_resource_policies({stack: your_config(stack) for stack in YOUR_STACKS})
    assert len(enabling) <= 1, f"resource policies are org-level; only one stack may enable them, found {enabling}"


def _review_scenarios(stack: str, your_plans: Callable[[str], Plan]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    from datetime import UTC, datetime

    from tests.harness.atlas_state import clean_project, database_user, with_change

    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    clean = clean_project(your_plans(stack), now=now)
    hand_added = database_user({"username": "added-in-the-ui", "roles": [{"roleName": "atlasAdmin", "databaseName": "admin"}]})
    return now, clean, with_change(clean, lambda d: d["listGroupDatabaseUsers"].append(hand_added))


@pytest.mark.parametrize("stack", YOUR_STACKS)
def test_the_review_finds_nothing_on_the_stacks_own_project_and_reports_a_hand_added_user(stack, your_plans, atlas):
    """The live review against the scenario server serving the project exactly as the stack declares it."""
    from tests.harness.atlas_server import TEST_SERVICE_ACCOUNT, Scenario, environment
    from tools.review import execute, settings_from_config

    now, clean, changed = _review_scenarios(stack, your_plans)
    plan, settings = your_plans(stack), settings_from_config(load_your_stack(stack), your_plans(stack))
    env = environment(TEST_SERVICE_ACCOUNT, atlas.base_url)
    atlas.reset(Scenario(data=clean))
    outcome = execute(plan, settings, env, now=now)
    assert outcome.code == 0 and outcome.report is not None and outcome.report.findings == [], outcome
    atlas.reset(Scenario(data=changed))
    outcome = execute(plan, settings, env, now=now)
    assert outcome.code == 1 and outcome.report is not None
    assert ("unmanaged", "database user added-in-the-ui (admin)") in [(f.kind, f.object) for f in outcome.report.findings]
