"""PrivateEndpoint: AWS PrivateLink to the Atlas cluster in one region, end to end.

Chain per region: Atlas endpoint service (`PrivateLinkEndpoint`) -> per VPC: a security group
(or the caller's) -> an interface `aws.ec2.VpcEndpoint` on the service's name ->
`PrivateLinkEndpointService`, which approves and finalizes the connection on the Atlas side.

A VPC in another AWS region reaches the service over cross-region PrivateLink: the service lists
that region in `supported_remote_regions` (Atlas form) and the VPC's interface endpoint, created in
the VPC's own region, names the service's region in `service_region` (provider v2.16
`docs/resources/privatelink_endpoint_service.md`, "Example with AWS Cross-Region"). Its security
group lives in the VPC's region too, so security-group sources work there as they do locally.

Nothing here waits for the cluster: the chain and the cluster take minutes each and build in
parallel. Only the private SRV strings need both: `AdvancedCluster.connection_strings` is Atlas's
answer at create time, before any endpoint is linked, so the program reads the cluster data source
after every region's links (`__main__.py`) and matches it with `private_srv_by_vpc`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from .facts import atlas_region_name
from .naming import renamed_from, slug

TOKEN = "atlas-platform:index:PrivateEndpoint"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:PrivateEndpoint"

# The official Atlas PrivateLink modules open this range: the endpoint forwards each cluster
# node on its own port above 1024, and the ports are Atlas's to choose.
ATLAS_PORTS = (1024, 65535)

# The provider's defaults are 1h (endpoint service) and 2h (link, which also waits for every
# cluster in the project to be IDLE, so a cluster change in flight makes it slow). Neither has an
# update step: every input but the remote regions forces a replacement.
ATLAS_TIMEOUTS = pulumi.CustomTimeouts(create="2h", delete="2h")
# Read at create only, never from Atlas, and ForceNew (Optional, no Computed) on both Atlas resources
# (internal/service/privatelinkendpoint/resource.go, privatelinkendpointservice/resource.go, v2.16.0):
# after `pulumi import`, whose state has no value, sending one would replace the endpoint service or
# the link. Ignored after create, it still applies to what this program creates.
CREATE_ONLY = ["deleteOnCreateTimeout"]
# AWS's default 10m for an interface endpoint is tight while the service is still provisioning.
VPC_ENDPOINT_TIMEOUTS = pulumi.CustomTimeouts(create="30m", update="30m", delete="30m")


@dataclass(frozen=True)
class AllowedSource:
    """Who may reach the endpoint: one inbound rule on TCP 1024-65535."""

    key: str
    """Stable key (the source itself); it names the rule, so reordering sources replaces nothing."""
    description: str
    security_group_id: pulumi.Input[str] | None = None
    cidr_block: str | None = None


@dataclass(frozen=True)
class EndpointVpc:
    """An application VPC that gets an interface endpoint."""

    key: str
    """Stable name of the VPC (from the stack file); it names the endpoint and its security group."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """One subnet per availability zone."""
    allowed_sources: Sequence[AllowedSource] = ()
    """Rules of the security group the component creates. Empty when `security_group_id` is given."""
    security_group_id: pulumi.Input[str] | None = None
    """An existing security group to attach instead of creating one."""
    region: str | None = None
    """The VPC's AWS region when it is not the service's: its endpoint is then a cross-region one."""


@dataclass(frozen=True)
class PrivateEndpointArgs:
    project_id: pulumi.Input[str]
    """The Atlas project id."""
    region: str
    """AWS form (us-east-1): every AWS resource is pinned to it, so one program serves several regions."""
    vpcs: Sequence[EndpointVpc]
    """Every VPC with an interface endpoint to this region's service, in this region or (with
    `EndpointVpc.region`) in another one."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every AWS resource the component creates."""
    protect: bool = False
    """Refuse deleting the endpoint service, endpoints and links (prod: a deletion cuts the app off)."""


def _get(value: Any, name: str) -> Any:
    """A field of a provider output object, of its dict form, or of its camelCase dict form."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        camel = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
        return value.get(name, value.get(camel))
    return getattr(value, name, None)


def private_srv_by_vpc(connection_strings: Any, paths: Mapping[str, Sequence[str]]) -> dict[str, str | None]:
    """For each VPC (key -> the ids of every interface endpoint it reaches the cluster through, one
    per cluster region), the private SRV string Atlas lists for exactly those endpoints.

    Each `private_endpoints[]` entry names one endpoint per region (provider v2.16
    `docs/data-sources/advanced_cluster.md`): the entry whose endpoints are all among the VPC's is
    the one whose host names resolve to endpoints that VPC can reach. None until Atlas lists one.
    """
    objects = connection_strings if isinstance(connection_strings, (list, tuple)) else [connection_strings]
    entries: list[tuple[set[str], str]] = []
    for strings in objects:
        for private in _get(strings, "private_endpoints") or []:
            srv = _get(private, "srv_connection_string")
            ids = {_get(e, "endpoint_id") for e in _get(private, "endpoints") or []} - {None}
            if srv and ids:
                entries.append((ids, srv))
    return {key: next((srv for ids, srv in entries if ids <= set(path)), None) for key, path in paths.items()}


class PrivateEndpoint(pulumi.ComponentResource):
    """AWS PrivateLink to Atlas in one region: one endpoint service, one interface endpoint per VPC."""

    endpoint_service_name: pulumi.Output[str]
    """The AWS endpoint service Atlas created for the region."""
    endpoint_service_id: pulumi.Output[str]
    """Atlas's id of the endpoint service (`private_link_id`)."""
    vpc_endpoint_ids: dict[str, pulumi.Output[str]]
    """Interface endpoint id per VPC key."""
    security_group_ids: dict[str, pulumi.Output[str]]
    """Security group id of each VPC's endpoint, per VPC key."""

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        if not args.vpcs:
            raise ValueError(f"{name}: a private endpoint needs at least one VPC")
        keys = [slug(v.key) for v in args.vpcs]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{name}: VPC keys must be unique, got {keys}")
        chain = pulumi.ResourceOptions(parent=self, protect=args.protect)
        tags = dict(args.tags)

        # Atlas admits the service's own region by default and refuses it in the list.
        remote_regions = sorted(
            {atlas_region_name(v.region) for v in args.vpcs if v.region is not None and v.region != args.region}
        )
        service = atlas.PrivateLinkEndpoint(
            f"{name}-service",
            project_id=args.project_id,
            provider_name="AWS",
            region=atlas_region_name(args.region),
            # The only input Atlas updates in place (provider v2.16 privatelinkendpoint/resource.go):
            # adding an application region does not replace the service.
            supported_remote_regions=remote_regions or None,
            # On a timeout, clean up so the next `pulumi up` can create it again: a leftover
            # service blocks the region (PRIVATE_ENDPOINT_SERVICE_ALREADY_EXISTS_FOR_REGION).
            delete_on_create_timeout=True,
            opts=pulumi.ResourceOptions.merge(
                chain, pulumi.ResourceOptions(custom_timeouts=ATLAS_TIMEOUTS, ignore_changes=CREATE_ONLY)
            ),
        )

        vpc_endpoints: dict[str, aws.ec2.VpcEndpoint] = {}
        security_group_ids: dict[str, pulumi.Output[str]] = {}

        for vpc in args.vpcs:
            prefix = f"{name}-{slug(vpc.key)}"
            vpc_region = vpc.region or args.region
            group_id = (
                self._security_group(prefix, vpc, vpc_region, tags) if vpc.security_group_id is None else vpc.security_group_id
            )
            security_group_ids[vpc.key] = pulumi.Output.from_input(group_id)
            endpoint = aws.ec2.VpcEndpoint(
                f"{prefix}-vpce",
                vpc_id=vpc.vpc_id,
                vpc_endpoint_type="Interface",
                service_name=service.endpoint_service_name,
                subnet_ids=list(vpc.subnet_ids),
                security_group_ids=[group_id],
                region=vpc_region,
                service_region=args.region if vpc_region != args.region else None,
                tags={**tags, "Name": f"{prefix}-vpce"},
                opts=pulumi.ResourceOptions.merge(chain, pulumi.ResourceOptions(custom_timeouts=VPC_ENDPOINT_TIMEOUTS)),
            )
            vpc_endpoints[vpc.key] = endpoint
            atlas.PrivateLinkEndpointService(
                f"{prefix}-link",
                project_id=service.project_id,
                private_link_id=service.private_link_id,
                endpoint_service_id=endpoint.id,
                provider_name="AWS",
                delete_on_create_timeout=True,
                opts=pulumi.ResourceOptions.merge(
                    chain, pulumi.ResourceOptions(custom_timeouts=ATLAS_TIMEOUTS, ignore_changes=CREATE_ONLY)
                ),
            )

        self.endpoint_service_name = service.endpoint_service_name
        self.endpoint_service_id = service.private_link_id
        self.vpc_endpoint_ids = {key: endpoint.id for key, endpoint in vpc_endpoints.items()}
        self.security_group_ids = security_group_ids
        self.register_outputs(
            {
                "endpoint_service_name": self.endpoint_service_name,
                "endpoint_service_id": self.endpoint_service_id,
                "vpc_endpoint_ids": self.vpc_endpoint_ids,
                "security_group_ids": self.security_group_ids,
            }
        )

    def _security_group(self, prefix: str, vpc: EndpointVpc, region: str, tags: Mapping[str, str]) -> pulumi.Output[str]:
        if not vpc.allowed_sources:
            raise ValueError(f"{prefix}: give allowed_sources (a security group is created) or security_group_id")
        child = pulumi.ResourceOptions(parent=self)
        # No egress rules: the provider removes AWS's default allow-all egress, and an interface
        # endpoint only answers connections (security groups are stateful), it never opens one.
        group = aws.ec2.SecurityGroup(
            f"{prefix}-sg",
            vpc_id=vpc.vpc_id,
            description=f"Atlas PrivateLink endpoint {prefix}: TCP {ATLAS_PORTS[0]}-{ATLAS_PORTS[1]} from the application only",
            region=region,
            tags={**tags, "Name": f"{prefix}-sg"},
            opts=child,
        )
        for source in vpc.allowed_sources:
            if (source.security_group_id is None) == (source.cidr_block is None):
                raise ValueError(f"{prefix}: source {source.key!r} needs exactly one of security_group_id, cidr_block")
            if not source.description.strip():
                raise ValueError(f"{prefix}: source {source.key!r} needs a description")
            ipv6 = source.cidr_block is not None and ":" in source.cidr_block
            aws.vpc.SecurityGroupIngressRule(
                f"{prefix}-sg-from-{slug(source.key)}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=ATLAS_PORTS[0],
                to_port=ATLAS_PORTS[1],
                referenced_security_group_id=source.security_group_id,
                cidr_ipv4=source.cidr_block if source.cidr_block is not None and not ipv6 else None,
                cidr_ipv6=source.cidr_block if ipv6 else None,
                description=source.description,
                region=region,
                tags={**tags, "Name": f"{prefix}-sg-from-{slug(source.key)}"},
                opts=child,
            )
        return group.id
