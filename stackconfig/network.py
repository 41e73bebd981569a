"""The network section of the stack file: who may connect to the environment's cluster.

Two ways in, as the production guide recommends: commented IP access-list entries (public
connections from known addresses) and AWS PrivateLink endpoints (private connections from
application VPCs). Every address is parsed with `ipaddress`, never compared as text, so
`::0/0`, `0:0::/0` and `::/0` are the same open range and `10.0.0.1` and `10.0.0.1/32`
are the same entry.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from atlas_platform.components.facts import (
    ATLAS_REGION_SHAPE,
    AWS_REGION_SHAPE,
    MAX_ACCESS_LIST_ENTRIES,
    OPT_OUT_REASON_MIN_LENGTH,
    REASON_MAX_LENGTH,
    WIDEST_PREFIX,
    aws_region_name,
)

from .base import StackModel, invalid, matches, unique
from .environment import in_production

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Errors about a value use the loader's kinds `invalid_format` (unreadable, misaligned) and
# `not_allowed` (a range this program refuses): their messages already quote the value.

AwsRegion = Annotated[
    str,
    matches(
        AWS_REGION_SHAPE,
        "an AWS region",
        "write it in AWS's form, lowercase with hyphens (e.g. us-east-1, eu-west-2)",
    ),
]
VpcId = Annotated[
    str, matches(r"vpc-([0-9a-f]{8}|[0-9a-f]{17})", "a VPC id", "write the id AWS shows for it (e.g. vpc-0a1b2c3d4e5f60718)")
]
SubnetId = Annotated[
    str,
    matches(r"subnet-([0-9a-f]{8}|[0-9a-f]{17})", "a subnet id", "write the id AWS shows for it (e.g. subnet-0a1b2c3d4e5f60718)"),
]
SecurityGroupId = Annotated[
    str,
    matches(r"sg-([0-9a-f]{8}|[0-9a-f]{17})", "a security group id", "write the id AWS shows for it (e.g. sg-0a1b2c3d4e5f60718)"),
]
Key = Annotated[
    str,
    matches(
        r"[a-z0-9][a-z0-9-]{0,39}",
        "a valid name",
        "use at most 40 lowercase letters, digits and hyphens, starting with a letter or digit (e.g. app-vpc)",
    ),
]
# Atlas limits an access-list comment to 80 characters.
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80)]
RuleDescription = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=255)]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=OPT_OUT_REASON_MIN_LENGTH, max_length=REASON_MAX_LENGTH)
]


def _limit_check(network: IPNetwork, written: str) -> None:
    """Refuse ranges that open the cluster to the internet or to most of it."""
    if network.prefixlen == 0:
        raise invalid(
            "not_allowed",
            f"{written!r} allows every address on the internet; list the application servers', bastions' "
            "and tools' own addresses or CIDRs instead (or use a private endpoint)",
        )
    mapped = network.version == 6 and network.network_address.ipv4_mapped is not None
    version, prefix = (4, network.prefixlen - 96) if mapped else (network.version, network.prefixlen)
    if prefix < WIDEST_PREFIX[version]:
        raise invalid(
            "not_allowed",
            f"{written!r} is wider than /{WIDEST_PREFIX[version]} (IPv{version}); "
            f"list narrower ranges that hold only your own servers (e.g. a /16 or /24)",
        )


def _address_check(address: ipaddress.IPv4Address | ipaddress.IPv6Address, written: str) -> None:
    _no_zone(address, written)
    if address.is_unspecified:
        raise invalid(
            "not_allowed",
            f"{written!r} is the unspecified address (it stands for any address); write a server's own address",
        )
    if address.is_loopback or address.is_multicast or address.is_link_local:
        raise invalid("not_allowed", f"{written!r} is a loopback, multicast or link-local address, never a client of Atlas")


def _no_zone(address: ipaddress.IPv4Address | ipaddress.IPv6Address, written: str) -> None:
    """A zone id (`%eth0`) names an interface on one host: Atlas has no such thing, and `ipaddress`
    would make `2001:db8::1%eth0` a different entry from `2001:db8::1`."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        bare = written.strip().replace(f"%{address.scope_id}", "")
        raise invalid("invalid_format", f"{written!r} has a zone id (%{address.scope_id}); write {bare}")


def parse_cidr(value: str) -> IPNetwork:
    """A CIDR range with the safety limits applied; raises a validation error that says the fix."""
    text = value.strip()
    if "/" not in text:
        try:
            single = ipaddress.ip_address(text)
        except ValueError:
            single = None
        if single is not None:
            raise invalid(
                "invalid_format",
                f"{value!r} has no prefix length; write it as {single}/{single.max_prefixlen} (or use ipAddress for one address)",
            )
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise invalid(
            "invalid_format", f"{value!r} is not a CIDR block; write an address and prefix length (e.g. 10.20.0.0/16)"
        ) from None
    _limit_check(network, value)
    if ipaddress.ip_interface(text).ip != network.network_address:
        raise invalid(
            "invalid_format",
            f"{value!r} has host bits set; its network address is {network}: write {network} "
            "(or the single address with ipAddress)",
        )
    if network.network_address.is_unspecified:
        raise invalid("not_allowed", f'{value!r} starts at the unspecified address ("this network"), never a client of Atlas')
    if network.is_loopback or network.is_multicast or network.is_link_local:
        raise invalid("not_allowed", f"{value!r} is a loopback, multicast or link-local range, never a client of Atlas")
    return network


def parse_address(value: str) -> IPNetwork:
    """A single address, as the /32 (or /128) network it stands for."""
    text = value.strip()
    if "/" in text:
        raise invalid("invalid_format", f"{value!r} is a range, not one address; put it under cidrBlock instead")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise invalid(
            "invalid_format", f"{value!r} is not an IP address; write one IPv4 or IPv6 address (e.g. 203.0.113.10)"
        ) from None
    _address_check(address, value)
    return ipaddress.ip_network(address)


def _exactly_one(model: StackModel, fields: tuple[str, ...], what: str) -> str:
    given = [f for f in fields if getattr(model, f) is not None]
    aliases = [type(model).model_fields[f].alias or f for f in fields]
    if not given:
        raise invalid("exactly_one", f"{what} needs one of {', '.join(aliases)}; add the source it stands for")
    if len(given) > 1:
        written = ", ".join(type(model).model_fields[f].alias or f for f in given)
        raise invalid(
            "exactly_one",
            f"{what} needs exactly one of {', '.join(aliases)}; it has {written}: split it into one entry per source",
        )
    return given[0]


def _cidr_text(value: str) -> str:
    parse_cidr(value)
    return value.strip()


def _address_text(value: str) -> str:
    parse_address(value)
    return value.strip()


# The text as written (stripped), once it parses as a safe range / address.
CidrText = Annotated[str, AfterValidator(_cidr_text)]
AddressText = Annotated[str, AfterValidator(_address_text)]

# One rule for every access list (the project's and a service account's): a private or carrier-grade
# NAT range is never the source Atlas sees from the internet. Atlas sees the public address the traffic
# leaves from (a NAT gateway, a runner's egress); private networks reach the cluster through a private
# endpoint, whose security group (`privateEndpoints[].vpcs[].allowedSources`) takes private ranges.
NON_PUBLIC_RANGES: dict[IPNetwork, str] = {
    ipaddress.ip_network("10.0.0.0/8"): "RFC 1918 private",
    ipaddress.ip_network("172.16.0.0/12"): "RFC 1918 private",
    ipaddress.ip_network("192.168.0.0/16"): "RFC 1918 private",
    ipaddress.ip_network("100.64.0.0/10"): "RFC 6598 carrier-grade NAT",
    ipaddress.ip_network("fc00::/7"): "RFC 4193 unique local",
}


def check_public_source(network: IPNetwork, written: str) -> None:
    """Refuse a source inside a private or carrier-grade NAT range, in any access list."""
    for private, what in NON_PUBLIC_RANGES.items():
        if network.version == private.version and network.subnet_of(private):  # type: ignore[arg-type]
            raise invalid(
                "private_source",
                f"{written!r} is a private range ({private}, {what}); Atlas sees the public address the traffic leaves "
                "from (its NAT gateway or runner egress): write that address instead (a private network reaches the "
                "cluster through network.privateEndpoints, whose allowedSources take private ranges)",
            )


def _public_cidr_text(value: str) -> str:
    check_public_source(parse_cidr(value), value)
    return value


def _public_address_text(value: str) -> str:
    check_public_source(parse_address(value), value)
    return value


PublicCidrText = Annotated[CidrText, AfterValidator(_public_cidr_text)]
PublicAddressText = Annotated[AddressText, AfterValidator(_public_address_text)]


class AccessListEntry(StackModel):
    """One IP access-list entry: one source of public connections, with the reason it is there."""

    ip_address: PublicAddressText | None = None
    """One public IPv4 or IPv6 address (e.g. a bastion's elastic IP, 203.0.113.10)."""
    cidr_block: PublicCidrText | None = None
    """A public CIDR range in network-address form (e.g. 203.0.113.0/28); at most /8 wide (IPv4) or /32 (IPv6)."""
    aws_security_group: SecurityGroupId | None = None
    """An AWS security group id (sg-...); Atlas honours it only over a VPC peering connection."""
    comment: Comment
    """Why this entry exists, as Atlas shows it (e.g. prod-app-ecs-cluster, prod-bastion)."""

    @field_validator("cidr_block", mode="before")
    @classmethod
    def _no_zone_in_range(cls, value: Any) -> Any:
        # Before the range checks: `ipaddress` keeps a zone id on the network address only.
        if isinstance(value, str) and "%" in value:
            try:
                address = ipaddress.ip_address(value.strip().partition("/")[0])
            except ValueError:
                return value
            _no_zone(address, value)
        return value

    @model_validator(mode="after")
    def _one_source(self) -> AccessListEntry:
        _exactly_one(self, ("ip_address", "cidr_block", "aws_security_group"), "an access-list entry")
        return self

    @property
    def network(self) -> IPNetwork | None:
        """The range this entry opens (None for a security group)."""
        if self.ip_address is not None:
            return parse_address(self.ip_address)
        if self.cidr_block is not None:
            return parse_cidr(self.cidr_block)
        return None

    @property
    def source(self) -> str:
        """The entry's identity: the canonical range (an address is its /32 or /128) or the security group id.

        The same identity names the entry's resource (`atlas_platform/components/access_list.py`, `AccessListEntry.key`):
        two entries the config calls twins would be one Atlas entry and one Pulumi resource, and
        `tests/test_network_config.py` holds the two to that.
        """
        network = self.network
        return str(network) if network is not None else str(self.aws_security_group)


class AllowedSource(StackModel):
    """A source allowed to reach the private endpoint (one inbound security-group rule)."""

    security_group_id: SecurityGroupId | None = None
    """The application's security group (sg-...), in the same or a peered VPC."""
    cidr_block: CidrText | None = None
    """An application subnet's CIDR (e.g. 10.10.16.0/20); never 0.0.0.0/0, at most /8 wide."""
    description: RuleDescription
    """What this source is (it becomes the rule's description, e.g. payments-api ECS tasks)."""

    @model_validator(mode="after")
    def _one_source(self) -> AllowedSource:
        _exactly_one(self, ("security_group_id", "cidr_block"), "an allowed source")
        return self

    @property
    def network(self) -> IPNetwork | None:
        return parse_cidr(self.cidr_block) if self.cidr_block is not None else None

    @property
    def source(self) -> str:
        network = self.network
        return str(network) if network is not None else str(self.security_group_id)


class RoutedRegion(StackModel):
    """Another cluster region this VPC reaches over VPC peering or a Transit Gateway, through the
    interface endpoint of a VPC in that region, instead of over its own cross-region endpoint."""

    region: AwsRegion
    """The region reached this way (an entry of privateEndpoints, e.g. us-east-2)."""
    via: Key
    """The name of the VPC in that region whose endpoint carries the traffic; this VPC is peered or
    routed to it (Atlas admits connections to an endpoint made transitively from a peered VPC)."""
    cidr_blocks: Annotated[list[CidrText], Field(min_length=1)]
    """This VPC's application ranges that cross the peering or gateway: they become CIDR rules on
    the endpoint's security group there, since security-group references do not cross regions."""

    @field_validator("cidr_blocks")
    @classmethod
    def _unique_cidrs(cls, cidrs: list[str]) -> list[str]:
        unique([str(parse_cidr(c)) for c in cidrs], "cidrBlock")
        return cidrs


class EndpointVpc(StackModel):
    """An application VPC that gets an interface endpoint to the region's Atlas endpoint service."""

    name: Key
    """A stable name for this VPC; it names the Pulumi resources, so renaming it replaces the endpoint."""
    vpc_id: VpcId
    """The VPC the interface endpoint goes into (vpc-...)."""
    subnet_ids: Annotated[list[SubnetId], Field(min_length=1)]
    """Subnets for the endpoint's network interfaces, one per availability zone (at least two in prod)."""
    allowed_sources: list[AllowedSource] = []
    """Who may reach the endpoint: application security groups or CIDRs (TCP 1024-65535). A security
    group with exactly these rules is created for you."""
    security_group_id: SecurityGroupId | None = None
    """Instead of allowedSources: an existing security group to attach to the endpoint, managed elsewhere."""
    cross_region_private_link: bool = True
    """Give this VPC an interface endpoint to every other region's endpoint service (cross-region
    PrivateLink), so it reaches every node after a failover. Turn off only where routedRegions
    covers the other regions (e.g. a region pair AWS cross-region PrivateLink does not serve)."""
    routed_regions: list[RoutedRegion] = []
    """Other regions reached over peering or a Transit Gateway instead (no endpoint of its own there)."""

    @field_validator("routed_regions")
    @classmethod
    def _one_route_per_region(cls, routes: list[RoutedRegion]) -> list[RoutedRegion]:
        unique([r.region for r in routes], "routed region")
        return routes

    @field_validator("subnet_ids")
    @classmethod
    def _unique_subnets(cls, subnets: list[str], info: ValidationInfo) -> list[str]:
        unique(subnets, "subnet")
        if in_production(info) and len(subnets) < 2:
            raise invalid(
                "single_az",
                f"prod needs subnets in at least two availability zones (got {len(subnets)}); "
                "add one subnet per AZ so one AZ outage does not cut the cluster off",
            )
        return subnets

    @field_validator("allowed_sources", mode="wrap")
    @classmethod
    def _unique_sources(cls, value: Any, handler: Callable[[Any], list[AllowedSource]]) -> list[AllowedSource]:
        key = _raw_source_key(("securityGroupId", "security_group_id"), ("cidrBlock", "cidr_block"))
        return _with_duplicates(value, handler, key, "source", "keep one rule per source")

    @model_validator(mode="after")
    def _one_way_in(self) -> EndpointVpc:
        if bool(self.allowed_sources) == (self.security_group_id is not None):
            raise invalid(
                "exactly_one",
                f"VPC {self.name!r} needs either allowedSources (a security group is created for them) "
                "or securityGroupId (an existing one), not both and not neither",
            )
        return self


class PrivateEndpointRegion(StackModel):
    """AWS PrivateLink in one region: the application VPCs there and, where the cluster has nodes, the
    region's Atlas endpoint service (one interface endpoint into it per VPC that reaches it)."""

    region: AwsRegion
    """An AWS region where the cluster has nodes (it gets an Atlas endpoint service), or where
    application VPCs are that reach the cluster's regions only cross-region (e.g. us-east-1)."""
    vpcs: list[EndpointVpc] = []
    """The application VPCs in this region that connect privately. None: a cluster region that only the
    other regions' VPCs reach, over cross-region PrivateLink."""

    @field_validator("region", mode="before")
    @classmethod
    def _aws_form(cls, value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(ATLAS_REGION_SHAPE, value):
            raise invalid("invalid_format", f"{value!r} is Atlas's form; write AWS's: {aws_region_name(value)}")
        return value

    @field_validator("vpcs")
    @classmethod
    def _unique_vpcs(cls, vpcs: list[EndpointVpc]) -> list[EndpointVpc]:
        unique([v.name for v in vpcs], "VPC name")
        unique([v.vpc_id for v in vpcs], "vpcId")
        unique([s for v in vpcs for s in v.subnet_ids], "subnet")
        return vpcs


class Network(StackModel):
    """Who may connect to the cluster: commented IP access-list entries and AWS private endpoints."""

    access_list: list[AccessListEntry] = []
    """IP access-list entries: application servers, bastions and required tools only, each with a comment."""
    private_endpoints: list[PrivateEndpointRegion] = []
    """AWS PrivateLink per region (Atlas allows one endpoint service per region per project)."""
    private_endpoint_opt_out_reason: Reason | None = None
    """prod only: why this production stack has no private endpoint (required then; a written reason)."""

    @field_validator("access_list", mode="wrap")
    @classmethod
    def _unique_entries(cls, value: Any, handler: Callable[[Any], list[AccessListEntry]]) -> list[AccessListEntry]:
        key = _raw_source_key(
            ("ipAddress", "ip_address"), ("cidrBlock", "cidr_block"), ("awsSecurityGroup", "aws_security_group")
        )
        return _with_duplicates(value, handler, key, "access-list entry", "keep one entry and merge the comments")

    @field_validator("access_list")
    @classmethod
    def _within_atlas_limit(cls, entries: list[AccessListEntry]) -> list[AccessListEntry]:
        if len(entries) > MAX_ACCESS_LIST_ENTRIES:
            raise invalid(
                "too_many_entries",
                f"{len(entries)} entries; Atlas allows at most {MAX_ACCESS_LIST_ENTRIES} IP access-list entries per "
                "project: merge neighbouring addresses into CIDR ranges, or move applications to private endpoints",
            )
        return entries

    @field_validator("private_endpoints")
    @classmethod
    def _one_per_region(cls, regions: list[PrivateEndpointRegion]) -> list[PrivateEndpointRegion]:
        # Atlas refuses a second endpoint service in a region (PRIVATE_ENDPOINT_SERVICE_ALREADY_EXISTS_FOR_REGION).
        unique([r.region for r in regions], "region")
        unique([v.vpc_id for r in regions for v in r.vpcs], "vpcId")
        _check_endpoint_keys(regions)
        _check_routes(regions)
        return regions

    def service_regions(self, node_regions: Collection[str] | None) -> list[str]:
        """The entries' regions that get an Atlas endpoint service: those where the cluster has nodes
        (`node_regions`; None: no cluster in the stack, so every entry's). A region without nodes needs
        none: its VPCs reach the cluster's regions over cross-region PrivateLink."""
        return [r.region for r in self.private_endpoints if node_regions is None or r.region in node_regions]

    def private_paths(self, service_regions: Collection[str] | None = None) -> dict[tuple[str, str], dict[str, str | None]]:
        """Each VPC, as (its region, its name) -> every service region it reaches privately -> the
        name of the VPC whose endpoint it uses there (None: its own, local or cross-region).
        `service_regions`: see `service_regions` (None: every entry's region)."""
        regions = [r.region for r in self.private_endpoints] if service_regions is None else list(service_regions)
        paths: dict[tuple[str, str], dict[str, str | None]] = {}
        for entry in self.private_endpoints:
            for vpc in entry.vpcs:
                own: dict[str, str | None] = {entry.region: None} if entry.region in regions else {}
                if vpc.cross_region_private_link:
                    own |= dict.fromkeys(regions, None)
                paths[(entry.region, vpc.name)] = own | {route.region: route.via for route in vpc.routed_regions}
        return paths

    def unreachable(self, regions: list[str], service_regions: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        """(VPC name, its region, cluster region) for each of `regions` a VPC has no private path to."""
        return [
            (name, home, region)
            for (home, name), path in self.private_paths(service_regions).items()
            for region in regions
            if region not in path
        ]

    @model_validator(mode="after")
    def _prod_is_private(self, info: ValidationInfo) -> Network:
        production, environment = in_production(info), (info.context or {}).get("environment")
        if self.private_endpoints and self.private_endpoint_opt_out_reason:
            raise invalid(
                "contradiction",
                "privateEndpointOptOutReason is set but privateEndpoints are configured; remove the opt-out reason",
            )
        if production and not self.private_endpoints and not self.private_endpoint_opt_out_reason:
            raise invalid(
                "prod_without_private_endpoint",
                "prod has no private endpoint; add network.privateEndpoints (region, vpcs) or, if this production "
                "stack really must use the public access list only, set network.privateEndpointOptOutReason to why",
            )
        if not production and self.private_endpoint_opt_out_reason:
            raise invalid(
                "opt_out_outside_prod",
                f"privateEndpointOptOutReason only applies to prod (this stack is {environment}); remove it",
            )
        return self


def endpoint_key(home: str, name: str, service_region: str) -> str:
    """The key naming a VPC's endpoint in `service_region`'s chain: its name there, and
    `<its region>-<name>` for a cross-region one, since names are unique only within a region."""
    return name if home == service_region else f"{home}-{name}"


def _check_endpoint_keys(regions: list[PrivateEndpointRegion]) -> None:
    # A VPC called `us-east-1-app` in us-east-2 would share its resource names with the cross-region
    # endpoint there of us-east-1's `app`.
    for entry in regions:
        local = {v.name for v in entry.vpcs}
        for other in regions:
            for vpc in other.vpcs:
                key = endpoint_key(other.region, vpc.name, entry.region)
                if other.region != entry.region and key in local:
                    raise invalid(
                        "endpoint_key_clash",
                        f"VPC name {key!r} in {entry.region} is also the name of the cross-region endpoint there of "
                        f"{other.region}'s VPC {vpc.name!r}; rename one of them (e.g. drop the {other.region}- prefix)",
                    )


def _check_routes(regions: list[PrivateEndpointRegion]) -> None:
    """Each routed region names an endpoint VPC of that region whose security group this program manages."""
    by_region = {r.region: {v.name: v for v in r.vpcs} for r in regions}
    problems: list[InitErrorDetails] = []
    routed_cidrs: dict[tuple[str, str, str], str] = {}

    def refuse(index: int, vpc_index: int, route_index: int, kind: str, message: str, value: Any) -> None:
        problems.append(
            InitErrorDetails(
                type=PydanticCustomError(kind, message),
                loc=(index, "vpcs", vpc_index, "routedRegions", route_index),
                input=value,
            )
        )

    for index, entry in enumerate(regions):
        for vpc_index, vpc in enumerate(entry.vpcs):
            for route_index, route in enumerate(vpc.routed_regions):
                raw = route.model_dump(by_alias=True)
                where = (index, vpc_index, route_index)
                if route.region == entry.region:
                    refuse(
                        *where,
                        "routed_home",
                        f"VPC {vpc.name!r} is in {route.region} and uses its own endpoint there; remove this routedRegions entry",
                        raw,
                    )
                    continue
                targets = by_region.get(route.region)
                if targets is None:
                    refuse(
                        *where,
                        "routed_region",
                        f"VPC {vpc.name!r} is routed to {route.region}, which has no "
                        f"privateEndpoints entry; add one for {route.region} or route to a region in "
                        f"{sorted(by_region)}",
                        raw,
                    )
                    continue
                target = targets.get(route.via)
                if target is None:
                    refuse(
                        *where,
                        "routed_via",
                        f"VPC {vpc.name!r} is routed to {route.region} via {route.via!r}, "
                        f"but {route.region} has no VPC of that name; write one of {sorted(targets)}",
                        raw,
                    )
                    continue
                if target.security_group_id is not None:
                    refuse(
                        *where,
                        "routed_unmanaged_group",
                        f"VPC {vpc.name!r} is routed to {route.region} via "
                        f"{route.via!r}, whose endpoint uses an existing security group this program cannot add "
                        f"{vpc.name!r}'s ranges to; give {route.via!r} allowedSources instead, or remove this entry "
                        "to use cross-region PrivateLink",
                        raw,
                    )
                    continue
                own = {s.source for s in target.allowed_sources}
                for cidr in route.cidr_blocks:
                    canonical = str(parse_cidr(cidr))
                    other = routed_cidrs.get((route.region, route.via, canonical))
                    if canonical in own or other is not None:
                        refuse(
                            *where,
                            "routed_duplicate",
                            f"{canonical} is already a source of {route.via!r}'s "
                            f"endpoint ({'its own' if other is None else 'routed from ' + repr(other)}); "
                            "AWS refuses a repeated rule: keep it in one place",
                            raw,
                        )
                    routed_cidrs[(route.region, route.via, canonical)] = f"{entry.region}/{vpc.name}"
    if problems:
        raise ValidationError.from_exception_data("routedRegions", problems)


def _raw_source_key(*fields: tuple[str, str]) -> Callable[[Any], str | None]:
    """Identity of a not-yet-validated entry, or None when it will fail validation on its own."""

    def key(raw: Any) -> str | None:
        if not isinstance(raw, dict):
            return None
        given = [(alias, raw.get(alias, raw.get(name))) for alias, name in fields]
        given = [(alias, value) for alias, value in given if value is not None]
        if len(given) != 1 or not isinstance(given[0][1], str):
            return None
        alias, value = given[0][0], str(given[0][1])
        try:
            if alias == "ipAddress":
                return str(parse_address(value))
            if alias == "cidrBlock":
                return str(parse_cidr(value))
        except PydanticCustomError:
            return None
        return value.strip()

    return key


def _with_duplicates(
    value: Any, handler: Callable[[Any], list[Any]], key: Callable[[Any], str | None], what: str, fix: str
) -> list[Any]:
    """Validate a list and refuse repeated sources, reporting duplicates together with entry errors.

    A plain after-validator would only run once every entry is valid, so a stack with both an open
    range and a duplicate would need two runs to see both problems.
    """
    duplicates: list[InitErrorDetails] = []
    if isinstance(value, list):
        seen: dict[str, int] = {}
        for index, raw in enumerate(value):
            identity = key(raw)
            if identity is None:
                continue
            if identity in seen:
                duplicates.append(
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "duplicate",
                            f"{what} {identity} repeats [{seen[identity]}] (an address and its /32 are the same); {fix}",
                        ),
                        loc=(index,),
                        input=raw,
                    )
                )
            else:
                seen[identity] = index
    try:
        result = handler(value)
    except ValidationError as error:
        if not duplicates:
            raise
        rebuilt = [
            InitErrorDetails(type=PydanticCustomError(e["type"], e["msg"]), loc=e["loc"], input=e.get("input"))
            for e in error.errors(include_url=False)
        ]
        raise ValidationError.from_exception_data(error.title, rebuilt + duplicates) from None
    if duplicates:
        raise ValidationError.from_exception_data("duplicates", duplicates)
    return result
