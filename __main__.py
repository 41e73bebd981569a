"""The Pulumi program: stack file -> one StackConfig -> components -> exports.

This is the only module that reads Pulumi's config. Everything below it takes typed args.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.project import IdpGroupRoles, ProdProject, ProdProjectArgs, ProjectFeatures, TeamRoles
from stackconfig import StackConfig, load_stack_config

HERE = Path(__file__).parent


def read_stack_config() -> StackConfig:
    """Every config key the engine passed, validated at once against the stack file's schema."""
    stack, project = pulumi.get_stack(), pulumi.get_project()
    # pulumi.Config reads one key at a time; unknown-key detection needs the whole map, which
    # the engine passes as PULUMI_CONFIG (and the mock runtime through set_all_config).
    config = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = {key for key in config if pulumi.runtime.is_config_secret(key)}
    secret_keys |= set(pulumi.runtime.get_config_secret_keys_env())
    return load_stack_config(
        config, namespace=project, stack_file=HERE / f"Pulumi.{stack}.yaml", secret_keys=secret_keys
    )


def project_args(cfg: StackConfig) -> ProdProjectArgs:
    settings = cfg.project_settings
    data_explorer = settings.data_explorer if settings.data_explorer is not None else not cfg.is_prod
    return ProdProjectArgs(
        org_id=cfg.org_id,
        name=cfg.resolved_project_name,
        tags={"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi", **cfg.project_tags},
        features=ProjectFeatures(
            data_explorer=data_explorer,
            data_explorer_gen_ai=settings.data_explorer_gen_ai,
            performance_advisor=settings.performance_advisor,
            schema_advisor=settings.schema_advisor,
            realtime_performance_panel=settings.realtime_performance_panel,
            collect_database_statistics=settings.collect_database_statistics,
            default_alerts=settings.default_alerts,
        ),
        teams=[TeamRoles(key=t.name, team_id=t.team_id, role_names=t.roles) for t in cfg.teams],
        federation_settings_id=cfg.federation.settings_id if cfg.federation else None,
        idp_groups=[
            IdpGroupRoles(external_group_name=g.external_group_name, role_names=g.roles)
            for g in (cfg.federation.groups if cfg.federation else [])
        ],
        protect=cfg.is_prod,
    )


cfg = read_stack_config()
prefix = cfg.resource_prefix

project = ProdProject(prefix, project_args(cfg))

pulumi.export("environment", cfg.environment)
pulumi.export("projectId", project.project_id)
pulumi.export("projectName", project.project_name)


# --- Network access: commented IP access list and AWS PrivateLink (docs/network.md) ---
from components.access_list import AccessListEntry, IpAccessList, IpAccessListArgs  # noqa: E402
from components.private_endpoint import AllowedSource, EndpointVpc, PrivateEndpoint, PrivateEndpointArgs  # noqa: E402
from stackconfig.network import PrivateEndpointRegion  # noqa: E402


def access_list_args(cfg: StackConfig, project_id: pulumi.Input[str]) -> IpAccessListArgs:
    return IpAccessListArgs(
        project_id=project_id,
        entries=[
            AccessListEntry(
                comment=e.comment, ip_address=e.ip_address, cidr_block=e.cidr_block, aws_security_group=e.aws_security_group
            )
            for e in cfg.network.access_list
        ],
    )


def private_endpoint_args(cfg: StackConfig, region: PrivateEndpointRegion, project_id: pulumi.Input[str]) -> PrivateEndpointArgs:
    return PrivateEndpointArgs(
        project_id=project_id,
        region=region.region,
        vpcs=[
            EndpointVpc(
                key=vpc.name,
                vpc_id=vpc.vpc_id,
                subnet_ids=vpc.subnet_ids,
                allowed_sources=[
                    AllowedSource(
                        key=s.source, description=s.description, security_group_id=s.security_group_id, cidr_block=s.cidr_block
                    )
                    for s in vpc.allowed_sources
                ],
                security_group_id=vpc.security_group_id,
            )
            for vpc in region.vpcs
        ],
        # Wired to the cluster's connection_strings once the cluster exists in this program.
        cluster_connection_strings=None,
        tags={"environment": cfg.environment, "application": cfg.app, "managed-by": "pulumi"},
        protect=cfg.is_prod,
    )


if cfg.network.access_list:
    access_list = IpAccessList(f"{prefix}-access", access_list_args(cfg, project.project_id))
    pulumi.export("accessListEntries", [e.comment for e in cfg.network.access_list])

private_endpoints = {
    r.region: PrivateEndpoint(f"{prefix}-privatelink-{r.region}", private_endpoint_args(cfg, r, project.project_id))
    for r in cfg.network.private_endpoints
}
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
