"""ProdCluster: a dedicated Atlas cluster with its backup schedule, compliance policy and maintenance window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas

from .facts import DEFAULT_MINIMUM_TLS
from .naming import renamed_from

TOKEN = "atlas-platform:index:ProdCluster"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:ProdCluster"

FREQUENCIES = ("hourly", "daily", "weekly", "monthly")


@dataclass(frozen=True)
class RegionNodes:
    """Nodes in one region; `atlas_region` is Atlas's form (US_EAST_1)."""

    atlas_region: str
    priority: int
    electable_nodes: int
    read_only_nodes: int = 0
    analytics_nodes: int = 0


@dataclass(frozen=True)
class ComputeScaling:
    """Compute auto-scaling bounds."""

    max_tier: str
    min_tier: str | None = None
    """Unset: Atlas scales up only."""


@dataclass(frozen=True)
class SnapshotCopy:
    """Copies of snapshots to another region."""

    atlas_region: str
    frequencies: Sequence[str]
    """hourly, daily, weekly, monthly: each copy is kept as long as its original."""
    copy_oplogs: bool


@dataclass(frozen=True)
class BackupSchedule:
    """The backup schedule: snapshot times, retention per frequency, copies and export."""

    reference_hour_of_day: int = 3
    reference_minute_of_hour: int = 0
    restore_window_days: int | None = None
    """Only with point-in-time restore."""
    hourly_every_hours: int = 6
    hourly_retain_days: int = 7
    daily_retain_days: int = 7
    weekly_day: int = 7
    weekly_retain_weeks: int = 4
    monthly_day: int = 1
    monthly_retain_months: int = 12
    copies: Sequence[SnapshotCopy] = ()
    export_bucket_id: pulumi.Input[str] | None = None
    """Export snapshots automatically to this CloudBackupSnapshotExportBucket (atlas_platform/components/export_bucket.py)."""
    export_frequency: str = "monthly"

    def retention(self, frequency: str) -> tuple[str, int]:
        return {
            "hourly": ("days", self.hourly_retain_days),
            "daily": ("days", self.daily_retain_days),
            "weekly": ("weeks", self.weekly_retain_weeks),
            "monthly": ("months", self.monthly_retain_months),
        }[frequency]


@dataclass(frozen=True)
class ComplianceContact:
    """Who alone may ask MongoDB Support to change the Backup Compliance Policy."""

    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class Maintenance:
    """The project's maintenance window."""

    day_of_week: int
    """Atlas numbering: 1 = Sunday ... 7 = Saturday."""
    hour_of_day: int
    auto_defer: bool = False
    protected_hours: tuple[int, int] | None = None
    """(start hour, end hour) of each day in which Atlas starts no standard maintenance."""


@dataclass(frozen=True)
class ProdClusterArgs:
    project_id: pulumi.Input[str]
    """The Atlas project id."""
    name: str
    """The cluster's name in Atlas."""
    tier: str
    """Instance size of every node, M10 or larger (shared and flex tiers are refused in production)."""
    mongo_db_major_version: str
    """Pinned MongoDB major version (e.g. `8.0`)."""
    regions: Sequence[RegionNodes]
    """Nodes per region; one region is a replica set in one place, several a multi-region cluster."""
    shards: int | None = None
    """Unset: a replica set. A number: a sharded cluster with that many identical shards."""
    disk_auto_scaling: bool = True
    """Let Atlas grow the disk."""
    compute_scaling: ComputeScaling | None = None
    """Let Atlas scale the tier between bounds; unset, the tier is fixed."""
    backup_enabled: bool = True
    """Cloud backups (snapshots)."""
    pit_enabled: bool = True
    """Continuous backup with point-in-time restore."""
    backup: BackupSchedule | None = BackupSchedule()
    """The backup schedule and retention; unset, the defaults here."""
    compliance_contact: ComplianceContact | None = None
    """Opt-in Backup Compliance Policy with the same schedule; it blocks deleting backups."""
    encryption_at_rest_project_id: pulumi.Input[str] | None = None
    """Set: encrypt with the customer's KMS key. The project id as an output of the project's
    EncryptionAtRest (`AtlasKmsEncryption.project_id`): Atlas refuses a cluster that asks for the key
    before encryption is configured, and taking this as its project id makes the cluster wait for it
    through data, with no depends_on."""
    maintenance: Maintenance | None = None
    """The project's maintenance window; unset, Atlas chooses."""
    termination_protection: bool = True
    """Atlas refuses to delete the cluster while this is on."""
    minimum_tls: str = DEFAULT_MINIMUM_TLS
    """Lowest TLS version clients may use (TLS1_2 or TLS1_3)."""
    redact_client_log_data: bool = True
    """Keep client data out of the cluster's logs."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Cluster tags (Atlas resource tags)."""
    protect: bool = True
    """Refuse `pulumi destroy` and replacements of the cluster; keep its snapshots if it is deleted."""


def _region_configs(args: ProdClusterArgs) -> list[atlas.AdvancedClusterReplicationSpecRegionConfigArgs]:
    compute = args.compute_scaling
    auto_scaling = atlas.AdvancedClusterReplicationSpecRegionConfigAutoScalingArgs(
        disk_gb_enabled=args.disk_auto_scaling,
        compute_enabled=compute is not None,
        compute_max_instance_size=compute.max_tier if compute else None,
        compute_scale_down_enabled=bool(compute and compute.min_tier) if compute else None,
        compute_min_instance_size=compute.min_tier if compute else None,
    )
    # Atlas wants region configs by descending priority, ties in reverse alphabetical order:
    # sorting here keeps the order of the stack file's list from mattering.
    ordered = sorted(args.regions, key=lambda r: (r.priority, r.atlas_region), reverse=True)
    configs = []
    for region in ordered:
        configs.append(
            atlas.AdvancedClusterReplicationSpecRegionConfigArgs(
                provider_name="AWS",
                region_name=region.atlas_region,
                priority=region.priority,
                electable_specs=atlas.AdvancedClusterReplicationSpecRegionConfigElectableSpecsArgs(
                    instance_size=args.tier, node_count=region.electable_nodes
                )
                if region.electable_nodes
                else None,
                read_only_specs=atlas.AdvancedClusterReplicationSpecRegionConfigReadOnlySpecsArgs(
                    instance_size=args.tier, node_count=region.read_only_nodes
                )
                if region.read_only_nodes
                else None,
                analytics_specs=atlas.AdvancedClusterReplicationSpecRegionConfigAnalyticsSpecsArgs(
                    instance_size=args.tier, node_count=region.analytics_nodes
                )
                if region.analytics_nodes
                else None,
                auto_scaling=auto_scaling,
            )
        )
    return configs


def _policy_items(schedule: BackupSchedule) -> dict[str, Any]:
    """The four policy items, in the shape both CloudBackupSchedule and BackupCompliancePolicy take."""
    return {
        "policy_item_hourly": {
            "frequency_interval": schedule.hourly_every_hours,
            "retention_unit": "days",
            "retention_value": schedule.hourly_retain_days,
        },
        "policy_item_daily": {"frequency_interval": 1, "retention_unit": "days", "retention_value": schedule.daily_retain_days},
        "policy_item_weeklies": [
            {
                "frequency_interval": schedule.weekly_day,
                "retention_unit": "weeks",
                "retention_value": schedule.weekly_retain_weeks,
            }
        ],
        "policy_item_monthlies": [
            {
                "frequency_interval": schedule.monthly_day,
                "retention_unit": "months",
                "retention_value": schedule.monthly_retain_months,
            }
        ],
    }


class ProdCluster(pulumi.ComponentResource):
    """A dedicated Atlas cluster on AWS with backups, safe defaults and optional customer-key encryption."""

    cluster_name: pulumi.Output[str]
    """The cluster's name; pass it to `AppUser.cluster_names` so a user waits for the cluster."""
    cluster_id: pulumi.Output[str]
    """The Atlas cluster id."""
    standard_srv: pulumi.Output[str | None]
    """The public SRV connection string (`mongodb+srv://...`)."""
    connection_strings: pulumi.Output[Any]
    """Raw `connection_strings` (incl. `private_endpoints` once PrivateLink endpoints exist)."""

    def __init__(self, name: str, args: ProdClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        child = pulumi.ResourceOptions(parent=self)
        # EncryptionAtRest must be configured before a cluster asks for it; its project_id output
        # carries that wait as a data dependency (no depends_on needed).
        encrypted_project_id = args.encryption_at_rest_project_id
        encrypted = encrypted_project_id is not None
        project_id = encrypted_project_id if encrypted_project_id is not None else args.project_id

        region_configs = _region_configs(args)
        replication_specs = [
            atlas.AdvancedClusterReplicationSpecArgs(region_configs=region_configs) for _ in range(args.shards or 1)
        ]
        cluster = atlas.AdvancedCluster(
            f"{name}-db",
            project_id=project_id,
            name=args.name,
            cluster_type="SHARDED" if args.shards else "REPLICASET",
            mongo_db_major_version=args.mongo_db_major_version,
            replication_specs=replication_specs,
            backup_enabled=args.backup_enabled,
            pit_enabled=args.pit_enabled,
            # Snapshots outlive the cluster if it is ever deleted (prod).
            retain_backups_enabled=args.protect or None,
            # NONE, not left out, when the customer key is not used: Optional+Computed, so an omitted value
            # keeps what Atlas has and turning the key off would change nothing (tools/omitted.json).
            encryption_at_rest_provider="AWS" if encrypted else "NONE",
            termination_protection_enabled=args.termination_protection,
            redact_client_log_data=args.redact_client_log_data,
            advanced_configuration=atlas.AdvancedClusterAdvancedConfigurationArgs(minimum_enabled_tls_protocol=args.minimum_tls),
            # Auto-scaled sizes otherwise show up as drift on every `pulumi up`.
            use_effective_fields=True,
            # A create that outlives its timeout is left alone in prod instead of deleted.
            delete_on_create_timeout=False if args.protect else None,
            tags=dict(args.tags),
            # delete_on_create_timeout is create-only (CreateOnlyBoolWithDefault(true) in
            # internal/service/advancedcluster/schema.go, v2.16.0: any other value after create is a plan
            # error, "cannot be updated or set after import", customplanmodifier/create_only_default_bool.go),
            # and not held by Atlas: a cluster created before `protect` was on, or imported, would fail every
            # plan. Ignored after create, it still applies to a cluster this program creates.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["deleteOnCreateTimeout"]),
        )

        if args.backup_enabled and args.backup is not None:
            schedule = args.backup
            copy_settings = [
                atlas.CloudBackupScheduleCopySettingArgs(
                    cloud_provider="AWS",
                    region_name=copy.atlas_region,
                    zone_id=cluster.replication_specs.apply(lambda specs: specs[0].zone_id),
                    should_copy_oplogs=copy.copy_oplogs,
                    # Each copy is kept as long as its original: the only mode of provider v2.16.0
                    # (copy_settings.frequencies, resource_cloud_backup_schedule.go ExpandCopySetting;
                    # per-copy retention came with a later release than the pinned one).
                    frequencies=[frequency.upper() for frequency in sorted(copy.frequencies, key=FREQUENCIES.index)],
                )
                # Lists to the provider, sets to Atlas: in a fixed order, reordering the stack file is no change.
                for copy in sorted(schedule.copies, key=lambda c: c.atlas_region)
            ]
            atlas.CloudBackupSchedule(
                f"{name}-backup-schedule",
                project_id=cluster.project_id,
                cluster_name=cluster.name,
                reference_hour_of_day=schedule.reference_hour_of_day,
                reference_minute_of_hour=schedule.reference_minute_of_hour,
                restore_window_days=schedule.restore_window_days if args.pit_enabled else None,
                update_snapshots=False,
                copy_settings=copy_settings or None,
                # With a Backup Compliance Policy Atlas refuses to delete the schedule; letting
                # the provider forget it instead keeps `pulumi destroy` of the cluster possible.
                skip_destroy=True if args.compliance_contact else None,
                # Sent either way: Update sends auto_export_enabled only when set (GetOkExists) and `export`
                # only when set (GetOk) (resource_cloud_backup_schedule.go, v2.16.0,
                # cloudBackupScheduleCreateOrUpdate), so leaving them out to turn exports off could leave
                # Atlas exporting; `export` itself cannot be sent empty, false turns it off.
                auto_export_enabled=schedule.export_bucket_id is not None,
                export=atlas.CloudBackupScheduleExportArgs(
                    export_bucket_id=schedule.export_bucket_id, frequency_type=schedule.export_frequency
                )
                if schedule.export_bucket_id is not None
                else None,
                **_policy_items(schedule),
                opts=child,
            )

        if args.compliance_contact is not None and args.backup is not None:
            contact = args.compliance_contact
            atlas.BackupCompliancePolicy(
                f"{name}-compliance",
                project_id=project_id,
                authorized_email=contact.email,
                authorized_user_first_name=contact.first_name,
                authorized_user_last_name=contact.last_name,
                pit_enabled=args.pit_enabled,
                restore_window_days=args.backup.restore_window_days if args.pit_enabled else None,
                encryption_at_rest_enabled=encrypted,
                copy_protection_enabled=bool(args.backup.copies),
                **_policy_items(args.backup),
                opts=child,
            )

        if args.maintenance is not None:
            atlas.MaintenanceWindow(
                f"{name}-maintenance",
                project_id=args.project_id,
                day_of_week=args.maintenance.day_of_week,
                hour_of_day=args.maintenance.hour_of_day,
                # The idempotent flag, not `auto_defer`: that one toggles on every change and drifts
                # (provider v2.16 docs/resources/maintenance_window.md).
                auto_defer_once_enabled=args.maintenance.auto_defer,
                protected_hours=atlas.MaintenanceWindowProtectedHoursArgs(
                    start_hour_of_day=args.maintenance.protected_hours[0],
                    end_hour_of_day=args.maintenance.protected_hours[1],
                )
                if args.maintenance.protected_hours
                else None,
                opts=child,
            )

        self.cluster_name = cluster.name
        self.cluster_id = cluster.cluster_id
        self.connection_strings = cluster.connection_strings
        self.standard_srv = cluster.connection_strings.apply(lambda strings: strings.standard_srv if strings else None)
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_id": self.cluster_id,
                "standard_srv": self.standard_srv,
                "connection_strings": self.connection_strings,
            }
        )
