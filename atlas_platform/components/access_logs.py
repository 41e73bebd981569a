"""AccessLogBucket: S3 server access logs of the export buckets, in a bucket of their own.

The log-export and snapshot-export buckets hold what an auditor reads; who read or deleted them is
in S3's server access logs (CIS AWS Foundations 3.6, Pulumi AWSGuard `s3-bucket-logging-enabled`).
One bucket per stack takes the logs of every export bucket, each under its own prefix, written by
S3's logging service through a bucket policy (no ACLs: object ownership is BucketOwnerEnforced).

What the target bucket must be (Amazon S3 User Guide, "Enabling Amazon S3 server access logging"):
in the source's account and region; default encryption SSE-S3 (AES256) only, as S3's log delivery
cannot write to a bucket whose default is SSE-KMS; no Object Lock default retention; and not logging
its own access (a loop of logs). So this bucket has no customer key and no access logging itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .hardened_bucket import bucket_name_prefix, deny_insecure_transport, retention_rule, versioned_and_private

TOKEN = "atlas-platform:index:AccessLogBucket"
# New with issue 20: no stack was ever deployed under another token, so no alias.
PREVIOUS_TOKEN: str | None = None
LOGGING_SERVICE = "logging.s3.amazonaws.com"
DEFAULT_EXPIRE_DAYS = 400
DEFAULT_NONCURRENT_EXPIRE_DAYS = 30


@dataclass(frozen=True)
class LoggedBucket:
    """A bucket whose access this bucket logs."""

    key: str
    """Stable name of the source (`atlas-logs`): the logging resource's name and the key prefix `<key>/`."""
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]


@dataclass(frozen=True)
class AccessLogBucketArgs:
    name_prefix: str
    """Start of the generated bucket name (cut to S3's 37 characters)."""
    account_id: pulumi.Input[str]
    """The AWS account of the source buckets: only their logs may be delivered (`aws:SourceAccount`)."""
    sources: Sequence[LoggedBucket]
    expire_days: int | None = DEFAULT_EXPIRE_DAYS
    """Days after which a log object is deleted; None keeps them until deleted by hand."""
    noncurrent_expire_days: int = DEFAULT_NONCURRENT_EXPIRE_DAYS
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    region: str | None = None
    """AWS region of the bucket and its settings, the source buckets' (S3 delivers access logs only within a
    region). Default: the AWS provider's (`aws:region`)."""


def target_prefix(source: LoggedBucket) -> str:
    return f"{source.key}/"


def access_log_policy(bucket_arn: str, account_id: str, sources: Sequence[tuple[str, str]]) -> str:
    """TLS only, and S3's logging service may write each source's prefix, only for these source
    buckets of this account (the policy AWS gives in "Enabling Amazon S3 server access logging",
    "Grant permissions to the logging service principal by using a bucket policy"). `sources` are
    (prefix, source bucket ARN) pairs."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                deny_insecure_transport(bucket_arn),
                {
                    "Sid": "S3ServerAccessLogsFromTheExportBuckets",
                    "Effect": "Allow",
                    "Principal": {"Service": LOGGING_SERVICE},
                    "Action": "s3:PutObject",
                    "Resource": sorted(f"{bucket_arn}/{prefix}*" for prefix, _ in sources),
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": sorted(arn for _, arn in sources)},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                },
            ],
        }
    )


class AccessLogBucket(pulumi.ComponentResource):
    """A private, versioned, SSE-S3, TLS-only bucket that S3 delivers the export buckets' access logs to."""

    bucket_name: pulumi.Output[str]
    """The name, as an output of the bucket policy: logging is turned on once the service may write."""
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        # The bucket and its settings outlive their sources: removing the last export bucket leaves the
        # logs of who read it where they are, hardened and expiring by their lifecycle rule, and the
        # engine forgets them (docs/operations.md, "S3 access logs"). Production also refuses to remove them.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=bucket_name_prefix(f"{args.name_prefix}-s3-access-logs"),
            force_destroy=False,
            tags=dict(args.tags),
            region=args.region,
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(protect=args.protect)),
        )
        # ACLs off: the logging service is granted by the bucket policy, never by an ACL grant.
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.bucket,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            region=args.region,
            opts=kept,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.bucket,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                )
            ],
            region=args.region,
            opts=kept,
        )
        public_access = versioned_and_private(name, bucket, args.region, kept)
        sources = list(args.sources)
        # After the public access block and ownership controls: S3 answers OperationAborted to concurrent
        # settings changes of one bucket (atlas_platform/components/hardened_bucket.py).
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.bucket,
            policy=pulumi.Output.all(
                bucket.arn, args.account_id, *(pulumi.Output.from_input(s.bucket_arn) for s in sources)
            ).apply(
                lambda values: access_log_policy(
                    values[0], values[1], [(target_prefix(s), arn) for s, arn in zip(sources, values[2:], strict=True)]
                )
            ),
            region=args.region,
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[public_access, ownership])),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.bucket,
            # No transition: log objects are small, and S3 moves nothing under 128 KB by default.
            rules=[retention_rule(args.expire_days, args.noncurrent_expire_days)],
            region=args.region,
            opts=kept,
        )
        # The source's own setting, not kept: removing a source stops its logging with it. Its target is
        # read from the policy, so logging starts once the service may write.
        for source in sources:
            aws.s3.BucketLogging(
                f"{name}-{source.key}",
                bucket=source.bucket_name,
                target_bucket=policy.bucket,
                target_prefix=target_prefix(source),
                region=args.region,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.bucket_name = policy.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
