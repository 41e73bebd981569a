"""AtlasKmsEncryption under mocks: the KMS chain, its order, its policies and what protects the key."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.conftest import STACKS, key, load_stack
from tests.harness.mocks import MOCK_ATLAS_AWS_ACCOUNT_ARN, MOCK_AWS_ACCOUNT

SETUP = "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup"
ROLE = "aws:iam/role:Role"
KEY = "aws:kms/key:Key"
KMS_COMPONENT = "atlas-platform:index:AtlasKmsEncryption"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
AUTHORIZATION = "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization"
ENCRYPTION = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
COMPONENT = "atlas-platform:index:AtlasKmsEncryption"
SLEEP = "time:index/sleep:Sleep"
ACCESS_ROLE = "atlas-platform:index:AtlasAccessRole"
CHAIN = (SETUP, ROLE, KEY, ROLE_POLICY, SLEEP, AUTHORIZATION, ENCRYPTION, CLUSTER)

EXISTING_KEY = "arn:aws:kms:us-west-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = "arn:aws:iam::111111111111:role/payments-prod-kms-admin"


def use_existing_key(config):
    config[key("cluster")]["encryption"] = {"keyArn": EXISTING_KEY}


def explicit_dependencies(resource):
    """Edges the program added with depends_on: those not carried by any input."""
    from_inputs = {urn for urns in resource.property_dependencies.values() for urn in urns}
    return set(resource.dependencies) - from_inputs


def test_the_chain_runs_in_order_up_to_the_cluster(plans):
    plan = plans("prod")
    # The log and snapshot exports have access roles of their own: the chain is the KMS component's.
    chain = [plan.one(token, within=KMS_COMPONENT if token != CLUSTER else None) for token in CHAIN]
    for earlier, later in itertools.pairwise(chain):
        assert plan.depends_on(later, earlier), f"{later.type} does not wait for {earlier.type}"


def test_the_cluster_waits_for_encryption_at_rest_through_its_project_id(plans):
    plan = plans("prod")
    cluster, encryption = plan.one(CLUSTER), plan.one(ENCRYPTION)
    endpoints = plan.of_type("mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint")
    # EncryptionAtRest, and (prod requires private networking) the KMS endpoint of every region.
    assert endpoints
    assert sorted(cluster.property_dependencies["projectId"]) == sorted([encryption.urn, *(e.urn for e in endpoints)])
    assert explicit_dependencies(cluster) == set()
    assert cluster.inputs["projectId"] == encryption.outputs["projectId"]


# The explicit depends_on edges the program may have, each justified where it is made: (waiter type,
# awaited type) -> why no data dependency can carry the order.
JUSTIFIED_EDGES = {
    # program_args/app_user: the role is named as a plain string, known at preview for the pack.
    (
        "mongodbatlas:index/databaseUser:DatabaseUser",
        "mongodbatlas:index/customDbRole:CustomDbRole",
    ): "user after its custom role",
    # atlas_platform/components/hardened_bucket.py: S3 refuses two concurrent settings changes on one bucket.
    (
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    ): "policy after the access block",
    # atlas_platform/components/access_logs.py: as above, and ACLs are off before the log service is let in.
    (
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    ): "policy after the ownership controls",
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_explicit_edge_is_one_without_a_data_dependency(plans, stack):
    """Every explicit depends_on serializes a slow `pulumi up`: each must be of a justified kind, and
    stay within one component (an authorization waits for its own role's policy, a bucket policy
    for its own bucket's access block)."""
    plan = plans(stack)
    for resource in (r for r in plan.resources if r.custom):
        for urn in explicit_dependencies(resource):
            awaited = plan.by_urn(urn)
            assert (resource.type, awaited.type) in JUSTIFIED_EDGES, f"{resource.name} -> {awaited.name}"
            if awaited.type != "mongodbatlas:index/customDbRole:CustomDbRole":
                assert resource.parent == awaited.parent, f"{resource.name} waits for another component's {awaited.name}"


@pytest.mark.parametrize("stack", STACKS)
def test_atlas_assumes_each_role_only_after_its_policy_and_the_iam_propagation_wait(plans, stack):
    """Every authorization (encryption, log export, snapshot export) takes its role's ARN from a 30 s
    Sleep that reads the role's policy: a data edge, no depends_on, re-run when role or policy changes."""
    plan = plans(stack)
    authorizations = plan.of_type(AUTHORIZATION)
    sleeps = plan.of_type(SLEEP)
    assert len(sleeps) == len(authorizations)
    for authorization in authorizations:
        siblings = [r for r in plan.resources if r.parent == authorization.parent]
        (sleep,) = [r for r in siblings if r.type == SLEEP]
        (policy,) = [r for r in siblings if r.type == ROLE_POLICY]
        (role,) = [r for r in siblings if r.type == ROLE]
        assert sleep.inputs["createDuration"] == "30s"
        assert sleep.inputs["triggers"] == {"roleArn": role.outputs["arn"], "policy": policy.inputs["policy"]}
        assert set(sleep.property_dependencies["triggers"]) == {role.urn, policy.urn}
        assert authorization.inputs["aws"]["iamAssumedRoleArn"] == role.outputs["arn"]
        assert authorization.property_dependencies["aws"] == [sleep.urn]
        assert explicit_dependencies(authorization) == set()
        assert explicit_dependencies(sleep) == set()


def test_role_trusts_only_atlas_account_with_the_external_id(plans):
    plan = plans("prod")
    setup, role = plan.one(SETUP, within=KMS_COMPONENT), plan.one(ROLE, within=KMS_COMPONENT)
    assert setup.inputs == {"projectId": plan.one("mongodbatlas:index/project:Project").id, "providerName": "AWS"}
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    atlas_config = setup.outputs["awsConfigs"][0]
    assert statement["Principal"] == {"AWS": MOCK_ATLAS_AWS_ACCOUNT_ARN} == {"AWS": atlas_config["atlasAwsAccountArn"]}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": atlas_config["atlasAssumedRoleExternalId"]}}


def test_role_policy_allows_only_what_atlas_needs_on_that_one_key(plans):
    plan = plans("prod")
    policy, role, kms_key = (
        plan.one(ROLE_POLICY, within=KMS_COMPONENT),
        plan.one(ROLE, within=KMS_COMPONENT),
        plan.one(KEY, within=KMS_COMPONENT),
    )
    assert policy.inputs["role"] == role.id
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
        "Resource": kms_key.outputs["arn"],
    }


def test_key_rotates_and_its_policy_names_admins_and_the_atlas_role(plans):
    plan = plans("prod")
    kms_key, role = plan.one(KEY, within=KMS_COMPONENT), plan.one(ROLE, within=KMS_COMPONENT)
    inputs = kms_key.inputs
    assert inputs["enableKeyRotation"] is True
    assert inputs["rotationPeriodInDays"] == 365
    assert inputs["deletionWindowInDays"] == 30
    assert inputs["region"] == "us-east-1"
    statements = {s["Sid"]: s for s in json.loads(inputs["policy"])["Statement"]}
    assert statements["EnableIamPoliciesOfTheAccount"]["Principal"] == {"AWS": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:root"}
    assert statements["KeyAdministrators"]["Principal"] == {"AWS": [ADMIN]}
    assert "kms:Decrypt" not in statements["KeyAdministrators"]["Action"]
    assert statements["AtlasEncryptionAtRest"]["Principal"] == {"AWS": role.outputs["arn"]}
    assert statements["AtlasEncryptionAtRest"]["Action"] == ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    assert "KeyUsers" not in statements
    alias = plan.one("aws:kms/alias:Alias", within=KMS_COMPONENT)
    assert alias.inputs == {
        "name": "alias/payments-prod-kms-atlas",
        "targetKeyId": kms_key.outputs["keyId"],
        "region": "us-east-1",
    }


def test_key_users_get_their_own_statement(plan_variant):
    user = "arn:aws:iam::111111111111:role/payments-prod-restore"
    plan = plan_variant("prod", lambda c: c[key("cluster")]["encryption"].update(keyUserArns=[user]))
    statements = {s["Sid"]: s for s in json.loads(plan.one(KEY, within=KMS_COMPONENT).inputs["policy"])["Statement"]}
    assert statements["KeyUsers"]["Principal"] == {"AWS": [user]}
    assert "kms:ScheduleKeyDeletion" not in statements["KeyUsers"]["Action"]


def test_prod_key_is_protected_retained_and_waits_out_iam_propagation(plans):
    kms_key = plans("prod").one(KEY, within=KMS_COMPONENT)
    assert kms_key.protect is True
    assert kms_key.retain_on_delete is True
    # The provider retries CreateKey until KMS sees the new role; give it longer than 2 minutes.
    assert kms_key.custom_timeouts == {"create": "10m"}
    assert plans("prod").one("aws:kms/alias:Alias", within=KMS_COMPONENT).retain_on_delete is True


def test_key_created_in_staging_is_neither_protected_nor_retained(plan_variant):
    def encrypt(config):
        config[key("cluster")]["encryption"] = {
            "enabled": True,
            "keyAdminArns": ["arn:aws:iam::222222222222:role/payments-staging-kms-admin"],
        }

    plan = plan_variant("staging", encrypt)
    kms_key = plan.one(KEY, within=KMS_COMPONENT)
    assert (kms_key.protect, kms_key.retain_on_delete) == (False, False)
    assert plan.one(CLUSTER).inputs["encryptionAtRestProvider"] == "AWS"


def test_encryption_at_rest_uses_the_key_id_atlas_region_and_authorized_role(plans):
    plan = plans("prod")
    encryption, kms_key = plan.one(ENCRYPTION), plan.one(KEY, within=KMS_COMPONENT)
    authorization = plan.one(AUTHORIZATION, within=KMS_COMPONENT)
    assert encryption.inputs["awsKmsConfig"] == {
        "enabled": True,
        "customerMasterKeyId": kms_key.outputs["keyId"],
        "region": "US_EAST_1",
        "roleId": authorization.inputs["roleId"],
        "requirePrivateNetworking": load_stack("prod").cluster.kms_private(True),
    }
    assert encryption.inputs["enabledForSearchNodes"] is True
    assert authorization.property_dependencies["roleId"] == [plan.one(SETUP, within=KMS_COMPONENT).urn]
    assert authorization.inputs["aws"] == {"iamAssumedRoleArn": plan.one(ROLE, within=KMS_COMPONENT).outputs["arn"]}


def test_existing_key_arn_skips_the_key_and_scopes_everything_to_it(plan_variant):
    plan = plan_variant("prod", use_existing_key)
    assert plan.of_type(KEY, within=KMS_COMPONENT) == [] and plan.of_type("aws:kms/alias:Alias", within=KMS_COMPONENT) == []
    [statement] = json.loads(plan.one(ROLE_POLICY, within=KMS_COMPONENT).inputs["policy"])["Statement"]
    assert statement["Resource"] == EXISTING_KEY
    config = plan.one(ENCRYPTION).inputs["awsKmsConfig"]
    assert config["customerMasterKeyId"] == EXISTING_KEY
    assert config["region"] == "US_WEST_2"
    assert plan.depends_on(plan.one(CLUSTER), plan.one(ENCRYPTION))
    assert plan.depends_on(plan.one(AUTHORIZATION, within=KMS_COMPONENT), plan.one(ROLE_POLICY, within=KMS_COMPONENT))


def test_kms_resources_live_inside_their_component(plans):
    plan = plans("prod")
    component = plan.one(COMPONENT)
    children = {c.type for c in plan.children(component)}
    # With private networking: its endpoints and the guard that refuses turning it off in one edit.
    private = {"mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint", "time:index/static:Static"}
    expected = {SETUP, ROLE, KEY, "aws:kms/alias:Alias", ROLE_POLICY, SLEEP, AUTHORIZATION, ENCRYPTION}
    assert children == expected | (private if load_stack("prod").cluster.kms_private(True) else set())
    for child in plan.children(component):
        assert child.name.startswith(f"{component.name}-")


def test_staging_has_no_kms_chain_by_default(plans):
    plan = plans("staging")
    assert plan.of_type(KMS_COMPONENT) == []
    # No Atlas access to a customer key: the only access roles are the exports' (their own components).
    assert plan.of_type(ENCRYPTION) == []
    kms_chain = {SETUP, ROLE, ROLE_POLICY, AUTHORIZATION}
    assert all(plan.by_urn(r.parent).type != KMS_COMPONENT for r in plan.resources if r.type in kms_chain)


def test_an_existing_key_in_another_account_reaches_atlas_as_its_full_arn(plan_variant):
    # A bare key id resolves only in the role's own account; a security account's key needs its ARN.
    assert EXISTING_KEY.split(":")[4] != MOCK_AWS_ACCOUNT
    plan = plan_variant("prod", use_existing_key)
    master_key = plan.one(ENCRYPTION).inputs["awsKmsConfig"]["customerMasterKeyId"]
    assert master_key == EXISTING_KEY
    assert master_key.startswith("arn:aws:kms:us-west-2:444455556666:key/")
    assert plan.one(ROLE, within=KMS_COMPONENT).outputs["arn"].split(":")[4] == MOCK_AWS_ACCOUNT
