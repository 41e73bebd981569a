"""README "Make it yours", done as a new team does it: the edits, in a copy of the repository.

The edits come from the README section's own YAML blocks, so the README says exactly what this test
does: the example moved to another continent (its stack files and its policy configs), and a second
production stack. In the copy, every test that reads the team's own files (tests/test_your_stacks*.py,
the CI matrix among them) and the preview of each edited or new stack must pass: a team that edits its
stack files and policy configs, and nothing else, keeps a green suite.

An end-to-end test: it plans every stack of the copy in a subprocess, a minute or so.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackconfig.production import is_production
from tests.conftest import FIXTURE_POLICY_CONFIG, FIXTURES, NAMESPACE, ROOT, STACKS

README = ROOT / "README.md"
BLOCK = re.compile(r"^ *```yaml\n(?P<body>.*?)^ *```", re.MULTILINE | re.DOTALL)
# `# Pulumi.prod-eu.yaml, a copy of Pulumi.prod.yaml`: the file a block edits, and the file it starts from.
HEADER = re.compile(r"^# (?P<target>(Pulumi\.[\w-]+\.yaml|policies/config/[\w-]+\.json))(, a copy of (?P<source>\S+))?")
FIRST_PART = re.compile(r"^[^.\[]+")
PATH_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
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
    "schema",
    ".github",
]
NEW_PRODUCTION_STACK = "prod-eu"


@dataclass(frozen=True)
class Block:
    """One README block: the file it edits (a stack file or a policy config), the one it copies, its edits."""

    target: str
    source: str | None
    edits: dict[str, Any]


def make_it_yours_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Make it yours\n", 1)[1].split("\n### ", 1)[0]
    blocks = []
    for match in BLOCK.finditer(section):
        body = textwrap.dedent(match["body"])
        header = HEADER.match(body.splitlines()[0])
        assert header, f"a Make it yours block starts with the file it edits: {body.splitlines()[0]!r}"
        blocks.append(Block(header["target"], header["source"], yaml.safe_load(body) or {}))
    return blocks


def _parts(path: str) -> list[str | int]:
    """`atlas-platform:network.privateEndpoints[0].vpcs[0].vpcId` or `atlas-cluster-allowed-regions.allowedRegions`
    -> its keys and list indices (the first key is a config key or a policy name, with no dot in it)."""
    first = FIRST_PART.match(path)
    assert first, path
    parts: list[str | int] = [first[0]]
    rest = path[first.end() :]
    assert "".join(m[0] for m in PATH_PART.finditer(rest)) == rest, f"cannot read the key path {path!r}"
    for name, index in PATH_PART.findall(rest):
        parts.append(int(index) if index else name)
    return parts


def apply_edits(document: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
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


def read_file(path: Path) -> dict[str, Any]:
    """A stack file's `config:` mapping, or a policy config."""
    if path.suffix == ".json":
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"])


def leading_comments(path: Path) -> str:
    """The comment lines a stack file starts with (what it is, an editor's schema line): kept by an edit."""
    header = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        header.append(line)
    return "".join(header)


def write_file(path: Path, document: dict[str, Any], header: str = "") -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    else:
        path.write_text(header + yaml.safe_dump({"config": document}, sort_keys=False), encoding="utf-8")


def apply_blocks(root: Path, blocks: list[Block]) -> None:
    """Each block in order, in `root`: a copy starts from its source as the earlier blocks left it."""
    for block in blocks:
        start = root / (block.source or block.target)
        header = leading_comments(start) if start.suffix == ".yaml" else ""
        write_file(root / block.target, apply_edits(read_file(start), block.edits), header)


def shipped_example(root: Path) -> None:
    """The shipped example as a new team finds it: the fixtures are its copies (yours may differ already)."""
    (root / "policies" / "config").mkdir(parents=True, exist_ok=True)
    for stack in STACKS:
        shutil.copy(FIXTURES / f"Pulumi.{stack}.yaml", root / f"Pulumi.{stack}.yaml")
        shutil.copy(FIXTURE_POLICY_CONFIG / f"{stack}.json", root / "policies" / "config" / f"{stack}.json")


def regions_of(config: dict[str, Any]) -> set[str]:
    """Every AWS region a stack file names: the cluster's, its backup copies', its endpoints' and `aws:region`."""
    cluster = config.get(f"{NAMESPACE}:cluster") or {}
    network = config.get(f"{NAMESPACE}:network") or {}
    return {
        config["aws:region"],
        *(r["region"] for r in cluster.get("regions", [])),
        *(c["region"] for c in (cluster.get("backup") or {}).get("copies", [])),
        *(e["region"] for e in network.get("privateEndpoints", [])),
    }


def test_the_readme_moves_the_example_to_europe_and_adds_a_second_production_stack(tmp_path: Path):
    blocks = make_it_yours_blocks()
    shipped_example(tmp_path)
    apply_blocks(tmp_path, blocks)
    stacks = {path.name[len("Pulumi.") : -len(".yaml")]: read_file(path) for path in tmp_path.glob("Pulumi.*.yaml")}
    assert sorted(stacks) == sorted([*STACKS, NEW_PRODUCTION_STACK])
    # Every stack file and every policy config is edited: the regions are in both.
    assert {b.target for b in blocks} == {f"Pulumi.{s}.yaml" for s in stacks} | {f"policies/config/{s}.json" for s in stacks}
    for stack, config in stacks.items():
        assert all(region.startswith("eu-") for region in regions_of(config)), stack
        policy = read_file(tmp_path / "policies" / "config" / f"{stack}.json")
        assert all(r.startswith("aws:eu-") for r in policy["atlas-cluster-allowed-regions"]["allowedRegions"]), stack
    owner = stacks["prod"][f"{NAMESPACE}:resourcePolicies"]
    assert owner["enabled"] and all(r.startswith("eu-") for r in owner["allowedRegions"])
    second = stacks[NEW_PRODUCTION_STACK]
    assert is_production(second) and second[f"{NAMESPACE}:production"] is True
    # One organization owner: the second production stack leaves the org-level sections to prod.
    assert f"{NAMESPACE}:resourcePolicies" not in second and f"{NAMESPACE}:organization" not in second
    assert "atlas-organization-owner" not in read_file(tmp_path / "policies" / "config" / f"{NEW_PRODUCTION_STACK}.json")


@pytest.fixture(scope="module")
def made_yours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, the shipped example made yours as the README says."""
    root = tmp_path_factory.mktemp("yours")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=_not_copied)
        elif source.exists():
            shutil.copy(source, root / name)
    shipped_example(root)
    apply_blocks(root, make_it_yours_blocks())
    return root


def _not_copied(folder: str, names: list[str]) -> set[str]:
    """Caches, and your policy configs: the copy starts from the shipped example's."""
    caches = {n for n in names if n in ("__pycache__", ".pytest_cache")}
    return caches | ({"config"} if Path(folder) == ROOT / "policies" else set())


def run(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *command], cwd=root, capture_output=True, text=True, timeout=900)


def test_every_test_of_your_files_passes_after_the_edits(made_yours: Path):
    your_tests = sorted(str(p.relative_to(made_yours)) for p in (made_yours / "tests").glob("test_your_stacks*.py"))
    result = run(made_yours, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "no:randomly", *your_tests)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    # The new production stack is one of the stacks tested, and it deploys with the production stacks.
    assert f"test_your_stack_passes_the_policy_pack[{NEW_PRODUCTION_STACK}] PASSED" in result.stdout
    assert "test_your_stack_passes_the_policy_pack[prod] PASSED" in result.stdout
    assert "test_the_matrix_is_every_stack_file_with_production_last PASSED" in result.stdout


@pytest.mark.parametrize("stack", [NEW_PRODUCTION_STACK, "prod"])
def test_the_preview_of_each_production_stack_passes_the_pack(made_yours: Path, stack: str):
    result = run(made_yours, "-m", "tools.preview", "--stack", stack)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert f"mongodbatlas:index/project:Project  orders-{stack}-project" in result.stdout
    assert f"policies/config/{stack}.json" in result.stdout
