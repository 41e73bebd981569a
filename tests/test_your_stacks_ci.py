"""Your stacks in CI: the deploy matrix is your stack files, production last, and the OIDC subjects its
jobs produce for them are the ones docs/policies.md tells you to trust.

A your-stacks module (tests/test_your_stacks*.py): it reads the repository's own stack files and asserts
only what holds for any valid stack.
"""

from __future__ import annotations

import re

import yaml

from stackconfig.production import is_production
from tests.conftest import NAMESPACE, ROOT, YOUR_STACKS
from tests.test_workflow import _environment, stacks_script, workflow

DOC = ROOT / "docs" / "policies.md"


def matrix_values() -> dict[str, list[str]]:
    return dict(stacks_script().stacks(ROOT))


def test_the_matrix_is_every_stack_file_with_production_last():
    values = matrix_values()
    assert values["all"] == YOUR_STACKS
    assert sorted(values["nonprod"] + values["prod"]) == sorted(YOUR_STACKS)
    for stack in YOUR_STACKS:
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert (stack in values["prod"]) is is_production(config, NAMESPACE), stack


def oidc_subjects() -> set[str]:
    """`repo:<owner>/<repo>:environment:<name>` for every job that requests an OIDC token.

    GitHub puts the environment in the subject whenever a job has one, whatever the event
    (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect).
    """
    values = matrix_values()
    subjects = set()
    for name, job in workflow()["jobs"].items():
        if job.get("permissions", {}).get("id-token") != "write":
            continue
        environment = _environment(job)
        assert environment, f"{name} requests an OIDC token without an environment: its subject would be the branch or PR"
        source = re.search(r"needs\.test\.outputs\.(\w+)", job["strategy"]["matrix"]["stack"]).group(1)
        for stack in values[source]:
            subjects.add("repo:<owner>/<repo>:environment:" + environment.replace("${{ matrix.stack }}", stack))
    return subjects


def documented_subjects() -> set[str]:
    """The subjects docs/policies.md documents per stack (`...:environment:preview-<stack>`), for each of your stacks."""
    patterns = set(re.findall(r"`(repo:<owner>/<repo>:environment:[a-z0-9-]*<stack>)`", DOC.read_text()))
    assert patterns, "docs/policies.md documents no OIDC subject"
    return {pattern.replace("<stack>", stack) for pattern in patterns for stack in YOUR_STACKS}


def test_documented_oidc_trust_is_exactly_the_subjects_the_jobs_produce():
    assert oidc_subjects() == documented_subjects()
