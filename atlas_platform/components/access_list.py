"""IpAccessList: the project's commented IP access-list entries (public connections from known sources)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from, slug

TOKEN = "atlas-platform:index:IpAccessList"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:IpAccessList"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def atlas_form(network: IPNetwork) -> tuple[str | None, str | None]:
    """(ip_address, cidr_block) for an entry Atlas keys by value: a single host as its bare address
    (`203.0.113.10`, never `/32`), a range as its canonical network (`2001:db8::/48`). Exactly one is set,
    and it is the entry's name, so re-spelling an entry renames and changes nothing."""
    if network.num_addresses == 1:
        return str(network.network_address), None
    return None, str(network)


@dataclass(frozen=True)
class AccessListEntry:
    """One source allowed to connect: exactly one of an address, a CIDR block or a security group."""

    comment: str
    """Why the entry exists, as Atlas shows it (e.g. prod-bastion)."""
    ip_address: str | None = None
    cidr_block: str | None = None
    aws_security_group: pulumi.Input[str] | None = None

    @property
    def network(self) -> IPNetwork | None:
        """The range the entry opens, however it is spelled: an address is its /32 (or /128), as in Atlas."""
        try:
            if self.ip_address is not None:
                address = ipaddress.ip_address(self.ip_address.strip())
                if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
                    raise ValueError(f"{self.ip_address!r} has a zone id, which means nothing to Atlas")
                return ipaddress.ip_network(address)
            if self.cidr_block is not None:
                network = ipaddress.ip_network(self.cidr_block.strip())  # strict: host bits set is refused
                if isinstance(network, ipaddress.IPv6Network) and network.network_address.scope_id:
                    raise ValueError(f"{self.cidr_block!r} has a zone id, which means nothing to Atlas")
                return network
        except ValueError as error:
            raise ValueError(f"access-list entry {self.comment!r}: {error}") from None
        return None

    @property
    def key(self) -> str:
        """The entry's identity, which names the resource: one key per Atlas entry, however it is spelled.

        A single host is its bare address (`203.0.113.10`, never `203.0.113.10/32`), a range its
        canonical network (`2001:db8::/48`), so reordering or re-spelling the list renames nothing.
        """
        network = self.network
        if network is not None:
            ip_address, cidr_block = atlas_form(network)
            return str(ip_address or cidr_block)
        if not isinstance(self.aws_security_group, str):
            raise ValueError(f"access-list entry {self.comment!r}: a security group id must be a plain string to name the entry")
        return self.aws_security_group

    @property
    def written_key(self) -> str | None:
        """The source as written, which named the resource before names came from `key`."""
        source = self.ip_address or self.cidr_block or self.aws_security_group
        return source if isinstance(source, str) else None

    @property
    def atlas_ip_address(self) -> str | None:
        """What Atlas receives as `ip_address`: the bare address of any single host, however written."""
        network = self.network
        return atlas_form(network)[0] if network is not None else None

    @property
    def atlas_cidr_block(self) -> str | None:
        """What Atlas receives as `cidr_block`: a range wider than one host, in canonical form."""
        network = self.network
        return atlas_form(network)[1] if network is not None else None


@dataclass(frozen=True)
class IpAccessListArgs:
    project_id: pulumi.Input[str]
    entries: Sequence[AccessListEntry]


class IpAccessList(pulumi.ComponentResource):
    """One `ProjectIpAccessList` per entry, each with its comment."""

    entry_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: IpAccessListArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        entries = []
        names: dict[str, str] = {}
        for entry in args.entries:
            sources = [s for s in (entry.ip_address, entry.cidr_block, entry.aws_security_group) if s is not None]
            if len(sources) != 1:
                raise ValueError(
                    f"access-list entry {entry.comment!r} needs exactly one of ip_address, cidr_block, aws_security_group"
                )
            if not entry.comment.strip():
                raise ValueError(f"access-list entry {entry.key!r} needs a comment saying why it exists")
            child = f"{name}-{slug(entry.key)}"
            # Earlier versions named the entry from its source as written: keep that resource under
            # its new name (`10.0.0.1/32` and `10.0.0.1` are one entry) instead of creating it again.
            written = entry.written_key
            previous = f"{name}-{slug(written)}" if written is not None else child
            for taken in dict.fromkeys((child, previous)):
                if taken in names:
                    raise ValueError(f"access-list entries {names[taken]!r} and {entry.key!r} would share the name {taken!r}")
                names[taken] = entry.key
            entries.append(
                atlas.ProjectIpAccessList(
                    child,
                    project_id=args.project_id,
                    # One form per Atlas entry, so a re-spelling in the stack file is no diff at all. The
                    # provider's Read stores back what Atlas returns for both fields, which are Optional
                    # + Computed (internal/service/projectipaccesslist/model_project_ip_access_list.go,
                    # resource_schema.go); its acceptance tests plan empty after applying either
                    # `ip_address = X` or `cidr_block = X/32` (resource_project_ip_access_list_test.go),
                    # so either is stable. A single host goes as `ip_address`, the form Delete prefers
                    # (resource_project_ip_access_list.go) and the one shipped stacks already send.
                    ip_address=entry.atlas_ip_address,
                    cidr_block=entry.atlas_cidr_block,
                    aws_security_group=entry.aws_security_group,
                    comment=entry.comment,
                    opts=pulumi.ResourceOptions(
                        parent=self,
                        # Every field forces a replacement (resource_schema.go: RequiresReplace on
                        # comment, ip_address, cidr_block), Create is an upsert and Delete removes the
                        # entry by its value (resource_project_ip_access_list.go). Create-then-delete
                        # would delete the entry just written, so Atlas would lose it while the state
                        # says it exists; delete first costs a gap of seconds instead.
                        delete_before_replace=True,
                        aliases=[pulumi.Alias(name=previous)] if previous != child else None,
                    ),
                )
            )
        self.entry_ids = pulumi.Output.all(*[e.id for e in entries]).apply(list)
        self.register_outputs({"entry_ids": self.entry_ids})
