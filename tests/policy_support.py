"""Synthetic resources for the policy tests: what the engine would send for a resource the program
does not (yet) build, so each rule can be driven with good and bad shapes through the real protocol."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from policies.rules import types as t
from tests.harness.policy import PolicyPackServer, Report, Resource, urn_for

PROJECT_NAME = "atlas-platform"
COMPONENT = "atlas-platform:index:ProdProject"


def resource(
    type_: str,
    name: str,
    props: Mapping[str, Any],
    *,
    stack: str = "prod",
    secret_paths: Sequence[str] = (),
    property_dependencies: Mapping[str, Sequence[str]] | None = None,
) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=urn_for(stack, PROJECT_NAME, type_, name, (COMPONENT,)),
        properties=copy.deepcopy(dict(props)),
        secret_paths=frozenset(secret_paths),
        property_dependencies={k: tuple(v) for k, v in (property_dependencies or {}).items()},
    )


# What a production stack's policy config must give (policies/rules/atlas_rules.py, PRODUCTION_REQUIRED),
# set wide enough that it judges nothing here: a test of one rule passes the config that rule reads.
PRODUCTION_SETTINGS: dict[str, Any] = {
    "atlas-cluster-allowed-regions": {"allowedRegions": ["aws:us-east-1", "aws:us-east-2", "aws:us-west-2"]},
    "atlas-prod-cluster-min-tier": {"minTier": "M10"},
}


def verdict(
    pack: PolicyPackServer,
    resources: Sequence[Resource] | Resource,
    *,
    stack: str = "prod",
    config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> Report:
    """The pack's report on `resources`, with `config` over PRODUCTION_SETTINGS (policy by policy)."""
    listed = [resources] if isinstance(resources, Resource) else list(resources)
    return pack.check(stack, listed, policy_config={**PRODUCTION_SETTINGS, **(config or {})}, tags=tags)


def messages(report: Report, policy: str) -> str:
    return "\n".join(f.message for f in report.findings if f.policy == policy)


PROJECT_ID = "5f00000000000000000000aa"

GOOD_CLUSTER: dict[str, Any] = {
    "projectId": PROJECT_ID,
    "name": "payments",
    "clusterType": "REPLICASET",
    "backupEnabled": True,
    "pitEnabled": True,
    "terminationProtectionEnabled": True,
    "encryptionAtRestProvider": "AWS",
    "advancedConfiguration": {"minimumEnabledTlsProtocol": "TLS1_2"},
    "replicationSpecs": [
        {
            "regionConfigs": [
                {
                    "providerName": "AWS",
                    "regionName": "US_EAST_1",
                    "priority": 7.0,
                    "electableSpecs": {"instanceSize": "M30", "nodeCount": 3.0},
                },
                {
                    "providerName": "AWS",
                    "regionName": "US_WEST_2",
                    "priority": 6.0,
                    "electableSpecs": {"instanceSize": "M30", "nodeCount": 2.0},
                },
            ]
        }
    ],
}

GOOD_LEGACY_CLUSTER: dict[str, Any] = {
    "projectId": PROJECT_ID,
    "name": "legacy",
    "providerName": "AWS",
    "providerInstanceSizeName": "M10",
    "cloudBackup": True,
    "pitEnabled": True,
    "terminationProtectionEnabled": True,
    "encryptionAtRestProvider": "AWS",
    "advancedConfiguration": {"minimumEnabledTlsProtocol": "TLS1_3"},
}

GOOD_USER: dict[str, Any] = {
    "projectId": PROJECT_ID,
    "username": "arn:aws:iam::111122223333:role/payments-api",
    "authDatabaseName": "$external",
    "awsIamType": "ROLE",
    "roles": [{"roleName": "readWrite", "databaseName": "payments"}, {"roleName": "read", "databaseName": "reports"}],
    "scopes": [{"name": "payments", "type": "CLUSTER"}],
}


def complete_prod_stack(stack: str = "prod") -> list[Resource]:
    """Everything a production Atlas-on-AWS stack should have, every setting the safe one."""
    project = resource(t.PROJECT, "payments-prod", {"name": "payments-prod", "orgId": "5f0000000000000000000a01"}, stack=stack)
    ple = resource(
        t.PRIVATE_LINK_ENDPOINT,
        "payments-ple",
        {
            "projectId": PROJECT_ID,
            "providerName": "AWS",
            "region": "us-east-1",
            "endpointServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718",
        },
        stack=stack,
    )
    vpce = resource(
        t.VPC_ENDPOINT,
        "payments-vpce",
        {
            "vpcId": "vpc-0a1b2c3d",
            "vpcEndpointType": "Interface",
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718",
            "subnetIds": ["subnet-0a", "subnet-0b", "subnet-0c"],
            "securityGroupIds": ["sg-0a1b"],
        },
        stack=stack,
        property_dependencies={"serviceName": [ple.urn]},
    )
    return [
        project,
        resource(
            t.ACCESS_LIST,
            "payments-office",
            {"projectId": PROJECT_ID, "cidrBlock": "10.20.0.0/16", "comment": "app subnets"},
            stack=stack,
        ),
        resource(t.ADVANCED_CLUSTER, "payments-cluster", GOOD_CLUSTER, stack=stack),
        resource(t.DATABASE_USER, "payments-api", GOOD_USER, stack=stack),
        resource(
            t.CUSTOM_DB_ROLE,
            "payments-reporter",
            {
                "projectId": PROJECT_ID,
                "roleName": "reporter",
                "actions": [{"action": "FIND", "resources": [{"databaseName": "payments", "collectionName": ""}]}],
            },
            stack=stack,
        ),
        resource(
            t.ALERT_CONFIGURATION,
            "payments-alert-hostdown",
            {
                "projectId": PROJECT_ID,
                "eventType": "HOST_DOWN",
                "enabled": True,
                "notifications": [{"typeName": "EMAIL", "emailAddress": "payments-dba@example.com", "delayMin": 0}],
            },
            stack=stack,
        ),
        resource(
            t.AUDITING,
            "payments-audit",
            {"projectId": PROJECT_ID, "enabled": True, "auditAuthorizationSuccess": False},
            stack=stack,
        ),
        ple,
        resource(
            t.SECURITY_GROUP,
            "payments-vpce-sg",
            {
                "vpcId": "vpc-0a1b2c3d",
                "ingress": [
                    {
                        "protocol": "tcp",
                        "fromPort": 1024.0,
                        "toPort": 65535.0,
                        "cidrBlocks": ["10.20.0.0/16"],
                        "securityGroups": [],
                    }
                ],
                "egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}],
            },
            stack=stack,
        ),
        vpce,
        resource(
            t.PRIVATE_LINK_ENDPOINT_SERVICE,
            "payments-ples",
            {
                "projectId": PROJECT_ID,
                "privateLinkId": "6a0000000000000000000001",
                "endpointServiceId": "vpce-0123456789abcdef0",
                "providerName": "AWS",
            },
            stack=stack,
            property_dependencies={"endpointServiceId": [vpce.urn]},
        ),
        resource(
            t.LOG_INTEGRATION,
            "payments-logs",
            {
                "projectId": PROJECT_ID,
                "type": "S3_LOG_EXPORT",
                "logTypes": ["MONGOD", "MONGOD_AUDIT"],
                "bucketName": "payments-prod-atlas-logs",
                "iamRoleId": "6a0000000000000000000002",
                "prefixPath": "atlas-logs",
            },
            stack=stack,
        ),
        resource(
            t.KMS_KEY, "payments-atlas-key", {"description": "Atlas encryption at rest", "enableKeyRotation": True}, stack=stack
        ),
        resource(
            t.SECRET,
            "payments-db-password",
            {"name": "payments/db", "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d"},
            stack=stack,
        ),
    ]


def replace(resources: list[Resource], name: str, change: Callable[[dict[str, Any]], Any]) -> list[Resource]:
    """`resources` with the properties of `name` edited by `change` (on a copy)."""
    out = []
    for r in resources:
        if r.name == name:
            props = copy.deepcopy(dict(r.properties))
            change(props)
            r = Resource(
                r.type, r.name, r.urn, props, r.secret_paths, r.parent, r.dependencies, r.property_dependencies, r.protect
            )
        out.append(r)
    return out
