"""The CI workflow, read as GitHub runs it: its jobs, permissions and pins, and its matrix over stack
files of a scratch folder. The matrix over your own stack files, and the OIDC subjects it produces
for them, are tests/test_your_stacks_ci.py (only your-stacks tests read your files)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "infrastructure.yml"
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def stacks_script() -> Any:
    spec = importlib.util.spec_from_file_location("ci_stacks", ROOT / ".github" / "scripts" / "stacks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_workflow_takes_its_stacks_from_the_matrix_job_not_a_list():
    for name, job in workflow()["jobs"].items():
        matrix = job.get("strategy", {}).get("matrix", {})
        if matrix:
            assert isinstance(matrix["stack"], str) and "needs.test.outputs" in matrix["stack"], name


def _environment(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def test_every_job_has_its_own_least_permissions():
    document = workflow()
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        assert set(job["permissions"]) <= {"contents", "id-token"}, name
        assert job["permissions"]["contents"] == "read", name


def _steps() -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow()["jobs"].items() for step in job["steps"]]


def test_actions_are_pinned_by_sha_with_the_version_beside_it():
    text = WORKFLOW.read_text()
    for name, step in _steps():
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), (name, step["uses"])
            assert re.search(re.escape(step["uses"]) + r" # v\d+\.\d+\.\d+", text), step["uses"]
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, name


def test_pull_requests_are_gated_by_the_default_branchs_policy_pack():
    preview = workflow()["jobs"]["preview"]
    trusted = [s for s in preview["steps"] if s.get("with", {}).get("path") == "trusted"]
    assert trusted and trusted[0]["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    run = next(s["run"] for s in preview["steps"] if "pulumi preview" in s.get("run", ""))
    assert "--policy-pack trusted/policies" in run and "trusted/policies/config/" in run
    assert "head.repo.full_name == github.repository" in preview["if"]


def test_the_approved_plan_is_the_applied_plan_and_deploys_queue_per_stack():
    jobs = workflow()["jobs"]
    plan_run = next(s["run"] for s in jobs["plan"]["steps"] if "pulumi preview" in s.get("run", ""))
    assert "--save-plan plan.json" in plan_run and "GITHUB_STEP_SUMMARY" in plan_run
    for name in ("deploy-nonprod", "deploy-prod"):
        job = jobs[name]
        up = next(s["run"] for s in job["steps"] if "pulumi up" in s.get("run", ""))
        assert "--plan plan.json" in up, name
        assert job["concurrency"]["group"] == "deploy-${{ matrix.stack }}", name
        assert "plan" in job["needs"], name
    assert "deploy-nonprod" in jobs["deploy-prod"]["needs"]


def test_atlas_credentials_are_the_service_accounts_the_readme_uses():
    text = WORKFLOW.read_text()
    assert "MONGODB_ATLAS_CLIENT_ID" in text and "MONGODB_ATLAS_CLIENT_SECRET" in text
    assert "MONGODB_ATLAS_PUBLIC_KEY" not in text and "MONGODB_ATLAS_PRIVATE_KEY" not in text
    assert "MONGODB_ATLAS_CLIENT_ID" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(
    "command",
    [
        [".venv/bin/actionlint", "-shellcheck", ".venv/bin/shellcheck"],
        [".venv/bin/zizmor", "--offline", "--no-progress", ".github/"],
    ],
    ids=["actionlint", "zizmor"],
)
def test_linters_report_nothing(command):
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_codeowners_cover_what_gates_production():
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    for path in ("/policies/", "/Pulumi.*.yaml", "/.github/"):
        assert re.search(rf"^{re.escape(path)}\s+@", owners, re.MULTILINE), path


def test_dependabot_bumps_the_pinned_actions():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert any(u["package-ecosystem"] == "github-actions" for u in config["updates"])


def test_a_second_production_stack_deploys_last_behind_reviewers(tmp_path: Path):
    from tests.test_environments import write_team_stacks

    values = stacks_script().stacks(write_team_stacks(tmp_path))
    # `prod-eu` says `production: true`, `uat` says `production: false`: the stack files decide, not the names.
    assert sorted(values["prod"]) == ["prod", "prod-eu"]
    assert sorted(values["nonprod"]) == ["dev", "staging", "uat"]
    jobs = workflow()["jobs"]
    deploy = jobs["deploy-prod"]
    assert deploy["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.test.outputs.prod) }}"
    assert "deploy-nonprod" in deploy["needs"] and deploy["environment"] == "${{ matrix.stack }}"
    assert jobs["deploy-nonprod"]["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.test.outputs.nonprod) }}"


def test_the_matrix_reads_production_under_the_programs_project_name(tmp_path: Path):
    # The program's config namespace is its project name (Pulumi.yaml): a renamed project keeps its production stacks.
    (tmp_path / "Pulumi.yaml").write_text("name: orders\nruntime: python\n")
    (tmp_path / "Pulumi.live.yaml").write_text("config:\n  orders:environment: live\n  orders:production: true\n")
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  orders:environment: qa\n  atlas-platform:production: true\n")
    assert stacks_script().stacks(tmp_path) == {"all": ["live", "qa"], "nonprod": ["qa"], "prod": ["live"]}


def test_a_stack_name_that_is_unsafe_in_ci_is_refused(tmp_path: Path):
    (tmp_path / "Pulumi.prod$(id).yaml").write_text("config: {}\n")
    with pytest.raises(SystemExit, match="must match"):
        stacks_script().stacks(tmp_path)
