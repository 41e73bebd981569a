"""Plan a program that uses the installed package, under the Pulumi SDK's mock runtime; print JSON.

Run by tests/test_package.py with the python of a fresh virtualenv that holds the built wheel, in a
directory outside this repository: `python package_plan.py <mocks.py> <program dir> <stack>`. It
puts nothing of the repository on sys.path: the harness's mocks are loaded from their file, so
`atlas_platform` can only come from the virtualenv. Prints the registered resources, the exports
and where `atlas_platform` was imported from.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as pulumi_settings


def load_mocks(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("atlas_mocks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def engine_config(program: Path, stack: str) -> dict[str, str]:
    """The stack file's config as the engine passes it: strings, objects as JSON."""
    document = yaml.safe_load((program / f"Pulumi.{stack}.yaml").read_text())
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in document["config"].items()}


def main(mocks_file: str, program_dir: str, stack: str) -> None:
    program = Path(program_dir).resolve()
    project = yaml.safe_load((program / "Pulumi.yaml").read_text())["name"]
    mocks = load_mocks(Path(mocks_file))
    monitor = mocks.RecordingMonitor(mocks.AtlasMocks())
    pulumi.runtime.set_mocks(mocks.AtlasMocks(), project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(engine_config(program, stack), [])
    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> Any:
        runpy.run_path(str(program / "__main__.py"), run_name="__main__")
        outputs = dict(getattr(pulumi_settings.get_root_resource(), "outputs", {}) or {})

        async def collect() -> None:
            for name, value in outputs.items():
                resolved = await pulumi.Output.from_input(value).future(with_unknowns=True)
                captured[name] = mocks.unwrap_secrets(resolved)[0]

        return asyncio.ensure_future(collect())

    run()
    import atlas_platform

    print(
        json.dumps(
            {
                "atlas_platform": str(Path(atlas_platform.__file__).resolve()),
                "resources": [
                    {"type": r.type, "name": r.name, "parent": r.parent, "urn": r.urn, "inputs": r.inputs}
                    for r in sorted(monitor.registrations, key=lambda r: r.urn)
                ],
                "exports": captured,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
