"""`make adopt`: a hand-built Atlas project -> stack file -> the program's own plan -> import document.

The project is served by the spec-validated scenario server (tests/harness/atlas_server.py): every
request adoption sends and every answer is checked against Atlas's OpenAPI description. The stack file
adoption writes is loaded by the program's own loader and planned by the program itself, here, again,
independently of the tool: the import document must name exactly that plan's registrations, and for every
imported resource the plan's inputs must equal what Atlas returned, except for the few changes the run
itself declares (the program's own tags and labels, and a write-only key reference). That equality is
what makes the first `pulumi up` after `pulumi import` leave Atlas as it is; a test below changes each
compared value in Atlas, one at a time, and requires the comparison to see it.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackconfig import load_stack_config
from tests import adopt_scenarios as scenarios
from tests.harness.atlas_server import TEST_SERVICE_ACCOUNT, AtlasServer, Scenario, environment
from tests.harness.runner import ROOT, Plan, run_stack
from tests.harness.stackfile import engine_config
from tools.adopt import resources
from tools.adopt.__main__ import Run, parse_aws_endpoints, run
from tools.adopt.live import LiveProject

NAMESPACE = "atlas-platform"
TODAY = "2026-12-07"


def adopt_from(server: AtlasServer, data: dict[str, Any], out: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
    """`make adopt PROJECT=payments-prod STACK=prod` against `data`, writing into `out`; the server saw nothing the spec refuses."""
    server.reset(Scenario(data=data))
    endpoints = out.parent / f"{out.name}-endpoints.yaml"
    endpoints.write_text(yaml.safe_dump(scenarios.AWS_ENDPOINTS))
    argv = ["--project", "payments-prod", "--stack", "prod", "--out-dir", str(out), "--aws-endpoints", str(endpoints)]
    outcome = run([*argv, "--today", TODAY, *extra], environ=env or environment(TEST_SERVICE_ACCOUNT, server.base_url))
    assert server.violations == [], "requests or responses the vendored Atlas spec rejects:\n" + "\n".join(server.violations)
    return outcome


@pytest.fixture(scope="module")
def hand_built(atlas_server: AtlasServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    outcome = adopt_from(atlas_server, scenarios.hand_built(), tmp_path_factory.mktemp("hand-built"))
    assert outcome.code == 0, outcome.error or outcome.report
    return outcome


@pytest.fixture(scope="module")
def stack_file(hand_built: Run) -> Path:
    return hand_built.written[0]


@pytest.fixture(scope="module")
def document(hand_built: Run) -> dict[str, Any]:
    return dict(yaml.safe_load(hand_built.written[1].read_text()))


@pytest.fixture(scope="module")
def plan(stack_file: Path) -> Plan:
    """The program's own plan of the written stack file: planned here, not taken from the tool."""
    return run_stack("prod", stack_file=stack_file, root=ROOT)


@pytest.fixture(scope="module")
def live(hand_built: Run) -> LiveProject:
    assert hand_built.live is not None
    return hand_built.live


def skipped(outcome: Run) -> frozenset[tuple[str, str]]:
    assert outcome.result is not None and outcome.result.generated is not None
    return frozenset(outcome.result.generated.skipped)


# --- The round trip: stack file -> plan -> import document ---


def test_the_stack_file_loads_with_the_programs_own_loader(stack_file: Path) -> None:
    values, secret_keys = engine_config(ROOT, "prod", stack_file=stack_file)
    cfg = load_stack_config(values, namespace=NAMESPACE, stack="prod", secret_keys=secret_keys)
    assert cfg.cluster is not None and cfg.cluster.tier == "M30"
    assert [u.name for u in cfg.database_users] == ["dba", "ledger-writer", "api", "breakglass", "reporting"]
    assert {e.source for e in cfg.network.access_list} == {"203.0.113.10/32", "198.51.100.64/28"}


def _chain_of_entry(entry: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    """An import entry as the engine places it: (type, logical name) of each parent, then its own. The engine
    builds the URN from exactly these (pulumi/pulumi pkg/cmd/pulumi/operations/import.go, parseImportFile)."""
    chain = [(entry["type"], entry.get("logicalName", entry["name"]))]
    parent = entry.get("parent")
    while parent is not None:
        chain.insert(0, (by_name[parent]["type"], by_name[parent].get("logicalName", by_name[parent]["name"])))
        parent = by_name[parent].get("parent")
    return tuple(chain)


def _chain_of_registration(registration: Any, by_urn: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """A registration as the engine places it: (type, name) of each parent component, then its own."""
    chain = [(registration.type, registration.name)]
    parent = by_urn.get(registration.parent)
    while parent is not None:
        chain.insert(0, (parent.type, parent.name))
        parent = by_urn.get(parent.parent)
    return tuple(chain)


def test_the_import_document_names_exactly_the_plans_registrations(plan: Plan, document: dict[str, Any], hand_built: Run) -> None:
    entries = document["resources"]
    by_name = {e["name"]: e for e in entries}
    assert len(by_name) == len(entries), "names in an import file must be unique to serve as parents"
    by_urn = {r.urn: r for r in plan.resources}
    registrations = {_chain_of_registration(r, by_urn): r for r in plan.resources}
    for entry in entries:
        chain = _chain_of_entry(entry, by_name)
        assert chain in registrations, f"{entry['type']} {entry['name']} is not what the program registers, where it registers it"
        assert registrations[chain].custom is not bool(entry.get("component")), chain
    imported = {_chain_of_entry(e, by_name) for e in entries if not e.get("component")}
    # Nothing left over on either side except what the run lists as created.
    left = {r.name for chain, r in registrations.items() if r.custom and chain not in imported}
    assert hand_built.result is not None
    created = {i.subject.split(" ", 1)[1] for i in hand_built.result.items if i.section == "created"}
    assert left == created
    assert left == {
        "payments-prod-kms-authorization",
        "payments-prod-kms-key-access",
        # The program's own pulumiverse-time resources: the IAM propagation wait and the private networking guard.
        "payments-prod-kms-iam-propagation",
        "payments-prod-kms-private-networking-guard",
        "payments-prod-secrets-key-key",
        "payments-prod-secrets-key-alias",
        # prod's `app` password users rotate by alternating slots (docs/users.md, "Rotation"): the
        # adopted user is slot a; slot b is new, with its own password.
        "payments-prod-user-api-a-password",
        "payments-prod-user-api-b-password",
        "payments-prod-user-api-b-user",
        "payments-prod-user-api-secret",
        "payments-prod-user-api-secret-version",
        "payments-prod-user-reporting-password",
        "payments-prod-user-reporting-secret",
        "payments-prod-user-reporting-secret-version",
    }, (
        "only what Atlas cannot hand over: new passwords and their secrets, the stack's secrets key, the key policy, the authorization and its wait, and the guard"
    )


# The changes the first `pulumi up` makes to a hand-built project, each declared by the run: the program's
# own tags and labels (reserved keys a stack file cannot set: atlas_platform/components/facts.py), and the
# role reference Atlas never returns (AWSKMSConfiguration.roleId is write-only in Atlas's spec).
DECLARED = {
    ("payments-prod-project", "tags.application"),
    ("payments-prod-project", "tags.environment"),
    ("payments-prod-project", "tags.managed-by"),
    ("payments-prod-cluster1-db", "tags.application"),
    ("payments-prod-cluster1-db", "tags.environment"),
    ("payments-prod-cluster1-db", "tags.managed-by"),
    ("payments-prod-kms-encryption-at-rest", "awsKmsConfig.roleId"),
    # prod's api rotates by alternating slots: the adopted user is slot a (`api-a`).
    *{(f"payments-prod-user-{name}-user", "labels") for name in ("api-a", "reporting", "ledger-writer", "dba", "breakglass")},
}


def _differences(plan: Plan, live: LiveProject, skip: frozenset[tuple[str, str]]) -> dict[tuple[str, str], resources.Change]:
    ctx, found = resources.match(plan, live, scenarios_endpoints(), skip)
    return {(c.resource, c.path): c for urn, f in found.items() for c in resources.differences(plan.by_urn(urn), f, ctx.subst)}


def scenarios_endpoints() -> dict[str, Any]:
    return dict(parse_aws_endpoints(scenarios.AWS_ENDPOINTS))


def test_every_imported_resource_holds_what_atlas_returned(plan: Plan, live: LiveProject, hand_built: Run) -> None:
    changes = _differences(plan, live, skipped(hand_built))
    assert set(changes) == DECLARED, {k: (v.atlas, v.program) for k, v in changes.items() if k not in DECLARED}
    for change in changes.values():
        assert change.verdict == "in place", change
    for name, path in [k for k in DECLARED if k[1] == "labels"]:
        added = {label["key"] for label in changes[(name, path)].program} - {
            label["key"] for label in changes[(name, path)].atlas
        }
        assert added <= {"environment", "kind", "managed-by"}, (name, added)
    # The run says the same, in its list of changes.
    assert hand_built.result is not None
    listed = {i.subject for i in hand_built.result.items if i.section == "changes"}
    assert listed == {f"{name} {path}" for name, path in DECLARED}


def test_every_atlas_object_the_program_holds_is_imported(plan: Plan, live: LiveProject, hand_built: Run) -> None:
    _, found = resources.match(plan, live, scenarios_endpoints(), skipped(hand_built))
    identities = {f.identity for f in found.values()}
    users = {f"{u['username']}@{u['databaseName']}" for u in live.database_users}
    assert {i for c, i in identities if c == "database users"} == users
    assert {i for c, i in identities if c == "custom roles"} == {"ledgerAppendOnly"}
    assert {i for c, i in identities if c == "access list"} == {"203.0.113.10", "198.51.100.64/28"}
    assert {i for c, i in identities if c == "teams"} == {t["teamId"] for t in live.teams}
    assert {i for c, i in identities if c == "interface endpoints"} == {scenarios.VPCE}
    alerts = {i for c, i in identities if c == "alerts"}
    assert len(alerts) == len(live.alert_configs) - 1, "every alert but Atlas's owners-only default"
    assert all(
        i in {c for c, _ in identities} for i in ("projects", "clusters", "backup schedules", "encryption at rest", "auditing")
    )


def change_in_atlas(live: LiveProject, where: str, value: Any) -> None:
    """Set one value of the live project: `attribute.key[index].key` (a key may hold hyphens)."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", where)
    node: Any = getattr(live, parts[0])
    for part in parts[1:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    last = parts[-1]
    node[int(last[1:-1]) if last.startswith("[") else last] = value


# One value changed in Atlas -> the one difference the first `pulumi up` would make, per compared property.
CHANGED_IN_ATLAS = [
    ("settings.isSchemaAdvisorEnabled", False, "payments-prod-project", "isSchemaAdvisorEnabled"),
    ("group.name", "payments-live", "payments-prod-project", "name"),
    ("teams[0].roleNames", ["GROUP_READ_ONLY"], "payments-prod-team-sre", "roleNames"),
    ("role_mappings[0].roleAssignments[1].role", "GROUP_READ_ONLY", "payments-prod-idp-payments-prod-oncall", "roleAssignments"),
    ("clusters[0].pitEnabled", False, "payments-prod-cluster1-db", "pitEnabled"),
    ("clusters[0].mongoDBMajorVersion", "7.0", "payments-prod-cluster1-db", "mongoDbMajorVersion"),
    (
        "clusters[0].replicationSpecs[0].regionConfigs[0].electableSpecs.instanceSize",
        "M40",
        "payments-prod-cluster1-db",
        "replicationSpecs[0].regionConfigs[0].electableSpecs.instanceSize",
    ),
    (
        "clusters[0].replicationSpecs[0].regionConfigs[0].autoScaling.compute.maxInstanceSize",
        "M80",
        "payments-prod-cluster1-db",
        "replicationSpecs[0].regionConfigs[0].autoScaling.computeMaxInstanceSize",
    ),
    (
        "process_args.payments-prod-cluster1.minimumEnabledTlsProtocol",
        "TLS1_3",
        "payments-prod-cluster1-db",
        "advancedConfiguration.minimumEnabledTlsProtocol",
    ),
    (
        "backup_schedules.payments-prod-cluster1.referenceHourOfDay",
        5,
        "payments-prod-cluster1-backup-schedule",
        "referenceHourOfDay",
    ),
    (
        "backup_schedules.payments-prod-cluster1.policies[0].policyItems[1].retentionValue",
        30,
        "payments-prod-cluster1-backup-schedule",
        "policyItemDaily.retentionValue",
    ),
    (
        "backup_schedules.payments-prod-cluster1.copySettings[0].shouldCopyOplogs",
        False,
        "payments-prod-cluster1-backup-schedule",
        "copySettings[0].shouldCopyOplogs",
    ),
    ("maintenance_window.hourOfDay", 5, "payments-prod-cluster1-maintenance", "hourOfDay"),
    (
        "encryption_at_rest.awsKms.requirePrivateNetworking",
        False,
        "payments-prod-kms-encryption-at-rest",
        "awsKmsConfig.requirePrivateNetworking",
    ),
    ("encryption_at_rest.enabledForSearchNodes", False, "payments-prod-kms-encryption-at-rest", "enabledForSearchNodes"),
    ("access_list[0].comment", "bastion", "payments-prod-access-203-0-113-10", "comment"),
    (
        "endpoint_services[0].supportedRemoteRegions",
        ["US_WEST_2"],
        "payments-prod-privatelink-us-east-1-service",
        "supportedRemoteRegions",
    ),
    ("database_users[0].roles[0].databaseName", "ledger", "payments-prod-user-api-a-user", "roles"),
    ("database_users[0].description", "Payments API service", "payments-prod-user-api-a-user", "description"),
    ("database_users[1].scopes", [], "payments-prod-user-reporting-user", "scopes"),
    ("custom_roles[0].actions[0].action", "UPDATE", "payments-prod-roles-ledgerAppendOnly", "actions"),
    (
        "alert_configs[0].notifications[0].emailAddress",
        "other@example.com",
        "payments-prod-alerts-alert-hostdown",
        "notifications[0].emailAddress",
    ),
    ("alert_configs[3].notifications[0].delayMin", 15, "payments-prod-alerts-alert-cpu", "notifications[0].delayMin"),
    ("integrations[0].sendQueryStatsMetrics", True, "payments-prod-alerts-integration-datadog", "sendQueryStatsMetrics"),
    ("audit_log.auditAuthorizationSuccess", True, "payments-prod-audit-auditing", "auditAuthorizationSuccess"),
    ("audit_log.auditFilter", '{"atype": "authenticate"}', "payments-prod-audit-auditing", "auditFilter"),
]


@pytest.mark.parametrize(("where", "value", "resource", "path"), CHANGED_IN_ATLAS, ids=[c[0] for c in CHANGED_IN_ATLAS])
def test_a_value_changed_in_atlas_is_a_difference(
    plan: Plan, live: LiveProject, hand_built: Run, where: str, value: Any, resource: str, path: str
) -> None:
    changed = copy.deepcopy(live)
    change_in_atlas(changed, where, value)
    before = _differences(plan, live, skipped(hand_built))
    after = _differences(plan, changed, skipped(hand_built))
    assert set(after) - set(before) == {(resource, path)}, sorted(set(after) ^ set(before))


def test_a_changed_access_list_comment_is_a_delete_then_create(plan: Plan, live: LiveProject, hand_built: Run) -> None:
    changed = copy.deepcopy(live)
    changed.access_list[0]["comment"] = "bastion"
    after = _differences(plan, changed, skipped(hand_built))
    assert after[("payments-prod-access-203-0-113-10", "comment")].verdict == "delete then create"


# --- Import ids, each type's documented format ---

IMPORT_ID = {
    resources.PROJECT: r"[0-9a-f]{24}",
    resources.TEAM: r"[0-9a-f]{24}/[0-9a-f]{24}",
    resources.ROLE_MAPPING: r"[0-9a-f]{24}-[0-9a-f]{24}-[0-9a-f]{24}",
    resources.CLUSTER: r"[0-9a-f]{24}-payments-prod-cluster1",
    resources.SCHEDULE: r"[0-9a-f]{24}-payments-prod-cluster1",
    resources.MAINTENANCE: r"[0-9a-f]{24}",
    resources.ENCRYPTION: r"[0-9a-f]{24}",
    resources.ACCESS_SETUP: r"[0-9a-f]{24}-AWS-[0-9a-f]{24}",
    resources.KMS_ROLE: r"[\w+=,.@-]{1,64}",
    resources.KMS_ENDPOINT: r"[0-9a-f]{24}-AWS-[0-9a-f]{24}",
    resources.ACCESS_LIST: r"[0-9a-f]{24}-[0-9a-f.:/]+",
    resources.PRIVATE_LINK: r"[0-9a-f]{24}-[0-9a-f]{24}-AWS-[A-Z]{2}_[A-Z]+_\d",
    resources.VPC_ENDPOINT: r"vpce-[0-9a-f]{17}",
    resources.PRIVATE_LINK_SERVICE: r"[0-9a-f]{24}--[0-9a-f]{24}--vpce-[0-9a-f]{17}--AWS",
    resources.DATABASE_USER: r"[0-9a-f]{24}/[^/]+/(admin|\$external)|[0-9a-f]{24}-.+-(admin|\$external)",
    resources.CUSTOM_ROLE: r"[0-9a-f]{24}-[A-Za-z0-9_-]+",
    resources.ALERT: r"[0-9a-f]{24}-[0-9a-f]{24}",
    resources.INTEGRATION: r"[0-9a-f]{24}-DATADOG",
    resources.AUDITING: r"[0-9a-f]{24}",
}


def split_database_user_id(import_id: str) -> tuple[str, str, str]:
    """The provider's reading of a database user's import id (SplitDatabaseUserImportID, resource_database_user.go):
    `/` separated when that gives three parts, else `^([0-9a-fA-F]{24})-(.*)-([$a-z]{1,15})$`."""
    parts = import_id.split("/")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    match = re.fullmatch(r"(?s)([0-9a-fA-F]{24})-(.*)-([$a-z]{1,15})", import_id)
    assert match is not None, import_id
    return match.group(1), match.group(2), match.group(3)


def test_import_ids_are_in_each_types_documented_format(plan: Plan, document: dict[str, Any], live: LiveProject) -> None:
    by_name = {r.name: r for r in plan.resources}
    for entry in document["resources"]:
        if entry.get("component"):
            continue
        assert re.fullmatch(IMPORT_ID[entry["type"]], entry["id"]), (entry["type"], entry["id"])
        registration = by_name[entry.get("logicalName", entry["name"])]
        if entry["type"] == resources.DATABASE_USER:
            # Read back as the provider reads it, the id names the very user the program declares.
            assert split_database_user_id(entry["id"]) == (
                live.project_id,
                registration.inputs["username"],
                registration.inputs["authDatabaseName"],
            )
        if entry["type"] == resources.PRIVATE_LINK:
            # The provider keeps the region as the id writes it, and a different one replaces the service.
            assert entry["id"].rsplit("-AWS-", 1)[1] == registration.inputs["region"]
        if entry["type"].startswith("mongodbatlas:"):
            assert entry["version"] == "4.14.0"


def test_the_program_keeps_what_import_cannot_set_from_atlas(plan: Plan) -> None:
    """Inputs Atlas does not hold and the provider refuses or replaces on after import are ignored after create."""
    for token, inputs in (
        (resources.CLUSTER, {"deleteOnCreateTimeout"}),
        (resources.PRIVATE_LINK, {"deleteOnCreateTimeout"}),
        (resources.PRIVATE_LINK_SERVICE, {"deleteOnCreateTimeout"}),
        (resources.KMS_ROLE, {"name", "namePrefix", "path"}),
    ):
        for registration in plan.of_type(token):
            assert inputs <= set(registration.ignore_changes), (registration.name, registration.ignore_changes)


# --- What the run says ---


def test_secrets_are_keys_to_set_never_values_read_from_atlas(stack_file: Path, hand_built: Run) -> None:
    text = stack_file.read_text()
    config = yaml.safe_load(text)["config"]
    channels = {c["name"]: c for c in config[f"{NAMESPACE}:notifications"]}
    named = channels["pagerduty"]["serviceKeySecret"]
    assert config[f"{NAMESPACE}:{named}"] == {"secure": config[f"{NAMESPACE}:{named}"]["secure"]}
    assert "PLACEHOLDER" in config[f"{NAMESPACE}:{named}"]["secure"]
    assert "7c1b" not in text and "abcd" not in text, "a masked value Atlas returned is never written"
    assert f"pulumi config set --secret {NAMESPACE}:{named} <value>" in text
    assert f"`pulumi config set --secret {NAMESPACE}:{named} <value> --stack prod`" in hand_built.report


def test_the_run_lists_passwords_production_defaults_and_what_it_left_out(hand_built: Run, stack_file: Path) -> None:
    report = hand_built.report
    assert "## Passwords (Atlas never returns them) (2)" in report
    assert "payments/prod/mongodb/api" in report and "passwordVersion" in report
    # A production default the project lacks is kept as it is, commented, and listed with the edit.
    text = stack_file.read_text()
    assert "# Production default: off (data access through database users only)" in text
    assert "dataExplorer: true" in text
    assert "**Data Explorer**: on in Atlas; production's default is off: remove `projectSettings.dataExplorer: true`" in report
    assert "atlas-prod-audit-log-export" in report
    # Left out, and said: a mapping that also grants another project's roles, and Atlas's owners-only default alert.
    assert "**role mapping payments-readers**" in report
    assert "**alert USERS_WITHOUT_MULTI_FACTOR_AUTH" in report
    assert "usersWithoutMfa:\n        enabled: false" in text
    # Written as found, and listed for review: the team that owns production.
    assert 'ownerReason: "held GROUP_OWNER when this project was adopted from Atlas (make adopt, 2026-12-07)' in text
    assert "**team platform-admins**" in report


# --- What the program cannot hold ---


@pytest.fixture(scope="module")
def unsupported(atlas_server: AtlasServer, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return adopt_from(atlas_server, scenarios.unsupported(), tmp_path_factory.mktemp("unsupported"))


def test_what_the_program_cannot_hold_ends_in_the_list_with_a_clean_exit(unsupported: Run) -> None:
    assert unsupported.code == 0, unsupported.error or unsupported.report
    report = unsupported.report
    for subject in (
        "database user legacy-reports@admin**: signs in with LDAP authentication",
        "database user CN=ops,O=Example@$external**: signs in with customer-CA X.509",
        "database user reporting-svc@admin**: the program names password users",
        "database user payments-prod-svc124@admin**: over the program's limit of 100",
        "access list 192.0.2.44**: is temporary",
        "access list 192.0.2.45**: has no comment",
        "cluster analytics**: the stack file holds one cluster",
        "integration SLACK**",
        "API key zxcvbnml**",
        "project member dana@example.com**",
        "log integration",
    ):
        assert f"**{subject}" in report or subject in report, subject
    # 130 users it could hold (5 of the hand-built project, 125 batch services), one of them (api) a production app
    # password user that alternates, so two Atlas users: the first 99 by name fit in Atlas's 100.
    assert report.count("over the program's limit of 100") == 31
    assert re.search(r"\*\*alert HOST_DOWN \([0-9a-f]+\)\*\*: notifies someone", report)
    assert re.search(r"\*\*alert NO_PRIMARY \([0-9a-f]+\)\*\*: notifies someone", report)
    # Production defaults the project does not meet: what the first `pulumi up` changes, with the reason.
    assert "**termination protection**: off in Atlas" in report
    assert "**minimum TLS**: TLS1_0 in Atlas" in report
    assert "**database auditing**: off in Atlas" in report
    for change in (
        "payments-prod-cluster1-db terminationProtectionEnabled**: Atlas has false, the program sends true",
        'payments-prod-cluster1-db advancedConfiguration.minimumEnabledTlsProtocol**: Atlas has "TLS1_0", the program sends "TLS1_2"',
        "payments-prod-audit-auditing enabled**: Atlas has false, the program sends true",
    ):
        assert change in report, change


def test_an_alert_left_out_is_never_the_import_of_a_program_alert(unsupported: Run) -> None:
    """HOST_DOWN is in Atlas twice: to e-mail and PagerDuty (adopted) and by SMS (left out); the import takes the first."""
    assert unsupported.result is not None and unsupported.live is not None
    sms = next(c for c in unsupported.live.alert_configs if (c["notifications"][0]["typeName"]) == "SMS")
    ids = [f.import_id for f in unsupported.result.found.values()]
    assert not any(i.endswith(sms["id"]) for i in ids)


# --- Nothing written when Atlas cannot be read ---


def test_make_adopt_writes_nothing_when_atlas_refuses_the_credentials(atlas_server: AtlasServer, tmp_path: Path) -> None:
    atlas_server.reset(Scenario(data=scenarios.hand_built()))
    out = tmp_path / "out"
    # A make of its own (not the one running the suite, if any), with the provider's variables of this test only.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_ATLAS_", "MAKE", "MFLAGS"))}
    env |= environment(TEST_SERVICE_ACCOUNT, atlas_server.base_url) | {"MONGODB_ATLAS_CLIENT_SECRET": "mdb_sa_sk_wrong"}
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "adopt", "PROJECT=payments-prod", "STACK=prod", f"OUT_DIR={out}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    # make's own line about the failed target aside, the tool says one line.
    own = [line for line in done.stderr.splitlines() if not re.match(r"make(\[\d+\])?: \*\*\*", line)]
    assert len(own) == 1 and own[0].startswith("make adopt: nothing written: Atlas refused the credentials"), done.stderr
    assert "mdb_sa_sk_wrong" not in done.stderr + done.stdout
    assert not out.exists() or not any(out.iterdir())
    assert atlas_server.violations == []


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda data: data.pop("getGroupByName"), "RESOURCE_NOT_FOUND"),
        (lambda data: None, "needs Project Owner"),
    ],
    ids=["no-such-project", "auditing-needs-project-owner"],
)
def test_nothing_is_written_when_a_read_fails(atlas_server: AtlasServer, tmp_path: Path, change: Any, said: str) -> None:
    data = scenarios.hand_built()
    change(data)
    atlas_server.reset(Scenario(data=data, forbidden={"getGroupAuditLog": "USER_UNAUTHORIZED"} if "Owner" in said else {}))
    out = tmp_path / "out"
    outcome = run(
        ["--project", "payments-prod", "--stack", "prod", "--out-dir", str(out)],
        environ=environment(TEST_SERVICE_ACCOUNT, atlas_server.base_url),
    )
    assert outcome.code == 2 and said in outcome.error and "\n" not in outcome.error, outcome.error
    assert not out.exists()
    assert atlas_server.violations == []


def test_no_credentials_is_one_line_and_no_request(atlas_server: AtlasServer, tmp_path: Path) -> None:
    atlas_server.reset(Scenario(data=scenarios.hand_built()))
    outcome = run(["--project", "payments-prod", "--stack", "prod", "--out-dir", str(tmp_path / "out")], environ={})
    assert outcome.code == 2 and outcome.error.startswith("make adopt: nothing written: no Atlas credentials")
    assert atlas_server.exchanges == []


def test_an_existing_stack_file_is_never_overwritten(atlas_server: AtlasServer, tmp_path: Path) -> None:
    atlas_server.reset(Scenario(data=scenarios.hand_built()))
    existing = tmp_path / "Pulumi.prod.yaml"
    existing.write_text("config: {}\n")
    outcome = run(
        ["--project", "payments-prod", "--stack", "prod", "--out-dir", str(tmp_path)],
        environ=environment(TEST_SERVICE_ACCOUNT, atlas_server.base_url),
    )
    assert outcome.code == 2 and "exists" in outcome.error
    assert existing.read_text() == "config: {}\n"
    assert atlas_server.exchanges == [], "refused before reading Atlas"


def test_a_stack_file_that_cannot_load_yet_is_written_with_the_edits_it_needs(atlas_server: AtlasServer, tmp_path: Path) -> None:
    """MongoDB 6.0 is past its end of life: the stack file cannot hold the cluster, and production needs one."""
    data = scenarios.hand_built()
    data["listGroupClusters"][0]["mongoDBMajorVersion"] = "6.0"
    outcome = adopt_from(atlas_server, data, tmp_path / "out")
    assert outcome.code == 1, outcome.error or outcome.report
    assert [p.name for p in outcome.written] == ["Pulumi.prod.yaml"], "no import document for a file that does not load"
    assert "The stack file does not load yet" in outcome.report
    assert "**cluster payments-prod-cluster1**: MongoDB 6.0 is not one the stack file takes" in outcome.report
    assert "**atlas-platform:cluster**: a production stack needs its cluster" in outcome.report


def test_an_edited_stack_file_gets_an_import_document_with_its_own_names(
    atlas_server: AtlasServer, stack_file: Path, tmp_path: Path
) -> None:
    """A person renames a team and sets a user's owner before importing: the import document follows the file."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "import-prod.json").write_text("{}")
    edited = out / "Pulumi.prod.yaml"
    text = stack_file.read_text().replace("- name: sre\n", "- name: site-reliability\n")
    text = text.replace(
        'owner: payments-platform\n      description: "Payments API', 'owner: payments-api-team\n      description: "Payments API'
    )
    edited.write_text(text)
    outcome = adopt_from(atlas_server, scenarios.hand_built(), out, "--stack-file", str(edited))
    assert outcome.code == 0, outcome.error or outcome.report
    assert [p.name for p in outcome.written] == ["import-prod.json"], "the edited stack file is left as it is"
    assert edited.read_text() == text
    names = {r["name"] for r in yaml.safe_load(outcome.written[0].read_text())["resources"]}
    assert "payments-prod-team-site-reliability" in names and "payments-prod-team-sre" not in names
    assert (
        '**payments-prod-user-api-a-user labels**: Atlas has [{"key": "owner", "value": "payments-platform"}]' in outcome.report
    )
    assert '{"key": "owner", "value": "payments-api-team"}' in outcome.report


def test_a_production_project_without_alerts_is_adopted_with_an_as_found_alerts_reason(atlas_server, tmp_path):
    """Production alerting off needs a reason; adoption writes the as-found one, and the file loads."""
    data = scenarios.hand_built()
    data["listGroupAlertConfigs"] = []
    outcome = adopt_from(atlas_server, data, tmp_path / "no-alerts")
    assert outcome.code == 0, outcome.error or outcome.report
    config = yaml.safe_load(outcome.written[0].read_text())["config"]
    alerts = config[f"{NAMESPACE}:alerts"]
    assert alerts["enabled"] is False
    assert alerts["optOutReason"].startswith("No alert adopted when this project was adopted from Atlas (make adopt, 2026-12-07)")
    values, secret_keys = engine_config(ROOT, "prod", stack_file=outcome.written[0])
    cfg = load_stack_config(values, namespace=NAMESPACE, stack="prod", secret_keys=secret_keys)
    assert not cfg.alerts.creates_alerts(cfg.is_prod)


def test_a_private_access_list_entry_is_left_in_atlas_with_the_reason(atlas_server, tmp_path):
    """The stack file refuses private and carrier-grade NAT ranges in an access list (docs/network.md)."""
    data = scenarios.hand_built()
    data["listGroupAccessListEntries"] = [
        *data["listGroupAccessListEntries"],
        {"groupId": scenarios.GROUP_ID, "cidrBlock": "10.40.0.0/16", "comment": "peered etl vpc"},
    ]
    outcome = adopt_from(atlas_server, data, tmp_path / "private-entry")
    assert outcome.code == 0, outcome.error or outcome.report
    assert ("access list", "10.40.0.0/16") in skipped(outcome)
    written = yaml.safe_load(outcome.written[0].read_text())["config"][f"{NAMESPACE}:network"]
    assert all(e.get("cidrBlock") != "10.40.0.0/16" for e in written.get("accessList", []))
