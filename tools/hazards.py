"""Ordering hazards: what a real `pulumi up` of a planned change would run into, read from the providers.

`pulumi preview` shows each step on its own; these are the failures that come from the steps together,
or from what the provider sends, each with the provider source that says so (mongodbatlas paths at
tag v2.16.0). `hazards(old, new)` checks a pair of plans; `make diff` prints what it finds, and
tests/test_transitions.py holds every stack-file transition of docs/changes.md ("Transitions") to it.

Pulumi runs creates and updates as the program registers them and deletes removed resources last, so
an update that needs a removed resource gone first, or an update Atlas refuses while that resource
exists, fails. A step on a protected resource is no hazard: the engine refuses it at preview, before
anything changes (`Change.blocked`), and docs/changes.md gives the steps for each such transition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tests.harness.mocks import Registration
from tests.harness.runner import Plan

from .diff import Change, compare, top_level

OMITTED = Path(__file__).with_name("omitted.json")

SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"
EXPORT_BUCKET = "mongodbatlas:index/cloudBackupSnapshotExportBucket:CloudBackupSnapshotExportBucket"
ENCRYPTION = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
KMS_ENDPOINT = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
USER = "mongodbatlas:index/databaseUser:DatabaseUser"


@cache
def omitted_table() -> dict[str, Any]:
    """tools/omitted.json: what omitting each input the program sets does (kept, clears, ...)."""
    types: dict[str, Any] = json.loads(OMITTED.read_text())["types"]
    return types


@dataclass(frozen=True)
class Hazard:
    kind: str
    """One of HAZARDS' keys."""
    resource: str
    detail: str


# Each kind, what a real `pulumi up` does, and where the provider says so.
HAZARDS: dict[str, str] = {
    "deleted-while-exported-to": (
        "Atlas refuses to delete a CloudBackupSnapshotExportBucket a backup schedule exports to, and Pulumi deletes it in "
        "the same run as the schedule's update: 'make these updates in isolated terraform apply operations first' "
        "(docs/resources/cloud_backup_snapshot_export_bucket.md)"
    ),
    "private-networking-off-with-endpoints": (
        "Atlas refuses to stop requiring private networking while KMS private endpoints exist "
        "(CANNOT_DISABLE_ENCRYPTION_AT_REST_REQUIRE_PRIVATE_NETWORKING_WHILE_PRIVATE_ENDPOINTS_EXIST), and Pulumi updates "
        "EncryptionAtRest before it deletes them (internal/service/encryptionatrest/resource.go, Update)"
    ),
    "nodes-before-kms-endpoint": (
        "with private networking required, Atlas creates clusters and adds nodes only in regions with an approved KMS "
        "private endpoint: the cluster must wait for the endpoint of each of its regions (Atlas, 'Manage Customer Keys "
        "with AWS KMS Over Private Endpoints')"
    ),
    "create-only-changed": (
        "the input is create-only: the provider fails the plan on any change (internal/common/customplanmodifier/"
        "create_only.go, create_only_default_bool.go; tools/replacements.json updateFails)"
    ),
    "kept-when-omitted": (
        "the input is Optional+Computed or sent only when set: left out, Atlas keeps its old value, so the edit "
        "changes nothing there (tools/omitted.json)"
    ),
    "adopt-only-created": (
        "the resource is adopted with `pulumi import`, never created: the organization's Create makes a new organization and "
        "needs org_owner_id (internal/service/organization/resource_organization.go, resourceCreate), the federation link's "
        "Create refuses ('this resource must be imported', resource_federated_settings_connected_org.go): run `make org-import` "
        "and `pulumi import --file` first (docs/access.md)"
    ),
    "user-moved-by-update": (
        "the provider updates a database user at its new auth database, where it does not exist: Atlas answers not "
        "found (internal/service/databaseuser/resource_database_user.go, Update)"
    ),
}


# The steps for a step the engine refuses on purpose (a guard, not only `protect` of prod): what to do
# instead, as docs/changes.md ("Transitions") says.
REFUSED_STEPS: dict[str, str] = {
    EXPORT_BUCKET: "the schedule still exports to it: set snapshotExport.enabled: false and run `pulumi up`, "
    "then remove the snapshotExport section and run `pulumi up` again",
    "time:index/static:Static": "Atlas refuses to stop requiring private networking while KMS private endpoints exist: "
    "add cluster.encryption.privateEndpointsRemoved: true (keep requirePrivateNetworking) and run `pulumi up`, then "
    "set requirePrivateNetworking: false, remove privateEndpointsRemoved and run `pulumi up` again",
}


def _by_urn(plan: Plan) -> dict[str, Registration]:
    return {r.urn: r for r in plan.resources}


def _reads(resource: Registration, urn: str) -> bool:
    return any(urn in urns for urns in resource.property_dependencies.values())


def hazards(old: Plan, new: Plan, changes: list[Change] | None = None) -> list[Hazard]:
    """What a real `pulumi up` from `old` to `new` would fail on, or silently not do."""
    changes = compare(old, new) if changes is None else changes
    before, after = _by_urn(old), _by_urn(new)
    deleted = {c.urn for c in changes if c.action == "delete"}
    found: list[Hazard] = []
    # A blocked step stops the preview: nothing runs, so no ordering hazard can happen in this run.
    ordering = not any(c.blocked for c in changes)

    # An export registration deleted in the run in which a schedule that exported to it changes.
    for urn in deleted if ordering else ():
        if before[urn].type != EXPORT_BUCKET:
            continue
        for schedule in (r for r in old.resources if r.type == SCHEDULE and _reads(r, urn)):
            if schedule.inputs.get("autoExportEnabled") and schedule.urn in after:
                found.append(Hazard("deleted-while-exported-to", before[urn].name, f"{schedule.name} exported to it"))

    # Private networking turned off while KMS private endpoints still exist in this run.
    for encryption in (r for r in new.resources if r.type == ENCRYPTION):
        previous = before.get(encryption.urn)
        was = bool(previous and previous.inputs.get("awsKmsConfig", {}).get("requirePrivateNetworking"))
        now = bool(encryption.inputs.get("awsKmsConfig", {}).get("requirePrivateNetworking"))
        remaining = [r for r in old.resources if r.type == KMS_ENDPOINT]
        if ordering and was and not now and remaining:
            found.append(Hazard("private-networking-off-with-endpoints", encryption.name, f"{len(remaining)} endpoint(s)"))

    # Nodes in a region whose KMS endpoint the cluster does not wait for.
    for cluster in (r for r in new.resources if r.type == CLUSTER):
        by_region = {e.inputs.get("regionName"): e for e in new.resources if e.type == KMS_ENDPOINT}
        if not by_region:
            continue
        regions = {
            rc.get("regionName") for spec in cluster.inputs.get("replicationSpecs", []) for rc in spec.get("regionConfigs", [])
        }
        for region in sorted(str(r) for r in regions):
            endpoint = by_region.get(region)
            if endpoint is None or not _reads(cluster, endpoint.urn):
                found.append(
                    Hazard("nodes-before-kms-endpoint", cluster.name, f"{region} has no KMS endpoint the cluster waits for")
                )

    adopted = {
        "mongodbatlas:index/organization:Organization",
        "mongodbatlas:index/federatedSettingsOrgConfig:FederatedSettingsOrgConfig",
    }
    for change in changes:
        if change.action == "create" and change.type in adopted:
            found.append(Hazard("adopt-only-created", change.name, "created by this run instead of imported"))
        if change.action != "update":
            continue
        resource = after[change.urn]
        previous = before.get(change.old_urn or change.urn)
        if previous is None:
            continue
        for why in change.why:
            if ": the provider refuses the update" in why:
                found.append(Hazard("create-only-changed", resource.name, why))
        if resource.type == USER and previous.inputs.get("authDatabaseName") != resource.inputs.get("authDatabaseName"):
            found.append(Hazard("user-moved-by-update", resource.name, "authDatabaseName changed in an update"))
        # An input the provider keeps when omitted, dropped from the program: the edit is not applied.
        table = omitted_table().get(resource.type, {}).get("inputs", {})
        ignored = {top_level(i) for i in resource.ignore_changes}
        for name in sorted(set(previous.inputs) - set(resource.inputs)):
            entry = table.get(name)
            if entry and entry["omitted"] == "kept" and name not in ignored and not _turned_off(entry, resource, new):
                found.append(Hazard("kept-when-omitted", resource.name, f"{name} left out; Atlas keeps its value"))
    return found


def _turned_off(entry: dict[str, Any], resource: Registration, plan: Plan) -> bool:
    """Whether `entry`'s `offVia` turns the feature off explicitly in `plan` (see tools/omitted.json)."""
    via = entry.get("offVia")
    if not via:
        return False
    if "replacement" in via:
        return True
    if "resource" in via:
        return any(via["input"] in r.inputs for r in plan.resources if r.type == via["resource"])
    return via["input"] in resource.inputs


def kept_inputs_left_out(plans: list[Plan]) -> list[str]:
    """Each resource (by URN) that some plan gives an input the provider keeps when omitted and another plan
    leaves it out of, without turning it off another way: an edit between the two would change nothing
    in Atlas there. `plans` are variants of one program (stack files with features on and off)."""
    table = omitted_table()
    sent: dict[str, set[str]] = {}
    for plan in plans:
        for resource in plan.resources:
            sent.setdefault(resource.urn, set()).update(resource.inputs)
    missing = []
    for plan in plans:
        for resource in plan.resources:
            inputs = table.get(resource.type, {}).get("inputs", {})
            ignored = {top_level(i) for i in resource.ignore_changes}
            for name in sorted(sent[resource.urn] - set(resource.inputs) - ignored):
                entry = inputs.get(name)
                if entry and entry["omitted"] == "kept" and not _turned_off(entry, resource, plan):
                    missing.append(f"{plan.stack}: {resource.name} ({resource.type}) leaves out {name}")
    return sorted(set(missing))
