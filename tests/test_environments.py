"""Environments are names: a new one needs a stack file, not a code edit.

`prod` is production; any other name is not unless its stack file says `production: true`. The
program and the policy pack learn this from the same stack file. The fixture stack files in
tests/fixtures/ are staging's config with one change each, and their stack names are not their
environments (`payments-qa`, `payments-live`, `orders-staging`).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter, ValidationError

from policies.rules import environment as pack_environment
from policies.rules import types as t
from stackconfig import ConfigError, StackConfig, load_stack_config, production
from stackconfig import environment as program_environment
from tests.conftest import NAMESPACE, ROOT, key, stack_config
from tests.harness.policy import PolicyPackServer, stack_config_for
from tests.harness.runner import run_stack
from tests.harness.stackfile import available_stacks, engine_config
from tests.policy_support import GOOD_CLUSTER, PRODUCTION_SETTINGS, resource

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = "mongodbatlas:index/project:Project"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
AUDITING = "mongodbatlas:index/auditing:Auditing"
SECRET = "aws:secretsmanager/secret:Secret"
CLUSTER_POLICY = "atlas-cluster-production-settings"


def fixture_file(stack: str) -> Path:
    return FIXTURES / f"Pulumi.{stack}.yaml"


def fixture_config(stack: str) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(fixture_file(stack).read_text())["config"])


def load_fixture(stack: str, config: dict[str, Any] | None = None, tmp_path: Path | None = None) -> StackConfig:
    """Validate a fixture (or a changed copy of it, written to `tmp_path`) as the program does."""
    path = fixture_file(stack)
    if config is not None:
        assert tmp_path is not None
        path = tmp_path / f"Pulumi.{stack}.yaml"
        path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    values, secret_keys = engine_config(ROOT, stack, stack_file=path)
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)


def refusals(tmp_path: Path, change: Callable[[dict[str, Any]], None], stack: str = "payments-qa") -> list[str]:
    config = fixture_config(stack)
    change(config)
    with pytest.raises(ConfigError) as caught:
        load_fixture(stack, config, tmp_path)
    return [p.render(caught.value.stack_file) for p in caught.value.problems]


@pytest.fixture(scope="module")
def stack_pack() -> Iterator[Callable[[str], PolicyPackServer]]:
    """A pack process per fixture stack, started as the engine starts it: with that stack's config."""
    packs: dict[str, PolicyPackServer] = {}

    def get(stack: str) -> PolicyPackServer:
        if stack not in packs:
            packs[stack] = PolicyPackServer(stack_config=stack_config_for(stack, stack_file=fixture_file(stack)))
        return packs[stack]

    yield get
    for pack in packs.values():
        pack.close()


# ---- a new name is a non-production environment ----


def test_a_new_environment_name_plans_as_non_production(plans):
    qa, staging = plans("payments-qa"), plans("staging")
    project = qa.one(PROJECT)
    assert project.inputs["name"] == "payments-qa" and project.inputs["tags"]["environment"] == "qa"
    assert qa.exports["environment"] == "qa"
    # Staging's file with only its environment renamed plans what staging plans, under new names.
    assert sorted(r.type for r in qa.resources) == sorted(r.type for r in staging.resources)
    assert not any(r.protect for r in qa.resources)
    cluster = qa.one(CLUSTER)
    assert cluster.inputs["terminationProtectionEnabled"] is False
    assert cluster.inputs["name"] == "payments-qa-cluster1"
    assert all(r.name.startswith("payments-qa") for r in qa.resources if r.custom and r.type != "pulumi:providers:aws")


def test_a_new_environment_passes_the_pack_as_non_production(plans, stack_pack):
    report = stack_pack("payments-qa").check_plan(plans("payments-qa"))
    assert report.mandatory == [], [f.line() for f in report.mandatory]
    reasons = dict(report.not_applicable)
    assert reasons[CLUSTER_POLICY].startswith("non-production stack (stack config atlas-platform:environment=qa")


# ---- production: true on another name ----


def test_production_true_turns_on_the_production_defaults(plans, tmp_path):
    live = plans("payments-live")
    assert load_fixture("payments-live").is_prod
    cluster = live.one(CLUSTER)
    assert cluster.protect and live.one(PROJECT).protect
    assert cluster.inputs["terminationProtectionEnabled"] is True
    assert cluster.inputs["pitEnabled"] is True
    assert cluster.inputs["encryptionAtRestProvider"] == "AWS"
    assert all(r.inputs["recoveryWindowInDays"] == 30 for r in live.of_type(SECRET))
    # The same file without the key: the same environment name plans every one of them off.
    config = fixture_config("payments-live")
    del config[key("production")]
    plain = run_stack("payments-live", config=config)
    assert not plain.one(CLUSTER).protect and plain.one(CLUSTER).inputs["terminationProtectionEnabled"] is False
    assert plain.one(CLUSTER).inputs["pitEnabled"] is False
    assert all(r.inputs["recoveryWindowInDays"] == 0 for r in plain.of_type(SECRET))


def test_production_true_turns_on_the_production_refusals(tmp_path):
    def no_termination_protection(config: dict[str, Any]) -> None:
        config[key("cluster")]["terminationProtection"] = False

    assert any(
        "production refuses terminationProtection: false" in p
        for p in refusals(tmp_path, no_termination_protection, "payments-live")
    )
    # The qa stack takes the same change: outside production it is allowed.
    config = fixture_config("payments-qa")
    no_termination_protection(config)
    assert load_fixture("payments-qa", config, tmp_path).cluster is not None


def test_production_true_makes_the_mandatory_policies_apply(plans, stack_pack):
    pack = stack_pack("payments-live")
    report = pack.check_plan(plans("payments-live"))
    assert report.mandatory == [], [f.line() for f in report.mandatory]
    reasons = dict(report.not_applicable)
    assert CLUSTER_POLICY not in reasons
    assert reasons[f"{CLUSTER_POLICY}-outside-prod"] == "production stack (stack config atlas-platform:production=true)"
    # A stack name the pack would not take for production, and a cluster production refuses.
    bad = resource(t.ADVANCED_CLUSTER, "c", {**GOOD_CLUSTER, "pitEnabled": False}, stack="payments-live")
    report = pack.check("payments-live", [bad], policy_config=PRODUCTION_SETTINGS)
    assert [f.policy for f in report.mandatory if f.resource_name] == [CLUSTER_POLICY]


def test_without_stack_config_the_pack_falls_back_to_the_stack_name(policy_pack):
    # The shared pack has no PULUMI_CONFIG, like an engine that passes none: `payments-live` reads as not production.
    bad = resource(t.ADVANCED_CLUSTER, "c", {**GOOD_CLUSTER, "pitEnabled": False}, stack="payments-live")
    report = policy_pack.check("payments-live", [bad])
    assert report.mandatory == [] and [f.policy for f in report.advisory] == [f"{CLUSTER_POLICY}-outside-prod"]


def test_policy_config_and_stack_tag_still_decide_over_stack_config(plans, stack_pack):
    bad = resource(t.ADVANCED_CLUSTER, "c", {**GOOD_CLUSTER, "pitEnabled": False}, stack="payments-qa")
    qa = stack_pack("payments-qa")
    promoted = qa.check("payments-qa", [bad], tags={"environment": "prod"}, policy_config=PRODUCTION_SETTINGS)
    assert [f.policy for f in promoted.mandatory if f.resource_name] == [CLUSTER_POLICY]
    override = {
        **PRODUCTION_SETTINGS,
        CLUSTER_POLICY: {"environment": "prod"},
        f"{CLUSTER_POLICY}-outside-prod": {"environment": "prod"},
    }
    assert [f.policy for f in qa.check("payments-qa", [bad], policy_config=override).mandatory if f.resource_name] == [
        CLUSTER_POLICY
    ]
    live_bad = resource(t.ADVANCED_CLUSTER, "c", {**GOOD_CLUSTER, "pitEnabled": False}, stack="payments-live")
    demote = {
        **PRODUCTION_SETTINGS,
        CLUSTER_POLICY: {"environment": "staging"},
        f"{CLUSTER_POLICY}-outside-prod": {"environment": "staging"},
    }
    demoted = stack_pack("payments-live").check("payments-live", [live_bad], policy_config=demote)
    assert [f.policy for f in demoted.mandatory if f.resource_name] == []


def test_stack_config_decides_over_a_production_looking_stack_name():
    urn = "urn:pulumi:payments-prod::atlas-platform::mongodbatlas:index/project:Project::p"
    said = {"atlas-platform:environment": "staging"}
    assert not pack_environment.resolve(urn=urn, stack_config=said).is_prod
    assert pack_environment.resolve(urn=urn, stack_config={}).is_prod
    assert pack_environment.resolve(
        urn=urn.replace("payments-prod", "live"), stack_config={"atlas-platform:production": "yes"}
    ).is_prod


# ---- the stack file's refusals ----


@pytest.mark.parametrize("name", ["Prod", "qa_1", "-qa", "qa-", "q a", "1qa", "a" * 21, ""])
def test_an_environment_that_is_not_a_slug_is_refused(tmp_path, name):
    found = refusals(tmp_path, lambda c: c.__setitem__(key("environment"), name))
    assert found == [
        f"Pulumi.payments-qa.yaml: atlas-platform:environment: {name!r} is not a valid environment name; use 1-20 "
        "lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen "
        "(e.g. prod, staging, qa, perf-eu)"
    ]


@pytest.mark.parametrize("name", ["qa", "uat", "perf", "sandbox", "perf-eu", "q", "qa2"])
def test_any_lowercase_slug_is_an_environment(tmp_path, name):
    config = fixture_config("payments-qa")
    config[key("environment")] = name
    cfg = load_fixture("payments-qa", config, tmp_path)
    assert cfg.environment == name and not cfg.is_prod and cfg.resolved_project_name == f"payments-{name}"


def test_prod_cannot_be_declared_non_production(tmp_path):
    def demote(config: dict[str, Any]) -> None:
        config[key("environment")] = "prod"
        config[key("production")] = False

    assert any(
        "atlas-platform:production: environment 'prod' is production; remove `production: false`" in p
        for p in refusals(tmp_path, demote, "payments-live")
    )


@pytest.mark.parametrize("name", ["production", "prod-eu", "payments-prod", "production-us"])
def test_a_name_that_reads_as_production_must_say_which_it_is(tmp_path, name):
    found = refusals(tmp_path, lambda c: c.__setitem__(key("environment"), name))
    assert found == [
        f"Pulumi.payments-qa.yaml: atlas-platform:production: environment {name!r} reads as production but only "
        "'prod' is production by default; add `production: true` (production's safe defaults and mandatory "
        "policies) or `production: false`"
    ]
    config = fixture_config("payments-qa")
    config[key("environment")], config[key("production")] = name, False
    assert not load_fixture("payments-qa", config, tmp_path).is_prod


def test_production_must_be_a_yes_or_no(tmp_path):
    found = refusals(tmp_path, lambda c: c.__setitem__(key("production"), "maybe"))
    assert len(found) == 1 and found[0].startswith("Pulumi.payments-qa.yaml: atlas-platform:production: ")


# ---- the stack name need not be the environment ----


def test_the_stack_name_need_not_be_the_environment(plans):
    assert "orders-staging" in available_stacks(FIXTURES)
    plan = plans("orders-staging")
    assert plan.stack == "orders-staging"
    project = plan.one(PROJECT)
    assert project.inputs["name"] == "orders-staging"
    assert project.inputs["tags"] == {**project.inputs["tags"], "environment": "staging", "application": "orders"}
    assert plan.exports["environment"] == "staging"
    assert plan.one(CLUSTER).inputs["name"] == "orders-staging-cluster1"
    assert any(r.type == AUDITING for r in plan.resources)


def test_a_stack_name_is_not_read_as_an_environment(plans):
    # The same application's staging file under another stack name plans the same resources and inputs.
    config = stack_config("staging")
    renamed = run_stack("payments-eu-staging", config=config)
    staging = plans("staging")
    assert sorted((r.type, r.name, repr(r.inputs)) for r in renamed.resources if r.custom) == sorted(
        (r.type, r.name, repr(r.inputs)) for r in staging.resources if r.custom
    )


# ---- the program and the pack agree ----


def test_the_pack_reads_production_as_the_program_does():
    words = TypeAdapter(bool)
    for word in production.NO:
        assert words.validate_python(word) is False
    # Every other word pydantic reads is a yes: only a plain "no" keeps a stack out of production.
    for word in ("true", "t", "yes", "y", "on", "1", "TRUE", "Yes"):
        assert words.validate_python(word) is True and production.is_production({key("production"): word})
    for word in ("maybe", "2", "prod"):
        with pytest.raises(ValidationError):
            words.validate_python(word)
    assert pack_environment._PROD_NAME.pattern == program_environment.PROD_LOOKING_NAME
    for name in ("prod", "production", "prod-eu", "orders-prod", "qa", "preprod", "products"):
        assert pack_environment.is_prod_stack_name(name) is program_environment.looks_like_production(name)
    assert re.fullmatch(program_environment.NAME_PATTERN, "prod")


# ---- one definition of production: the program's, the pack's copy and the CI matrix's ----


def test_the_packs_copy_of_the_definition_of_production_is_the_programs():
    assert inspect.getsource(pack_environment.is_production) == inspect.getsource(production.is_production)
    for name in ("NAMESPACE", "PROD", "PRODUCTION_KEY", "ENVIRONMENT_KEY", "NO"):
        assert getattr(pack_environment, name) == getattr(production, name), name


def test_the_definition_of_production_needs_only_the_standard_library():
    # The CI job that builds the deploy matrix loads the module by path, with pyyaml and nothing else.
    tree = ast.parse((ROOT / "stackconfig" / "production.py").read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def ci_matrix(root: Path) -> dict[str, list[str]]:
    spec = importlib.util.spec_from_file_location("ci_stacks", ROOT / ".github" / "scripts" / "stacks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.stacks(root))


# The five stacks: a team's prod, a second production stack under another name, staging, a
# non-production name written out, and dev. Each: (environment, production key or None).
TEAM_STACKS: dict[str, tuple[str, bool | None]] = {
    "prod": ("prod", None),
    "prod-eu": ("prod-eu", True),
    "staging": ("staging", None),
    "uat": ("uat", False),
    "dev": ("dev", None),
}


def write_team_stacks(root: Path) -> Path:
    """A repository root with the five stack files: staging's fixture (live's for production) under each environment."""
    (root / "Pulumi.yaml").write_text("name: atlas-platform\nruntime: python\n")
    for stack, (environment, said) in TEAM_STACKS.items():
        config = fixture_config("payments-live" if said or environment == "prod" else "staging")
        config.pop(key("production"), None)
        config[key("environment")] = environment
        if said is not None:
            config[key("production")] = said
        (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def team_stacks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_team_stacks(tmp_path_factory.mktemp("team"))


def test_program_pack_and_ci_agree_on_which_stacks_are_production(team_stacks: Path):
    matrix = ci_matrix(team_stacks)
    for stack in TEAM_STACKS:
        stack_file = team_stacks / f"Pulumi.{stack}.yaml"
        values, secret_keys = engine_config(team_stacks, stack, stack_file=stack_file)
        program = load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys).is_prod
        urn = f"urn:pulumi:{stack}::{NAMESPACE}::mongodbatlas:index/project:Project::p"
        pack = pack_environment.resolve(urn=urn, stack_config=values).is_prod
        written = production.is_production(yaml.safe_load(stack_file.read_text())["config"])
        assert program is pack is written is (stack in matrix["prod"]), stack
        assert program is (stack in ("prod", "prod-eu")), stack


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, False),
        ({"atlas-platform:environment": "prod"}, True),
        ({"atlas-platform:environment": "staging"}, False),
        ({"atlas-platform:environment": "prod-eu", "atlas-platform:production": True}, True),
        ({"atlas-platform:environment": "prod-eu", "atlas-platform:production": "true"}, True),
        ({"atlas-platform:environment": "uat", "atlas-platform:production": False}, False),
        ({"atlas-platform:environment": "uat", "atlas-platform:production": "off"}, False),
        # The unsafe side never wins: prod stays production, and an unreadable answer is production.
        ({"atlas-platform:environment": "prod", "atlas-platform:production": False}, True),
        ({"atlas-platform:environment": "uat", "atlas-platform:production": "maybe"}, True),
        ({"atlas-platform:environment": "uat", "atlas-platform:production": ""}, True),
        ({"orders:environment": "prod"}, False),
    ],
)
def test_what_production_is(config: dict[str, Any], expected: bool):
    assert production.is_production(config) is expected
    assert pack_environment.is_production(config) is expected
