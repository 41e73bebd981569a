"""Bad `logExport` and `snapshotExport` input ends in one clean ConfigError naming the key path and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import ConfigError
from tests.conftest import STACKS, key, load_stack, stack_config


def problem(stack: str, change: Callable[[dict[str, Any]], None]) -> str:
    config = stack_config(stack)
    change(config)
    with pytest.raises(ConfigError) as caught:
        load_stack(stack, config)
    assert len(caught.value.problems) == 1, caught.value
    return str(caught.value)


def logs(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config.setdefault(key("logExport"), {}).update(values)

    return change


def snapshots(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config.setdefault(key("snapshotExport"), {}).update(values)

    return change


BAD_INPUT = [
    # (stack, change, key path, words of the fix)
    ("prod", logs(enabled=False), "atlas-platform:logExport:", "add optOutReason"),
    ("prod", logs(logTypes=["MONGOD"]), "atlas-platform:logExport:", "add MONGOD_AUDIT"),
    ("prod", logs(logTypes=["MONGOD", "MONGOD_AUDT"]), "atlas-platform:logExport.logTypes[1]:", "did you mean 'MONGOD_AUDIT'?"),
    ("prod", logs(logTypes=["MONGOD", "MONGOD"]), "atlas-platform:logExport.logTypes:", "keep one entry"),
    ("prod", logs(logTypes=[]), "atlas-platform:logExport.logTypes:", "write at least one of"),
    ("prod", logs(lifecycle={"expireDays": 90}), "atlas-platform:logExport:", "write expireDays: 365 or more"),
    (
        "prod",
        logs(lifecycle={"transitionDays": 10, "storageClass": "STANDARD_IA"}),
        "atlas-platform:logExport.lifecycle:",
        "write transitionDays: 30 or more",
    ),
    (
        "prod",
        logs(lifecycle={"transitionDays": 500, "expireDays": 400}),
        "atlas-platform:logExport.lifecycle:",
        "make transitionDays smaller than expireDays",
    ),
    (
        "prod",
        logs(lifecycle={"storageClass": "GLACIER_FAST"}),
        "atlas-platform:logExport.lifecycle.storageClass:",
        "write one of",
    ),
    ("prod", logs(bucketName="Payments_Logs"), "atlas-platform:logExport.bucketName:", "is not a valid S3 bucket name"),
    ("prod", logs(prefixPath="/atlas-logs/"), "atlas-platform:logExport.prefixPath:", "no leading or trailing slash"),
    ("prod", logs(kmsKeyArn="alias/atlas-logs"), "atlas-platform:logExport.kmsKeyArn:", "a key ARN, not an alias"),
    ("prod", logs(optOutReason="we ship logs elsewhere today"), "atlas-platform:logExport:", "remove optOutReason"),
    ("staging", logs(enabled=True, optOutReason="not needed in staging"), "atlas-platform:logExport:", "remove optOutReason"),
    ("prod", snapshots(frequency="daily"), "atlas-platform:snapshotExport.frequency:", "write one of: monthly, weekly"),
    ("prod", snapshots(bucketName="ab"), "atlas-platform:snapshotExport.bucketName:", "is not a valid S3 bucket name"),
]


@pytest.mark.parametrize(("stack", "change", "path", "fix"), BAD_INPUT, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_INPUT)])
def test_bad_export_input_is_refused_with_the_key_path_and_the_fix(stack, change, path, fix):
    message = problem(stack, change)
    assert f"Pulumi.{stack}.yaml: {path}" in message
    assert fix in message


def test_audit_log_export_without_auditing_is_refused():
    def change(config):
        config[key("auditing")] = {"enabled": False}
        config[key("logExport")] = {"enabled": True, "logTypes": ["MONGOD_AUDIT"]}

    message = problem("staging", change)
    assert "atlas-platform:logExport:" in message
    assert "set `auditing.enabled: true`" in message


def test_snapshot_export_without_a_cluster_is_refused():
    def change(config):
        config.pop(key("cluster"), None)
        config[key("snapshotExport")] = {"enabled": True}
        for k in (key("databaseUsers"), key("customRoles")):
            config.pop(k, None)
        config.get(key("network"), {}).pop("privateEndpoints", None)

    message = problem("staging", change)
    assert "atlas-platform:snapshotExport:" in message
    assert "there are no snapshots to export" in message


def test_prod_opt_out_with_a_reason_loads_and_exports_nothing():
    config = stack_config("prod")
    config[key("logExport")] = {"enabled": False, "optOutReason": "audit logs go to the SIEM through Splunk, ticket SEC-88"}
    cfg = load_stack("prod", config)
    assert not cfg.log_export.resolved_enabled(cfg.is_prod)


@pytest.mark.parametrize("stack", STACKS)
def test_every_production_stack_exports_its_audit_log_or_says_why(stack):
    cfg = load_stack(stack)
    if not cfg.is_prod:
        return
    logs = cfg.log_export
    assert (logs.resolved_enabled(True) and "MONGOD_AUDIT" in logs.log_types) or logs.opt_out_reason
