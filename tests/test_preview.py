"""The offline preview command, run as a newcomer runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_POLICY_CONFIG, ROOT, STACKS, fixture_file
from tests.harness.mocks import AtlasMocks, RecordingMonitor, Registration
from tools.preview import flatten, render_inputs, render_value

PROGRAM_FILES = [
    "Pulumi.yaml",
    "__main__.py",
    "program_args.py",
    "atlas_platform",
    "stackconfig",
    "tools",
    "tests/harness",
    "policies",
]


def preview(stack: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.preview", "--stack", stack],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _not_yours(folder: str, names: list[str]) -> set[str]:
    """What not to copy: caches, and your policy configs (policies/config/): a copy gets the fixtures' instead."""
    skipped = {n for n in names if n == "__pycache__"}
    return skipped | ({"config"} if Path(folder) == ROOT / "policies" else set())


def copy_program(target: Path) -> Path:
    for name in PROGRAM_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=_not_yours)
        elif source.exists():
            shutil.copy(source, target / name)
    return target


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The program in a scratch folder, so a test can drop a bad stack file beside it."""
    return copy_program(tmp_path)


@pytest.fixture(scope="module")
def example_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program with the fixture stack files and policy configs (the payments example) as its own: the
    preview reads a project's root stack files and policies/config/, and these tests assert the example's
    values, not yours."""
    root = copy_program(tmp_path_factory.mktemp("example"))
    (root / "policies" / "config").mkdir()
    for stack in STACKS:
        shutil.copy(fixture_file(stack), root / f"Pulumi.{stack}.yaml")
        shutil.copy(FIXTURE_POLICY_CONFIG / f"{stack}.json", root / "policies" / "config" / f"{stack}.json")
    return root


@pytest.mark.parametrize("stack", STACKS)
def test_preview_prints_the_plan_and_exits_zero(example_project, stack):
    result = preview(stack, example_project)
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


def test_unknown_stack_names_the_stacks_there_are(example_project):
    result = preview("no-such-stack", example_project)
    assert result.returncode == 1
    assert "Pulumi.no-such-stack.yaml: (file): no such stack file; stacks here: dev, prod, staging" in result.stderr


def test_preview_can_print_the_plan_without_the_policy_pack(example_project):
    result = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--stack", "dev", "--no-policy-pack"],
        cwd=example_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Resources by type:" in result.stdout
    assert result.stdout.rstrip().endswith("Policies: not run (--no-policy-pack).")
    assert "CrossGuard" not in result.stdout


# --- what the preview shows of each input ----------------------------------------------------


def record(program: Callable[[], None], stack: str = "prod") -> list[Registration]:
    """What `program` sends the engine, recorded under the SDK mock runtime (no stack file)."""
    import pulumi
    from pulumi.runtime import settings as pulumi_settings

    monitor = RecordingMonitor(AtlasMocks())
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(AtlasMocks(), project="atlas-platform", stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.test(program)()
    return monitor.registrations


def alert_with_one_secret_key() -> None:
    import pulumi
    import pulumi_mongodbatlas as atlas

    atlas.AlertConfiguration(
        "alert",
        project_id="0" * 24,
        event_type="HOST_DOWN",
        notifications=[
            atlas.AlertConfigurationNotificationArgs(type_name="EMAIL", email_address="dba@example.com", interval_min=60),
            atlas.AlertConfigurationNotificationArgs(type_name="PAGER_DUTY", service_key=pulumi.Output.secret("pd-key-123")),
            atlas.AlertConfigurationNotificationArgs(type_name="SLACK", channel_name="#alerts", api_token="xoxb-plain"),
        ],
    )


def test_a_secret_inside_a_notifications_list_masks_only_itself():
    (alert,) = record(alert_with_one_secret_key)
    assert alert.secret_inputs == {"notifications[1].serviceKey"}
    lines = render_inputs(alert, full=True)
    assert "notifications[1].serviceKey=[secret]" in lines
    assert "pd-key-123" not in "\n".join(lines)
    # Who gets alerted stays visible.
    assert 'notifications[0].emailAddress="dba@example.com"' in lines
    assert 'notifications[1].typeName="PAGER_DUTY"' in lines
    assert 'notifications[2].channelName="#alerts"' in lines


def test_a_secret_inside_a_list_value_masks_only_that_element():
    assert render_value(["a", "b", {"k": "c"}], "x", {"x[1]", "x[2].k"}) == '["a", [secret], {"k": [secret]}]'


def test_numbers_print_as_written():
    assert render_value(4.0, "n", set()) == "4"
    assert render_value(0.5, "n", set()) == "0.5"
    assert render_value({"a": [60.0, 1.25]}, "m", set()) == '{"a": [60, 1.25]}'
    assert render_value(True, "b", set()) == "true"


def test_preview_all_prints_every_input_of_every_resource(example_project, plans):
    result = subprocess.run(
        [sys.executable, "-m", "tools.preview", "--stack", "prod", "--no-policy-pack", "--all"],
        cwd=example_project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = {line.strip() for line in result.stdout.splitlines()}
    plan = plans("prod")
    assert "more inputs" not in result.stdout
    for resource in plan.resources:
        for path, value in flatten(resource.inputs):
            if path.startswith("__"):
                continue
            shown = render_value(value, path, resource.secret_inputs)
            assert f"{path}={shown}" in lines, f"{resource.name}: {path} is missing"
    summary = preview("prod", example_project).stdout
    assert "(+" in summary and "more inputs; --all shows them)" in summary
