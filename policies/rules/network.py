"""Rules 1, 2 and 8: nothing reachable from the internet, and PrivateLink built the Atlas way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from . import types as t
from .base import Context, StackResource, Violation, resource_policy, stack_policy
from .values import UNKNOWN, Network, Unknown, covers_everything, items, parse_network, require_known

# Atlas access list: anything wider than these prefixes is treated as public.
MIN_IPV4_PREFIX = 8
MIN_IPV6_PREFIX = 32


def _access_list_problem(field: str, value: Any) -> str | None:
    if value is UNKNOWN:
        return (
            f"{field} is unknown during preview, so it cannot be proven private. Pass a literal CIDR "
            "(from the stack file) instead of another resource's output, or use awsSecurityGroup."
        )
    if not isinstance(value, str):
        return f"{field}={value!r} is not an address. Write a CIDR block such as 10.20.0.0/16."
    try:
        network = parse_network(value)
    except ValueError:
        return f"{field}={value!r} does not parse as an IP address or CIDR block. Write a valid CIDR such as 10.20.0.0/16."
    if network.prefixlen == 0:
        return (
            f"{field}={value!r} opens the project to the whole internet. Remove it and list your "
            "application's egress CIDRs, or better, connect through PrivateLink."
        )
    if network.network_address.is_unspecified:
        return (
            f"{field}={value!r} is the unspecified address ({network}), a common way of writing 'anywhere', "
            "never a real client. List your application's egress CIDRs instead."
        )
    limit = MIN_IPV4_PREFIX if network.version == 4 else MIN_IPV6_PREFIX
    if network.prefixlen < limit:
        return (
            f"{field}={value!r} is {network} (/{network.prefixlen}), wider than /{limit}. "
            f"Narrow it to /{limit} or longer: list the exact ranges your application connects from."
        )
    return None


def check_access_list(props: Mapping[str, Any], ctx: Context) -> list[str]:
    problems = [_access_list_problem(f, props[f]) for f in ("cidrBlock", "ipAddress") if props.get(f) is not None]
    return [p for p in problems if p]


def _ingress_networks(field: str, values: Any) -> tuple[list[Network], list[str]]:
    """The parsed ranges of one ingress field, and the messages for those that fail closed."""
    networks: list[Network] = []
    problems: list[str] = []
    listed = items(values)
    if isinstance(listed, Unknown):
        return networks, [
            f"{field} is unknown during preview, so it cannot be proven private. Use literal CIDRs or source security groups."
        ]
    for index, value in enumerate(listed):
        where = f"{field}[{index}]" if isinstance(values, list) else field
        if value is UNKNOWN:
            problems.append(
                f"{where} is unknown during preview, so it cannot be proven private. "
                "Use a literal CIDR or a source security group."
            )
            continue
        try:
            networks.append(parse_network(str(value)))
        except ValueError:
            problems.append(f"{where}={value!r} does not parse as a CIDR block. Write a valid private CIDR such as 10.0.0.0/16.")
    return networks, problems


def _ingress_problems(where: str, fields: Mapping[str, Any]) -> list[str]:
    networks: list[Network] = []
    problems: list[str] = []
    for field, values in fields.items():
        found, bad = _ingress_networks(f"{where}{field}", values)
        networks += found
        problems += bad
    if covers_everything(networks):
        shown = ", ".join(str(n) for n in networks)
        problems.insert(
            0,
            f"{where.rstrip('.') or 'this rule'} allows inbound traffic from the whole internet ({shown}). "
            "Replace 0.0.0.0/0 and ::/0 with your application's CIDRs or source security groups.",
        )
    return problems


def check_security_group_ingress(props: Mapping[str, Any], ctx: Context) -> list[str]:
    if ctx.resource_type == t.SECURITY_GROUP:
        rules = items(props.get("ingress"))
        if isinstance(rules, Unknown):
            return [
                "ingress is unknown during preview, so it cannot be proven private. Declare ingress rules with literal CIDRs."
            ]
        problems: list[str] = []
        for index, rule in enumerate(rules):
            if rule is UNKNOWN or not isinstance(rule, Mapping):
                problems.append(f"ingress[{index}] is unknown during preview, so it cannot be proven private.")
                continue
            problems += _ingress_problems(f"ingress[{index}].", {f: rule.get(f) for f in ("cidrBlocks", "ipv6CidrBlocks")})
        return problems
    if ctx.resource_type == t.SECURITY_GROUP_RULE:
        kind = props.get("type")
        if kind is not UNKNOWN and str(kind).lower() != "ingress":
            return []
        return _ingress_problems("", {f: props.get(f) for f in ("cidrBlocks", "ipv6CidrBlocks")})
    if ctx.resource_type == t.SECURITY_GROUP_INGRESS_RULE:
        return _ingress_problems("", {f: props.get(f) for f in ("cidrIpv4", "cidrIpv6")})
    return []


def _atlas_endpoints(resources: list[StackResource]) -> list[StackResource]:
    """VPC endpoints that lead to Atlas: fed by a PrivateLinkEndpoint, or approved by an endpoint service."""
    atlas_services = [r for r in resources if r.type == t.PRIVATE_LINK_ENDPOINT]
    service_names = {r.props.get("endpointServiceName") for r in atlas_services} - {None, UNKNOWN, ""}
    approvals = [r for r in resources if r.type == t.PRIVATE_LINK_ENDPOINT_SERVICE]
    found = []
    for endpoint in (r for r in resources if r.type == t.VPC_ENDPOINT):
        if (
            any(endpoint.depends_on(s.urn, "serviceName") for s in atlas_services)
            or endpoint.props.get("serviceName") in service_names
            or any(a.depends_on(endpoint.urn, "endpointServiceId") for a in approvals)
        ):
            found.append(endpoint)
    return found


def check_privatelink_shape(resources: list[StackResource], ctx: Context) -> list[Violation]:
    violations = []
    for endpoint in _atlas_endpoints(resources):
        props = endpoint.props
        kind = require_known(props.get("vpcEndpointType"), "vpcEndpointType")
        if kind != "Interface":
            violations.append(
                Violation(
                    f"{endpoint.name}: vpcEndpointType={kind!r}; an endpoint to Atlas must be an Interface endpoint. "
                    'Set vpc_endpoint_type="Interface".',
                    endpoint.urn,
                )
            )
        for field, what in (
            ("subnetIds", "one subnet per availability zone"),
            ("securityGroupIds", "a security group that admits only your application"),
        ):
            value = items(props.get(field))
            if value is not UNKNOWN and not value:
                violations.append(
                    Violation(f"{endpoint.name}: {field} is empty; an endpoint to Atlas needs {what}. Set {field}.", endpoint.urn)
                )
    return violations


POLICIES = [
    resource_policy(
        "atlas-access-list-no-public-entries",
        "Atlas project IP access list entries must not be public: no 0.0.0.0/0 or ::/0 in any spelling, "
        "no 0.0.0.0, nothing wider than /8 (IPv4) or /32 (IPv6), nothing that does not parse.",
        [t.ACCESS_LIST],
        check_access_list,
        severity=Severity.CRITICAL,
        remediation="List the exact egress CIDRs of your application, or connect through PrivateLink.",
    ),
    resource_policy(
        "aws-security-group-no-public-ingress",
        "AWS security groups must not accept inbound traffic from 0.0.0.0/0 or ::/0.",
        [t.SECURITY_GROUP, t.SECURITY_GROUP_RULE, t.SECURITY_GROUP_INGRESS_RULE],
        check_security_group_ingress,
        severity=Severity.CRITICAL,
        remediation="Allow ingress only from your application's CIDRs or source security groups.",
    ),
    stack_policy(
        "atlas-privatelink-endpoint-shape",
        "VPC endpoints to Atlas are Interface endpoints with subnets and security groups.",
        check_privatelink_shape,
        remediation='aws.ec2.VpcEndpoint(vpc_endpoint_type="Interface", subnet_ids=[...], security_group_ids=[...]).',
    ),
]
