"""Plain values for the rules: resource properties with every unknown made explicit.

Under the engine a rule receives `args.props` wrapped in pulumi_policy's proxy, which raises on
the first unknown it touches (and the SDK then downgrades a mandatory policy to an advisory
"can't run" note). The rules instead see plain dicts and lists in which each unknown leaf is the
`UNKNOWN` marker, so each rule decides what an unknown means for it (rules 1-3 fail closed).
The same functions run on plain dicts in unit tests, where the engine's sentinel strings are
recognised too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

from pulumi_policy import proxy
from pulumi_policy.proxy import UnknownValueError


class Unknown:
    """A value the engine does not know yet (a preview of an output from another resource)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown during preview>"

    def __bool__(self) -> bool:
        raise TypeError("an unknown value has no truth value: compare it with `is UNKNOWN`")


UNKNOWN: Final[Unknown] = Unknown()

# The sentinels the engine marshals for unknowns (`MarshalOptions{KeepUnknowns: true}`).
ENGINE_UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """A copy of `value` (proxied or not) made of dicts, lists and scalars, unknowns as UNKNOWN."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        return UNKNOWN if value in ENGINE_UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def get_path(props: Mapping[str, Any], path: str) -> Any:
    """`props` at a dotted path (`advancedConfiguration.minimumEnabledTlsProtocol`); None if absent."""
    current: Any = props
    for part in path.split("."):
        if current is UNKNOWN:
            return UNKNOWN
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def items(value: Any) -> list[Any] | Unknown:
    """A list property as a list: None becomes [], an unknown list stays UNKNOWN."""
    if isinstance(value, Unknown):
        return value
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def require_known(value: Any, path: str) -> Any:
    """For rules that keep the SDK's default: an unknown makes the policy an advisory "can't run" note."""
    if value is UNKNOWN:
        raise UnknownValueError(proxy.UNKNOWN_STRING_VALUE, path.split("."))
    return value


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of `value` with its path (`ingress[2].cidrBlocks[0]`)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> Network:
    """A CIDR block or a bare address as a network; raises ValueError when it does not parse.

    Host bits are allowed (`10.1.2.3/8` is the /8 it names): width is what the rules judge.
    An IPv4-mapped IPv6 range (`::ffff:0.0.0.0/96`) is judged as the IPv4 range it maps.
    """
    network = ipaddress.ip_network(text.strip(), strict=False)
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, network.prefixlen - 96), strict=False)
    return network


def covers_everything(networks: list[Network]) -> bool:
    """True when the ranges together are a whole address family (0.0.0.0/1 + 128.0.0.0/1 too)."""
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    return any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(v4)) or any(
        n.prefixlen == 0 for n in ipaddress.collapse_addresses(v6)
    )
