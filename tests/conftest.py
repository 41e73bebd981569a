"""Fixtures: run a stack's real program under the Pulumi SDK mock runtime, and build variants."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner import Plan, run_stack  # noqa: E402
from offline.stackfile import available_stacks  # noqa: E402

STACKS = available_stacks(ROOT)
NAMESPACE = "atlas-platform"


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` mapping of Pulumi.<stack>.yaml, as a fresh copy a test may change."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return copy.deepcopy(document["config"])


def key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


@pytest.fixture(scope="session")
def plans() -> Callable[[str], Plan]:
    """Plan of each shipped stack file, computed once per session (plans are read-only)."""
    cache: dict[str, Plan] = {}

    def get(stack: str) -> Plan:
        if stack not in cache:
            cache[stack] = run_stack(stack)
        return cache[stack]

    return get


@pytest.fixture
def plan_variant() -> Callable[..., Plan]:
    """Plan `stack` after `change(config)` edits a copy of its stack file's config."""

    def run(stack: str, change: Callable[[dict[str, Any]], None]) -> Plan:
        config = stack_config(stack)
        change(config)
        return run_stack(stack, config=config)

    return run


@pytest.fixture(scope="session")
def policy_pack():
    """The CrossGuard pack in policies/, started once, as the engine starts it (a subprocess), always ended."""
    from offline.policy import PolicyPackServer

    with PolicyPackServer() as pack:
        yield pack
