"""The Pulumi program: stack file -> one StackConfig -> components -> exports.

This is the only module that reads Pulumi's config; `program_args` maps it to each component's
typed args. Order here is for the reader: the engine runs everything that does not wait on data
in parallel, so the PrivateLink chain and the users' KMS key build while the cluster does.
"""

from __future__ import annotations

import pulumi

from components.access_list import IpAccessList
from components.alerts import AlertBaseline
from components.app_user import AppUser
from components.auditing import ProjectAuditing
from components.cluster import ProdCluster
from components.custom_roles import CustomRoles
from components.encryption import AtlasKmsEncryption
from components.private_endpoint import PrivateEndpoint
from components.project import ProdProject
from components.resource_policy import AtlasResourcePolicies
from components.secrets_key import SecretsKey
from program_args import (
    access_list_args,
    alert_args,
    app_user_args,
    auditing_args,
    cluster_args,
    custom_roles_args,
    encryption_args,
    private_endpoint_args,
    project_args,
    resource_policies_args,
    secrets_key_args,
)
from stackconfig import StackConfig, load_stack_config


def read_stack_config() -> StackConfig:
    """Every config key the engine passed, validated at once against the stack file's schema.

    Only what the engine passes counts, so config from the stack file, `--config-file` or Pulumi
    ESC loads alike; the engine's secret marks (per top-level key) say which values are secrets.
    """
    # pulumi.Config reads one key at a time; unknown-key detection needs the whole map, which
    # the engine passes as PULUMI_CONFIG (and the mock runtime through set_all_config).
    config = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = {key for key in config if pulumi.runtime.is_config_secret(key)}
    secret_keys |= set(pulumi.runtime.get_config_secret_keys_env())
    return load_stack_config(config, namespace=pulumi.get_project(), stack=pulumi.get_stack(), secret_keys=secret_keys)


def application_connection_string(
    cluster: ProdCluster | None, private_endpoints: dict[str, PrivateEndpoint]
) -> pulumi.Output[str] | None:
    """The SRV string applications should use: the first private endpoint's, else the public one."""
    if cluster is None:
        return None
    private = [private_endpoints[region].private_srv for region in sorted(private_endpoints)]
    return pulumi.Output.all(cluster.standard_srv, *[p for p in private if p is not None]).apply(
        lambda values: str(next((srv for by_vpc in values[1:] for _, srv in sorted(by_vpc.items()) if srv), values[0]))
    )


cfg = read_stack_config()
prefix = cfg.resource_prefix

# --- Project, teams and identity-provider groups (docs: README) ---
project = ProdProject(prefix, project_args(cfg))

# --- Cluster and its customer-key encryption (docs/cluster.md) ---
cluster: ProdCluster | None = None
if cfg.cluster is not None:
    kms_args = encryption_args(cfg, project.project_id)
    kms = AtlasKmsEncryption(f"{prefix}-kms", kms_args) if kms_args else None
    cluster = ProdCluster(f"{prefix}-cluster{cfg.cluster.number}", cluster_args(cfg, project.project_id, kms))

# --- Network access: IP access list and AWS PrivateLink (docs/network.md) ---
# The PrivateLink chain takes no input from the cluster; only its private SRV output reads the
# cluster's connection strings, so both build in parallel.
if cfg.network.access_list:
    IpAccessList(f"{prefix}-access", access_list_args(cfg, project.project_id))
private_endpoints = {
    r.region: PrivateEndpoint(
        f"{prefix}-privatelink-{r.region}",
        private_endpoint_args(cfg, r, project.project_id, cluster.connection_strings if cluster else None),
    )
    for r in cfg.network.private_endpoints
}

# --- Database users by function (docs/users.md) ---
custom_roles: dict[str, pulumi.Resource] = {}
if cfg.custom_roles:
    custom_roles = dict(CustomRoles(f"{prefix}-roles", custom_roles_args(cfg, project.project_id)).roles)

secrets_kms_key_id: pulumi.Input[str] | None = cfg.secrets_kms_key_arn
if secrets_kms_key_id is None and any(u.stores_credential for u in cfg.database_users):
    secrets_kms_key_id = SecretsKey(f"{prefix}-secrets-key", secrets_key_args(cfg)).key_arn

# Users are scoped through the cluster's name output, so they are created once the cluster exists:
# a scope naming a cluster Atlas does not know yet may be refused (only real Atlas can tell), and
# creating users takes seconds after the cluster's minutes.
default_cluster_name: pulumi.Input[str] = cluster.cluster_name if cluster else f"{prefix}-cluster1"
connection_string = application_connection_string(cluster, private_endpoints)
database_users = {
    user.name: AppUser(
        f"{prefix}-user-{user.name}",
        app_user_args(cfg, user, project.project_id, custom_roles, secrets_kms_key_id, default_cluster_name, connection_string),
    )
    for user in cfg.database_users
}

# --- Operations: alert baseline, database auditing, org-level resource policies (docs/operations.md) ---
operations_args = alert_args(cfg, project.project_id)
alerting = AlertBaseline(f"{prefix}-alerts", operations_args) if operations_args.alerts or operations_args.integrations else None
auditing = (
    ProjectAuditing(f"{prefix}-audit", auditing_args(cfg, project.project_id))
    if cfg.auditing.resolved_enabled(cfg.environment)
    else None
)
# Org-level: named after the app, not the environment, and enabled in exactly one stack file.
org_policies = (
    AtlasResourcePolicies(f"{cfg.app}-org-policies", resource_policies_args(cfg)) if cfg.resource_policies.enabled else None
)

# --- Exports ---
pulumi.export("environment", cfg.environment)
pulumi.export("projectId", project.project_id)
pulumi.export("projectName", project.project_name)
if cluster is not None:
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("clusterId", cluster.cluster_id)
    # Not secret: the SRV string holds host names, no credentials, and apps read it as plain config.
    pulumi.export("standardSrv", cluster.standard_srv)
if cfg.network.access_list:
    pulumi.export("accessListEntries", [e.comment for e in sorted(cfg.network.access_list, key=lambda e: e.source)])
if private_endpoints:
    pulumi.export(
        "privateEndpoints",
        {
            region: {
                "endpointServiceName": pe.endpoint_service_name,
                "endpointServiceId": pe.endpoint_service_id,
                "vpcEndpointIds": pe.vpc_endpoint_ids,
                "privateSrv": pe.private_srv,
            }
            for region, pe in private_endpoints.items()
        },
    )
pulumi.export("databaseUsers", {name: u.username for name, u in database_users.items()})
pulumi.export("databaseUserSecretArns", {name: u.secret_arn for name, u in database_users.items() if u.secret_arn is not None})
if alerting is not None:
    pulumi.export("alertConfigurationIds", alerting.alert_configuration_ids)
if auditing is not None:
    pulumi.export("auditingEnabled", auditing.enabled)
if org_policies is not None:
    pulumi.export("resourcePolicyIds", org_policies.policy_ids)
