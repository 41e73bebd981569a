"""Run `__main__.py` for one stack under the Pulumi SDK's own mock runtime and return its plan.

Nothing here re-implements Pulumi: the program runs unchanged, the SDK serializes every
resource exactly as it would for the engine, and `RecordingMonitor` keeps those requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings

from .mocks import AtlasMocks, Invocation, RecordingMonitor, Registration, unwrap_secrets
from .stackfile import engine_config, policy_config_dir, project_name

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Plan:
    """What one stack would send to the engine: its resources and its exports."""

    project: str
    stack: str
    resources: list[Registration]
    exports: dict[str, Any] = field(default_factory=dict)
    secret_exports: set[str] = field(default_factory=set)
    invocations: list[Invocation] = field(default_factory=list)
    """The data-source reads, in the order the program made them."""
    policy_config_dir: Path = ROOT / "policies" / "config"
    """Where this stack's policy config is (`<stack>.json`): the one that goes with its stack file
    (tests/fixtures/policy-config/ for a fixture's plan, policies/config/ for yours)."""

    def of_type(self, token: str, within: str | None = None) -> list[Registration]:
        """Resources of type `token`; with `within`, only children of a component of that type."""
        parents = {r.urn for r in self.resources if r.type == within} if within else None
        return [r for r in self.resources if r.type == token and (parents is None or r.parent in parents)]

    def one(self, token: str, within: str | None = None) -> Registration:
        found = self.of_type(token, within)
        if len(found) != 1:
            raise AssertionError(f"expected exactly one {token}, found {len(found)}: {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def named(self, name: str) -> Registration:
        return next(r for r in self.resources if r.name == name)

    def children(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]

    def depends_on(self, resource: Registration, other: Registration) -> bool:
        """True when `resource` waits for `other`, directly or through a chain of dependencies."""
        seen: set[str] = set()
        pending = list(self._direct_dependencies(resource))
        while pending:
            urn = pending.pop()
            if urn == other.urn:
                return True
            if urn in seen:
                continue
            seen.add(urn)
            found = [r for r in self.resources if r.urn == urn]
            if found:
                pending.extend(self._direct_dependencies(found[0]))
        return False

    @staticmethod
    def _direct_dependencies(resource: Registration) -> set[str]:
        urns = set(resource.dependencies)
        for deps in resource.property_dependencies.values():
            urns.update(deps)
        return urns


async def _collect_exports(outputs: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        resolved = await output.future(with_unknowns=True)
        plain, inner = unwrap_secrets(resolved)
        values[name] = plain
        if inner or await output.is_secret():
            secrets.add(name)
    return values, secrets


def run_stack(
    stack: str,
    *,
    config: dict[str, Any] | None = None,
    root: Path = ROOT,
    preview: bool = False,
    config_via_environment: bool = False,
    stack_file: Path | None = None,
    engine: tuple[dict[str, str], list[str]] | None = None,
) -> Plan:
    """Plan `stack` offline. `config` replaces the stack file's `config:` mapping, as a
    `--config-file` would; `stack_file` plans a stack file kept outside `root` (test fixtures);
    `engine` is (values, secret keys) exactly as the engine would pass them, e.g. from a Pulumi
    ESC environment: no stack file is read then.

    `config_via_environment` hands the config over as the real language host does
    (`PULUMI_CONFIG` / `PULUMI_CONFIG_SECRET_KEYS`) instead of through `set_all_config`.
    A bad stack file raises the program's own `ConfigError` (a `pulumi.RunError`).
    """
    project = project_name(root)
    values, secret_keys = engine if engine is not None else engine_config(root, stack, config, stack_file=stack_file)
    monitor = RecordingMonitor(AtlasMocks())
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(AtlasMocks(), project=project, stack=stack, preview=preview, monitor=monitor)
    if config_via_environment:
        os.environ["PULUMI_CONFIG"] = json.dumps(values)
        os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
        pulumi.runtime.set_all_config({}, [])
    else:
        pulumi.runtime.set_all_config(values, secret_keys)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> Any:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        stack_resource = pulumi_settings.get_root_resource()
        outputs = dict(getattr(stack_resource, "outputs", {}) or {})

        async def collect() -> None:
            captured["exports"], captured["secrets"] = await _collect_exports(outputs)

        return asyncio.ensure_future(collect())

    try:
        program()
    finally:
        if config_via_environment:
            del os.environ["PULUMI_CONFIG"], os.environ["PULUMI_CONFIG_SECRET_KEYS"]
    return Plan(
        project=project,
        stack=stack,
        # Registration order follows the event loop; sort so every run lists the same order.
        resources=sorted(monitor.registrations, key=lambda r: r.urn),
        exports=captured.get("exports", {}),
        secret_exports=captured.get("secrets", set()),
        invocations=list(monitor.invocations),
        policy_config_dir=policy_config_dir(root, stack_file),
    )
