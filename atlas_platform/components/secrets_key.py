"""SecretsKey: the customer-managed KMS key that encrypts a stack's database credentials in Secrets Manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .naming import renamed_from

TOKEN = "atlas-platform:index:SecretsKey"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:SecretsKey"


@dataclass(frozen=True)
class SecretsKeyArgs:
    alias: str
    """Alias name without the `alias/` prefix, e.g. `payments/prod/mongodb-secrets`."""
    description: str
    tags: Mapping[str, str] = field(default_factory=dict)
    deletion_window_in_days: int = 30
    """Days a scheduled deletion can still be cancelled (AWS allows 7-30); every secret under the key dies with it."""
    protect: bool = True
    """Refuse `pulumi destroy` and replacements of the key (prod keeps it on)."""
    region: str | None = None
    """AWS region of the key (AWS form, e.g. eu-central-1): the secrets' region, as Secrets Manager uses only a key
    of its own region. Default: the AWS provider's (`aws:region`)."""


class SecretsKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly automatic rotation, and a readable alias."""

    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: SecretsKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))

        # No explicit key policy: the account's default policy delegates to IAM, so access to the
        # secrets stays governed by the IAM policies of the roles that read them.
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            tags=dict(args.tags),
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=key.key_id,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})
