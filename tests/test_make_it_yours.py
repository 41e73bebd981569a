"""README "Make it yours", done as a new user does it: the edits, in a copy of the repository.

The edits come from the README section's own YAML blocks, so the README says exactly what this test
does. In the copy, the your-stacks tests and the preview of the new qa stack must pass: a team that
edits its stack files, and nothing else, keeps a green suite.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"^ *```yaml\n(?P<body>.*?)^ *```", re.MULTILINE | re.DOTALL)
PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")
# What the program needs to run, and the tests and tools; without .git, the caches or the venv.
COPIED = [
    "Pulumi.yaml",
    "__main__.py",
    "program_args.py",
    "pyproject.toml",
    "atlas_platform",
    "stackconfig",
    "policies",
    "tools",
    "tests",
    "docs",
    ".github",
]


def make_it_yours_edits() -> dict[str, dict[str, Any]]:
    """Per stack file named on a block's first line, its edits: config key path -> value (None deletes)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Make it yours\n", 1)[1].split("\n### ", 1)[0]
    edits: dict[str, dict[str, Any]] = {}
    for match in BLOCK.finditer(section):
        body = textwrap.dedent(match["body"])
        first = body.splitlines()[0]
        stack_file = re.match(r"# (Pulumi\.[\w-]+\.yaml)", first)
        assert stack_file, f"a Make it yours block starts with the stack file it edits: {first!r}"
        edits[stack_file[1]] = yaml.safe_load(body) or {}
    return edits


def _parts(path: str) -> list[str | int]:
    """`atlas-platform:network.privateEndpoints[0].vpcs[0].vpcId` -> its keys and list indices."""
    namespace, _, rest = path.partition(":")
    parts: list[str | int] = []
    for name, index in PATH_PART.findall(rest):
        parts.append(int(index) if index else name)
    parts[0] = f"{namespace}:{parts[0]}"
    return parts


def apply_edits(config: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    for path, value in edits.items():
        *parents, last = _parts(path)
        target: Any = changed
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return changed


def write_stack(path: Path, config: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")


def stack_config_of(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"])


def test_the_readme_section_edits_prod_and_adds_qa():
    edits = make_it_yours_edits()
    assert list(edits) == ["Pulumi.prod.yaml", "Pulumi.qa.yaml"]
    prod = apply_edits(stack_config_of(ROOT / "tests" / "fixtures" / "Pulumi.prod.yaml"), edits["Pulumi.prod.yaml"])
    assert prod["atlas-platform:app"] == "orders" and "atlas-platform:federation" not in prod
    assert [r["electableNodes"] for r in prod["atlas-platform:cluster"]["regions"]] == [3]
    assert len(prod["atlas-platform:network"]["privateEndpoints"]) == 1
    qa = apply_edits(stack_config_of(ROOT / "tests" / "fixtures" / "Pulumi.staging.yaml"), edits["Pulumi.qa.yaml"])
    assert qa["atlas-platform:environment"] == "qa"


@pytest.fixture(scope="module")
def made_yours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository with the README's edits: prod made yours, and a qa stack from staging."""
    root = tmp_path_factory.mktemp("yours")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        elif source.exists():
            shutil.copy(source, root / name)
    # Start from the shipped stack files (the fixtures are their copies): the user's own stacks are not ours to edit.
    for stack in ("prod", "staging", "dev"):
        shutil.copy(ROOT / "tests" / "fixtures" / f"Pulumi.{stack}.yaml", root / f"Pulumi.{stack}.yaml")
    edits = make_it_yours_edits()
    write_stack(root / "Pulumi.prod.yaml", apply_edits(stack_config_of(root / "Pulumi.prod.yaml"), edits["Pulumi.prod.yaml"]))
    write_stack(root / "Pulumi.qa.yaml", apply_edits(stack_config_of(root / "Pulumi.staging.yaml"), edits["Pulumi.qa.yaml"]))
    return root


# The workflow tests that read your stack files (the others lint the workflow with tools of the venv).
WORKFLOW_TESTS = [
    "tests/test_your_stacks_ci.py",
]


def run(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *command], cwd=root, capture_output=True, text=True, timeout=600)


def test_your_stacks_tests_pass_after_the_edits(made_yours: Path):
    result = run(made_yours, "-m", "pytest", "-v", "-p", "no:cacheprovider", "tests/test_your_stacks.py", *WORKFLOW_TESTS)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # The new stack is one of the stacks tested, and the edited prod is another.
    assert "test_your_stack_passes_the_policy_pack[qa] PASSED" in result.stdout
    assert "test_your_stack_passes_the_policy_pack[prod] PASSED" in result.stdout


def test_the_preview_of_the_new_qa_stack_passes(made_yours: Path):
    result = run(made_yours, "-m", "tools.preview", "--stack", "qa")
    assert result.returncode == 0, result.stderr[-4000:]
    assert "mongodbatlas:index/project:Project  payments-qa-project" in result.stdout
    prod = run(made_yours, "-m", "tools.preview", "--stack", "prod", "--no-policy-pack")
    assert prod.returncode == 0, prod.stderr[-4000:]
    assert "mongodbatlas:index/project:Project  orders-prod-project" in prod.stdout
