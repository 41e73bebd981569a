"""AppUser used on its own, as another program would: typed args in, resources out, no stack file."""

from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime import settings as pulumi_settings

from atlas_platform.components.app_user import AppUser, AppUserArgs, Grant
from tests.harness.mocks import AtlasMocks, RecordingMonitor


def _program_with_one_user(seen: dict[str, object], **args: object) -> RecordingMonitor:
    """Run a program that builds one AppUser from typed args (a test user's defaults, then `args`) under
    the mocks; `seen` gets the user's username, usernames and active slot. Returns what was registered."""
    monitor = RecordingMonitor(AtlasMocks())
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(AtlasMocks(), project="reuse", stack="test", preview=False, monitor=monitor)
    defaults: dict[str, object] = {
        "project_id": "5f0000000000000000000001",
        "username": "shop-test-orders",
        "auth": "password",
        "roles": [Grant(role_name="readWrite", database_name="orders")],
        "cluster_names": ["shop-test-cluster1"],
        "description": "Orders service in a test program",
        "secret_name": "shop/test/mongodb/orders",
        "secrets_kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
    }

    @pulumi.runtime.test
    def program():
        user = AppUser("orders", AppUserArgs(**{**defaults, **args}))
        return pulumi.Output.all(user.username, user.usernames, user.active_slot).apply(
            lambda values: seen.update(username=values[0], usernames=values[1], active=values[2])
        )

    program()
    return monitor


def test_app_user_builds_from_typed_args_with_a_connection_string():
    seen: dict[str, object] = {}
    monitor = _program_with_one_user(
        seen,
        cluster_names=[pulumi.Output.from_input("shop-test-cluster1")],
        connection_string=pulumi.Output.from_input("mongodb+srv://shop-test-cluster1.example.mongodb.net"),
    )
    assert seen["username"] == "shop-test-orders"
    version = next(r for r in monitor.registrations if r.type == "aws:secretsmanager/secretVersion:SecretVersion")
    assert '"connectionString": "mongodb+srv://shop-test-cluster1.example.mongodb.net"' in version.inputs["secretString"]
    user = next(r for r in monitor.registrations if r.type == "mongodbatlas:index/databaseUser:DatabaseUser")
    assert user.inputs["scopes"] == [{"name": "shop-test-cluster1", "type": "CLUSTER"}]


def test_app_user_alternates_two_users_behind_one_secret_with_no_stack_file():
    seen: dict[str, object] = {}
    monitor = _program_with_one_user(seen, rotation="alternating", rotation_count=3)
    assert seen == {"username": "shop-test-orders-b", "usernames": ["shop-test-orders", "shop-test-orders-b"], "active": "b"}
    users = {r.inputs["username"]: r for r in monitor.registrations if r.type == "mongodbatlas:index/databaseUser:DatabaseUser"}
    assert sorted(users) == ["shop-test-orders", "shop-test-orders-b"]
    keepers = {
        r.name: r.inputs["keepers"] for r in monitor.registrations if r.type == "random:index/randomPassword:RandomPassword"
    }
    # Rotation 3 was slot b's, rotation 2 slot a's.
    assert keepers == {
        "orders-a-password": {"passwordVersion": "1", "rotation": "2"},
        "orders-b-password": {"passwordVersion": "1", "rotation": "3"},
    }
    version = next(r for r in monitor.registrations if r.type == "aws:secretsmanager/secretVersion:SecretVersion")
    assert '"username": "shop-test-orders-b"' in version.inputs["secretString"]
    assert users["shop-test-orders-b"].inputs["password"] in version.inputs["secretString"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auth": "ldap"}, "auth 'ldap' is not one of"),
        ({"auth": "awsIam"}, "aws_iam_type ROLE or USER"),
        ({"secret_name": None}, "needs secret_name and secrets_kms_key_id"),
        ({"roles": []}, "at least one role and one cluster"),
        ({"cluster_names": []}, "at least one role and one cluster"),
        ({"secret_recovery_window_in_days": 5}, "secret_recovery_window_in_days is 0 or 7-30"),
        ({"rotation": "rolling"}, "rotation 'rolling' is not one of single, alternating"),
        ({"rotation_count": 1}, "rotation_count counts alternating rotations"),
        ({"rotation": "alternating", "rotation_count": -1}, "rotation_count counts alternating rotations"),
        (
            {"auth": "x509", "secret_name": None, "secrets_kms_key_id": None, "rotation": "alternating"},
            "only password users alternate",
        ),
    ],
)
def test_app_user_args_refuse_an_incomplete_user(changes, message):
    args = {
        "project_id": "p",
        "username": "u",
        "auth": "password",
        "roles": [Grant(role_name="read", database_name="d")],
        "cluster_names": ["c"],
        "description": "a user for a test",
        "secret_name": "a/b/mongodb/u",
        "secrets_kms_key_id": "k",
    }
    with pytest.raises(ValueError, match=message):
        AppUserArgs(**{**args, **changes})


def test_custom_role_spec_refuses_an_inherited_role_off_admin_but_read_and_read_write():
    from atlas_platform.components.custom_roles import CustomRoleSpec

    with pytest.raises(ValueError, match="inherits 'dbAdmin' on 'payments': Atlas takes every inherited role"):
        CustomRoleSpec(name="ops", inherited_roles=[("dbAdmin", "payments")])
    with pytest.raises(ValueError, match="inherits 'ledgerBase' on 'payments'"):
        CustomRoleSpec(name="ops", inherited_roles=[("ledgerBase", "payments")])
    CustomRoleSpec(name="ops", inherited_roles=[("read", "reference"), ("readWrite", "payments"), ("dbAdmin", "admin")])
