"""The stack-file transitions docs/changes.md lists ("Transitions"), as data: each optional feature on and
off, as edits of a fixture stack file, and what a `pulumi up` from one to the other must be.

A variant is a fixture stack with one edit (`VARIANTS`); a transition is a pair of variants and its
outcome (`TRANSITIONS`): `one edit` (plans without a hazard and nothing is refused) or `refused` (the
engine refuses a step at preview, before anything changes; docs/changes.md gives the steps). Each
variant is planned once per session (`variant_plans` in conftest.py) and serves every row and the
"omitted is not off" test (tests/test_omitted.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import key

Edit = Callable[[dict[str, Any]], None]

EXISTING_KEY = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OPT_OUT = "audit logs reach the SIEM through Splunk instead, ticket SEC-88"
ALERTS_OPT_OUT = "the SRE team's Prometheus alerts on this cluster instead, ticket OPS-12"


def _set(section: str, value: Any) -> Edit:
    return lambda config: config.__setitem__(key(section), value)


def _pop(section: str) -> Edit:
    return lambda config: config.pop(key(section), None)


def _both(*edits: Edit) -> Edit:
    def run(config: dict[str, Any]) -> None:
        for edit in edits:
            edit(config)

    return run


def _kms(require: bool, removed: bool = False) -> Edit:
    def run(config: dict[str, Any]) -> None:
        encryption: dict[str, Any] = {"enabled": True, "keyArn": EXISTING_KEY, "requirePrivateNetworking": require}
        if removed:
            encryption["privateEndpointsRemoved"] = True
        config[key("cluster")]["encryption"] = encryption

    return run


def _region(region: str, nodes: dict[str, int]) -> Edit:
    """A cluster region more, and its privateEndpoints entry with no VPC of its own (reached cross-region)."""

    def run(config: dict[str, Any]) -> None:
        config[key("cluster")]["regions"].append({"region": region, "priority": 0, "electableNodes": 0, **nodes})
        config[key("network")]["privateEndpoints"].append({"region": region})

    return run


def _endpoint_region(config: dict[str, Any]) -> None:
    config[key("network")]["privateEndpoints"].append(
        {
            "region": "eu-west-1",
            "vpcs": [
                {
                    "name": "eu",
                    "vpcId": "vpc-0b1c2d3e4f5a60790",
                    "subnetIds": ["subnet-0b1c2d3e4f5a60791", "subnet-0b1c2d3e4f5a60792"],
                    "allowedSources": [{"cidrBlock": "10.21.0.0/16", "description": "staging eu subnets"}],
                }
            ],
        }
    )


def _user_setting(name: str, setting: str, value: Any) -> Edit:
    def run(config: dict[str, Any]) -> None:
        for user in config[key("databaseUsers")]:
            if user["name"] == name:
                user[setting] = value

    return run


REVIEW = {
    "serviceAccount": {
        "projectRoles": ["GROUP_READ_ONLY", "GROUP_DATABASE_ACCESS_ADMIN"],
        "accessList": [{"cidrBlock": "203.0.113.112/28", "comment": "review runners nat"}],
    }
}
SINGLE_USER = "the API's driver cannot re-read its secret without a restart yet, ticket PAY-412"


def _without_custom_roles(config: dict[str, Any]) -> None:
    config.pop(key("customRoles"))
    for user in config[key("databaseUsers")]:
        if user["name"] == "ledger-writer":
            user["roles"] = ["readWrite@payments"]


def _user_auth(name: str, auth: str) -> Edit:
    return _user_setting(name, "auth", auth)


# name -> (fixture stack, edit of its stack file)
VARIANTS: dict[str, tuple[str, Edit | None]] = {
    "prod": ("prod", None),
    "prod/snapshot-export-paused": ("prod", lambda c: c[key("snapshotExport")].__setitem__("enabled", False)),
    "prod/snapshot-export-removed": ("prod", _pop("snapshotExport")),
    "prod/log-export-off": ("prod", _set("logExport", {"enabled": False, "optOutReason": OPT_OUT})),
    "prod/alert-baseline-off": ("prod", _set("alerts", {"enabled": False, "optOutReason": ALERTS_OPT_OUT})),
    "prod/service-account-removed": ("prod", _pop("serviceAccount")),
    "prod/custom-roles-removed": ("prod", _without_custom_roles),
    "prod/resource-policies-off": ("prod", _set("resourcePolicies", {"enabled": False})),
    "prod/organization-removed": ("prod", _pop("organization")),
    "prod/organization-gen-ai-on": ("prod", lambda c: c[key("organization")].__setitem__("genAiFeaturesEnabled", True)),
    "prod/region-added": ("prod", _region("us-west-1", {"readOnlyNodes": 1})),
    "prod/review-on": ("prod", _set("review", REVIEW)),
    "prod/api-single-user": (
        "prod",
        _both(_user_setting("api", "rotation", "single"), _user_setting("api", "singleUserReason", SINGLE_USER)),
    ),
    "prod/data-region-moved": ("prod", _set("awsRegion", "us-west-2")),
    "staging": ("staging", None),
    "staging/auditing-off": (
        "staging",
        _both(_set("auditing", {"enabled": False}), lambda c: c[key("logExport")].__setitem__("logTypes", ["MONGOD"])),
    ),
    "staging/log-export-off": ("staging", _set("logExport", {"enabled": False})),
    "staging/snapshot-export-on": ("staging", _set("snapshotExport", {"enabled": True})),
    "staging/snapshot-export-paused": ("staging", _set("snapshotExport", {"enabled": False})),
    "staging/kms-public": ("staging", _kms(require=False)),
    "staging/kms-private": ("staging", _kms(require=True)),
    "staging/kms-private-endpoints-removed": ("staging", _kms(require=True, removed=True)),
    "staging/service-account-removed": ("staging", _pop("serviceAccount")),
    "staging/region-added": ("staging", _region("us-east-2", {"readOnlyNodes": 1})),
    "staging/endpoint-region-added": ("staging", _endpoint_region),
    "staging/user-dba-x509": ("staging", _user_auth("dba", "x509")),
    "staging/data-region-moved": ("staging", _set("awsRegion", "us-east-2")),
}


@dataclass(frozen=True)
class Transition:
    feature: str
    """As docs/changes.md ("Transitions") names it."""
    before: str
    after: str
    outcome: str
    """`one edit`, `refused` (the engine refuses a step at preview; docs/changes.md gives the steps), or
    `import first` (the plan creates what must be adopted with `pulumi import`: docs/changes.md gives the steps)."""
    direction: str = "on -> off"
    """As docs/changes.md's row for this feature says it: `on -> off`, `off -> on`, or a named step."""

    @property
    def id(self) -> str:
        return f"{self.feature}: {self.before} -> {self.after}"

    @property
    def label(self) -> str:
        return f"{self.feature}: {self.direction}"


def _pair(feature: str, on: str, off: str, off_outcome: str = "one edit", on_outcome: str = "one edit") -> list[Transition]:
    """on -> off and off -> on of one feature."""
    return [Transition(feature, on, off, off_outcome, "on -> off"), Transition(feature, off, on, on_outcome, "off -> on")]


TRANSITIONS: list[Transition] = [
    # Snapshot export: off in one edit (`enabled: false`), the bucket removed in a second one.
    *_pair("snapshot export", "prod", "prod/snapshot-export-paused"),
    *_pair("snapshot export", "staging/snapshot-export-on", "staging/snapshot-export-paused"),
    *_pair("snapshot export bucket", "staging/snapshot-export-paused", "staging"),
    Transition("snapshot export bucket", "staging/snapshot-export-on", "staging", "refused", "removed while exporting"),
    Transition("snapshot export bucket", "prod/snapshot-export-paused", "prod/snapshot-export-removed", "refused"),
    *_pair("log export", "prod", "prod/log-export-off", off_outcome="refused"),
    *_pair("log export", "staging", "staging/log-export-off"),
    # KMS private networking: on in one edit; off in two (endpoints first), the one-step edit refused.
    *_pair("KMS private networking", "staging/kms-private", "staging/kms-public", off_outcome="refused"),
    Transition("KMS private networking", "staging/kms-private", "staging/kms-private-endpoints-removed", "one edit", "step 1"),
    Transition("KMS private networking", "staging/kms-private-endpoints-removed", "staging/kms-public", "one edit", "step 2"),
    Transition(
        "KMS private networking", "staging/kms-private-endpoints-removed", "staging/kms-private", "one edit", "step 1 undone"
    ),
    *_pair("auditing", "staging", "staging/auditing-off"),
    *_pair("alert baseline", "prod", "prod/alert-baseline-off"),
    *_pair("service account", "prod", "prod/service-account-removed", off_outcome="refused"),
    *_pair("service account", "staging", "staging/service-account-removed"),
    *_pair("custom roles", "prod", "prod/custom-roles-removed"),
    *_pair("resource policies", "prod", "prod/resource-policies-off"),
    *_pair("organization settings", "prod/organization-gen-ai-on", "prod"),
    *_pair("organization", "prod", "prod/organization-removed", off_outcome="refused", on_outcome="import first"),
    *_pair("cluster region", "prod/region-added", "prod", off_outcome="refused"),
    *_pair("cluster region", "staging/region-added", "staging"),
    *_pair("private endpoint region", "staging/endpoint-region-added", "staging"),
    *_pair("database user sign-in kind", "staging", "staging/user-dba-x509"),
    *_pair("live access review", "prod/review-on", "prod", off_outcome="refused"),
    *_pair("alternating rotation", "prod", "prod/api-single-user", off_outcome="refused"),
    # The data's AWS region: every secret, key and bucket is replaced there (region is ForceNew), new and empty.
    Transition("data region", "prod", "prod/data-region-moved", "refused", "moved"),
    Transition("data region", "staging", "staging/data-region-moved", "one edit", "moved"),
]
