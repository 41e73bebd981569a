"""OIDC database users: people as a workforce IdP group, applications as a workload, no secret either way.

Atlas's forms (Admin API, Create One Database User; provider v2.16 docs/resources/database_user.md and
resource_database_user_test.go, TestAccDatabaseUser_withOIDCAuthType): the username is
`<IdP ID>/<IdP group name>` with oidcAuthType IDP_GROUP on `admin`, or `<IdP ID>/<IdP user name>` with
oidcAuthType USER on `$external`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stackconfig import ConfigError
from tests.conftest import STACKS, key, load_stack, stack_config
from tests.harness.runner import Plan
from tests.test_access_report import resource
from tools import access_report
from tools.access_report import render_report

USER = "mongodbatlas:index/databaseUser:DatabaseUser"
APP_USER = "atlas-platform:index:AppUser"
CREDENTIAL_TYPES = {
    "random:index/randomPassword:RandomPassword",
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "mongodbatlas:index/x509AuthenticationDatabaseUser:X509AuthenticationDatabaseUser",
}
USERS = key("databaseUsers")
IDP = "65a1b2c3d4e5f60718293a4b"
WORKFORCE_GROUP = {"auth": "oidc", "identityProviderId": IDP, "group": "payments-prod-dba"}
WORKLOAD = {"auth": "oidc", "identityProviderId": IDP, "oidcUser": "system:serviceaccount:payments:api"}


def _children_of_user(plan: Plan, name: str):
    """What the AppUser component of the stack-file user `name` registers."""
    component = next(r for r in plan.of_type(APP_USER) if r.name.endswith(f"-user-{name}"))
    return plan.children(component)


def _index(config: dict[str, Any], name: str) -> int:
    return next(i for i, u in enumerate(config[USERS]) if u["name"] == name)


def at(name: str, stack: str = "prod") -> str:
    """The key path of the stack file's user `name`, as refusals name it."""
    return f"databaseUsers[{_index(stack_config(stack), name)}]"


def as_oidc(name: str, fields: dict[str, Any], drop: tuple[str, ...] = ()) -> Callable[[dict[str, Any]], None]:
    """Turn the stack file's user `name` into an OIDC user with `fields`, dropping keys of its old auth."""

    def change(config: dict[str, Any]) -> None:
        user = config[USERS][_index(config, name)]
        for field in ("passwordVersion", "certificateMonths", "iamArn", "secretRecoveryWindowDays", *drop):
            user.pop(field, None)
        user.update(fields)

    return change


def refusal(change: Callable[[dict[str, Any]], None], stack: str = "prod") -> str:
    config = stack_config(stack)
    change(config)
    with pytest.raises(ConfigError) as error:
        load_stack(stack, config)
    return str(error.value)


# --- what the engine receives ----------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_oidc_user_has_atlas_username_auth_database_and_type_and_no_secret(plans, stack):
    cfg, plan = load_stack(stack), plans(stack)
    for user in (u for u in cfg.database_users if u.auth == "oidc"):
        children = _children_of_user(plan, user.name)
        [atlas_user] = [r for r in children if r.type == USER]
        inputs = atlas_user.inputs
        if user.kind in ("dba", "analytics"):
            assert inputs["username"] == f"{user.identity_provider_id}/{user.group}"
            assert (inputs["authDatabaseName"], inputs["oidcAuthType"]) == ("admin", "IDP_GROUP")
        else:
            assert inputs["username"] == f"{user.identity_provider_id}/{user.oidc_user}"
            assert (inputs["authDatabaseName"], inputs["oidcAuthType"]) == ("$external", "USER")
        assert not {"password", "x509Type", "awsIamType"} & set(inputs), inputs
        assert not [r.type for r in children if r.type in CREDENTIAL_TYPES], f"{user.name} keeps a credential"
        assert user.name not in plan.exports["databaseUserSecretArns"]


def test_prod_has_oidc_groups_for_its_dba_and_analytics_functions_and_keeps_x509_break_glass(plans):
    cfg, plan = load_stack("prod"), plans("prod")
    groups = {u.kind for u in cfg.database_users if u.oidc_auth_type == "IDP_GROUP"}
    assert groups >= {"dba", "analytics"}
    assert any(u.kind == "dba" and u.auth == "x509" for u in cfg.database_users), "no break-glass DBA left"
    engine = {r.inputs["username"]: r.inputs for r in plan.of_type(USER)}
    for user in (u for u in cfg.database_users if u.oidc_auth_type == "IDP_GROUP"):
        assert engine[user.username(cfg.resource_prefix)]["oidcAuthType"] == "IDP_GROUP"


def test_only_oidc_users_carry_an_oidc_auth_type(plans):
    for user in plans("prod").of_type(USER):
        oidc = user.inputs.get("oidcAuthType")
        assert (oidc is not None) == ("/" in user.inputs["username"] and not user.inputs["username"].startswith("arn:"))


def test_an_app_on_workload_oidc_is_its_workload_identity_on_external_with_no_secret(plan_variant):
    plan = plan_variant("prod", as_oidc("api", WORKLOAD))
    children = _children_of_user(plan, "api")
    [atlas_user] = [r for r in children if r.type == USER]
    assert atlas_user.inputs["username"] == f"{IDP}/system:serviceaccount:payments:api"
    assert atlas_user.inputs["authDatabaseName"] == "$external"
    assert atlas_user.inputs["oidcAuthType"] == "USER"
    assert "password" not in atlas_user.inputs
    assert not [r for r in children if r.type in CREDENTIAL_TYPES]
    assert "api" not in plan.exports["databaseUserSecretArns"]
    assert plan.exports["databaseUsers"]["api"] == f"{IDP}/system:serviceaccount:payments:api"


def test_an_oidc_group_is_protected_in_prod_like_every_user(plans):
    cfg, plan = load_stack("prod"), plans("prod")
    names = {u.username(cfg.resource_prefix) for u in cfg.database_users if u.auth == "oidc"}
    assert names
    for user in plan.of_type(USER):
        if user.inputs["username"] in names:
            assert user.protect, user.name


def test_the_policy_pack_passes_prod_oidc_users_without_a_finding(plans, policy_pack):
    plan = plans("prod")
    oidc = {r.name for r in plan.of_type(USER) if r.inputs.get("oidcAuthType")}
    assert oidc
    findings = [f for f in policy_pack.check_plan(plan).findings if f.resource_name in oidc]
    assert findings == []


# --- refusals ---------------------------------------------------------------------------------


def test_an_app_signing_in_as_a_workforce_group_is_refused():
    message = refusal(as_oidc("api", WORKFORCE_GROUP))
    assert f"Pulumi.prod.yaml: atlas-platform:{at('api')}: user 'api' is an application" in message
    assert "replace `group` with `oidcUser`" in message


def test_an_app_on_workload_oidc_without_its_identity_is_refused():
    message = refusal(as_oidc("api", {"auth": "oidc", "identityProviderId": IDP}))
    assert f"{at('api')}: user 'api' is an application on workload OIDC (Atlas oidcAuthType USER); add `oidcUser`" in message


def test_a_dba_as_a_single_workload_identity_is_refused():
    message = refusal(as_oidc("dba-oncall", {"oidcUser": "jane"}, drop=("group",)))
    assert "user 'dba-oncall' (kind dba) is for people" in message
    assert "replace `oidcUser` with `group`" in message


@pytest.mark.parametrize("name", ["dba-oncall", "analysts"])
def test_a_person_kind_without_its_group_is_refused(name):
    message = refusal(as_oidc(name, {}, drop=("group",)))
    assert f"user {name!r} (kind " in message and "authenticates with oidc as an IdP group; add `group`" in message


def test_an_oidc_user_without_an_identity_provider_is_refused():
    message = refusal(as_oidc("analysts", {}, drop=("identityProviderId",)))
    assert "user 'analysts' authenticates with oidc; add `identityProviderId`" in message


@pytest.mark.parametrize(
    ("idp", "hint"),
    [
        ("0oa1b2c3d4e5f6g7h8i9", "looks like the Okta IdP id"),  # the 20-character okta_idp_id
        ("65A1B2C3D4E5F60718293A4B", "24-character lowercase hex IdP ID"),
        ("65a1b2c3d4e5f60718293a4", "24-character lowercase hex IdP ID"),
        ("https://login.example.com/oauth2/default", "24-character lowercase hex IdP ID"),
    ],
)
def test_a_bad_identity_provider_id_is_refused_with_where_to_find_it(idp, hint):
    message = refusal(as_oidc("dba-oncall", {"identityProviderId": idp}))
    assert f"{at('dba-oncall')}.identityProviderId: {idp!r} is not an Atlas identity provider id" in message
    assert hint in message and "Organization > Federation > Identity Providers" in message


def test_a_group_name_longer_than_taken_is_refused():
    message = refusal(as_oidc("dba-oncall", {"group": "g" * 256}))
    assert f"{at('dba-oncall')}.group: the IdP group name has 256 characters; at most 255" in message


def test_a_group_name_of_255_characters_is_accepted():
    config = stack_config("prod")
    as_oidc("dba-oncall", {"group": "g" * 255})(config)
    assert any(u.group == "g" * 255 for u in load_stack("prod", config).database_users)


@pytest.mark.parametrize(
    "group", ["payments/prod-dba", "dba$", 'dba"s', " payments-prod-dba", "payments-prod-dba ", "dba\ngroup", ""]
)
def test_a_group_name_with_characters_atlas_usernames_cannot_carry_is_refused(group):
    message = refusal(as_oidc("dba-oncall", {"group": group}))
    assert f"{at('dba-oncall')}.group: {group!r} is not a valid IdP group name" in message
    assert "no `/`, quotes or $" in message


@pytest.mark.parametrize("group", ["Payments Prod DBAs", "8d2a1c4e-6b0f-4e7a-9c3d-2f1e0b9a8c7d", "dba@example.com"])
def test_group_names_as_idps_write_them_are_accepted(group):
    config = stack_config("prod")
    as_oidc("dba-oncall", {"group": group})(config)
    assert any(u.group == group for u in load_stack("prod", config).database_users)


@pytest.mark.parametrize("field", [{"group": "payments-prod-dba"}, {"identityProviderId": IDP}, {"oidcUser": "api"}])
def test_oidc_keys_on_another_auth_are_refused(field):
    message = refusal(lambda config: config[USERS][_index(config, "api")].update(field))
    assert f"user 'api': `{next(iter(field))}` only applies to `auth: oidc`" in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"passwordVersion": 2}, "`passwordVersion` only applies to `auth: password`"),
        ({"certificateMonths": 3}, "`certificateMonths` only applies to `auth: x509`"),
        ({"secretRecoveryWindowDays": 7}, "keeps no secret"),
    ],
)
def test_credential_keys_on_an_oidc_user_are_refused(extra, expected):
    message = refusal(as_oidc("dba-oncall", extra))
    assert expected in message


def test_one_idp_group_as_two_users_is_refused():
    def twice(config):
        config[USERS][_index(config, "analysts")]["group"] = "payments-prod-dba"

    message = refusal(twice)
    config = stack_config("prod")
    dba, analysts = _index(config, "dba-oncall"), _index(config, "analysts")
    idp = config[USERS][dba]["identityProviderId"]
    assert f"'{idp}/payments-prod-dba' (identityProviderId/group) appears at [{dba}] and [{analysts}]" in message
    assert "one IdP group is one database user" in message


def test_a_workforce_group_may_be_the_same_name_on_another_identity_provider():
    config = stack_config("prod")
    analysts = config[USERS][_index(config, "analysts")]
    analysts.update(group="payments-prod-dba", identityProviderId=IDP)
    assert len({u.username("") for u in load_stack("prod", config).database_users if u.auth == "oidc"}) == 2


# --- the access review ------------------------------------------------------------------------


def _section(report: str, heading: str) -> str:
    return report.split(heading, 1)[1].split("\n#", 1)[0]


@pytest.mark.parametrize("stack", STACKS)
def test_access_report_lists_each_idp_group_with_what_it_grants(plans, stack):
    cfg, plan = load_stack(stack), plans(stack)
    text = _section(render_report(plan), "### Identity-provider groups with database access")
    groups = [u for u in cfg.database_users if u.oidc_auth_type == "IDP_GROUP"]
    if not groups:
        assert "No identity-provider group signs in to the databases." in text
    for user in groups:
        row = next(line for line in text.splitlines() if line.startswith(f"| {user.group} | {user.identity_provider_id} |"))
        for grant in user.grants:
            assert grant in row, f"{grant} of {user.group} missing from: {row}"
        assert f"| {user.kind} |" in row and user.owner in row


def test_access_report_shows_how_an_oidc_user_signs_in(plans, plan_variant):
    text = _section(render_report(plans("prod")), "## Database users")
    assert (
        "| 5f0000000000000000000d01/payments-prod-dba | dba | OIDC workforce group: members of IdP group payments-prod-dba "
        "of identity provider 5f0000000000000000000d01 (admin) |"
    ) in text
    workload = _section(render_report(plan_variant("prod", as_oidc("api", WORKLOAD))), "## Database users")
    assert (
        f"| app | OIDC workload: workload system:serviceaccount:payments:api of identity provider {IDP} ($external) |" in workload
    )


def test_access_report_group_rows_come_from_the_plan_alone():
    # A user from another program: no kind label, no scopes; only the engine's property names count.
    user = resource(
        access_report.DATABASE_USER,
        "other-program-user",
        {
            "username": f"{IDP}/Data Engineers",
            "authDatabaseName": "admin",
            "oidcAuthType": "IDP_GROUP",
            "roles": [{"roleName": "read", "databaseName": "sales"}],
        },
    )
    rows = access_report.oidc_group_rows(Plan(project="other", stack="prod", resources=[user]))
    assert rows == [["Data Engineers", IDP, "(no kind label)", ["read@sales"], "all clusters in the project", None]]


# --- the component alone ----------------------------------------------------------------------


def _args(**changes: Any):
    from atlas_platform.components.app_user import AppUserArgs, Grant

    fields: dict[str, Any] = {
        "project_id": "p",
        "username": f"{IDP}/shop-test-dba",
        "auth": "oidc",
        "oidc_auth_type": "IDP_GROUP",
        "roles": [Grant(role_name="dbAdmin", database_name="orders")],
        "cluster_names": ["c"],
        "description": "DBAs of a test program",
    }
    return AppUserArgs(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"oidc_auth_type": None}, "oidc users, and only they, need oidc_auth_type IDP_GROUP or USER"),
        ({"oidc_auth_type": "GROUP"}, "oidc users, and only they, need oidc_auth_type IDP_GROUP or USER"),
        ({"auth": "x509"}, "oidc users, and only they, need oidc_auth_type"),
        ({"secret_name": "shop/test/mongodb/dba", "secrets_kms_key_id": "k"}, "an oidc user has no credential to store"),
    ],
)
def test_app_user_args_refuse_an_inconsistent_oidc_user(changes, message):
    with pytest.raises(ValueError, match=message):
        _args(**changes)


def test_app_user_args_take_both_oidc_types():
    assert _args().oidc_auth_type == "IDP_GROUP"
    assert _args(oidc_auth_type="USER", username=f"{IDP}/orders-api").oidc_auth_type == "USER"
