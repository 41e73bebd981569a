"""AtlasAccessRole: an IAM role MongoDB Atlas assumes for one purpose, through its own cloud-provider access.

The chain Atlas needs (the same as atlas_platform/components/encryption.py's, for another purpose):
CloudProviderAccessSetup (Atlas names its AWS account and an external id)
-> IAM role trusting that account with that external id
-> the role's one inline policy (what this purpose needs, nothing else)
-> CloudProviderAccessAuthorization (Atlas assumes the role).
A project may hold several setups, one role each: the official atlas-aws module creates dedicated
ones for encryption, backup export and log integration (terraform-mongodbatlas-atlas-aws `main.tf`,
modules `cloud_provider_access` with purpose `encrypt`, `backup`, `logs`). A role per purpose means the
log writer cannot use the encryption-at-rest key, and the key's role cannot write to the buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas

from .encryption import ROLE_IDENTITY, atlas_trust_policy, role_arn_after_propagation

TOKEN = "atlas-platform:index:AtlasAccessRole"
# New with the atlas-platform tokens: no stack was ever deployed under an older one, so no alias.
PREVIOUS_TOKEN: str | None = None


@dataclass(frozen=True)
class AtlasAccessRoleArgs:
    project_id: pulumi.Input[str]
    description: str
    """What Atlas uses the role for (the IAM role's description)."""
    policy: pulumi.Input[str]
    """The role's inline policy document (JSON): only what this purpose needs."""
    tags: Mapping[str, str] = field(default_factory=dict)


class AtlasAccessRole(pulumi.ComponentResource):
    """An IAM role Atlas may assume, authorized in the project, with one least-privilege policy."""

    role_id: pulumi.Output[str]
    """Atlas's id of the authorized role (`iam_role_id` of a LogIntegration or an export bucket), as an
    output of the authorization: whoever uses it waits until Atlas has assumed the role."""
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AtlasAccessRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        access = atlas.CloudProviderAccessSetup(f"{name}-access", project_id=args.project_id, provider_name="AWS", opts=child)
        role = aws.iam.Role(
            f"{name}-role",
            description=args.description,
            assume_role_policy=atlas_trust_policy(access),
            tags=dict(args.tags),
            # As the encryption role's: an imported role keeps its name and path (encryption.py, ROLE_IDENTITY).
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=ROLE_IDENTITY),
        )
        permissions = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=args.policy, opts=child)
        # As in atlas_platform/components/encryption.py: Atlas must not find the role without its permissions,
        # nor before IAM has propagated them (the official module's 30 s wait before the log integration and
        # the export bucket): the role ARN reaches the authorization through the wait.
        authorization = atlas.CloudProviderAccessAuthorization(
            f"{name}-authorization",
            project_id=args.project_id,
            role_id=access.role_id,
            aws=atlas.CloudProviderAccessAuthorizationAwsArgs(
                iam_assumed_role_arn=role_arn_after_propagation(name, role, permissions, self)
            ),
            opts=child,
        )

        self.role_id = authorization.role_id
        self.role_arn = role.arn
        self.register_outputs({"role_id": self.role_id, "role_arn": self.role_arn})
