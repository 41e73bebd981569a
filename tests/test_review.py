"""`make review`: the live access review against the spec-validated scenario server, one scenario per test.

Each scenario is the fixture prod stack's clean project (what `pulumi up` of its plan leaves in
Atlas, tests/harness/atlas_state.py) changed in one way; the review must report exactly that, and
nothing on the clean project. The `atlas` fixture fails a test on any request or response the
vendored Atlas spec rejects. The stack is planned once for the module.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import load_stack, stack_config
from tests.harness.atlas_server import TEST_API_KEY, TEST_SERVICE_ACCOUNT, AtlasServer, Fault, Identity, Scenario, environment
from tests.harness.atlas_state import PRIVATE_SOURCE, clean_project, database_user, sign_in, with_change
from tests.harness.runner import Plan, run_stack
from tools.review import Finding, Outcome, ReviewSettings, execute, render_json, render_markdown, settings_from_config

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REVIEW = {
    "serviceAccount": {
        "projectRoles": ["GROUP_READ_ONLY", "GROUP_DATABASE_ACCESS_ADMIN"],
        "accessList": [{"cidrBlock": "203.0.113.112/28", "comment": "prod-review-runners-nat"}],
    },
    "failedAuthentications": {"threshold": 20, "withinHours": 24},
    "idleAllowed": ["dba"],
}


@pytest.fixture(scope="module")
def reviewed() -> tuple[Plan, ReviewSettings]:
    """The fixture prod stack with a `review` section: its plan (once) and its review settings."""
    config = stack_config("prod")
    config["atlas-platform:review"] = REVIEW
    plan = run_stack("prod", config=config)
    return plan, settings_from_config(load_stack("prod", config), plan)


@pytest.fixture(scope="module")
def clean(reviewed: tuple[Plan, ReviewSettings]) -> dict[str, Any]:
    return clean_project(reviewed[0], now=NOW)


def run(
    atlas: AtlasServer,
    reviewed: tuple[Plan, ReviewSettings],
    data: dict[str, Any],
    *,
    identity: Identity = TEST_SERVICE_ACCOUNT,
    faults: dict[str, list[Fault]] | None = None,
    forbidden: dict[str, str] | None = None,
    **options: Any,
) -> Outcome:
    plan, settings = reviewed
    atlas.reset(Scenario(data=data, faults=faults or {}, forbidden=forbidden or {}))
    options.setdefault("sleep", lambda _seconds: None)
    return execute(plan, settings, environment(identity, atlas.base_url), now=NOW, **options)


def findings(outcome: Outcome) -> list[Finding]:
    assert outcome.report is not None, outcome.error
    return outcome.report.findings


def only(outcome: Outcome, kind: str, obj: str) -> Finding:
    """The one finding the scenario must produce (and no other)."""
    found = findings(outcome)
    assert [(f.kind, f.object) for f in found] == [(kind, obj)], [(f.kind, f.object, f.why) for f in found]
    assert outcome.code == 1
    return found[0]


def changed(clean: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    return with_change(clean, change)


def add_logs(*entries: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["getGroupDbAccessHistoryCluster"].logs += list(entries)

    return change


# --- The clean project ---


@pytest.mark.parametrize("identity", [TEST_SERVICE_ACCOUNT, TEST_API_KEY], ids=["service-account", "api-key"])
def test_the_clean_project_has_no_findings(atlas, reviewed, clean, identity):
    outcome = run(atlas, reviewed, clean, identity=identity)
    assert outcome.code == 0 and findings(outcome) == []
    markdown = render_markdown(outcome.report)
    assert "None: Atlas holds what the stack file declares." in markdown
    # The window says which period the staleness checks saw: Atlas keeps 7 days, less than the 90 asked.
    assert "90 days asked; Atlas keeps 7 days of access history" in markdown
    # Every area was read, each through the operation the vendored spec names.
    read = {e.operation_id for e in atlas.exchanges if e.status == 200}
    assert read >= {
        "getGroupByName",
        "listGroupDatabaseUsers",
        "listGroupCustomDbRoleRoles",
        "listGroupAccessListEntries",
        "listGroupPrivateEndpointEndpointService",
        "listGroupUsers",
        "listGroupTeams",
        "listGroupApiKeys",
        "listGroupServiceAccounts",
        "listGroupServiceAccountAccessList",
        "listGroupClusters",
        "getGroupCluster",
        "getGroupClusterProcessArgs",
        "getGroupClusterBackupSchedule",
        "getGroupAuditLog",
        "listGroupAlertConfigs",
        "getGroupDbAccessHistoryCluster",
    }
    assert json.loads(render_json(outcome.report))["exitCode"] == 0


def test_the_review_reads_only(atlas, reviewed, clean):
    run(atlas, reviewed, clean)
    assert {e.method for e in atlas.exchanges if e.operation_id} == {"GET"}


# --- Unmanaged, missing, drifted ---


def test_a_user_added_in_the_ui_is_unmanaged(atlas, reviewed, clean):
    ui_user = database_user(
        {
            "username": "tmp-debug",
            "authDatabaseName": "admin",
            "roles": [{"roleName": "readWriteAnyDatabase", "databaseName": "admin"}],
        }
    )
    outcome = run(atlas, reviewed, changed(clean, lambda d: d["listGroupDatabaseUsers"].append(ui_user)))
    # No sign-in either: an unmanaged user that nobody uses is stale too.
    kinds = {(f.kind, f.object) for f in findings(outcome)}
    assert kinds == {("unmanaged", "database user tmp-debug (admin)"), ("stale", "database user tmp-debug (admin)")}
    unmanaged = next(f for f in findings(outcome) if f.kind == "unmanaged")
    assert "readWriteAnyDatabase@admin" in unmanaged.why
    assert (
        f"pulumi import mongodbatlas:index/databaseUser:DatabaseUser <name> {outcome.report.project_id}/tmp-debug/admin"
        in unmanaged.fix
    )


def test_a_hand_added_access_list_entry_is_unmanaged(atlas, reviewed, clean):
    entry = {
        "groupId": clean["getGroupByName"]({"groupName": "payments-prod"}, {})["id"],
        "ipAddress": "198.51.100.23",
        "cidrBlock": "198.51.100.23/32",
        "comment": "debugging session",
        "deleteAfterDate": "2026-03-05T00:00:00Z",
    }
    data = changed(clean, lambda d: d["listGroupAccessListEntries"].append(entry))
    data = changed(data, add_logs(sign_in("payments-prod-api", "198.51.100.23", NOW - timedelta(hours=3))))
    outcome = run(atlas, reviewed, data)
    # Used, so not stale; its sign-in comes from outside the declared access list.
    kinds = sorted((f.kind, f.object) for f in findings(outcome))
    assert kinds == [
        ("unexpected source", "sign-ins from 198.51.100.23"),
        ("unmanaged", "access-list entry 198.51.100.23/32 (debugging session)"),
    ]
    unmanaged = next(f for f in findings(outcome) if f.kind == "unmanaged")
    assert "expire 2026-03-05" in unmanaged.why and "network.accessList" in unmanaged.fix


def test_a_drifted_role_is_reported_with_both_values(atlas, reviewed, clean):
    def escalate(data: dict[str, Any]) -> None:
        user = next(u for u in data["listGroupDatabaseUsers"] if u["username"] == "payments-prod-reporting")
        user["roles"].append({"roleName": "readWrite", "databaseName": "payments"})

    finding = only(run(atlas, reviewed, changed(clean, escalate)), "drifted", "database user payments-prod-reporting (admin)")
    assert "readWrite@payments" in finding.why and "read@payments, read@reference" in finding.why


def test_a_drifted_access_list_comment(atlas, reviewed, clean):
    def recomment(data: dict[str, Any]) -> None:
        data["listGroupAccessListEntries"][0]["comment"] = "temporary"

    finding = only(run(atlas, reviewed, changed(clean, recomment)), "drifted", "access-list entry 203.0.113.10/32")
    assert "'temporary'" in finding.why and "'prod-bastion'" in finding.why


@pytest.mark.parametrize(
    ("change", "kind", "obj"),
    [
        (
            lambda d: d["listGroupTeams"].append({"teamId": "65f00000000000000000bb99", "roleNames": ["GROUP_OWNER"]}),
            "unmanaged",
            "team 65f00000000000000000bb99",
        ),
        (
            lambda d: next(t for t in d["listGroupTeams"] if t["teamId"].endswith("b01")).update(roleNames=["GROUP_OWNER"]),
            "drifted",
            "team 5f0000000000000000000b01",
        ),
        (
            lambda d: d["listGroupUsers"].append(
                {
                    "id": "65f0000000000000000000c7",
                    "username": "contractor@example.net",
                    "orgMembershipStatus": "PENDING",
                    "roles": ["GROUP_DATA_ACCESS_READ_WRITE"],
                    "invitationCreatedAt": "2026-02-20T00:00:00Z",
                    "inviterUsername": "ops@example.com",
                }
            ),
            "unmanaged",
            "project member contractor@example.net (invitation pending)",
        ),
        (
            lambda d: d["listGroupApiKeys"].append(
                {
                    "id": "65f0000000000000000000d1",
                    "publicKey": "abcdefgh",
                    "desc": "old CI key",
                    "roles": [{"groupId": "65f0000000000000000000e1", "roleName": "GROUP_OWNER"}],
                }
            ),
            "unmanaged",
            "API key abcdefgh (old CI key)",
        ),
        (
            lambda d: d["listGroupServiceAccounts"].append(
                {
                    "clientId": "mdb_sa_id_65f0000000000000000000f1",
                    "name": "someone-script",
                    "roles": ["GROUP_OWNER"],
                    "createdAt": "2026-01-01T00:00:00Z",
                }
            ),
            "unmanaged",
            "service account someone-script (mdb_sa_id_65f0000000000000000000f1)",
        ),
        (lambda d: d["listGroupCustomDbRoleRoles"].clear(), "missing", "custom role ledgerAppendOnly"),
        (
            lambda d: d["listGroupPrivateEndpointEndpointService"][0]["interfaceEndpoints"].append("vpce-0123456789abcdef0"),
            "unmanaged",
            None,
        ),
        (lambda d: d["listGroupAlertConfigs"].pop(0), "missing", "alert NETWORK_PERMISSION_ENTRY_ADDED"),
    ],
    ids=[
        "team-unmanaged",
        "team-drifted",
        "member-invited",
        "api-key",
        "service-account",
        "custom-role-missing",
        "extra-endpoint",
        "alert-missing",
    ],
)
def test_each_kind_of_object_is_compared(atlas, reviewed, clean, change, kind, obj):
    found = findings(run(atlas, reviewed, changed(clean, change)))
    assert [f.kind for f in found] == [kind], [(f.kind, f.object) for f in found]
    if obj is not None:
        assert found[0].object == obj


def test_a_service_accounts_api_access_list_widened_by_hand(atlas, reviewed, clean):
    original = clean["listGroupServiceAccountAccessList"]

    def widen(params: dict[str, str], query: dict[str, str]) -> Any:
        entries = list(original(params, query))
        return [*entries, {"cidrBlock": "0.0.0.0/1", "createdAt": "2026-02-01T00:00:00Z", "requestCount": 0}]

    data = changed(clean, lambda d: d.update(listGroupServiceAccountAccessList=widen))
    found = findings(run(atlas, reviewed, data))
    assert {f.kind for f in found} == {"drifted"} and len(found) == 2  # both declared accounts
    assert all("0.0.0.0/1" in f.why for f in found)


def test_cluster_drift_tier_backup_tls_and_schedule(atlas, reviewed, clean):
    cluster_name = "payments-prod-cluster1"
    original_cluster, original_args, original_schedule = (
        clean["getGroupCluster"],
        clean["getGroupClusterProcessArgs"],
        clean["getGroupClusterBackupSchedule"],
    )

    def cluster(params: dict[str, str], query: dict[str, str]) -> Any:
        body = json.loads(json.dumps(original_cluster(params, query)))
        body["pitEnabled"] = False
        # Above the auto-scaling ceiling (M60): not Atlas scaling, a change by hand.
        body["replicationSpecs"][0]["regionConfigs"][0]["electableSpecs"]["instanceSize"] = "M80"
        return body

    def process_args(params: dict[str, str], query: dict[str, str]) -> Any:
        return original_args(params, query) | {"minimumEnabledTlsProtocol": "TLS1_0"}

    def schedule(params: dict[str, str], query: dict[str, str]) -> Any:
        body = json.loads(json.dumps(original_schedule(params, query)))
        body["policies"][0]["policyItems"][0]["retentionValue"] = 1
        return body

    data = changed(
        clean,
        lambda d: d.update(
            getGroupCluster=cluster, getGroupClusterProcessArgs=process_args, getGroupClusterBackupSchedule=schedule
        ),
    )
    objects = sorted(f.object for f in findings(run(atlas, reviewed, data)))
    assert objects == [
        f"cluster {cluster_name}: backup schedule",
        f"cluster {cluster_name}: minimum TLS",
        f"cluster {cluster_name}: point-in-time restore",
        f"cluster {cluster_name}: tier in US_EAST_1",
    ]


def test_a_tier_within_the_auto_scaling_range_is_not_drift(atlas, reviewed, clean):
    original = clean["getGroupCluster"]

    def scaled(params: dict[str, str], query: dict[str, str]) -> Any:
        body = json.loads(json.dumps(original(params, query)))
        for region in body["replicationSpecs"][0]["regionConfigs"]:
            region["electableSpecs"]["instanceSize"] = "M50"  # Atlas scaled up within M30-M60
        return body

    assert findings(run(atlas, reviewed, changed(clean, lambda d: d.update(getGroupCluster=scaled)))) == []


# --- Stale, unexpected sources, spikes ---


def test_a_user_without_a_sign_in_is_stale(atlas, reviewed, clean):
    def forget(data: dict[str, Any]) -> None:
        history = data["getGroupDbAccessHistoryCluster"]
        history.logs = [e for e in history.logs if e["username"] != "payments-prod-reporting"]

    finding = only(run(atlas, reviewed, changed(clean, forget)), "stale", "database user payments-prod-reporting (admin)")
    assert "review.idleAllowed" in finding.fix


def alternating_slots(reviewed) -> list[str]:
    """The Atlas users of the first alternating credential the plan declares (docs/users.md, "Rotation")."""
    slots = next(iter(reviewed[1].credentials), frozenset())
    assert len(slots) == 2, "the fixture prod stack rotates a password user by alternating slots"
    return sorted(slots)


def test_the_standby_slot_of_an_alternating_user_idles_by_design(atlas, reviewed, clean):
    active, standby = alternating_slots(reviewed)

    def only_the_active_slot_signs_in(data: dict[str, Any]) -> None:
        history = data["getGroupDbAccessHistoryCluster"]
        history.logs = [e for e in history.logs if e["username"] != standby]
        assert any(e["username"] == active for e in history.logs)

    assert findings(run(atlas, reviewed, changed(clean, only_the_active_slot_signs_in))) == []


def test_an_alternating_credential_no_slot_used_is_stale_on_both_slots(atlas, reviewed, clean):
    slots = alternating_slots(reviewed)

    def forget(data: dict[str, Any]) -> None:
        history = data["getGroupDbAccessHistoryCluster"]
        history.logs = [e for e in history.logs if e["username"] not in slots]

    outcome = run(atlas, reviewed, changed(clean, forget))
    # (Their sign-ins were also what came through the access list: only the users are asserted here.)
    users = {(f.kind, f.object) for f in findings(outcome) if f.object.startswith("database user")}
    assert users == {("stale", f"database user {slot} (admin)") for slot in slots}


def test_the_break_glass_user_allowed_idle_is_not_stale(atlas, reviewed, clean):
    def forget(data: dict[str, Any]) -> None:
        history = data["getGroupDbAccessHistoryCluster"]
        history.logs = [e for e in history.logs if e["username"] != "payments-prod-dba"]

    assert findings(run(atlas, reviewed, changed(clean, forget))) == []


def test_an_entry_without_connections_is_stale(atlas, reviewed, clean):
    def quiet(data: dict[str, Any]) -> None:
        history = data["getGroupDbAccessHistoryCluster"]
        history.logs = [e for e in history.logs if not e["ipAddress"].startswith("203.0.113.6")]

    finding = only(
        run(atlas, reviewed, changed(clean, quiet)), "stale", "access-list entry 203.0.113.64/28 (prod-monitoring-nat)"
    )
    assert "remove unused entries" in finding.why


def test_a_sign_in_from_an_unknown_address(atlas, reviewed, clean):
    data = changed(clean, add_logs(sign_in("payments-prod-api", "192.0.2.200", NOW - timedelta(hours=2))))
    finding = only(run(atlas, reviewed, data), "unexpected source", "sign-ins from 192.0.2.200")
    assert "payments-prod-api" in finding.why


def test_private_and_declared_sources_are_expected(atlas, reviewed, clean):
    data = changed(
        clean,
        add_logs(
            sign_in("payments-prod-api", "172.20.1.9", NOW - timedelta(hours=2)),
            sign_in("payments-prod-api", "203.0.113.70", NOW - timedelta(hours=3)),
            sign_in("payments-prod-api", PRIVATE_SOURCE, NOW - timedelta(hours=4)),
        ),
    )
    assert findings(run(atlas, reviewed, data)) == []


def test_a_failed_sign_in_spike_per_user_and_per_source(atlas, reviewed, clean):
    burst = [sign_in("payments-prod-api", "192.0.2.66", NOW - timedelta(hours=5, minutes=i), ok=False) for i in range(21)]
    found = findings(run(atlas, reviewed, changed(clean, add_logs(*burst))))
    assert sorted((f.kind, f.object) for f in found) == [
        ("failed sign-in spike", "source 192.0.2.66"),
        ("failed sign-in spike", "user payments-prod-api"),
    ]
    assert "21 failed sign-ins within 24 h (threshold 20)" in found[0].why


def test_failures_spread_beyond_the_period_are_no_spike(atlas, reviewed, clean):
    spread = [sign_in("payments-prod-api", "192.0.2.66", NOW - timedelta(hours=5 * i), ok=False) for i in range(21)]
    assert findings(run(atlas, reviewed, changed(clean, add_logs(*spread)))) == []


def test_without_access_history_the_report_says_what_it_skipped(atlas, reviewed, clean):
    plan, settings = reviewed
    off = ReviewSettings(**{**settings.__dict__, "access_history": False})
    atlas.reset(Scenario(data=clean))
    outcome = execute(plan, off, environment(TEST_SERVICE_ACCOUNT, atlas.base_url), now=NOW, sleep=lambda _s: None)
    assert outcome.code == 0 and not atlas.requests_for("getGroupDbAccessHistoryCluster")
    assert any("review.accessHistory` is false" in line for line in outcome.report.not_checked)


def test_without_a_declared_cluster_no_user_is_called_stale(atlas, reviewed, clean):
    from dataclasses import replace

    from tools.atlas_api import AtlasClient, Credentials
    from tools.review import Report, Reviewer, declared_from_plan

    plan, settings = reviewed
    declared = declared_from_plan(plan)
    no_cluster = replace(declared, clusters={}, schedules={})
    atlas.reset(Scenario(data=changed(clean, lambda d: d.update(listGroupClusters=[]))))
    identity = TEST_SERVICE_ACCOUNT
    with AtlasClient(Credentials(identity.kind, identity.identifier, identity.secret), atlas.base_url) as client:
        report = Reviewer(client, no_cluster, settings, Report("prod", declared.project_name), NOW).run()
    assert report.findings == [] and not atlas.requests_for("getGroupDbAccessHistoryCluster")
    assert any("the stack declares no cluster" in line for line in report.not_checked)


# --- Transport: paging, retries, errors ---


def test_three_pages_of_users(atlas, reviewed, clean):
    users = len(clean["listGroupDatabaseUsers"])
    page_size = -(-users // 3)  # every user on one of three pages, the last one perhaps shorter
    outcome = run(atlas, reviewed, clean, page_size=page_size)
    assert findings(outcome) == []
    assert [e.query["pageNum"] for e in atlas.requests_for("listGroupDatabaseUsers")] == ["1", "2", "3"]


def test_a_429_with_retry_after_is_waited_out(atlas, reviewed, clean):
    waits: list[float] = []
    outcome = run(atlas, reviewed, clean, faults={"listGroupDatabaseUsers": [Fault(429, "3")]}, sleep=waits.append)
    assert outcome.code == 0 and waits == [3.0]
    assert [e.status for e in atlas.requests_for("listGroupDatabaseUsers")] == [429, 200]


def test_a_500_then_success(atlas, reviewed, clean):
    outcome = run(atlas, reviewed, clean, faults={"getGroupCluster": [Fault(500)]})
    assert outcome.code == 0 and [e.status for e in atlas.requests_for("getGroupCluster")] == [500, 200]


@pytest.mark.parametrize("identity", [TEST_SERVICE_ACCOUNT, TEST_API_KEY], ids=["service-account", "api-key"])
def test_a_401_is_a_clean_exit_2_without_the_secret(atlas, reviewed, clean, identity, capsys):
    wrong = Identity(identity.kind, identity.identifier, "WRONG-d0-not-print-me")
    outcome = run(atlas, reviewed, clean, identity=wrong)
    assert outcome.code == 2 and outcome.report is None
    assert "\n" not in outcome.error and "refused the credentials" in outcome.error
    assert "WRONG-d0-not-print-me" not in outcome.error + capsys.readouterr().out + capsys.readouterr().err


def test_a_403_names_the_missing_permission(atlas, reviewed, clean):
    outcome = run(atlas, reviewed, clean, forbidden={"getGroupDbAccessHistoryCluster": "USER_UNAUTHORIZED"})
    assert outcome.code == 2 and outcome.report is None
    assert outcome.error == (
        "review: could not read Atlas: Atlas refused getGroupDbAccessHistoryCluster as service-account "
        f"{TEST_SERVICE_ACCOUNT.identifier} (403 USER_UNAUTHORIZED): the identity needs Project Cluster Log Viewer or "
        "Project Database Access Admin on the project: Forbidden by the scenario."
    )


def test_a_403_from_the_api_access_list_names_the_setting(atlas, reviewed, clean):
    outcome = run(atlas, reviewed, clean, forbidden={"getGroupByName": "IP_ADDRESS_NOT_ON_ACCESS_LIST"})
    assert outcome.code == 2 and "review.serviceAccount.accessList" in outcome.error


def test_auditing_beyond_the_read_only_role_is_noted_not_fatal(atlas, reviewed, clean):
    outcome = run(atlas, reviewed, clean, forbidden={"getGroupAuditLog": "USER_UNAUTHORIZED"})
    assert outcome.code == 0
    assert any(line.startswith("auditing: reading it needs Project Owner") for line in outcome.report.not_checked)


def test_missing_credentials_and_missing_project(atlas, reviewed, clean):
    plan, settings = reviewed
    assert "MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET" in execute(plan, settings, {}).error
    data = changed(clean, lambda d: d.update(getGroupByName=lambda params, query: None))
    outcome = run(atlas, reviewed, data)
    assert outcome.code == 2 and "project 'payments-prod' not found, or not visible to" in outcome.error


# --- The command: `make review` ---


def test_make_review_runs_the_review_of_a_stack_file(atlas, reviewed, clean, tmp_path):
    """`make review`: the Makefile target, the provider's variables, the report, its JSON and the exit code.

    Only the test of the stack file's own `make` run; test_your_stacks.py reviews every root stack in-process."""
    import os
    import subprocess

    import yaml

    from tests.conftest import ROOT, fixture_file

    document = yaml.safe_load(fixture_file("prod").read_text())
    document["config"]["atlas-platform:review"] = REVIEW
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(yaml.safe_dump(document))
    env = {**os.environ, **environment(TEST_SERVICE_ACCOUNT, atlas.base_url)}
    env.pop("MAKEFLAGS", None), env.pop("MAKELEVEL", None)

    def make_review(data: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        atlas.reset(Scenario(data=data))
        review_args = f"--stack-file {stack_file} --now {NOW.isoformat()} --json {tmp_path}/review.json"
        args = ["make", "--no-print-directory", "review", "STACK=prod", f"REVIEW_ARGS={review_args}"]
        return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)

    # One run (each plans the stack in a new process): the clean project's exit 0 is tested above, in-process.
    hand_added = database_user({"username": "added-in-the-ui", "roles": [{"roleName": "atlasAdmin", "databaseName": "admin"}]})
    done = make_review(changed(clean, lambda d: d["listGroupDatabaseUsers"].append(hand_added)))
    # make ends with 2 whenever a recipe fails; it names the review's own exit code (1: findings).
    assert done.returncode == 2 and "review] Error 1" in done.stderr, done.stdout + done.stderr
    assert "| unmanaged | database user added-in-the-ui (admin) |" in done.stdout
    assert json.loads((tmp_path / "review.json").read_text())["exitCode"] == 1
    assert TEST_SERVICE_ACCOUNT.secret not in done.stdout + done.stderr
