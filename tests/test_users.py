"""Database users under mocks: what the engine receives for each kind of user and credential."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import STACKS, key, leaves, load_stack, under_secret
from tests.harness.mocks import password_of

USER = "mongodbatlas:index/databaseUser:DatabaseUser"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
KMS_KEY = "aws:kms/key:Key"
SECRETS_KEY = "atlas-platform:index:SecretsKey"
KMS_ALIAS = "aws:kms/alias:Alias"
CERT = "mongodbatlas:index/x509AuthenticationDatabaseUser:X509AuthenticationDatabaseUser"
ROLE = "mongodbatlas:index/customDbRole:CustomDbRole"
APP_USER = "atlas-platform:index:AppUser"
PROJECT = "mongodbatlas:index/project:Project"
BROAD = {"atlasAdmin", "readWriteAnyDatabase", "readAnyDatabase", "dbAdminAnyDatabase"}


def users_by_name(plan) -> dict[str, Any]:
    return {r.inputs["username"]: r for r in plan.of_type(USER)}


def child_of(plan, component_name: str, token: str):
    component = plan.named(component_name)
    found = [r for r in plan.children(component) if r.type == token]
    assert len(found) == 1, f"{component_name} has {len(found)} {token}"
    return found[0]


def test_prod_registers_an_app_an_analytics_an_iam_and_a_dba_user(plans):
    users = users_by_name(plans("prod"))
    assert sorted(users) == [
        "5f0000000000000000000d01/payments-prod-analysts",
        "5f0000000000000000000d01/payments-prod-dba",
        "arn:aws:iam::111111111111:role/payments-prod-ledger-writer",
        "payments-prod-api",
        "payments-prod-api-b",  # the api application alternates between two users (tests/test_rotation.py)
        "payments-prod-dba",
        "payments-prod-reporting",
    ]
    kinds = {u.inputs["username"]: {label["key"]: label["value"] for label in u.inputs["labels"]}["kind"] for u in users.values()}
    assert sorted(kinds.values()) == ["analytics", "analytics", "app", "app", "app", "dba", "dba"]


def generated_for(plan, user):
    """The RandomPassword whose result `user` sends: its sibling named like it (`...-user` -> `...-password`)."""
    return plan.named(user.name.removesuffix("-user") + "-password")


def test_password_user_gets_the_generated_password_only_as_a_secret(plans):
    plan = plans("prod")
    for username in ("payments-prod-api", "payments-prod-api-b", "payments-prod-reporting"):
        user = users_by_name(plan)[username]
        assert user.inputs["authDatabaseName"] == "admin"
        assert user.inputs["password"] == password_of(generated_for(plan, user))
        assert "password" in user.secret_inputs
        assert "awsIamType" not in user.inputs and "x509Type" not in user.inputs
        # Write-only password_wo is not used (docs/users.md explains why).
        assert "passwordWo" not in user.inputs


def test_generated_password_is_long_and_uri_safe(plans):
    passwords = plans("prod").of_type(PASSWORD)
    assert len(passwords) == 3  # api's two users, reporting's one
    for generated in passwords:
        assert generated.inputs["length"] >= 32
        assert generated.inputs["special"] is True
        assert set(generated.inputs["overrideSpecial"]) <= set("-_.~")
        assert generated.inputs["keepers"] == {"passwordVersion": "1"}


def test_password_is_stored_as_json_in_secrets_manager_under_the_stack_kms_key(plans):
    plan = plans("prod")
    user = users_by_name(plan)["payments-prod-api"]
    secret = child_of(plan, "payments-prod-user-api", SECRET)
    version = child_of(plan, "payments-prod-user-api", VERSION)
    key = plan.one(KMS_KEY, within=SECRETS_KEY)

    assert secret.inputs["name"] == "payments/prod/mongodb/api"
    assert secret.inputs["kmsKeyId"] == key.outputs["arn"]
    assert secret.inputs["recoveryWindowInDays"] == 30
    assert version.inputs["secretId"] == secret.id
    assert "secretString" in version.secret_inputs
    document = json.loads(version.inputs["secretString"])
    assert document == {
        "username": "payments-prod-api",
        "password": user.inputs["password"],
        "authDatabase": "admin",
        # The first VPC's private SRV, read after every endpoint is linked, so the first `pulumi up`
        # writes it (tests/test_cross_region.py checks where it comes from).
        "connectionString": plan.exports["privateEndpoints"]["us-east-1"]["privateSrv"]["app"],
    }
    # The secret is written only after Atlas accepted the user and its password.
    assert plan.depends_on(version, user)


def test_password_appears_nowhere_but_in_secret_inputs(plans):
    for stack in STACKS:
        plan = plans(stack)
        passwords = {password_of(r) for r in plan.of_type(PASSWORD)}
        assert len(passwords) == len(plan.of_type(PASSWORD)), f"{stack} generates no password, or one twice"
        holders: dict[str, list[str]] = {p: [] for p in passwords}
        for resource in plan.resources:
            for path, value in leaves(resource.inputs):
                for password in (p for p in passwords if isinstance(value, str) and p in value):
                    holders[password].append(resource.type)
                    assert under_secret(path, resource.secret_inputs), f"{resource.name}.{path} holds a password in plain text"
        # Each in its own user, and the one each secret points at (an alternating pair's active slot) in its version.
        secrets = [v for v in plan.of_type(VERSION) if '"password"' in v.inputs["secretString"]]
        assert all(types.count(USER) == 1 for types in holders.values()), holders
        assert sorted(t for types in holders.values() for t in types if t != USER) == [VERSION] * len(secrets)


def test_no_export_contains_a_password_or_certificate(plans):
    for stack in STACKS:
        plan = plans(stack)
        assert plan.exports["databaseUsers"], f"{stack} exports no users"
        text = json.dumps(plan.exports)
        for generated in plan.of_type(PASSWORD):
            assert password_of(generated) not in text
        assert "PRIVATE KEY" not in text and "CERTIFICATE" not in text


def test_rotation_bumps_the_password_generation_under_the_same_names(plans, plan_variant):
    # `reporting` is a one-user credential (analytics); alternating ones: tests/test_rotation.py.
    def rotate(config):
        next(u for u in config[key("databaseUsers")] if u["name"] == "reporting")["passwordVersion"] = 2

    before = {r.name for r in plans("prod").resources}
    plan = plan_variant("prod", rotate)
    assert {r.name for r in plan.resources} == before
    generated = child_of(plan, "payments-prod-user-reporting", PASSWORD)
    assert generated.inputs["keepers"] == {"passwordVersion": "2"}
    assert plan.depends_on(users_by_name(plan)["payments-prod-reporting"], generated)


def test_iam_user_is_its_role_arn_on_external_with_no_secret(plans):
    plan = plans("prod")
    user = users_by_name(plan)["arn:aws:iam::111111111111:role/payments-prod-ledger-writer"]
    assert user.inputs["awsIamType"] == "ROLE"
    assert user.inputs["authDatabaseName"] == "$external"
    assert "password" not in user.inputs
    component = plan.named("payments-prod-user-ledger-writer")
    assert {r.type for r in plan.children(component)} == {USER}
    assert "ledger-writer" not in plan.exports["databaseUserSecretArns"]


def test_iam_user_arn_selects_aws_iam_type_user(plan_variant):
    def as_user(config):
        config[key("databaseUsers")][1]["iamArn"] = "arn:aws:iam::111111111111:user/batch/ledger-writer"

    user = users_by_name(plan_variant("prod", as_user))["arn:aws:iam::111111111111:user/batch/ledger-writer"]
    assert user.inputs["awsIamType"] == "USER"


def test_x509_user_is_atlas_managed_and_its_certificate_kept_as_a_secret(plans):
    plan = plans("prod")
    user = users_by_name(plan)["payments-prod-dba"]
    assert user.inputs["x509Type"] == "MANAGED"
    assert user.inputs["authDatabaseName"] == "$external"
    assert "password" not in user.inputs
    certificate = child_of(plan, "payments-prod-user-dba", CERT)
    assert certificate.inputs["monthsUntilExpiration"] == 3
    assert certificate.inputs["username"] == "payments-prod-dba"
    assert certificate.inputs["projectId"] == plan.one(PROJECT).id
    assert plan.depends_on(certificate, user)
    secret = child_of(plan, "payments-prod-user-dba", SECRET)
    version = child_of(plan, "payments-prod-user-dba", VERSION)
    assert secret.inputs["name"] == "payments/prod/mongodb/dba"
    assert secret.inputs["kmsKeyId"] == plan.one(KMS_KEY, within=SECRETS_KEY).outputs["arn"]
    assert "secretString" in version.secret_inputs
    assert "PRIVATE KEY" in version.inputs["secretString"]
    assert plan.exports["databaseUserSecretArns"]["dba"] == secret.outputs["arn"]


def test_x509_user_without_certificate_months_gets_no_certificate_or_secret(plan_variant):
    def no_certificate(config):
        del config[key("databaseUsers")][3]["certificateMonths"]

    plan = plan_variant("prod", no_certificate)
    component = plan.named("payments-prod-user-dba")
    assert {r.type for r in plan.children(component)} == {USER}


@pytest.mark.parametrize("stack", STACKS)
def test_every_user_is_scoped_to_the_stack_cluster_in_its_project(plans, stack):
    plan = plans(stack)
    project = plan.one(PROJECT)
    users = plan.of_type(USER)
    assert users
    for user in users:
        assert user.inputs["scopes"] == [{"name": f"payments-{stack}-cluster1", "type": "CLUSTER"}]
        assert user.inputs["projectId"] == project.id


def test_users_can_be_scoped_to_named_clusters(plan_variant):
    def scope(config):
        config[key("databaseUsers")][2]["clusters"] = ["payments-prod-analytics", "payments-prod-cluster1"]

    user = users_by_name(plan_variant("prod", scope))["payments-prod-reporting"]
    assert [s["name"] for s in user.inputs["scopes"]] == ["payments-prod-analytics", "payments-prod-cluster1"]


@pytest.mark.parametrize("stack", STACKS)
def test_no_shipped_user_holds_a_broad_role(plans, stack):
    roles = [r["roleName"] for u in plans(stack).of_type(USER) for r in u.inputs["roles"]]
    assert roles and not BROAD & set(roles)


def test_kinds_get_least_privilege_defaults_on_their_databases(plans):
    prod = users_by_name(plans("prod"))
    assert prod["payments-prod-api"].inputs["roles"] == [{"roleName": "readWrite", "databaseName": "payments"}]
    assert prod["payments-prod-reporting"].inputs["roles"] == [
        {"roleName": "read", "databaseName": "payments"},
        {"roleName": "read", "databaseName": "reference"},
    ]
    staging_dba = users_by_name(plans("staging"))["payments-staging-dba"]
    assert staging_dba.inputs["roles"] == [{"roleName": "dbAdmin", "databaseName": "payments"}]


def test_further_roles_come_after_the_kind_defaults(plans):
    dba = users_by_name(plans("prod"))["payments-prod-dba"]
    assert dba.inputs["roles"] == [
        {"roleName": "dbAdmin", "databaseName": "payments"},
        {"roleName": "dbAdmin", "databaseName": "reference"},
        {"roleName": "clusterMonitor", "databaseName": "admin"},
    ]


def test_collection_level_grants_reach_the_engine(plan_variant):
    def narrow(config):
        del config[key("databaseUsers")][2]["databases"]
        config[key("databaseUsers")][2]["roles"] = ["read@payments.settlements"]

    user = users_by_name(plan_variant("prod", narrow))["payments-prod-reporting"]
    assert user.inputs["roles"] == [{"roleName": "read", "databaseName": "payments", "collectionName": "settlements"}]


def test_users_carry_owner_kind_environment_labels_and_a_description(plans):
    user = users_by_name(plans("prod"))["payments-prod-reporting"]
    labels = {label["key"]: label["value"] for label in user.inputs["labels"]}
    assert labels == {"owner": "data-analytics", "kind": "analytics", "environment": "prod", "managed-by": "pulumi"}
    assert user.inputs["description"].startswith("BI dashboards")


def test_custom_role_is_granted_on_admin_and_the_user_waits_for_it(plans):
    plan = plans("prod")
    role = plan.one(ROLE)
    assert role.inputs["roleName"] == "ledgerAppendOnly"
    assert role.inputs["projectId"] == plan.one(PROJECT).id
    # Sorted by action, whatever the stack file's order (tests/test_reorder.py).
    assert role.inputs["actions"] == [
        {"action": "FIND", "resources": [{"databaseName": "payments", "collectionName": "ledger"}]},
        {"action": "INSERT", "resources": [{"databaseName": "payments", "collectionName": "ledger"}]},
    ]
    user = users_by_name(plan)["arn:aws:iam::111111111111:role/payments-prod-ledger-writer"]
    assert user.inputs["roles"] == [{"roleName": "ledgerAppendOnly", "databaseName": "admin"}]
    assert plan.depends_on(user, role)


def test_custom_roles_are_created_one_at_a_time_inherited_roles_first(plan_variant):
    def more_roles(config):
        config[key("customRoles")] = [
            {"name": "ledgerReader", "inheritedRoles": ["ledgerBase@admin", "read@reference"]},
            {"name": "ledgerBase", "actions": [{"action": "FIND", "resources": ["payments.ledger"]}]},
            {"name": "serverStatus", "actions": [{"action": "SERVER_STATUS", "resources": ["cluster"]}]},
        ]
        config[key("databaseUsers")][1]["roles"] = ["ledgerReader@admin"]

    plan = plan_variant("prod", more_roles)
    roles = {r.inputs["roleName"]: r for r in plan.of_type(ROLE)}
    assert plan.depends_on(roles["ledgerReader"], roles["ledgerBase"])
    assert roles["ledgerReader"].inputs["inheritedRoles"] == [
        {"roleName": "ledgerBase", "databaseName": "admin"},
        {"roleName": "read", "databaseName": "reference"},
    ]
    assert plan.depends_on(roles["serverStatus"], roles["ledgerReader"])
    assert roles["serverStatus"].inputs["actions"] == [{"action": "SERVER_STATUS", "resources": [{"cluster": True}]}]


def test_secrets_key_rotates_and_is_protected_in_prod_only(plans):
    prod_key, staging_key = plans("prod").one(KMS_KEY, within=SECRETS_KEY), plans("staging").one(KMS_KEY, within=SECRETS_KEY)
    assert prod_key.inputs["enableKeyRotation"] is True
    assert prod_key.protect is True and staging_key.protect is False
    assert plans("prod").one(KMS_ALIAS, within=SECRETS_KEY).inputs["name"] == "alias/payments/prod/mongodb-secrets"


def test_an_existing_kms_key_replaces_the_stack_key(plan_variant):
    arn = "arn:aws:kms:us-east-1:111111111111:key/0d6f1e6c-7b1a-4c6e-9f55-1f1f7f1f1f1f"
    plan = plan_variant("prod", lambda config: config.__setitem__(key("secretsKmsKeyArn"), arn))
    assert plan.of_type(KMS_KEY, within=SECRETS_KEY) == []
    assert {s.inputs["kmsKeyId"] for s in plan.of_type(SECRET)} == {arn}


def test_no_kms_key_or_secret_when_no_user_has_a_stored_credential(plan_variant):
    def iam_only(config):
        users = config[key("databaseUsers")]
        config[key("databaseUsers")] = [u for u in users if u["auth"] == "awsIam"]
        config.pop(key("serviceAccount"), None)  # its secret needs the key too

    plan = plan_variant("prod", iam_only)
    assert plan.of_type(USER)
    assert plan.of_type(KMS_KEY, within=SECRETS_KEY) == [] and plan.of_type(SECRET) == [] and plan.of_type(PASSWORD) == []


@pytest.mark.parametrize("stack", STACKS)
def test_prod_secrets_keep_a_recovery_window_and_others_follow_the_stack_file(plans, stack):
    from stackconfig.users import MIN_RECOVERY_WINDOW_DAYS

    plan = plans(stack)
    cfg = load_stack(stack)
    for user in cfg.database_users:
        if not user.stores_credential:
            continue
        secret = child_of(plan, f"{cfg.resource_prefix}-user-{user.name}", SECRET)
        window = secret.inputs["recoveryWindowInDays"]
        if stack == "prod":
            assert window >= MIN_RECOVERY_WINDOW_DAYS
        expected = user.secret_recovery_window_days
        assert window == (expected if expected is not None else (30 if stack == "prod" else 0))


def test_non_prod_secrets_are_deleted_at_once_so_a_user_can_be_recreated(plans):
    windows = {s.inputs["recoveryWindowInDays"] for s in plans("staging").of_type(SECRET)}
    assert windows == {0}


def test_a_non_prod_user_can_keep_a_recovery_window(plan_variant):
    def keep(config):
        config[key("databaseUsers")][0]["secretRecoveryWindowDays"] = 7

    plan = plan_variant("staging", keep)
    assert child_of(plan, "payments-staging-user-api", SECRET).inputs["recoveryWindowInDays"] == 7


def test_reordering_users_keeps_resource_names(plans, plan_variant):
    before = {r.name: r.inputs for r in plans("prod").resources if r.type in (USER, SECRET, VERSION, PASSWORD)}
    after = plan_variant("prod", lambda config: config[key("databaseUsers")].reverse())
    assert {r.name: r.inputs for r in after.resources if r.type in (USER, SECRET, VERSION, PASSWORD)} == before


def test_user_resources_live_in_their_app_user_component_named_after_it(plans):
    plan = plans("prod")
    components = plan.of_type(APP_USER)
    assert len(components) == len(load_stack("prod").database_users)
    for component in components:
        children = plan.children(component)
        assert children
        for child in children:
            assert child.name.startswith(f"{component.name}-")


def test_custom_role_names_are_known_at_preview_and_the_user_still_waits_for_the_role(plans):
    """The policy pack reads role names in `pulumi preview`: a role name taken from the created role's
    output would be unknown there (and rules 1-3 fail closed). So the name is the plain config string,
    and the user waits for its role through an explicit dependency instead."""
    plan = plans("prod")
    role = plan.one("mongodbatlas:index/customDbRole:CustomDbRole")
    users = [u for u in plan.of_type(USER) if any(r["roleName"] == "ledgerAppendOnly" for r in u.inputs["roles"])]
    assert users, "the prod stack grants its custom role to a user"
    for user in users:
        assert role.urn in user.dependencies
        assert role.urn not in user.property_dependencies.get("roles", [])
        assert plan.depends_on(user, role)


@pytest.mark.parametrize("stack", STACKS)
def test_every_user_description_fits_atlas_limit(plans, stack):
    users = plans(stack).of_type(USER)
    assert users
    for user in users:
        assert len(user.inputs.get("description", "")) <= 100, user.name
