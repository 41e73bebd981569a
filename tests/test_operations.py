"""Alert baseline, notification channels, integrations, auditing and resource policies under mocks."""

from __future__ import annotations

import json

from atlas_platform.components.atlas_rules import RULE_IDS
from stackconfig.alert_catalog import HOST_METRIC_NAMES, PROJECT_ALERT_EVENT_TYPES
from stackconfig.operations import BASELINE, BASELINE_KEYS, DDL_ATYPES, USER_AND_ROLE_ATYPES, BaselineTuning
from tests.conftest import key

ALERT = "mongodbatlas:index/alertConfiguration:AlertConfiguration"
INTEGRATION = "mongodbatlas:index/thirdPartyIntegration:ThirdPartyIntegration"
AUDITING = "mongodbatlas:index/auditing:Auditing"
POLICY = "mongodbatlas:index/resourcePolicy:ResourcePolicy"
PROJECT = "mongodbatlas:index/project:Project"
BASELINE_COMPONENT = "atlas-platform:index:AlertBaseline"
AUDIT_COMPONENT = "atlas-platform:index:ProjectAuditing"
POLICY_COMPONENT = "atlas-platform:index:AtlasResourcePolicies"


def alerts_by_key(plan):
    return {r.name.split("-alert-", 1)[1]: r for r in plan.of_type(ALERT)}


def channel_types(alert):
    return sorted(n["typeName"] for n in alert.inputs["notifications"])


# --- the catalog and the baseline --------------------------------------------------------------


def test_every_baseline_event_type_and_metric_is_in_atlas_list():
    for alert in BASELINE:
        assert alert.event_type in PROJECT_ALERT_EVENT_TYPES, alert.key
        if alert.metric:
            assert alert.event_type == "OUTSIDE_METRIC_THRESHOLD"
            assert alert.metric in HOST_METRIC_NAMES, alert.key


def test_every_baseline_alert_has_a_tuning_key():
    aliases = [f.alias for f in BaselineTuning.model_fields.values()]
    assert aliases == list(BASELINE_KEYS)


# --- prod: the baseline ------------------------------------------------------------------------


def test_prod_registers_the_whole_baseline_plus_its_custom_alert(plans):
    plan = plans("prod")
    alerts = plan.of_type(ALERT)
    assert len(alerts) >= 8
    assert len(alerts) == len(BASELINE) + 1
    events = {a.inputs["eventType"] for a in alerts}
    assert {
        "HOST_DOWN",
        "NO_PRIMARY",
        "REPLICATION_OPLOG_WINDOW_RUNNING_OUT",
        "CPS_SNAPSHOT_FAILED",
        "CPS_SNAPSHOT_BEHIND",
    } <= events
    assert {"NETWORK_PERMISSION_ENTRY_ADDED", "JOINED_GROUP", "USER_ROLES_CHANGED_AUDIT"} <= events
    assert all(a.inputs["enabled"] is True for a in alerts)
    project = plan.one(PROJECT)
    assert all(a.inputs["projectId"] == project.id for a in alerts)


def test_prod_alerts_are_children_of_the_baseline_and_named_from_stable_keys(plans):
    plan = plans("prod")
    component = plan.one(BASELINE_COMPONENT)
    for alert in plan.of_type(ALERT):
        assert alert.parent == component.urn
        assert alert.name.startswith(f"{component.name}-alert-")
    assert set(alerts_by_key(plan)) == {k.lower() for k in BASELINE_KEYS} | {"memory-used"}


def test_metric_alerts_carry_their_metric_and_default_or_tuned_threshold(plans):
    alerts = alerts_by_key(plans("prod"))
    lag = alerts["replicationlag"].inputs["metricThresholdConfig"]
    assert lag == {
        "metricName": "OPLOG_SLAVE_LAG_MASTER_TIME",
        "operator": "GREATER_THAN",
        "threshold": 120.0,
        "units": "SECONDS",
        "mode": "AVERAGE",
    }
    assert alerts["cpu"].inputs["metricThresholdConfig"]["metricName"] == "NORMALIZED_SYSTEM_CPU_USER"
    assert alerts["cpu"].inputs["metricThresholdConfig"]["threshold"] == 80.0
    assert alerts["connections"].inputs["metricThresholdConfig"]["metricName"] == "CONNECTIONS_PERCENT"
    assert (
        alerts["querytargeting"].inputs["metricThresholdConfig"]["metricName"] == "QUERY_TARGETING_SCANNED_OBJECTS_PER_RETURNED"
    )
    # Pulumi.prod.yaml tunes the disk alert to 75.
    assert alerts["diskspaceused"].inputs["metricThresholdConfig"]["threshold"] == 75.0
    assert "thresholdConfig" not in alerts["cpu"].inputs


def test_event_thresholds_use_threshold_config(plans):
    alerts = alerts_by_key(plans("prod"))
    assert alerts["oplogwindow"].inputs["thresholdConfig"] == {"operator": "LESS_THAN", "threshold": 24.0, "units": "HOURS"}
    assert alerts["snapshotbehind"].inputs["thresholdConfig"] == {"operator": "GREATER_THAN", "threshold": 12.0, "units": "HOURS"}
    assert "metricThresholdConfig" not in alerts["oplogwindow"].inputs
    for plain in ("hostdown", "noprimary", "snapshotfailed", "accesslistentryadded"):
        assert "thresholdConfig" not in alerts[plain].inputs and "metricThresholdConfig" not in alerts[plain].inputs


def test_custom_alert_uses_its_atlas_metric(plans):
    custom = alerts_by_key(plans("prod"))["memory-used"].inputs
    assert custom["eventType"] == "OUTSIDE_METRIC_THRESHOLD"
    assert custom["metricThresholdConfig"]["metricName"] == "SYSTEM_MEMORY_PERCENT_USED"
    assert custom["notifications"][0]["delayMin"] == 10


def test_alerts_reach_the_channels_of_their_category(plans):
    alerts = alerts_by_key(plans("prod"))
    # oncall-pager: availability, replication, backup; security-webhook: security only.
    assert channel_types(alerts["hostdown"]) == ["EMAIL", "PAGER_DUTY", "SLACK"]
    assert channel_types(alerts["snapshotfailed"]) == ["EMAIL", "PAGER_DUTY", "SLACK"]
    assert channel_types(alerts["cpu"]) == ["EMAIL", "SLACK"]
    assert channel_types(alerts["memberroleschanged"]) == ["EMAIL", "SLACK", "WEBHOOK"]


def test_channel_keys_reach_the_engine_only_as_secrets(plans):
    alerts = alerts_by_key(plans("prod"))
    host_down = alerts["hostdown"]
    pager = next(n for n in host_down.inputs["notifications"] if n["typeName"] == "PAGER_DUTY")
    slack = next(n for n in host_down.inputs["notifications"] if n["typeName"] == "SLACK")
    assert pager["serviceKey"] == "offline-placeholder-secret" and slack["apiToken"] == "offline-placeholder-secret"
    # Each key is secret where it is: the rest of the list (who gets alerted) is not.
    notifications = host_down.inputs["notifications"]
    assert f"notifications[{notifications.index(pager)}].serviceKey" in host_down.secret_inputs
    assert f"notifications[{notifications.index(slack)}].apiToken" in host_down.secret_inputs
    assert "notifications" not in host_down.secret_inputs
    assert not any(path.endswith((".typeName", ".channelName", ".emailAddress")) for path in host_down.secret_inputs)
    joined = alerts["memberjoined"].inputs["notifications"]
    webhook = next(n for n in joined if n["typeName"] == "WEBHOOK")
    assert webhook["webhookSecret"] == "offline-placeholder-secret"
    assert f"notifications[{joined.index(webhook)}].webhookSecret" in alerts["memberjoined"].secret_inputs


def test_pager_duty_notifications_leave_the_repeat_interval_to_pager_duty(plans):
    host_down = alerts_by_key(plans("prod"))["hostdown"]
    pager = next(n for n in host_down.inputs["notifications"] if n["typeName"] == "PAGER_DUTY")
    email = next(n for n in host_down.inputs["notifications"] if n["typeName"] == "EMAIL")
    assert "intervalMin" not in pager
    assert email["intervalMin"] == 60 and email["emailAddress"] == "payments-dba@example.com"


def test_baseline_delays_damp_flapping_metrics(plans):
    alerts = alerts_by_key(plans("prod"))
    assert {n["delayMin"] for n in alerts["cpu"].inputs["notifications"]} == {10}
    assert {n["delayMin"] for n in alerts["hostdown"].inputs["notifications"]} == {0}


def test_datadog_integration_key_is_secret(plans):
    integration = plans("prod").one(INTEGRATION)
    assert integration.inputs["type"] == "DATADOG" and integration.inputs["region"] == "US"
    assert integration.inputs["sendDatabaseMetrics"] is True
    assert "apiKey" in integration.secret_inputs
    assert integration.parent == plans("prod").one(BASELINE_COMPONENT).urn


def test_alert_ids_are_exported(plans):
    ids = plans("prod").exports["alertConfigurationIds"]
    assert set(ids) == set(BASELINE_KEYS) | {"memory-used"}
    assert all(len(v) == 24 for v in ids.values())


# --- other stacks and switches ------------------------------------------------------------------


def test_staging_alerts_are_opt_in_and_tuned(plans):
    alerts = alerts_by_key(plans("staging"))
    assert "userswithoutmfa" not in alerts
    assert alerts["cpu"].inputs["metricThresholdConfig"]["threshold"] == 90.0
    datadog = next(n for n in alerts["cpu"].inputs["notifications"] if n["typeName"] == "DATADOG")
    assert datadog["datadogRegion"] == "EU" and datadog["datadogApiKey"] == "offline-placeholder-secret"
    index = alerts["cpu"].inputs["notifications"].index(datadog)
    assert f"notifications[{index}].datadogApiKey" in alerts["cpu"].secret_inputs
    assert channel_types(alerts["hostdown"]) == ["SLACK"]


def test_dev_has_no_alerts_auditing_or_policies(plans):
    plan = plans("dev")
    assert plan.of_type(ALERT) == [] and plan.of_type(AUDITING) == [] and plan.of_type(POLICY) == []


def test_alerts_are_on_by_default_in_prod(plan_variant):
    plan = plan_variant("prod", lambda c: c.pop(key("alerts")))
    assert len(plan.of_type(ALERT)) == len(BASELINE)


def test_disabled_baseline_alert_is_not_created(plan_variant):
    def change(config):
        config[key("alerts")]["baseline"]["cpu"] = {"enabled": False}

    assert "cpu" not in alerts_by_key(plan_variant("prod", change))


def test_alert_without_a_channel_for_its_category_emails_the_project_owners(plan_variant):
    def change(config):
        config.pop(key("notifications"))
        for name in ("pagerDutyServiceKey", "slackBotToken", "siemWebhookSecret"):  # else secrets nobody names
            config.pop(key(name))

    alerts = alerts_by_key(plan_variant("prod", change))
    notifications = alerts["hostdown"].inputs["notifications"]
    assert notifications == [
        {
            "typeName": "GROUP",
            "delayMin": 0,
            "intervalMin": 60,
            "emailEnabled": True,
            "smsEnabled": False,
            "roles": ["GROUP_OWNER", "GROUP_CLUSTER_MANAGER"],
        }
    ]
    assert alerts["hostdown"].secret_inputs == set()


# --- auditing --------------------------------------------------------------------------------


def test_prod_auditing_is_on_with_the_default_filter_and_its_extension(plans):
    plan = plans("prod")
    auditing = plan.one(AUDITING)
    assert auditing.inputs["enabled"] is True
    assert auditing.inputs["auditAuthorizationSuccess"] is False
    assert auditing.inputs["projectId"] == plan.one(PROJECT).id
    assert auditing.parent == plan.one(AUDIT_COMPONENT).urn
    clauses = json.loads(auditing.inputs["auditFilter"])["$or"]
    assert {"atype": "authenticate", "result": {"$ne": 0}} in clauses
    assert {"atype": {"$in": list(USER_AND_ROLE_ATYPES)}} in clauses
    assert {"atype": {"$in": list(DDL_ATYPES)}} in clauses
    assert {"atype": "authCheck", "param.command": {"$in": ["drop", "dropDatabase"]}} in clauses
    assert {"createUser", "grantRolesToUser", "dropRole"} <= set(USER_AND_ROLE_ATYPES)
    assert {"createCollection", "dropDatabase", "createIndex"} <= set(DDL_ATYPES)
    assert plan.exports["auditingEnabled"] is True


def test_prod_audits_even_without_an_auditing_key(plan_variant):
    plan = plan_variant("prod", lambda c: c.pop(key("auditing")))
    assert plan.one(AUDITING).inputs["enabled"] is True


def test_audit_clause_can_be_a_yaml_mapping(plan_variant):
    def change(config):
        config[key("auditing")] = {"extraFilters": [{"atype": "dropCollection", "param.ns": {"$regex": "^payments\\."}}]}

    clauses = json.loads(plan_variant("prod", change).one(AUDITING).inputs["auditFilter"])["$or"]
    assert clauses[-1] == {"atype": "dropCollection", "param.ns": {"$regex": "^payments\\."}}


# --- resource policies -----------------------------------------------------------------------


def test_prod_manages_the_org_resource_policies(plans):
    plan = plans("prod")
    component = plan.one(POLICY_COMPONENT)
    policies = {p.inputs["name"]: p for p in plan.of_type(POLICY)}
    # Every rule of the table (prod is production with a cluster, so the production-only rule too).
    assert sorted(policies) == sorted(RULE_IDS)
    for policy in policies.values():
        assert policy.inputs["orgId"] == "5f0000000000000000000a01"
        assert policy.parent == component.urn
    open_cidr = policies["forbid-open-access-list"].inputs["policies"][0]["body"]
    assert 'ResourcePolicy::Action::"project.ipAccessList.modify"' in open_cidr
    assert 'ipAccessList.contains(ip("0.0.0.0/0"))' in open_cidr
    tls = policies["require-tls12"].inputs["policies"][0]["body"]
    assert 'ResourcePolicy::Action::"cluster.modify"' in tls
    assert '"tls1_0"' in tls and '"tls1_1"' in tls and '"tls1_2"' not in tls


def test_a_policy_rule_can_be_switched_off(plan_variant):
    def change(config):
        config[key("resourcePolicies")]["requireTls12"] = False

    names = {p.inputs["name"] for p in plan_variant("prod", change).of_type(POLICY)}
    assert names == RULE_IDS - {"require-tls12"}


def test_staging_does_not_manage_org_policies(plans):
    assert plans("staging").of_type(POLICY) == []


# --- production alerting off: a written reason, and the pack's advisory ------------------------------

ALERTS_POLICY = "atlas-prod-alerts"


def test_prod_with_alerting_off_plans_no_alert_and_the_pack_flags_it(policy_pack, variant_plans):
    plan = variant_plans("prod/alert-baseline-off")
    assert plan.of_type(ALERT) == []
    report = policy_pack.check_plan(plan)
    assert ALERTS_POLICY in report.policies("advisory") and ALERTS_POLICY not in report.policies("mandatory")
    (finding,) = [f for f in report.advisory if f.policy == ALERTS_POLICY]
    assert finding.resource_type == PROJECT
    assert "set optOutReason for atlas-prod-alerts in the policy config" in finding.message


def test_the_pack_takes_the_reason_from_the_policy_config_and_passes_a_prod_stack_with_alerts(policy_pack, plans, variant_plans):
    assert ALERTS_POLICY not in policy_pack.check_plan(plans("prod")).policies("advisory")
    plan = variant_plans("prod/alert-baseline-off")

    def advisories(reason: str) -> set[str]:
        return policy_pack.check_plan(plan, policy_config={ALERTS_POLICY: {"optOutReason": reason}}).policies("advisory")

    assert ALERTS_POLICY not in advisories("alerts come from the SRE team's Prometheus, OPS-12")
    assert ALERTS_POLICY in advisories("  ")


def test_the_pack_does_not_judge_alerting_outside_production(policy_pack, plans):
    assert ALERTS_POLICY not in policy_pack.check_plan(plans("dev")).policies("advisory")
