"""AtlasLogExport: the project's audit and mongod/mongos logs, continuously, into an S3 bucket of their own.

`mongodbatlas.LogIntegration` of type S3_LOG_EXPORT (it replaces the deprecated push-based log export)
writes through an IAM role Atlas assumes (`AtlasAccessRole`, its own cloud-provider access) into a
`HardenedBucket`. The integration is project-level: it needs no cluster, so the whole chain builds in
parallel with the cluster (provider v2.16 internal/serviceapi/logintegration/resource.go: one POST to
/groups/{projectId}/logIntegrations, nothing about clusters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_mongodbatlas as atlas

from .hardened_bucket import BucketLifecycle, HardenedBucketArgs, bucket_atlas_writes

TOKEN = "atlas-platform:index:AtlasLogExport"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None
LOG_INTEGRATION_TYPE = "S3_LOG_EXPORT"


@dataclass(frozen=True)
class AtlasLogExportArgs:
    project_id: pulumi.Input[str]
    log_types: Sequence[str]
    """MONGOD, MONGOS, MONGOD_AUDIT, MONGOS_AUDIT."""
    name_prefix: str
    prefix_path: str = "atlas-logs"
    bucket_name: str | None = None
    kms_key_arn: str | None = None
    key_alias: str | None = None
    lifecycle: BucketLifecycle = field(default_factory=BucketLifecycle)
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    region: str | None = None
    """AWS region of the bucket and its key (AWS form, e.g. eu-central-1). Default: the AWS provider's (`aws:region`)."""


class AtlasLogExport(pulumi.ComponentResource):
    """Atlas logs exported to a hardened S3 bucket through a role of their own."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    integration_id: pulumi.Output[str]
    log_types: pulumi.Output[Sequence[str]]

    def __init__(self, name: str, args: AtlasLogExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        bucket, writer = bucket_atlas_writes(
            name,
            project_id=args.project_id,
            bucket=HardenedBucketArgs(
                name_prefix=f"{args.name_prefix}-atlas-logs",
                purpose="MongoDB Atlas log exports",
                bucket_name=args.bucket_name,
                kms_key_arn=args.kms_key_arn,
                key_alias=args.key_alias,
                lifecycle=args.lifecycle,
                tags=args.tags,
                protect=args.protect,
                region=args.region,
            ),
            role_description="Assumed by MongoDB Atlas to write the project's logs to their S3 bucket",
            # The whole (dedicated) bucket, not only `prefix_path`: where Atlas writes the object it checks
            # the role with when the integration is created is not documented, and the official atlas-aws
            # module grants PutObject on `<bucket>/*` (modules/log_integration/main.tf, s3_access), as the
            # provider's own S3 example does (examples/mongodbatlas_log_integration/s3bucket/aws.tf, v2.16.0).
            objects="*",
            write_sid="WriteLogs",
            opts=child,
        )
        # Atlas sets `type` once (the API refuses to change it) and the provider replaces nothing
        # (internal/serviceapi/logintegration/resource_schema.go: no RequiresReplace; project_id CreateOnly).
        integration = atlas.LogIntegration(
            f"{name}-integration",
            project_id=args.project_id,
            type=LOG_INTEGRATION_TYPE,
            # A set to Atlas: sorted, so reordering logTypes in the stack file is no change.
            log_types=sorted(args.log_types),
            bucket_name=bucket.bucket_name,
            iam_role_id=writer.role_id,
            prefix_path=args.prefix_path,
            kms_key=bucket.kms_key_arn,
            opts=child,
        )

        self.bucket_name = bucket.bucket_name
        self.bucket_arn = bucket.bucket_arn
        self.kms_key_arn = bucket.kms_key_arn
        self.role_arn = writer.role_arn
        self.integration_id = integration.integration_id
        self.log_types = integration.log_types
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "kms_key_arn": self.kms_key_arn,
                "role_arn": self.role_arn,
                "integration_id": self.integration_id,
                "log_types": self.log_types,
            }
        )
