"""AtlasKmsEncryption: encryption at rest for an Atlas project with the customer's own AWS KMS key.

The chain Atlas needs, in order:
CloudProviderAccessSetup (Atlas names its AWS account and an external id)
-> IAM role trusting that account with that external id
-> KMS key whose policy names the role (or an existing key)
-> least-privilege role policy on the key
-> CloudProviderAccessAuthorization (Atlas assumes the role)
-> EncryptionAtRest (Atlas checks it can use the key)
-> with `require_private_networking`, an EncryptionAtRestPrivateEndpoint in every region that holds
   cluster nodes, and in the key's region.
A cluster created with `encryption_at_rest_provider="AWS"` must wait for EncryptionAtRest and, with
private networking required, for the endpoint of each of its regions: give it
`AtlasKmsEncryption.project_id`, an output of EncryptionAtRest and of every endpoint, so the wait is a
data dependency (docs/cluster.md, "Key traffic over AWS PrivateLink").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_mongodbatlas as atlas
import pulumiverse_time

from .facts import atlas_region_name
from .naming import renamed_from

TOKEN = "atlas-platform:index:AtlasKmsEncryption"
# The token before issue 12: aliased, so existing stacks keep every URN.
PREVIOUS_TOKEN = "atlas:prod:AtlasKmsEncryption"

# What Atlas calls on the key: the Atlas provider's own example grants the role exactly these
# (terraform-provider-mongodbatlas examples/mongodbatlas_encryption_at_rest/aws/atlas-cluster/aws-roles.tf).
ATLAS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:DescribeKey")
# The AWS console's default key-administrator and key-user statements.
KEY_ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
KEY_USER_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")

# How long a new or changed role policy is given to propagate through IAM before Atlas first assumes the
# role: the official atlas-aws module's wait before the log integration, the export bucket and encryption
# (terraform-mongodbatlas-atlas-aws modules/log_integration/main.tf and modules/backup_export/main.tf,
# `time_sleep.iam_propagation`, create_duration "30s"). The provider's authorization retries
# CANNOT_ASSUME_ROLE only 3 times, 10 s apart (resource_cloud_provider_access_authorization.go, v2.16.0).
IAM_PROPAGATION = "30s"

# KMS refuses a key policy naming a principal it can't see yet, and the AWS provider retries
# CreateKey until IAM has propagated the new role (default 2 minutes). A longer window turns the
# key into the gate that holds the rest of the chain until IAM has caught up.
KEY_CREATE_TIMEOUT = "10m"

# The provider waits for the endpoint to leave INITIATING (default 3h); its own AWS acceptance test
# allows 45 minutes (internal/service/encryptionatrestprivateendpoint/resource_test.go, v2.16).
KMS_ENDPOINT_TIMEOUTS = pulumi.CustomTimeouts(create="45m", delete="45m")
# The provider has no RequiresReplace on these and its Update only warns that updates are not
# supported (resource_schema.go, resource.go, v2.16): without this, a new key region would be an
# "update" that changes nothing in Atlas, leaving the endpoint in the old region.
KMS_ENDPOINT_REPLACE_ON = ["projectId", "cloudProvider", "regionName"]


@dataclass(frozen=True)
class AtlasKmsEncryptionArgs:
    project_id: pulumi.Input[str]
    key_region: str
    """AWS region of the key (AWS form, e.g. us-east-1); Atlas gets its own form (US_EAST_1)."""
    existing_key_arn: str | None = None
    """Use this key instead of creating one; its policy must let the Atlas role use it."""
    key_admin_arns: Sequence[str] = ()
    key_user_arns: Sequence[str] = ()
    deletion_window_days: int = 30
    rotation_period_days: int = 365
    tags: Mapping[str, str] = field(default_factory=dict)
    require_private_networking: bool = False
    """Atlas reaches the key only over AWS PrivateLink, through endpoints Atlas runs in its own VPCs."""
    private_endpoint_regions: Sequence[str] = ()
    """With `require_private_networking`: every region that holds the cluster's nodes (AWS form). Atlas
    creates a cluster, or adds nodes, only in regions with an approved endpoint; the key's region always
    gets one too."""
    private_endpoints_removed: bool = False
    """Step 1 of turning `require_private_networking` off: the endpoints are deleted while it stays on.
    Atlas refuses to stop requiring private networking while any endpoint exists
    (CANNOT_DISABLE_ENCRYPTION_AT_REST_REQUIRE_PRIVATE_NETWORKING_WHILE_PRIVATE_ENDPOINTS_EXIST), and Pulumi
    runs updates before deletes, so the flag can go only in a later `pulumi up`."""
    protect: bool = True
    """Refuse `pulumi destroy` and replacements of the created key."""
    retain_key_on_delete: bool = True
    """If the key leaves the program anyway, leave it in AWS: snapshots encrypted with it stay readable."""


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def key_policy(atlas_role_arn: str, admin_arns: Sequence[str], user_arns: Sequence[str]) -> str:
    """The created key's policy: who may administer it, who may use it, and the Atlas role."""
    # Principals are sorted: the policy is one JSON string, so any order change would update the key.
    statements: list[dict[str, Any]] = [
        # AWS's default first statement: without it a key whose admins all vanish can never be
        # managed again (AWS also refuses such a policy at creation, the "lockout safety check").
        {
            "Sid": "EnableIamPoliciesOfTheAccount",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_of(atlas_role_arn)}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "KeyAdministrators",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(admin_arns)},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "AtlasEncryptionAtRest",
            "Effect": "Allow",
            "Principal": {"AWS": atlas_role_arn},
            "Action": list(ATLAS_KEY_ACTIONS),
            "Resource": "*",
        },
    ]
    if user_arns:
        statements.append(
            {
                "Sid": "KeyUsers",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(user_arns)},
                "Action": list(KEY_USER_ACTIONS),
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def trust_policy(atlas_account_arn: str, external_id: str) -> str:
    """Only Atlas's AWS account, and only with this project's external id, may assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": atlas_account_arn},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
                }
            ],
        }
    )


def atlas_trust_policy(access: atlas.CloudProviderAccessSetup) -> pulumi.Output[str]:
    """`trust_policy` for the Atlas account and external id that `access` (the project's cloud-provider
    access setup) hands out: the assume-role policy of every role Atlas uses."""
    atlas_aws = access.aws_configs.apply(lambda configs: configs[0])
    return pulumi.Output.all(
        atlas_aws.apply(lambda c: c.atlas_aws_account_arn),
        atlas_aws.apply(lambda c: c.atlas_assumed_role_external_id),
    ).apply(lambda values: trust_policy(*values))


# The role's identity, which the program never sets (Pulumi auto-names it; `path` takes AWS's default "/"),
# and which forces a replacement (aws_iam_role name, name_prefix, path: tools/replacements.json). After
# `pulumi import` of a role Atlas already assumes (docs/adopt.md), Pulumi would auto-name it anew and
# replace it: the customer key's policy names the old role, so Atlas would lose the key. Kept from the
# state instead; a role this program creates is named at create as before.
ROLE_IDENTITY = ["name", "namePrefix", "path"]


def role_arn_after_propagation(
    name: str, role: aws.iam.Role, policy: aws.iam.RolePolicy, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """`role`'s ARN once its policy has had IAM_PROPAGATION to propagate: a pulumiverse-time Sleep created
    after the policy (it reads the policy document), waited out again whenever the role or the policy
    changes (triggers force a new Sleep: RequiresReplace in terraform-provider-time's
    internal/provider/resource_time_sleep.go). The authorization takes its role ARN from the Sleep's
    triggers, so the wait is a data edge, with no depends_on; nothing else waits for it."""
    sleep = pulumiverse_time.Sleep(
        f"{name}-iam-propagation",
        create_duration=IAM_PROPAGATION,
        triggers={"roleArn": role.arn, "policy": policy.policy},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return sleep.triggers.apply(lambda triggers: str((triggers or {})["roleArn"]))


def key_access_policy(key_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(ATLAS_KEY_ACTIONS), "Resource": key_arn}],
        }
    )


def private_endpoint_regions(args: AtlasKmsEncryptionArgs) -> list[str]:
    """The regions that get a KMS private endpoint (AWS form, sorted): none without private networking (or
    while it is being turned off), else every cluster region and the key's."""
    if not args.require_private_networking or args.private_endpoints_removed:
        return []
    return sorted({*args.private_endpoint_regions, args.key_region})


class AtlasKmsEncryption(pulumi.ComponentResource):
    """Atlas project encryption at rest with a customer-managed AWS KMS key."""

    project_id: pulumi.Output[str]
    """The project id, as an output of EncryptionAtRest and of every KMS private endpoint: clusters that
    use it wait for encryption and for an endpoint in each region."""
    key_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    encryption_at_rest_id: pulumi.Output[str]
    kms_private_endpoint_ids: dict[str, pulumi.Output[str]]
    """Each EncryptionAtRestPrivateEndpoint's id by region (AWS form); empty when Atlas reaches the key over
    the public KMS endpoint."""
    kms_private_endpoint_id: pulumi.Output[str | None]
    """The key region's endpoint id (the one endpoint of 0.1.0); None without private networking."""

    def __init__(self, name: str, args: AtlasKmsEncryptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, renamed_from(PREVIOUS_TOKEN, opts))
        child = pulumi.ResourceOptions(parent=self)

        access = atlas.CloudProviderAccessSetup(
            f"{name}-atlas-access", project_id=args.project_id, provider_name="AWS", opts=child
        )
        role = aws.iam.Role(
            f"{name}-atlas-role",
            description="Assumed by MongoDB Atlas to use the project's encryption-at-rest KMS key",
            assume_role_policy=atlas_trust_policy(access),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=ROLE_IDENTITY),
        )

        if args.existing_key_arn:
            key_arn: pulumi.Output[str] = pulumi.Output.from_input(args.existing_key_arn)
            # The full ARN, not the key id: a bare id resolves only in the account of the role Atlas
            # assumes, so a key kept in another (security) account would not be found. The provider
            # sends customer_master_key_id to Atlas as written (internal/service/encryptionatrest/model.go,
            # v2.16), and KMS takes a key ARN wherever it takes a key id.
            key_id: pulumi.Output[str] = key_arn
        else:
            # The policy names the role, so the key waits for it: that is a data dependency, and
            # it also makes the key's create wait out IAM propagation (see KEY_CREATE_TIMEOUT).
            key = aws.kms.Key(
                f"{name}-key",
                description="MongoDB Atlas encryption at rest",
                region=args.key_region,
                enable_key_rotation=True,
                rotation_period_in_days=args.rotation_period_days,
                deletion_window_in_days=args.deletion_window_days,
                policy=role.arn.apply(lambda arn: key_policy(arn, args.key_admin_arns, args.key_user_arns)),
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect,
                    retain_on_delete=args.retain_key_on_delete,
                    custom_timeouts=pulumi.CustomTimeouts(create=KEY_CREATE_TIMEOUT),
                ),
            )
            # The created key is in the role's own account, where its id resolves; an existing
            # project keeps the value it was encrypted with.
            key_arn, key_id = key.arn, key.key_id
            # A readable handle for operators (console, CLI, decommissioning); Atlas uses the key id.
            # It stays with a retained key, so the key can still be found after the stack is gone.
            aws.kms.Alias(
                f"{name}-key-alias",
                name=f"alias/{name}-atlas",
                target_key_id=key.key_id,
                region=args.key_region,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_key_on_delete),
            )

        key_access = aws.iam.RolePolicy(
            f"{name}-key-access",
            role=role.id,
            policy=key_arn.apply(key_access_policy),
            opts=child,
        )

        # Atlas must not find the role without its key permissions, nor before IAM has propagated them:
        # the role ARN reaches the authorization (and EncryptionAtRest, which reads its role_id) only after
        # the policy and IAM_PROPAGATION. The provider itself retries CANNOT_ASSUME_ROLE only 3 x 10 s.
        authorization = atlas.CloudProviderAccessAuthorization(
            f"{name}-authorization",
            project_id=args.project_id,
            role_id=access.role_id,
            aws=atlas.CloudProviderAccessAuthorizationAwsArgs(
                iam_assumed_role_arn=role_arn_after_propagation(name, role, key_access, self)
            ),
            opts=child,
        )

        # The provider retries this create for 3 minutes on CANNOT_ASSUME_ROLE,
        # INVALID_AWS_CREDENTIALS and CLOUD_PROVIDER_ACCESS_ROLE_NOT_AUTHORIZED (IAM propagation).
        encryption = atlas.EncryptionAtRest(
            f"{name}-encryption-at-rest",
            project_id=args.project_id,
            aws_kms_config=atlas.EncryptionAtRestAwsKmsConfigArgs(
                enabled=True,
                customer_master_key_id=key_id,
                region=atlas_region_name(args.key_region),
                role_id=authorization.role_id,
                # Set either way, so a switch made in the Atlas UI is reverted to the stack file's value.
                require_private_networking=args.require_private_networking,
            ),
            # Dedicated search nodes, if the project ever gets them, use the same key.
            enabled_for_search_nodes=True,
            opts=child,
        )

        if args.private_endpoints_removed and not args.require_private_networking:
            raise ValueError(f"{name}: private_endpoints_removed is the first step of turning require_private_networking off")
        if args.require_private_networking:
            # Refuses, before anything changes, the one-step edit that turns private networking off while the
            # endpoints exist: that update would run before their deletes and Atlas would refuse it. The guard is
            # protected while the endpoints are wanted, so deleting it with them stops the preview ("unable to
            # delete resource ... marked for protection"); step 1 (`private_endpoints_removed`) unprotects it
            # and deletes the endpoints, and step 2 deletes it with the flag turned off. It holds nothing:
            # a pulumiverse-time Static, the time private networking was required.
            pulumiverse_time.Static(
                f"{name}-private-networking-guard",
                opts=pulumi.ResourceOptions(parent=self, protect=not args.private_endpoints_removed),
            )

        self.kms_private_endpoint_ids = {}
        waits_for: list[pulumi.Output[str]] = [encryption.project_id]
        for region in private_endpoint_regions(args):
            # After EncryptionAtRest has require_private_networking on (the provider's prerequisite,
            # docs/resources/encryption_at_rest_private_endpoint.md, v2.16.0; the official atlas-aws module's
            # encryption_private_endpoint waits for its encryption module too): its project_id output carries
            # that order. One per region, named by region, in Atlas's region form: the module takes a set of
            # regions (`encryption.private_endpoint_regions`, one module call each). AWS KMS needs no approval
            # on the AWS side, unlike Azure Key Vault: the provider's AWS acceptance test expects ACTIVE with
            # no approval step (internal/service/encryptionatrestprivateendpoint/resource_test.go, v2.16.0).
            endpoint = atlas.EncryptionAtRestPrivateEndpoint(
                f"{name}-private-endpoint-{region}",
                project_id=encryption.project_id,
                cloud_provider="AWS",
                region_name=atlas_region_name(region),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    custom_timeouts=KMS_ENDPOINT_TIMEOUTS,
                    replace_on_changes=KMS_ENDPOINT_REPLACE_ON,
                    # The single endpoint of before, always in the key's region, keeps its URN.
                    aliases=[pulumi.Alias(name=f"{name}-private-endpoint")] if region == args.key_region else None,
                ),
            )
            self.kms_private_endpoint_ids[region] = endpoint.id
            # Its project_id (an input, so known at preview, where an unknown project id would read as a
            # replacement of the cluster) carries the wait for the endpoint's create.
            waits_for.append(endpoint.project_id)

        key_endpoint = self.kms_private_endpoint_ids.get(args.key_region)
        self.kms_private_endpoint_id = key_endpoint if key_endpoint is not None else pulumi.Output.from_input(None)

        # A cluster that takes this project id waits for encryption and, with private networking required,
        # for the endpoint of every region: Atlas creates clusters and adds nodes only in regions with an
        # approved endpoint (Atlas, "Manage Customer Keys with AWS KMS Over Private Endpoints"). A region added
        # later gets its endpoint in the same `pulumi up`, before the cluster update that puts nodes there.
        self.project_id = pulumi.Output.all(*waits_for).apply(lambda ids: str(ids[0]))
        self.key_arn = key_arn
        self.role_arn = role.arn
        self.encryption_at_rest_id = encryption.id
        self.register_outputs(
            {
                "project_id": self.project_id,
                "key_arn": self.key_arn,
                "role_arn": self.role_arn,
                "encryption_at_rest_id": self.encryption_at_rest_id,
                "kms_private_endpoint_ids": self.kms_private_endpoint_ids,
                "kms_private_endpoint_id": self.kms_private_endpoint_id,
            }
        )
