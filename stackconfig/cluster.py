"""The cluster section of the stack file: the environment's dedicated Atlas cluster.

Values that Atlas validates only at `pulumi up` (after minutes of waiting) are checked here, with
the valid values taken from Atlas's Admin API spec (mongodb/atlas-sdk-go `openapi/atlas-api.yaml`)
and the provider's docstrings, so a typo fails in a second with its fix instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from atlas_platform.components.facts import (
    ATLAS_AWS_REGIONS,
    AWS_REGIONS,
    DEFAULT_MINIMUM_TLS,
    KMS_KEY_ARN,
    TLS_PROTOCOLS,
    atlas_region_name,
    aws_region_name,
)

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production


def _atlas_form_hint(value: str) -> str:
    if value.upper() in ATLAS_AWS_REGIONS:
        return f" (write the AWS form {aws_region_name(value.upper())!r}; the Atlas form is derived from it)"
    return ""


AwsRegion = Annotated[str, member_of(AWS_REGIONS, "an AWS region Atlas supports", hint=_atlas_form_hint)]

# Dedicated AWS instance sizes (Admin API v2, AWSHardwareSpec20240805.instanceSize).
DEDICATED_TIERS: tuple[str, ...] = (
    "M10", "M20", "M30", "M40", "M50", "M60", "M80", "M100", "M140", "M200", "M300",
    "R40", "R50", "R60", "R80", "R200", "R300", "R400", "R700",
    "M40_NVME", "M50_NVME", "M60_NVME", "M80_NVME", "M200_NVME", "M400_NVME",
)  # fmt: skip
# Shared and flex tiers: no dedicated hardware, no Cloud Backup schedule, no point-in-time
# restore, no customer-managed keys.
SHARED_TIERS: tuple[str, ...] = ("M0", "M2", "M5", "FLEX")
# Compute auto-scaling only moves between general-purpose tiers (Atlas: "unavailable for
# clusters using Low CPU or NVME storage classes").
SCALABLE_TIERS: tuple[str, ...] = ("M10", "M20", "M30", "M40", "M50", "M60", "M80", "M100", "M140", "M200", "M300")

# MongoDB major versions Atlas deploys that have not reached end of life (6.0 ended in 2025).
# Add a new major version here when Atlas offers it to the project.
MONGODB_MAJOR_VERSIONS: tuple[str, ...] = ("7.0", "8.0")

DAYS_OF_WEEK: tuple[str, ...] = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

MajorVersion = Annotated[str, member_of(MONGODB_MAJOR_VERSIONS, "a MongoDB major version Atlas deploys")]
TlsProtocol = Annotated[str, member_of(TLS_PROTOCOLS, "a TLS version Atlas accepts as minimum")]


def _day_number_hint(value: str) -> str:
    # Atlas's API numbers the window's day 1-7 from Sunday (dayOfWeek); the stack file takes the name.
    if not value.strip().isdigit():
        return ""
    number = int(value)
    if 1 <= number <= 7:
        return f" (Atlas's day {number} is {DAYS_OF_WEEK[number - 1]}: write {DAYS_OF_WEEK[number - 1]})"
    return f" (Atlas numbers the days 1-7 from Sunday, 1 = sunday and 7 = saturday, so there is no day {number})"


DayOfWeek = Annotated[str, member_of(DAYS_OF_WEEK, "a day of the week", hint=_day_number_hint)]
Email = Annotated[str, matches(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address", "write e.g. security@example.com")]

# Atlas's own pattern for cluster names (Admin API v2, ClusterDescription20240805.name).
ClusterName = Annotated[
    str,
    matches(
        r"[a-zA-Z0-9][a-zA-Z0-9-]*",
        "a valid Atlas cluster name",
        "use ASCII letters, digits and hyphens, starting with a letter or digit (e.g. payments-prod-cluster1)",
    ),
]
IamPrincipalArn = Annotated[
    str,
    matches(
        r"arn:aws(-us-gov|-cn)?:iam::\d{12}:(root|(role|user)/[\w+=,.@/-]{1,512})",
        "an IAM role, user or account-root ARN",
        "write e.g. arn:aws:iam::111111111111:role/payments-prod-kms-admin",
    ),
]


def _tier_order(tier: str) -> int:
    return SCALABLE_TIERS.index(tier)


class RegionNodes(StackModel):
    """Nodes of the cluster in one AWS region."""

    region: AwsRegion
    """AWS region name as AWS writes it (e.g. us-east-1); Atlas's form (US_EAST_1) is derived."""
    priority: int = Field(7, ge=0, le=7)
    """Election priority: 7 for the preferred region, then 6, 5... for other regions with electable
    nodes; 0 for a region with only read-only or analytics nodes."""
    electable_nodes: int = Field(3, ge=0)
    """Nodes that can become primary. Across all regions the total must be odd and at least 3."""
    read_only_nodes: int = Field(0, ge=0)
    """Read-only secondaries for local reads; they never vote or become primary."""
    analytics_nodes: int = Field(0, ge=0)
    """Analytics nodes for reporting workloads, isolated from the application's reads."""

    @property
    def atlas_region(self) -> str:
        return atlas_region_name(self.region)

    @model_validator(mode="after")
    def _priority_matches_nodes(self) -> RegionNodes:
        if self.electable_nodes + self.read_only_nodes + self.analytics_nodes == 0:
            raise invalid(
                "no_nodes",
                f"region {self.region!r} has no nodes; set electableNodes, readOnlyNodes or analyticsNodes, or remove the region",
            )
        if self.electable_nodes and self.priority == 0:
            raise invalid(
                "bad_priority",
                f"region {self.region!r} has electable nodes but priority 0; give it a priority from 1 to 7 (7 for the preferred region)",
            )
        if not self.electable_nodes and self.priority != 0:
            raise invalid(
                "bad_priority",
                f"region {self.region!r} has no electable nodes, so Atlas requires priority 0 (got {self.priority}); write priority: 0",
            )
        return self


class ComputeAutoScaling(StackModel):
    """Cluster-tier auto-scaling between two general-purpose tiers."""

    enabled: bool = False
    """Let Atlas move the cluster to a bigger tier under load."""
    max_tier: str | None = None
    """Largest tier Atlas may scale up to (required when enabled), e.g. M40."""
    min_tier: str | None = None
    """Smallest tier Atlas may scale down to; unset means Atlas never scales down."""

    @field_validator("max_tier", "min_tier")
    @classmethod
    def _scalable(cls, tier: str | None) -> str | None:
        if tier is not None and tier not in SCALABLE_TIERS:
            raise invalid(
                "not_allowed", f"{tier!r} is not a tier compute auto-scaling can use; write one of: {', '.join(SCALABLE_TIERS)}"
            )
        return tier

    @model_validator(mode="after")
    def _bounds(self) -> ComputeAutoScaling:
        if self.enabled and self.max_tier is None:
            raise invalid(
                "missing_max_tier", "compute auto-scaling needs maxTier (the largest tier Atlas may scale to, e.g. M40)"
            )
        if not self.enabled and (self.max_tier or self.min_tier):
            raise invalid("unused_bounds", "maxTier/minTier only apply with enabled: true; set enabled: true or remove them")
        if self.max_tier and self.min_tier and _tier_order(self.min_tier) > _tier_order(self.max_tier):
            raise invalid("bad_bounds", f"minTier {self.min_tier} is above maxTier {self.max_tier}; swap them")
        return self


class AutoScaling(StackModel):
    """Compute and storage auto-scaling."""

    disk: bool = True
    """Grow storage before it fills up (recommended: a full disk stops writes)."""
    compute: ComputeAutoScaling = ComputeAutoScaling()
    """Cluster-tier auto-scaling."""


class HourlySnapshots(StackModel):
    """Hourly snapshots."""

    every_hours: Literal[1, 2, 4, 6, 8, 12] = 6
    """Hours between snapshots: 1, 2, 4, 6, 8 or 12 (NVMe tiers accept only 12)."""
    retain_days: int = Field(7, ge=1)
    """Days each hourly snapshot is kept."""


class DailySnapshots(StackModel):
    """Daily snapshots."""

    retain_days: int = Field(7, ge=1)
    """Days each daily snapshot is kept; at least the hourly retention."""


class WeeklySnapshots(StackModel):
    """Weekly snapshots."""

    day: Literal[1, 2, 3, 4, 5, 6, 7] = 7
    """Day of the snapshot: 1 = Monday ... 7 = Sunday (Atlas's numbering for weekly policies)."""
    retain_weeks: int = Field(4, ge=1)
    """Weeks each weekly snapshot is kept; at least the daily retention."""


class MonthlySnapshots(StackModel):
    """Monthly snapshots."""

    day: int = 1
    """Day of the month, 1-28, or 40 for the last day of the month."""
    retain_months: int = Field(12, ge=1)
    """Months each monthly snapshot is kept; at least the weekly retention."""

    @field_validator("day")
    @classmethod
    def _day(cls, day: int) -> int:
        if not (1 <= day <= 28 or day == 40):
            raise invalid(
                "bad_day", f"monthly snapshot day {day} does not exist in every month; write 1-28, or 40 for the last day"
            )
        return day


SnapshotFrequency = Literal["hourly", "daily", "weekly", "monthly"]


class SnapshotCopy(StackModel):
    """Copies of snapshots kept in a second region, to restore after a regional outage."""

    region: AwsRegion
    """AWS region that holds the copies (e.g. us-west-2); it must differ from the cluster's preferred region."""
    frequencies: Annotated[list[SnapshotFrequency], Field(min_length=1)] = ["daily", "weekly", "monthly"]
    """Which snapshots to copy; each copy is kept as long as its original."""
    copy_oplogs: bool | None = None
    """Copy the oplog too, so point-in-time restores work from the copy. Default: on when point-in-time restore is on."""

    @property
    def atlas_region(self) -> str:
        return atlas_region_name(self.region)

    @field_validator("frequencies")
    @classmethod
    def _unique(cls, frequencies: list[str]) -> list[str]:
        unique(frequencies, "frequency")
        return frequencies


class CompliancePolicy(StackModel):
    """Atlas Backup Compliance Policy: nobody, not even a project owner, can delete or shorten backups.

    Only MongoDB Support can lift it, and only on a request from the authorized person.
    """

    authorized_email: Email
    """Security or legal contact who alone may ask MongoDB Support to change the policy."""
    authorized_first_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    """First name of that person."""
    authorized_last_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    """Last name of that person."""


class Backup(StackModel):
    """Cloud Backup: snapshot schedule, point-in-time restore and copies."""

    enabled: bool = True
    """Cloud Backup for the cluster. Production refuses to turn it off."""
    point_in_time: bool | None = None
    """Continuous Cloud Backup (restore to any second within the restore window). Default: on in prod, off elsewhere."""
    restore_window_days: int | None = Field(None, ge=1)
    """Days back a point-in-time restore can reach. Default: 7 in prod (its minimum), 2 elsewhere."""
    reference_hour_of_day: int = Field(3, ge=0, le=23)
    """UTC hour at which Atlas takes the daily, weekly and monthly snapshots."""
    reference_minute_of_hour: int = Field(0, ge=0, le=59)
    """Minute after referenceHourOfDay."""
    hourly: HourlySnapshots = HourlySnapshots()
    """Hourly snapshot policy."""
    daily: DailySnapshots = DailySnapshots()
    """Daily snapshot policy."""
    weekly: WeeklySnapshots = WeeklySnapshots()
    """Weekly snapshot policy."""
    monthly: MonthlySnapshots = MonthlySnapshots()
    """Monthly snapshot policy."""
    copies: list[SnapshotCopy] = []
    """Regions that keep copies of the snapshots."""
    compliance_policy: CompliancePolicy | None = None
    """Opt-in Backup Compliance Policy (prod only). Once on, backups can't be deleted or shortened; see docs/cluster.md."""

    @field_validator("copies")
    @classmethod
    def _unique_copies(cls, copies: list[SnapshotCopy]) -> list[SnapshotCopy]:
        unique([c.region for c in copies], "copy region")
        return copies

    @field_validator("enabled")
    @classmethod
    def _backup_on_in_prod(cls, enabled: bool, info: ValidationInfo) -> bool:
        if not enabled and in_production(info):
            raise invalid("not_allowed", "production refuses enabled: false; keep Cloud Backup on (remove the key)")
        return enabled

    @field_validator("point_in_time")
    @classmethod
    def _pit_on_in_prod(cls, pit: bool | None, info: ValidationInfo) -> bool | None:
        if pit is False and in_production(info):
            raise invalid(
                "not_allowed",
                "production refuses pointInTime: false; continuous backup is what lets you undo a bad write (remove the key)",
            )
        return pit

    @field_validator("restore_window_days")
    @classmethod
    def _prod_window(cls, days: int | None, info: ValidationInfo) -> int | None:
        if days is not None and days < 7 and in_production(info):
            raise invalid("not_allowed", f"restoreWindowDays {days} is below production's minimum of 7; write 7 or more")
        return days

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Backup:
        prod = in_production(info)
        if not self.enabled and (self.point_in_time or self.copies or self.compliance_policy):
            raise invalid(
                "backup_off", "pointInTime, copies and compliancePolicy need enabled: true; remove them or turn backups on"
            )
        if self.restore_window_days is not None and not self.point_in_time and not prod:
            raise invalid(
                "window_without_pit", "restoreWindowDays only applies with pointInTime: true; set it or remove restoreWindowDays"
            )
        if self.compliance_policy is not None and self.restore_window_days and self.restore_window_days > self.hourly.retain_days:
            raise invalid(
                "window_beyond_hourly",
                f"with compliancePolicy, restoreWindowDays {self.restore_window_days} can't exceed hourly.retainDays "
                f"{self.hourly.retain_days}; raise hourly.retainDays or shorten the window",
            )
        if self.compliance_policy is not None and not prod:
            raise invalid(
                "compliance_outside_prod",
                "compliancePolicy is for production only: it makes backups undeletable until MongoDB Support lifts it; remove it here",
            )
        if self.daily.retain_days < self.hourly.retain_days:
            raise invalid(
                "retention_order",
                f"daily.retainDays {self.daily.retain_days} is shorter than hourly.retainDays {self.hourly.retain_days}; "
                "Atlas requires less frequent snapshots to be kept at least as long",
            )
        if self.weekly.retain_weeks * 7 < self.daily.retain_days:
            raise invalid(
                "retention_order",
                f"weekly.retainWeeks {self.weekly.retain_weeks} ({self.weekly.retain_weeks * 7} days) is shorter than "
                f"daily.retainDays {self.daily.retain_days}; Atlas requires less frequent snapshots to be kept at least as long",
            )
        return self


class Encryption(StackModel):
    """Encryption at rest with the customer's own AWS KMS key."""

    enabled: bool | None = None
    """Encrypt the cluster's storage and snapshots with a KMS key you control. Default: on in prod, off elsewhere."""
    key_arn: str | None = None
    """ARN of an existing KMS key to use. Unset: this program creates a key with rotation on."""
    key_region: AwsRegion | None = None
    """AWS region of the key this program creates. Default: the cluster's preferred region."""
    key_admin_arns: list[IamPrincipalArn] = []
    """IAM roles or users that may administer (not use) the created key; at least one."""
    key_user_arns: list[IamPrincipalArn] = []
    """IAM roles or users, besides Atlas, that may encrypt and decrypt with the created key."""
    deletion_window_days: int = Field(30, ge=7, le=30)
    """Days AWS waits before a scheduled key deletion takes effect (7-30)."""
    rotation_period_days: int = Field(365, ge=90, le=2560)
    """Days between automatic rotations of the created key (90-2560)."""
    require_private_networking: bool | None = None
    """Atlas reaches the key only over AWS PrivateLink, through endpoints Atlas runs in every region of the
    cluster and in the key's. Default: on in prod (which refuses false), off elsewhere. Turning it off takes
    two `pulumi up`s: `privateEndpointsRemoved: true` first (docs/cluster.md)."""
    private_endpoints_removed: bool = False
    """Step 1 of 2 of turning requirePrivateNetworking off: the KMS private endpoints are deleted while Atlas
    still requires private networking (Atlas refuses to stop requiring it while any exists, and Pulumi
    deletes only after it updates). Step 2: `requirePrivateNetworking: false`, and remove this key. Between
    the two, Atlas cannot reach the key: run step 2 right after."""

    @field_validator("private_endpoints_removed")
    @classmethod
    def _endpoints_in_prod(cls, removed: bool, info: ValidationInfo) -> bool:
        if removed and in_production(info):
            raise invalid(
                "not_allowed",
                "production keeps its KMS private endpoints (it refuses requirePrivateNetworking: false, which this "
                "key is the first step of); remove privateEndpointsRemoved",
            )
        return removed

    @field_validator("require_private_networking")
    @classmethod
    def _private_in_prod(cls, private: bool | None, info: ValidationInfo) -> bool | None:
        if private is False and in_production(info):
            raise invalid(
                "not_allowed",
                "production refuses requirePrivateNetworking: false; Atlas calls your KMS key for every cluster start "
                "and key rotation, and production keeps that traffic off the public internet (remove the key)",
            )
        return private

    @field_validator("key_arn")
    @classmethod
    def _key_arn(cls, arn: str | None) -> str | None:
        if arn is None:
            return None
        match = KMS_KEY_ARN.fullmatch(arn)
        if match is None:
            raise invalid(
                "invalid_format",
                f"{arn!r} is not a KMS key ARN; write arn:aws:kms:<region>:<account>:key/<key id> "
                "(an alias ARN will not do: Atlas needs the key itself)",
            )
        if atlas_region_name(match.group("region")) not in ATLAS_AWS_REGIONS:
            raise invalid(
                "bad_key_region",
                f"the key in {arn!r} lives in a region Atlas does not support; use a key in one of: {', '.join(AWS_REGIONS)}",
            )
        return arn

    @field_validator("key_admin_arns", "key_user_arns")
    @classmethod
    def _unique_arns(cls, arns: list[str]) -> list[str]:
        unique(arns, "ARN")
        return arns

    @property
    def existing_key_region(self) -> str | None:
        match = KMS_KEY_ARN.fullmatch(self.key_arn) if self.key_arn else None
        return match.group("region") if match else None

    @model_validator(mode="after")
    def _key_source(self) -> Encryption:
        if self.enabled is False and (self.key_arn or self.key_admin_arns or self.key_user_arns):
            raise invalid("unused_key", "key settings only apply with encryption on; remove them or drop enabled: false")
        if self.private_endpoints_removed and self.require_private_networking is not True:
            raise invalid(
                "endpoints_removed_without_private_networking",
                "privateEndpointsRemoved is step 1 of turning requirePrivateNetworking off and keeps it on; write "
                "requirePrivateNetworking: true with it, or, once step 1 is applied, remove privateEndpointsRemoved "
                "and set requirePrivateNetworking: false (step 2)",
            )
        if self.enabled is False and self.require_private_networking:
            raise invalid(
                "private_without_kms",
                "requirePrivateNetworking makes Atlas reach your KMS key over PrivateLink, but encryption with your key "
                "is off, so there is no KMS traffic; remove requirePrivateNetworking or drop enabled: false",
            )
        if self.key_arn:
            if self.key_admin_arns or self.key_user_arns:
                raise invalid(
                    "existing_key_policy",
                    "keyAdminArns and keyUserArns shape the policy of a key this program creates; with keyArn, "
                    "manage the existing key's policy where the key is managed and remove them here",
                )
            if self.key_region and self.key_region != self.existing_key_region:
                raise invalid(
                    "key_region_mismatch",
                    f"keyRegion {self.key_region!r} differs from the region in keyArn ({self.existing_key_region!r}); remove keyRegion",
                )
        return self


class ProtectedHours(StackModel):
    """Hours of every day in which Atlas starts no standard maintenance (your business hours)."""

    start_hour: int = Field(ge=0, le=23)
    """First protected hour, 0-23, in the project's time zone (e.g. 8)."""
    end_hour: int = Field(ge=0, le=23)
    """Hour the protection ends, 0-23 (e.g. 20: maintenance may start from 20:00). Below startHour, the
    hours wrap past midnight (startHour: 22, endHour: 6)."""

    def covers(self, hour: int) -> bool:
        """Whether maintenance starting at `hour` would start inside the protected hours."""
        if self.start_hour < self.end_hour:
            return self.start_hour <= hour < self.end_hour
        return hour >= self.start_hour or hour < self.end_hour

    @property
    def quietest_hour(self) -> int:
        """The unprotected hour farthest from the protected ones: a start that leaves the most room to finish."""
        free = (self.start_hour - self.end_hour) % 24
        return (self.end_hour + free // 2) % 24

    @model_validator(mode="after")
    def _not_empty(self) -> ProtectedHours:
        if self.start_hour == self.end_hour:
            raise invalid(
                "empty_protected_hours",
                f"startHour and endHour are both {self.start_hour}, which protects no hour or every hour; "
                "write the hours your users need the cluster undisturbed, e.g. startHour: 8, endHour: 20",
            )
        return self


class MaintenanceWindow(StackModel):
    """When Atlas may restart nodes for patches (project-wide; times in the project's time zone)."""

    day: DayOfWeek = "sunday"
    """Day the window starts, lowercase English (e.g. sunday)."""
    hour: int = Field(3, ge=0, le=23)
    """Hour the window starts, 0-23."""
    auto_defer: bool = False
    """Defer every scheduled maintenance by one week automatically (Atlas still forces it eventually)."""
    protected_hours: ProtectedHours | None = None
    """Daily hours in which Atlas starts no standard maintenance; the window's hour must lie outside them.
    Urgent security patches still start when Atlas needs them to."""

    @property
    def atlas_day_of_week(self) -> int:
        """Atlas counts days 1-based from Sunday."""
        return DAYS_OF_WEEK.index(self.day) + 1

    @model_validator(mode="after")
    def _window_outside_protected_hours(self) -> MaintenanceWindow:
        protected = self.protected_hours
        if protected is not None and protected.covers(self.hour):
            raise invalid(
                "window_in_protected_hours",
                f"hour {self.hour} lies inside protectedHours {protected.start_hour}-{protected.end_hour}, where Atlas "
                f"starts no maintenance, so the window would never open on time; pick an hour outside them "
                f"(e.g. hour: {protected.quietest_hour}, the farthest from them) or change protectedHours",
            )
        return self


class ClusterSettings(StackModel):
    """The environment's dedicated cluster."""

    tier: str
    """Instance size of every data-bearing node, M10 or larger (e.g. M30)."""
    mongo_db_major_version: MajorVersion
    """MongoDB major version, pinned (e.g. "8.0"); upgrade one major version at a time."""
    regions: Annotated[list[RegionNodes], Field(min_length=1)]
    """Regions and their nodes. One region with 3 electable nodes is a replica set; add regions for
    regional redundancy."""
    number: int = Field(1, ge=1, le=99)
    """N in the default name `<app>-<env>-cluster<N>`; it also names the Pulumi resources."""
    name: ClusterName | None = None
    """Atlas cluster name. Default: `<app>-<env>-cluster<N>`. Changing it replaces the cluster."""
    shards: int | None = Field(None, ge=1)
    """Make a sharded cluster with this many identical shards. Unset: a replica set."""
    auto_scaling: AutoScaling = AutoScaling()
    """Compute and disk auto-scaling."""
    termination_protection: bool | None = None
    """Atlas refuses to delete the cluster while on. Default: on in prod (which refuses false), off elsewhere."""
    minimum_tls: TlsProtocol = DEFAULT_MINIMUM_TLS
    """Oldest TLS version clients may use: TLS1_2 or TLS1_3."""
    redact_client_log_data: bool = True
    """Keep document contents out of the cluster's logs."""
    backup: Backup = Backup()
    """Cloud Backup settings."""
    encryption: Encryption = Encryption()
    """Encryption at rest with your own AWS KMS key."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """The project's maintenance window."""

    @property
    def preferred_region(self) -> RegionNodes:
        return max(self.regions, key=lambda r: r.priority)

    @property
    def data_regions(self) -> list[str]:
        """Every region that holds this cluster's data: its nodes' regions, then its backup copies'."""
        nodes = [r.region for r in self.regions]
        return nodes + [c.region for c in self.backup.copies if c.region not in nodes]

    def point_in_time(self, prod: bool) -> bool:
        backup = self.backup
        return backup.enabled and (backup.point_in_time if backup.point_in_time is not None else prod)

    def restore_window_days(self, prod: bool) -> int | None:
        """Point-in-time restore window with the environment's default (7 days in prod, 2 elsewhere)."""
        if not self.point_in_time(prod):
            return None
        return self.backup.restore_window_days or (7 if prod else 2)

    def termination_protected(self, prod: bool) -> bool:
        return self.termination_protection if self.termination_protection is not None else prod

    def encrypted(self, prod: bool) -> bool:
        return self.encryption.enabled if self.encryption.enabled is not None else prod

    def kms_private(self, prod: bool) -> bool:
        """Atlas reaches the customer key over PrivateLink: with the key in use, on by default in prod."""
        private = self.encryption.require_private_networking
        return self.encrypted(prod) and (private if private is not None else prod)

    def resolved_name(self, app: str, environment: str) -> str:
        return self.name or f"{app}-{environment}-cluster{self.number}"

    @field_validator("tier")
    @classmethod
    def _dedicated_tier(cls, tier: str, info: ValidationInfo) -> str:
        if tier.upper() in SHARED_TIERS:
            if in_production(info):
                raise invalid(
                    "not_allowed",
                    f"production refuses the shared/flex tier {tier!r}: no dedicated hardware, Cloud Backup schedule, "
                    "point-in-time restore or customer-managed encryption; write M10 or larger (e.g. M30)",
                )
            raise invalid(
                "not_allowed",
                f"{tier!r} is a shared/flex tier; this program builds dedicated clusters (backup schedule, KMS); write M10, the smallest dedicated tier",
            )
        if tier not in DEDICATED_TIERS:
            from difflib import get_close_matches

            close = get_close_matches(tier.upper(), DEDICATED_TIERS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise invalid("not_allowed", f"{tier!r} is not an Atlas AWS tier; {hint}write one of: {', '.join(DEDICATED_TIERS)}")
        return tier

    @field_validator("termination_protection")
    @classmethod
    def _protected_in_prod(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value is False and in_production(info):
            raise invalid(
                "not_allowed", "production refuses terminationProtection: false; see docs/cluster.md for how to decommission"
            )
        return value

    @field_validator("regions")
    @classmethod
    def _topology(cls, regions: list[RegionNodes]) -> list[RegionNodes]:
        unique([r.region for r in regions], "region")
        electable = sum(r.electable_nodes for r in regions)
        if electable < 3 or electable % 2 == 0:
            raise invalid(
                "bad_electable_total",
                f"the regions hold {electable} electable nodes in total; Atlas needs an odd number of at least 3 "
                "(3, 5 or 7) so a majority can always elect a primary",
            )
        priorities = sorted((r.priority for r in regions if r.electable_nodes), reverse=True)
        expected = list(range(7, 7 - len(priorities), -1))
        if priorities != expected:
            raise invalid(
                "bad_priorities",
                f"electable regions have priorities {priorities}; Atlas needs {expected}: 7 for the preferred region, "
                "then one less for each further region with electable nodes",
            )
        return regions

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> ClusterSettings:
        prod = in_production(info)
        compute = self.auto_scaling.compute
        if compute.enabled:
            if self.tier not in SCALABLE_TIERS:
                raise invalid(
                    "not_scalable",
                    f"autoScaling.compute can't scale tier {self.tier} (Low-CPU or NVMe); turn it off or use an M tier",
                )
            if compute.max_tier and _tier_order(compute.max_tier) < _tier_order(self.tier):
                raise invalid(
                    "bad_bounds",
                    f"autoScaling.compute.maxTier {compute.max_tier} is below tier {self.tier}; write {self.tier} or larger",
                )
            if compute.min_tier and _tier_order(compute.min_tier) > _tier_order(self.tier):
                raise invalid(
                    "bad_bounds",
                    f"autoScaling.compute.minTier {compute.min_tier} is above tier {self.tier}; write {self.tier} or smaller",
                )
        for copy in self.backup.copies:
            if copy.region == self.preferred_region.region:
                raise invalid(
                    "copy_in_same_region",
                    f"backup.copies region {copy.region!r} is the cluster's preferred region, where snapshots already live; "
                    "pick another region (e.g. the nearest one with no nodes)",
                )
            if copy.copy_oplogs and not self.point_in_time(prod):
                raise invalid("oplogs_without_pit", f"backup.copies[{copy.region}].copyOplogs needs backup.pointInTime: true")
        encrypted = self.encrypted(prod)
        if encrypted and not self.encryption.key_arn and not self.encryption.key_admin_arns:
            raise invalid(
                "no_key_admins",
                "encryption.keyAdminArns is empty: a key nobody can administer can't be rotated or fixed; list at least one "
                "IAM role ARN (or give an existing key in encryption.keyArn)",
            )
        if self.backup.compliance_policy is not None and not encrypted:
            raise invalid(
                "compliance_without_kms",
                "backup.compliancePolicy requires encryption at rest with your KMS key (encryption.enabled)",
            )
        return self
