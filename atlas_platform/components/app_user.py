"""AppUser: one least-privilege credential (one Atlas database user, two for an alternating password) and its secret.

Authentication is one of:
- `password`: a generated password, never in config, exports or logs; it reaches the engine only as
  a secret and is kept in Secrets Manager (JSON: username, password, authDatabase, connectionString)
  under a customer KMS key. A new `password_version` generates a new password. With
  `rotation="alternating"` there are two Atlas users (slots a and b, the same roles and scopes, each
  with its own password) and the secret holds the active one's credentials: a new `rotation_count`
  gives the standby slot a new password and makes it the active one, leaving the other untouched.
- `awsIam`: the IAM role or user ARN is the username; no secret exists at all.
- `x509`: an Atlas-managed X.509 user; optionally Atlas issues a certificate, kept in Secrets Manager.
- `oidc`: the username is `<IdP id>/<IdP group>` (workforce, `IDP_GROUP`, auth database `admin`) or
  `<IdP id>/<workload user>` (workload, `USER`, auth database `$external`); the identity provider's
  token is the credential, so no secret exists at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumi_random as random

from .facts import ROTATION_SLOTS, SLOT_USERNAME_SUFFIX
from .naming import renamed_from

TOKEN = "atlas-platform:index:AppUser"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:AppUser"

AUTH_METHODS = ("password", "awsIam", "x509", "oidc")
# Atlas's oidcAuthType and the auth database each takes: a workforce group lives on admin, a
# workload user on $external (Admin API databaseName: "AWS IAM, x.509, LDAP, or OIDC Workload ...
# $external ... SCRAM-SHA or OIDC Workforce ... admin"; provider v2.16 resource_database_user_test.go,
# TestAccDatabaseUser_withOIDCAuthType, creates exactly these two).
OIDC_AUTH_DATABASES = {"IDP_GROUP": "admin", "USER": "$external"}
# RFC 3986 unreserved characters: a password made of these needs no escaping in a connection string.
URI_SAFE_SPECIALS = "-_.~"
PASSWORD_LENGTH = 40
ROTATIONS = ("single", "alternating")
# What a caller's `depends_on` may be (pulumi.ResourceOptions.depends_on).
DependsOn = pulumi.Input[Sequence[pulumi.Input[pulumi.Resource]] | pulumi.Resource] | None


def active_slot(rotation_count: int) -> str:
    """The slot the secret points at after `rotation_count` alternating rotations: a, then b, a, ..."""
    return ROTATION_SLOTS[rotation_count % len(ROTATION_SLOTS)]


def last_rotation(slot: str, rotation_count: int) -> int:
    """The rotation (1, 2, ...) that last gave `slot` its password, 0 when none has: slot b takes
    the odd rotations, slot a the even ones, so each rotation changes exactly one slot."""
    parity = ROTATION_SLOTS.index(slot)
    latest = rotation_count if rotation_count % len(ROTATION_SLOTS) == parity else rotation_count - 1
    return max(latest, 0)


def password_keepers(password_version: int, rotation: int = 0) -> dict[str, str]:
    """A RandomPassword's keepers: a change of any value replaces it, i.e. generates a new password
    (pulumi-random: `keepers` has RequiresReplaceIfValuesNotNull, internal/provider/resource_password.go).
    Before a slot's first rotation the keepers are exactly a one-user credential's, so the user that
    slot a takes over keeps its password; a new key with a value is a change too
    (internal/planmodifiers/map/mapplanmodifiers.go), so the first rotation of a slot replaces it."""
    keepers = {"passwordVersion": str(password_version)}
    if rotation:
        keepers["rotation"] = str(rotation)
    return keepers


@dataclass(frozen=True)
class Grant:
    """One role on one database (or collection)."""

    role_name: pulumi.Input[str]
    """A built-in or custom role name. A plain string is known at preview, so the policy pack can read
    it; a user granted a custom role then waits for it through the caller's `depends_on`."""
    database_name: str
    collection_name: str | None = None


@dataclass(frozen=True)
class AppUserArgs:
    project_id: pulumi.Input[str]
    """The Atlas project id."""
    username: str
    """`<app>-<env>-<name>` for password and X.509 users; the IAM ARN for awsIam users; `<IdP id>/<group or
    workload user>` for oidc users."""
    auth: str
    """password, awsIam, x509 or oidc."""
    roles: Sequence[Grant]
    """The user's roles: at least one."""
    cluster_names: Sequence[pulumi.Input[str]]
    """Clusters the user may reach (Atlas scopes). Pass the cluster's `name` output so the user waits for it."""
    description: str
    """What the user is for (Atlas allows 100 characters)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Atlas labels on the user."""
    # password and x509
    secret_name: str | None = None
    """Secrets Manager name, `<app>/<env>/mongodb/<user>`; required for password users and issued certificates."""
    secrets_kms_key_id: pulumi.Input[str] | None = None
    """Customer KMS key (id or ARN) that encrypts the secret; required with `secret_name`."""
    secret_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the Secrets Manager secret."""
    secret_region: str | None = None
    """AWS region of the secret (AWS form, e.g. eu-central-1), the key's. Default: the AWS provider's (`aws:region`)."""
    secret_recovery_window_in_days: int = 30
    """Days a deleted secret can still be restored (7-30); 0 deletes it at once, so the name is free
    for a new secret right away (never in prod)."""
    connection_string: pulumi.Input[str] | None = None
    """The cluster's connection string (the private-endpoint one where there is one), stored in the secret."""
    # password
    password_version: int = 1
    """Bump to generate a new password: for an alternating credential, both slots' at once (clients
    fail until they re-read the secret: the answer to a leaked password, not a routine rotation)."""
    rotation: str = "single"
    """`single`: one Atlas user. `alternating`: two (slot a, `username`; slot b, `username` + `-b`) behind
    one secret that holds the active slot's credentials (password users only)."""
    rotation_count: int = 0
    """Alternating rotations so far: slot a is active at 0, 2, 4, ..., slot b at 1, 3, ...; bump by one
    to give the standby slot a new password and point the secret at it."""
    # awsIam
    aws_iam_type: str | None = None
    """ROLE or USER, for awsIam users."""
    # oidc
    oidc_auth_type: str | None = None
    """IDP_GROUP (a workforce IdP group of people) or USER (a workload), for oidc users."""
    # x509
    certificate_months: int | None = None
    """Issue an Atlas-managed certificate valid this many months (1-24)."""
    protect: bool = False
    """Refuse to delete or replace the user and its secret (prod): a replacement loses the login or the
    secret's name (tools/replacements.json)."""

    def __post_init__(self) -> None:
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"auth {self.auth!r} is not one of {', '.join(AUTH_METHODS)}")
        if self.auth == "awsIam" and self.aws_iam_type not in ("ROLE", "USER"):
            raise ValueError("awsIam users need aws_iam_type ROLE or USER")
        if (self.auth == "oidc") != (self.oidc_auth_type is not None) or (
            self.oidc_auth_type is not None and self.oidc_auth_type not in OIDC_AUTH_DATABASES
        ):
            raise ValueError(f"{self.username}: oidc users, and only they, need oidc_auth_type IDP_GROUP or USER")
        if self.auth == "oidc" and (self.secret_name is not None or self.certificate_months is not None):
            raise ValueError(f"{self.username}: an oidc user has no credential to store; remove secret_name")
        needs_secret = self.auth == "password" or self.certificate_months is not None
        if needs_secret and (self.secret_name is None or self.secrets_kms_key_id is None):
            raise ValueError(f"{self.username}: a stored credential needs secret_name and secrets_kms_key_id")
        if self.rotation not in ROTATIONS:
            raise ValueError(f"{self.username}: rotation {self.rotation!r} is not one of {', '.join(ROTATIONS)}")
        if self.rotation == "alternating" and self.auth != "password":
            raise ValueError(f"{self.username}: only password users alternate; use rotation='single'")
        if self.rotation_count < 0 or (self.rotation_count and self.rotation != "alternating"):
            raise ValueError(f"{self.username}: rotation_count counts alternating rotations (0 or more)")
        if not self.roles or not self.cluster_names:
            raise ValueError(f"{self.username}: a user needs at least one role and one cluster")
        # Secrets Manager's own range (aws.secretsmanager.Secret recovery_window_in_days: 0, or 7-30).
        if self.secret_recovery_window_in_days != 0 and not 7 <= self.secret_recovery_window_in_days <= 30:
            raise ValueError(f"{self.username}: secret_recovery_window_in_days is 0 or 7-30")


def secret_document(username: Any, password: Any, auth_database: Any, connection_string: Any) -> str:
    """The JSON a client reads from Secrets Manager."""
    return json.dumps(
        {"username": username, "password": password, "authDatabase": auth_database, "connectionString": connection_string},
        sort_keys=True,
    )


class AppUser(pulumi.ComponentResource):
    """A database user scoped to named clusters (two used alternately for an alternating password), with its credential kept in Secrets Manager when it has one."""

    username: pulumi.Output[str]
    """The user's name in Atlas; for an alternating credential, the active slot's (the one the secret holds)."""
    usernames: pulumi.Output[list[str]]
    """Every Atlas user this component keeps: the one user, or slot a's and slot b's."""
    active_slot: pulumi.Output[str | None]
    """`a` or `b`: the slot the secret holds, for an alternating credential; None otherwise."""
    auth_database_name: pulumi.Output[str]
    """The database the user authenticates against (`admin` or `$external`)."""
    secret_arn: pulumi.Output[str | None]
    """ARN of the Secrets Manager secret holding the password or the certificate; None for a user
    with no stored credential (awsIam, or x509 without an issued certificate)."""

    def __init__(self, name: str, args: AppUserArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        child = pulumi.ResourceOptions(parent=self)
        if args.oidc_auth_type is not None:
            auth_database = OIDC_AUTH_DATABASES[args.oidc_auth_type]
        else:
            auth_database = "admin" if args.auth == "password" else "$external"
        # Pulumi does not hand a component's `depends_on` to its children: the users are what must
        # wait (for the custom roles their grants name, say), so they take the caller's edges themselves.
        waits_for = opts.depends_on if opts else None

        password: pulumi.Output[str] | None = None
        if args.rotation == "alternating":
            # Slot a is the user a one-user credential had, under its old resource names (aliased: the
            # same user and password, not a replacement); slot b is its `-b` clone. A rotation is an
            # Update of the standby's user, and the provider's Update sends a password only when it
            # differs from the state (v2.16.0 internal/service/databaseuser/model_database_user.go,
            # NewMongoDBDatabaseUser), so the active slot's password never goes to Atlas again.
            slots = {slot: self._slot(name, slot, args, auth_database, waits_for) for slot in ROTATION_SLOTS}
            active = active_slot(args.rotation_count)
            user, password = slots[active]
            users = [slots[slot][0] for slot in ROTATION_SLOTS]
        else:
            if args.auth == "password":
                # Aliased to slot a's names, so switching back from alternating keeps slot a's user.
                password = self._password(f"{name}-password", password_keepers(args.password_version), f"{name}-a-password")
            user = self._user(
                f"{name}-user",
                args.username,
                password,
                args,
                auth_database,
                waits_for,
                previous=f"{name}-a-user" if password is not None else None,
            )
            active, users = None, [user]

        secret_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if password is not None:
            # Built from the (active) user's outputs: the secret changes only after Atlas accepted the password.
            document = pulumi.Output.all(user.username, password, user.auth_database_name, args.connection_string).apply(
                lambda values: secret_document(*values)
            )
            secret_arn = self._store(f"{name}-secret", args, "MongoDB Atlas credentials of " + args.username, document)

        if args.auth == "x509" and args.certificate_months is not None:
            certificate = atlas.X509AuthenticationDatabaseUser(
                f"{name}-certificate",
                project_id=args.project_id,
                username=user.username,
                months_until_expiration=args.certificate_months,
                opts=child,
            )
            # `current_certificate` holds the private key too.
            secret_arn = self._store(
                f"{name}-certificate-secret",
                args,
                "Atlas-issued X.509 certificate and key of " + args.username,
                certificate.current_certificate,
            )

        self.secret_arn = secret_arn
        self.username = user.username
        self.usernames = pulumi.Output.all(*[u.username for u in users]).apply(list)
        self.active_slot = pulumi.Output.from_input(active)
        self.auth_database_name = user.auth_database_name
        self.register_outputs(
            {
                "username": self.username,
                "usernames": self.usernames,
                "active_slot": self.active_slot,
                "auth_database_name": self.auth_database_name,
                "secret_arn": self.secret_arn,
            }
        )

    def _slot(
        self, name: str, slot: str, args: AppUserArgs, auth_database: str, waits_for: DependsOn
    ) -> tuple[atlas.DatabaseUser, pulumi.Output[str]]:
        """One slot of an alternating credential: its own password, and its Atlas user with the
        credential's roles, scopes, labels and description. Slot a answers to the names a one-user
        credential's password and user had."""
        taken_over = slot == ROTATION_SLOTS[0]
        keepers = password_keepers(args.password_version, last_rotation(slot, args.rotation_count))
        password = self._password(f"{name}-{slot}-password", keepers, f"{name}-password" if taken_over else None)
        username = args.username + SLOT_USERNAME_SUFFIX[slot]
        previous = f"{name}-user" if taken_over else None
        return self._user(f"{name}-{slot}-user", username, password, args, auth_database, waits_for, previous), password

    def _password(self, resource_name: str, keepers: dict[str, str], previous: str | None) -> pulumi.Output[str]:
        generated = random.RandomPassword(
            resource_name,
            length=PASSWORD_LENGTH,
            special=True,
            override_special=URI_SAFE_SPECIALS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            # New keepers replace the RandomPassword: a new password for its user and, when active, the secret.
            keepers=keepers,
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=previous)] if previous else None),
        )
        # pulumi-random marks `result` secret; saying it here keeps it secret whatever the provider does.
        return pulumi.Output.secret(generated.result)

    def _user(
        self,
        resource_name: str,
        username: str,
        password: pulumi.Output[str] | None,
        args: AppUserArgs,
        auth_database: str,
        waits_for: DependsOn,
        previous: str | None,
    ) -> atlas.DatabaseUser:
        """Every Atlas user of the component, built here: the slots of an alternating credential get
        the same roles, scopes, labels and description, so a change of roles updates both in one run."""
        labels = [atlas.DatabaseUserLabelArgs(key=k, value=v) for k, v in sorted(args.labels.items())]
        # `password`, not the write-only `password_wo`: see docs/users.md ("password or password_wo").
        return atlas.DatabaseUser(
            resource_name,
            project_id=args.project_id,
            username=username,
            auth_database_name=auth_database,
            password=password,
            aws_iam_type=args.aws_iam_type if args.auth == "awsIam" else None,
            x509_type="MANAGED" if args.auth == "x509" else None,
            oidc_auth_type=args.oidc_auth_type,
            roles=[
                atlas.DatabaseUserRoleArgs(
                    role_name=grant.role_name, database_name=grant.database_name, collection_name=grant.collection_name
                )
                for grant in args.roles
            ],
            scopes=[atlas.DatabaseUserScopeArgs(name=cluster, type="CLUSTER") for cluster in args.cluster_names],
            labels=labels,
            description=args.description,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=waits_for,
                aliases=[pulumi.Alias(name=previous)] if previous else None,
                # A new sign-in kind moves the user between `admin` and `$external`, and the provider's
                # Update addresses the user by the planned auth database, where it does not exist yet:
                # Atlas answers not found (UpdateDatabaseUser(plan.ProjectID, plan.AuthDatabaseName, ...) in
                # internal/service/databaseuser/resource_database_user.go, v2.16.0; the attribute has no
                # RequiresReplace). So the engine replaces the user, old one first: whether Atlas takes
                # the same username on a second auth database only real Atlas shows; delete-first works
                # either way. Every replacement of a user is delete-first then (docs/changes.md).
                replace_on_changes=["authDatabaseName"],
                delete_before_replace=True,
            ),
        )

    def _store(self, resource_name: str, args: AppUserArgs, description: str, text: pulumi.Input[str]) -> pulumi.Output[str]:
        """A Secrets Manager secret under the stack's KMS key holding `text`, marked secret for the engine."""
        secret = self._secret(resource_name, args.secret_name, args, description)
        secret_text: pulumi.Output[str] = pulumi.Output.secret(text)
        aws.secretsmanager.SecretVersion(
            f"{resource_name}-version",
            secret_id=secret.id,
            secret_string=secret_text,
            region=args.secret_region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secret.arn

    def _secret(
        self, resource_name: str, secret_name: str | None, args: AppUserArgs, description: str
    ) -> aws.secretsmanager.Secret:
        return aws.secretsmanager.Secret(
            resource_name,
            name=secret_name,
            description=description,
            kms_key_id=args.secrets_kms_key_id,
            recovery_window_in_days=args.secret_recovery_window_in_days,
            tags=dict(args.secret_tags),
            region=args.secret_region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
