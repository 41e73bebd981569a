"""Alternating password rotation: plans of one stack file before and after an edit, compared with the
`make diff` machinery (tools/diff.py `compare`), as `pulumi up` would apply them.

The user under test is the prod fixture's `api` (kind app, auth password: alternating by default in
production). Each variant is planned once per module and shared by the tests that read it.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from typing import Any

import pytest
from pymongo.errors import OperationFailure

from atlas_platform.components.app_user import active_slot, last_rotation, password_keepers
from atlas_platform.components.facts import ROTATION_SLOTS
from policies.rules import types as t
from tests.conftest import ROOT, key, load_changed, load_stack, one_refusal, stack_config
from tests.harness.mocks import mock_password, password_of
from tests.harness.runner import Plan, run_stack
from tests.policy_support import GOOD_USER, resource, verdict
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


@pytest.mark.parametrize("count", range(1, 12))
def test_lowering_the_counter_renews_the_slot_clients_hold(count):
    # Why docs/users.md says the counter only goes up: a step back renews the active slot.
    renewed = [
        slot
        for slot in ROTATION_SLOTS
        if password_keepers(1, last_rotation(slot, count)) != password_keepers(1, last_rotation(slot, count - 1))
    ]
    assert renewed == [active_slot(count)]


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


def test_an_alias_changes_no_generated_password(plans, plan):
    # The mocks keep an aliased resource's outputs, as the engine keeps its state: so a plan of the
    # code before aliases (no alias, the old name) and one after give the same password.
    single = plans("prod").named("payments-prod-user-reporting-password")
    assert "payments-prod-user-reporting-a-password" in {urn.rsplit("::", 1)[-1] for urn in single.aliases}
    assert password_of(single) == mock_password(single.name, single.inputs["keepers"])
    slot_a = named(plan("alternating-v3"), "a-password")
    assert password_of(slot_a) == mock_password(f"{COMPONENT}-password", {"passwordVersion": "3"})


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
    assert (
        named(plan("count-2-more-roles"), "a-user").inputs["roles"] == named(plan("count-2-more-roles"), "b-user").inputs["roles"]
    )


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


# ---- the stack file: defaults and refusals ----


def test_production_applications_alternate_by_default_and_others_stay_single():
    prod, staging = load_stack("prod"), load_stack("staging")
    modes = prod.production_defaults.password_rotation
    assert {u.name: modes.get(u.name) for u in prod.database_users if u.auth == "password"} == {
        "api": "alternating",  # kind app
        "reporting": "single",  # kind analytics
    }
    assert set(staging.production_defaults.password_rotation.values()) == {"single"}
    alternating = load_changed("staging", edit(rotation="alternating", rotationCount=3, rotationPeriodDays=7))
    assert alternating.production_defaults.password_rotation["api"] == "alternating"
    user = next(u for u in alternating.database_users if u.name == "api")
    assert (user.rotations, user.rotation_period) == (3, 7)
    assert user.usernames("payments-staging", is_prod=False) == ["payments-staging-api", "payments-staging-api-b"]


def where(stack: str = "prod") -> str:
    index = next(i for i, u in enumerate(stack_config(stack)[key("databaseUsers")]) if u["name"] == "api")
    return f"atlas-platform:databaseUsers[{index}]"


@pytest.mark.parametrize(
    ("stack", "fields", "expected"),
    [
        ("prod", {"rotation": "single"}, "add `singleUserReason` saying why this application cannot follow a secret"),
        ("prod", {"singleUserReason": REASON}, "rotates by alternating users, so `singleUserReason` says nothing"),
        (
            "prod",
            {"rotation": "single", "singleUserReason": REASON, "rotationCount": 1},
            "`rotationCount` only applies to `rotation: alternating`",
        ),
        ("staging", {"rotationCount": 1}, "rotates `single` (the default for this user); write `rotation: alternating`"),
        ("staging", {"rotationPeriodDays": 30}, "`rotationPeriodDays` only applies to `rotation: alternating`"),
        ("prod", {"rotation": "rolling"}, "'rolling' is not a password rotation; write one of: alternating, single"),
        ("prod", {"rotationCount": -1}, "rotationCount"),
        ("prod", {"rotationPeriodDays": 0}, "rotationPeriodDays"),
        ("prod", {"singleUserReason": "because"}, "singleUserReason"),
    ],
)
def test_rotation_keys_that_cannot_apply_are_refused_with_the_fix(stack, fields, expected):
    message = one_refusal(stack, edit(**fields))
    assert where(stack) in message and expected in message, message


def test_rotation_keys_on_a_user_without_a_password_are_refused():
    def iam_with_rotation(config):
        user = next(u for u in config[key("databaseUsers")] if u["auth"] == "awsIam")
        user["rotation"] = "alternating"

    message = one_refusal("prod", iam_with_rotation)
    assert "`rotation` only applies to `auth: password`" in message


def test_a_production_application_may_stay_single_with_a_reason():
    cfg = load_changed("prod", edit(rotation="single", singleUserReason=REASON))
    assert cfg.production_defaults.password_rotation["api"] == "single"


def test_a_user_named_like_another_users_slot_b_is_refused():
    def clash(config):
        twin = dict(api(config), name="api-b")
        twin.pop("passwordVersion", None)
        config[key("databaseUsers")].append(twin)

    message = one_refusal("prod", clash)
    assert "alternates with a second Atlas user named for 'api-b', which is the name of databaseUsers[6]" in message


def filled_to(atlas_users: int) -> Callable[[dict[str, Any]], None]:
    """Prod's users plus alternating app users (two Atlas users each) and at most one analytics user,
    `atlas_users` Atlas users in all."""

    def change(config: dict[str, Any]) -> None:
        users = config[key("databaseUsers")]
        cfg = load_stack("prod")
        have = sum(len(u.atlas_names(True)) for u in cfg.database_users)
        template = {k: v for k, v in api(config).items() if k not in ("passwordVersion", "rotation")}
        pairs, single = divmod(atlas_users - have, 2)
        users += [dict(template, name=f"svc-{n:02d}") for n in range(pairs)]
        users += [dict(template, name="bi-extra", kind="analytics", databases=["payments"])] * single

    return change


def test_the_100_user_limit_counts_both_slots_of_every_alternating_user():
    cfg = load_changed("prod", filled_to(100))
    assert sum(len(u.usernames(cfg.resource_prefix, True)) for u in cfg.database_users) == 100
    assert len(cfg.database_users) < 60  # well under 100 entries: it is the slots that fill Atlas
    message = one_refusal("prod", filled_to(101))
    assert "atlas-platform:databaseUsers:" in message
    assert "make 101 database users in Atlas" in message and "alternating, with two Atlas users each" in message
    assert "Atlas allows at most 100 database users per project" in message


# ---- the policy pack ----

ALTERNATING = "atlas-user-alternating-rotation"


def password_user(name: str, username: str, **props: Any):
    base = {**GOOD_USER, "username": username, "authDatabaseName": "admin", "awsIamType": "NONE", "password": "x"}
    return resource(t.DATABASE_USER, name, {**base, **props}, secret_paths=["password"])


def test_pack_advises_on_a_production_password_user_without_an_alternate(policy_pack):
    report = verdict(policy_pack, [password_user("lone", "payments-prod-batch")])
    assert report.mandatory == []
    [finding] = [f for f in report.advisory if f.policy == ALTERNATING]
    assert finding.resource_name == "lone"
    assert "'payments-prod-batch' logs in with a password and has no alternate" in finding.message
    assert "'payments-prod-batch-b'" in finding.message


def test_pack_accepts_a_pair_and_flags_a_pair_whose_roles_differ(policy_pack):
    pair = [password_user("a", "payments-prod-api"), password_user("b", "payments-prod-api-b")]
    assert [f for f in verdict(policy_pack, pair).advisory if f.policy == ALTERNATING] == []
    drifted = [pair[0], password_user("b", "payments-prod-api-b", roles=[{"roleName": "read", "databaseName": "payments"}])]
    [finding] = [f for f in verdict(policy_pack, drifted).advisory if f.policy == ALTERNATING]
    assert finding.resource_name == "b" and "differ in roles" in finding.message


def test_pack_pairs_only_within_one_project(policy_pack):
    other = password_user("b", "payments-prod-api-b", projectId="5f00000000000000000000bb")
    findings = [
        f for f in verdict(policy_pack, [password_user("a", "payments-prod-api"), other]).advisory if f.policy == ALTERNATING
    ]
    assert sorted(f.resource_name for f in findings) == ["a", "b"]


def test_pack_says_nothing_about_rotation_outside_production(policy_pack):
    lone = password_user("lone", "payments-staging-batch")
    report = verdict(policy_pack, [resource(t.DATABASE_USER, "lone", lone.properties, stack="staging")], stack="staging")
    assert [f for f in report.findings if f.policy == ALTERNATING] == []


def test_pack_flags_the_shipped_prod_stacks_single_password_user_only(policy_pack, plans):
    report = policy_pack.check_plan(plans("prod"))
    flagged = sorted(f.resource_name for f in report.advisory if f.policy == ALTERNATING)
    assert flagged == ["payments-prod-user-reporting-user"]  # analytics, single by default; api alternates


# ---- an application following the secret through two rotations ----


class Database:
    """Atlas as a client meets it: the credentials of the users that exist, as a plan sets them."""

    def __init__(self) -> None:
        self.valid: set[tuple[str, str]] = set()

    def apply(self, plan: Plan) -> None:
        self.valid = {(u.inputs["username"], u.inputs["password"]) for u in plan.of_type(USER) if "password" in u.inputs}


class FakeClient:
    """Stands in for pymongo.MongoClient where a server is needed; records what it was built with."""

    def __init__(self, database: Database, host: str, **options: Any) -> None:
        self.database, self.host, self.options, self.closed = database, host, options, False

    def ping(self) -> str:
        if (self.options["username"], self.options["password"]) not in self.database.valid:
            raise OperationFailure("Authentication failed.", code=18)
        return self.options["username"]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def application(monkeypatch):
    """The example client (examples/app-client/atlas_client.py) with a stubbed Secrets Manager."""
    import boto3
    from botocore.stub import Stubber

    path = ROOT / "examples" / "app-client" / "atlas_client.py"
    spec = importlib.util.spec_from_file_location("atlas_client", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    database, clock = Database(), [0.0]
    monkeypatch.setattr(module, "MongoClient", lambda host, **options: FakeClient(database, host, **options))
    secrets = boto3.client("secretsmanager", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    stubber = Stubber(secrets)
    stubber.activate()
    connection = module.AtlasConnection(
        "payments/prod/mongodb/api", refresh_seconds=3600, secrets=secrets, clock=lambda: clock[0]
    )
    yield connection, database, stubber, clock
    stubber.deactivate()


def serve(stubber, plan: Plan) -> None:
    """Secrets Manager answers GetSecretValue with the secret version `plan` writes (checked against the service model)."""
    stubber.add_response(
        "get_secret_value",
        {
            "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/prod/mongodb/api-AbCdEf",
            "Name": "payments/prod/mongodb/api",
            "SecretString": named(plan, "secret-version").inputs["secretString"],
            "VersionStages": ["AWSCURRENT"],
        },
        {"SecretId": "payments/prod/mongodb/api"},
    )


def test_an_application_that_reads_within_the_period_never_meets_a_refusal(application, plan):
    connection, database, stubber, clock = application
    database.apply(plan("count-0"))
    serve(stubber, plan("count-0"))
    assert connection.run(lambda client: client.ping()) == USERNAME
    # Rotation 1: slot b renewed, the secret moves to it; the client keeps slot a, still valid.
    database.apply(plan("count-1"))
    assert connection.run(lambda client: client.ping()) == USERNAME
    clock[0] += 3600  # its refresh is due: it reads the secret and moves to slot b
    serve(stubber, plan("count-1"))
    assert connection.run(lambda client: client.ping()) == f"{USERNAME}-b"
    # Rotation 2: slot a renewed; the client on slot b keeps working until its next read.
    database.apply(plan("count-2"))
    assert connection.run(lambda client: client.ping()) == f"{USERNAME}-b"
    stubber.assert_no_pending_responses()


def test_an_application_two_rotations_behind_re_reads_on_the_refusal(application, plan):
    connection, database, stubber, _ = application
    database.apply(plan("count-0"))
    serve(stubber, plan("count-0"))
    assert connection.run(lambda client: client.ping()) == USERNAME
    first = connection.client
    # Two bumps without a read in between (faster than the period): slot a's password changed.
    database.apply(plan("count-2"))
    serve(stubber, plan("count-2"))
    assert connection.run(lambda client: client.ping()) == USERNAME
    assert first.closed and connection.client is not first
    assert connection.client.options["password"] == named(plan("count-2"), "a-user").inputs["password"]
    stubber.assert_no_pending_responses()


def test_other_errors_are_not_taken_for_a_rotation(application):
    connection, database, stubber, _ = application
    connection.client = FakeClient(database, "mongodb+srv://x", username="u", password="p")

    def fails(client):
        raise OperationFailure("not authorized on payments to execute command", code=13)

    with pytest.raises(OperationFailure):
        connection.run(fails)
    stubber.assert_no_pending_responses()


def test_the_example_builds_real_pymongo_clients_from_the_secret_and_the_docs_show_it(plan):
    from pymongo import MongoClient

    document = secret_document(plan("count-1"))
    # A real client, not connecting: pymongo checks the option names and values the example passes.
    # (An SRV string needs DNS at construction, so the host here is a plain one.)
    client: MongoClient[dict[str, Any]] = MongoClient(
        "mongodb://payments-prod-cluster1.example.mongodb.net:27017/?tls=true",
        username=document["username"],
        password=document["password"],
        authSource=document["authDatabase"],
        connect=False,
    )
    try:
        assert client.options.pool_options._credentials.username == f"{USERNAME}-b"
        assert client.options.pool_options._credentials.source == "admin"
    finally:
        client.close()
    source = (ROOT / "examples" / "app-client" / "atlas_client.py").read_text()
    docs = (ROOT / "docs" / "users.md").read_text()
    shown = docs.split("```python\n", 1)[1].split("```", 1)[0]
    assert shown.strip() and shown.strip() in source
