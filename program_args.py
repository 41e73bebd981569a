"""Map the validated stack config to each component's typed args.

`__main__.py` reads the config and calls these; the components never see `StackConfig`, so they
can be reused from another program. A reader follows one name from the stack file to the
resource: `cluster.tier` -> `ProdClusterArgs.tier` -> `electable_specs.instance_size`.
"""

from __future__ import annotations

import pulumi

from atlas_platform.components.access_list import AccessListEntry, IpAccessListArgs, atlas_form
from atlas_platform.components.access_logs import AccessLogBucketArgs, LoggedBucket
from atlas_platform.components.alerts import AlertBaselineArgs, AlertSpec, Channel, IntegrationSpec, MetricThreshold, Threshold
from atlas_platform.components.app_user import AppUserArgs, Grant
from atlas_platform.components.atlas_rules import region_name
from atlas_platform.components.auditing import ProjectAuditingArgs
from atlas_platform.components.cluster import (
    BackupSchedule,
    ComplianceContact,
    ComputeScaling,
    Maintenance,
    ProdClusterArgs,
    RegionNodes,
    SnapshotCopy,
)
from atlas_platform.components.custom_roles import CustomRolesArgs, CustomRoleSpec, Privilege
from atlas_platform.components.encryption import AtlasKmsEncryptionArgs, account_of
from atlas_platform.components.export_bucket import SnapshotExportBucket, SnapshotExportBucketArgs
from atlas_platform.components.hardened_bucket import BucketLifecycle
from atlas_platform.components.log_export import AtlasLogExport, AtlasLogExportArgs
from atlas_platform.components.organization import OrgFederationArgs, OrgSecurityArgs
from atlas_platform.components.private_endpoint import AllowedSource, EndpointVpc, PrivateEndpointArgs
from atlas_platform.components.project import IdpGroupRoles, ProdProjectArgs, ProjectFeatures, TeamRoles
from atlas_platform.components.resource_policy import AtlasResourcePoliciesArgs, CedarPolicy, RuleParameters, standard_policies
from atlas_platform.components.secrets_key import SecretsKeyArgs
from atlas_platform.components.service_account import ApiAccessEntry, ScopedServiceAccountArgs
from stackconfig import StackConfig
from stackconfig.base import Secret
from stackconfig.cluster import MaintenanceWindow
from stackconfig.log_export import Lifecycle
from stackconfig.network import EndpointVpc as EndpointVpcConfig
from stackconfig.network import PrivateEndpointRegion, endpoint_key, parse_cidr
from stackconfig.operations import BASELINE, INTEGRATION_REGIONS
from stackconfig.service_account import ServiceAccountSettings
from stackconfig.users import DatabaseUser, parse_role


def standard_tags(cfg: StackConfig) -> dict[str, str]:
    return {"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi"}


def project_args(cfg: StackConfig) -> ProdProjectArgs:
    settings, defaults = cfg.project_settings, cfg.production_defaults
    return ProdProjectArgs(
        org_id=cfg.org_id,
        name=cfg.resolved_project_name,
        tags={**standard_tags(cfg), **cfg.project_tags},
        features=ProjectFeatures(
            data_explorer=defaults.data_explorer,
            data_explorer_gen_ai=settings.data_explorer_gen_ai,
            performance_advisor=settings.performance_advisor,
            schema_advisor=settings.schema_advisor,
            realtime_performance_panel=settings.realtime_performance_panel,
            collect_database_statistics=settings.collect_database_statistics,
            default_alerts=defaults.default_alerts,
        ),
        teams=[TeamRoles(key=t.name, team_id=t.team_id, role_names=t.roles) for t in cfg.teams],
        federation_settings_id=cfg.federation.settings_id if cfg.federation else None,
        idp_groups=[
            IdpGroupRoles(external_group_name=g.external_group_name, role_names=g.roles)
            for g in (cfg.federation.groups if cfg.federation else [])
        ],
        protect=cfg.production_defaults.protect,
    )


def encryption_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> AtlasKmsEncryptionArgs | None:
    cluster = cfg.cluster
    if cluster is None or not cfg.production_defaults.encrypted:
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
        require_private_networking=cfg.production_defaults.kms_private_networking,
        private_endpoints_removed=encryption.private_endpoints_removed,
        # Every region that holds nodes (electable, read-only or analytics: each region of the config has some).
        private_endpoint_regions=sorted(r.region for r in cluster.regions),
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
        retain_key_on_delete=cfg.production_defaults.retain_encryption_key,
    )


def maintenance_args(window: MaintenanceWindow) -> Maintenance:
    protected = window.protected_hours
    return Maintenance(
        window.atlas_day_of_week,
        window.hour,
        window.auto_defer,
        protected_hours=(protected.start_hour, protected.end_hour) if protected else None,
    )


def cluster_args(
    cfg: StackConfig,
    project_id: pulumi.Input[str],
    encryption_at_rest_project_id: pulumi.Input[str] | None,
    export_bucket_id: pulumi.Input[str] | None = None,
) -> ProdClusterArgs:
    cluster = cfg.cluster
    assert cluster is not None
    backup, compute, defaults = cluster.backup, cluster.auto_scaling.compute, cfg.production_defaults
    pit = defaults.point_in_time
    compliance = backup.compliance_policy
    return ProdClusterArgs(
        project_id=project_id,
        name=cluster.resolved_name(cfg.app, cfg.environment),
        tier=cluster.tier,
        mongo_db_major_version=cluster.mongo_db_major_version,
        regions=[
            RegionNodes(r.atlas_region, r.priority, r.electable_nodes, r.read_only_nodes, r.analytics_nodes)
            for r in cluster.regions
        ],
        shards=cluster.shards,
        disk_auto_scaling=cluster.auto_scaling.disk,
        compute_scaling=ComputeScaling(compute.max_tier, compute.min_tier) if compute.enabled and compute.max_tier else None,
        backup_enabled=backup.enabled,
        pit_enabled=pit,
        backup=BackupSchedule(
            reference_hour_of_day=backup.reference_hour_of_day,
            reference_minute_of_hour=backup.reference_minute_of_hour,
            restore_window_days=defaults.restore_window_days,
            hourly_every_hours=backup.hourly.every_hours,
            hourly_retain_days=backup.hourly.retain_days,
            daily_retain_days=backup.daily.retain_days,
            weekly_day=backup.weekly.day,
            weekly_retain_weeks=backup.weekly.retain_weeks,
            monthly_day=backup.monthly.day,
            monthly_retain_months=backup.monthly.retain_months,
            copies=[
                SnapshotCopy(c.atlas_region, c.frequencies, c.copy_oplogs if c.copy_oplogs is not None else pit)
                for c in backup.copies
            ],
            export_bucket_id=export_bucket_id,
            export_frequency=cfg.snapshot_export.frequency,
        ),
        compliance_contact=ComplianceContact(
            compliance.authorized_email, compliance.authorized_first_name, compliance.authorized_last_name
        )
        if compliance
        else None,
        encryption_at_rest_project_id=encryption_at_rest_project_id,
        maintenance=maintenance_args(cluster.maintenance_window),
        termination_protection=defaults.termination_protection,
        minimum_tls=cluster.minimum_tls,
        redact_client_log_data=cluster.redact_client_log_data,
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
    )


def access_list_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> IpAccessListArgs:
    return IpAccessListArgs(
        project_id=project_id,
        entries=[
            AccessListEntry(
                comment=e.comment, ip_address=e.ip_address, cidr_block=e.cidr_block, aws_security_group=e.aws_security_group
            )
            for e in cfg.network.access_list
        ],
    )


def private_endpoint_args(cfg: StackConfig, region: PrivateEndpointRegion, project_id: pulumi.Input[str]) -> PrivateEndpointArgs:
    """The region's endpoint service and an interface endpoint from every VPC that reaches the
    cluster through it: its own VPCs, and (cross-region) the other regions' VPCs not routed there."""
    routed_here = [
        (home.region, vpc, route)
        for home in cfg.network.private_endpoints
        for vpc in home.vpcs
        for route in vpc.routed_regions
        if route.region == region.region
    ]

    def endpoint_vpc(vpc: EndpointVpcConfig, home: str) -> EndpointVpc:
        sources = [
            AllowedSource(key=s.source, description=s.description, security_group_id=s.security_group_id, cidr_block=s.cidr_block)
            for s in vpc.allowed_sources
        ]
        # A VPC peered or routed to this one from another region: CIDR rules, since security-group
        # references do not cross regions. Keyed by the routed VPC's name, so reordering moves nothing.
        sources += [
            AllowedSource(
                key=f"{other_region}-{other.name}-{parse_cidr(cidr)}",
                description=f"{other.name} VPC ({other_region}) routed to this endpoint",
                cidr_block=str(parse_cidr(cidr)),
            )
            for other_region, other, route in routed_here
            if route.via == vpc.name
            for cidr in route.cidr_blocks
        ]
        return EndpointVpc(
            key=endpoint_key(home, vpc.name, region.region),
            vpc_id=vpc.vpc_id,
            # A set to AWS; sorted so reordering subnets in the stack file is no change.
            subnet_ids=sorted(vpc.subnet_ids),
            allowed_sources=sources,
            security_group_id=vpc.security_group_id,
            region=None if home == region.region else home,
        )

    remote = [
        endpoint_vpc(vpc, home.region)
        for home in cfg.network.private_endpoints
        if home.region != region.region
        for vpc in home.vpcs
        if vpc.cross_region_private_link and region.region not in {r.region for r in vpc.routed_regions}
    ]
    return PrivateEndpointArgs(
        project_id=project_id,
        region=region.region,
        vpcs=[endpoint_vpc(vpc, region.region) for vpc in region.vpcs] + sorted(remote, key=lambda v: v.key),
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
    )


def custom_roles_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> CustomRolesArgs:
    specs = []
    # Sets to Atlas, lists to the provider: in a fixed order, reordering them in the stack file is no change.
    for role in cfg.custom_roles:
        privileges = [
            Privilege(
                action=a.action, databases=sorted(r for r in a.resources if r != "cluster"), cluster="cluster" in a.resources
            )
            for a in sorted(role.actions, key=lambda a: a.action)
        ]
        inherited = sorted(parse_role(grant)[:2] for grant in role.inherited_roles)
        specs.append(CustomRoleSpec(name=role.name, privileges=privileges, inherited_roles=inherited))
    return CustomRolesArgs(project_id=project_id, roles=specs)


def app_user_args(
    cfg: StackConfig,
    user: DatabaseUser,
    project_id: pulumi.Input[str],
    secrets_kms_key_id: pulumi.Input[str] | None,
    default_cluster_name: pulumi.Input[str],
    connection_string: pulumi.Input[str] | None = None,
) -> AppUserArgs:
    grants = []
    # Atlas keeps roles and scopes as sets: in a fixed order (the kind's defaults, then the further
    # roles, each sorted), reordering them in the stack file is no change.
    defaults = sorted((parse_role(text) for text in user.grants[: len(user.databases)]), key=lambda g: g[1])
    further = sorted((parse_role(text) for text in user.roles), key=lambda g: (g[1], g[2] or "", g[0]))
    for role, database, collection in defaults + further:
        grants.append(Grant(role_name=role, database_name=database, collection_name=collection))
    labels = {**user.labels, "owner": user.owner, "kind": user.kind, "environment": cfg.environment, "managed-by": "pulumi"}
    return AppUserArgs(
        project_id=project_id,
        username=user.username(cfg.resource_prefix),
        auth=user.auth,
        roles=grants,
        cluster_names=[*sorted(user.clusters)] if user.clusters else [default_cluster_name],
        description=user.description,
        labels=labels,
        secret_name=f"{cfg.app}/{cfg.environment}/mongodb/{user.name}" if user.stores_credential else None,
        secrets_kms_key_id=secrets_kms_key_id if user.stores_credential else None,
        secret_tags={**standard_tags(cfg), "owner": user.owner},
        secret_region=cfg.data_region if user.stores_credential else None,
        secret_recovery_window_in_days=cfg.production_defaults.secret_recovery_window_days[user.name],
        connection_string=connection_string,
        password_version=user.password_generation,
        rotation=cfg.production_defaults.password_rotation.get(user.name, "single"),
        rotation_count=user.rotations,
        aws_iam_type=user.aws_iam_type,
        oidc_auth_type=user.oidc_auth_type,
        certificate_months=user.certificate_months,
        protect=cfg.production_defaults.protect,
    )


def custom_roles_granted(cfg: StackConfig, user: DatabaseUser) -> list[str]:
    """The stack's custom roles `user` is granted: the user must wait for them (see `app_user_args`)."""
    custom = {role.name for role in cfg.custom_roles}
    granted = {parse_role(text)[0] for text in [*user.grants[: len(user.databases)], *user.roles]}
    return sorted(granted & custom)


def secrets_key_args(cfg: StackConfig) -> SecretsKeyArgs:
    return SecretsKeyArgs(
        alias=f"{cfg.app}/{cfg.environment}/mongodb-secrets",
        description=f"Encrypts the MongoDB Atlas credentials of {cfg.resource_prefix} in Secrets Manager",
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
        region=cfg.data_region,
    )


def _revealed(value: Secret | None) -> pulumi.Output[str] | None:
    """A secret config value as the engine must see it: a secret Output, never plain text."""
    return None if value is None else pulumi.Output.secret(value.reveal())


def alert_specs(cfg: StackConfig) -> list[AlertSpec]:
    specs = []
    for base in BASELINE:
        tuning = cfg.alerts.baseline.for_key(base.key)
        if not tuning.enabled:
            continue
        limit = getattr(tuning, "threshold", None)
        limit = base.threshold if limit is None else limit
        delay = base.delay_min if tuning.delay_min is None else tuning.delay_min
        metric = threshold = None
        if base.has_threshold:
            # BASELINE gives operator, limit and units together for every alert with a limit.
            assert base.operator is not None and base.units is not None and limit is not None
            if base.metric:
                metric = MetricThreshold(base.metric, base.operator, limit, base.units)
            else:
                threshold = Threshold(base.operator, limit, base.units)
        specs.append(AlertSpec(base.key, base.event_type, base.category, metric, threshold, delay))
    for custom in cfg.alerts.custom:
        metric = threshold = None
        if custom.threshold is not None:
            # CustomAlert refuses a threshold without its operator and units.
            assert custom.operator is not None and custom.units is not None
            if custom.metric:
                metric = MetricThreshold(custom.metric, custom.operator, custom.threshold, custom.units)
            else:
                threshold = Threshold(custom.operator, custom.threshold, custom.units)
        specs.append(AlertSpec(custom.name, custom.event_type, custom.category, metric, threshold, custom.delay_min))
    return specs


def alert_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> AlertBaselineArgs:
    channels = [
        Channel(
            key=c.name,
            type_name=c.type,
            categories=c.categories,
            email_address=c.email_address,
            channel_name=c.channel_name,
            api_token=_revealed(cfg.secret(c.api_token_secret)),
            service_key=_revealed(cfg.secret(c.service_key_secret)),
            datadog_api_key=_revealed(cfg.secret(c.api_key_secret)),
            datadog_region=c.region,
            webhook_url=c.url,
            webhook_secret=_revealed(cfg.secret(c.webhook_secret)),
            interval_min=c.interval_min,
        )
        for c in cfg.notifications
    ]
    integrations = [
        IntegrationSpec(
            type=i.type,
            api_key=_revealed(cfg.secret(i.api_key_secret)),
            # Explicit for the types that take them: they are Optional+Computed and the provider's update
            # starts from Atlas's integration, so a key removed from the stack file would change nothing
            # (tools/omitted.json). US is Atlas's default region; a metrics switch left out is off.
            region=i.region or ("US" if i.type in INTEGRATION_REGIONS else None),
            service_key=_revealed(cfg.secret(i.service_key_secret)),
            url=i.url,
            secret=_revealed(cfg.secret(i.webhook_secret)),
            send_database_metrics=bool(i.send_database_metrics) if i.type == "DATADOG" else None,
            send_collection_latency_metrics=bool(i.send_collection_latency_metrics) if i.type == "DATADOG" else None,
            send_query_stats_metrics=bool(i.send_query_stats_metrics) if i.type == "DATADOG" else None,
        )
        for i in cfg.integrations
    ]
    alerts = alert_specs(cfg) if cfg.production_defaults.alerts else []
    return AlertBaselineArgs(project_id=project_id, alerts=alerts, channels=channels, integrations=integrations)


def auditing_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> ProjectAuditingArgs:
    return ProjectAuditingArgs(
        project_id=project_id,
        audit_filter=cfg.auditing.filter_json(),
        audit_authorization_success=cfg.auditing.audit_authorization_success,
    )


def rule_parameters(cfg: StackConfig, project_id: pulumi.Input[str]) -> RuleParameters:
    """The rule table's parameters, from this (the managing) stack: what docs/operations.md lists."""
    # Required with restrictRegions (the org's regions, stated in this stack: stackconfig/model.py); the
    # allowed-regions rule is the only one that reads them.
    regions = cfg.resource_policies.allowed_regions or []
    defaults = cfg.production_defaults
    return RuleParameters(
        # This program builds on AWS only.
        providers=["aws"],
        regions=[region_name("aws", r) for r in sorted(regions)],
        min_tier=defaults.production_min_tier,
        production_project_id=project_id if defaults.production else None,
    )


def resource_policies_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> AtlasResourcePoliciesArgs:
    return AtlasResourcePoliciesArgs(
        org_id=cfg.org_id,
        policies=[
            *standard_policies(rule_parameters(cfg, project_id), cfg.resource_policies.enabled_rules()),
            *(CedarPolicy(p.name, p.description, p.body) for p in cfg.resource_policies.custom),
        ],
    )


def _lifecycle(lifecycle: Lifecycle) -> BucketLifecycle:
    return BucketLifecycle(
        transition_days=lifecycle.transition_days,
        storage_class=lifecycle.storage_class,
        expire_days=lifecycle.expire_days,
        noncurrent_expire_days=lifecycle.noncurrent_expire_days,
    )


def log_export_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> AtlasLogExportArgs | None:
    logs = cfg.log_export
    if not cfg.production_defaults.log_export:
        return None
    return AtlasLogExportArgs(
        project_id=project_id,
        log_types=logs.log_types,
        name_prefix=cfg.resource_prefix,
        prefix_path=logs.prefix_path,
        bucket_name=logs.bucket_name,
        kms_key_arn=logs.kms_key_arn,
        key_alias=f"{cfg.app}/{cfg.environment}/atlas-logs",
        lifecycle=_lifecycle(logs.lifecycle),
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
        region=cfg.data_region,
    )


def snapshot_export_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> SnapshotExportBucketArgs | None:
    """The export bucket and its registration: while the stack file has a `snapshotExport` section, exporting
    or not (`enabled: false` keeps them while the schedule stops exporting: docs/cluster.md)."""
    snapshots = cfg.snapshot_export
    if not cfg.keeps_snapshot_export_bucket:
        return None
    return SnapshotExportBucketArgs(
        project_id=project_id,
        name_prefix=cfg.resource_prefix,
        bucket_name=snapshots.bucket_name,
        kms_key_arn=snapshots.kms_key_arn,
        key_alias=f"{cfg.app}/{cfg.environment}/atlas-snapshots",
        lifecycle=_lifecycle(snapshots.lifecycle),
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
        region=cfg.data_region,
        exporting=snapshots.enabled,
    )


def access_log_args(
    cfg: StackConfig, log_export: AtlasLogExport | None, snapshot_export: SnapshotExportBucket | None
) -> AccessLogBucketArgs | None:
    """The access-log bucket of the stack's export buckets, each logged under its own prefix; None without any."""
    exports: list[tuple[str, AtlasLogExport | SnapshotExportBucket]] = [
        (key, export) for key, export in (("atlas-logs", log_export), ("atlas-snapshots", snapshot_export)) if export
    ]
    if not exports:
        return None
    logs = cfg.access_logs
    return AccessLogBucketArgs(
        name_prefix=cfg.resource_prefix,
        # The writer roles live in the buckets' account: their ARN names it without a data-source read.
        account_id=exports[0][1].role_arn.apply(account_of),
        sources=[LoggedBucket(key, export.bucket_name, export.bucket_arn) for key, export in exports],
        expire_days=logs.expire_days,
        noncurrent_expire_days=logs.noncurrent_expire_days,
        tags=standard_tags(cfg),
        protect=cfg.production_defaults.protect,
        # The export buckets' region: S3 delivers access logs only to a bucket of the source's region.
        region=cfg.data_region,
    )


def org_security_args(cfg: StackConfig) -> OrgSecurityArgs | None:
    org = cfg.organization
    if org is None:
        return None
    federation = org.federation
    return OrgSecurityArgs(
        org_id=cfg.org_id,
        name=org.name,
        security_contact=org.security_contact,
        multi_factor_auth_required=org.multi_factor_auth_required,
        api_access_list_required=org.api_access_list_required,
        restrict_employee_access=org.restrict_employee_access,
        gen_ai_features_enabled=org.gen_ai_features_enabled,
        federation=OrgFederationArgs(
            federation_settings_id=federation.settings_id,
            identity_provider_id=federation.identity_provider_id,
            domain_restriction_enabled=federation.domain_restriction_enabled,
            domain_allow_list=federation.domain_allow_list,
            data_access_identity_provider_ids=federation.data_access_identity_provider_ids,
            post_auth_role_grants=federation.post_auth_role_grants,
        )
        if federation
        else None,
    )


def service_account_args(
    cfg: StackConfig, project_id: pulumi.Input[str], secrets_kms_key_id: pulumi.Input[str]
) -> ScopedServiceAccountArgs | None:
    account = cfg.service_account
    window = cfg.production_defaults.service_account_recovery_window_days
    if account is None or window is None:
        return None
    return _scoped_account_args(cfg, account, window, project_id, secrets_kms_key_id)


def review_account_args(
    cfg: StackConfig, project_id: pulumi.Input[str], secrets_kms_key_id: pulumi.Input[str]
) -> ScopedServiceAccountArgs | None:
    """The scheduled access review's read-only identity (stack file `review.serviceAccount`)."""
    window = cfg.production_defaults.review_account_recovery_window_days
    if cfg.review is None or window is None:
        return None
    return _scoped_account_args(cfg, cfg.review.service_account, window, project_id, secrets_kms_key_id)


def _scoped_account_args(
    cfg: StackConfig,
    account: ServiceAccountSettings,
    window: int,
    project_id: pulumi.Input[str],
    secrets_kms_key_id: pulumi.Input[str],
) -> ScopedServiceAccountArgs:
    access = []
    for entry in account.access_list:
        # Atlas keys these by value too: one name and one form per entry, as the project's access list.
        ip_address, cidr_block = atlas_form(entry.network)
        access.append(ApiAccessEntry(key=str(ip_address or cidr_block), ip_address=ip_address, cidr_block=cidr_block))
    return ScopedServiceAccountArgs(
        org_id=cfg.org_id,
        project_id=project_id,
        name=account.atlas_name(cfg.resource_prefix),
        description=account.description,
        project_roles=account.project_roles,
        org_roles=account.org_roles,
        access_list=access,
        secret_name=f"{cfg.app}/{cfg.environment}/atlas/{account.name}",
        secrets_kms_key_id=secrets_kms_key_id,
        secret_expires_after_hours=account.secret_expires_after_hours,
        secret_generation=account.secret_generation,
        keep_previous_secret=account.keep_previous_secret,
        secret_tags={**standard_tags(cfg), "owner": account.name},
        secret_region=cfg.data_region,
        secret_recovery_window_in_days=window,
        protect=cfg.production_defaults.protect,
    )
