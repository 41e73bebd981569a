"""Bad database-user and custom-role config ends in one clean ConfigError naming the key and the fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import ConfigError, load_stack_config
from tests.conftest import NAMESPACE, ROOT, key, one_refusal, stack_config
from tests.harness.stackfile import engine_config

USERS = key("databaseUsers")
ROLES = key("customRoles")


def refused(plan_variant, change: Callable[[dict[str, Any]], None], stack: str = "prod") -> str:
    with pytest.raises(ConfigError) as error:
        plan_variant(stack, change)
    return str(error.value)


def set_user(index: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config[USERS][index].update(fields)

    return change


@pytest.mark.parametrize(
    "role", ["readWriteAnyDatabase@admin", "readAnyDatabase@admin", "atlasAdmin@admin", "dbAdminAnyDatabase@admin"]
)
def test_broad_role_without_exception_is_refused(plan_variant, role):
    message = refused(plan_variant, set_user(0, roles=[role]))
    assert f"atlas-platform:databaseUsers[0].roles: {role!r} reaches every database" in message
    assert "add `broadRoleReason`" in message


def test_broad_role_with_a_written_reason_is_accepted(plan_variant):
    plan = plan_variant(
        "prod",
        set_user(2, databases=[], roles=["readAnyDatabase@admin"], broadRoleReason="Quarterly audit export reads every database"),
    )
    reporting = next(u for u in plan.of_type("mongodbatlas:index/databaseUser:DatabaseUser") if u.name.endswith("reporting-user"))
    assert reporting.inputs["roles"] == [{"roleName": "readAnyDatabase", "databaseName": "admin"}]


def test_a_too_short_broad_role_reason_is_refused(plan_variant):
    message = refused(plan_variant, set_user(0, roles=["readWriteAnyDatabase@admin"], broadRoleReason="because"))
    assert "databaseUsers[0].broadRoleReason" in message


@pytest.mark.parametrize(
    ("role", "fix"),
    [
        ("dbOwner@payments", "use readWrite@<db> plus dbAdmin@<db>"),
        ("root@admin", "use atlasAdmin@admin with broadRoleReason"),
        ("clusterAdmin@admin", "use clusterMonitor@admin"),
        ("userAdminAnyDatabase@admin", "managed only as code"),
    ],
)
def test_roles_atlas_does_not_assign_are_refused_with_the_alternative(plan_variant, role, fix):
    message = refused(plan_variant, set_user(0, roles=[role]))
    assert f"databaseUsers[0].roles: {role!r}: Atlas does not let a database user hold" in message
    assert fix in message


def test_unknown_role_is_refused_with_the_roles_that_exist(plan_variant):
    message = refused(plan_variant, set_user(0, roles=["superUser@payments"]))
    assert (
        "user 'api' (databaseUsers[0]): 'superUser@payments' is neither a built-in role Atlas assigns nor one of `customRoles`"
        in message
    )
    assert "readWrite" in message and "ledgerAppendOnly" in message


def test_role_without_database_is_refused(plan_variant):
    message = refused(plan_variant, set_user(0, roles=["readWrite"]))
    assert "databaseUsers[0].roles[0]: 'readWrite' is not a role grant; write `role@database`" in message


def test_admin_only_role_on_another_database_is_refused(plan_variant):
    message = refused(plan_variant, set_user(3, roles=["clusterMonitor@payments"]))
    assert "clusterMonitor exists only on the admin database; write clusterMonitor@admin" in message


def test_app_roles_on_atlas_managed_databases_are_refused(plan_variant):
    message = refused(plan_variant, set_user(0, roles=["readWrite@local"]))
    assert "Atlas manages the local database" in message


def test_custom_role_on_a_data_database_is_refused(plan_variant):
    message = refused(plan_variant, set_user(1, roles=["ledgerAppendOnly@payments"]))
    assert "custom roles are granted on the admin database; write ledgerAppendOnly@admin" in message


def test_analytics_user_may_not_write(plan_variant):
    message = refused(plan_variant, set_user(2, roles=["readWrite@payments"]))
    assert "databaseUsers[2].roles: analytics users may only read" in message


def test_analytics_user_may_not_hold_a_custom_role_that_writes(plan_variant):
    message = refused(plan_variant, set_user(2, roles=["ledgerAppendOnly@admin"]))
    assert "custom role 'ledgerAppendOnly' grants INSERT" in message


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::1234:role/payments",
        "arn:aws:iam::111111111111:group/payments",
        "arn:aws:sts::111111111111:assumed-role/payments/session",
        "payments-prod-ledger-writer",
    ],
)
def test_bad_iam_arn_is_refused(plan_variant, arn):
    message = refused(plan_variant, set_user(1, iamArn=arn))
    assert f"databaseUsers[1].iamArn: {arn!r} is not an AWS IAM role or user ARN" in message
    assert "arn:aws:iam::<12-digit account id>:role/<name>" in message


def test_iam_user_without_arn_is_refused(plan_variant):
    def drop_arn(config):
        del config[USERS][1]["iamArn"]

    assert "authenticates with awsIam; add `iamArn`" in refused(plan_variant, drop_arn)


def test_auth_specific_keys_on_the_wrong_auth_are_refused(plan_variant):
    assert "`passwordVersion` only applies to `auth: password`" in refused(plan_variant, set_user(1, passwordVersion=2))
    assert "`certificateMonths` only applies to `auth: x509`" in refused(plan_variant, set_user(0, certificateMonths=3))
    assert "`iamArn` needs `auth: awsIam`" in refused(plan_variant, set_user(0, iamArn="arn:aws:iam::111111111111:role/x"))


def test_certificate_validity_beyond_24_months_is_refused(plan_variant):
    assert "databaseUsers[3].certificateMonths" in refused(plan_variant, set_user(3, certificateMonths=36))


def _filled(atlas_users: int):
    """Prod's users plus copies of its one-user analytics entry, `atlas_users` Atlas users in all
    (prod's `api` alternates: two Atlas users; tests/test_rotation.py fills with alternating ones)."""

    def change(config):
        template = next(u for u in config[USERS] if u["name"] == "reporting")
        have = len(config[USERS]) + 1
        config[USERS] += [dict(copy.deepcopy(template), name=f"svc-{i}") for i in range(atlas_users - have)]

    return change


def test_user_101_is_refused(plan_variant):
    message = refused(plan_variant, _filled(101))
    assert (
        "atlas-platform:databaseUsers: 100 users make 101 database users in Atlas (1 of them alternating, with two "
        "Atlas users each); Atlas allows at most 100 database users per project"
    ) in message


def test_one_hundred_users_are_accepted():
    # The loader alone: planning 100 users' 400 resources would only slow the suite down.
    config = stack_config("prod")
    _filled(100)(config)
    values, secret_keys = engine_config(ROOT, "prod", config)
    cfg = load_stack_config(values, namespace=NAMESPACE, stack="prod", secret_keys=secret_keys)
    assert sum(len(u.usernames(cfg.resource_prefix, cfg.is_prod)) for u in cfg.database_users) == 100


def test_duplicate_user_names_are_refused(plan_variant):
    def duplicate(config):
        config[USERS].append(copy.deepcopy(config[USERS][0]))

    last = len(stack_config("prod")[USERS])
    assert f"user name 'api' appears at [0] and [{last}]; keep one entry" in refused(plan_variant, duplicate)


def test_two_users_with_one_iam_arn_are_refused(plan_variant):
    def same_arn(config):
        twin = dict(copy.deepcopy(config[USERS][1]), name="ledger-writer-2")
        config[USERS].append(twin)

    last = len(stack_config("prod")[USERS])
    assert f"iamArn 'arn:aws:iam::111111111111:role/payments-prod-ledger-writer' appears at [1] and [{last}]" in refused(
        plan_variant, same_arn
    )


def test_a_role_already_granted_through_databases_is_refused(plan_variant):
    message = refused(plan_variant, set_user(0, roles=["readWrite@payments"]))
    assert "user 'api': 'readWrite@payments' is already granted through `databases`; remove it from roles" in message


def test_labels_this_program_sets_are_refused(plan_variant):
    message = refused(plan_variant, set_user(0, labels={"environment": "staging"}))
    assert "databaseUsers[0].labels: label 'environment' is set by this program" in message


def test_user_without_databases_or_roles_is_refused(plan_variant):
    def no_access(config):
        config[USERS][0].pop("databases")

    assert "user 'api' has no access; list its `databases` (it gets readWrite on each) or its `roles`" in refused(
        plan_variant, no_access
    )


def test_user_without_description_or_owner_is_refused(plan_variant):
    def undocumented(config):
        config[USERS][0].pop("description")
        config[USERS][0].pop("owner")

    message = refused(plan_variant, undocumented)
    assert "databaseUsers[0].description: required key is missing" in message
    assert "databaseUsers[0].owner: required key is missing" in message


def test_unknown_kind_and_auth_are_refused_with_the_choices(plan_variant):
    message = refused(plan_variant, set_user(0, kind="admin", auth="ldap"))
    assert "databaseUsers[0].kind: 'admin' is not a database user kind; write one of: app, analytics, dba" in message
    assert "databaseUsers[0].auth: 'ldap' is not an authentication method; write one of: password, awsIam, x509" in message


def test_unknown_user_key_gets_a_did_you_mean(plan_variant):
    message = refused(plan_variant, set_user(0, passwordVersoin=2))
    assert "databaseUsers[0].passwordVersoin: unknown key; did you mean 'passwordVersion'?" in message


def test_custom_role_named_like_a_builtin_is_refused(plan_variant):
    def builtin_name(config):
        config[ROLES][0]["name"] = "readWrite"
        config[USERS][1]["roles"] = ["readWrite@payments"]

    assert "customRoles[0].name: 'readWrite' is a MongoDB built-in role" in refused(plan_variant, builtin_name)


def test_custom_role_listing_an_action_twice_is_refused(plan_variant):
    def twice(config):
        config[ROLES][0]["actions"].append({"action": "FIND", "resources": ["payments.refunds"]})

    assert "customRoles[0].actions: action (list its resources under one entry) 'FIND' appears at [1] and [2]" in refused(
        plan_variant, twice
    )


def test_custom_role_inheriting_a_broad_role_is_refused(plan_variant):
    def broad(config):
        config[ROLES][0]["inheritedRoles"] = ["readAnyDatabase@admin"]

    assert "inherits 'readAnyDatabase@admin', which reaches every database" in refused(plan_variant, broad)


def test_custom_roles_inheriting_each_other_in_a_cycle_are_refused(plan_variant):
    def cycle(config):
        config[ROLES] = [
            {"name": "a", "inheritedRoles": ["b@admin"]},
            {"name": "b", "inheritedRoles": ["a@admin"]},
        ]
        config[USERS][1]["roles"] = ["a@admin"]

    assert "custom role 'a' inherits itself" in refused(plan_variant, cycle)


def test_custom_role_granting_nothing_is_refused(plan_variant):
    def empty(config):
        config[ROLES][0]["actions"] = []

    assert "custom role 'ledgerAppendOnly' grants nothing" in refused(plan_variant, empty)


def test_bad_secrets_kms_key_arn_is_refused(plan_variant):
    message = refused(plan_variant, lambda config: config.__setitem__(key("secretsKmsKeyArn"), "alias/payments"))
    assert "atlas-platform:secretsKmsKeyArn: 'alias/payments' is not an AWS KMS key ARN" in message


def test_every_problem_is_reported_at_once(plan_variant):
    def several(config):
        config[USERS][0]["roles"] = ["dbOwner@payments"]
        config[USERS][1]["iamArn"] = "arn:aws:iam::1:role/x"

    message = refused(plan_variant, several)
    assert "has 2 problems" in message


def test_user_description_over_100_characters_is_refused(plan_variant):
    message = refused(plan_variant, set_user(0, description="Payments API " + "x" * 88))
    assert "Pulumi.prod.yaml" in message
    assert "atlas-platform:databaseUsers[0].description: the description has 101 characters" in message
    assert "Atlas accepts at most 100: shorten it" in message


def test_user_description_of_exactly_100_characters_is_accepted(plan_variant):
    description = "Payments API " + "x" * 87
    plan = plan_variant("prod", set_user(0, description=description))
    assert description in [u.inputs.get("description") for u in plan.of_type("mongodbatlas:index/databaseUser:DatabaseUser")]


@pytest.mark.parametrize("role", ["dbAdmin", "clusterMonitor", "enableSharding"])
def test_custom_role_inheriting_a_builtin_role_off_admin_is_refused(plan_variant, role):
    def off_admin(config):
        config[ROLES][0]["inheritedRoles"] = [f"{role}@payments"]

    message = refused(plan_variant, off_admin)
    assert "Pulumi.prod.yaml" in message and "atlas-platform:customRoles[0]:" in message
    assert f"inherits '{role}@payments': Atlas takes an inherited {role} only on the admin database" in message
    assert f"write {role}@admin" in message


def test_custom_role_inheriting_on_a_collection_is_refused(plan_variant):
    def on_collection(config):
        config[ROLES][0]["inheritedRoles"] = ["read@payments.ledger"]

    message = refused(plan_variant, on_collection)
    assert "inherits 'read@payments.ledger', but Atlas inherits a role on a whole database" in message


def test_custom_role_inherits_read_and_read_write_on_their_database_and_others_on_admin(plan_variant):
    def inherit(config):
        config[ROLES][0]["inheritedRoles"] = ["read@reference", "readWrite@payments", "clusterMonitor@admin", "dbAdmin@admin"]

    plan = plan_variant("prod", inherit)
    role = next(
        r for r in plan.of_type("mongodbatlas:index/customDbRole:CustomDbRole") if r.inputs["roleName"] == "ledgerAppendOnly"
    )
    assert role.inputs["inheritedRoles"] == [
        {"roleName": "clusterMonitor", "databaseName": "admin"},
        {"roleName": "dbAdmin", "databaseName": "admin"},
        {"roleName": "read", "databaseName": "reference"},
        {"roleName": "readWrite", "databaseName": "payments"},
    ]


def test_config_and_component_agree_on_which_roles_are_inherited_off_admin():
    from atlas_platform.components import custom_roles
    from stackconfig import users

    assert custom_roles.INHERITED_ON_ANY_DATABASE == users.INHERITED_ON_ANY_DATABASE


def test_prod_refuses_deleting_a_credentials_secret_at_once(plan_variant):
    message = refused(plan_variant, set_user(0, secretRecoveryWindowDays=0))
    assert "Pulumi.prod.yaml" in message and "atlas-platform:databaseUsers[0]:" in message
    assert "prod keeps a deleted credentials secret restorable; write secretRecoveryWindowDays 7-30" in message


@pytest.mark.parametrize("days", [3, 31])
def test_a_recovery_window_secrets_manager_refuses_is_refused(plan_variant, days):
    message = refused(plan_variant, set_user(0, secretRecoveryWindowDays=days), stack="staging")
    assert f"secretRecoveryWindowDays {days} is not one Secrets Manager takes; write 0 (delete at once) or 7-30" in message


def test_a_recovery_window_on_a_user_without_a_secret_is_refused(plan_variant):
    def iam_user(config):
        user = next(u for u in config[USERS] if u.get("auth") == "awsIam")
        user["secretRecoveryWindowDays"] = 7

    assert "keeps no secret" in refused(plan_variant, iam_user)


@pytest.mark.parametrize("database", ["admin", "local", "config"])
def test_atlas_managed_databases_are_refused_under_databases_as_under_roles(database):
    """`databases: [admin]` is `readWrite@admin` written another way; it gets the refusal `roles` gives."""

    def change(config):
        config[key("databaseUsers")][0]["databases"] = ["payments", database]

    message = one_refusal("prod", change)
    assert (
        f"databaseUsers[0].databases: {database!r} would grant readWrite@{database}: Atlas manages the {database} database"
        in message
    )
    assert "list your application's database instead" in message
