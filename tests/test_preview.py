"""The offline preview command, run as a newcomer runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, STACKS

PROGRAM_FILES = ["Pulumi.yaml", "__main__.py", "program_args.py", "components", "stackconfig", "offline", "policies"]


def preview(stack: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "offline.preview", "--stack", stack],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The program in a scratch folder, so a test can drop a bad stack file beside it."""
    for name in PROGRAM_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("stack", STACKS)
def test_preview_prints_the_plan_and_exits_zero(stack):
    result = preview(stack)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Offline plan of stack '{stack}'" in out
    assert f"mongodbatlas:index/project:Project  payments-{stack}-project" in out
    assert "Resources by type:" in out
    assert f'projectName = "payments-{stack}"' in out


def test_bad_stack_file_prints_one_clean_error_naming_all_four_problems(project_copy):
    (project_copy / "Pulumi.broken.yaml").write_text(
        "config:\n"
        "  atlas-platform:environment: staging\n"
        "  atlas-platform:orgId: 12345\n"
        "  atlas-platform:app: payments\n"
        "  atlas-platform:projectTgas: {owner: me}\n"
        "  atlas-platform:teams:\n"
        "    - {name: sre, teamId: 5f0000000000000000000b01, roles: [GROUP_ADMIN]}\n"
        "  mongodbatlas:privateKey: plain-text-private-key\n"
    )
    result = preview("broken", project_copy)
    assert result.returncode == 1
    assert result.stdout == ""
    err = result.stderr
    assert "Traceback" not in err
    assert "Pulumi.broken.yaml has 4 problems; nothing was created:" in err
    assert "atlas-platform:projectTgas: unknown key; did you mean 'projectTags'?" in err
    assert "atlas-platform:orgId: '12345' is not an Atlas id" in err
    assert "atlas-platform:teams[0].roles[0]: 'GROUP_ADMIN' is not an Atlas project role" in err
    assert "mongodbatlas:privateKey: the Atlas API private key is in plain text" in err
    assert "plain-text-private-key" not in err


def test_unknown_stack_names_the_stacks_there_are():
    result = preview("qa")
    assert result.returncode == 1
    assert "Pulumi.qa.yaml: (file): no such stack file; stacks here: " in result.stderr


def test_preview_can_print_the_plan_without_the_policy_pack():
    result = subprocess.run(
        [sys.executable, "-m", "offline.preview", "--stack", "dev", "--no-policy-pack"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Resources by type:" in result.stdout
    assert result.stdout.rstrip().endswith("Policies: not run (--no-policy-pack).")
    assert "CrossGuard" not in result.stdout
