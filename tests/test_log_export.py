"""Log export and snapshot export in the plan: what the engine would receive, and the pack's rule on it."""

from __future__ import annotations

import json

import pytest

from policies.rules import types as t
from tests.conftest import STACKS, key, load_stack
from tests.policy_support import complete_prod_stack, resource, verdict
from tools.bench import critical_path, critical_path_problems

LOG_INTEGRATION = "mongodbatlas:index/logIntegration:LogIntegration"
EXPORT_BUCKET = "mongodbatlas:index/cloudBackupSnapshotExportBucket:CloudBackupSnapshotExportBucket"
SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
BUCKET = "aws:s3/bucket:Bucket"
SETUP = "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup"
AUTHORIZATION = "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization"
ENCRYPTION = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_EXPORT = "atlas-platform:index:AtlasLogExport"
SNAPSHOT_EXPORT = "atlas-platform:index:SnapshotExportBucket"
HARDENED = "atlas-platform:index:HardenedBucket"
BUCKET_PARTS = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
)


def _within(plan, resource, component_type):
    """The component of `component_type` that `resource` sits under (any depth), or None."""
    by_urn = {r.urn: r for r in plan.resources}
    parent = by_urn.get(resource.parent)
    while parent is not None:
        if parent.type == component_type:
            return parent
        parent = by_urn.get(parent.parent)
    return None


def _under(plan, component, token):
    return [r for r in plan.of_type(token) if _within(plan, r, component.type) is component]


def _assert_hardened(plan, component):
    """One bucket under `component`, with every hardening resource pointed at it."""
    bucket = _under(plan, component, BUCKET)
    assert len(bucket) == 1, component.name
    bucket = bucket[0]
    assert bucket.protect == load_stack(plan.stack).is_prod
    assert bucket.inputs.get("forceDestroy") is False
    for token in BUCKET_PARTS:
        parts = _under(plan, component, token)
        assert len(parts) == 1, (component.name, token)
        assert bucket.urn in parts[0].property_dependencies["bucket"], (component.name, token)
    versioning = _under(plan, component, BUCKET_PARTS[0])[0]
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    sse = _under(plan, component, BUCKET_PARTS[1])[0].inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse["sseAlgorithm"] == "aws:kms" and sse["kmsMasterKeyId"].startswith("arn:aws:kms:")
    block = _under(plan, component, BUCKET_PARTS[2])[0].inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    policy = json.loads(_under(plan, component, BUCKET_PARTS[3])[0].inputs["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"][0].startswith("arn:aws:s3:::") and deny["Resource"][1] == f"{deny['Resource'][0]}/*"
    return bucket


def _role_chain(plan, component):
    """The component's own setup, role policy and authorization (not the encryption-at-rest ones)."""
    (setup,) = _under(plan, component, SETUP)
    (authorization,) = _under(plan, component, AUTHORIZATION)
    (role_policy,) = _under(plan, component, ROLE_POLICY)
    assert setup.urn in authorization.property_dependencies["roleId"]
    return setup, role_policy, authorization


@pytest.mark.parametrize("stack", STACKS)
def test_each_log_export_writes_its_stack_files_log_types_into_a_hardened_bucket_through_its_own_role(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    exports = plan.of_type(LOG_EXPORT)
    assert len(exports) == (1 if cfg.log_export.resolved_enabled(cfg.is_prod) else 0)
    for component in exports:
        bucket = _assert_hardened(plan, component)
        (integration,) = _under(plan, component, LOG_INTEGRATION)
        props = integration.inputs
        assert props["type"] == "S3_LOG_EXPORT"
        assert props["logTypes"] == sorted(cfg.log_export.log_types)
        assert props["prefixPath"] == cfg.log_export.prefix_path
        assert props["kmsKey"].startswith("arn:aws:kms:")
        _, role_policy, authorization = _role_chain(plan, component)
        assert authorization.urn in integration.property_dependencies["iamRoleId"]
        assert plan.depends_on(integration, bucket)
        # Its own role: nothing of the encryption-at-rest chain is in its chain.
        for encryption in plan.of_type(ENCRYPTION):
            assert not plan.depends_on(integration, encryption)
        statements = json.loads(role_policy.inputs["policy"])["Statement"]
        writes = next(s for s in statements if s["Action"] == "s3:PutObject")
        # The whole dedicated bucket, as the official module grants: Atlas's validation object need not
        # be under the prefix (only real Atlas shows where it writes it).
        bucket_arn = bucket.outputs["arn"]
        assert writes["Resource"] == f"{bucket_arn}/*"
        assert {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
            "s3:GetBucketLocation",
            "s3:PutObject",
            "kms:GenerateDataKey",
            "kms:Decrypt",
            "kms:DescribeKey",
        }


def test_prod_exports_its_audit_and_mongod_logs(plans):
    (integration,) = plans("prod").of_type(LOG_INTEGRATION)
    assert {"MONGOD", "MONGOD_AUDIT"} <= set(integration.inputs["logTypes"])


def test_staging_exports_what_its_stack_file_asks_for(plans):
    cfg = load_stack("staging")
    integrations = plans("staging").of_type(LOG_INTEGRATION)
    assert [i.inputs["logTypes"] for i in integrations] == [sorted(cfg.log_export.log_types)]
    assert cfg.log_export.lifecycle.expire_days == 90
    rules = plans("staging").one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", HARDENED).inputs["rules"]
    assert rules[0]["expiration"]["days"] == 90 and "transitions" not in rules[0]


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_of_the_exports_waits_for_the_cluster_but_the_schedule(plans, stack):
    plan = plans(stack)
    for cluster in plan.of_type(CLUSTER):
        for component_type in (LOG_EXPORT, SNAPSHOT_EXPORT):
            for component in plan.of_type(component_type):
                for child in plan.resources:
                    if child.custom and _within(plan, child, component_type) is component:
                        assert not plan.depends_on(child, cluster), child.name
    path = critical_path(plan)
    if plan.of_type(CLUSTER):
        assert critical_path_problems(plan, path) == []


@pytest.mark.parametrize("stack", STACKS)
def test_snapshot_export_is_opt_in_and_the_schedule_exports_to_its_bucket(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    components = plan.of_type(SNAPSHOT_EXPORT)
    assert len(components) == (1 if cfg.keeps_snapshot_export_bucket else 0)
    for component in components:
        _assert_hardened(plan, component)
        (registration,) = _under(plan, component, EXPORT_BUCKET)
        _, _, authorization = _role_chain(plan, component)
        assert authorization.urn in registration.property_dependencies["iamRoleId"]
        assert registration.inputs["cloudProvider"] == "AWS"
        # Protected while the schedule exports to it: a one-step removal is refused before anything changes.
        assert registration.protect is (cfg.is_prod or cfg.snapshot_export.enabled)
    for schedule in plan.of_type(SCHEDULE):
        # Always explicit: the provider sends auto_export_enabled only when set, so "off" must be false.
        assert schedule.inputs["autoExportEnabled"] is cfg.snapshot_export.enabled
        if cfg.snapshot_export.enabled:
            (registration,) = _under(plan, components[0], EXPORT_BUCKET)
            assert schedule.inputs["export"]["frequencyType"] == cfg.snapshot_export.frequency
            assert registration.urn in schedule.property_dependencies["export"]
        else:
            assert "export" not in schedule.inputs


def test_snapshot_export_turned_off_keeps_its_bucket_and_registration_unprotected(plan_variant):
    """Step 1 of removing the export: the schedule stops exporting (false, explicitly), the registration
    stays (nothing is deleted in this run) and is no longer protected, so the next edit may remove it."""
    plan = plan_variant("staging", lambda c: c.__setitem__(key("snapshotExport"), {"enabled": False}))
    (component,) = plan.of_type(SNAPSHOT_EXPORT)
    (registration,) = _under(plan, component, EXPORT_BUCKET)
    assert registration.protect is False
    (schedule,) = plan.of_type(SCHEDULE)
    assert schedule.inputs["autoExportEnabled"] is False and "export" not in schedule.inputs


def test_turning_the_prod_log_export_off_with_a_reason_removes_it(plan_variant):
    def change(config):
        config[key("logExport")] = {"enabled": False, "optOutReason": "audit logs go to the SIEM through Splunk, ticket SEC-88"}

    assert plan_variant("prod", change).of_type(LOG_INTEGRATION) == []


# ---- the pack, through its real gRPC Analyzer protocol ----

RULE = "atlas-prod-audit-log-export"


def test_pack_passes_a_prod_stack_that_exports_its_audit_log(policy_pack):
    assert RULE not in verdict(policy_pack, complete_prod_stack()).policies("mandatory")


def test_pack_fails_a_prod_stack_without_a_log_export(policy_pack):
    stack = [r for r in complete_prod_stack() if r.type != t.LOG_INTEGRATION]
    report = verdict(policy_pack, stack)
    assert report.policies("mandatory") == {RULE}
    assert "has no mongodbatlas.LogIntegration" in "\n".join(f.message for f in report.mandatory)


def test_pack_fails_a_prod_log_export_without_the_audit_log(policy_pack):
    stack = [r for r in complete_prod_stack() if r.type != t.LOG_INTEGRATION]
    mongod_only = resource(t.LOG_INTEGRATION, "payments-logs", {"type": "S3_LOG_EXPORT", "logTypes": ["MONGOD"]})
    report = verdict(policy_pack, [*stack, mongod_only])
    assert report.policies("mandatory") == {RULE}
    assert "export no MONGOD_AUDIT" in "\n".join(f.message for f in report.mandatory)


def test_pack_accepts_a_reasoned_opt_out_and_ignores_other_environments(policy_pack):
    stack = [r for r in complete_prod_stack() if r.type != t.LOG_INTEGRATION]
    reasoned = verdict(policy_pack, stack, config={RULE: {"optOutReason": "audit logs reach the SIEM by Splunk, SEC-88"}})
    assert RULE not in reasoned.policies("mandatory")
    staging = [r for r in complete_prod_stack("staging") if r.type != t.LOG_INTEGRATION]
    assert RULE not in verdict(policy_pack, staging, stack="staging").policies("mandatory")


def test_pack_fails_the_prod_plan_once_its_log_export_is_gone(policy_pack, plan_variant):
    def change(config):
        config[key("logExport")] = {"enabled": False, "optOutReason": "audit logs go to the SIEM through Splunk, ticket SEC-88"}

    report = policy_pack.check_plan(plan_variant("prod", change))
    assert RULE in report.policies("mandatory")


@pytest.mark.parametrize("stack", STACKS)
def test_access_report_names_the_log_destination_its_retention_and_the_export_bucket(plans, stack):
    from tools.access_report import render_report

    plan = plans(stack)
    report = render_report(plan)
    for integration in plan.of_type(LOG_INTEGRATION):
        assert f"s3://{integration.inputs['bucketName']}/{integration.inputs['prefixPath']}" in report
        expiry = load_stack(stack).log_export.lifecycle.expire_days
        assert (f"deleted after {expiry} days" if expiry else "kept until deleted by hand") in report
    for export in plan.of_type(EXPORT_BUCKET):
        assert f"Snapshot export bucket: s3://{export.inputs['bucketName']}" in report
    if not plan.of_type(LOG_INTEGRATION):
        assert "Log export: none" in report
