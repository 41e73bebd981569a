"""HardenedBucket: an S3 bucket for data Atlas exports (logs, snapshots), locked down the same way every time.

Customer KMS key (created, or an existing one), versioning, every public-access block on, a bucket
policy that refuses any request not made over TLS, and lifecycle rules (cheaper storage, expiry,
old versions, abandoned uploads). Built from the separate bucket resources of pulumi-aws 7, not the
deprecated inline arguments of `aws.s3.Bucket`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .atlas_role import AtlasAccessRole, AtlasAccessRoleArgs

TOKEN = "atlas-platform:index:HardenedBucket"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None

# S3 limits `bucket_prefix` to 37 characters (63 minus the 26 the provider appends).
MAX_BUCKET_PREFIX = 37
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


@dataclass(frozen=True)
class BucketLifecycle:
    transition_days: int | None = 30
    storage_class: str = "STANDARD_IA"
    expire_days: int | None = 400
    noncurrent_expire_days: int = 30


@dataclass(frozen=True)
class HardenedBucketArgs:
    name_prefix: str
    """Start of the generated bucket name (cut to S3's 37 characters); ignored with `bucket_name`."""
    purpose: str
    """What the bucket holds, for the key's description."""
    bucket_name: str | None = None
    kms_key_arn: str | None = None
    """Existing key; its policy must let the writer's role use it. Default: a new key for this bucket."""
    key_alias: str | None = None
    """Alias of the created key, without `alias/`."""
    lifecycle: BucketLifecycle = field(default_factory=BucketLifecycle)
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    """Refuse `pulumi destroy` and replacements of the bucket and its key: a new bucket starts empty."""
    region: str | None = None
    """AWS region of the bucket, its key and every setting of it (AWS form, e.g. eu-central-1). Default: the
    AWS provider's (`aws:region`). Give it to every AWS resource added here: S3 uses only a key of its own region."""


def bucket_name_prefix(prefix: str) -> str:
    cut = prefix[: MAX_BUCKET_PREFIX - 1].rstrip("-.")
    return f"{cut}-"


def deny_insecure_transport(bucket_arn: str) -> dict[str, object]:
    """The statement that refuses every request made without TLS (AWS's S3 security best practice,
    `aws:SecureTransport`), in every bucket policy of this program."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_only_policy(bucket_arn: str) -> str:
    """Refuse every request made without TLS."""
    return json.dumps({"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket_arn)]})


def atlas_writer_policy(bucket_arn: str, objects: str, key_arn: str, write_sid: str) -> str:
    """What Atlas needs to write into a hardened bucket, and only there: s3:GetBucketLocation on the
    bucket, s3:PutObject on `objects` (a key pattern under the bucket), and the bucket key for its
    default encryption (kms:Decrypt too: multipart uploads read the data key). The same grants as the
    official atlas-aws module's `modules/log_integration` and the provider's snapshot-export example
    (examples/mongodbatlas_cloud_backup_snapshot_export_bucket/aws/aws-roles.tf, v2.16)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "FindTheBucket", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
                {"Sid": write_sid, "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{objects}"},
                {
                    "Sid": "EncryptWithTheBucketKey",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
                    "Resource": key_arn,
                },
            ],
        }
    )


def versioned_and_private(
    name: str, bucket: aws.s3.Bucket, region: pulumi.Input[str] | None, opts: pulumi.ResourceOptions
) -> aws.s3.BucketPublicAccessBlock:
    """What every bucket of this program gets: versioning on and every public-access block on. Returns the
    block, which the bucket policy waits for (S3 refuses concurrent settings changes of one bucket)."""
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.bucket,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        region=region,
        opts=opts,
    )
    return aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=opts,
    )


def retention_rule(
    expire_days: int | None,
    noncurrent_expire_days: int,
    transitions: list[aws.s3.BucketLifecycleConfigurationRuleTransitionArgs] | None = None,
) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """The one lifecycle rule of a bucket of this program: its whole content expires after `expire_days`
    (None: kept), older versions after `noncurrent_expire_days`, unfinished uploads after a week."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="retention",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        transitions=transitions,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_days) if expire_days is not None else None,
        # The bucket is versioned: without this, an expired object only gets a delete marker and its data
        # is kept (and billed) for ever.
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=noncurrent_expire_days
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
        ),
    )


class HardenedBucket(pulumi.ComponentResource):
    """A private, versioned, KMS-encrypted, TLS-only S3 bucket with lifecycle rules."""

    bucket_name: pulumi.Output[str]
    """The name, as an output of the encryption configuration: a writer waits until objects get the key."""
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: HardenedBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)

        if args.kms_key_arn:
            key_arn: pulumi.Output[str] = pulumi.Output.from_input(args.kms_key_arn)
        else:
            # No explicit key policy: AWS's default delegates to IAM, so the writer's role policy grants its use.
            key = aws.kms.Key(
                f"{name}-key",
                description=f"Encrypts {args.purpose}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                tags=dict(args.tags),
                region=args.region,
                opts=kept,
            )
            key_arn = key.arn
            if args.key_alias:
                aws.kms.Alias(
                    f"{name}-key-alias",
                    name=f"alias/{args.key_alias}",
                    target_key_id=key.key_id,
                    region=args.region,
                    opts=child,
                )

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            bucket_prefix=None if args.bucket_name else bucket_name_prefix(args.name_prefix),
            force_destroy=False,
            tags=dict(args.tags),
            region=args.region,
            opts=kept,
        )
        public_access = versioned_and_private(name, bucket, args.region, child)
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.bucket,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    # One data key per bucket instead of a KMS call per object: far fewer KMS requests.
                    bucket_key_enabled=True,
                )
            ],
            region=args.region,
            opts=child,
        )
        # S3 answers OperationAborted ("a conflicting conditional operation") to a bucket policy put while
        # the public access block is being written; the provider retries that code for encryption only
        # (internal/service/s3/bucket_server_side_encryption_configuration.go), not for the policy
        # (bucket_policy.go). Off the critical path: a few seconds, in parallel with the cluster.
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.bucket,
            policy=bucket.arn.apply(tls_only_policy),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        life = args.lifecycle
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.bucket,
            rules=[
                retention_rule(
                    life.expire_days,
                    life.noncurrent_expire_days,
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=life.transition_days, storage_class=life.storage_class
                        )
                    ]
                    if life.transition_days is not None
                    else None,
                )
            ],
            region=args.region,
            opts=child,
        )

        self.bucket_name = encryption.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key_arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "kms_key_arn": self.kms_key_arn})


def bucket_atlas_writes(
    name: str,
    *,
    project_id: pulumi.Input[str],
    bucket: HardenedBucketArgs,
    role_description: str,
    objects: str,
    write_sid: str,
    opts: pulumi.ResourceOptions,
) -> tuple[HardenedBucket, AtlasAccessRole]:
    """A hardened bucket (`<name>-store`) and the role Atlas writes into it with (`<name>-writer`),
    allowed only `atlas_writer_policy` on `objects`: the pair every export from Atlas to S3 needs."""
    store = HardenedBucket(f"{name}-store", bucket, opts=opts)
    writer = AtlasAccessRole(
        f"{name}-writer",
        AtlasAccessRoleArgs(
            project_id=project_id,
            description=role_description,
            policy=pulumi.Output.all(store.bucket_arn, store.kms_key_arn).apply(
                lambda values: atlas_writer_policy(values[0], objects, values[1], write_sid)
            ),
            tags=bucket.tags,
        ),
        opts=opts,
    )
    return store, writer
