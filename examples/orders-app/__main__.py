"""orders-app: another application on the platform's components, installed as a package.

Its own Atlas project, one M10 replica set, PrivateLink from the service's VPC and two database
users: the service itself (AWS IAM, its task role: no password exists) and a reporting user
(password, kept in Secrets Manager under the team's KMS key). Nothing here comes from the platform
repository but `atlas_platform`, installed from its wheel (requirements.txt).
"""

from __future__ import annotations

import pulumi

from atlas_platform.components.app_user import AppUser, AppUserArgs, Grant
from atlas_platform.components.cluster import ProdCluster, ProdClusterArgs, RegionNodes
from atlas_platform.components.facts import atlas_region_name
from atlas_platform.components.private_endpoint import AllowedSource, EndpointVpc, PrivateEndpoint, PrivateEndpointArgs
from atlas_platform.components.project import ProdProject, ProdProjectArgs

config = pulumi.Config()
environment = pulumi.get_stack()
prefix = f"orders-{environment}"
region = config.require("region")
tags = {"application": "orders", "environment": environment, "managed-by": "pulumi"}

project = ProdProject(prefix, ProdProjectArgs(org_id=config.require("orgId"), name=prefix, tags=tags))

cluster = ProdCluster(
    f"{prefix}-cluster",
    ProdClusterArgs(
        project_id=project.project_id,
        name=f"{prefix}-db",
        tier="M10",
        mongo_db_major_version="8.0",
        regions=[RegionNodes(atlas_region=atlas_region_name(region), priority=7, electable_nodes=3)],
        tags=tags,
    ),
)

endpoint = PrivateEndpoint(
    f"{prefix}-privatelink",
    PrivateEndpointArgs(
        project_id=project.project_id,
        region=region,
        vpcs=[
            EndpointVpc(
                key="orders-vpc",
                vpc_id=config.require("vpcId"),
                subnet_ids=config.require_object("subnetIds"),
                allowed_sources=[
                    AllowedSource(
                        key="orders-service",
                        description="the orders service's tasks",
                        security_group_id=config.require("appSecurityGroupId"),
                    )
                ],
            )
        ],
        tags=tags,
    ),
)

service = AppUser(
    f"{prefix}-user-service",
    AppUserArgs(
        project_id=project.project_id,
        username=config.require("appRoleArn"),
        auth="awsIam",
        aws_iam_type="ROLE",
        roles=[Grant(role_name="readWrite", database_name="orders")],
        cluster_names=[cluster.cluster_name],
        description="orders service (its ECS task role)",
    ),
)

reporting = AppUser(
    f"{prefix}-user-reporting",
    AppUserArgs(
        project_id=project.project_id,
        username=f"{prefix}-reporting",
        auth="password",
        roles=[Grant(role_name="read", database_name="orders")],
        cluster_names=[cluster.cluster_name],
        description="nightly reports, read-only",
        secret_name=f"orders/{environment}/mongodb/reporting",
        secrets_kms_key_id=config.require("secretsKmsKeyArn"),
        connection_string=cluster.standard_srv,
    ),
)

pulumi.export("projectId", project.project_id)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("endpointServiceName", endpoint.endpoint_service_name)
pulumi.export("reportingSecretArn", reporting.secret_arn)
