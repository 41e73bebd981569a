"""The Pulumi program: stack file -> one StackConfig -> components -> exports.

This is the only module that reads Pulumi's config. Everything below it takes typed args.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

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


# --- Operations: alert baseline, database auditing, org-level resource policies ---------------
from components.alerts import AlertBaseline, AlertBaselineArgs, AlertSpec, Channel, IntegrationSpec, MetricThreshold, Threshold  # noqa: E402
from components.auditing import ProjectAuditing, ProjectAuditingArgs  # noqa: E402
from components.resource_policy import AtlasResourcePolicies, AtlasResourcePoliciesArgs, standard_policies  # noqa: E402
from stackconfig.base import Secret  # noqa: E402
from stackconfig.operations import BASELINE  # noqa: E402


def _revealed(value: Secret | None) -> pulumi.Output[str] | None:
    """A `secure:` value as the engine must see it: a secret Output, never plain text."""
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
        metric = MetricThreshold(base.metric, base.operator, limit, base.units) if base.metric else None
        threshold = Threshold(base.operator, limit, base.units) if base.has_threshold and not base.metric else None
        specs.append(AlertSpec(base.key, base.event_type, base.category, metric, threshold, delay))
    for custom in cfg.alerts.custom:
        metric = MetricThreshold(custom.metric, custom.operator, custom.threshold, custom.units) if custom.metric else None
        threshold = (
            Threshold(custom.operator, custom.threshold, custom.units) if custom.threshold is not None and not custom.metric else None
        )
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
            api_token=_revealed(c.api_token),
            service_key=_revealed(c.service_key),
            datadog_api_key=_revealed(c.api_key),
            datadog_region=c.region,
            webhook_url=c.url,
            webhook_secret=_revealed(c.secret),
            interval_min=c.interval_min,
        )
        for c in cfg.notifications
    ]
    integrations = [
        IntegrationSpec(
            type=i.type,
            api_key=_revealed(i.api_key),
            region=i.region,
            service_key=_revealed(i.service_key),
            url=i.url,
            secret=_revealed(i.secret),
            send_database_metrics=i.send_database_metrics,
            send_collection_latency_metrics=i.send_collection_latency_metrics,
            send_query_stats_metrics=i.send_query_stats_metrics,
        )
        for i in cfg.integrations
    ]
    alerts = alert_specs(cfg) if cfg.alerts.resolved_enabled(cfg.environment) else []
    return AlertBaselineArgs(project_id=project_id, alerts=alerts, channels=channels, integrations=integrations)


operations_args = alert_args(cfg, project.project_id)
if operations_args.alerts or operations_args.integrations:
    alerting = AlertBaseline(f"{prefix}-alerts", operations_args)
    pulumi.export("alertConfigurationIds", alerting.alert_configuration_ids)

if cfg.auditing.resolved_enabled(cfg.environment):
    auditing = ProjectAuditing(
        f"{prefix}-audit",
        ProjectAuditingArgs(
            project_id=project.project_id,
            audit_filter=cfg.auditing.filter_json(),
            audit_authorization_success=cfg.auditing.audit_authorization_success,
        ),
    )
    pulumi.export("auditingEnabled", auditing.enabled)

if cfg.resource_policies.enabled:
    org_policies = AtlasResourcePolicies(
        f"{cfg.app}-org-policies",
        AtlasResourcePoliciesArgs(
            org_id=cfg.org_id,
            policies=standard_policies(cfg.resource_policies.forbid_open_access_list, cfg.resource_policies.require_tls12),
        ),
    )
    pulumi.export("resourcePolicyIds", org_policies.policy_ids)
