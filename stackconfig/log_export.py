"""The stack file's `logExport` and `snapshotExport` sections: Atlas logs and monthly snapshots into S3.

Both write into a bucket the program creates for that purpose alone (customer KMS key, versioning,
public access blocked, TLS-only bucket policy, lifecycle rules from here), through an IAM role
Atlas assumes via its own cloud-provider access, separate from the encryption-at-rest role.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production
from .network import Reason
from .users import KmsKeyArn

# LogIntegration.log_types accepts these (Atlas Admin API v2, LogIntegration `logTypes` enum).
LOG_TYPES: tuple[str, ...] = ("MONGOD", "MONGOS", "MONGOD_AUDIT", "MONGOS_AUDIT")
AUDIT_LOG_TYPES = frozenset({"MONGOD_AUDIT", "MONGOS_AUDIT"})
DEFAULT_LOG_TYPES: tuple[str, ...] = ("MONGOD", "MONGOD_AUDIT")
LogType = Annotated[str, member_of(LOG_TYPES, "an Atlas log type")]

# S3 lifecycle transition targets the export buckets may use (S3 API TransitionStorageClass, minus
# the ones a log reader cannot read back without a restore request being planned: DEEP_ARCHIVE is kept,
# it is the cheapest place for audit logs that must be kept and are rarely read).
STORAGE_CLASSES: tuple[str, ...] = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
# S3 refuses a transition to the infrequent-access classes before an object is 30 days old
# (Amazon S3 User Guide, "Transitioning objects using Amazon S3 Lifecycle", constraints).
MIN_IA_TRANSITION_DAYS = 30
IA_CLASSES = frozenset({"STANDARD_IA", "ONEZONE_IA"})
# Production keeps audit logs at least a year (PCI DSS 10.5.1 asks 12 months; most audit regimes ask as much).
PROD_MIN_LOG_RETENTION_DAYS = 365

BucketName = Annotated[
    str,
    matches(
        r"(?!xn--)(?!sthree-)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)",
        "a valid S3 bucket name",
        "use 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit "
        "(e.g. payments-prod-atlas-logs); or leave it out and the program names the bucket",
    ),
]
PrefixPath = Annotated[
    str,
    matches(
        r"[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*",
        "a valid S3 key prefix",
        "use letters, digits and !_.*'()- separated by single slashes, no leading or trailing slash (e.g. atlas-logs)",
    ),
]


class Lifecycle(StackModel):
    """When objects move to cheaper storage and when they are deleted."""

    transition_days: int | None = Field(default=30, ge=0)
    """Days after which objects move to `storageClass`; null for no transition."""
    storage_class: Annotated[str, member_of(STORAGE_CLASSES, "an S3 lifecycle storage class")] = "STANDARD_IA"
    expire_days: int | None = Field(default=400, ge=1)
    """Days after which objects are deleted; null keeps them forever (production's audit logs: at least 365)."""
    noncurrent_expire_days: int = Field(default=30, ge=1)
    """Days an overwritten or deleted object version is kept (the bucket is versioned)."""

    @model_validator(mode="after")
    def _consistent(self) -> Lifecycle:
        if (
            self.transition_days is not None
            and self.storage_class in IA_CLASSES
            and self.transition_days < MIN_IA_TRANSITION_DAYS
        ):
            raise invalid(
                "lifecycle_transition_too_early",
                f"transitionDays {self.transition_days} is too early for {self.storage_class}: S3 refuses a transition to "
                f"an infrequent-access class before {MIN_IA_TRANSITION_DAYS} days; write transitionDays: 30 or more",
            )
        if self.transition_days is not None and self.expire_days is not None and self.transition_days >= self.expire_days:
            raise invalid(
                "lifecycle_order",
                f"transitionDays {self.transition_days} is not before expireDays {self.expire_days}: objects would be "
                "deleted before they move; make transitionDays smaller than expireDays, or set transitionDays: null",
            )
        return self


class LogExport(StackModel):
    """Continuous export of the project's audit and mongod/mongos logs into an S3 bucket (Atlas LogIntegration)."""

    enabled: bool | None = None
    """Export the logs. Default: on in production (off only with `optOutReason`), off elsewhere."""
    opt_out_reason: Reason | None = None
    """Production only: why this production stack exports no logs (required with `enabled: false` there)."""
    log_types: list[LogType] = list(DEFAULT_LOG_TYPES)
    """What Atlas exports: MONGOD, MONGOS, MONGOD_AUDIT, MONGOS_AUDIT. Production must include MONGOD_AUDIT."""
    prefix_path: PrefixPath = "atlas-logs"
    """Key prefix in the bucket; Atlas adds `<cluster>/<host>/<log type>/` below it."""
    bucket_name: BucketName | None = None
    """Exact bucket name. Default: `<app>-<env>-atlas-logs-` and a random suffix."""
    kms_key_arn: KmsKeyArn | None = None
    """Existing customer KMS key for the bucket. Default: a new key for this bucket (rotation on)."""
    lifecycle: Lifecycle = Lifecycle()
    """Move to cheaper storage after 30 days, delete after 400 (by default)."""

    @field_validator("log_types")
    @classmethod
    def _unique_types(cls, log_types: list[str]) -> list[str]:
        if not log_types:
            raise invalid("empty_log_types", f"logTypes is empty; write at least one of {', '.join(LOG_TYPES)}")
        unique(log_types, "log type")
        return log_types

    @model_validator(mode="after")
    def _production_rules(self, info: ValidationInfo) -> LogExport:
        production = in_production(info)
        if self.opt_out_reason and self.enabled is not False:
            raise invalid(
                "contradiction", "optOutReason is set but the log export is on; remove optOutReason, or set `enabled: false`"
            )
        if not production:
            if self.opt_out_reason:
                raise invalid("opt_out_outside_prod", "optOutReason only applies to production; remove it")
            return self
        if self.enabled is False and not self.opt_out_reason:
            raise invalid(
                "log_export_required",
                "production exports its audit logs; remove `enabled: false`, or add optOutReason saying why this "
                "production stack keeps no audit trail outside Atlas",
            )
        if self.enabled is False:
            return self
        if "MONGOD_AUDIT" not in self.log_types:
            raise invalid(
                "audit_log_not_exported",
                f"logTypes {self.log_types} leaves out MONGOD_AUDIT; production exports its audit log: add MONGOD_AUDIT",
            )
        expire = self.lifecycle.expire_days
        if expire is not None and expire < PROD_MIN_LOG_RETENTION_DAYS:
            raise invalid(
                "log_retention_too_short",
                f"lifecycle.expireDays {expire} keeps production's audit logs less than a year; write expireDays: "
                f"{PROD_MIN_LOG_RETENTION_DAYS} or more (e.g. 400), or null to keep them",
            )
        return self

    def resolved_enabled(self, production: bool) -> bool:
        return self.enabled if self.enabled is not None else production

    @property
    def exports_audit_log(self) -> bool:
        return bool(AUDIT_LOG_TYPES & set(self.log_types))


# The backup schedule has weekly and monthly policy items (atlas_platform/components/cluster.py); Atlas exports only
# snapshots of a frequency the schedule takes, and `daily` needs MongoDB Support (provider v2.16
# docs/resources/cloud_backup_schedule.md, `export.frequency_type`).
SNAPSHOT_FREQUENCIES: tuple[str, ...] = ("monthly", "weekly")


class SnapshotExport(StackModel):
    """Automatic export of backup snapshots to an S3 bucket of their own (CloudBackupSnapshotExportBucket)."""

    enabled: bool = False
    """Export snapshots automatically (opt-in: every export is a full copy of the data, billed by Atlas).
    While the section is written, the bucket and its Atlas registration exist: `enabled: false` stops the
    exports and keeps them (the first step of removing the export); removing the section deletes them."""
    frequency: Annotated[str, member_of(SNAPSHOT_FREQUENCIES, "a snapshot export frequency")] = "monthly"
    """Which snapshots Atlas exports: monthly (default) or weekly."""
    bucket_name: BucketName | None = None
    """Exact bucket name. Default: `<app>-<env>-atlas-snapshots-` and a random suffix."""
    kms_key_arn: KmsKeyArn | None = None
    """Existing customer KMS key for the bucket. Default: a new key for this bucket (rotation on)."""
    lifecycle: Lifecycle = Lifecycle(transition_days=30, storage_class="GLACIER_IR", expire_days=400)
    """Move to cheaper storage after 30 days, delete after 400 (by default)."""


class AccessLogs(StackModel):
    """S3 server access logs of the log and snapshot export buckets: who read, wrote or deleted what in
    them, delivered by S3 into one bucket of their own (created with the first export bucket)."""

    expire_days: int | None = Field(default=400, ge=1)
    """Days after which an access log is deleted; null keeps them until deleted by hand (production: at least 365)."""
    noncurrent_expire_days: int = Field(default=30, ge=1)
    """Days an overwritten or deleted log version is kept (the bucket is versioned)."""

    @model_validator(mode="after")
    def _production_retention(self, info: ValidationInfo) -> AccessLogs:
        expire = self.expire_days
        if in_production(info) and expire is not None and expire < PROD_MIN_LOG_RETENTION_DAYS:
            raise invalid(
                "access_log_retention_too_short",
                f"expireDays {expire} keeps production's record of who read its audit logs and snapshots less than "
                f"a year; write expireDays: {PROD_MIN_LOG_RETENTION_DAYS} or more (e.g. 400), or null to keep them",
            )
        return self
