"""Rules 3, 4 and 5: database users and custom roles get only what they need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import Severity

from . import types as t
from .base import ADVISORY, Context, StackResource, Violation, environment_pair, resource_policy, stack_policy
from .stack import project_key
from .values import UNKNOWN, Unknown, items, require_known

# Roles that reach every database, the cluster, or user administration.
BROAD_ROLES = (
    "atlasAdmin",
    "readWriteAnyDatabase",
    "readAnyDatabase",
    "dbAdminAnyDatabase",
    "userAdminAnyDatabase",
    "dbOwner",
    "clusterAdmin",
    "root",
)
_BROAD = {r.lower(): r for r in BROAD_ROLES}

# MongoDB privilege actions that destroy data, stop the server or hand out access. Atlas spells
# them in UPPER_SNAKE (DROP_DATABASE, SHUTDOWN); both spellings match.
DANGEROUS_ACTIONS = (
    "dropDatabase",
    "dropCollection",
    "shutdown",
    "dropUser",
    "dropRole",
    "dropAllUsersFromDatabase",
    "dropAllRolesFromDatabase",
    "createUser",
    "createRole",
    "grantRole",
    "revokeRole",
    "changePassword",
)


def _action_key(action: str) -> str:
    return re.sub(r"[^a-z0-9]", "", action.lower())


_DANGEROUS = {_action_key(a): a for a in DANGEROUS_ACTIONS}

# Non-NONE values of these mean the user logs in without a database password.
PASSWORDLESS_TYPES = ("awsIamType", "x509Type", "ldapAuthType", "oidcAuthType")

# A password credential rotated by alternating users is two users, `<username>` and its clone
# `<username>-b`, in one project with the same roles and scopes (the program's naming:
# atlas_platform/components/facts.py SLOT_USERNAME_SUFFIX; tests/test_facts_agree.py keeps the two equal).
ALTERNATE_SUFFIX = "-b"

EXCEPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Database users allowed broad roles, each with the reason (reviewed with the config file).",
    "items": {
        "type": "object",
        "properties": {
            "username": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 10},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["username", "reason"],
        "additionalProperties": False,
    },
    "default": [],
}


def broad_role(name: Any) -> str | None:
    """The canonical broad role `name` spells (any case, stray spaces), or None."""
    return _BROAD.get(name.strip().lower()) if isinstance(name, str) else None


def _exemption(username: Any, role: str, config: Mapping[str, Any]) -> str | None:
    """The configured reason allowing `username` to hold `role`, if any."""
    for entry in config.get("exceptions") or []:
        if not isinstance(entry, Mapping) or entry.get("username") != username:
            continue
        reason = str(entry.get("reason") or "").strip()
        allowed = entry.get("roles")
        if reason and (not allowed or role.lower() in {str(r).lower() for r in allowed}):
            return reason
    return None


def check_broad_roles(props: Mapping[str, Any], ctx: Context) -> list[str]:
    username = props.get("username")
    who = f"user {username!r}" if isinstance(username, str) else "this user"
    roles = items(props.get("roles"))
    if isinstance(roles, Unknown):
        return [f"roles of {who} are unknown during preview, so they cannot be checked. Declare the role list literally."]
    problems = []
    for index, role in enumerate(roles):
        name = role.get("roleName") if isinstance(role, Mapping) else UNKNOWN
        if name is UNKNOWN:
            problems.append(
                f"roles[{index}].roleName of {who} is unknown during preview, so it cannot be checked. "
                "Write the role name literally."
            )
            continue
        broad = broad_role(name)
        if broad is None:
            continue
        if username is UNKNOWN:
            problems.append(
                f"roles[{index}] grants {broad} and the username is unknown during preview, so no exception can match. "
                "Grant readWrite/read on the application's database instead."
            )
        elif not _exemption(username, broad, ctx.config):
            problems.append(
                f"roles[{index}] of {who} grants {broad}, which reaches far beyond one application. Replace it with "
                "readWrite or read on the application's database (or a narrow custom role). If it is truly needed, add "
                f'{{"username": {username!r}, "reason": "..."}} to exceptions of atlas-user-no-broad-roles in the policy config.'
            )
    return problems


def check_custom_role(props: Mapping[str, Any], ctx: Context) -> list[str]:
    role = props.get("roleName")
    problems = []
    for index, inherited in enumerate(require_known(items(props.get("inheritedRoles")), "inheritedRoles")):
        name = require_known(inherited.get("roleName"), f"inheritedRoles[{index}].roleName")
        broad = broad_role(name)
        if broad:
            problems.append(
                f"custom role {role!r} inherits {broad} (inheritedRoles[{index}]). Inherit read/readWrite on one "
                "database, or list the exact actions the application needs."
            )
    for index, action in enumerate(require_known(items(props.get("actions")), "actions")):
        name = require_known(action.get("action"), f"actions[{index}].action")
        dangerous = _DANGEROUS.get(_action_key(str(name)))
        if not dangerous:
            continue
        for r_index, resource in enumerate(require_known(items(action.get("resources")), f"actions[{index}].resources")):
            cluster = require_known(resource.get("cluster"), f"actions[{index}].resources[{r_index}].cluster")
            database = require_known(resource.get("databaseName"), f"actions[{index}].resources[{r_index}].databaseName")
            if cluster is True or not database:
                scope = "the whole cluster" if cluster is True else "all databases"
                problems.append(
                    f"custom role {role!r} grants {name} on {scope} (actions[{index}].resources[{r_index}]). "
                    "Grant it on the one database (and collection) that needs it, or drop the action."
                )
    return problems


def check_user_scoped(props: Mapping[str, Any], ctx: Context) -> list[str]:
    scopes = require_known(items(props.get("scopes")), "scopes")
    if scopes:
        return []
    username = props.get("username")
    return [
        f"database user {username!r} has no scopes, so it can log in to every cluster of the project. "
        'Add scopes=[{"name": <cluster name>, "type": "CLUSTER"}].'
    ]


def logs_in_with_password(props: Mapping[str, Any]) -> bool:
    """No passwordless type is set (an unknown one counts as set: the user may well need no password)."""
    for field in PASSWORDLESS_TYPES:
        value = props.get(field)
        if value is UNKNOWN or (value and str(value).upper() != "NONE"):
            return False
    return True


def check_passwordless(props: Mapping[str, Any], ctx: Context) -> list[str]:
    if not logs_in_with_password(props):
        return []
    username = props.get("username")
    return [
        f'database user {username!r} logs in with a password. Prefer AWS IAM (aws_iam_type="ROLE", '
        'auth_database_name="$external"), X.509 (x509_type="MANAGED") or OIDC (oidc_auth_type="IDP_GROUP" for an '
        'identity-provider group of people, "USER" for a workload): no secret to store or rotate.'
    ]


def _known(value: Any) -> bool:
    if value is UNKNOWN:
        return False
    if isinstance(value, Mapping):
        return all(_known(v) for v in value.values())
    if isinstance(value, list):
        return all(_known(v) for v in value)
    return True


def _as_set(value: Any) -> list[str]:
    """A known value as Atlas keeps roles and scopes, a set: compared in any order."""
    listed = items(value)
    return sorted(
        repr(sorted(i.items())) if isinstance(i, Mapping) else repr(i) for i in ([] if isinstance(listed, Unknown) else listed)
    )


def check_alternating_rotation(resources: list[StackResource], ctx: Context) -> list[Violation]:
    users: dict[tuple[str, str], StackResource] = {}
    for user in resources:
        username = user.props.get("username")
        if user.type == t.DATABASE_USER and isinstance(username, str) and logs_in_with_password(user.props):
            users[(project_key(user), username)] = user
    violations = []
    for (project, username), user in sorted(users.items()):
        if username.endswith(ALTERNATE_SUFFIX) and (project, username.removesuffix(ALTERNATE_SUFFIX)) in users:
            continue  # the clone: judged with its first user below
        clone = users.get((project, username + ALTERNATE_SUFFIX))
        if clone is None:
            violations.append(
                Violation(
                    f"database user {username!r} logs in with a password and has no alternate: rotating its password "
                    "fails every client still holding the old one until it re-reads the secret. Rotate it by alternating "
                    f"users (a second password user {username + ALTERNATE_SUFFIX!r} with the same roles and scopes, the "
                    "secret pointing at one of them: `rotation: alternating` in this program's stack file, docs/users.md), "
                    "or authenticate without a password (AWS IAM, X.509, OIDC).",
                    user.urn,
                )
            )
            continue
        for field in ("roles", "scopes", "authDatabaseName"):
            mine, theirs = user.props.get(field), clone.props.get(field)
            if _known(mine) and _known(theirs) and _as_set(mine) != _as_set(theirs):
                violations.append(
                    Violation(
                        f"database users {username!r} and {username + ALTERNATE_SUFFIX!r} alternate behind one secret "
                        f"but differ in {field}: each rotation changes what the application may do. Give both the same "
                        f"{field}.",
                        clone.urn,
                    )
                )
    return violations


POLICIES = [
    resource_policy(
        "atlas-user-no-broad-roles",
        "Database users must not hold atlasAdmin, readWriteAnyDatabase, readAnyDatabase, dbAdminAnyDatabase, "
        "userAdminAnyDatabase, dbOwner, clusterAdmin or root, unless the policy config names the user with a reason.",
        [t.DATABASE_USER],
        check_broad_roles,
        severity=Severity.CRITICAL,
        config={"exceptions": EXCEPTIONS_SCHEMA},
        remediation="Grant readWrite/read on the application's database, or add a reasoned exception in the policy config.",
    ),
    resource_policy(
        "atlas-custom-role-narrow",
        "Custom database roles must not inherit broad built-in roles nor grant destructive or access-granting "
        "actions (dropDatabase, shutdown, ...) on all databases or the cluster.",
        [t.CUSTOM_DB_ROLE],
        check_custom_role,
    ),
    *environment_pair(
        "atlas-user-scoped-to-clusters",
        "Database users are scoped to the clusters they use.",
        [t.DATABASE_USER],
        check_user_scoped,
        severity=Severity.MEDIUM,
    ),
    stack_policy(
        "atlas-user-alternating-rotation",
        "A production password user rotates by alternating users (a clone `<username>-b` with the same roles and "
        "scopes), so a password rotation never fails a client that has not re-read the secret yet.",
        check_alternating_rotation,
        level=ADVISORY,
        severity=Severity.LOW,
        only_in="prod",
    ),
    resource_policy(
        "atlas-user-passwordless",
        "Database users should authenticate without a password (AWS IAM, X.509 or OIDC).",
        [t.DATABASE_USER],
        check_passwordless,
        level=ADVISORY,
        severity=Severity.LOW,
    ),
]
