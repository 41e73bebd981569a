"""IpAccessList: the project's commented IP access-list entries (public connections from known sources)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import slug

TOKEN = "atlas:prod:IpAccessList"


@dataclass(frozen=True)
class AccessListEntry:
    """One source allowed to connect: exactly one of an address, a CIDR block or a security group."""

    comment: str
    """Why the entry exists, as Atlas shows it (e.g. prod-bastion)."""
    ip_address: str | None = None
    cidr_block: str | None = None
    aws_security_group: pulumi.Input[str] | None = None

    @property
    def key(self) -> str:
        """The entry's identity; it names the resource, so reordering the list replaces nothing."""
        source = self.ip_address or self.cidr_block or self.aws_security_group
        if not isinstance(source, str):
            raise ValueError(f"access-list entry {self.comment!r}: a security group id must be a plain string to name the entry")
        return source


@dataclass(frozen=True)
class IpAccessListArgs:
    project_id: pulumi.Input[str]
    entries: Sequence[AccessListEntry]


class IpAccessList(pulumi.ComponentResource):
    """One `ProjectIpAccessList` per entry, each with its comment."""

    entry_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: IpAccessListArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
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
            if child in names:
                raise ValueError(f"access-list entries {names[child]!r} and {entry.key!r} would share the name {child!r}")
            names[child] = entry.key
            entries.append(
                atlas.ProjectIpAccessList(
                    child,
                    project_id=args.project_id,
                    ip_address=entry.ip_address,
                    cidr_block=entry.cidr_block,
                    aws_security_group=entry.aws_security_group,
                    comment=entry.comment,
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        self.entries = entries
        self.entry_ids = pulumi.Output.all(*[e.id for e in entries]).apply(list)
        self.register_outputs({"entry_ids": self.entry_ids})
