"""The Pulumi program: stack file -> one StackConfig -> components -> exports.

This is the only module that reads Pulumi's config; `program_args` maps it to each component's
typed args. Order here is for the reader: the engine runs everything that does not wait on data
in parallel, so the PrivateLink chain and the users' KMS key build while the cluster does.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_mongodbatlas as atlas

from atlas_platform.components.access_list import IpAccessList
from atlas_platform.components.access_logs import AccessLogBucket
from atlas_platform.components.alerts import AlertBaseline
from atlas_platform.components.app_user import AppUser
from atlas_platform.components.auditing import ProjectAuditing
from atlas_platform.components.cluster import ProdCluster
from atlas_platform.components.custom_roles import CustomRoles
from atlas_platform.components.encryption import AtlasKmsEncryption
from atlas_platform.components.export_bucket import SnapshotExportBucket
from atlas_platform.components.log_export import AtlasLogExport
from atlas_platform.components.organization import OrgSecurity
from atlas_platform.components.private_endpoint import PrivateEndpoint, private_srv_by_vpc
from atlas_platform.components.project import ProdProject
from atlas_platform.components.resource_policy import AtlasResourcePolicies
from atlas_platform.components.secrets_key import SecretsKey
from atlas_platform.components.service_account import ScopedServiceAccount
from program_args import (
    access_list_args,
    access_log_args,
    alert_args,
    app_user_args,
    auditing_args,
    cluster_args,
    custom_roles_args,
    custom_roles_granted,
    encryption_args,
    log_export_args,
    org_security_args,
    private_endpoint_args,
    project_args,
    resource_policies_args,
    review_account_args,
    secrets_key_args,
    service_account_args,
    snapshot_export_args,
)
from stackconfig import StackConfig, load_stack_config
from stackconfig.network import endpoint_key


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


def private_connection_strings(
    cluster: ProdCluster, project_id: pulumi.Input[str], private_endpoints: dict[str, PrivateEndpoint]
) -> pulumi.Output[Any]:
    """The cluster's connection strings read once every endpoint of every region is linked.

    `AdvancedCluster.connection_strings` is what Atlas answered at create time, before any endpoint
    existed; Atlas lists the private strings only once every region with nodes has a linked endpoint
    (provider v2.16 `docs/data-sources/advanced_cluster.md`). Reading the data source after every
    `PrivateLinkEndpointService` gets them on the first `pulumi up`. The components are the
    dependency: the SDK expands them to their children, the links among them.
    """
    return atlas.get_advanced_cluster_output(
        project_id=project_id,
        name=cluster.cluster_name,
        opts=pulumi.InvokeOutputOptions(depends_on=[private_endpoints[r] for r in sorted(private_endpoints)]),
    ).connection_strings


def private_srv(
    cfg: StackConfig, private_endpoints: dict[str, PrivateEndpoint], strings: pulumi.Output[Any]
) -> dict[str, dict[str, pulumi.Output[str | None]]]:
    """Region -> each of its VPCs -> that VPC's private SRV string, from the strings read after the links.

    A VPC reaches each region through its own endpoint there (local or cross-region) or, where it
    is routed, through the endpoint of the VPC it is routed via.
    """
    paths = {
        f"{home}/{name}": [
            private_endpoints[region].vpc_endpoint_ids[via or endpoint_key(home, name, region)]
            for region, via in sorted(path.items())
        ]
        for (home, name), path in cfg.network.private_paths(sorted(private_endpoints)).items()
    }
    by_vpc: pulumi.Output[dict[str, str | None]] = pulumi.Output.all(strings, paths).apply(
        lambda pair: private_srv_by_vpc(pair[0], pair[1])
    )

    def of(home: str, name: str) -> pulumi.Output[str | None]:
        return by_vpc.apply(lambda srv: srv[f"{home}/{name}"])

    return {r.region: {v.name: of(r.region, v.name) for v in r.vpcs} for r in cfg.network.private_endpoints}


def application_connection_string(
    cluster: ProdCluster | None, private: dict[str, dict[str, pulumi.Output[str | None]]]
) -> pulumi.Output[str] | None:
    """The SRV string applications should use: the first VPC's private one (regions, then VPCs, sorted), else the public one."""
    if cluster is None:
        return None
    candidates = [private[region][name] for region in sorted(private) for name in sorted(private[region])]
    return pulumi.Output.all(cluster.standard_srv, *candidates).apply(
        lambda values: str(next((srv for srv in values[1:] if srv), values[0]))
    )


cfg = read_stack_config()
prefix = cfg.resource_prefix

# --- Project, teams and identity-provider groups (docs: README) ---
project = ProdProject(prefix, project_args(cfg))

# --- Cluster, its customer-key encryption and its snapshot export bucket (docs/cluster.md) ---
# The export bucket is project-level and builds beside the cluster; only the backup schedule reads its id.
snapshot_args = snapshot_export_args(cfg, project.project_id)
snapshot_export = SnapshotExportBucket(f"{prefix}-snapshot-export", snapshot_args) if snapshot_args else None
cluster: ProdCluster | None = None
if cfg.cluster is not None:
    kms_args = encryption_args(cfg, project.project_id)
    kms = AtlasKmsEncryption(f"{prefix}-kms", kms_args) if kms_args else None
    cluster = ProdCluster(
        f"{prefix}-cluster{cfg.cluster.number}",
        cluster_args(
            cfg,
            project.project_id,
            kms.project_id if kms else None,
            # Exporting only while enabled: a section with `enabled: false` keeps the bucket registered.
            snapshot_export.export_bucket_id if snapshot_export and cfg.snapshot_export.enabled else None,
        ),
    )

# --- Network access: IP access list and AWS PrivateLink (docs/network.md) ---
# The PrivateLink chains take no input from the cluster, so they build in parallel with it; only
# the read of the private connection strings waits for both.
if cfg.network.access_list:
    IpAccessList(f"{prefix}-access", access_list_args(cfg, project.project_id))
# An endpoint service only where the cluster has nodes; VPCs of other regions reach them cross-region.
service_regions = cfg.private_service_regions()
private_endpoints = {
    r.region: PrivateEndpoint(
        f"{prefix}-privatelink-{r.region}",
        private_endpoint_args(cfg, r, project.project_id),
    )
    for r in cfg.network.private_endpoints
    if r.region in service_regions
}

# --- Database users by function (docs/users.md) ---
custom_roles = CustomRoles(f"{prefix}-roles", custom_roles_args(cfg, project.project_id)) if cfg.custom_roles else None

secrets_kms_key_id: pulumi.Input[str] | None = cfg.secrets_kms_key_arn
if secrets_kms_key_id is None and cfg.stores_secrets:
    secrets_kms_key_id = SecretsKey(f"{prefix}-secrets-key", secrets_key_args(cfg)).key_arn

# Users are scoped through the cluster's name output, so they are created once the cluster exists:
# a scope naming a cluster Atlas does not know yet may be refused (only real Atlas can tell), and
# creating users takes seconds after the cluster's minutes.
default_cluster_name: pulumi.Input[str] = cluster.cluster_name if cluster else f"{prefix}-cluster1"
private_srv_by_region: dict[str, dict[str, pulumi.Output[str | None]]] = {}
if cluster is not None and private_endpoints:
    strings = private_connection_strings(cluster, project.project_id, private_endpoints)
    private_srv_by_region = private_srv(cfg, private_endpoints, strings)
connection_string = application_connection_string(cluster, private_srv_by_region)
database_users = {
    user.name: AppUser(
        f"{prefix}-user-{user.name}",
        app_user_args(cfg, user, project.project_id, secrets_kms_key_id, default_cluster_name, connection_string),
        # Grants name custom roles as plain strings (known at preview, for the policy pack), so no data
        # edge orders the user after them: this one does. The roles are created one after another
        # anyway, so waiting for all of them costs seconds.
        opts=pulumi.ResourceOptions(depends_on=[custom_roles])
        if custom_roles is not None and custom_roles_granted(cfg, user)
        else None,
    )
    for user in cfg.database_users
}

# --- Operations: alert baseline, database auditing, org-level resource policies (docs/operations.md) ---
operations_args = alert_args(cfg, project.project_id)
alerting = AlertBaseline(f"{prefix}-alerts", operations_args) if operations_args.alerts or operations_args.integrations else None
auditing = (
    ProjectAuditing(f"{prefix}-audit", auditing_args(cfg, project.project_id)) if cfg.production_defaults.auditing else None
)
# Project-level, so it builds in parallel with the cluster: Atlas exports each cluster's logs once it runs.
log_args = log_export_args(cfg, project.project_id)
log_export = AtlasLogExport(f"{prefix}-log-export", log_args) if log_args else None
# Who read or deleted the exported logs and snapshots: S3 server access logs, in a bucket of their own.
access_logs_args = access_log_args(cfg, log_export, snapshot_export)
access_logs = AccessLogBucket(f"{prefix}-access-logs", access_logs_args) if access_logs_args else None
# Org-level: named after the app, not the environment, and enabled in exactly one stack file.
org_policies = (
    AtlasResourcePolicies(f"{cfg.app}-org-policies", resource_policies_args(cfg, project.project_id))
    if cfg.resource_policies.enabled
    else None
)

# --- Who may touch production: the organization's settings and automation's identity (docs/access.md) ---
# Org-level, adopted with `pulumi import`, in exactly one (production) stack file.
org_security_config = org_security_args(cfg)
org_security = OrgSecurity(f"{cfg.app}-org", org_security_config) if org_security_config else None
automation: ScopedServiceAccount | None = None
if secrets_kms_key_id is not None:
    automation_args = service_account_args(cfg, project.project_id, secrets_kms_key_id)
    automation = ScopedServiceAccount(f"{prefix}-sa", automation_args) if automation_args else None
# The scheduled access review's read-only identity, reachable only from its runners (docs/operations.md, "Live access review").
reviewer: ScopedServiceAccount | None = None
if secrets_kms_key_id is not None:
    reviewer_args = review_account_args(cfg, project.project_id, secrets_kms_key_id)
    reviewer = ScopedServiceAccount(f"{prefix}-review", reviewer_args) if reviewer_args else None

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
                "privateSrv": private_srv_by_region.get(region, {}),
            }
            for region, pe in private_endpoints.items()
        }
        # A region without nodes has no service of its own: its VPCs' strings go through other regions' endpoints.
        | {region: {"privateSrv": srv} for region, srv in private_srv_by_region.items() if region not in private_endpoints},
    )
pulumi.export("databaseUsers", {name: u.username for name, u in database_users.items()})
pulumi.export(
    "databaseUserSecretArns",
    {user.name: database_users[user.name].secret_arn for user in cfg.database_users if user.stores_credential},
)
# What an application's deployment needs to follow an alternating credential (docs/users.md, "Rotation"):
# who the secret points at now, and how often the application must re-read it at the least.
pulumi.export(
    "databaseUserRotation",
    {
        user.name: {
            "activeUsername": database_users[user.name].username,
            "usernames": database_users[user.name].usernames,
            "rotationCount": user.rotations,
            "rotationPeriodDays": user.rotation_period,
        }
        for user in cfg.database_users
        if cfg.production_defaults.password_rotation.get(user.name) == "alternating"
    },
)
if alerting is not None:
    pulumi.export("alertConfigurationIds", alerting.alert_configuration_ids)
if auditing is not None:
    pulumi.export("auditingEnabled", auditing.enabled)
if log_export is not None:
    pulumi.export("logExport", {"bucket": log_export.bucket_name, "logTypes": log_export.log_types, "role": log_export.role_arn})
if snapshot_export is not None:
    pulumi.export("snapshotExport", {"bucket": snapshot_export.bucket_name, "exportBucketId": snapshot_export.export_bucket_id})
if access_logs is not None:
    pulumi.export("s3AccessLogBucket", access_logs.bucket_name)
if org_policies is not None:
    pulumi.export("resourcePolicyIds", org_policies.policy_ids)
if org_security is not None:
    pulumi.export("organizationId", org_security.org_id)
if reviewer is not None and cfg.review is not None:
    pulumi.export(
        "reviewServiceAccount",
        {
            "clientId": reviewer.client_id,
            "secretArn": reviewer.secret_arn,
            "secretExpiresAt": reviewer.secret_expires_at,
            "accessList": {e.source: e.comment for e in cfg.review.service_account.access_list},
        },
    )
if automation is not None and cfg.service_account is not None:
    pulumi.export(
        "serviceAccount",
        {
            "clientId": automation.client_id,
            "secretArn": automation.secret_arn,
            "secretExpiresAt": automation.secret_expires_at,
            "accessList": {e.source: e.comment for e in cfg.service_account.access_list},
        },
    )
