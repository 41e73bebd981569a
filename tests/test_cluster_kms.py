"""AtlasKmsEncryption under mocks: the KMS chain, its order, its policies and what protects the key."""

from __future__ import annotations

import itertools
import json

from tests.conftest import key
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
CHAIN = (SETUP, ROLE, KEY, ROLE_POLICY, AUTHORIZATION, ENCRYPTION, CLUSTER)

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
    chain = [plan.one(token, within=KMS_COMPONENT if token == KEY else None) for token in CHAIN]
    for earlier, later in itertools.pairwise(chain):
        assert plan.depends_on(later, earlier), f"{later.type} does not wait for {earlier.type}"


def test_the_cluster_waits_for_encryption_at_rest_through_its_project_id(plans):
    plan = plans("prod")
    cluster, encryption = plan.one(CLUSTER), plan.one(ENCRYPTION)
    assert cluster.property_dependencies["projectId"] == [encryption.urn]
    assert explicit_dependencies(cluster) == set()
    assert cluster.inputs["projectId"] == encryption.outputs["projectId"]


def test_the_only_explicit_edges_are_the_two_without_a_data_dependency(plans):
    """Every explicit depends_on serializes a slow `pulumi up`; prod has exactly two, each justified in code:
    the Atlas authorization after the IAM role policy (nothing the policy outputs feeds it), and the user
    granted a custom role after that role (the role is named as a plain string, known at preview)."""
    plan = plans("prod")
    explicit = {r.name: explicit_dependencies(r) for r in plan.resources if r.custom and explicit_dependencies(r)}
    assert explicit == {
        plan.one(AUTHORIZATION).name: {plan.one(ROLE_POLICY).urn},
        "payments-prod-user-ledger-writer-user": {plan.one("mongodbatlas:index/customDbRole:CustomDbRole").urn},
    }


def test_role_trusts_only_atlas_account_with_the_external_id(plans):
    plan = plans("prod")
    setup, role = plan.one(SETUP), plan.one(ROLE)
    assert setup.inputs == {"projectId": plan.one("mongodbatlas:index/project:Project").id, "providerName": "AWS"}
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    atlas_config = setup.outputs["awsConfigs"][0]
    assert statement["Principal"] == {"AWS": MOCK_ATLAS_AWS_ACCOUNT_ARN} == {"AWS": atlas_config["atlasAwsAccountArn"]}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": atlas_config["atlasAssumedRoleExternalId"]}}


def test_role_policy_allows_only_what_atlas_needs_on_that_one_key(plans):
    plan = plans("prod")
    policy, role, kms_key = plan.one(ROLE_POLICY), plan.one(ROLE), plan.one(KEY, within=KMS_COMPONENT)
    assert policy.inputs["role"] == role.id
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
        "Resource": kms_key.outputs["arn"],
    }


def test_key_rotates_and_its_policy_names_admins_and_the_atlas_role(plans):
    plan = plans("prod")
    kms_key, role = plan.one(KEY, within=KMS_COMPONENT), plan.one(ROLE)
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
    encryption, kms_key, authorization = plan.one(ENCRYPTION), plan.one(KEY, within=KMS_COMPONENT), plan.one(AUTHORIZATION)
    assert encryption.inputs["awsKmsConfig"] == {
        "enabled": True,
        "customerMasterKeyId": kms_key.outputs["keyId"],
        "region": "US_EAST_1",
        "roleId": authorization.inputs["roleId"],
    }
    assert encryption.inputs["enabledForSearchNodes"] is True
    assert authorization.property_dependencies["roleId"] == [plan.one(SETUP).urn]
    assert authorization.inputs["aws"] == {"iamAssumedRoleArn": plan.one(ROLE).outputs["arn"]}


def test_existing_key_arn_skips_the_key_and_scopes_everything_to_it(plan_variant):
    plan = plan_variant("prod", use_existing_key)
    assert plan.of_type(KEY, within=KMS_COMPONENT) == [] and plan.of_type("aws:kms/alias:Alias", within=KMS_COMPONENT) == []
    [statement] = json.loads(plan.one(ROLE_POLICY).inputs["policy"])["Statement"]
    assert statement["Resource"] == EXISTING_KEY
    config = plan.one(ENCRYPTION).inputs["awsKmsConfig"]
    assert config["customerMasterKeyId"] == EXISTING_KEY
    assert config["region"] == "US_WEST_2"
    assert plan.depends_on(plan.one(CLUSTER), plan.one(ENCRYPTION))
    assert plan.depends_on(plan.one(AUTHORIZATION), plan.one(ROLE_POLICY))


def test_kms_resources_live_inside_their_component(plans):
    plan = plans("prod")
    component = plan.one(COMPONENT)
    children = {c.type for c in plan.children(component)}
    assert children == {SETUP, ROLE, KEY, "aws:kms/alias:Alias", ROLE_POLICY, AUTHORIZATION, ENCRYPTION}
    for child in plan.children(component):
        assert child.name.startswith(f"{component.name}-")


def test_staging_has_no_kms_chain_by_default(plans):
    plan = plans("staging")
    assert plan.of_type(KMS_COMPONENT) == []
    # The secrets key of the database users is the only KMS key in staging; no Atlas access to it.
    assert [r for r in plan.resources if r.type in CHAIN[:-1] and r.type != KEY] == []


def test_an_existing_key_in_another_account_reaches_atlas_as_its_full_arn(plan_variant):
    # A bare key id resolves only in the role's own account; a security account's key needs its ARN.
    assert EXISTING_KEY.split(":")[4] != MOCK_AWS_ACCOUNT
    plan = plan_variant("prod", use_existing_key)
    master_key = plan.one(ENCRYPTION).inputs["awsKmsConfig"]["customerMasterKeyId"]
    assert master_key == EXISTING_KEY
    assert master_key.startswith("arn:aws:kms:us-west-2:444455556666:key/")
    assert plan.one(ROLE).outputs["arn"].split(":")[4] == MOCK_AWS_ACCOUNT
