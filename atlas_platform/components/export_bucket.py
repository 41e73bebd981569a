"""SnapshotExportBucket: an S3 bucket of its own that Atlas exports backup snapshots to.

`mongodbatlas.CloudBackupSnapshotExportBucket` registers a `HardenedBucket` with Atlas, written
through an `AtlasAccessRole` of its own. The backup schedule then exports automatically
(`CloudBackupSchedule.auto_export_enabled` and `export`, in atlas_platform/components/cluster.py) by the
`export_bucket_id` this component outputs. Project-level: it needs no cluster, so it builds in
parallel with it; only the schedule, which needs the cluster anyway, reads its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_mongodbatlas as atlas

from .hardened_bucket import BucketLifecycle, HardenedBucketArgs, bucket_atlas_writes

TOKEN = "atlas-platform:index:SnapshotExportBucket"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None


@dataclass(frozen=True)
class SnapshotExportBucketArgs:
    project_id: pulumi.Input[str]
    name_prefix: str
    bucket_name: str | None = None
    kms_key_arn: str | None = None
    key_alias: str | None = None
    lifecycle: BucketLifecycle = field(default_factory=lambda: BucketLifecycle(storage_class="GLACIER_IR"))
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    region: str | None = None
    """AWS region of the bucket and its key (AWS form, e.g. eu-central-1). Default: the AWS provider's (`aws:region`)."""
    exporting: bool = True
    """The backup schedule exports to this registration. Then it is protected: Atlas refuses to delete a
    registration a schedule still exports to, and Pulumi runs the schedule's update before the delete, so
    removing both in one edit is refused by the engine before anything changes (docs/cluster.md, "Snapshot
    export"). False (the schedule no longer exports) is the first step of removing it."""


class SnapshotExportBucket(pulumi.ComponentResource):
    """A hardened S3 bucket registered with Atlas as the project's snapshot export bucket."""

    export_bucket_id: pulumi.Output[str]
    """Atlas's id of the export bucket: `CloudBackupSchedule.export.export_bucket_id`."""
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: SnapshotExportBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        bucket, writer = bucket_atlas_writes(
            name,
            project_id=args.project_id,
            bucket=HardenedBucketArgs(
                name_prefix=f"{args.name_prefix}-atlas-snapshots",
                purpose="MongoDB Atlas snapshot exports",
                bucket_name=args.bucket_name,
                kms_key_arn=args.kms_key_arn,
                key_alias=args.key_alias,
                lifecycle=args.lifecycle,
                tags=args.tags,
                protect=args.protect,
                region=args.region,
            ),
            role_description="Assumed by MongoDB Atlas to export backup snapshots to their S3 bucket",
            objects="*",
            write_sid="WriteSnapshots",
            opts=child,
        )
        # Every input forces a replacement (resource_cloud_backup_snapshot_export_bucket.go, ForceNew), and a
        # schedule that still exports to it blocks the delete: "make these updates in isolated terraform apply
        # operations first" (docs/resources/cloud_backup_snapshot_export_bucket.md, v2.16.0). Protected while
        # exported to, so the engine refuses a delete or replacement in the same run as the schedule's change.
        export = atlas.CloudBackupSnapshotExportBucket(
            f"{name}-registration",
            project_id=args.project_id,
            cloud_provider="AWS",
            bucket_name=bucket.bucket_name,
            iam_role_id=writer.role_id,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect or args.exporting),
        )

        self.export_bucket_id = export.export_bucket_id
        self.bucket_name = bucket.bucket_name
        self.bucket_arn = bucket.bucket_arn
        self.kms_key_arn = bucket.kms_key_arn
        self.role_arn = writer.role_arn
        self.register_outputs(
            {
                "export_bucket_id": self.export_bucket_id,
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "kms_key_arn": self.kms_key_arn,
                "role_arn": self.role_arn,
            }
        )
