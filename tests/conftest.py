"""Fixtures: run a stack's real program under the Pulumi SDK mock runtime, and build variants.

Two kinds of stack, kept apart so a team that edits its own stack files never edits a test:
- `STACKS` are the behaviour tests' own stack files in tests/fixtures/ (the payments example,
  copied there): `plans`, `plan_variant`, `stack_config` and `load_stack` read these, and a test may
  assert their values (`payments-prod-cluster1`).
- `YOUR_STACKS` are the repository's root `Pulumi.<stack>.yaml` files, whatever they are; only
  tests/test_your_stacks*.py read them (`your_plans`, `load_your_stack`), and assert only what holds
  for any valid stack.
The same holds for policy configs: the behaviour tests' are tests/fixtures/policy-config/<stack>.json,
yours are policies/config/<stack>.json. An audit hook (tests/harness/your_files.py) makes any other test module
that opens one of your files fail, so an edit of your stacks can never break a behaviour test.
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stackconfig import StackConfig  # noqa: E402
from tests.harness.runner import Plan, run_stack  # noqa: E402
from tests.harness.stackfile import POLICY_CONFIG_FOLDER, available_stacks  # noqa: E402
from tests.harness.your_files import guard_your_files  # noqa: E402

guard_your_files()

FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_POLICY_CONFIG = FIXTURES / POLICY_CONFIG_FOLDER
"""The behaviour tests' policy configs, `<stack>.json` for each fixture stack that has one."""
STACKS = ["prod", "staging", "dev"]
"""The payments example's three stacks, as fixtures: the behaviour tests' stacks."""
YOUR_STACKS = available_stacks(ROOT)
"""Every root stack file: the stacks a team adopting this repository edits."""
NAMESPACE = "atlas-platform"


def fixture_file(stack: str) -> Path:
    """tests/fixtures/Pulumi.<stack>.yaml: a behaviour test's stack file, never the root one."""
    return FIXTURES / f"Pulumi.{stack}.yaml"


@functools.cache
def _stack_document(stack: str) -> dict[str, Any]:
    return dict(yaml.safe_load(fixture_file(stack).read_text()))


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` mapping of the fixture tests/fixtures/Pulumi.<stack>.yaml, as a fresh copy a test may change."""
    return copy.deepcopy(_stack_document(stack)["config"])


def load_stack(stack: str, config: dict[str, Any] | None = None) -> StackConfig:
    """Validate a stack's config exactly as the program does, without running the program.

    `config` (a changed copy of the stack file's mapping) goes through the harness as the engine
    would pass it: values as strings, secret keys marked.
    """
    from stackconfig import load_stack_config
    from tests.harness.stackfile import engine_config

    config = stack_config(stack) if config is None else config
    values, secret_keys = engine_config(ROOT, stack, config, stack_file=fixture_file(stack))
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)


def load_changed(stack: str, change: Callable[[dict[str, Any]], None]) -> StackConfig:
    """Validate `stack`'s fixture after `change(config)` edits a copy of its config."""
    config = stack_config(stack)
    change(config)
    return load_stack(stack, config)


def one_refusal(stack: str, change: Callable[[dict[str, Any]], None]) -> str:
    """The message of the single problem `change` makes of `stack`'s fixture (fails on none or more)."""
    from stackconfig import ConfigError

    with pytest.raises(ConfigError) as error:
        load_changed(stack, change)
    message = str(error.value)
    assert f"Pulumi.{stack}.yaml has 1 problem; nothing was created:" in message, message
    return message


def load_your_stack(stack: str) -> StackConfig:
    """Validate the root stack file Pulumi.<stack>.yaml exactly as the program does."""
    from stackconfig import load_stack_config
    from tests.harness.stackfile import engine_config

    values, secret_keys = engine_config(ROOT, stack)
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of an engine input as (`a.b[0].c`, value): the paths `Registration.secret_inputs` uses."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def under_secret(path: str, secrets: set[str]) -> bool:
    """Whether the leaf at `path` is inside one of the secret paths (a leaf, or an object or list around it)."""
    return any(path == s or path.startswith((f"{s}.", f"{s}[")) for s in secrets)


def key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


@pytest.fixture(scope="session")
def plans() -> Callable[[str], Plan]:
    """Plan of each fixture stack file, computed once per session (plans are read-only)."""
    cache: dict[str, Plan] = {}

    def get(stack: str) -> Plan:
        if stack not in cache:
            cache[stack] = run_stack(stack, stack_file=fixture_file(stack))
        return cache[stack]

    return get


@pytest.fixture(scope="session")
def your_plans() -> Callable[[str], Plan]:
    """Plan of each root stack file, computed once per session."""
    cache: dict[str, Plan] = {}

    def get(stack: str) -> Plan:
        if stack not in cache:
            cache[stack] = run_stack(stack)
        return cache[stack]

    return get


@pytest.fixture
def plan_variant() -> Callable[..., Plan]:
    """Plan fixture `stack` after `change(config)` edits a copy of its stack file's config."""

    def run(stack: str, change: Callable[[dict[str, Any]], None]) -> Plan:
        config = stack_config(stack)
        change(config)
        return run_stack(stack, config=config, stack_file=fixture_file(stack))

    return run


@pytest.fixture(scope="session")
def policy_pack():
    """The CrossGuard pack in policies/, started once, as the engine starts it (a subprocess), always ended."""
    from tests.harness.policy import PolicyPackServer

    with PolicyPackServer() as pack:
        yield pack


@pytest.fixture(scope="module")
def atlas_server():
    """The Atlas scenario server (tests/harness/atlas_server.py), one per test module, always stopped."""
    from tests.harness.atlas_server import TEST_API_KEY, TEST_SERVICE_ACCOUNT, AtlasServer

    with AtlasServer([TEST_SERVICE_ACCOUNT, TEST_API_KEY]) as server:
        yield server


@pytest.fixture
def atlas(atlas_server):
    """The module's scenario server, cleared for this test; the test fails on anything the spec would reject."""
    from tests.harness.atlas_server import Scenario

    atlas_server.reset(Scenario())
    yield atlas_server
    assert atlas_server.violations == [], "requests or responses the vendored Atlas spec rejects:\n" + "\n".join(
        atlas_server.violations
    )


@pytest.fixture(scope="session")
def variant_plans(plans: Callable[[str], Plan]) -> Callable[[str], Plan]:
    """Plan of each variant of tests/transitions.py (`VARIANTS`), computed once per session; an unedited
    variant is the session's plan of its fixture."""
    from tests.transitions import VARIANTS

    cache: dict[str, Plan] = {}

    def get(name: str) -> Plan:
        if name not in cache:
            stack, edit = VARIANTS[name]
            if edit is None:
                cache[name] = plans(stack)
            else:
                config = stack_config(stack)
                edit(config)
                cache[name] = run_stack(stack, config=config, stack_file=fixture_file(stack))
        return cache[name]

    return get
