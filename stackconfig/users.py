"""Database users and custom roles: who may touch the data, how they prove it, and with what roles.

A role is written `role@database` or `role@database.collection`. Built-in roles are the ones
Atlas lets you assign (Atlas > Database Access > Built-in Roles; Admin API
`DatabaseUserRole.roleName`); anything else must be a custom role of this stack (`customRoles`).
Roles that reach every database are refused unless the user carries `broadRoleReason`.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from atlas_platform.components.facts import (
    BROAD_ROLES,
    KMS_KEY_ARN,
    MAX_USER_DESCRIPTION,
    MAX_USERS_PER_PROJECT,
    RESERVED_LABELS,
    ROTATION_SLOTS,
    SLOT_USERNAME_SUFFIX,
)

from .base import StackModel, invalid, matches, member_of, unique
from .environment import in_production
from .project import Label, Reason

# Secrets Manager keeps a deleted secret, and its name, for 7-30 days; 0 deletes it at once
# (aws.secretsmanager.Secret recovery_window_in_days).
MIN_RECOVERY_WINDOW_DAYS = 7
PROD_RECOVERY_WINDOW_DAYS = 30


def resolved_recovery_window(window: int | None, is_prod: bool) -> int:
    """Days a deleted credentials secret stays restorable: as written, else 30 in prod and 0 (delete at once) elsewhere."""
    if window is not None:
        return window
    return PROD_RECOVERY_WINDOW_DAYS if is_prod else 0


def check_recovery_window_range(window: int, subject: str = "") -> None:
    """Secrets Manager takes 0 (force delete) or 7-30 days; `subject` ("user 'api': ") names who wrote it."""
    if window != 0 and not MIN_RECOVERY_WINDOW_DAYS <= window <= PROD_RECOVERY_WINDOW_DAYS:
        raise invalid(
            "recovery_window",
            f"{subject}secretRecoveryWindowDays {window} is not one Secrets Manager takes; "
            f"write 0 (delete at once) or {MIN_RECOVERY_WINDOW_DAYS}-{PROD_RECOVERY_WINDOW_DAYS}",
        )


# Built-in roles Atlas lets a database user hold (the broad ones among them: atlas_platform/components/facts.py).
BUILTIN_ROLES: tuple[str, ...] = (
    "atlasAdmin",
    "backup",
    "clusterMonitor",
    "dbAdmin",
    "dbAdminAnyDatabase",
    "enableSharding",
    "read",
    "readAnyDatabase",
    "readWrite",
    "readWriteAnyDatabase",
)
# Roles that only exist on the admin database (cluster-wide by nature).
ADMIN_ONLY_ROLES: frozenset[str] = BROAD_ROLES | {"backup", "clusterMonitor", "enableSharding"}
# MongoDB roles Atlas does not let a database user hold, with what to write instead.
NOT_ASSIGNABLE: dict[str, str] = {
    "root": "atlasAdmin@admin with broadRoleReason, or narrower roles",
    "dbOwner": "readWrite@<db> plus dbAdmin@<db> (both on the same database)",
    "clusterAdmin": "clusterMonitor@admin for monitoring, or a custom role with the cluster actions you need",
    "clusterManager": "clusterMonitor@admin, or a custom role with the cluster actions you need",
    "hostManager": "a custom role with the cluster actions you need",
    "userAdmin": "nothing: database users are managed only as code here (Atlas reverts users changed from the shell)",
    "userAdminAnyDatabase": "nothing: database users are managed only as code here (Atlas reverts users changed from the shell)",
    "restore": "a custom role with the restore actions you need",
    "__system": "nothing: it is internal to MongoDB",
}
# Atlas manages these databases; writing to them is discouraged and reading them is no app's job.
SYSTEM_DATABASES: frozenset[str] = frozenset({"admin", "local", "config"})
# Privilege actions that read without changing data or metadata: what an analytics custom role may hold.
READ_ONLY_ACTIONS: frozenset[str] = frozenset(
    {"FIND", "LIST_COLLECTIONS", "LIST_INDEXES", "COLL_STATS", "DB_STATS", "LIST_DATABASES", "CHANGE_STREAM", "SQL_GET_SCHEMA"}
)

# The built-in roles a custom role may inherit on a database of its own; every other inherited role
# sits on admin (provider docs/resources/custom_db_role.md, v2.16: inherited_roles.database_name
# "should be admin for all roles except read and readWrite").
INHERITED_ON_ANY_DATABASE: tuple[str, ...] = ("read", "readWrite")

KINDS: tuple[str, ...] = ("app", "analytics", "dba")
AUTHS: tuple[str, ...] = ("password", "awsIam", "x509", "oidc")
# How a password credential is rotated: `alternating`, two Atlas users behind one secret, each rotation
# renewing the one no client has been told about yet (AWS's alternating-users strategy, Secrets Manager
# User Guide, "Lambda function rotation strategies"); `single`, one user whose password changes under
# its clients. Production applications alternate unless they say why they cannot.
ROTATIONS: tuple[str, ...] = ("alternating", "single")
ALTERNATING_BY_DEFAULT_KINDS: tuple[str, ...] = ("app",)
# The least number of days between two alternating rotations, and so the longest an application may
# keep a credential without re-reading the secret (docs/users.md, "Rotation"): 30 unless written.
DEFAULT_ROTATION_PERIOD_DAYS = 30
MAX_ROTATION_PERIOD_DAYS = 365
# OIDC per kind: people (dba, analytics) sign in through the workforce IdP as members of a group, so
# their access ends with their membership (Atlas oidcAuthType IDP_GROUP); an application signs in as
# its own workload identity (oidcAuthType USER), never as a group of people.
OIDC_GROUP_KINDS: tuple[str, ...] = ("analytics", "dba")
OIDC_WORKLOAD_KINDS: tuple[str, ...] = ("app",)
# Longest IdP group or workload user name taken here: Okta and Microsoft Entra ID cap a group's name
# near 255 characters; Atlas documents no limit of its own for the part after the `/`.
MAX_OIDC_NAME = 255
# Characters of an IdP group or workload user name: what Okta, Entra ID (names or object ids), Google
# (numeric ids, emails) and Kubernetes (`system:serviceaccount:<ns>:<name>`) put in a token. Not `/`:
# Atlas's username is `<IdP id>/<name>` and reads the IdP id up to the `/`.
OIDC_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 ._@:+=()&,-]*[A-Za-z0-9._@:+=()&,-])?")
# The role each kind gets on each of its `databases` when no `roles` are written.
DEFAULT_ROLE_BY_KIND: dict[str, str] = {"app": "readWrite", "analytics": "read", "dba": "dbAdmin"}

ROLE_SYNTAX = re.compile(r"(?P<role>[A-Za-z0-9_-]+)@(?P<db>[^./\\ \"$@]+)(?:\.(?P<coll>[^$@\s]+))?")
CUSTOM_ROLE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")

DatabaseName = Annotated[
    str,
    matches(
        r"[^./\\ \"$@]{1,63}",
        "a valid database name",
        'use at most 63 characters without spaces or any of . / \\ " $ @ (e.g. payments)',
    ),
]
IamArn = Annotated[
    str,
    matches(
        r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]{1,512}",
        "an AWS IAM role or user ARN",
        "write arn:aws:iam::<12-digit account id>:role/<name> (or :user/<name>), e.g. arn:aws:iam::123456789012:role/payments-api",
    ),
]
KmsKeyArn = Annotated[
    str,
    matches(
        # The cluster's key takes the same forms (one pattern): a multi-Region `mrk-` key is as good here.
        KMS_KEY_ARN.pattern,
        "an AWS KMS key ARN",
        "write arn:aws:kms:<region>:<12-digit account id>:key/<key id> (a key ARN, not an alias; "
        "a multi-Region key's id starts with mrk-)",
    ),
]
CustomRoleName = Annotated[
    str,
    matches(
        CUSTOM_ROLE_NAME.pattern,
        "a valid custom role name",
        "use 1-64 letters, digits, underscores and hyphens (e.g. ledgerAppendOnly)",
    ),
]
Kind = Annotated[str, member_of(KINDS, "a database user kind")]
Rotation = Annotated[str, member_of(ROTATIONS, "a password rotation")]


def _check_idp_id(value: str) -> str:
    # The username takes the IdP's Atlas id, the 24-hex `idp_id` of the provider's
    # federated_settings_identity_provider (v2.16 docs/resources/federated_settings_identity_provider.md),
    # not its 20-character `okta_idp_id`; the provider's own OIDC test builds `<idp_id>/<name>`
    # (internal/service/databaseuser/resource_database_user_test.go, TestAccDatabaseUser_withOIDCAuthType).
    if re.fullmatch(r"[0-9a-f]{24}", value):
        return value
    okta = " (that looks like the Okta IdP id, `okta_idp_id`; Atlas's usernames take the IdP ID)" if len(value) == 20 else ""
    raise invalid(
        "invalid_format",
        f"{value!r} is not an Atlas identity provider id{okta}; write the 24-character lowercase hex IdP ID "
        "Atlas shows under Organization > Federation > Identity Providers (the provider's `idp_id`)",
    )


def _oidc_name(noun: str, example: str) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > MAX_OIDC_NAME:
            raise invalid(
                "oidc_name_too_long",
                f"the {noun} has {len(value)} characters; at most {MAX_OIDC_NAME} are taken: write the name exactly "
                "as the identity provider puts it in the token",
            )
        if not OIDC_NAME.fullmatch(value):
            raise invalid(
                "invalid_format",
                f"{value!r} is not a valid {noun}; write it as the identity provider puts it in the token: letters, digits, "
                f"spaces inside and . _ @ : + = ( ) & , - (no `/`, quotes or $), e.g. {example}",
            )
        return value

    return AfterValidator(check)


IdpId = Annotated[str, AfterValidator(_check_idp_id)]
IdpGroup = Annotated[str, _oidc_name("IdP group name", "payments-prod-dba")]
OidcUser = Annotated[str, _oidc_name("IdP workload user name", "system:serviceaccount:payments:api")]
Auth = Annotated[str, member_of(AUTHS, "an authentication method")]


def _check_description(text: str) -> str:
    if len(text) > MAX_USER_DESCRIPTION:
        raise invalid(
            "description_too_long",
            f"the description has {len(text)} characters; Atlas accepts at most {MAX_USER_DESCRIPTION}: "
            "shorten it to one sentence (owners and kind are labels already)",
        )
    return text


Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10), AfterValidator(_check_description)]
Action = Annotated[
    str,
    matches(
        r"[A-Z][A-Z0-9_]{1,63}",
        "a privilege action as Atlas writes it",
        "write the upper-case Atlas action name, e.g. FIND, INSERT, UPDATE, LIST_COLLECTIONS",
    ),
]
Resource = Annotated[
    str,
    matches(
        r"cluster|[^./\\ \"$@]{1,63}(\.[^$@\s]{1,255})?",
        "a privilege resource",
        "write `<database>`, `<database>.<collection>` or `cluster`",
    ),
]


def parse_role(text: str) -> tuple[str, str, str | None]:
    """`readWrite@payments.ledger` -> ("readWrite", "payments", "ledger")."""
    match = ROLE_SYNTAX.fullmatch(text)
    if not match:
        raise invalid(
            "invalid_format",
            f"{text!r} is not a role grant; write `role@database` or `role@database.collection` (e.g. readWrite@payments)",
        )
    return match["role"], match["db"], match["coll"]


def _check_builtin_grant(text: str, broad_reason: str | None) -> None:
    """Checks that need nothing but the grant itself; custom-role names pass through."""
    role, database, collection = parse_role(text)
    if role in NOT_ASSIGNABLE:
        raise invalid(
            "role_not_assignable", f"{text!r}: Atlas does not let a database user hold {role!r}; use {NOT_ASSIGNABLE[role]}"
        )
    if role not in BUILTIN_ROLES:
        return
    if role in ADMIN_ONLY_ROLES and (database != "admin" or collection):
        raise invalid("admin_only_role", f"{text!r}: {role} exists only on the admin database; write {role}@admin")
    if role in BROAD_ROLES and not broad_reason:
        raise invalid(
            "broad_role",
            f"{text!r} reaches every database in the project; grant roles on the databases this user needs "
            f"(e.g. read@<db>), or add `broadRoleReason` saying why it must be broad",
        )
    if role not in ADMIN_ONLY_ROLES and database in SYSTEM_DATABASES:
        raise invalid(
            "system_database", f"{text!r}: Atlas manages the {database} database; grant {role} on your application's database"
        )


def _check_grant(text: str) -> str:
    parse_role(text)
    return text


RoleGrant = Annotated[str, AfterValidator(_check_grant)]


class CustomRoleAction(StackModel):
    """One privilege action of a custom role and where it applies."""

    action: Action
    """Atlas privilege action name (Atlas > Database Access > Custom Roles), e.g. FIND or INSERT."""
    resources: Annotated[list[Resource], Field(min_length=1)]
    """Where the action applies: `<database>`, `<database>.<collection>` or `cluster`."""

    @field_validator("resources")
    @classmethod
    def _unique_resources(cls, resources: list[str]) -> list[str]:
        unique(resources, "resource")
        return resources


class CustomRole(StackModel):
    """A project-wide custom database role (Atlas CustomDbRole) for grants finer than the built-in roles."""

    name: CustomRoleName
    """Role name as users grant it (`<name>@admin`); letters, digits, `_` and `-`. Renaming replaces the role."""
    actions: list[CustomRoleAction] = []
    """Privilege actions the role grants, each listed once."""
    inherited_roles: list[RoleGrant] = []
    """Roles (built-in, or custom roles of this stack) whose privileges this role includes, as `role@database`."""

    @field_validator("name")
    @classmethod
    def _not_builtin(cls, name: str) -> str:
        if name in BUILTIN_ROLES or name in NOT_ASSIGNABLE:
            raise invalid("not_allowed", f"{name!r} is a MongoDB built-in role; give the custom role its own name")
        return name

    @field_validator("actions")
    @classmethod
    def _one_entry_per_action(cls, actions: list[CustomRoleAction]) -> list[CustomRoleAction]:
        # Atlas answers ATLAS_DUPLICATE_CUSTOM_ROLE_ACTION to a role naming an action twice.
        unique([a.action for a in actions], "action (list its resources under one entry)")
        return actions

    @model_validator(mode="after")
    def _grants_something(self) -> CustomRole:
        if not self.actions and not self.inherited_roles:
            raise invalid("empty_role", f"custom role {self.name!r} grants nothing; add `actions` or `inheritedRoles`")
        for grant in self.inherited_roles:
            role, database, collection = parse_role(grant)
            if role in BROAD_ROLES:
                raise invalid(
                    "broad_role",
                    f"custom role {self.name!r} inherits {grant!r}, which reaches every database; inherit roles on "
                    "named databases (e.g. read@<db>), or grant the broad role to the user itself with `broadRoleReason`",
                )
            if collection:
                raise invalid(
                    "inherited_collection",
                    f"custom role {self.name!r} inherits {grant!r}, but Atlas inherits a role on a whole database; "
                    f"write {role}@{database}, or add an action on {database}.{collection} instead",
                )
            if role in BUILTIN_ROLES and role not in INHERITED_ON_ANY_DATABASE and database != "admin":
                raise invalid(
                    "inherited_role_database",
                    f"custom role {self.name!r} inherits {grant!r}: Atlas takes an inherited {role} only on the admin "
                    f"database (only {' and '.join(INHERITED_ON_ANY_DATABASE)} take another); write {role}@admin, "
                    f"or grant {role}@{database} to the user itself",
                )
            if role in NOT_ASSIGNABLE or role in INHERITED_ON_ANY_DATABASE:
                _check_builtin_grant(grant, broad_reason=None)
        return self


def _check_custom_roles(roles: list[CustomRole]) -> list[CustomRole]:
    unique([r.name for r in roles], "custom role name")
    by_name = {r.name: r for r in roles}
    for role in roles:
        for grant in role.inherited_roles:
            name, database, _ = parse_role(grant)
            if name in BUILTIN_ROLES:
                continue
            if name not in by_name:
                raise invalid(
                    "unknown_role",
                    f"custom role {role.name!r} inherits {grant!r}, which is neither a built-in role Atlas assigns "
                    f"nor a custom role here; write one of: {', '.join(BUILTIN_ROLES + tuple(by_name))}",
                )
            if database != "admin":
                raise invalid("custom_role_database", f"{grant!r}: custom roles live on the admin database; write {name}@admin")
    # A role that inherits itself, directly or through others, can never be created.
    for start in roles:
        pending, seen = [start.name], set()
        while pending:
            current = pending.pop()
            for grant in by_name[current].inherited_roles:
                name = parse_role(grant)[0]
                if name == start.name:
                    raise invalid(
                        "role_cycle", f"custom role {start.name!r} inherits itself through {current!r}; break the cycle"
                    )
                if name in by_name and name not in seen:
                    seen.add(name)
                    pending.append(name)
    return roles


CustomRoles = Annotated[list[CustomRole], AfterValidator(_check_custom_roles)]


class DatabaseUser(StackModel):
    """One database user for one function: an application, an analytics reader or a DBA."""

    name: Label
    """Stable key of the user; the username is `<app>-<env>-<name>`. Renaming replaces the user."""
    kind: Kind
    """What the user is for: `app` (one per application or service), `analytics` (read only) or `dba` (operations, never used by apps)."""
    auth: Auth = "password"
    """How the user proves who it is: `password` (generated, kept in AWS Secrets Manager), `awsIam`, `x509` (Atlas-managed)
    or `oidc` (a token from the organization's OIDC identity provider: an IdP group for people, a workload for apps)."""
    owner: Label
    """Team or person answerable for this user (an Atlas label on the user)."""
    description: Description
    """What the user is for, in a sentence (the Atlas user description)."""
    databases: list[DatabaseName] = []
    """Databases the user works on; it gets the kind's role on each (app: readWrite, analytics: read, dba: dbAdmin)."""
    broad_role_reason: Reason | None = None
    """Required to hold a role that reaches every database (atlasAdmin, readWriteAnyDatabase, readAnyDatabase,
    dbAdminAnyDatabase): why this user cannot do with narrower roles."""
    roles: list[RoleGrant] = []
    """Further grants, `role@database` or `role@database.collection` (e.g. read@reference, clusterMonitor@admin, a custom role@admin)."""
    clusters: Annotated[list[str], Field(min_length=1)] | None = None
    """Clusters the user may reach. Default: the stack's cluster."""
    labels: dict[Label, Label] = {}
    """Extra Atlas labels on the user (owner, environment, kind and managed-by are set for you)."""
    password_version: Annotated[int, Field(ge=1)] | None = None
    """password auth only: bump it (1, 2, ...) to generate a new password, every password of the user at once
    (with `rotation: alternating`, both users'), and store it in Secrets Manager. Clients fail until they re-read
    the secret: for a routine rotation of an alternating user, bump `rotationCount` instead."""
    rotation: Rotation | None = None
    """password auth only: `alternating` (two Atlas users, `<app>-<env>-<name>` and `<app>-<env>-<name>-b`, with
    the same roles; the secret holds one of them, and a rotation renews the other, so no client loses its
    login) or `single` (one user, whose rotation fails clients until they re-read the secret). Default:
    alternating for `app` users in production, single otherwise; a production `app` user that writes `single`
    needs `singleUserReason`."""
    single_user_reason: Reason | None = None
    """Required for `rotation: single` on a production `app` user: why the application cannot follow a secret
    whose username changes (e.g. a vendor tool configured once with a fixed username)."""
    rotation_count: Annotated[int, Field(ge=0)] | None = None
    """`rotation: alternating` only: how many rotations this credential has had; bump it by one to rotate. The
    user the secret does not point at gets a new password and the secret moves to it; the other keeps its
    password until the next bump. Default 0: the first user, `<app>-<env>-<name>`, is the one in the secret."""
    rotation_period_days: Annotated[int, Field(ge=1, le=MAX_ROTATION_PERIOD_DAYS)] | None = None
    """`rotation: alternating` only: the least number of days between two bumps of `rotationCount`, and so the
    longest an application may go without re-reading the secret (docs/users.md). Default 30."""
    iam_arn: IamArn | None = None
    """awsIam auth only: the IAM role (or user) ARN the application runs as; it becomes the username."""
    certificate_months: Annotated[int, Field(ge=1, le=24)] | None = None
    """x509 auth only: issue an Atlas-managed certificate valid this many months (1-24) and keep it in Secrets Manager."""
    identity_provider_id: IdpId | None = None
    """oidc auth only: the Atlas id (24 hex, "IdP ID") of the organization's OIDC identity provider: workforce for
    dba and analytics users, workload for app users. The username is `<identityProviderId>/<group or oidcUser>`."""
    group: IdpGroup | None = None
    """oidc auth, dba and analytics users: the IdP group whose members sign in as this user (its name as the token's
    groups claim carries it); removing a person from the group ends their access."""
    oidc_user: OidcUser | None = None
    """oidc auth, app users: the application's workload identity as the token's user claim carries it (e.g. the
    Kubernetes service account subject)."""
    secret_recovery_window_days: int | None = None
    """Users with a stored credential: days Secrets Manager keeps the deleted secret restorable (7-30), or 0 to
    delete it at once so the user can be removed and created again right away. Default: 30 in prod, 0 elsewhere;
    prod refuses 0."""

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> DatabaseUser:
        if self.auth == "awsIam" and self.iam_arn is None:
            raise invalid(
                "missing_iam_arn", f"user {self.name!r} authenticates with awsIam; add `iamArn` (the IAM role ARN it runs as)"
            )
        if self.auth != "awsIam" and self.iam_arn is not None:
            raise invalid("iam_arn_without_iam", f"user {self.name!r}: `iamArn` needs `auth: awsIam`; remove it or set the auth")
        if self.auth != "password" and self.password_version is not None:
            raise invalid(
                "password_version_without_password",
                f"user {self.name!r}: `passwordVersion` only applies to `auth: password`; remove it",
            )
        self._check_rotation(in_production(info))
        if self.auth != "x509" and self.certificate_months is not None:
            raise invalid(
                "certificate_without_x509", f"user {self.name!r}: `certificateMonths` only applies to `auth: x509`; remove it"
            )
        self._check_oidc()
        window = self.secret_recovery_window_days
        if window is not None:
            if not self.stores_credential:
                raise invalid(
                    "recovery_window_without_secret",
                    f"user {self.name!r} keeps no secret (password users and certificateMonths do); "
                    "remove `secretRecoveryWindowDays`",
                )
            check_recovery_window_range(window, f"user {self.name!r}: ")
            if window == 0 and in_production(info):
                raise invalid(
                    "recovery_window_prod",
                    f"user {self.name!r}: prod keeps a deleted credentials secret restorable; write "
                    f"secretRecoveryWindowDays {MIN_RECOVERY_WINDOW_DAYS}-{PROD_RECOVERY_WINDOW_DAYS}, or remove it "
                    f"for the default {PROD_RECOVERY_WINDOW_DAYS}",
                )
        if not self.roles and not self.databases:
            raise invalid(
                "no_roles",
                f"user {self.name!r} has no access; list its `databases` (it gets {DEFAULT_ROLE_BY_KIND[self.kind]} on each) or its `roles`",
            )
        for grant in self.roles:
            if grant in self._default_grants:
                raise invalid(
                    "duplicate", f"user {self.name!r}: {grant!r} is already granted through `databases`; remove it from roles"
                )
        return self

    def _check_rotation(self, is_prod: bool) -> None:
        written = {
            "rotation": self.rotation,
            "singleUserReason": self.single_user_reason,
            "rotationCount": self.rotation_count,
            "rotationPeriodDays": self.rotation_period_days,
        }
        if self.auth != "password":
            found = [key for key, value in written.items() if value is not None]
            if found:
                raise invalid(
                    "rotation_without_password",
                    f"user {self.name!r}: `{found[0]}` only applies to `auth: password` (other methods have no "
                    "password to rotate); remove it",
                )
            return
        mode = self.rotation_mode(is_prod)
        if mode == "alternating":
            if self.single_user_reason is not None:
                raise invalid(
                    "contradiction",
                    f"user {self.name!r} rotates by alternating users, so `singleUserReason` says nothing; remove it, "
                    "or write `rotation: single`",
                )
            return
        alternating_only = [key for key in ("rotationCount", "rotationPeriodDays") if written[key] is not None]
        if alternating_only:
            default = " (the default for this user)" if self.rotation is None else ""
            raise invalid(
                "alternating_only",
                f"user {self.name!r}: `{alternating_only[0]}` only applies to `rotation: alternating`, and this user "
                f"rotates `single`{default}; write `rotation: alternating`, or remove it",
            )
        if is_prod and self.kind in ALTERNATING_BY_DEFAULT_KINDS and self.single_user_reason is None:
            raise invalid(
                "single_user_prod",
                f"user {self.name!r}: a production application rotates its password by alternating users, so a "
                "rotation never fails a client still holding the previous password; remove `rotation: single`, or "
                "add `singleUserReason` saying why this application cannot follow a secret whose username changes",
            )

    def _check_oidc(self) -> None:
        written = {"identityProviderId": self.identity_provider_id, "group": self.group, "oidcUser": self.oidc_user}
        oidc_keys = [key for key, value in written.items() if value is not None]
        if self.auth != "oidc":
            if oidc_keys:
                raise invalid(
                    "oidc_without_oidc",
                    f"user {self.name!r}: `{oidc_keys[0]}` only applies to `auth: oidc`; remove it or set the auth",
                )
            return
        if self.identity_provider_id is None:
            raise invalid(
                "missing_identity_provider",
                f"user {self.name!r} authenticates with oidc; add `identityProviderId` (the IdP ID of the organization's "
                "OIDC identity provider, Organization > Federation > Identity Providers)",
            )
        if self.kind in OIDC_WORKLOAD_KINDS:
            if self.group is not None:
                raise invalid(
                    "app_workforce_group",
                    f"user {self.name!r} is an application (kind {self.kind}): an application signs in as its own "
                    "workload identity, not as a group of people; replace `group` with `oidcUser` (the workload's "
                    "identity in the workload IdP's token), or make it kind dba or analytics if people use it",
                )
            if self.oidc_user is None:
                raise invalid(
                    "missing_oidc_user",
                    f"user {self.name!r} is an application on workload OIDC (Atlas oidcAuthType USER); add `oidcUser` "
                    "(the workload's identity as the token's user claim carries it)",
                )
            return
        if self.oidc_user is not None:
            raise invalid(
                "person_workload_user",
                f"user {self.name!r} (kind {self.kind}) is for people, who sign in as members of an IdP group so their "
                "access ends with their membership; replace `oidcUser` with `group`, or make a program's user kind app",
            )
        if self.group is None:
            raise invalid(
                "missing_group",
                f"user {self.name!r} (kind {self.kind}) authenticates with oidc as an IdP group; add `group` (the "
                "workforce IdP group whose members get this access, e.g. payments-prod-dba)",
            )

    @field_validator("labels")
    @classmethod
    def _no_reserved_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for label in labels:
            if label in RESERVED_LABELS:
                raise invalid(
                    "reserved_label",
                    f"label {label!r} is set by this program ({', '.join(RESERVED_LABELS)}); use the user's own key for it or another label",
                )
        return labels

    @field_validator("databases")
    @classmethod
    def _unique_databases(cls, databases: list[str], info: ValidationInfo) -> list[str]:
        unique(databases, "database")
        # `databases: [admin]` is `readWrite@admin` written another way: the same refusal as under `roles`.
        role = DEFAULT_ROLE_BY_KIND.get(str(info.data.get("kind")))
        for database in databases:
            if database in SYSTEM_DATABASES:
                grant = f" would grant {role}@{database}" if role else ""
                raise invalid(
                    "system_database",
                    f"{database!r}{grant}: Atlas manages the {database} database; list your application's database instead",
                )
        return databases

    @field_validator("roles")
    @classmethod
    def _assignable_roles(cls, roles: list[str], info: ValidationInfo) -> list[str]:
        unique(roles, "role")
        # kind and broadRoleReason are declared before roles, so they are already validated here.
        kind, broad_reason = info.data.get("kind"), info.data.get("broad_role_reason")
        for grant in roles:
            _check_builtin_grant(grant, broad_reason)
            role = parse_role(grant)[0]
            if kind == "analytics" and role in BUILTIN_ROLES and role not in ("read", "readAnyDatabase"):
                raise invalid("analytics_writes", f"analytics users may only read; replace {grant!r} with read@<db>")
        return roles

    @property
    def _default_grants(self) -> list[str]:
        return [f"{DEFAULT_ROLE_BY_KIND[self.kind]}@{database}" for database in self.databases]

    @property
    def grants(self) -> list[str]:
        """The kind's role on each of its databases, then its further roles."""
        return self._default_grants + list(self.roles)

    def username(self, prefix: str) -> str:
        """The Atlas username: the IAM ARN for awsIam users, `<IdP id>/<group or workload user>` for oidc users
        (Admin API, Create One Database User: "Atlas OIDC IdP ID ..., followed by a '/', followed by the IdP group
        name" or "IdP user name"), else `<app>-<env>-<name>` (prefix `<app>-<env>`)."""
        if self.iam_arn:
            return self.iam_arn
        if self.auth == "oidc":
            return f"{self.identity_provider_id}/{self.group or self.oidc_user}"
        return f"{prefix}-{self.name}"

    @property
    def oidc_auth_type(self) -> str | None:
        """Atlas's oidcAuthType: IDP_GROUP (workforce group) or USER (workload); None for other auth."""
        if self.auth != "oidc":
            return None
        return "IDP_GROUP" if self.group is not None else "USER"

    @property
    def stores_credential(self) -> bool:
        """A password, or an Atlas-issued certificate, that is kept in Secrets Manager."""
        return self.auth == "password" or self.certificate_months is not None

    @property
    def aws_iam_type(self) -> str | None:
        """Atlas's awsIamType: ROLE for `...:role/...` ARNs, USER for `...:user/...`."""
        if not self.iam_arn:
            return None
        return "ROLE" if self.iam_arn.split(":", 5)[5].startswith("role/") else "USER"

    def recovery_window_days(self, is_prod: bool) -> int:
        """Days a deleted credentials secret stays restorable: 30 in prod; 0 (delete at once) elsewhere."""
        return resolved_recovery_window(self.secret_recovery_window_days, is_prod)

    @property
    def password_generation(self) -> int:
        return self.password_version or 1

    def rotation_mode(self, is_prod: bool) -> str | None:
        """`alternating` or `single` for a password user (as written, else alternating for production `app`
        users); None for other auth methods, which have no password to rotate."""
        if self.auth != "password":
            return None
        if self.rotation is not None:
            return self.rotation
        return "alternating" if is_prod and self.kind in ALTERNATING_BY_DEFAULT_KINDS else "single"

    @property
    def rotations(self) -> int:
        """Alternating rotations so far (`rotationCount`, 0 when not written)."""
        return self.rotation_count or 0

    @property
    def rotation_period(self) -> int:
        """Days between two alternating rotations at the least (`rotationPeriodDays`, else 30)."""
        return self.rotation_period_days or DEFAULT_ROTATION_PERIOD_DAYS

    def slots(self, is_prod: bool) -> tuple[str, ...]:
        """One slot per Atlas user this entry creates: a and b when it alternates, else a alone."""
        return ROTATION_SLOTS if self.rotation_mode(is_prod) == "alternating" else ROTATION_SLOTS[:1]

    def atlas_names(self, is_prod: bool) -> list[str]:
        """The names (`<name>`, and `<name>-b` when alternating) whose `<app>-<env>-` usernames this entry takes."""
        return [self.name + SLOT_USERNAME_SUFFIX[slot] for slot in self.slots(is_prod)]

    def usernames(self, prefix: str, is_prod: bool) -> list[str]:
        """Every Atlas username this entry creates: `username(prefix)`, and slot b's when it alternates."""
        return [self.username(prefix) + SLOT_USERNAME_SUFFIX[slot] for slot in self.slots(is_prod)]


def _check_users(users: list[DatabaseUser], info: ValidationInfo) -> list[DatabaseUser]:
    is_prod = in_production(info)
    in_atlas = sum(len(u.atlas_names(is_prod)) for u in users)
    if in_atlas > MAX_USERS_PER_PROJECT:
        alternating = sum(1 for u in users if u.rotation_mode(is_prod) == "alternating")
        both = f" ({alternating} of them alternating, with two Atlas users each)" if alternating else ""
        raise invalid(
            "too_many_users",
            f"{len(users)} users make {in_atlas} database users in Atlas{both}; Atlas allows at most "
            f"{MAX_USERS_PER_PROJECT} database users per project: share one user per application, use awsIam users, "
            "or write `rotation: single` (with `singleUserReason` for a production app) where a tool cannot follow "
            "an alternating secret",
        )
    unique([u.name for u in users], "user name")
    # `<app>-<env>-<name>` usernames: an alternating user's second one must not be another entry's.
    named = {u.name: index for index, u in enumerate(users) if u.auth in ("password", "x509")}
    for index, user in enumerate(users):
        for taken in user.atlas_names(is_prod)[1:]:
            if taken in named:
                raise invalid(
                    "duplicate",
                    f"user {user.name!r} (databaseUsers[{index}]) alternates with a second Atlas user named for "
                    f"{taken!r}, which is the name of databaseUsers[{named[taken]}]; rename one of them",
                )
    arns: dict[str, int] = {}
    for index, user in enumerate(users):
        if user.iam_arn in arns:
            raise invalid(
                "duplicate",
                f"iamArn {user.iam_arn!r} appears at [{arns[user.iam_arn]}] and [{index}]; one IAM identity is one database user",
            )
        if user.iam_arn:
            arns[user.iam_arn] = index
    oidc_names: dict[str, int] = {}
    for index, user in enumerate(users):
        if user.auth != "oidc":
            continue
        # One IdP group (or workload) of one identity provider is one Atlas username.
        identity = user.username("")
        if identity in oidc_names:
            other = oidc_names[identity]
            raise invalid(
                "duplicate",
                f"{identity!r} (identityProviderId/{'group' if user.group else 'oidcUser'}) appears at [{other}] and "
                f"[{index}]; one IdP group is one database user: give it the roles of both entries in one",
            )
        oidc_names[identity] = index
    data = info.data or {}
    # When customRoles itself is invalid its error is reported; don't add "unknown role" noise here.
    custom_roles_valid = "custom_roles" in data
    custom_roles = {r.name: r for r in data.get("custom_roles") or []}
    for index, user in enumerate(users):
        for grant in user.grants:
            role, database, _ = parse_role(grant)
            if role in BUILTIN_ROLES:
                continue
            where = f"user {user.name!r} (databaseUsers[{index}]): {grant!r}"
            if role not in custom_roles:
                if not custom_roles_valid:
                    continue
                known = ", ".join(BUILTIN_ROLES + tuple(custom_roles))
                raise invalid(
                    "unknown_role",
                    f"{where} is neither a built-in role Atlas assigns nor one of `customRoles`; write one of: {known}",
                )
            if database != "admin":
                # Atlas answers UNSUPPORTED_ROLE to a custom role granted on any other database.
                raise invalid(
                    "custom_role_database", f"{where}: custom roles are granted on the admin database; write {role}@admin"
                )
            if user.kind == "analytics":
                writes = sorted(_actions(role, custom_roles) - READ_ONLY_ACTIONS)
                if writes:
                    raise invalid(
                        "analytics_writes",
                        f"{where}: analytics users only read, and custom role {role!r} grants {', '.join(writes)}; grant a read-only role",
                    )
    return users


def _actions(role: str, custom_roles: dict[str, CustomRole]) -> set[str]:
    """Every action a custom role grants, its inherited built-in roles counted as their own names."""
    found: set[str] = set()
    pending, seen = [role], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current not in custom_roles:
            if current != "read":
                found.add(current)
            continue
        found |= {a.action for a in custom_roles[current].actions}
        pending += [parse_role(g)[0] for g in custom_roles[current].inherited_roles]
    return found


DatabaseUsers = Annotated[list[DatabaseUser], AfterValidator(_check_users)]
