"""ScopedServiceAccount: an Atlas service account for automation, held to one project and a few addresses.

The least-privilege shape the provider offers for a deployer that holds Organization Owner:
an organization `ServiceAccount` with ORG_MEMBER only, a `ServiceAccountProjectAssignment` with the
project roles it needs, one `ServiceAccountAccessListEntry` per address it calls from, and secrets
as `ServiceAccountSecret`s. The `ProjectServiceAccount` variant is meant for callers without
organization rights, and deleting it only unassigns the account from the project, leaving it in the
organization (provider v2.16.0 docs/resources/project_service_account.md).

Every secret the program uses is a resource here, with its lifetime, stored in Secrets Manager under
the customer KMS key: JSON with clientId, clientSecret, secretId, expiresAt. Provider v2.16.0 (the
pinned pulumi-mongodbatlas 4.14.0) always creates the account with an initial secret: its Create
requires `secret_expires_after_hours` (internal/serviceapi/serviceaccount/resource_schema.go,
RequestOnlyRequiredOnCreate) and it has no `without_initial_secret` (a later release's). That secret
is never stored or used: it is asked for with the shortest lifetime Atlas takes, so it expires unused
within hours (docs/access.md, "The account's initial secret").
Secrets cannot be updated (every input is create-only: internal/serviceapi/serviceaccountsecret/
resource_schema.go), so a rotation is a new secret resource named by its generation; the previous
one may be kept for an overlap (docs/access.md, "Rotation").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from .facts import MIN_SECRET_HOURS
from .naming import slug

TOKEN = "atlas-platform:index:ScopedServiceAccount"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None
ORG_OWNER = "ORG_OWNER"
# The lifetime of the account's unused initial secret: the shortest Atlas takes.
INITIAL_SECRET_HOURS = MIN_SECRET_HOURS


@dataclass(frozen=True)
class ApiAccessEntry:
    """One address (`ip_address`) or range (`cidr_block`) the account may call the Admin API from."""

    key: str
    """The entry's canonical form; it names the resource, so re-spelling or reordering renames nothing."""
    ip_address: str | None = None
    cidr_block: str | None = None


@dataclass(frozen=True)
class ScopedServiceAccountArgs:
    org_id: pulumi.Input[str]
    project_id: pulumi.Input[str]
    name: str
    """The account's name in Atlas (`<app>-<env>-<key>`, at most 64 characters)."""
    description: str
    project_roles: Sequence[str]
    access_list: Sequence[ApiAccessEntry]
    secret_name: str
    """Secrets Manager name, `<app>/<env>/atlas/<key>`."""
    secrets_kms_key_id: pulumi.Input[str]
    """Customer KMS key (id or ARN) that encrypts the stored secret."""
    org_roles: Sequence[str] = ("ORG_MEMBER",)
    secret_expires_after_hours: int = 2160
    secret_generation: int = 1
    keep_previous_secret: bool = False
    secret_tags: Mapping[str, str] = field(default_factory=dict)
    secret_region: str | None = None
    """AWS region of the stored secret (AWS form), the key's. Default: the AWS provider's (`aws:region`)."""
    secret_recovery_window_in_days: int = 30
    """0 deletes the stored secret at once (non-prod); 7-30 keeps it restorable."""
    protect: bool = False
    """Refuse to delete the account and its stored secret (prod)."""

    def __post_init__(self) -> None:
        if ORG_OWNER in self.org_roles:
            raise ValueError(f"{self.name}: a service account for automation never holds {ORG_OWNER}")
        if not self.access_list:
            raise ValueError(f"{self.name}: a service account needs at least one access-list entry")
        for entry in self.access_list:
            if (entry.ip_address is None) == (entry.cidr_block is None):
                raise ValueError(f"{self.name}: access-list entry {entry.key!r} needs exactly one of ip_address, cidr_block")
        if not self.project_roles:
            raise ValueError(f"{self.name}: a service account needs at least one project role")
        if self.secret_generation < 1 or (self.keep_previous_secret and self.secret_generation < 2):
            raise ValueError(f"{self.name}: secret_generation starts at 1, and a previous secret exists from 2 on")
        if self.secret_recovery_window_in_days != 0 and not 7 <= self.secret_recovery_window_in_days <= 30:
            raise ValueError(f"{self.name}: secret_recovery_window_in_days is 0 or 7-30")


def secret_document(client_id: Any, client_secret: Any, secret_id: Any, expires_at: Any) -> str:
    """The JSON the automation reads from Secrets Manager."""
    return json.dumps(
        {"clientId": client_id, "clientSecret": client_secret, "secretId": secret_id, "expiresAt": expires_at}, sort_keys=True
    )


class ScopedServiceAccount(pulumi.ComponentResource):
    """An ORG_MEMBER service account with roles on one project, an access list and a stored secret."""

    client_id: pulumi.Output[str]
    secret_arn: pulumi.Output[str]
    """ARN of the Secrets Manager secret holding the current generation's credentials."""
    secret_expires_at: pulumi.Output[str]
    """When the current secret expires (ISO 8601, from Atlas): rotate before then."""

    def __init__(self, name: str, args: ScopedServiceAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        account = atlas.ServiceAccount(
            f"{name}-account",
            org_id=args.org_id,
            name=args.name,
            description=args.description,
            roles=sorted(args.org_roles),
            # The initial secret Atlas issues with the account (see the module docstring): unused, so
            # as short-lived as Atlas allows. Create-only (CreateOnly plan modifier): ignored after.
            secret_expires_after_hours=INITIAL_SECRET_HOURS,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=["secretExpiresAfterHours"]),
        )
        atlas.ServiceAccountProjectAssignment(
            f"{name}-project",
            project_id=args.project_id,
            client_id=account.client_id,
            # A set to Atlas: sorted, so reordering in the stack file is no change.
            roles=sorted(args.project_roles),
            opts=child,
        )
        for entry in args.access_list:
            atlas.ServiceAccountAccessListEntry(
                f"{name}-access-{slug(entry.key)}",
                org_id=args.org_id,
                client_id=account.client_id,
                ip_address=entry.ip_address,
                cidr_block=entry.cidr_block,
                # cidr_block and ip_address force a replacement; Create adds by value and Delete removes
                # by value (internal/service/serviceaccountaccesslistentry/resource.go), as for the
                # project access list: delete first, or the replacement deletes what it just wrote.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )

        generations = (
            [args.secret_generation - 1, args.secret_generation] if args.keep_previous_secret else [args.secret_generation]
        )
        secrets = [
            atlas.ServiceAccountSecret(
                f"{name}-secret-{generation}",
                org_id=args.org_id,
                client_id=account.client_id,
                secret_expires_after_hours=args.secret_expires_after_hours,
                # Create-only: a new lifetime applies to the next generation instead of failing the update.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretExpiresAfterHours"]),
            )
            for generation in generations
        ]
        current = secrets[-1]

        stored = aws.secretsmanager.Secret(
            f"{name}-credentials",
            name=args.secret_name,
            description=f"MongoDB Atlas service account {args.name}: client id and secret",
            kms_key_id=args.secrets_kms_key_id,
            recovery_window_in_days=args.secret_recovery_window_in_days,
            tags=dict(args.secret_tags),
            region=args.secret_region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # From the secret's outputs: the stored version changes only once Atlas issued the secret.
        document: pulumi.Output[str] = pulumi.Output.all(
            account.client_id, current.secret, current.secret_id, current.expires_at
        ).apply(lambda values: secret_document(*values))
        secret_text: pulumi.Output[str] = pulumi.Output.secret(document)
        aws.secretsmanager.SecretVersion(
            f"{name}-credentials-version",
            secret_id=stored.id,
            secret_string=secret_text,
            region=args.secret_region,
            opts=child,
        )

        self.client_id = account.client_id
        self.secret_arn = stored.arn
        self.secret_expires_at = current.expires_at
        self.register_outputs(
            {"client_id": self.client_id, "secret_arn": self.secret_arn, "secret_expires_at": self.secret_expires_at}
        )
