"""CustomRoles: a project's custom database roles (Atlas CustomDbRole), for grants finer than the built-ins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_mongodbatlas as atlas

from .naming import renamed_from

TOKEN = "atlas-platform:index:CustomRoles"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:CustomRoles"


@dataclass(frozen=True)
class Privilege:
    """One privilege action and where it applies."""

    action: str
    """Atlas privilege action name, e.g. FIND or INSERT."""
    databases: Sequence[str] = ()
    """`<database>` or `<database>.<collection>` entries."""
    cluster: bool = False
    """The action applies to the cluster resource (e.g. SERVER_STATUS)."""


# Atlas takes an inherited role on a database of its own only for these; every other one, built-in or
# custom, sits on admin (provider docs/resources/custom_db_role.md, v2.16, inherited_roles.database_name).
INHERITED_ON_ANY_DATABASE = ("read", "readWrite")


@dataclass(frozen=True)
class CustomRoleSpec:
    name: str
    """The role name users are granted (on the admin database); it names the Pulumi resource."""
    privileges: Sequence[Privilege] = ()
    inherited_roles: Sequence[tuple[str, str]] = ()
    """(role name, database) pairs: `read` and `readWrite` on any database, every other role on admin."""

    def __post_init__(self) -> None:
        for role, database in self.inherited_roles:
            if role not in INHERITED_ON_ANY_DATABASE and database != "admin":
                raise ValueError(
                    f"custom role {self.name!r} inherits {role!r} on {database!r}: Atlas takes every inherited role "
                    "but read and readWrite on the admin database only"
                )


@dataclass(frozen=True)
class CustomRolesArgs:
    project_id: pulumi.Input[str]
    roles: Sequence[CustomRoleSpec]


def _resources(privilege: Privilege) -> list[atlas.CustomDbRoleActionResourceArgs]:
    resources = [atlas.CustomDbRoleActionResourceArgs(cluster=True)] if privilege.cluster else []
    for entry in privilege.databases:
        database, _, collection = entry.partition(".")
        # An empty collection name means every collection of the database.
        resources.append(atlas.CustomDbRoleActionResourceArgs(database_name=database, collection_name=collection))
    return resources


def _creation_order(roles: Sequence[CustomRoleSpec]) -> list[CustomRoleSpec]:
    """Inherited roles first, otherwise by name (the config refuses cycles)."""
    by_name = {role.name: role for role in roles}
    ordered: list[CustomRoleSpec] = []
    placed: set[str] = set()

    def place(role: CustomRoleSpec, trail: tuple[str, ...]) -> None:
        if role.name in placed:
            return
        if role.name in trail:
            raise ValueError(f"custom role {role.name!r} inherits itself: {' -> '.join((*trail, role.name))}")
        for inherited, _ in role.inherited_roles:
            if inherited in by_name:
                place(by_name[inherited], (*trail, role.name))
        placed.add(role.name)
        ordered.append(role)

    # By name, not as written: reordering the stack file must not reorder the chain of depends_on.
    for role in sorted(roles, key=lambda r: r.name):
        place(role, ())
    return ordered


class CustomRoles(pulumi.ComponentResource):
    """Every custom role of one project, created one after another."""

    role_names: pulumi.Output[Mapping[str, str]]
    """Role name -> the created role's name. A user granted a role waits for the roles through its
    options (`depends_on=[custom_roles]`), since the grant itself names the role as a plain string."""

    def __init__(self, name: str, args: CustomRolesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        roles: dict[str, atlas.CustomDbRole] = {}
        previous: atlas.CustomDbRole | None = None
        for spec in _creation_order(args.roles):
            inherited = [
                # The plain name, known at preview for the policy pack; the chain below already
                # creates an inherited custom role before the role that inherits it.
                atlas.CustomDbRoleInheritedRoleArgs(role_name=role, database_name=database)
                for role, database in spec.inherited_roles
            ]
            # A project's custom roles created or changed in parallel fail or lose updates
            # (terraform-provider-mongodbatlas #148, #2377), so each waits for the one before it.
            role = atlas.CustomDbRole(
                f"{name}-{spec.name}",
                project_id=args.project_id,
                role_name=spec.name,
                actions=[atlas.CustomDbRoleActionArgs(action=p.action, resources=_resources(p)) for p in spec.privileges] or None,
                inherited_roles=inherited or None,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else None),
            )
            roles[spec.name] = role
            previous = role

        names = {role_name: role.role_name for role_name, role in roles.items()}
        self.role_names = pulumi.Output.all(**names) if names else pulumi.Output.from_input({})
        self.register_outputs({"role_names": self.role_names})
