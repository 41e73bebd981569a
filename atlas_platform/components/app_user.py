"""AppUser: one least-privilege Atlas database user, and its credentials in AWS Secrets Manager.

Authentication is one of:
- `password`: a generated password, never in config, exports or logs; it reaches the engine only as
  a secret and is kept in Secrets Manager (JSON: username, password, authDatabase, connectionString)
  under a customer KMS key. A new `password_version` generates a new password.
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
    secret_recovery_window_in_days: int = 30
    """Days a deleted secret can still be restored (7-30); 0 deletes it at once, so the name is free
    for a new secret right away (never in prod)."""
    connection_string: pulumi.Input[str] | None = None
    """The cluster's connection string (the private-endpoint one where there is one), stored in the secret."""
    # password
    password_version: int = 1
    """Bump to generate a new password."""
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
    """A database user scoped to named clusters, with its credential kept in Secrets Manager when it has one."""

    username: pulumi.Output[str]
    """The user's name in Atlas."""
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

        password: pulumi.Output[str] | None = None
        if args.auth == "password":
            generated = random.RandomPassword(
                f"{name}-password",
                length=PASSWORD_LENGTH,
                special=True,
                override_special=URI_SAFE_SPECIALS,
                min_lower=2,
                min_upper=2,
                min_numeric=2,
                min_special=2,
                # A new version replaces the RandomPassword, so the user and the secret get a new one.
                keepers={"passwordVersion": str(args.password_version)},
                opts=child,
            )
            # pulumi-random marks `result` secret; saying it here keeps it secret whatever the provider does.
            password = pulumi.Output.secret(generated.result)

        labels = [atlas.DatabaseUserLabelArgs(key=k, value=v) for k, v in sorted(args.labels.items())]
        # `password`, not the write-only `password_wo`: see docs/users.md ("password or password_wo").
        user = atlas.DatabaseUser(
            f"{name}-user",
            project_id=args.project_id,
            username=args.username,
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
            # Pulumi does not hand a component's `depends_on` to its children: the user is what must
            # wait (for the custom roles its grants name, say), so it takes the caller's edges itself.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=opts.depends_on if opts else None,
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

        secret_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if password is not None:
            # Built from the user's outputs: the secret changes only after Atlas accepted the password.
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
        self.auth_database_name = user.auth_database_name
        self.register_outputs(
            {"username": self.username, "auth_database_name": self.auth_database_name, "secret_arn": self.secret_arn}
        )

    def _store(self, resource_name: str, args: AppUserArgs, description: str, text: pulumi.Input[str]) -> pulumi.Output[str]:
        """A Secrets Manager secret under the stack's KMS key holding `text`, marked secret for the engine."""
        secret = self._secret(resource_name, args.secret_name, args, description)
        secret_text: pulumi.Output[str] = pulumi.Output.secret(text)
        aws.secretsmanager.SecretVersion(
            f"{resource_name}-version", secret_id=secret.id, secret_string=secret_text, opts=pulumi.ResourceOptions(parent=self)
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
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
