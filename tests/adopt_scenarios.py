"""Atlas projects built by hand, as Atlas answers for them: the scenarios of tests/test_adopt.py.

Each is the `data` of a `Scenario` for the spec-validated server (tests/harness/atlas_server.py): every
body here is checked against Atlas's own OpenAPI description when the server answers with it.

- `hand_built()`: what a careful team builds from the production-setup guide by hand: one project, an
  M30 replica set with continuous backups, a copy region and its own KMS key over PrivateLink, two
  commented access-list entries, PrivateLink from one application VPC, users by function (password,
  AWS IAM, an OIDC group, an X.509 break-glass user), a custom role, alerts to e-mail and PagerDuty, a
  Datadog integration and auditing. Hand-built, so nothing carries this program's tags or labels.
- `unsupported()`: the same project with what the program cannot hold: an LDAP user, a user named
  outside `<app>-<env>-<name>`, a customer-CA X.509 user, 130 users (over the program's limit of 100),
  a temporary and an uncommented access-list entry, an asymmetric sharded cluster beside a flex one,
  alerts to a user and by SMS, a Slack integration, an API key and a member with roles of their own,
  a log export, and production defaults it does not meet (termination protection, TLS, auditing off).
"""

from __future__ import annotations

import copy
import json
from typing import Any

GROUP_ID = "65f0c0ffee00000000000e01"
ORG_ID = "65f0c0ffee00000000000a01"
OTHER_PROJECT = "65f0c0ffee00000000000e02"
FEDERATION_ID = "65f0c0ffee00000000000c01"
IDP_ID = "65f0c0ffee00000000000d01"
KMS_ROLE_ID = "65f0c0ffee00000000000f01"
KMS_ROLE_ARN = "arn:aws:iam::111111111111:role/payments-prod-atlas-kms"
KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
ENDPOINT_SERVICE_ID = "65f0c0ffee00000000000p01".replace("p", "a")
VPCE = "vpce-0a1b2c3d4e5f60711"
CREATED = "2025-03-02T09:00:00Z"
CLUSTER = "payments-prod-cluster1"
ZONE_ID = "65f0c0ffee000000000002a1"

# The AWS side of the interface endpoint, which Atlas does not show: what `AWS_ENDPOINTS` gives.
AWS_ENDPOINTS = {
    VPCE: {
        "name": "app",
        "vpcId": "vpc-0a1b2c3d4e5f60710",
        "subnetIds": ["subnet-0a1b2c3d4e5f60712", "subnet-0a1b2c3d4e5f60713"],
        "securityGroupId": "sg-0a1b2c3d4e5f60714",
    }
}

DEFAULT_FILTER = {
    "$or": [
        {"atype": "authenticate", "result": {"$ne": 0}},
        {
            "atype": {
                "$in": [
                    "createUser",
                    "dropUser",
                    "dropAllUsersFromDatabase",
                    "updateUser",
                    "grantRolesToUser",
                    "revokeRolesFromUser",
                    "createRole",
                    "updateRole",
                    "dropRole",
                    "dropAllRolesFromDatabase",
                    "grantRolesToRole",
                    "revokeRolesFromRole",
                    "grantPrivilegesToRole",
                    "revokePrivilegesFromRole",
                ]
            }
        },
        {
            "atype": {
                "$in": [
                    "createDatabase",
                    "dropDatabase",
                    "createCollection",
                    "renameCollection",
                    "dropCollection",
                    "createIndex",
                    "dropIndex",
                    "enableSharding",
                    "shardCollection",
                ]
            }
        },
        {"atype": "authCheck", "param.command": {"$in": ["drop", "dropDatabase"]}},
    ]
}


def _hex(seed: str) -> str:
    import hashlib

    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def user(
    username: str,
    roles: list[tuple[str, str]],
    *,
    database: str = "admin",
    labels: dict[str, str] | None = None,
    description: str | None = None,
    **kinds: str,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": username,
        "databaseName": database,
        "roles": [{"roleName": r, "databaseName": d} for r, d in roles],
        "scopes": [{"name": CLUSTER, "type": "CLUSTER"}],
        "labels": [{"key": k, "value": v} for k, v in (labels or {}).items()],
        "awsIAMType": kinds.get("aws", "NONE"),
        "ldapAuthType": kinds.get("ldap", "NONE"),
        "oidcAuthType": kinds.get("oidc", "NONE"),
        "x509Type": kinds.get("x509", "NONE"),
    }
    if description:
        body["description"] = description
    return body


def email(address: str, delay: int = 0) -> dict[str, Any]:
    return {"typeName": "EMAIL", "emailAddress": address, "intervalMin": 60, "delayMin": delay}


def pager(delay: int = 0) -> dict[str, Any]:
    return {"typeName": "PAGER_DUTY", "serviceKey": "****************************7c1b", "delayMin": delay}


def alert(
    seed: str,
    event: str,
    notifications: list[dict[str, Any]],
    *,
    metric: dict[str, Any] | None = None,
    threshold: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": _hex(seed),
        "groupId": GROUP_ID,
        "created": CREATED,
        "updated": CREATED,
        "enabled": True,
        "eventTypeName": event,
        "notifications": notifications,
    }
    if metric:
        body["metricThreshold"] = {"mode": "AVERAGE", **metric}
    if threshold:
        body["threshold"] = threshold
    return body


DBA = "payments-dba@example.com"


def _cluster() -> dict[str, Any]:
    return {
        "id": _hex("cluster"),
        "groupId": GROUP_ID,
        "name": CLUSTER,
        "clusterType": "REPLICASET",
        "mongoDBMajorVersion": "8.0",
        "mongoDBVersion": "8.0.4",
        "backupEnabled": True,
        "pitEnabled": True,
        "terminationProtectionEnabled": True,
        "encryptionAtRestProvider": "AWS",
        "redactClientLogData": True,
        "stateName": "IDLE",
        "createDate": CREATED,
        "versionReleaseSystem": "LTS",
        "tags": [],
        "replicationSpecs": [
            {
                "id": _hex("spec"),
                "zoneId": ZONE_ID,
                "zoneName": "Zone 1",
                "regionConfigs": [
                    {
                        "providerName": "AWS",
                        "regionName": "US_EAST_1",
                        "priority": 7,
                        "electableSpecs": {"instanceSize": "M30", "nodeCount": 3, "diskSizeGB": 40},
                        "readOnlySpecs": {"instanceSize": "M30", "nodeCount": 0, "diskSizeGB": 40},
                        "analyticsSpecs": {"instanceSize": "M30", "nodeCount": 0, "diskSizeGB": 40},
                        "autoScaling": {
                            "compute": {
                                "enabled": True,
                                "scaleDownEnabled": True,
                                "minInstanceSize": "M30",
                                "maxInstanceSize": "M60",
                            },
                            "diskGB": {"enabled": True},
                        },
                    }
                ],
            }
        ],
    }


def _schedule() -> dict[str, Any]:
    items = [
        ("hourly", 6, "days", 7),
        ("daily", 1, "days", 14),
        ("weekly", 7, "weeks", 8),
        ("monthly", 1, "months", 12),
    ]
    return {
        "clusterId": _hex("cluster"),
        "clusterName": CLUSTER,
        "referenceHourOfDay": 2,
        "referenceMinuteOfHour": 30,
        "restoreWindowDays": 7,
        "autoExportEnabled": False,
        "useOrgAndGroupNamesInExportPrefix": False,
        "copySettings": [
            {
                "cloudProvider": "AWS",
                "regionName": "US_WEST_2",
                "zoneId": ZONE_ID,
                "shouldCopyOplogs": True,
                "frequencies": ["DAILY", "WEEKLY", "MONTHLY"],
            }
        ],
        "policies": [
            {
                "id": _hex("policy"),
                "policyItems": [
                    {"id": _hex(f), "frequencyType": f, "frequencyInterval": i, "retentionUnit": u, "retentionValue": v}
                    for f, i, u, v in items
                ],
            }
        ],
    }


def hand_built() -> dict[str, Any]:
    """The data of the hand-built production project (operationId -> answer)."""
    group = {
        "id": GROUP_ID,
        "name": "payments-prod",
        "orgId": ORG_ID,
        "clusterCount": 1,
        "created": CREATED,
        "withDefaultAlertsSettings": True,
        "tags": [{"key": "cost-center", "value": "cc-1042"}],
    }
    cluster = _cluster()
    users = [
        user(
            "payments-prod-api",
            [("readWrite", "payments")],
            labels={"owner": "payments-platform"},
            description="Payments API service; reads and writes the payments database",
        ),
        user(
            "payments-prod-reporting",
            [("read", "payments"), ("read", "reference")],
            labels={"owner": "data-analytics"},
            description="BI dashboards; read-only on payments and reference data",
        ),
        user(
            "arn:aws:iam::111111111111:role/payments-prod-ledger-writer",
            [("ledgerAppendOnly", "admin")],
            database="$external",
            labels={"owner": "payments-platform", "kind": "app"},
            description="Ledger worker on ECS; appends ledger entries",
            aws="ROLE",
        ),
        user(
            f"{IDP_ID}/payments-prod-dba",
            [("dbAdmin", "payments"), ("clusterMonitor", "admin")],
            labels={"owner": "payments-sre", "kind": "dba"},
            description="SRE on call as members of the payments-prod-dba IdP group",
            oidc="IDP_GROUP",
        ),
        user(
            "payments-prod-breakglass",
            [("dbAdmin", "payments")],
            database="$external",
            labels={"owner": "payments-sre"},
            description="Break-glass DBA access by X.509 certificate",
            x509="MANAGED",
        ),
    ]
    alerts = [
        alert("host-down", "HOST_DOWN", [email(DBA), pager()]),
        alert("no-primary", "NO_PRIMARY", [email(DBA), pager()]),
        alert(
            "disk",
            "OUTSIDE_METRIC_THRESHOLD",
            [email(DBA)],
            metric={
                "metricName": "DISK_PARTITION_SPACE_USED_DATA",
                "operator": "GREATER_THAN",
                "threshold": 75.0,
                "units": "RAW",
            },
        ),
        alert(
            "cpu",
            "OUTSIDE_METRIC_THRESHOLD",
            [email(DBA, 10)],
            metric={"metricName": "NORMALIZED_SYSTEM_CPU_USER", "operator": "GREATER_THAN", "threshold": 80.0, "units": "RAW"},
        ),
        alert(
            "memory",
            "OUTSIDE_METRIC_THRESHOLD",
            [email(DBA, 10)],
            metric={"metricName": "SYSTEM_MEMORY_PERCENT_USED", "operator": "GREATER_THAN", "threshold": 90.0, "units": "RAW"},
        ),
        alert("snapshot-failed", "CPS_SNAPSHOT_FAILED", [email(DBA)]),
        alert("joined", "JOINED_GROUP", [email(DBA)]),
        # One of Atlas's own defaults, left as Atlas made it: to the project owners only.
        alert(
            "no-mfa",
            "USERS_WITHOUT_MULTI_FACTOR_AUTH",
            [
                {
                    "typeName": "GROUP",
                    "roles": ["GROUP_OWNER"],
                    "intervalMin": 60,
                    "delayMin": 0,
                    "emailEnabled": True,
                    "smsEnabled": False,
                }
            ],
        ),
    ]
    return {
        "getGroupByName": lambda params, query: group if params["groupName"] == group["name"] else None,
        "getGroup": lambda params, query: group if params["groupId"] == GROUP_ID else None,
        "getGroupSettings": {
            "isCollectDatabaseSpecificsStatisticsEnabled": True,
            "isDataExplorerEnabled": True,
            "isDataExplorerGenAIFeaturesEnabled": False,
            "isDataExplorerGenAISampleDocumentPassingEnabled": False,
            "isExtendedStorageSizesEnabled": False,
            "isPerformanceAdvisorEnabled": True,
            "isRealtimePerformancePanelEnabled": True,
            "isSchemaAdvisorEnabled": True,
        },
        "listGroupTeams": [
            {"teamId": "65f0c0ffee00000000000b01", "roleNames": ["GROUP_CLUSTER_MANAGER", "GROUP_READ_ONLY"]},
            {"teamId": "65f0c0ffee00000000000b02", "roleNames": ["GROUP_OWNER"]},
        ],
        "getOrgTeam": lambda params, query: {
            "65f0c0ffee00000000000b01": {"id": "65f0c0ffee00000000000b01", "name": "SRE"},
            "65f0c0ffee00000000000b02": {"id": "65f0c0ffee00000000000b02", "name": "Platform admins"},
        }.get(params["teamId"]),
        "getOrgFederationSettings": {
            "id": FEDERATION_ID,
            "identityProviderId": "c2777a9eca931f29fc2f",
            "identityProviderStatus": "ACTIVE",
            "federatedDomains": ["example.com"],
            "hasRoleMappings": True,
        },
        "listFederationSettingConnectedOrgConfigRoleMappings": {
            "results": [
                {
                    "id": _hex("oncall"),
                    "externalGroupName": "payments-prod-oncall",
                    "roleAssignments": [
                        {"orgId": ORG_ID, "role": "ORG_MEMBER"},
                        {"groupId": GROUP_ID, "role": "GROUP_CLUSTER_MANAGER"},
                    ],
                },
                {
                    "id": _hex("readers"),
                    "externalGroupName": "payments-readers",
                    "roleAssignments": [
                        {"orgId": ORG_ID, "role": "ORG_MEMBER"},
                        {"groupId": GROUP_ID, "role": "GROUP_READ_ONLY"},
                        {"groupId": OTHER_PROJECT, "role": "GROUP_READ_ONLY"},
                    ],
                },
            ],
            "totalCount": 2,
        },
        "listGroupClusters": [cluster],
        "getGroupCluster": lambda params, query: cluster if params["clusterName"] == CLUSTER else None,
        "getGroupClusterProcessArgs": {"minimumEnabledTlsProtocol": "TLS1_2", "javascriptEnabled": False},
        "getGroupClusterBackupSchedule": _schedule(),
        "getGroupMaintenanceWindow": {
            "dayOfWeek": 1,
            "hourOfDay": 4,
            "autoDeferOnceEnabled": False,
            "startASAP": False,
            "numberOfDeferrals": 0,
            "protectedHours": {"startHourOfDay": 6, "endHourOfDay": 22},
            "timeZoneId": "UTC",
        },
        "getGroupEncryptionAtRest": {
            "enabledForSearchNodes": True,
            "awsKms": {
                "enabled": True,
                "customerMasterKeyID": KEY_ARN,
                "region": "US_EAST_1",
                "requirePrivateNetworking": True,
                "valid": True,
            },
        },
        "listGroupCloudProviderAccess": {
            "awsIamRoles": [
                {
                    "providerName": "AWS",
                    "roleId": KMS_ROLE_ID,
                    "iamAssumedRoleArn": KMS_ROLE_ARN,
                    "atlasAWSAccountArn": "arn:aws:iam::536727724300:root",
                    "atlasAssumedRoleExternalId": "3b2c1d0e-9f8a-4b7c-8d6e-5f4a3b2c1d0e",
                    "createdDate": CREATED,
                    "authorizedDate": CREATED,
                    "featureUsages": [{"featureType": "ENCRYPTION_AT_REST", "featureId": {"groupId": GROUP_ID}}],
                }
            ],
            "azureServicePrincipals": [],
            "gcpServiceAccounts": [],
        },
        "listGroupEncryptionAtRestPrivateEndpoints": [
            {"id": _hex("kms-endpoint"), "cloudProvider": "AWS", "regionName": "US_EAST_1", "status": "ACTIVE"}
        ],
        "listGroupAccessListEntries": [
            {"groupId": GROUP_ID, "ipAddress": "203.0.113.10", "cidrBlock": "203.0.113.10/32", "comment": "prod-bastion"},
            {"groupId": GROUP_ID, "cidrBlock": "198.51.100.64/28", "comment": "prod-monitoring-nat"},
        ],
        "listGroupPrivateEndpointEndpointService": [
            {
                "cloudProvider": "AWS",
                "id": ENDPOINT_SERVICE_ID,
                "regionName": "US_EAST_1",
                "status": "AVAILABLE",
                "endpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0f1e2d3c4b5a69788",
                "interfaceEndpoints": [VPCE],
            }
        ],
        "getGroupPrivateEndpointEndpointServiceEndpoint": lambda params, query: {
            "cloudProvider": "AWS",
            "connectionStatus": "AVAILABLE",
            "deleteRequested": False,
            "interfaceEndpointId": params["endpointId"],
        },
        "listGroupDatabaseUsers": users,
        "listGroupCustomDbRoleRoles": [
            {
                "roleName": "ledgerAppendOnly",
                "actions": [
                    {"action": "FIND", "resources": [{"cluster": False, "db": "payments", "collection": "ledger"}]},
                    {"action": "INSERT", "resources": [{"cluster": False, "db": "payments", "collection": "ledger"}]},
                ],
                "inheritedRoles": [],
            }
        ],
        "listGroupAlertConfigs": alerts,
        "listGroupIntegrations": [
            {
                "id": _hex("datadog"),
                "type": "DATADOG",
                "apiKey": "****************************abcd",
                "region": "US",
                "sendDatabaseMetrics": True,
                "sendCollectionLatencyMetrics": False,
                "sendQueryStatsMetrics": False,
            }
        ],
        "listGroupLogIntegrations": [],
        "getGroupAuditLog": {
            "enabled": True,
            "auditAuthorizationSuccess": False,
            "auditFilter": json.dumps(DEFAULT_FILTER, indent=2),
            "configurationType": "FILTER_JSON",
        },
        "listGroupUsers": [],
        "listGroupApiKeys": [],
        "listGroupServiceAccounts": [],
    }


def unsupported() -> dict[str, Any]:
    """The hand-built project with everything the program cannot hold, or will not keep, added."""
    data = copy.deepcopy({k: v for k, v in hand_built().items() if not callable(v)})
    data |= {k: v for k, v in hand_built().items() if callable(v)}
    users = data["listGroupDatabaseUsers"]
    users += [
        user("legacy-reports", [("read", "payments")], description="LDAP reporting group", ldap="GROUP"),
        user("reporting-svc", [("read", "payments")], description="Created by hand without the naming scheme"),
        user(
            "CN=ops,O=Example",
            [("read", "payments")],
            database="$external",
            description="Customer-CA certificate user",
            x509="CUSTOMER",
        ),
    ]
    users += [
        user(
            f"payments-prod-svc{n:03d}",
            [("read", "payments")],
            labels={"owner": "payments-platform"},
            description=f"Batch service number {n}",
        )
        for n in range(125)
    ]
    data["listGroupAccessListEntries"] += [
        {
            "groupId": GROUP_ID,
            "ipAddress": "192.0.2.44",
            "cidrBlock": "192.0.2.44/32",
            "comment": "debugging",
            "deleteAfterDate": "2027-01-01T00:00:00Z",
        },
        {"groupId": GROUP_ID, "ipAddress": "192.0.2.45", "cidrBlock": "192.0.2.45/32"},
    ]
    sharded = copy.deepcopy(data["listGroupClusters"][0])
    sharded |= {"id": _hex("analytics"), "name": "analytics", "clusterType": "SHARDED"}
    second = copy.deepcopy(sharded["replicationSpecs"][0])
    second["id"] = _hex("second-shard")
    second["regionConfigs"][0]["electableSpecs"]["instanceSize"] = "M40"
    sharded["replicationSpecs"].append(second)
    data["listGroupClusters"] = [data["listGroupClusters"][0], sharded]
    # Production defaults the project does not meet: the cluster may be deleted and speaks TLS 1.0.
    data["listGroupClusters"][0]["terminationProtectionEnabled"] = False
    data["getGroupClusterProcessArgs"] = {"minimumEnabledTlsProtocol": "TLS1_0", "javascriptEnabled": False}
    data["getGroupAuditLog"] = {
        "enabled": False,
        "auditAuthorizationSuccess": False,
        "auditFilter": "{}",
        "configurationType": "NONE",
    }
    data["listGroupAlertConfigs"] += [
        alert(
            "to-a-user",
            "NO_PRIMARY",
            [
                {
                    "typeName": "USER",
                    "username": "dana@example.com",
                    "intervalMin": 60,
                    "delayMin": 0,
                    "emailEnabled": True,
                    "smsEnabled": False,
                }
            ],
        ),
        alert("by-sms", "HOST_DOWN", [{"typeName": "SMS", "mobileNumber": "+15555550100", "intervalMin": 60, "delayMin": 0}]),
    ]
    data["listGroupIntegrations"].append(
        {"id": _hex("slack"), "type": "SLACK", "apiToken": "****abcd", "channelName": "#payments", "teamName": "example"}
    )
    data["listGroupLogIntegrations"] = [
        {
            "id": _hex("logs"),
            "type": "S3_LOG_EXPORT",
            "bucketName": "payments-audit-logs",
            "iamRoleId": KMS_ROLE_ID,
            "logTypes": ["MONGOD_AUDIT"],
            "prefixPath": "atlas",
        }
    ]
    data["listGroupApiKeys"] = [
        {
            "id": _hex("key"),
            "publicKey": "zxcvbnml",
            "desc": "old CI key",
            "privateKey": "********-****-****-db2c132ca78d",
            "roles": [{"groupId": GROUP_ID, "roleName": "GROUP_OWNER"}],
        }
    ]
    data["listGroupUsers"] = [
        {
            "id": _hex("dana"),
            "username": "dana@example.com",
            "orgMembershipStatus": "ACTIVE",
            "roles": ["GROUP_OWNER"],
            "createdAt": CREATED,
            "firstName": "Dana",
            "lastName": "Reyes",
            "country": "US",
        }
    ]
    return data
