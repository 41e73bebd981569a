"""Each rule of the CrossGuard pack, driven through its real gRPC Analyzer protocol."""

from __future__ import annotations

import copy

import pytest

from policies.rules import atlas_rules as pack_rules
from policies.rules import types as t
from tests.harness.policy import UNKNOWN, PolicyConfigError
from tests.policy_support import GOOD_CLUSTER, GOOD_LEGACY_CLUSTER, GOOD_USER, PROJECT_ID, messages, resource, verdict

ACCESS = "atlas-access-list-no-public-entries"
INGRESS = "aws-security-group-no-public-ingress"
BROAD = "atlas-user-no-broad-roles"
CUSTOM = "atlas-custom-role-narrow"
SCOPED = "atlas-user-scoped-to-clusters"
PASSWORDLESS = "atlas-user-passwordless"
ALTERNATING = "atlas-user-alternating-rotation"
CLUSTER = "atlas-cluster-production-settings"
KMS = "aws-kms-key-rotation"
SECRET = "aws-secret-customer-kms-key"
SHAPE = "atlas-privatelink-endpoint-shape"
USER_LIMIT = "atlas-project-user-limit"
PRIVATE = "atlas-prod-private-endpoint"
AUDIT = "atlas-prod-auditing"
LOG_EXPORT = "atlas-prod-audit-log-export"


# The rule-table policies (policies/rules/atlas_rules.json) a bad cluster may trip as well; their
# verdicts are held to Atlas's own in tests/test_rule_table.py.
TABLE_POLICIES = frozenset(policy for rule in pack_rules.TABLE for policy in rule["pack"])


def on_resources(report):
    """Mandatory findings about resources; a lone cluster in prod also fails the stack rules (tested apart)."""
    return [f.policy for f in report.mandatory if f.resource_name and f.policy not in TABLE_POLICIES]


def access_entry(**props):
    return resource(t.ACCESS_LIST, "entry", {"projectId": PROJECT_ID, **props})


# ---- the pack as the engine sees it ----


def test_pack_describes_every_policy_with_a_level(policy_pack):
    info = policy_pack.info
    assert info.name == "atlas-platform-guardrails"
    assert info.supportsConfig
    names = {p.name for p in info.policies}
    assert {
        ACCESS,
        INGRESS,
        BROAD,
        CUSTOM,
        SCOPED,
        PASSWORDLESS,
        ALTERNATING,
        CLUSTER,
        KMS,
        SECRET,
        SHAPE,
        USER_LIMIT,
        PRIVATE,
        AUDIT,
    } <= names
    for policy in info.policies:
        assert policy.description, policy.name
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels[ACCESS] == levels[BROAD] == levels[CLUSTER] == 1  # MANDATORY
    assert levels[PASSWORDLESS] == levels[ALTERNATING] == levels[f"{CLUSTER}-outside-prod"] == 0  # ADVISORY


# ---- rule 1: Atlas access list ----


@pytest.mark.parametrize(
    "props",
    [
        {"cidrBlock": "0.0.0.0/0"},
        {"cidrBlock": "0.0.0.0/00"},
        {"cidrBlock": " 0.0.0.0/0 "},
        {"cidrBlock": "::/0"},
        {"cidrBlock": "::0/0"},
        {"cidrBlock": "0:0:0:0:0:0:0:0/0"},
        {"cidrBlock": "::ffff:0.0.0.0/96"},
        {"cidrBlock": "10.0.0.0/7"},
        {"cidrBlock": "2001:db8::/31"},
        {"cidrBlock": "10.0.0.0/33"},
        {"cidrBlock": "000.0.0.0/0"},
        {"cidrBlock": "everyone"},
        {"ipAddress": "0.0.0.0"},
        {"ipAddress": "::"},
    ],
    ids=lambda p: f"{next(iter(p))}={next(iter(p.values()))!r}",
)
def test_access_list_rejects_public_wide_or_unparseable_entries(policy_pack, props):
    report = verdict(policy_pack, access_entry(**props))
    assert [f.policy for f in report.mandatory] == [ACCESS]
    assert repr(next(iter(props.values()))) in report.mandatory[0].message


@pytest.mark.parametrize(
    "props",
    [
        {"cidrBlock": "10.20.0.0/16"},
        {"cidrBlock": "10.0.0.0/8"},
        {"cidrBlock": "2001:db8::/32"},
        {"ipAddress": "203.0.113.7"},
        {"awsSecurityGroup": "sg-0a1b2c3d"},
    ],
    ids=str,
)
def test_access_list_accepts_narrow_entries(policy_pack, props):
    assert verdict(policy_pack, access_entry(**props)).findings == []


def test_access_list_fails_closed_on_a_cidr_unknown_in_preview(policy_pack):
    report = verdict(policy_pack, access_entry(cidrBlock=UNKNOWN))
    assert [f.policy for f in report.mandatory] == [ACCESS]
    assert "unknown during preview" in report.mandatory[0].message


def test_access_list_message_says_what_to_write_instead(policy_pack):
    message = messages(verdict(policy_pack, access_entry(cidrBlock="10.0.0.0/7")), ACCESS)
    assert "wider than /8" in message and "Narrow it" in message


# ---- rule 2: security group ingress ----


def security_group(ingress, egress=()):
    return resource(t.SECURITY_GROUP, "sg", {"vpcId": "vpc-1", "ingress": ingress, "egress": list(egress)})


def rule(cidrs=(), v6=(), **extra):
    return {
        "protocol": "tcp",
        "fromPort": 1024.0,
        "toPort": 65535.0,
        "cidrBlocks": list(cidrs),
        "ipv6CidrBlocks": list(v6),
        **extra,
    }


@pytest.mark.parametrize(
    "candidate",
    [
        security_group([rule(["10.0.0.0/16"]), rule(["10.1.0.0/16"]), rule(["10.2.0.0/16", "0.0.0.0/0"])]),
        security_group([rule(v6=["::0/0"])]),
        security_group([rule(["0.0.0.0/1", "128.0.0.0/1"])]),
        security_group([rule([UNKNOWN])]),
        resource(
            t.SECURITY_GROUP_RULE,
            "r",
            {
                "type": "ingress",
                "securityGroupId": "sg-1",
                "protocol": "tcp",
                "fromPort": 27017.0,
                "toPort": 27017.0,
                "cidrBlocks": ["0.0.0.0/00"],
            },
        ),
        resource(
            t.SECURITY_GROUP_RULE,
            "r",
            {
                "type": "ingress",
                "securityGroupId": "sg-1",
                "protocol": "tcp",
                "fromPort": 443.0,
                "toPort": 443.0,
                "ipv6CidrBlocks": ["0:0:0:0:0:0:0:0/0"],
            },
        ),
        resource(t.SECURITY_GROUP_INGRESS_RULE, "r", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "cidrIpv4": "0.0.0.0/0"}),
        resource(t.SECURITY_GROUP_INGRESS_RULE, "r", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "cidrIpv6": "::/0"}),
        resource(t.SECURITY_GROUP_INGRESS_RULE, "r", {"securityGroupId": "sg-1", "ipProtocol": "tcp", "cidrIpv4": UNKNOWN}),
    ],
    ids=[
        "deep-in-third-rule",
        "ipv6-spelled-::0/0",
        "two-halves",
        "unknown-cidr",
        "rule-0.0.0.0/00",
        "rule-ipv6-long-form",
        "vpc-ingress-v4",
        "vpc-ingress-v6",
        "vpc-ingress-unknown",
    ],
)
def test_security_groups_reject_public_ingress(policy_pack, candidate):
    report = verdict(policy_pack, candidate)
    assert [f.policy for f in report.mandatory] == [INGRESS]


@pytest.mark.parametrize(
    "candidate",
    [
        security_group([rule(["10.20.0.0/16"])], egress=[rule(["0.0.0.0/0"])]),
        security_group([rule(securityGroups=["sg-app"])]),
        resource(
            t.SECURITY_GROUP_RULE,
            "r",
            {
                "type": "egress",
                "securityGroupId": "sg-1",
                "protocol": "-1",
                "fromPort": 0.0,
                "toPort": 0.0,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ),
        resource(
            t.SECURITY_GROUP_INGRESS_RULE,
            "r",
            {"securityGroupId": "sg-1", "ipProtocol": "tcp", "referencedSecurityGroupId": "sg-app"},
        ),
    ],
    ids=["egress-open-ingress-private", "source-security-group", "egress-rule", "referenced-group"],
)
def test_security_groups_accept_private_ingress_and_open_egress(policy_pack, candidate):
    assert verdict(policy_pack, candidate).findings == []


# ---- rule 3: broad database roles ----


def user(roles, **extra):
    return resource(t.DATABASE_USER, "payments-api", {**GOOD_USER, "roles": roles, **extra})


READ_WRITE = {"roleName": "readWrite", "databaseName": "payments"}


@pytest.mark.parametrize(
    "role",
    [
        "atlasAdmin",
        "readWriteAnyDatabase",
        "readAnyDatabase",
        "dbAdminAnyDatabase",
        "userAdminAnyDatabase",
        "dbOwner",
        "clusterAdmin",
        "root",
    ],
)
def test_users_may_not_hold_a_broad_role_anywhere_in_the_list(policy_pack, role):
    roles = [READ_WRITE, {"roleName": "read", "databaseName": "reports"}, {"roleName": role, "databaseName": "admin"}]
    report = verdict(policy_pack, user(roles))
    assert [f.policy for f in report.mandatory] == [BROAD]
    assert f"roles[2] of user {GOOD_USER['username']!r} grants {role}" in report.mandatory[0].message


def test_broad_role_is_caught_in_any_case_and_first_position(policy_pack):
    report = verdict(policy_pack, user([{"roleName": " ATLASADMIN", "databaseName": "admin"}, READ_WRITE]))
    assert [f.policy for f in report.mandatory] == [BROAD]
    assert "roles[0]" in report.mandatory[0].message


def test_secret_roles_arrive_unwrapped_and_are_still_checked(policy_pack):
    candidate = resource(
        t.DATABASE_USER,
        "u",
        {**GOOD_USER, "roles": [READ_WRITE, {"roleName": "root", "databaseName": "admin"}]},
        secret_paths=["roles"],
    )
    assert [f.policy for f in verdict(policy_pack, candidate).mandatory] == [BROAD]


def test_broad_roles_fail_closed_when_roles_are_unknown_in_preview(policy_pack):
    report = verdict(policy_pack, user([READ_WRITE, {"roleName": UNKNOWN, "databaseName": "admin"}]))
    assert [f.policy for f in report.mandatory] == [BROAD]
    assert "unknown during preview" in report.mandatory[0].message


def test_broad_role_allowed_for_a_user_named_in_config_with_a_reason(policy_pack):
    config = {BROAD: {"exceptions": [{"username": GOOD_USER["username"], "reason": "nightly cross-database export job"}]}}
    report = verdict(policy_pack, user([READ_WRITE, {"roleName": "readAnyDatabase", "databaseName": "admin"}]), config=config)
    assert report.policies("mandatory") == set()


def test_exception_limited_to_roles_does_not_cover_another_broad_role(policy_pack):
    config = {
        BROAD: {
            "exceptions": [
                {"username": GOOD_USER["username"], "reason": "nightly cross-database export job", "roles": ["readAnyDatabase"]}
            ]
        }
    }
    report = verdict(
        policy_pack,
        user([{"roleName": "readAnyDatabase", "databaseName": "admin"}, {"roleName": "atlasAdmin", "databaseName": "admin"}]),
        config=config,
    )
    assert [f.policy for f in report.mandatory] == [BROAD]
    assert "atlasAdmin" in report.mandatory[0].message


def test_exception_for_another_user_does_not_apply(policy_pack):
    config = {BROAD: {"exceptions": [{"username": "someone-else", "reason": "nightly cross-database export job"}]}}
    report = verdict(policy_pack, user([{"roleName": "root", "databaseName": "admin"}]), config=config)
    assert [f.policy for f in report.mandatory] == [BROAD]


def test_exception_without_a_reason_is_rejected_like_the_cli_does(policy_pack):
    with pytest.raises(PolicyConfigError, match="reason is required"):
        verdict(policy_pack, user([READ_WRITE]), config={BROAD: {"exceptions": [{"username": "x"}]}})


# ---- rule 4: custom roles ----


def custom_role(actions=(), inherited=()):
    return resource(
        t.CUSTOM_DB_ROLE,
        "role",
        {"projectId": PROJECT_ID, "roleName": "ops", "actions": list(actions), "inheritedRoles": list(inherited)},
    )


@pytest.mark.parametrize(
    "candidate",
    [
        custom_role(
            inherited=[
                {"roleName": "read", "databaseName": "payments"},
                {"roleName": "readWriteAnyDatabase", "databaseName": "admin"},
            ]
        ),
        custom_role(
            actions=[
                {"action": "FIND", "resources": [{"databaseName": "payments"}]},
                {"action": "DROP_DATABASE", "resources": [{"databaseName": "payments"}, {"databaseName": ""}]},
            ]
        ),
        custom_role(actions=[{"action": "dropDatabase", "resources": [{"collectionName": ""}]}]),
        custom_role(actions=[{"action": "SHUTDOWN", "resources": [{"cluster": True}]}]),
    ],
    ids=["inherits-broad-role", "drop-database-on-all", "camel-case-action-no-db", "shutdown-on-cluster"],
)
def test_custom_roles_may_not_inherit_broad_roles_or_destroy_everything(policy_pack, candidate):
    assert [f.policy for f in verdict(policy_pack, candidate).mandatory] == [CUSTOM]


def test_custom_role_may_drop_within_one_database(policy_pack):
    candidate = custom_role(
        actions=[
            {"action": "DROP_COLLECTION", "resources": [{"databaseName": "scratch", "collectionName": ""}]},
            {"action": "FIND", "resources": [{"databaseName": ""}]},
        ],
        inherited=[{"roleName": "read", "databaseName": "payments"}],
    )
    assert verdict(policy_pack, candidate).findings == []


# ---- rule 5: user scope and authentication ----


def test_unscoped_user_is_mandatory_in_prod_and_advisory_in_staging(policy_pack):
    props = {k: v for k, v in GOOD_USER.items() if k != "scopes"}
    prod = verdict(policy_pack, resource(t.DATABASE_USER, "u", props, stack="prod"))
    staging = verdict(policy_pack, resource(t.DATABASE_USER, "u", props, stack="staging"), stack="staging")
    assert [f.policy for f in prod.mandatory] == [SCOPED]
    assert "scopes=" in prod.mandatory[0].message
    assert staging.mandatory == []
    assert [f.policy for f in staging.advisory] == [f"{SCOPED}-outside-prod"]


def test_password_user_gets_advisory_and_iam_user_does_not(policy_pack):
    password_user = resource(
        t.DATABASE_USER,
        "pw",
        {**GOOD_USER, "username": "app", "authDatabaseName": "admin", "awsIamType": "NONE", "password": "x"},
        secret_paths=["password"],
    )
    report = verdict(policy_pack, [password_user, resource(t.DATABASE_USER, "iam", GOOD_USER)])
    assert report.mandatory == []
    # In prod a lone password user also draws atlas-user-alternating-rotation (tests/test_rotation.py).
    assert [(f.policy, f.resource_name) for f in report.advisory if f.policy != ALTERNATING] == [(PASSWORDLESS, "pw")]


# ---- rule 6: production clusters ----


def cluster(change=None, type_=t.ADVANCED_CLUSTER, base=GOOD_CLUSTER, stack="prod"):
    props = copy.deepcopy(base)
    if change:
        change(props)
    return resource(type_, "cluster", props, stack=stack)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: p["replicationSpecs"][0]["regionConfigs"][1]["electableSpecs"].update(instanceSize="M5"),
            "instance size 'M5'",
        ),
        (
            lambda p: p["replicationSpecs"][0]["regionConfigs"][0].update(
                providerName="TENANT", electableSpecs={"instanceSize": "M0"}
            ),
            "shared or flex",
        ),
        (lambda p: p.update(backupEnabled=False), "backups are off"),
        (lambda p: p.pop("pitEnabled"), "pitEnabled"),
        (lambda p: p.update(terminationProtectionEnabled=False), "terminationProtectionEnabled"),
        (lambda p: p["advancedConfiguration"].update(minimumEnabledTlsProtocol="TLS1_1"), "TLS1_1"),
        (lambda p: p.pop("advancedConfiguration"), "minimumEnabledTlsProtocol"),
        (lambda p: p.update(encryptionAtRestProvider="NONE"), "encryptionAtRestProvider"),
    ],
    ids=[
        "m5-in-second-region",
        "tenant-m0",
        "no-backup",
        "no-pit",
        "no-termination-protection",
        "tls-1.1",
        "tls-unset",
        "no-kms",
    ],
)
def test_prod_cluster_must_have_safe_settings(policy_pack, change, expected):
    report = verdict(policy_pack, cluster(change))
    assert on_resources(report) == [CLUSTER]
    assert expected in messages(report, CLUSTER)


def test_prod_cluster_with_safe_settings_passes(policy_pack):
    report = verdict(policy_pack, [cluster(), cluster(type_=t.LEGACY_CLUSTER, base=GOOD_LEGACY_CLUSTER)])
    assert [f for f in report.findings if f.resource_name] == []


def test_legacy_cluster_is_held_to_the_same_settings(policy_pack):
    report = verdict(
        policy_pack,
        cluster(lambda p: p.update(providerInstanceSizeName="M2", cloudBackup=False), t.LEGACY_CLUSTER, GOOD_LEGACY_CLUSTER),
    )
    assert on_resources(report) == [CLUSTER] * 2
    assert "'M2'" in messages(report, CLUSTER) and "cloudBackup=true" in messages(report, CLUSTER)


def test_unsafe_cluster_outside_prod_is_advisory(policy_pack):
    report = verdict(policy_pack, cluster(lambda p: p.update(pitEnabled=False), stack="dev"), stack="dev")
    assert report.mandatory == []
    assert [f.policy for f in report.advisory] == [f"{CLUSTER}-outside-prod"]


# ---- environment detection ----


@pytest.mark.parametrize("stack", ["prod", "production", "prod-eu", "payments-prod", "Payments-Production"])
def test_production_is_recognised_from_the_stack_name(policy_pack, stack):
    report = verdict(policy_pack, cluster(lambda p: p.update(pitEnabled=False), stack=stack), stack=stack)
    assert on_resources(report) == [CLUSTER]


@pytest.mark.parametrize("stack", ["staging", "product-demo", "dev"])
def test_other_stack_names_are_not_production(policy_pack, stack):
    report = verdict(policy_pack, cluster(lambda p: p.update(pitEnabled=False), stack=stack), stack=stack)
    assert report.mandatory == []


def test_stack_tag_marks_a_stack_production(policy_pack):
    report = verdict(
        policy_pack,
        cluster(lambda p: p.update(pitEnabled=False), stack="payments-main"),
        stack="payments-main",
        tags={"environment": "production"},
    )
    assert on_resources(report) == [CLUSTER]


def test_policy_config_overrides_the_stack_name(policy_pack):
    config = {CLUSTER: {"environment": "staging"}, f"{CLUSTER}-outside-prod": {"environment": "staging"}}
    report = verdict(policy_pack, cluster(lambda p: p.update(pitEnabled=False)), config=config)
    assert on_resources(report) == []
    assert [f.policy for f in report.advisory] == [f"{CLUSTER}-outside-prod"]


def test_enforcement_level_can_be_lowered_per_policy_in_config(policy_pack):
    report = verdict(policy_pack, access_entry(cidrBlock="0.0.0.0/0"), config={ACCESS: "advisory"})
    assert report.mandatory == [] and [f.policy for f in report.advisory] == [ACCESS]


# ---- rule 7: keys and secrets ----


@pytest.mark.parametrize(
    ("candidate", "policy"),
    [
        (resource(t.KMS_KEY, "k", {"description": "atlas"}), KMS),
        (resource(t.KMS_KEY, "k", {"enableKeyRotation": False, "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}), KMS),
        (resource(t.SECRET, "s", {"name": "db"}), SECRET),
        (resource(t.SECRET, "s", {"name": "db", "kmsKeyId": "alias/aws/secretsmanager"}), SECRET),
    ],
    ids=["kms-rotation-unset", "kms-rotation-off", "secret-default-key", "secret-aws-managed-alias"],
)
def test_keys_rotate_and_secrets_use_a_customer_key(policy_pack, candidate, policy):
    assert [f.policy for f in verdict(policy_pack, candidate).mandatory] == [policy]


def test_asymmetric_key_needs_no_rotation_and_customer_key_secret_passes(policy_pack):
    report = verdict(
        policy_pack,
        [
            resource(t.KMS_KEY, "signing", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
            resource(t.SECRET, "s", {"name": "db", "kmsKeyId": "alias/payments-secrets"}),
        ],
    )
    assert report.findings == []


# ---- rule 8: PrivateLink shape ----


def privatelink(**endpoint):
    ple = resource(t.PRIVATE_LINK_ENDPOINT, "ple", {"projectId": PROJECT_ID, "providerName": "AWS", "region": "us-east-1"})
    props = {
        "vpcId": "vpc-1",
        "vpcEndpointType": "Interface",
        "serviceName": UNKNOWN,
        "subnetIds": ["subnet-a", "subnet-b"],
        "securityGroupIds": ["sg-1"],
        **endpoint,
    }
    return [ple, resource(t.VPC_ENDPOINT, "vpce", props, property_dependencies={"serviceName": [ple.urn]})]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"vpcEndpointType": "Gateway"}, "Interface"),
        ({"subnetIds": []}, "subnetIds"),
        ({"securityGroupIds": None}, "securityGroupIds"),
    ],
    ids=["gateway", "no-subnets", "no-security-groups"],
)
def test_endpoints_to_atlas_are_interface_endpoints_with_subnets_and_groups(policy_pack, change, expected):
    report = verdict(policy_pack, privatelink(**change), config={PRIVATE: {"optOutReason": "test of the endpoint shape only"}})
    assert [f.policy for f in report.mandatory] == [SHAPE]
    assert expected in report.mandatory[0].message


def test_other_vpc_endpoints_are_not_judged_as_atlas_endpoints(policy_pack):
    s3 = resource(
        t.VPC_ENDPOINT, "s3", {"vpcId": "vpc-1", "vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.us-east-1.s3"}
    )
    assert (
        verdict(policy_pack, [*privatelink(), s3], config={PRIVATE: {"optOutReason": "test of the endpoint shape only"}}).findings
        == []
    )


# ---- rule 9: stack rules ----


def users(count):
    return [
        resource(t.DATABASE_USER, f"user-{i}", {**GOOD_USER, "username": f"arn:aws:iam::111122223333:role/app-{i}"})
        for i in range(count)
    ]


def test_more_than_100_users_in_one_project_fail(policy_pack):
    report = verdict(policy_pack, users(101), stack="dev")
    assert [f.policy for f in report.mandatory] == [USER_LIMIT]
    assert "101 database users" in report.mandatory[0].message
    assert verdict(policy_pack, users(100), stack="dev").mandatory == []


def test_prod_stack_using_atlas_needs_a_private_endpoint_and_auditing(policy_pack):
    project = resource(t.PROJECT, "p", {"name": "payments-prod", "orgId": "5f0000000000000000000a01"})
    assert verdict(policy_pack, project).policies("mandatory") == {PRIVATE, AUDIT, LOG_EXPORT}
    assert (
        verdict(policy_pack, resource(t.PROJECT, "p", {"name": "x", "orgId": "y"}, stack="staging"), stack="staging").findings
        == []
    )


def test_private_endpoint_opt_out_needs_a_reason_in_config(policy_pack):
    project = resource(t.PROJECT, "p", {"name": "payments-prod", "orgId": "5f0000000000000000000a01"})
    audit = resource(t.AUDITING, "a", {"projectId": PROJECT_ID, "enabled": True})
    logs = resource(t.LOG_INTEGRATION, "l", {"projectId": PROJECT_ID, "type": "S3_LOG_EXPORT", "logTypes": ["MONGOD_AUDIT"]})
    blank = verdict(policy_pack, [project, audit, logs], config={PRIVATE: {"optOutReason": "  "}})
    reasoned = verdict(
        policy_pack,
        [project, audit, logs],
        config={PRIVATE: {"optOutReason": "analytics vendor reaches Atlas over the internet until Q3"}},
    )
    assert blank.policies("mandatory") == {PRIVATE}
    # The project has no alert configuration either: that is atlas-prod-alerts's advisory, not this rule's.
    assert [f.policy for f in reasoned.findings] == ["atlas-prod-alerts"]


def test_disabled_auditing_fails_in_prod(policy_pack):
    audit = resource(t.AUDITING, "a", {"projectId": PROJECT_ID, "enabled": False})
    report = verdict(
        policy_pack,
        [audit, resource(t.ADVANCED_CLUSTER, "c", GOOD_CLUSTER)],
        config={
            PRIVATE: {"optOutReason": "checking auditing only here"},
            LOG_EXPORT: {"optOutReason": "checking auditing only here"},
        },
    )
    assert [(f.policy, f.resource_name) for f in report.mandatory] == [(AUDIT, "a")]
