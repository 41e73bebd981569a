"""The scheduled live access review workflow (.github/workflows/access-review.yml), read as GitHub runs it.

`make lint` runs check-jsonschema, actionlint (with shellcheck) and zizmor on it; these tests hold
what the linters cannot know: when it runs, with which identity, on which runner, and what it does
with the review's exit code.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "access-review.yml"
INFRASTRUCTURE = ROOT / ".github" / "workflows" / "infrastructure.yml"
USES = re.compile(r"uses: ([\w./-]+)@([0-9a-f]{40})")


def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def test_it_runs_weekly_and_on_demand():
    triggers = workflow()[True]  # YAML reads the key `on` as true
    assert [s["cron"] for s in triggers["schedule"]] == ["17 6 * * 1"]
    assert "workflow_dispatch" in triggers


def test_actions_are_pinned_to_the_same_commits_as_the_deploy_workflow():
    pins = dict(USES.findall(INFRASTRUCTURE.read_text()))
    used = USES.findall(WORKFLOW.read_text())
    assert used and all(pins.get(action) == sha for action, sha in used), used
    assert "uses:" not in USES.sub("", WORKFLOW.read_text()).replace("# uses:", ""), "an action without a SHA pin"


def test_each_stack_reviews_with_its_own_read_only_environment_and_no_write_permission():
    jobs = workflow()["jobs"]
    review = jobs["review"]
    assert review["environment"] == "review-${{ matrix.stack }}"
    assert review["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.all) }}"
    assert workflow()["permissions"] == {}
    for job in jobs.values():
        assert job["permissions"] == {"contents": "read"}, "no id-token: Atlas's Admin API takes no OIDC federation"
    env = next(step["env"] for step in review["steps"] if step.get("id") == "review")
    assert env["MONGODB_ATLAS_CLIENT_ID"] == "${{ secrets.MONGODB_ATLAS_CLIENT_ID }}"
    assert env["MONGODB_ATLAS_CLIENT_SECRET"] == "${{ secrets.MONGODB_ATLAS_CLIENT_SECRET }}"


def test_the_runner_is_configurable_for_a_static_egress():
    for job in workflow()["jobs"].values():
        assert job["runs-on"] == "${{ fromJSON(vars.REVIEW_RUNS_ON || '\"ubuntu-latest\"') }}"


def test_it_runs_the_review_itself_uploads_the_report_and_fails_on_findings_or_unread():
    steps = workflow()["jobs"]["review"]["steps"]
    review = next(step for step in steps if step.get("id") == "review")
    assert '.venv/bin/python -m tools.review --stack "$STACK" --output review.md --json review.json' in review["run"]
    assert "GITHUB_STEP_SUMMARY" in review["run"]
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["if"] == "${{ !cancelled() }}" and "review.json" in upload["with"]["path"]
    verdict = steps[-1]["run"]
    assert "0) echo" in verdict and "1) echo" in verdict and "exit 1" in verdict and "exit 2" in verdict
