"""Bad operations config ends in one clean ConfigError naming the key path and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from atlas_platform.components.atlas_rules import RULES
from stackconfig import ConfigError, StackConfig
from tests.conftest import key, load_stack, stack_config


def load(tmp_path: Path, stack: str, change: Callable[[dict[str, Any]], None]) -> StackConfig:
    """Validate a changed stack file without running the program."""
    config = stack_config(stack)
    change(config)
    return load_stack(stack, config)


def problem(tmp_path: Path, stack: str, change: Callable[[dict[str, Any]], None]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, stack, change)
    assert len(caught.value.problems) == 1, caught.value
    return str(caught.value)


def tune(alert: str, value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[key("alerts")].setdefault("baseline", {})[alert] = value

    return change


# --- through the program (plan_variant) ------------------------------------------------------


def test_unknown_alert_type_is_refused_with_the_valid_list(plan_variant):
    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", tune("diskSpace", {"threshold": 70}))
    message = str(caught.value)
    assert "atlas-platform:alerts.baseline.diskSpace: unknown key" in message
    assert "did you mean 'diskSpaceUsed'?" in message
    assert "hostDown, noPrimary, replicationLag, oplogWindow, diskSpaceUsed, cpu, connections" in message


def test_percentage_threshold_above_100_is_refused(plan_variant):
    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", tune("cpu", {"threshold": 180}))
    message = str(caught.value)
    assert "atlas-platform:alerts.baseline.cpu.threshold:" in message
    assert "180.0 is outside 1-100; write a percentage in that range (e.g. 80)" in message


def test_plain_text_channel_key_is_refused_with_the_command_that_fixes_it(plan_variant):
    def change(config):
        config[key("notifications")].append({"name": "second-pager", "type": "PAGER_DUTY", "serviceKeySecret": "secondPagerKey"})
        config[key("secondPagerKey")] = "0123456789abcdef"

    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", change)
    message = str(caught.value)
    assert "atlas-platform:secondPagerKey: is in plain text, but it is named as a secret" in message
    assert "pulumi config set --secret atlas-platform:secondPagerKey <value> --stack prod" in message
    assert "0123456789abcdef" not in message


def test_a_channel_key_written_inside_the_channel_is_refused(plan_variant):
    """The old nested form: a key in the channel itself, which the engine could not mark secret on its own."""

    def change(config):
        config[key("notifications")][1]["serviceKey"] = "0123456789abcdef"

    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", change)
    message = str(caught.value)
    assert "atlas-platform:notifications[1].serviceKey: unknown key; did you mean 'serviceKeySecret'?" in message
    assert "0123456789abcdef" not in message


def test_invalid_audit_filter_json_is_refused(plan_variant):
    def change(config):
        config[key("auditing")] = {"extraFilters": ['{"atype": "dropCollection"']}

    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", change)
    message = str(caught.value)
    assert "atlas-platform:auditing.extraFilters[0]:" in message
    assert "is not valid JSON" in message and 'write one JSON object, e.g. {"atype": "dropCollection"}' in message


# --- through the loader ------------------------------------------------------------------------


def test_threshold_on_an_event_alert_is_refused(tmp_path):
    message = problem(tmp_path, "prod", tune("hostDown", {"threshold": 3}))
    assert "alerts.baseline.hostDown.threshold: unknown key; valid keys here: enabled, delayMin" in message


@pytest.mark.parametrize(
    ("alert", "value", "expected"),
    [
        ("oplogWindow", 0, "0.0 is outside 1-720; write a number of hours in that range (e.g. 24)"),
        ("oplogWindow", 1.5, "1.5 is not a whole number; Atlas takes a number of hours as an integer (e.g. 24)"),
        ("replicationLag", -5, "-5.0 is outside 1-86400"),
        ("queryTargeting", 0.5, "0.5 is outside 1-1e+06"),
    ],
)
def test_bad_thresholds_are_refused(tmp_path, alert, value, expected):
    message = problem(tmp_path, "prod", tune(alert, {"threshold": value}))
    assert f"alerts.baseline.{alert}.threshold:" in message
    assert expected in message


def test_non_numeric_threshold_is_refused(tmp_path):
    message = problem(tmp_path, "prod", tune("cpu", {"threshold": "high"}))
    assert "alerts.baseline.cpu.threshold: Input should be a valid number" in message
    assert "(got 'high')" in message


def test_custom_alert_with_an_invented_event_type_is_refused(tmp_path):
    def change(config):
        config[key("alerts")]["custom"][0]["eventType"] = "HOST_DOWNN"

    message = problem(tmp_path, "prod", change)
    assert "alerts.custom[0].eventType: 'HOST_DOWNN' is not an alert event type Atlas accepts" in message
    assert "did you mean 'HOST_DOWN'" in message and "stackconfig/alert_catalog.py" in message


def test_custom_alert_with_an_invented_metric_is_refused(tmp_path):
    def change(config):
        config[key("alerts")]["custom"][0]["metric"] = "MEMORY_PERCENT_USED"

    message = problem(tmp_path, "prod", change)
    assert "alerts.custom[0].metric: 'MEMORY_PERCENT_USED' is not a host metric name Atlas accepts" in message
    assert "SYSTEM_MEMORY_PERCENT_USED" in message


def test_custom_metric_alert_needs_a_metric(tmp_path):
    def change(config):
        del config[key("alerts")]["custom"][0]["metric"]

    message = problem(tmp_path, "prod", change)
    assert "alerts.custom[0]: alert 'memory-used': OUTSIDE_METRIC_THRESHOLD needs `metric`" in message


def test_custom_alert_threshold_needs_units(tmp_path):
    def change(config):
        del config[key("alerts")]["custom"][0]["units"]

    assert "alert 'memory-used': add `units` with `threshold` (e.g. RAW, SECONDS or HOURS)" in problem(tmp_path, "prod", change)


def test_custom_event_alert_with_a_threshold_uses_threshold_config(plan_variant):
    def change(config):
        config[key("alerts")]["custom"].append(
            {
                "name": "elections",
                "eventType": "TOO_MANY_ELECTIONS",
                "category": "availability",
                "operator": "GREATER_THAN",
                "threshold": 3,
                "units": "RAW",
            }
        )

    plan = plan_variant("prod", change)
    elections = next(
        r for r in plan.of_type("mongodbatlas:index/alertConfiguration:AlertConfiguration") if r.name.endswith("-alert-elections")
    )
    assert elections.inputs["eventType"] == "TOO_MANY_ELECTIONS"
    assert elections.inputs["thresholdConfig"] == {"operator": "GREATER_THAN", "threshold": 3.0, "units": "RAW"}
    assert "metricThresholdConfig" not in elections.inputs


def test_custom_alert_cannot_reuse_a_baseline_name(tmp_path):
    def change(config):
        config[key("alerts")]["custom"][0]["name"] = "cpu"

    assert "custom alert name 'cpu' is taken by the baseline; pick another name" in problem(tmp_path, "prod", change)


def test_channel_missing_its_key_is_refused_with_how_to_set_it(tmp_path):
    def change(config):
        del config[key("notifications")][1]["serviceKeySecret"]
        del config[key("pagerDutyServiceKey")]  # else it is a secret nobody names

    message = problem(tmp_path, "prod", change)
    assert "notifications[1]: a PAGER_DUTY channel ('oncall-pager') needs `serviceKeySecret`" in message
    assert "`pulumi config set --secret <name> <value>`, and write `serviceKeySecret: <name>`" in message


def test_channel_key_of_another_type_is_refused(tmp_path):
    def change(config):
        config[key("notifications")][0]["channelName"] = "#oops"

    assert "`channelName` does not belong to a EMAIL channel ('dba-email'); remove it" in problem(tmp_path, "prod", change)


def test_unknown_channel_type_is_refused_with_the_valid_list(tmp_path):
    def change(config):
        config[key("notifications")][0]["type"] = "PAGERDUTY"

    message = problem(tmp_path, "prod", change)
    assert "notifications[0].type: 'PAGERDUTY' is not a notification channel type; did you mean 'PAGER_DUTY'?" in message
    assert "EMAIL, SLACK, PAGER_DUTY, DATADOG, WEBHOOK" in message


def test_webhook_must_use_https(tmp_path):
    def change(config):
        config[key("notifications")][3]["url"] = "http://siem.example.com/atlas"

    assert "notifications[3].url: 'http://siem.example.com/atlas' is not an https URL" in problem(tmp_path, "prod", change)


def test_duplicate_channel_names_are_refused(tmp_path):
    def change(config):
        config[key("notifications")][1]["name"] = "dba-email"

    assert "channel name 'dba-email' appears at [0] and [1]; keep one entry" in problem(tmp_path, "prod", change)


def test_unknown_category_is_refused(tmp_path):
    def change(config):
        config[key("notifications")][1]["categories"] = ["availability", "backups"]

    message = problem(tmp_path, "prod", change)
    assert "notifications[1].categories[1]: 'backups' is not an alert category; did you mean 'backup'?" in message


def test_plain_text_integration_key_is_refused(tmp_path):
    def change(config):
        config[key("integrations")].append({"type": "PAGER_DUTY", "serviceKeySecret": "pagerIntegrationKey"})
        config[key("pagerIntegrationKey")] = "plain"

    message = problem(tmp_path, "prod", change)
    assert "atlas-platform:pagerIntegrationKey: is in plain text, but it is named as a secret" in message
    assert "pulumi config set --secret atlas-platform:pagerIntegrationKey <value> --stack prod" in message


def test_second_integration_of_a_type_is_refused(tmp_path):
    def change(config):
        config[key("integrations")].append({"type": "DATADOG", "apiKeySecret": "datadogApiKey"})

    assert "integration type 'DATADOG' appears at [0] and [1]; keep one entry" in problem(tmp_path, "prod", change)


def test_integration_region_must_fit_its_type(tmp_path):
    def change(config):
        config[key("integrations")][0]["region"] = "EU1"

    assert "'EU1' is not a DATADOG region; write one of: US, EU, US3, US5, AP1, US1_FED" in problem(tmp_path, "prod", change)


def test_secure_channel_keys_load_as_secrets(tmp_path):
    def change(config):
        config[key("notifications")].append({"name": "extra-pager", "type": "PAGER_DUTY", "serviceKeySecret": "extraPagerKey"})
        config[key("extraPagerKey")] = {"secure": "AAABAextra"}

    cfg = load(tmp_path, "prod", change)
    secret = cfg.secret(cfg.notifications[4].service_key_secret)
    assert secret is not None
    assert repr(secret) == "Secret('[secret]')"


def test_audit_clause_must_be_an_object(tmp_path):
    def change(config):
        config[key("auditing")] = {"extraFilters": ['["dropCollection"]']}

    message = problem(tmp_path, "prod", change)
    assert "auditing.extraFilters[0]: ['dropCollection'] is not a non-empty JSON object" in message


def test_prod_refuses_to_turn_auditing_off(tmp_path):
    message = problem(tmp_path, "prod", lambda c: c.__setitem__(key("auditing"), {"enabled": False}))
    assert "atlas-platform:auditing: database auditing cannot be turned off in prod; remove `enabled: false`" in message


def test_prod_keeps_the_default_audit_filter(tmp_path):
    def change(config):
        config[key("auditing")] = {"includeDefaultFilter": False, "extraFilters": ['{"atype": "dropDatabase"}']}

    assert "prod keeps the default audit filter" in problem(tmp_path, "prod", change)


def test_staging_may_replace_the_default_audit_filter(tmp_path):
    def change(config):
        config[key("auditing")] = {"enabled": True, "includeDefaultFilter": False, "extraFilters": ['{"atype": "dropDatabase"}']}

    cfg = load(tmp_path, "staging", change)
    assert cfg.auditing.filter_document() == {"$or": [{"atype": "dropDatabase"}]}


def test_resource_policies_with_every_rule_off_are_refused(tmp_path):
    def change(config):
        config[key("resourcePolicies")] = {"enabled": True, **{rule.switch: False for rule in RULES}}

    assert "resource policies are enabled but every rule is off" in problem(tmp_path, "prod", change)


@pytest.mark.parametrize("atype, command", [("dropCollection", "drop"), ("createIndex", "createIndexes")])
def test_audit_clause_naming_an_atype_as_the_command_is_refused_with_the_command(tmp_path, atype, command):
    def change(config):
        config[key("auditing")] = {
            "extraFilters": [{"$and": [{"atype": "authCheck"}, {"param.command": {"$in": [atype, "dropDatabase"]}}]}]
        }

    message = problem(tmp_path, "prod", change)
    assert "Pulumi.prod.yaml" in message and "atlas-platform:auditing.extraFilters[0]:" in message
    assert f"param.command {atype!r} is an audit event type, not a command name" in message
    assert f"write {command!r}" in message


# --- no credential in an ordinary field: it would be planned, printed and kept in the clear ---------


def _channel(name: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        channel = next(c for c in config[key("notifications")] if c["name"] == name)
        channel.update(fields)

    return change


SLACK_HOOK = "https://hooks.slack.com/services/T0000SLACK/B0000HOOK/abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        pytest.param(SLACK_HOOK, "is a Slack incoming-webhook URL, whose path is its credential", id="slack-webhook"),
        pytest.param(
            "https://siem.example.com/hook?token=s3cr3tvalue", "carries a credential in its query (`token=`)", id="token"
        ),
        pytest.param("https://siem.example.com/hook?source=atlas&api_key=k", "(`api_key=`)", id="api-key"),
        pytest.param("https://x.example.com/hook?sv=2024&sig=abc%3D", "(`sig=`)", id="signature"),
        pytest.param("https://x.example.com/hook?X-Api-Key=abc", "(`X-Api-Key=`)", id="header-style-key"),
        pytest.param("https://x.example.com/hook?auth_token=abc", "(`auth_token=`)", id="suffix-token"),
        pytest.param("https://atlas:hunter22@siem.example.com/hook", "has a user name or password", id="userinfo"),
    ],
)
def test_a_credential_in_a_webhook_url_is_refused_without_repeating_it(tmp_path, url, said):
    message = problem(tmp_path, "prod", _channel("security-webhook", url=url))
    assert "atlas-platform:notifications[3].url: the URL (not repeated here)" in message
    assert said in message
    assert "secret config key" in message
    for part in ("abcdefghijklmnopqrstuvwx", "s3cr3tvalue", "hunter22", "abc%3D"):
        assert part not in message


def test_a_credential_in_an_integration_url_is_refused(tmp_path):
    def change(config):
        config[key("integrations")].append({"type": "WEBHOOK", "url": "https://siem.example.com/in?key=abc"})

    assert "integrations[1].url: the URL (not repeated here) carries a credential in its query (`key=`)" in problem(
        tmp_path, "prod", change
    )


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        pytest.param("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "a Slack token", id="bot-token"),
        pytest.param("xoxp-1234-5678-abcd", "a Slack token", id="user-token"),
        pytest.param("0123456789abcdef0123456789abcdef", "a long hex secret", id="hex"),
        pytest.param("#dGhpcyBpcyBhIHNlY3JldCBrZXkgb2YgNDA9Qm9i", "a long base64 secret", id="base64"),
        pytest.param(SLACK_HOOK, "a URL", id="url"),
    ],
)
def test_a_token_pasted_into_channel_name_is_refused(tmp_path, name, shape):
    message = problem(tmp_path, "prod", _channel("ops-slack", channelName=name))
    assert f"atlas-platform:notifications[2].channelName: the value (not repeated here) looks like {shape}" in message
    assert "apiTokenSecret" in message and name not in message


@pytest.mark.parametrize(
    "fields",
    [
        {"url": "https://siem.example.com/atlas/payments-prod"},
        {"url": "https://siem.example.com/atlas/hook?source=atlas&format=json"},
        {"url": "https://siem.example.com/atlas/hook?country_code=de&keyword=atlas&monkey=1"},
        {"url": "https://hooks.example.com/services/payments"},
    ],
)
def test_plain_webhook_urls_are_accepted(tmp_path, fields):
    assert load(tmp_path, "prod", _channel("security-webhook", **fields)).notifications[3].url == fields["url"]


@pytest.mark.parametrize(
    "name", ["#ops-alerts", "payments-prod-alerts", "#payments-prod-database-alerts-critical-escalations-2026", "#ops_alerts_eu1"]
)
def test_ordinary_channel_names_are_accepted(tmp_path, name):
    assert load(tmp_path, "prod", _channel("ops-slack", channelName=name)).notifications[2].channel_name == name


# --- production alerting off only with a reason ------------------------------------------------------

ALERTS_REASON = "the SRE team's Prometheus alerts on this cluster instead, ticket OPS-12"


def _alerts(value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.__setitem__(key("alerts"), value)


def test_prod_alerting_off_without_a_reason_is_refused(tmp_path):
    message = problem(tmp_path, "prod", _alerts({"enabled": False}))
    assert "atlas-platform:alerts: production creates its alerts, and `enabled: false` leaves none" in message
    assert "remove `enabled: false`, or add optOutReason" in message


def test_prod_with_every_baseline_alert_off_and_no_custom_alert_needs_a_reason_too(tmp_path):
    from stackconfig.operations import BASELINE_KEYS

    quiet = {"baseline": {k: {"enabled": False} for k in BASELINE_KEYS}}
    message = problem(tmp_path, "prod", _alerts(quiet))
    assert "every baseline alert is off and no `custom` one is written" in message
    assert load(tmp_path, "prod", _alerts({**quiet, "optOutReason": ALERTS_REASON})).alerts.opt_out_reason == ALERTS_REASON


def test_prod_alerting_off_with_a_reason_is_accepted():
    from tests.conftest import load_changed

    cfg = load_changed("prod", _alerts({"enabled": False, "optOutReason": ALERTS_REASON}))
    assert cfg.alerts.opt_out_reason == ALERTS_REASON and not cfg.production_defaults.alerts


@pytest.mark.parametrize(
    ("stack", "value", "said"),
    [
        ("prod", {"optOutReason": ALERTS_REASON}, "optOutReason is set but alerts are created; remove optOutReason"),
        ("staging", {"enabled": False, "optOutReason": ALERTS_REASON}, "optOutReason only applies to production"),
        ("prod", {"enabled": False, "optOutReason": "n/a"}, "String should have at least 20 characters"),
    ],
)
def test_an_alerts_opt_out_reason_is_refused_where_it_says_nothing(tmp_path, stack, value, said):
    assert said in problem(tmp_path, stack, _alerts(value))


# --- custom alert thresholds: in their metric's units and range --------------------------------------


def _custom(**fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[key("alerts")]["custom"][0].update(fields)

    return change


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        pytest.param(
            {"threshold": 150}, "SYSTEM_MEMORY_PERCENT_USED is a percentage, 0-100, so a threshold of 150", id="150-percent"
        ),
        pytest.param({"threshold": -10}, "threshold -10 is below 0", id="minus-10-percent"),
        pytest.param({"threshold": 100}, "never exceeds 100 %, so GREATER_THAN 100 never fires", id="above-100-percent"),
        pytest.param({"operator": "LESS_THAN", "threshold": 0}, "LESS_THAN 0 never fires", id="below-zero"),
        pytest.param(
            {"units": "SECONDS"}, "Atlas takes SYSTEM_MEMORY_PERCENT_USED in RAW units, not SECONDS; write units: RAW", id="units"
        ),
        pytest.param(
            {"metric": "OPLOG_SLAVE_LAG_MASTER_TIME", "units": "RAW", "threshold": 60},
            "in TIME units, not RAW; write units as one of: NANOSECONDS, MILLISECONDS",
            id="time-metric-in-raw",
        ),
        pytest.param(
            {"metric": "CONNECTIONS", "threshold": -1},
            "threshold -1 is below 0, and CONNECTIONS is never negative",
            id="negative-count",
        ),
        pytest.param(
            {
                "metric": None,
                "eventType": "REPLICATION_OPLOG_WINDOW_RUNNING_OUT",
                "operator": "LESS_THAN",
                "threshold": 1.5,
                "units": "HOURS",
            },
            "REPLICATION_OPLOG_WINDOW_RUNNING_OUT takes a whole-number threshold, not 1.5",
            id="fractional-event-threshold",
        ),
    ],
)
def test_a_custom_threshold_that_never_or_always_fires_is_refused(tmp_path, fields, said):
    message = problem(tmp_path, "prod", _custom(**fields))
    assert "atlas-platform:alerts.custom[0]: alert 'memory-used':" in message
    assert said in message


@pytest.mark.parametrize(
    "fields",
    [
        {"threshold": 0.5},
        {"threshold": 99.5},
        {"metric": "OPLOG_SLAVE_LAG_MASTER_TIME", "units": "MINUTES", "threshold": 2},
        {"metric": "CONNECTIONS", "threshold": 5000},
        {"metric": "MUNIN_CPU_USER", "threshold": 350},
        {"metric": "DB_STORAGE_TOTAL", "units": "GIGABYTES", "threshold": 500},
    ],
)
def test_custom_thresholds_in_range_and_units_are_accepted(tmp_path, fields):
    alert = load(tmp_path, "prod", _custom(**fields)).alerts.custom[0]
    assert (alert.metric, alert.threshold) == (fields.get("metric", "SYSTEM_MEMORY_PERCENT_USED"), fields["threshold"])


def test_the_metric_units_agree_with_the_vendored_atlas_spec():
    import json

    from stackconfig.alert_catalog import HOST_METRIC_NAMES, UNITS_BY_FAMILY, metric_unit_family
    from tests.conftest import ROOT

    schemas = json.loads((ROOT / "tools/atlas_api/spec/atlas-admin-v2.json").read_text())["components"]["schemas"]
    mapping = schemas["HostMetricThreshold"]["discriminator"]["mapping"]
    assert set(mapping) == set(HOST_METRIC_NAMES)
    for metric, ref in mapping.items():
        units = schemas[ref.rsplit("/", 1)[1]]["properties"]["units"]["$ref"].rsplit("/", 1)[1]
        assert tuple(schemas[units]["enum"]) == UNITS_BY_FAMILY[metric_unit_family(metric)], metric
