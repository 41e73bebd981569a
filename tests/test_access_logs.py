"""S3 server access logs of the export buckets: every log and snapshot bucket logs to the stack's one
access-log bucket, which is hardened for S3's log delivery, and what editing the exports does to it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import STACKS, key, load_changed, load_stack, one_refusal
from tests.harness.mocks import MOCK_AWS_ACCOUNT
from tests.transitions import OPT_OUT
from tools.diff import compare

ACCESS_LOGS = "atlas-platform:index:AccessLogBucket"
LOG_EXPORT = "atlas-platform:index:AtlasLogExport"
SNAPSHOT_EXPORT = "atlas-platform:index:SnapshotExportBucket"
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
SOURCES = {LOG_EXPORT: "atlas-logs/", SNAPSHOT_EXPORT: "atlas-snapshots/"}


def _within(plan, resource, component):
    by_urn = {r.urn: r for r in plan.resources}
    parent = by_urn.get(resource.parent)
    while parent is not None:
        if parent.urn == component.urn:
            return True
        parent = by_urn.get(parent.parent)
    return False


def _source_buckets(plan):
    """Each export bucket in the plan, with the prefix its access logs go under."""
    return {
        bucket.urn: (bucket, prefix)
        for token, prefix in SOURCES.items()
        for component in plan.of_type(token)
        for bucket in plan.of_type(BUCKET)
        if _within(plan, bucket, component)
    }


def _access_log_bucket(plan):
    (component,) = plan.of_type(ACCESS_LOGS)
    (bucket,) = plan.of_type(BUCKET, ACCESS_LOGS)
    return component, bucket


def _settings(plan, bucket, token):
    """The one resource of `token` that configures `bucket` (reads its name)."""
    (found,) = [r for r in plan.of_type(token) if bucket.urn in r.property_dependencies.get("bucket", [])]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_an_access_log_bucket_exists_exactly_when_an_export_bucket_does(plans, stack):
    plan = plans(stack)
    assert len(plan.of_type(ACCESS_LOGS)) == (1 if _source_buckets(plan) else 0)


@pytest.mark.parametrize("stack", STACKS)
def test_each_export_bucket_logs_its_access_under_its_own_prefix(plans, stack):
    plan = plans(stack)
    sources = _source_buckets(plan)
    if not sources:
        assert plan.of_type(LOGGING) == []
        return
    _, target = _access_log_bucket(plan)
    loggings = plan.of_type(LOGGING)
    assert len(loggings) == len(sources)
    for logging in loggings:
        ((bucket, prefix),) = [(b, p) for b, p in sources.values() if b.outputs["bucket"] == logging.inputs["bucket"]]
        assert plan.depends_on(logging, bucket)
        assert logging.inputs["targetBucket"] == target.outputs["bucket"]
        assert logging.inputs["targetPrefix"] == prefix
        # Turned on once the logging service may write: the target is read from the bucket policy.
        assert _settings(plan, target, POLICY).urn in logging.property_dependencies["targetBucket"]
    # The target logs nothing of its own (a loop of logs: S3 User Guide).
    assert target.outputs["bucket"] not in {r.inputs["bucket"] for r in loggings}


# The fixture stacks with an export bucket (dev has none: the test above holds it to no access-log bucket).
LOGGED = [stack for stack in STACKS if stack != "dev"]


@pytest.mark.parametrize("stack", LOGGED)
def test_the_access_log_bucket_is_hardened_for_s3_log_delivery(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    _, bucket = _access_log_bucket(plan)
    assert bucket.protect is cfg.is_prod
    assert bucket.inputs["forceDestroy"] is False
    ownership = _settings(plan, bucket, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    versioning = _settings(plan, bucket, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    encryption = _settings(plan, bucket, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    # SSE-S3: S3's log delivery cannot write into a bucket whose default encryption is SSE-KMS.
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    block = _settings(plan, bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (rule,) = _settings(plan, bucket, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule.get("expiration", {}).get("days") == cfg.access_logs.expire_days
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == cfg.access_logs.noncurrent_expire_days
    # Kept when the last export bucket goes: the bucket and every setting that keeps it private and expiring.
    kept = [r for r in plan.resources if r.custom and _within(plan, r, _access_log_bucket(plan)[0]) and r.type != LOGGING]
    assert len(kept) == 7 and all(r.retain_on_delete for r in kept), [r.name for r in kept]


@pytest.mark.parametrize("stack", LOGGED)
def test_only_s3s_logging_service_writes_and_only_for_this_accounts_export_buckets(plans, stack):
    plan = plans(stack)
    _, bucket = _access_log_bucket(plan)
    arn = bucket.outputs["arn"]
    statements = json.loads(_settings(plan, bucket, POLICY).inputs["policy"])["Statement"]
    deny, allow = statements
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert allow["Effect"] == "Allow"
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    sources = _source_buckets(plan).values()
    assert allow["Resource"] == sorted(f"{arn}/{prefix}*" for _, prefix in sources)
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": sorted(b.outputs["arn"] for b, _ in sources)},
        "StringEquals": {"aws:SourceAccount": MOCK_AWS_ACCOUNT},
    }


def test_turning_one_export_off_stops_its_logging_and_its_grant(variant_plans):
    """Both exports on, then the snapshot export removed: its logging goes, the policy names only the log bucket."""
    both, logs_only = variant_plans("staging/snapshot-export-paused"), variant_plans("staging")
    assert len(both.of_type(LOGGING)) == 2 and len(logs_only.of_type(LOGGING)) == 1
    changes = {(c.type, c.name): c for c in compare(both, logs_only)}
    (gone,) = [c for c in changes.values() if c.type == LOGGING]
    assert gone.action == "delete" and gone.name.endswith("-atlas-snapshots") and not gone.blocked
    assert changes[(POLICY, "payments-staging-access-logs-policy")].action == "update"
    assert not [c for c in changes.values() if c.type == BUCKET and "access-logs" in c.name]


def test_the_last_export_gone_leaves_the_access_logs_in_aws(variant_plans):
    """Off outside prod: the access-log bucket and its settings are forgotten, not deleted, and keep expiring."""
    changes = [c for c in compare(variant_plans("staging"), variant_plans("staging/log-export-off")) if "access-logs" in c.name]
    assert changes and all(c.action == "delete" for c in changes)
    kept = [c for c in changes if c.type not in (LOGGING, ACCESS_LOGS)]
    assert len(kept) == 7 and all("retained on delete" in " ".join(c.notes) for c in kept)


def test_in_prod_the_access_log_bucket_is_protected_when_the_exports_go(plans, plan_variant):
    def no_exports(config):
        config[key("logExport")] = {"enabled": False, "optOutReason": OPT_OUT}
        config.pop(key("snapshotExport"))

    changes = compare(plans("prod"), plan_variant("prod", no_exports))
    (bucket,) = [c for c in changes if c.type == BUCKET and "access-logs" in c.name]
    assert bucket.action == "delete" and bucket.blocked


def test_prod_keeps_access_logs_at_least_a_year():
    message = one_refusal("prod", lambda c: c.__setitem__(key("accessLogs"), {"expireDays": 90}))
    assert "atlas-platform:accessLogs" in message and "expireDays 90" in message and "365 or more" in message


def test_access_log_retention_is_configurable_and_may_be_kept_for_ever():
    assert load_changed("staging", lambda c: c.__setitem__(key("accessLogs"), {"expireDays": 30})).access_logs.expire_days == 30
    assert load_changed("prod", lambda c: c.__setitem__(key("accessLogs"), {"expireDays": None})).access_logs.expire_days is None


def test_an_expiry_of_the_access_log_bucket_reaches_its_lifecycle_rule(plan_variant):
    plan = plan_variant("staging", lambda c: c.__setitem__(key("accessLogs"), {"expireDays": 45}))
    (lifecycle,) = plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", ACCESS_LOGS)
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 45}


@pytest.mark.parametrize("stack", STACKS)
def test_access_report_names_where_each_export_buckets_access_is_logged(plans, stack):
    from tools.access_report import render_report

    plan = plans(stack)
    report = render_report(plan)
    for logging in plan.of_type(LOGGING):
        props = logging.inputs
        assert f"- S3 access log of s3://{props['bucket']}: s3://{props['targetBucket']}/{props['targetPrefix']};" in report
