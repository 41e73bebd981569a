"""The stack file's `review` section: its validation, and the read-only service account the program creates for it.

The scheduled review (tools/review.py) runs as this account; the program creates it with
ScopedServiceAccount, so its API access list is the stack file's and Atlas enforces it.
"""

from __future__ import annotations

from typing import Any

import pytest

from stackconfig import ConfigError
from tests.conftest import load_changed, stack_config
from tests.harness.runner import Plan, run_stack
from tools.diff import compare

REVIEW_KEY = "atlas-platform:review"
COMPONENT = "atlas-platform:index:ScopedServiceAccount"
ACCOUNT = "mongodbatlas:index/serviceAccount:ServiceAccount"
ASSIGNMENT = "mongodbatlas:index/serviceAccountProjectAssignment:ServiceAccountProjectAssignment"
ENTRY = "mongodbatlas:index/serviceAccountAccessListEntry:ServiceAccountAccessListEntry"
STORED = "aws:secretsmanager/secret:Secret"
ACCESS = [{"cidrBlock": "203.0.113.112/28", "comment": "review runners nat"}]
REVIEW = {"serviceAccount": {"projectRoles": ["GROUP_READ_ONLY", "GROUP_DATABASE_ACCESS_ADMIN"], "accessList": ACCESS}}


def with_review(stack: str, review: dict[str, Any] | None) -> dict[str, Any]:
    config = stack_config(stack)
    if review is not None:
        config[REVIEW_KEY] = review
    return config


def reviewer(plan: Plan) -> list[Any]:
    component = next(r for r in plan.of_type(COMPONENT) if r.name.endswith("-review"))
    return [r for r in plan.resources if r.parent == component.urn]


@pytest.fixture(scope="module")
def reviewed() -> dict[str, Plan]:
    """prod (with an automation service account) and dev (without) with the review section."""
    return {stack: run_stack(stack, config=with_review(stack, REVIEW)) for stack in ("prod", "dev")}


def test_the_review_account_is_read_only_and_reachable_only_from_its_runners(reviewed):
    children = reviewer(reviewed["prod"])
    [account] = [r for r in children if r.type == ACCOUNT]
    [assignment] = [r for r in children if r.type == ASSIGNMENT]
    entries = [r for r in children if r.type == ENTRY]
    assert account.inputs["name"] == "payments-prod-review" and account.inputs["roles"] == ["ORG_MEMBER"]
    assert assignment.inputs["roles"] == ["GROUP_DATABASE_ACCESS_ADMIN", "GROUP_READ_ONLY"]
    assert [e.inputs.get("cidrBlock") for e in entries] == ["203.0.113.112/28"]
    [stored] = [r for r in children if r.type == STORED]
    assert stored.inputs["name"] == "payments/prod/atlas/review" and stored.protect
    assert reviewed["prod"].exports["reviewServiceAccount"]["accessList"] == {"203.0.113.112/28": "review runners nat"}


def test_turning_the_review_on_and_off_only_adds_and_removes_its_account(plans, reviewed):
    for stack in ("prod", "dev"):
        on = compare(plans(stack), reviewed[stack])
        assert {c.action for c in on} == {"create"}, [(c.action, c.name) for c in on]
        created = {c.name for c in on}
        assert {f"{'payments-prod' if stack == 'prod' else 'payments-dev'}-review-account"} <= created
        off = compare(reviewed[stack], plans(stack))
        assert {c.action for c in off} == {"delete"} and {c.name for c in off} == created


def test_access_history_off_leaves_the_account_read_only():
    review = {"serviceAccount": {"accessList": ACCESS}, "accessHistory": False}
    plan = run_stack("prod", config=with_review("prod", review))
    [assignment] = [r for r in reviewer(plan) if r.type == ASSIGNMENT]
    assert assignment.inputs["roles"] == ["GROUP_READ_ONLY"]


@pytest.mark.parametrize(
    ("review", "message"),
    [
        (
            {"serviceAccount": {"accessList": ACCESS}},
            "accessHistory is on but serviceAccount.projectRoles lacks GROUP_DATABASE_ACCESS_ADMIN",
        ),
        (
            {
                "serviceAccount": {"accessList": ACCESS, "projectRoles": ["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]},
                "accessHistory": False,
            },
            "is not what a read-only review holds",
        ),
        ({"serviceAccount": {"accessList": [{"cidrBlock": "10.1.0.0/16", "comment": "runner vpc"}]}}, "is a private range"),
        (dict(REVIEW, idleAllowed=["nobody"]), "review.idleAllowed names ['nobody']"),
        (dict(REVIEW, serviceAccount=dict(REVIEW["serviceAccount"], name="release")), "are both named 'release'"),
        (dict(REVIEW, failedAuthentications={"threshold": 0}), "review.failedAuthentications.threshold"),
        ({"accessHistory": False}, "review.serviceAccount: required key is missing"),
    ],
    ids=[
        "history-without-role",
        "write-role",
        "private-source",
        "unknown-idle-user",
        "name-clash",
        "zero-threshold",
        "no-account",
    ],
)
def test_a_bad_review_section_is_one_clear_error(review, message):
    with pytest.raises(ConfigError) as error:
        load_changed("prod", lambda config: config.__setitem__(REVIEW_KEY, review))
    assert "has 1 problem" in str(error.value) and message in str(error.value), str(error.value)
