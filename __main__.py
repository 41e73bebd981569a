"""The Pulumi program: stack file -> one StackConfig -> components -> exports.

This is the only module that reads Pulumi's config. Everything below it takes typed args.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import pulumi

from components.cluster import (
    BackupSchedule,
    ComplianceContact,
    ComputeScaling,
    Maintenance,
    ProdCluster,
    ProdClusterArgs,
    RegionNodes,
    SnapshotCopy,
)
from components.encryption import AtlasKmsEncryption, AtlasKmsEncryptionArgs
from components.project import IdpGroupRoles, ProdProject, ProdProjectArgs, ProjectFeatures, TeamRoles
from stackconfig import StackConfig, load_stack_config

HERE = Path(__file__).parent


def read_stack_config() -> StackConfig:
    """Every config key the engine passed, validated at once against the stack file's schema."""
    stack, project = pulumi.get_stack(), pulumi.get_project()
    # pulumi.Config reads one key at a time; unknown-key detection needs the whole map, which
    # the engine passes as PULUMI_CONFIG (and the mock runtime through set_all_config).
    config = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = {key for key in config if pulumi.runtime.is_config_secret(key)}
    secret_keys |= set(pulumi.runtime.get_config_secret_keys_env())
    return load_stack_config(
        config, namespace=project, stack_file=HERE / f"Pulumi.{stack}.yaml", secret_keys=secret_keys
    )


def project_args(cfg: StackConfig) -> ProdProjectArgs:
    settings = cfg.project_settings
    data_explorer = settings.data_explorer if settings.data_explorer is not None else not cfg.is_prod
    return ProdProjectArgs(
        org_id=cfg.org_id,
        name=cfg.resolved_project_name,
        tags={"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi", **cfg.project_tags},
        features=ProjectFeatures(
            data_explorer=data_explorer,
            data_explorer_gen_ai=settings.data_explorer_gen_ai,
            performance_advisor=settings.performance_advisor,
            schema_advisor=settings.schema_advisor,
            realtime_performance_panel=settings.realtime_performance_panel,
            collect_database_statistics=settings.collect_database_statistics,
            default_alerts=settings.default_alerts,
        ),
        teams=[TeamRoles(key=t.name, team_id=t.team_id, role_names=t.roles) for t in cfg.teams],
        federation_settings_id=cfg.federation.settings_id if cfg.federation else None,
        idp_groups=[
            IdpGroupRoles(external_group_name=g.external_group_name, role_names=g.roles)
            for g in (cfg.federation.groups if cfg.federation else [])
        ],
        protect=cfg.is_prod,
    )


cfg = read_stack_config()
prefix = cfg.resource_prefix

project = ProdProject(prefix, project_args(cfg))

pulumi.export("environment", cfg.environment)
pulumi.export("projectId", project.project_id)
pulumi.export("projectName", project.project_name)


def encryption_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> Optional[AtlasKmsEncryptionArgs]:
    cluster = cfg.cluster
    if cluster is None or not cluster.encrypted(cfg.is_prod):
        return None
    encryption = cluster.encryption
    return AtlasKmsEncryptionArgs(
        project_id=project_id,
        key_region=encryption.existing_key_region or encryption.key_region or cluster.preferred_region.region,
        existing_key_arn=encryption.key_arn,
        key_admin_arns=encryption.key_admin_arns,
        key_user_arns=encryption.key_user_arns,
        deletion_window_days=encryption.deletion_window_days,
        rotation_period_days=encryption.rotation_period_days,
        tags={"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi"},
        protect=cfg.is_prod,
        retain_key_on_delete=cfg.is_prod,
    )


def cluster_args(cfg: StackConfig, project_id: pulumi.Input[str], kms: Optional[AtlasKmsEncryption]) -> ProdClusterArgs:
    cluster = cfg.cluster
    assert cluster is not None
    backup, compute = cluster.backup, cluster.auto_scaling.compute
    pit = cluster.point_in_time(cfg.is_prod)
    compliance = backup.compliance_policy
    return ProdClusterArgs(
        project_id=project_id,
        name=cluster.resolved_name(cfg.app, cfg.environment),
        tier=cluster.tier,
        mongo_db_major_version=cluster.mongo_db_major_version,
        regions=[
            RegionNodes(r.atlas_region, r.priority, r.electable_nodes, r.read_only_nodes, r.analytics_nodes) for r in cluster.regions
        ],
        shards=cluster.shards,
        disk_auto_scaling=cluster.auto_scaling.disk,
        compute_scaling=ComputeScaling(compute.max_tier, compute.min_tier) if compute.enabled and compute.max_tier else None,
        backup_enabled=backup.enabled,
        pit_enabled=pit,
        backup=BackupSchedule(
            reference_hour_of_day=backup.reference_hour_of_day,
            reference_minute_of_hour=backup.reference_minute_of_hour,
            restore_window_days=cluster.restore_window_days(cfg.is_prod),
            hourly_every_hours=backup.hourly.every_hours,
            hourly_retain_days=backup.hourly.retain_days,
            daily_retain_days=backup.daily.retain_days,
            weekly_day=backup.weekly.day,
            weekly_retain_weeks=backup.weekly.retain_weeks,
            monthly_day=backup.monthly.day,
            monthly_retain_months=backup.monthly.retain_months,
            copies=[
                SnapshotCopy(c.atlas_region, c.frequencies, c.copy_oplogs if c.copy_oplogs is not None else pit) for c in backup.copies
            ],
        ),
        compliance_contact=ComplianceContact(compliance.authorized_email, compliance.authorized_first_name, compliance.authorized_last_name)
        if compliance
        else None,
        kms_encryption=kms,
        maintenance=Maintenance(
            cluster.maintenance_window.atlas_day_of_week, cluster.maintenance_window.hour, cluster.maintenance_window.auto_defer
        ),
        termination_protection=cluster.termination_protected(cfg.is_prod),
        minimum_tls=cluster.minimum_tls,
        redact_client_log_data=cluster.redact_client_log_data,
        tags={"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi"},
        protect=cfg.is_prod,
    )


if cfg.cluster is not None:
    kms_args = encryption_args(cfg, project.project_id)
    kms = AtlasKmsEncryption(f"{prefix}-kms", kms_args) if kms_args else None
    cluster = ProdCluster(f"{prefix}-cluster{cfg.cluster.number}", cluster_args(cfg, project.project_id, kms))

    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("clusterId", cluster.cluster_id)
    # Not secret: the SRV string holds host names, no credentials, and apps read it as plain config.
    pulumi.export("standardSrv", cluster.standard_srv)
