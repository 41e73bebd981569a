"""Scenario data: what a live Atlas project holds, built from a stack's offline plan, in the spec's shapes.

`clean_project(plan, ...)` returns the data of a `Scenario` (tests/harness/atlas_server.py) for the
project exactly as `pulumi up` of that plan would leave it: the project, its database users, custom
roles, access list, private endpoints, teams, service accounts and their API access lists, the
cluster with its process arguments and backup schedule, auditing, the alert baseline, and a week of
Database Access History in which every declared user signs in from a declared source. Each object
is built in the response shape of the vendored spec (the server validates every one), from the
plan's own inputs, so a scenario is "the clean project, changed in one way" (`with_change`).

Adding an area: add its operationId here with the objects the plan implies, and a change to a
scenario test; the server refuses any object the spec would not accept.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from atlas_platform.components.facts import aws_region_name
from tests.harness.runner import Plan
from tools.review import (
    ACCESS_LIST,
    ALERT,
    AUDITING,
    BACKUP_SCHEDULE,
    CLUSTER,
    CUSTOM_ROLE,
    DATABASE_USER,
    PRIVATE_LINK,
    PRIVATE_LINK_SERVICE,
    PROJECT,
    SA_ACCESS,
    SA_ASSIGNMENT,
    SERVICE_ACCOUNT,
    TEAM_ASSIGNMENT,
    planned_policy_items,
)

GROUP_ID = "65f0000000000000000000e1"
CREATED = "2025-01-06T10:00:00Z"
# Where the clean project's sign-ins come from: a private address (PrivateLink) and each declared entry.
PRIVATE_SOURCE = "10.10.32.17"
FEDERATED_MEMBER = "dana.reyes@example.com"


def hex_id(seed: str, length: int = 24) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_address(key: str) -> str:
    """A public address inside an access-list entry: the entry itself, or its range's first host."""
    import ipaddress

    network = ipaddress.ip_network(key, strict=False)
    return str(network.network_address if network.num_addresses == 1 else next(network.hosts()))


def database_user(props: dict[str, Any]) -> dict[str, Any]:
    """A CloudDatabaseUser as Atlas answers it (no password, no groupId: both write-only)."""
    user = {
        "username": props["username"],
        "databaseName": props.get("authDatabaseName", "admin"),
        "roles": [
            {
                k: v
                for k, v in (
                    ("roleName", r["roleName"]),
                    ("databaseName", r["databaseName"]),
                    ("collectionName", r.get("collectionName")),
                )
                if v
            }
            for r in props.get("roles") or []
        ],
        "scopes": [{"name": s["name"], "type": s["type"]} for s in props.get("scopes") or []],
        "labels": [{"key": label["key"], "value": label["value"]} for label in props.get("labels") or []],
        "awsIAMType": props.get("awsIamType", "NONE"),
        "ldapAuthType": props.get("ldapAuthType", "NONE"),
        "oidcAuthType": props.get("oidcAuthType", "NONE"),
        "x509Type": props.get("x509Type", "NONE"),
    }
    if props.get("description"):
        user["description"] = props["description"]
    return user


def access_list_entry(props: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"groupId": GROUP_ID, "comment": props.get("comment") or ""}
    if props.get("ipAddress"):
        entry |= {"ipAddress": props["ipAddress"], "cidrBlock": f"{props['ipAddress']}/32"}
    elif props.get("cidrBlock"):
        entry["cidrBlock"] = props["cidrBlock"]
    else:
        entry["awsSecurityGroup"] = props["awsSecurityGroup"]
    return entry


def _custom_role(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "roleName": props["roleName"],
        "actions": [
            {
                "action": a["action"],
                "resources": [
                    {
                        "cluster": bool(r.get("cluster")),
                        "db": r.get("databaseName") or "",
                        "collection": r.get("collectionName") or "",
                    }
                    for r in a.get("resources") or []
                ],
            }
            for a in props.get("actions") or []
        ],
        "inheritedRoles": [{"db": r["databaseName"], "role": r["roleName"]} for r in props.get("inheritedRoles") or []],
    }


def _cluster(props: dict[str, Any]) -> dict[str, Any]:
    specs = []
    for spec in props.get("replicationSpecs") or []:
        regions = []
        for region in spec.get("regionConfigs") or []:
            electable = region.get("electableSpecs") or {}
            scaling = region.get("autoScaling") or {}
            config: dict[str, Any] = {
                "providerName": region.get("providerName", "AWS"),
                "regionName": region["regionName"],
                "priority": int(region["priority"]),
                "electableSpecs": {"instanceSize": electable["instanceSize"], "nodeCount": int(electable["nodeCount"])},
            }
            if scaling:
                config["autoScaling"] = {
                    "compute": {
                        "enabled": bool(scaling.get("computeEnabled")),
                        "scaleDownEnabled": bool(scaling.get("computeScaleDownEnabled")),
                        **(
                            {"minInstanceSize": scaling["computeMinInstanceSize"]}
                            if scaling.get("computeMinInstanceSize")
                            else {}
                        ),
                        **(
                            {"maxInstanceSize": scaling["computeMaxInstanceSize"]}
                            if scaling.get("computeMaxInstanceSize")
                            else {}
                        ),
                    },
                    "diskGB": {"enabled": bool(scaling.get("diskGbEnabled"))},
                }
            regions.append(config)
        specs.append({"id": hex_id(props["name"] + "spec"), "zoneName": "Zone 1", "regionConfigs": regions})
    return {
        "id": hex_id(props["name"]),
        "groupId": GROUP_ID,
        "name": props["name"],
        "clusterType": props.get("clusterType", "REPLICASET"),
        "mongoDBMajorVersion": props.get("mongoDbMajorVersion", "8.0"),
        "mongoDBVersion": f"{props.get('mongoDbMajorVersion', '8.0')}.4",
        "backupEnabled": bool(props.get("backupEnabled")),
        "pitEnabled": bool(props.get("pitEnabled")),
        "terminationProtectionEnabled": bool(props.get("terminationProtectionEnabled")),
        "encryptionAtRestProvider": props.get("encryptionAtRestProvider", "NONE"),
        "redactClientLogData": bool(props.get("redactClientLogData")),
        "stateName": "IDLE",
        "createDate": CREATED,
        "replicationSpecs": specs,
        "tags": [{"key": k, "value": v} for k, v in sorted((props.get("tags") or {}).items())],
    }


def _schedule(props: dict[str, Any]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for frequency, item in planned_policy_items(props):
        items.append(
            {
                "id": hex_id(f"{props['clusterName']}{frequency}{len(items)}"),
                "frequencyType": frequency,
                "frequencyInterval": int(item["frequencyInterval"]),
                "retentionUnit": item["retentionUnit"],
                "retentionValue": int(item["retentionValue"]),
            }
        )
    return {
        "clusterId": hex_id(props["clusterName"]),
        "clusterName": props["clusterName"],
        "referenceHourOfDay": int(props.get("referenceHourOfDay", 3)),
        "referenceMinuteOfHour": int(props.get("referenceMinuteOfHour", 0)),
        "restoreWindowDays": int(props.get("restoreWindowDays", 7)),
        "autoExportEnabled": bool(props.get("autoExportEnabled")),
        "policies": [{"id": hex_id(props["clusterName"] + "policy"), "policyItems": items}],
    }


def _alert(props: dict[str, Any], name: str) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "id": hex_id(name),
        "groupId": GROUP_ID,
        "created": CREATED,
        "updated": CREATED,
        "enabled": bool(props.get("enabled", True)),
        "eventTypeName": props["eventType"],
        "notifications": [
            {
                "typeName": "GROUP",
                "intervalMin": 60,
                "delayMin": 0,
                "emailEnabled": True,
                "smsEnabled": False,
                "roles": ["GROUP_OWNER"],
            }
        ],
    }
    metric = props.get("metricThresholdConfig")
    if metric:
        alert["metricThreshold"] = {
            "metricName": metric["metricName"],
            "operator": metric.get("operator", "GREATER_THAN"),
            "threshold": metric["threshold"],
            "units": metric.get("units", "RAW"),
            "mode": metric.get("mode", "AVERAGE"),
        }
    threshold = props.get("thresholdConfig")
    if threshold:
        alert["threshold"] = {
            "operator": threshold["operator"],
            "threshold": int(threshold["threshold"]),
            "units": threshold["units"],
        }
    return alert


def clean_project(plan: Plan, *, now: datetime, org_id: str | None = None) -> dict[str, Any]:
    """Scenario data of the project exactly as the plan declares it, with a week of ordinary sign-ins up to `now`."""
    project = plan.one(PROJECT)
    org = org_id or project.inputs["orgId"]
    data: dict[str, Any] = {
        "getGroupByName": lambda params, query: (
            {
                "id": GROUP_ID,
                "name": project.inputs["name"],
                "orgId": org,
                "clusterCount": len(plan.of_type(CLUSTER)),
                "created": CREATED,
                "tags": [{"key": k, "value": v} for k, v in sorted((project.inputs.get("tags") or {}).items())],
            }
            if params["groupName"] == project.inputs["name"]
            else None
        ),
    }
    users = [database_user(u.inputs) for u in plan.of_type(DATABASE_USER)]
    data["listGroupDatabaseUsers"] = users
    data["listGroupCustomDbRoleRoles"] = [_custom_role(r.inputs) for r in plan.of_type(CUSTOM_ROLE)]
    entries = [access_list_entry(e.inputs) for e in plan.of_type(ACCESS_LIST)]
    data["listGroupAccessListEntries"] = entries
    services = []
    for service in plan.of_type(PRIVATE_LINK):
        links = [
            link
            for link in plan.of_type(PRIVATE_LINK_SERVICE)
            if service.urn in link.property_dependencies.get("privateLinkId", [])
        ]
        region = str(service.inputs["region"])
        services.append(
            {
                "cloudProvider": "AWS",
                "id": hex_id(service.name),
                "regionName": region,
                "status": "AVAILABLE",
                "endpointServiceName": f"com.amazonaws.vpce.{aws_region_name(region)}.vpce-svc-{hex_id(service.name, 17)}",
                "interfaceEndpoints": [f"vpce-{hex_id(link.name, 17)}" for link in links],
            }
        )
    data["listGroupPrivateEndpointEndpointService"] = services
    idp_roles = sorted(
        {
            role
            for mapping in plan.of_type("mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping")
            for assignment in mapping.inputs.get("roleAssignments") or []
            if assignment.get("groupId")
            for role in assignment.get("roles") or []
        }
    )
    # A person who signed in through a mapped identity-provider group holds that group's roles.
    data["listGroupUsers"] = (
        [
            {
                "id": hex_id(FEDERATED_MEMBER),
                "username": FEDERATED_MEMBER,
                "orgMembershipStatus": "ACTIVE",
                "roles": idp_roles[:1],
                "createdAt": CREATED,
                "firstName": "Dana",
                "lastName": "Reyes",
                "country": "US",
                "lastAuth": _iso(now - timedelta(days=1)),
            }
        ]
        if idp_roles
        else []
    )
    data["listGroupTeams"] = [
        {"teamId": t.inputs["teamId"], "roleNames": sorted(t.inputs.get("roleNames") or [])}
        for t in plan.of_type(TEAM_ASSIGNMENT)
    ]
    data["listGroupApiKeys"] = []
    accounts, access_lists = [], {}
    for account in plan.of_type(SERVICE_ACCOUNT):
        siblings = [r for r in plan.resources if r.parent == account.parent]
        assignment = next(r for r in siblings if r.type == SA_ASSIGNMENT)
        client_id = f"mdb_sa_id_{hex_id(account.name)}"
        accounts.append(
            {
                "clientId": client_id,
                "name": account.inputs["name"],
                "description": account.inputs.get("description", ""),
                "roles": sorted(assignment.inputs.get("roles") or []),
                "createdAt": CREATED,
                "secrets": [],
            }
        )
        access_lists[client_id] = [
            {k: v for k, v in (("cidrBlock", e.inputs.get("cidrBlock")), ("ipAddress", e.inputs.get("ipAddress"))) if v}
            | {"createdAt": CREATED, "requestCount": 12}
            for e in siblings
            if e.type == SA_ACCESS
        ]
    data["listGroupServiceAccounts"] = accounts
    data["listGroupServiceAccountAccessList"] = lambda params, query: access_lists.get(params["clientId"])
    clusters = {c.inputs["name"]: _cluster(c.inputs) for c in plan.of_type(CLUSTER)}
    data["listGroupClusters"] = list(clusters.values())
    data["getGroupCluster"] = lambda params, query: clusters.get(params["clusterName"])
    tls = {
        c.inputs["name"]: (c.inputs.get("advancedConfiguration") or {}).get("minimumEnabledTlsProtocol", "TLS1_2")
        for c in plan.of_type(CLUSTER)
    }
    data["getGroupClusterProcessArgs"] = lambda params, query: (
        {"minimumEnabledTlsProtocol": tls[params["clusterName"]], "javascriptEnabled": False}
        if params["clusterName"] in tls
        else None
    )
    schedules = {s.inputs["clusterName"]: _schedule(s.inputs) for s in plan.of_type(BACKUP_SCHEDULE)}
    data["getGroupClusterBackupSchedule"] = lambda params, query: schedules.get(params["clusterName"])
    audit = plan.of_type(AUDITING)
    data["getGroupAuditLog"] = (
        {
            "enabled": bool(audit[0].inputs.get("enabled")),
            "auditFilter": audit[0].inputs.get("auditFilter", "{}"),
            "auditAuthorizationSuccess": bool(audit[0].inputs.get("auditAuthorizationSuccess")),
            "configurationType": "FILTER_JSON",
        }
        if audit
        else {"enabled": False, "auditFilter": "{}", "auditAuthorizationSuccess": False, "configurationType": "NONE"}
    )
    data["listGroupAlertConfigs"] = [_alert(a.inputs, a.name) for a in plan.of_type(ALERT)]
    data["getGroupDbAccessHistoryCluster"] = access_history(plan, clusters, now)
    return data


def sign_in(
    username: str, ip: str, when: datetime, *, ok: bool = True, cluster: str = "cluster", auth_source: str = "admin"
) -> dict[str, Any]:
    """One Database Access History entry, as Atlas logs an authentication attempt."""
    entry: dict[str, Any] = {
        "authResult": ok,
        "authSource": auth_source,
        "groupId": GROUP_ID,
        "hostname": f"{cluster}-shard-00-00.abcde.mongodb.net",
        "ipAddress": ip,
        "logLine": f"Successfully authenticated as principal {username}" if ok else f"Authentication failed for {username}",
        "timestamp": _iso(when),
        "username": username,
    }
    if not ok:
        entry["failureReason"] = "UserNotFound: Could not find user"
    return entry


def ordinary_sign_ins(plan: Plan, now: datetime) -> list[dict[str, Any]]:
    """A week of sign-ins: every password, IAM and X.509 user from the private range, and one through each entry."""
    logs = []
    users = [u.inputs for u in plan.of_type(DATABASE_USER) if u.inputs.get("oidcAuthType") in (None, "NONE")]
    for hours, props in enumerate(users):
        logs.append(
            sign_in(
                str(props["username"]),
                PRIVATE_SOURCE,
                now - timedelta(hours=6 + hours),
                auth_source=str(props.get("authDatabaseName", "admin")),
            )
        )
    first = next((str(u["username"]) for u in users if u.get("authDatabaseName", "admin") == "admin"), "user")
    for hours, entry in enumerate(plan.of_type(ACCESS_LIST)):
        key = entry.inputs.get("ipAddress") or entry.inputs.get("cidrBlock")
        if key:
            logs.append(sign_in(first, _first_address(str(key)), now - timedelta(days=2, hours=hours)))
    return sorted(logs, key=lambda entry: entry["timestamp"], reverse=True)


class AccessHistory:
    """getGroupDbAccessHistoryCluster: `logs` (newest first) filtered by the request's start, end and nLogs."""

    def __init__(self, clusters: set[str], logs: list[dict[str, Any]]) -> None:
        self.clusters = clusters
        self.logs = logs

    def __call__(self, params: dict[str, str], query: dict[str, str]) -> Any:
        if params["clusterName"] not in self.clusters:
            return None
        start, end = int(query.get("start", 0)), int(query.get("end", 2**62))
        newest_first = sorted(self.logs, key=lambda e: str(e["timestamp"]), reverse=True)
        within = [e for e in newest_first if start <= _epoch_ms(str(e["timestamp"])) <= end]
        return {"accessLogs": within[: int(query.get("nLogs", 20000))]}


def _epoch_ms(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def access_history(plan: Plan, clusters: dict[str, Any], now: datetime) -> AccessHistory:
    return AccessHistory(set(clusters), ordinary_sign_ins(plan, now))


def with_change(data: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of scenario data after `change` edits it (the clean project, changed in one way)."""
    copied = copy.deepcopy(data)  # functions are kept as they are; lists and AccessHistory are copied
    change(copied)
    return copied
