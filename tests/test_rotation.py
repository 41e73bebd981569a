"""Alternating password rotation: plans of one stack file before and after an edit, compared with the
`make diff` machinery (tools/diff.py `compare`), as `pulumi up` would apply them.

The user under test is the prod fixture's `api` (kind app, auth password: alternating by default in
production). Each variant is planned once per module and shared by the tests that read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from atlas_platform.components.app_user import active_slot, last_rotation, password_keepers
from atlas_platform.components.facts import ROTATION_SLOTS
from tests.conftest import key, stack_config
from tests.harness.mocks import password_of
from tests.harness.runner import Plan, run_stack
from tools.diff import Change, compare

USER = "mongodbatlas:index/databaseUser:DatabaseUser"
PASSWORD = "random:index/randomPassword:RandomPassword"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET = "aws:secretsmanager/secret:Secret"
COMPONENT = "payments-prod-user-api"
USERNAME = "payments-prod-api"
REASON = "Legacy reconciliation tool reads one fixed username from its own config file"


def api(config: dict[str, Any]) -> dict[str, Any]:
    return next(u for u in config[key("databaseUsers")] if u["name"] == "api")


def edit(**fields: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with None, remove) keys of the `api` user."""

    def change(config: dict[str, Any]) -> None:
        user = api(config)
        for field, value in fields.items():
            if value is None:
                user.pop(field, None)
            else:
                user[field] = value

    return change


# Every variant this module plans, each once: the name says the stack file it stands for.
VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "count-0": edit(rotationCount=0),
    "count-1": edit(rotationCount=1),
    "count-2": edit(rotationCount=2),
    "count-2-more-roles": edit(rotationCount=2, roles=["read@reference"]),
    "count-2-password-version-2": edit(rotationCount=2, passwordVersion=2),
    # A one-user credential on its third password, as a stack file before this feature had it.
    "single-v3": edit(rotation="single", singleUserReason=REASON, passwordVersion=3),
    # The same credential switched to alternating: only the rotation key changes (the prod default).
    "alternating-v3": edit(passwordVersion=3),
}


@pytest.fixture(scope="module")
def plan() -> Callable[[str], Plan]:
    cache: dict[str, Plan] = {}

    def get(variant: str) -> Plan:
        if variant not in cache:
            config = stack_config("prod")
            VARIANTS[variant](config)
            cache[variant] = run_stack("prod", config=config)
        return cache[variant]

    return get


def named(plan: Plan, suffix: str):
    return plan.named(f"{COMPONENT}-{suffix}")


def secret_document(plan: Plan) -> dict[str, Any]:
    return json.loads(named(plan, "secret-version").inputs["secretString"])


def by_name(changes: list[Change]) -> dict[str, Change]:
    return {c.name.removeprefix(f"{COMPONENT}-"): c for c in changes}


# ---- the slot arithmetic, for every counter value ----


@pytest.mark.parametrize("count", range(12))
def test_each_bump_changes_the_keepers_of_exactly_the_slot_it_makes_active(count):
    def keepers(n: int) -> dict[str, dict[str, str]]:
        return {slot: password_keepers(1, last_rotation(slot, n)) for slot in ROTATION_SLOTS}

    before, after = keepers(count), keepers(count + 1)
    renewed = [slot for slot in ROTATION_SLOTS if before[slot] != after[slot]]
    assert renewed == [active_slot(count + 1)]
    assert active_slot(count + 1) != active_slot(count)


def test_slot_a_starts_with_the_keepers_a_one_user_credential_had():
    # What the program before alternating rotation gave every password (passwordVersion N).
    for version in (1, 2, 7):
        assert password_keepers(version, last_rotation("a", 0)) == {"passwordVersion": str(version)}
    assert active_slot(0) == "a"


# ---- what a plan holds ----


def test_an_alternating_credential_is_two_users_with_the_same_roles_behind_one_secret(plan):
    current = plan("count-0")
    a, b = named(current, "a-user"), named(current, "b-user")
    assert (a.inputs["username"], b.inputs["username"]) == (USERNAME, f"{USERNAME}-b")
    for field in ("roles", "scopes", "labels", "description", "authDatabaseName", "projectId"):
        assert a.inputs[field] == b.inputs[field], field
    assert a.protect and b.protect
    passwords = {slot: named(current, f"{slot}-password") for slot in ROTATION_SLOTS}
    assert a.inputs["password"] == password_of(passwords["a"]) != b.inputs["password"] == password_of(passwords["b"])
    assert "password" in a.secret_inputs and "password" in b.secret_inputs
    component = current.named(COMPONENT)
    assert sorted(r.type for r in current.children(component) if r.type in (SECRET, VERSION)) == [SECRET, VERSION]
    document = secret_document(current)
    assert (document["username"], document["password"]) == (USERNAME, a.inputs["password"])
    assert current.depends_on(named(current, "secret-version"), a)
    assert current.exports["databaseUsers"]["api"] == USERNAME
    assert current.exports["databaseUserRotation"]["api"] == {
        "activeUsername": USERNAME,
        "usernames": [USERNAME, f"{USERNAME}-b"],
        "rotationCount": 0,
        "rotationPeriodDays": 30,
    }


# ---- one bump, one flip ----


def assert_one_flip(old: Plan, new: Plan, rotated: str) -> None:
    """`rotated` got a new password and the secret; the other slot is untouched; nothing is deleted."""
    kept = next(slot for slot in ROTATION_SLOTS if slot != rotated)
    changes = by_name(compare(old, new))
    assert set(changes) == {f"{rotated}-password", f"{rotated}-user", "secret-version"}, sorted(changes)
    password, user, version = changes[f"{rotated}-password"], changes[f"{rotated}-user"], changes["secret-version"]
    assert password.action == "replace" and password.why == ["keepers forces a replacement"]
    assert user.action == "update" and [line.split(":")[0] for line in user.changed] == ["password"]
    assert version.action == "replace"  # a new version of the same secret, which becomes AWSCURRENT
    assert not any(c.blocked for c in changes.values())
    for suffix in (f"{kept}-password", f"{kept}-user", "secret"):
        assert named(old, suffix).inputs == named(new, suffix).inputs, suffix
    before, after = secret_document(old), secret_document(new)
    assert before["username"] == named(old, f"{kept}-user").inputs["username"]
    assert after["username"] == named(new, f"{rotated}-user").inputs["username"]
    assert after["password"] == named(new, f"{rotated}-user").inputs["password"] != before["password"]
    # The credential clients still hold is the other slot's, whose password has not changed.
    assert before["password"] == named(new, f"{kept}-user").inputs["password"]


def test_one_bump_renews_the_standby_slot_and_points_the_secret_at_it(plan):
    assert_one_flip(plan("count-0"), plan("count-1"), rotated="b")
    assert plan("count-1").exports["databaseUsers"]["api"] == f"{USERNAME}-b"


def test_the_next_bump_renews_the_other_slot(plan):
    assert_one_flip(plan("count-1"), plan("count-2"), rotated="a")
    assert secret_document(plan("count-2"))["username"] == USERNAME


def test_no_written_counter_is_counter_zero(plans, plan):
    assert compare(plans("prod"), plan("count-0")) == []


def test_a_role_change_updates_both_slots_in_the_same_run(plan):
    changes = by_name(compare(plan("count-2"), plan("count-2-more-roles")))
    assert set(changes) == {"a-user", "b-user"}
    for change in changes.values():
        assert change.action == "update"
        assert {line.split(":")[0].split("[")[0] for line in change.changed} == {"roles"}
    assert named(plan("count-2-more-roles"), "a-user").inputs["roles"] == named(plan("count-2-more-roles"), "b-user").inputs["roles"]


def test_a_password_version_bump_renews_both_slots_at_once(plan):
    changes = by_name(compare(plan("count-2"), plan("count-2-password-version-2")))
    assert set(changes) == {"a-password", "a-user", "b-password", "b-user", "secret-version"}
    assert {changes[f"{slot}-password"].action for slot in ROTATION_SLOTS} == {"replace"}
    assert secret_document(plan("count-2-password-version-2"))["username"] == USERNAME


# ---- switching a live one-user credential ----


def test_switching_a_one_user_credential_keeps_its_user_and_creates_slot_b_only(plan):
    single, alternating = plan("single-v3"), plan("alternating-v3")
    changes = by_name(compare(single, alternating))
    assert {name: c.action for name, c in changes.items()} == {
        "a-password": "rename",
        "a-user": "rename",
        "b-password": "create",
        "b-user": "create",
    }
    assert changes["a-user"].old_urn == named(single, "user").urn
    assert changes["a-password"].old_urn == named(single, "password").urn
    # Same username, same password (keepers passwordVersion 3), same secret and version.
    assert named(alternating, "a-user").inputs == named(single, "user").inputs
    assert named(alternating, "a-password").inputs["keepers"] == {"passwordVersion": "3"}
    assert secret_document(alternating) == secret_document(single)


def test_switching_back_keeps_slot_a_and_deletes_slot_b_which_prod_protects(plan):
    changes = by_name(compare(plan("alternating-v3"), plan("single-v3")))
    assert {name: c.action for name, c in changes.items()} == {
        "password": "rename",
        "user": "rename",
        "b-password": "delete",
        "b-user": "delete",
    }
    assert changes["b-user"].blocked and not changes["b-password"].blocked
