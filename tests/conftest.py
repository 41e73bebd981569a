"""Fixtures: run a stack's real program under the Pulumi SDK mock runtime, and build variants."""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from offline.runner import Plan, run_stack  # noqa: E402
from offline.stackfile import available_stacks  # noqa: E402
from stackconfig import StackConfig  # noqa: E402

STACKS = available_stacks(ROOT)
NAMESPACE = "atlas-platform"


@functools.cache
def _stack_document(stack: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()))


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` mapping of Pulumi.<stack>.yaml, as a fresh copy a test may change."""
    return copy.deepcopy(_stack_document(stack)["config"])


def load_stack(stack: str, config: dict[str, Any] | None = None) -> StackConfig:
    """Validate a stack's config exactly as the program does, without running the program.

    `config` (a changed copy of the stack file's mapping) goes through the harness as the engine
    would pass it: values as strings, secret keys marked.
    """
    from offline.stackfile import engine_config
    from stackconfig import load_stack_config

    config = stack_config(stack) if config is None else config
    values, secret_keys = engine_config(ROOT, stack, config)
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)


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
