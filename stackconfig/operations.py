"""The operations sections of the stack file: alerts, notification channels, observability
integrations, database auditing and org-level Atlas resource policies.

Every alert event type and metric name below is in Atlas's own list (`alert_catalog.py`, taken
from the Admin API spec); Atlas accepts no others, and an invented one would fail only at
`pulumi up`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from atlas_platform.components.atlas_rules import RULE_IDS, RULES

from .alert_catalog import HOST_METRIC_NAMES, PERCENT_METRICS, PROJECT_ALERT_EVENT_TYPES, UNITS_BY_FAMILY, metric_unit_family
from .base import SecretName, StackModel, invalid, matches, member_of, unique
from .cluster import AwsRegion
from .environment import in_production
from .network import Reason
from .project import Label

# The standard rules' keys: the ids of the rule table the pack checks too (atlas_platform/components/atlas_rules.py).
STANDARD_POLICY_KEYS = RULE_IDS

# Channels subscribe to categories, so routing needs no cross-reference between sections.
ALERT_CATEGORIES: tuple[str, ...] = ("availability", "replication", "capacity", "backup", "security")
Category = Annotated[str, member_of(ALERT_CATEGORIES, "an alert category")]

# Units Atlas accepts for host metric thresholds (union over `HostMetricThreshold`'s views).
METRIC_UNITS: tuple[str, ...] = (
    "RAW", "BITS", "KILOBITS", "MEGABITS", "GIGABITS", "BYTES", "KILOBYTES", "MEGABYTES", "GIGABYTES",
    "TERABYTES", "PETABYTES", "NANOSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS",
    "MILLION_MINUTES", "COUNT", "THOUSAND", "MILLION", "BILLION",
)  # fmt: skip


@dataclass(frozen=True)
class BaselineAlert:
    """One alert of the production baseline: what Atlas watches, and the default limit."""

    key: str
    event_type: str
    category: str
    why: str
    metric: str | None = None
    operator: str | None = None
    threshold: float | None = None
    units: str | None = None
    delay_min: int = 0

    @property
    def has_threshold(self) -> bool:
        return self.threshold is not None


# The defaults of docs/operations.md's table; keep both in step.
BASELINE: tuple[BaselineAlert, ...] = (
    BaselineAlert("hostDown", "HOST_DOWN", "availability", "a mongod is unreachable: one more failure loses the majority"),
    BaselineAlert("noPrimary", "NO_PRIMARY", "availability", "the replica set cannot take writes"),
    BaselineAlert(
        "replicationLag", "OUTSIDE_METRIC_THRESHOLD", "replication",
        "secondaries serve stale reads and a failover may roll back writes",
        metric="OPLOG_SLAVE_LAG_MASTER_TIME", operator="GREATER_THAN", threshold=120, units="SECONDS", delay_min=5,
    ),
    BaselineAlert(
        "oplogWindow", "REPLICATION_OPLOG_WINDOW_RUNNING_OUT", "replication",
        "a secondary offline longer than the window needs a full initial sync",
        operator="LESS_THAN", threshold=24, units="HOURS",
    ),
    BaselineAlert(
        "diskSpaceUsed", "OUTSIDE_METRIC_THRESHOLD", "capacity",
        "leaves time to scale storage before writes stop",
        metric="DISK_PARTITION_SPACE_USED_DATA", operator="GREATER_THAN", threshold=80, units="RAW",
    ),
    BaselineAlert(
        "cpu", "OUTSIDE_METRIC_THRESHOLD", "capacity",
        "sustained CPU saturation raises latency for every query",
        metric="NORMALIZED_SYSTEM_CPU_USER", operator="GREATER_THAN", threshold=80, units="RAW", delay_min=10,
    ),
    BaselineAlert(
        "connections", "OUTSIDE_METRIC_THRESHOLD", "capacity",
        "new connections are refused at the tier's limit",
        metric="CONNECTIONS_PERCENT", operator="GREATER_THAN", threshold=80, units="RAW", delay_min=5,
    ),
    BaselineAlert(
        "queryTargeting", "OUTSIDE_METRIC_THRESHOLD", "capacity",
        "queries scan far more documents than they return: a missing index",
        metric="QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED", operator="GREATER_THAN", threshold=1000, units="RAW",
        delay_min=10,
    ),
    BaselineAlert("snapshotFailed", "CPS_SNAPSHOT_FAILED", "backup", "a scheduled snapshot did not complete"),
    BaselineAlert(
        "fallbackSnapshotFailed", "CPS_SNAPSHOT_FALLBACK_FAILED", "backup", "Atlas's fallback snapshot failed too"
    ),
    BaselineAlert(
        "snapshotBehind", "CPS_SNAPSHOT_BEHIND", "backup",
        "snapshots are missed: the restore point objective is not met",
        operator="GREATER_THAN", threshold=12, units="HOURS",
    ),
    BaselineAlert("accessListEntryAdded", "NETWORK_PERMISSION_ENTRY_ADDED", "security", "a new network source can reach the project"),
    BaselineAlert("accessListEntryUpdated", "NETWORK_PERMISSION_ENTRY_UPDATED", "security", "a network source changed"),
    BaselineAlert("accessListEntryRemoved", "NETWORK_PERMISSION_ENTRY_REMOVED", "security", "a network source was removed"),
    BaselineAlert("memberJoined", "JOINED_GROUP", "security", "someone joined the project"),
    BaselineAlert("memberRemoved", "REMOVED_FROM_GROUP", "security", "someone left or was removed from the project"),
    BaselineAlert("memberRolesChanged", "USER_ROLES_CHANGED_AUDIT", "security", "a project member's roles changed"),
    BaselineAlert("usersWithoutMfa", "USERS_WITHOUT_MULTI_FACTOR_AUTH", "security", "project members without MFA"),
)  # fmt: skip
BASELINE_KEYS = tuple(alert.key for alert in BASELINE)


def _catalog_name(values: tuple[str, ...], what: str) -> AfterValidator:
    """Like `member_of`, but for Atlas's long lists: a did-you-mean and where the list lives."""
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value not in allowed:
            close = get_close_matches(value, values, n=3, cutoff=0.6)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise invalid(
                "not_allowed",
                f"{value!r} is not {what} Atlas accepts; {hint}pick one of the {len(values)} names in "
                "stackconfig/alert_catalog.py (Atlas's own list)",
            )
        return value

    return AfterValidator(check)


EventType = Annotated[str, _catalog_name(PROJECT_ALERT_EVENT_TYPES, "an alert event type")]
MetricName = Annotated[str, _catalog_name(HOST_METRIC_NAMES, "a host metric name")]
MetricUnits = Annotated[str, member_of(METRIC_UNITS, "a metric unit")]
AlertOperator = Annotated[str, member_of(("GREATER_THAN", "LESS_THAN"), "an alert operator")]


def _number_check(what: str, low: float, high: float, integer: bool, example: str) -> AfterValidator:
    def check(value: float) -> float:
        if integer and value != int(value):
            raise invalid("not_allowed", f"{value} is not a whole number; Atlas takes {what} as an integer (e.g. {example})")
        if not low <= value <= high:
            raise invalid("not_allowed", f"{value} is outside {low:g}-{high:g}; write {what} in that range (e.g. {example})")
        return int(value) if integer else value

    return AfterValidator(check)


Percent = Annotated[float, _number_check("a percentage", 1, 100, False, "80")]
LagSeconds = Annotated[float, _number_check("a lag in seconds", 1, 86400, True, "120")]
WindowHours = Annotated[float, _number_check("a number of hours", 1, 720, True, "24")]
Ratio = Annotated[float, _number_check("a scanned-to-returned ratio", 1, 1_000_000, False, "1000")]
DelayMin = Annotated[int, Field(ge=0, le=1440)]
IntervalMin = Annotated[int, Field(ge=5, le=1440)]


class EventAlert(StackModel):
    """A baseline alert without a limit: it fires on the event itself."""

    enabled: bool = True
    """Turn this baseline alert off (true by default)."""
    delay_min: DelayMin | None = None
    """Minutes the condition must last before the first notification. Default: the baseline's."""


class PercentAlert(EventAlert):
    """A baseline alert on a percentage."""

    threshold: Percent | None = None
    """Alert above this percentage (1-100)."""


class LagAlert(EventAlert):
    """A baseline alert on a replication lag."""

    threshold: LagSeconds | None = None
    """Alert above this many seconds of lag."""


class WindowAlert(EventAlert):
    """A baseline alert on a time window, in hours."""

    threshold: WindowHours | None = None
    """The limit, in whole hours."""


class RatioAlert(EventAlert):
    """A baseline alert on a ratio."""

    threshold: Ratio | None = None
    """Alert above this many documents scanned per document returned."""


class BaselineTuning(StackModel):
    """Per-alert switches and limits for the baseline; an alert not named keeps its defaults."""

    host_down: EventAlert = EventAlert()
    """HOST_DOWN: a node is unreachable."""
    no_primary: EventAlert = EventAlert()
    """NO_PRIMARY: the replica set has no primary."""
    replication_lag: LagAlert = LagAlert()
    """Replication lag (OPLOG_SLAVE_LAG_MASTER_TIME) above `threshold` seconds. Default 120."""
    oplog_window: WindowAlert = WindowAlert()
    """REPLICATION_OPLOG_WINDOW_RUNNING_OUT: oplog window below `threshold` hours. Default 24."""
    disk_space_used: PercentAlert = PercentAlert()
    """Data disk space used (DISK_PARTITION_SPACE_USED_DATA) above `threshold` percent. Default 80."""
    cpu: PercentAlert = PercentAlert()
    """Normalized CPU (NORMALIZED_SYSTEM_CPU_USER) above `threshold` percent. Default 80."""
    connections: PercentAlert = PercentAlert()
    """Connections as a share of the tier's limit (CONNECTIONS_PERCENT) above `threshold`. Default 80."""
    query_targeting: RatioAlert = RatioAlert()
    """Documents scanned per returned (QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED) above `threshold`. Default 1000."""
    snapshot_failed: EventAlert = EventAlert()
    """CPS_SNAPSHOT_FAILED: a backup snapshot failed."""
    fallback_snapshot_failed: EventAlert = EventAlert()
    """CPS_SNAPSHOT_FALLBACK_FAILED: the fallback snapshot failed."""
    snapshot_behind: WindowAlert = WindowAlert()
    """CPS_SNAPSHOT_BEHIND: snapshots behind schedule by more than `threshold` hours. Default 12."""
    access_list_entry_added: EventAlert = EventAlert()
    """NETWORK_PERMISSION_ENTRY_ADDED: an IP access-list entry was added."""
    access_list_entry_updated: EventAlert = EventAlert()
    """NETWORK_PERMISSION_ENTRY_UPDATED: an IP access-list entry changed."""
    access_list_entry_removed: EventAlert = EventAlert()
    """NETWORK_PERMISSION_ENTRY_REMOVED: an IP access-list entry was removed."""
    member_joined: EventAlert = EventAlert()
    """JOINED_GROUP: a user joined the project."""
    member_removed: EventAlert = EventAlert()
    """REMOVED_FROM_GROUP: a user left the project."""
    member_roles_changed: EventAlert = EventAlert()
    """USER_ROLES_CHANGED_AUDIT: a project member's roles changed."""
    users_without_mfa: EventAlert = EventAlert()
    """USERS_WITHOUT_MULTI_FACTOR_AUTH: project members without multi-factor authentication."""

    def for_key(self, key: str) -> EventAlert:
        """The tuning of baseline alert `key` (its camelCase stack-file name)."""
        name = next(n for n, f in type(self).model_fields.items() if f.alias == key)
        tuning: EventAlert = getattr(self, name)
        return tuning


class CustomAlert(StackModel):
    """An extra alert beyond the baseline, with Atlas's own event type and metric names."""

    name: Label
    """Stable name of the alert; it names the Pulumi resource."""
    event_type: EventType
    """Atlas event type name, e.g. OUTSIDE_METRIC_THRESHOLD or PRIMARY_ELECTED."""
    category: Category
    """Which channels receive it: availability, replication, capacity, backup or security."""
    metric: MetricName | None = None
    """For OUTSIDE_METRIC_THRESHOLD: the host metric, e.g. SYSTEM_MEMORY_PERCENT_USED."""
    operator: AlertOperator | None = None
    """GREATER_THAN or LESS_THAN (required with `threshold`)."""
    threshold: float | None = None
    """The limit that triggers the alert."""
    units: MetricUnits | None = None
    """Units of `threshold`, required with it (RAW for counts and percentages; SECONDS, HOURS, BYTES... otherwise)."""
    delay_min: DelayMin = 0
    """Minutes the condition must last before the first notification."""

    @model_validator(mode="after")
    def _threshold_matches_event(self) -> CustomAlert:
        if self.event_type == "OUTSIDE_METRIC_THRESHOLD" and (self.metric is None or self.threshold is None):
            raise invalid(
                "metric_required",
                f"alert {self.name!r}: OUTSIDE_METRIC_THRESHOLD needs `metric`, `operator` and `threshold` "
                "(e.g. metric: SYSTEM_MEMORY_PERCENT_USED, operator: GREATER_THAN, threshold: 90, units: RAW)",
            )
        if self.metric is not None and self.event_type != "OUTSIDE_METRIC_THRESHOLD":
            raise invalid(
                "metric_not_allowed",
                f"alert {self.name!r}: `metric` only goes with eventType OUTSIDE_METRIC_THRESHOLD; remove it or change eventType",
            )
        if self.threshold is not None and self.operator is None:
            raise invalid(
                "operator_required", f"alert {self.name!r}: add `operator: GREATER_THAN` or `LESS_THAN` with `threshold`"
            )
        if self.threshold is not None and self.units is None:
            # Atlas's unit depends on the event or metric (RAW for counts and percentages, a time
            # unit for lags and windows); a guessed default would be refused only at `pulumi up`.
            raise invalid("units_required", f"alert {self.name!r}: add `units` with `threshold` (e.g. RAW, SECONDS or HOURS)")
        self._threshold_in_range()
        return self

    def _threshold_in_range(self) -> None:
        """A threshold its metric can cross, in the units Atlas takes for it: one that never or always fires is a typo."""
        if self.threshold is None:
            return
        limit, measured = self.threshold, self.metric or self.event_type
        if self.metric is not None and self.units is not None:
            family = metric_unit_family(self.metric)
            allowed = UNITS_BY_FAMILY[family]
            if self.units not in allowed:
                fix = f"write units: {allowed[0]}" if len(allowed) == 1 else f"write units as one of: {', '.join(allowed)}"
                raise invalid(
                    "units_mismatch", f"alert {self.name!r}: Atlas takes {self.metric} in {family} units, not {self.units}; {fix}"
                )
        if self.metric is None and limit != int(limit):
            # Event thresholds are int32 in Atlas's spec (AlertsThresholdInteger, GreaterThanTimeThreshold).
            raise invalid("not_allowed", f"alert {self.name!r}: {measured} takes a whole-number threshold, not {limit:g}")
        if limit < 0:
            raise invalid(
                "not_allowed",
                f"alert {self.name!r}: threshold {limit:g} is below 0, and {measured} is never negative, so the alert "
                "would always or never fire; write 0 or more",
            )
        if self.metric in PERCENT_METRICS and limit > 100:
            raise invalid(
                "not_allowed",
                f"alert {self.name!r}: {self.metric} is a percentage, 0-100, so a threshold of {limit:g} never "
                "or always fires; write a percentage (e.g. 90)",
            )
        if self.operator == "LESS_THAN" and limit == 0:
            raise invalid(
                "not_allowed", f"alert {self.name!r}: nothing {measured} measures is below 0, so LESS_THAN 0 never fires"
            )
        if self.operator == "GREATER_THAN" and self.metric in PERCENT_METRICS and limit == 100:
            raise invalid(
                "not_allowed", f"alert {self.name!r}: {self.metric} never exceeds 100 %, so GREATER_THAN 100 never fires"
            )


class Alerts(StackModel):
    """Atlas alert configurations: the production baseline plus extras."""

    enabled: bool | None = None
    """Create the alert baseline. Default: on in prod (off only with `optOutReason`), off elsewhere."""
    opt_out_reason: Reason | None = None
    """Production only: why this production stack creates no alert (required with `enabled: false` there)."""
    baseline: BaselineTuning = BaselineTuning()
    """Per-alert switches and thresholds of the baseline (keys: the alert names in docs/operations.md)."""
    custom: list[CustomAlert] = []
    """Extra alerts, with Atlas's own event type and metric names."""

    @field_validator("custom")
    @classmethod
    def _unique_custom(cls, custom: list[CustomAlert]) -> list[CustomAlert]:
        unique([c.name for c in custom], "custom alert name")
        for alert in custom:
            if alert.name in {k.lower() for k in BASELINE_KEYS}:
                raise invalid("duplicate", f"custom alert name {alert.name!r} is taken by the baseline; pick another name")
        return custom

    @model_validator(mode="after")
    def _production_alerts_off_only_with_a_reason(self, info: ValidationInfo) -> Alerts:
        # Auditing off is refused outright; alerting off is allowed in production, but never quietly: the
        # reason is written here, reviewed with the stack file, and the pack's atlas-prod-alerts flags it.
        production = in_production(info)
        creates = self.creates_alerts(production)
        if self.opt_out_reason and creates:
            raise invalid(
                "contradiction", "optOutReason is set but alerts are created; remove optOutReason, or set `enabled: false`"
            )
        if not production:
            if self.opt_out_reason:
                raise invalid("opt_out_outside_prod", "optOutReason only applies to production; remove it")
            return self
        if not creates and not self.opt_out_reason:
            if self.enabled is False:
                what, fix = "`enabled: false` leaves none", "remove `enabled: false`"
            else:
                what, fix = "every baseline alert is off and no `custom` one is written", "turn a baseline alert back on"
            raise invalid(
                "alerts_required",
                f"production creates its alerts, and {what}; {fix}, or add optOutReason saying why nobody is alerted "
                "by this program when this production cluster fails",
            )
        return self

    def resolved_enabled(self, production: bool) -> bool:
        return self.enabled if self.enabled is not None else production

    def creates_alerts(self, production: bool) -> bool:
        """Whether any alert configuration is created: a baseline alert on, or a custom one."""
        return self.resolved_enabled(production) and (self.baseline_on(production) or bool(self.custom))

    def baseline_on(self, production: bool) -> bool:
        """Whether any alert of the baseline is created (what Atlas's default alerts would duplicate)."""
        return self.resolved_enabled(production) and any(self.baseline.for_key(k).enabled for k in BASELINE_KEYS)


CHANNEL_TYPES: tuple[str, ...] = ("EMAIL", "SLACK", "PAGER_DUTY", "DATADOG", "WEBHOOK")
DATADOG_REGIONS: tuple[str, ...] = ("US", "EU", "US3", "US5", "AP1", "US1_FED")
EmailAddress = Annotated[
    str, matches(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an email address", "write a full address such as dba-oncall@example.com")
]

# A stack-file value is planned, printed by the preview and kept in state in the clear; only a secret
# config key is not. These shapes are credentials wherever they are written.
_CREDENTIAL_QUERY_NAME = re.compile(
    r"token|key|apikey|secret|sig|signature|password|passwd|pwd|auth|code|credentials?"
    r"|.*[_-](?:token|key|secret|password|signature)",
    re.IGNORECASE,
)
_SLACK_TOKEN = re.compile(r"xox[a-z]-|xapp-", re.IGNORECASE)
_HEX_SECRET = re.compile(r"[0-9A-Fa-f]{32,}")
_BASE64_SECRET = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
_SIGN_INSTEAD = (
    "Atlas signs every request with `webhookSecret` (the name of a secret config key, "
    "`pulumi config set --secret <name> <value>`): have the endpoint check that signature, and write the URL without the credential"
)


def _url_credential(url: str) -> str | None:
    """What credential an https URL carries, if any (never the credential itself)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.username or parts.password:
        return f"has a user name or password before {host!r} (user:password@); {_SIGN_INSTEAD}"
    if host == "hooks.slack.com" and parts.path.startswith("/services/"):
        return (
            "is a Slack incoming-webhook URL, whose path is its credential; use a SLACK channel instead: "
            "`channelName` and `apiTokenSecret`, the name of a secret config key holding the bot token "
            "(`pulumi config set --secret <name> <token>`)"
        )
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if _CREDENTIAL_QUERY_NAME.fullmatch(name):
            return f"carries a credential in its query (`{name}=`); {_SIGN_INSTEAD}"
    return None


def _no_credential_in_url(url: str) -> str:
    found = _url_credential(url)
    if found:
        raise invalid("credential_in_setting", f"the URL (not repeated here) {found}")
    return url


def _token_shape(text: str) -> str | None:
    name = text.strip().removeprefix("#")
    if "://" in name:
        return "a URL"
    if _SLACK_TOKEN.match(name):
        return "a Slack token"
    if _HEX_SECRET.fullmatch(name):
        return "a long hex secret"
    # Slack channel names are lowercase (letters, digits, - and _): a long mixed-case run with digits is a key.
    if _BASE64_SECRET.fullmatch(name) and re.search(r"\d", name) and re.search(r"[a-z]", name) and re.search(r"[A-Z]", name):
        return "a long base64 secret"
    return None


def _no_token_in_channel_name(name: str) -> str:
    shape = _token_shape(name)
    if shape:
        raise invalid(
            "credential_in_setting",
            f"the value (not repeated here) looks like {shape}, not a channel name; write the channel, e.g. #ops-alerts, "
            "and keep the bot token in a secret config key (`pulumi config set --secret <name> <token>`) named by "
            "`apiTokenSecret: <name>`",
        )
    return name


HttpsUrl = Annotated[
    str,
    matches(r"https://[^\s]+", "an https URL", "write the endpoint as https://... (Atlas sends alerts in the clear otherwise)"),
    AfterValidator(_no_credential_in_url),
]
ChannelType = Annotated[str, member_of(CHANNEL_TYPES, "a notification channel type")]
DatadogRegion = Annotated[str, member_of(DATADOG_REGIONS, "a Datadog region")]
SlackChannel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(_no_token_in_channel_name)
]

# Which keys each channel type takes, beyond name/type/categories/intervalMin.
CHANNEL_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # channel type -> (required keys, optional keys)
    "EMAIL": (("email_address",), ()),
    "SLACK": (("channel_name", "api_token_secret"), ()),
    "PAGER_DUTY": (("service_key_secret",), ()),
    "DATADOG": (("api_key_secret",), ("region",)),
    "WEBHOOK": (("url",), ("webhook_secret",)),
}
SECRET_CHANNEL_KEYS = ("api_token_secret", "service_key_secret", "api_key_secret", "webhook_secret")


def _set_secret_how(alias: str) -> str:
    return f"store the value as its own secret key, `pulumi config set --secret <name> <value>`, and write `{alias}: <name>`"


class NotificationChannel(StackModel):
    """Where alerts go. Keys and tokens are not written here: each is its own top-level secret key,
    named by a `...Secret` field (`serviceKeySecret: pagerDutyServiceKey`)."""

    name: Label
    """Stable name of the channel (e.g. dba-pager)."""
    type: ChannelType
    """EMAIL, SLACK, PAGER_DUTY, DATADOG or WEBHOOK."""
    categories: Annotated[list[Category], Field(min_length=1)] = list(ALERT_CATEGORIES)
    """Alert categories this channel receives. Default: all of them."""
    email_address: EmailAddress | None = None
    """EMAIL: the address that receives alerts."""
    channel_name: SlackChannel | None = None
    """SLACK: the channel name, e.g. #payments-alerts."""
    api_token_secret: SecretName | None = None
    """SLACK: name of the secret config key holding the bot token."""
    service_key_secret: SecretName | None = None
    """PAGER_DUTY: name of the secret config key holding the service integration key."""
    api_key_secret: SecretName | None = None
    """DATADOG: name of the secret config key holding the API key."""
    region: DatadogRegion | None = None
    """DATADOG: the Datadog site (US, EU, US3, US5, AP1, US1_FED). Default: US."""
    url: HttpsUrl | None = None
    """WEBHOOK: the https endpoint."""
    webhook_secret: SecretName | None = None
    """WEBHOOK: name of the secret config key holding the shared secret Atlas signs requests with."""
    interval_min: IntervalMin = 60
    """Minutes between repeats of an unacknowledged alert (not used by PAGER_DUTY, which manages its own)."""

    @model_validator(mode="after")
    def _keys_fit_type(self) -> NotificationChannel:
        required, optional = CHANNEL_KEYS[self.type]
        for key in required:
            if getattr(self, key) is None:
                alias = type(self).model_fields[key].alias or key
                how = _set_secret_how(alias) if key in SECRET_CHANNEL_KEYS else f"add `{alias}`"
                raise invalid("missing_channel_key", f"a {self.type} channel ({self.name!r}) needs `{alias}`; {how}")
        for key in {k for keys, _ in CHANNEL_KEYS.values() for k in keys} | {k for _, opt in CHANNEL_KEYS.values() for k in opt}:
            if getattr(self, key) is not None and key not in required + optional:
                alias = type(self).model_fields[key].alias or key
                raise invalid(
                    "foreign_channel_key", f"`{alias}` does not belong to a {self.type} channel ({self.name!r}); remove it"
                )
        return self


INTEGRATION_TYPES: tuple[str, ...] = ("DATADOG", "PAGER_DUTY", "WEBHOOK")
IntegrationType = Annotated[str, member_of(INTEGRATION_TYPES, "an integration type this program manages")]
INTEGRATION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "DATADOG": (
        ("api_key_secret",),
        ("region", "send_database_metrics", "send_collection_latency_metrics", "send_query_stats_metrics"),
    ),
    "PAGER_DUTY": (("service_key_secret",), ("region",)),
    "WEBHOOK": (("url",), ("webhook_secret",)),
}
INTEGRATION_REGIONS = {"DATADOG": DATADOG_REGIONS, "PAGER_DUTY": ("US", "EU")}


class Integration(StackModel):
    """A project-level third-party integration (Atlas > Project > Integrations) for an observability tool."""

    type: IntegrationType
    """DATADOG (metrics and events), PAGER_DUTY or WEBHOOK. Atlas allows one per type per project."""
    api_key_secret: SecretName | None = None
    """DATADOG: name of the secret config key holding the API key."""
    region: str | None = None
    """DATADOG: US, EU, US3, US5, AP1 or US1_FED; PAGER_DUTY: US or EU."""
    service_key_secret: SecretName | None = None
    """PAGER_DUTY: name of the secret config key holding the service integration key."""
    url: HttpsUrl | None = None
    """WEBHOOK: the https endpoint."""
    webhook_secret: SecretName | None = None
    """WEBHOOK: name of the secret config key holding the shared secret Atlas signs requests with."""
    send_database_metrics: bool | None = None
    """DATADOG: also send per-database metrics."""
    send_collection_latency_metrics: bool | None = None
    """DATADOG: also send per-collection latency metrics."""
    send_query_stats_metrics: bool | None = None
    """DATADOG: also send query statistics."""

    @model_validator(mode="after")
    def _keys_fit_type(self) -> Integration:
        required, optional = INTEGRATION_KEYS[self.type]
        for key in required:
            if getattr(self, key) is None:
                alias = type(self).model_fields[key].alias or key
                raise invalid(
                    "missing_integration_key",
                    f"a {self.type} integration needs `{alias}`; "
                    + (_set_secret_how(alias) if key in SECRET_CHANNEL_KEYS else "add it"),
                )
        for name, field in type(self).model_fields.items():
            if name != "type" and getattr(self, name) is not None and name not in required + optional:
                raise invalid(
                    "foreign_integration_key", f"`{field.alias}` does not belong to a {self.type} integration; remove it"
                )
        regions = INTEGRATION_REGIONS.get(self.type, ())
        if self.region is not None and self.region not in regions:
            raise invalid("not_allowed", f"{self.region!r} is not a {self.type} region; write one of: {', '.join(regions)}")
        return self


# The floor of every production audit log: who failed to get in, who changed who can do what,
# and who changed the shape of the data. Atlas writes `atype`s as the MongoDB audit log does.
AUTH_FAILURE_CLAUSE: dict[str, Any] = {"atype": "authenticate", "result": {"$ne": 0}}
USER_AND_ROLE_ATYPES: tuple[str, ...] = (
    "createUser", "dropUser", "dropAllUsersFromDatabase", "updateUser", "grantRolesToUser", "revokeRolesFromUser",
    "createRole", "updateRole", "dropRole", "dropAllRolesFromDatabase", "grantRolesToRole", "revokeRolesFromRole",
    "grantPrivilegesToRole", "revokePrivilegesFromRole",
)  # fmt: skip
DDL_ATYPES: tuple[str, ...] = (
    "createDatabase", "dropDatabase", "createCollection", "renameCollection", "dropCollection",
    "createIndex", "dropIndex", "enableSharding", "shardCollection",
)  # fmt: skip


# `param.command` of an authCheck event holds the command's name, which for these is not the audit
# atype: dropping a collection is the `drop` command (MongoDB manual, Database Commands), so a clause
# naming `dropCollection` there never matches anything.
COMMAND_FOR_ATYPE: dict[str, str] = {
    "dropCollection": "drop",
    "createCollection": "create",
    "createIndex": "createIndexes",
    "dropIndex": "dropIndexes",
}


def _command_names(value: Any) -> list[str]:
    """Every string under a `param.command` condition ("drop", {"$in": [...]}, {"$eq": ...})."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [name for item in value.values() for name in _command_names(item)]
    if isinstance(value, list):
        return [name for item in value for name in _command_names(item)]
    return []


def _check_commands(clause: Any) -> None:
    """Refuse an atype where `param.command` wants a command name, at any depth ($and, $or...)."""
    if isinstance(clause, list):
        for item in clause:
            _check_commands(item)
    if not isinstance(clause, dict):
        return
    for field, value in clause.items():
        if field == "param.command":
            for name in _command_names(value):
                if name in COMMAND_FOR_ATYPE:
                    raise invalid(
                        "atype_as_command",
                        f"param.command {name!r} is an audit event type, not a command name, so the clause "
                        f"never matches; write {COMMAND_FOR_ATYPE[name]!r} (the command MongoDB runs)",
                    )
        else:
            _check_commands(value)


def _parse_clause(value: Any) -> Any:
    """A clause may be written as a JSON string or as a YAML mapping; both end as a dict."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise invalid(
                "invalid_format",
                f"{value!r} is not valid JSON ({error.msg} at character {error.pos}); "
                'write one JSON object, e.g. {"atype": "dropCollection"}',
            ) from None
    if not isinstance(value, dict) or not value:
        raise invalid(
            "invalid_format", f'{value!r} is not a non-empty JSON object; write one such as {{"atype": "dropCollection"}}'
        )
    _check_commands(value)
    return value


# A clause is written as a YAML mapping or as JSON text (the shipped stack files quote it): both, in the schema.
AuditClause = Annotated[
    dict[str, Any],
    BeforeValidator(_parse_clause),
    WithJsonSchema({"anyOf": [{"type": "object", "minProperties": 1}, {"type": "string", "minLength": 2}]}),
]


class Auditing(StackModel):
    """Database auditing: which events every mongod writes to the audit log."""

    enabled: bool | None = None
    """Turn database auditing on. Default: on in prod (required there), off elsewhere."""
    extra_filters: list[AuditClause] = []
    """More audit-filter clauses (JSON objects), OR'ed with the default filter, e.g. {"atype": "authCheck"}."""
    include_default_filter: bool = True
    """Keep the default clauses (authentication failures, user and role changes, DDL). Required in prod."""
    audit_authorization_success: bool = False
    """Also log successful authorization checks. Off: it can severely slow a cluster (Atlas's own warning)."""

    @model_validator(mode="after")
    def _prod_keeps_the_floor(self, info: ValidationInfo) -> Auditing:
        production = in_production(info)
        if production and self.enabled is False:
            raise invalid("auditing_required", "database auditing cannot be turned off in prod; remove `enabled: false`")
        if production and not self.include_default_filter:
            raise invalid(
                "auditing_required",
                "prod keeps the default audit filter; remove `includeDefaultFilter: false` and add clauses in `extraFilters`",
            )
        if not self.include_default_filter and not self.extra_filters:
            raise invalid("empty_audit_filter", "with `includeDefaultFilter: false`, add at least one clause to `extraFilters`")
        return self

    def resolved_enabled(self, production: bool) -> bool:
        return self.enabled if self.enabled is not None else production

    def filter_document(self) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if self.include_default_filter:
            clauses += [
                AUTH_FAILURE_CLAUSE,
                {"atype": {"$in": list(USER_AND_ROLE_ATYPES)}},
                {"atype": {"$in": list(DDL_ATYPES)}},
            ]
        # The order of $or operands means nothing to MongoDB; sorted, so reordering extraFilters is no
        # change. A clause's own keys keep their order: BSON documents are ordered, and an embedded
        # document matches only with its fields in the same order.
        clauses += sorted((dict(c) for c in self.extra_filters), key=lambda c: json.dumps(c, sort_keys=True))
        return {"$or": clauses}

    def filter_json(self) -> str:
        """The audit filter as Atlas takes it: one JSON string, keys in a stable order."""
        return json.dumps(self.filter_document(), separators=(",", ":"))


def check_cedar_body(body: str) -> str:
    """Refuse a resource-policy body that Atlas would refuse, before anything is created.

    Parsed by the Cedar engine itself (cedarpy): a typo fails here, naming the parser's error,
    not at `pulumi up` after the cluster is half built. Atlas takes one Cedar policy per body
    and its resource policies are allow-by-default, so only a single `forbid` changes anything
    (https://www.mongodb.com/docs/atlas/atlas-resource-policies/).
    """
    # Imported here: only a stack file with custom rules needs the engine, not every program start.
    import cedarpy

    try:
        parsed = json.loads(cedarpy.policies_to_json_str(body))
    except ValueError as error:
        raise invalid("invalid_cedar", f"not a Cedar policy ({error}); write one `forbid (...) when {{ ... }};`") from None
    policies = [*parsed.get("staticPolicies", {}).values(), *parsed.get("templates", {}).values()]
    if len(policies) != 1 or parsed.get("templates"):
        raise invalid("invalid_cedar", f"has {len(policies)} Cedar policies; Atlas takes exactly one per body: split them")
    if policies[0].get("effect") != "forbid":
        raise invalid("invalid_cedar", "is a `permit`; Atlas resource policies allow by default, so write a `forbid` rule")
    return body


CedarBody = Annotated[str, AfterValidator(check_cedar_body)]


class CustomResourcePolicy(StackModel):
    """One more org-level rule, written in Cedar as Atlas's resource-policy documentation shows."""

    name: Label
    """Stable key and Atlas policy name, unique in the org (Atlas answers 400 on a duplicate)."""
    description: str = ""
    body: CedarBody
    """One Cedar `forbid` policy, e.g. on `ResourcePolicy::Action::"cluster.modify"`."""


class ResourcePolicies(StackModel):
    """Org-level Atlas resource policies (Cedar) that Atlas enforces on every project of the org.

    Org-wide: exactly one stack may turn them on (tests/test_operations_isolation.py checks it).
    """

    enabled: bool = False
    """Manage the org's resource policies from this stack. Turn on in one stack only."""
    forbid_open_access_list: bool = True
    """Forbid 0.0.0.0/0 in any project's IP access list."""
    require_tls12: bool = True
    """Forbid clusters whose minimum TLS version is below 1.2."""
    restrict_cloud_providers: bool = True
    """Forbid clusters on any cloud provider but AWS."""
    restrict_regions: bool = True
    """Forbid clusters with nodes outside `allowedRegions`."""
    allowed_regions: list[AwsRegion] | None = None
    """The organization's regions: AWS regions clusters anywhere in the org may have nodes in (e.g.
    [us-east-1, us-west-2]). Required with restrictRegions: list every region where any stack of the org has
    cluster nodes or backup copies, not only this stack's (Atlas refuses every other stack's cluster outside it)."""
    production_min_tier: bool = True
    """In this stack's production project, forbid clusters provisioned or scaled below its cluster's
    smallest tier (autoScaling.compute.minTier, else tier). Only in a production stack."""
    custom: list[CustomResourcePolicy] = []
    """More rules of your own, each checked by the Cedar parser before anything is created."""

    @field_validator("allowed_regions")
    @classmethod
    def _some_regions(cls, regions: list[str] | None) -> list[str] | None:
        if regions is not None:
            unique(regions, "region")
            if not regions:
                raise invalid(
                    "empty_regions", "allowedRegions is empty, which forbids every cluster; list regions or remove the key"
                )
        return regions

    def enabled_rules(self) -> frozenset[str]:
        """The ids of the standard rules switched on, by the table's `switch` names."""
        switches = {
            "forbidOpenAccessList": self.forbid_open_access_list,
            "requireTls12": self.require_tls12,
            "restrictCloudProviders": self.restrict_cloud_providers,
            "restrictRegions": self.restrict_regions,
            "productionMinTier": self.production_min_tier,
        }
        return frozenset(rule.id for rule in RULES if switches[rule.switch])

    @field_validator("custom")
    @classmethod
    def _unique_custom(cls, custom: list[CustomResourcePolicy]) -> list[CustomResourcePolicy]:
        unique([c.name for c in custom], "resource policy name")
        for policy in custom:
            if policy.name in STANDARD_POLICY_KEYS:
                raise invalid("duplicate", f"resource policy name {policy.name!r} is a standard rule's; pick another name")
        return custom

    @model_validator(mode="after")
    def _something_to_enforce(self) -> ResourcePolicies:
        if self.enabled and not (self.enabled_rules() or self.custom):
            raise invalid(
                "empty_resource_policies",
                "resource policies are enabled but every rule is off; turn a rule on, add a `custom` one or set `enabled: false`",
            )
        return self


def _unique_names(items: list[Any], attribute: str, what: str) -> None:
    unique([getattr(item, attribute) for item in items], what)


def check_channels(channels: list[NotificationChannel]) -> list[NotificationChannel]:
    _unique_names(channels, "name", "channel name")
    return channels


def check_integrations(integrations: list[Integration]) -> list[Integration]:
    # Atlas keeps one integration per type per project; a second would overwrite the first.
    _unique_names(integrations, "type", "integration type")
    return integrations


NotificationList = Annotated[list[NotificationChannel], AfterValidator(check_channels)]
IntegrationList = Annotated[list[Integration], AfterValidator(check_integrations)]
