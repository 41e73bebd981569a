"""AlertBaseline: a project's Atlas alert configurations, their notification channels, and the
project's third-party integrations for observability tools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from, slug

TOKEN = "atlas-platform:index:AlertBaseline"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:AlertBaseline"

# With no channel for a category, Atlas still tells the people who can act: the project's
# owners and cluster managers, by email (a GROUP notification).
FALLBACK_ROLES = ("GROUP_OWNER", "GROUP_CLUSTER_MANAGER")


@dataclass(frozen=True)
class MetricThreshold:
    """OUTSIDE_METRIC_THRESHOLD: a host metric and its limit."""

    metric_name: str
    operator: str
    threshold: float
    units: str = "RAW"


@dataclass(frozen=True)
class Threshold:
    """A limit on an event that takes one (e.g. REPLICATION_OPLOG_WINDOW_RUNNING_OUT)."""

    operator: str
    threshold: float
    units: str


@dataclass(frozen=True)
class AlertSpec:
    """One alert configuration."""

    key: str
    """Stable name; it names the Pulumi resource."""
    event_type: str
    category: str
    metric: MetricThreshold | None = None
    threshold: Threshold | None = None
    delay_min: int = 0


@dataclass(frozen=True)
class Channel:
    """A notification target. Credential fields are wrapped as secrets before they reach the engine."""

    key: str
    type_name: str
    """Atlas notification typeName: EMAIL, SLACK, PAGER_DUTY, DATADOG or WEBHOOK."""
    categories: Sequence[str]
    email_address: str | None = None
    channel_name: str | None = None
    api_token: pulumi.Input[str] | None = None
    service_key: pulumi.Input[str] | None = None
    datadog_api_key: pulumi.Input[str] | None = None
    datadog_region: str | None = None
    webhook_url: str | None = None
    webhook_secret: pulumi.Input[str] | None = None
    interval_min: int = 60


@dataclass(frozen=True)
class IntegrationSpec:
    """A project third-party integration (one per type per project)."""

    type: str
    api_key: pulumi.Input[str] | None = None
    region: str | None = None
    service_key: pulumi.Input[str] | None = None
    url: str | None = None
    secret: pulumi.Input[str] | None = None
    send_database_metrics: bool | None = None
    send_collection_latency_metrics: bool | None = None
    send_query_stats_metrics: bool | None = None


@dataclass(frozen=True)
class AlertBaselineArgs:
    project_id: pulumi.Input[str]
    alerts: Sequence[AlertSpec] = ()
    channels: Sequence[Channel] = ()
    integrations: Sequence[IntegrationSpec] = ()


def _secret(value: pulumi.Input[str] | None) -> pulumi.Output[str] | None:
    return None if value is None else pulumi.Output.secret(value)


def _mapping(outputs: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[Mapping[str, str]]:
    # Output.all() with no arguments resolves to a list, not a mapping.
    return pulumi.Output.all(**outputs) if outputs else pulumi.Output.from_input({})


def notification(channel: Channel, delay_min: int) -> atlas.AlertConfigurationNotificationArgs:
    """The Atlas notification for one channel; keys and tokens only as secrets."""
    # Atlas does not return intervalMin for PAGER_DUTY (PagerDuty manages repeats): setting it
    # would show a diff on every preview.
    interval = None if channel.type_name == "PAGER_DUTY" else channel.interval_min
    return atlas.AlertConfigurationNotificationArgs(
        type_name=channel.type_name,
        delay_min=delay_min,
        interval_min=interval,
        email_address=channel.email_address,
        channel_name=channel.channel_name,
        api_token=_secret(channel.api_token),
        service_key=_secret(channel.service_key),
        datadog_api_key=_secret(channel.datadog_api_key),
        datadog_region=channel.datadog_region,
        webhook_url=channel.webhook_url,
        webhook_secret=_secret(channel.webhook_secret),
    )


def fallback_notification(delay_min: int) -> atlas.AlertConfigurationNotificationArgs:
    return atlas.AlertConfigurationNotificationArgs(
        type_name="GROUP",
        delay_min=delay_min,
        interval_min=60,
        email_enabled=True,
        sms_enabled=False,
        roles=list(FALLBACK_ROLES),
    )


class AlertBaseline(pulumi.ComponentResource):
    """Alert configurations routed to channels by category, and observability integrations."""

    alert_configuration_ids: pulumi.Output[Mapping[str, str]]
    integration_ids: pulumi.Output[Mapping[str, str]]

    def __init__(self, name: str, args: AlertBaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        child = pulumi.ResourceOptions(parent=self)

        integrations = {
            spec.type: atlas.ThirdPartyIntegration(
                f"{name}-integration-{slug(spec.type)}",
                project_id=args.project_id,
                type=spec.type,
                api_key=_secret(spec.api_key),
                region=spec.region,
                service_key=_secret(spec.service_key),
                url=spec.url,
                secret=_secret(spec.secret),
                send_database_metrics=spec.send_database_metrics,
                send_collection_latency_metrics=spec.send_collection_latency_metrics,
                send_query_stats_metrics=spec.send_query_stats_metrics,
                opts=child,
            )
            for spec in args.integrations
        }

        alert_configurations: dict[str, atlas.AlertConfiguration] = {}
        for alert in args.alerts:
            # Atlas keeps notifications as a list: in a fixed order, reordering channels in the
            # stack file changes no alert.
            routed = sorted((c for c in args.channels if alert.category in c.categories), key=lambda c: c.key)
            notifications = [notification(c, alert.delay_min) for c in routed] or [fallback_notification(alert.delay_min)]
            metric = alert.metric
            threshold = alert.threshold
            alert_configurations[alert.key] = atlas.AlertConfiguration(
                f"{name}-alert-{slug(alert.key)}",
                project_id=args.project_id,
                event_type=alert.event_type,
                enabled=True,
                notifications=notifications,
                metric_threshold_config=atlas.AlertConfigurationMetricThresholdConfigArgs(
                    metric_name=metric.metric_name,
                    operator=metric.operator,
                    threshold=metric.threshold,
                    units=metric.units,
                    mode="AVERAGE",
                )
                if metric
                else None,
                threshold_config=atlas.AlertConfigurationThresholdConfigArgs(
                    operator=threshold.operator, threshold=threshold.threshold, units=threshold.units
                )
                if threshold
                else None,
                opts=child,
            )

        self.alert_configuration_ids = _mapping({k: a.alert_configuration_id for k, a in alert_configurations.items()})
        self.integration_ids = _mapping({k: i.id for k, i in integrations.items()})
        self.register_outputs({"alert_configuration_ids": self.alert_configuration_ids, "integration_ids": self.integration_ids})
