"""The stack file model: every shipped stack loads; every kind of bad input gets its own clear message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackconfig import ConfigError, Secret, StackConfig, load_stack_config
from tests.conftest import NAMESPACE, ROOT, STACKS, key, load_stack, stack_config
from tests.harness.stackfile import SECRET_PLACEHOLDER, engine_config, parse_stack_file


def load(config: dict[str, Any], stack: str = "prod") -> StackConfig:
    """Load a stack-file `config:` mapping through the same path the program uses."""
    return load_stack(stack, config)


def problems(config: dict[str, Any], stack: str = "prod") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(config, stack)
    return [p.render(caught.value.stack_file) for p in caught.value.problems]


def variant(stack: str = "prod", **changes: Any) -> dict[str, Any]:
    config = stack_config(stack)
    for name, value in changes.items():
        full = name if ":" in name else key(name)
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    return config


def only_problem(config: dict[str, Any], stack: str = "prod") -> str:
    found = problems(config, stack)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_file_loads(stack):
    cfg = load(stack_config(stack), stack)
    assert cfg.resolved_project_name == (cfg.project_name or f"{cfg.app}-{cfg.environment}")


def test_stack_files_are_each_their_own_application_environment():
    # The stack name need not be the environment (payments-prod, orders-prod, orders-staging), but two
    # stack files for one application's one environment would fight over its project and names.
    pairs = [(cfg.app, cfg.environment) for cfg in (load(stack_config(s), s) for s in STACKS)]
    assert len(set(pairs)) == len(pairs), pairs


# Each case: a change to the prod stack file, the key path the message must name, and words of the fix.
BAD_INPUTS = [
    pytest.param(
        {"projectTgas": {"a": "b"}}, "atlas-platform:projectTgas", "did you mean 'projectTags'", id="unknown-top-level-key"
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamID": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY"]}]},
        "atlas-platform:teams[0].teamID",
        "did you mean 'teamId'",
        id="unknown-nested-key",
    ),
    pytest.param({"orgId": "12345"}, "atlas-platform:orgId", "24-character lowercase hex id", id="bad-org-id"),
    pytest.param(
        {"environment": "Prod"}, "atlas-platform:environment", "lowercase letters, digits and hyphens", id="bad-environment"
    ),
    pytest.param({"orgId": None}, "atlas-platform:orgId", "required key is missing", id="missing-org-id"),
    pytest.param({"app": "Payments"}, "atlas-platform:app", "lowercase letters", id="bad-app-name"),
    pytest.param(
        {"projectName": "payments prod!"}, "atlas-platform:projectName", "letters, digits, hyphens", id="bad-project-name"
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLI"]}]},
        "atlas-platform:teams[0].roles[0]",
        "did you mean 'GROUP_READ_ONLY'",
        id="unknown-project-role",
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY", "GROUP_READ_ONLY"]}]},
        "atlas-platform:teams[0]",
        "listed twice",
        id="duplicate-role",
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": []}]},
        "atlas-platform:teams[0].roles",
        "at least 1 item",
        id="empty-roles",
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_OWNER"]}]},
        "atlas-platform:teams[0]",
        "needs `ownerReason`",
        id="prod-owner-without-reason",
    ),
    pytest.param(
        {"teams": [{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_OWNER"], "ownerReason": "ok"}]},
        "atlas-platform:teams[0].ownerReason",
        "at least 10 characters",
        id="owner-reason-too-short",
    ),
    pytest.param(
        {
            "teams": [
                {"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY"]},
                {"name": "ops", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY"]},
            ]
        },
        "atlas-platform:teams",
        "teamId '5f0000000000000000000b01' appears at [0] and [1]",
        id="duplicate-team-id",
    ),
    pytest.param(
        {
            "teams": [
                {"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY"]},
                {"name": "sre", "teamId": "5f0000000000000000000b02", "roles": ["GROUP_READ_ONLY"]},
            ]
        },
        "atlas-platform:teams",
        "team name 'sre' appears at [0] and [1]",
        id="duplicate-team-name",
    ),
    pytest.param({"teams": "sre"}, "atlas-platform:teams", "valid list", id="teams-not-a-list"),
    pytest.param({"projectTags": {"environment": "qa"}}, "atlas-platform:projectTags", "set by this program", id="reserved-tag"),
    pytest.param({"projectTags": {"cost center!": "x"}}, "atlas-platform:projectTags.cost center!", "tag key", id="bad-tag-key"),
    pytest.param(
        {"projectSettings": {"dataExplorer": "sometimes"}},
        "atlas-platform:projectSettings.dataExplorer",
        "valid boolean",
        id="bad-bool",
    ),
    pytest.param(
        {"federation": {"settingsId": "nope", "groups": [{"externalGroupName": "x", "roles": ["GROUP_READ_ONLY"]}]}},
        "atlas-platform:federation.settingsId",
        "Atlas id",
        id="bad-federation-id",
    ),
    pytest.param(
        {
            "federation": {
                "settingsId": "5f0000000000000000000c01",
                "groups": [
                    {"externalGroupName": "ops", "roles": ["GROUP_READ_ONLY"]},
                    {"externalGroupName": "ops", "roles": ["GROUP_CLUSTER_MANAGER"]},
                ],
            }
        },
        "atlas-platform:federation.groups",
        "externalGroupName 'ops' appears at [0] and [1]",
        id="duplicate-idp-group",
    ),
    pytest.param(
        {"atlas-platfrom:teams": []},
        "atlas-platfrom:teams",
        "unknown config namespace 'atlas-platfrom'; did you mean 'atlas-platform:'?",
        id="misspelt-namespace",
    ),
    pytest.param(
        {"teams": [{"name": 2024, "teamId": "5f0000000000000000000b01", "roles": ["GROUP_READ_ONLY"]}]},
        "atlas-platform:teams[0].name",
        'YAML reads 2024 as a number, not text; write it in quotes, e.g. "2024"',
        id="number-for-text",
    ),
    pytest.param(
        {"cluster": None},
        "atlas-platform:cluster",
        "a production stack needs its cluster",
        id="prod-without-cluster",
    ),
    pytest.param(
        {"mongodbatlas:privateKey": "plain-text-key"},
        "mongodbatlas:privateKey",
        "pulumi config set --secret mongodbatlas:privateKey",
        id="plain-text-provider-secret",
    ),
]


@pytest.mark.parametrize(("change", "path", "fix"), BAD_INPUTS)
def test_bad_input_is_refused_with_its_key_path_and_fix(change, path, fix):
    message = only_problem(variant(**change))
    assert message.startswith(f"Pulumi.prod.yaml: {path}: "), message
    assert fix in message


def test_there_are_at_least_fifteen_kinds_of_bad_input():
    assert len(BAD_INPUTS) >= 15


def test_one_error_lists_every_problem_at_once():
    config = variant(
        projectTgas={"a": "b"},
        orgId="not-an-org",
        teams=[{"name": "sre", "teamId": "5f0000000000000000000b01", "roles": ["GROUP_ADMIN"]}],
        **{"mongodbatlas:clientSecret": "plain"},
    )
    with pytest.raises(ConfigError) as caught:
        load(config)
    text = str(caught.value)
    assert text.startswith("Pulumi.prod.yaml has 4 problems; nothing was created:")
    for path in (
        "atlas-platform:projectTgas",
        "atlas-platform:orgId",
        "atlas-platform:teams[0].roles[0]",
        "mongodbatlas:clientSecret",
    ):
        assert f"Pulumi.prod.yaml: {path}: " in text


def test_secure_provider_secret_is_accepted():
    load(variant(**{"mongodbatlas:privateKey": {"secure": "v1:AAAA"}}))


def test_owner_is_allowed_outside_prod_and_with_a_reason_in_prod():
    dev = stack_config("dev")
    assert load(dev, "dev").teams[0].roles == ["GROUP_OWNER"]
    owner = [
        {
            "name": "sre",
            "teamId": "5f0000000000000000000b01",
            "roles": ["GROUP_OWNER"],
            "ownerReason": "break-glass team for incidents",
        }
    ]
    assert load(variant(teams=owner)).teams[0].owner_reason == "break-glass team for incidents"


def test_invalid_yaml_in_stack_file_names_the_file(tmp_path):
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text("config:\n  atlas-platform:app: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        parse_stack_file(bad)
    assert "Pulumi.prod.yaml: (file): is not valid YAML" in str(caught.value)


def test_a_provider_credential_the_engine_marks_secret_is_accepted_with_no_stack_file():
    """Only the engine's marks count: no file is read to learn what was `secure:`."""
    engine_values = {
        key("environment"): "dev",
        key("orgId"): "5f0000000000000000000a01",
        key("app"): "payments",
        "mongodbatlas:privateKey": "decrypted",
    }
    cfg = load_stack_config(engine_values, namespace=NAMESPACE, stack="dev", secret_keys={"mongodbatlas:privateKey"})
    assert cfg.app == "payments"


def test_secret_values_never_print():
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert secret.reveal() == "hunter2"


def test_engine_config_passes_objects_as_json_and_scalars_as_text():
    values, secret_keys = engine_config(
        ROOT,
        "prod",
        {key("teams"): [{"a": 1}], key("app"): "x", key("flag"): True, "mongodbatlas:privateKey": {"secure": "v1:x"}},
    )
    assert json.loads(values[key("teams")]) == [{"a": 1}]
    assert values[key("flag")] == "true"
    assert secret_keys == ["mongodbatlas:privateKey"]
    assert values["mongodbatlas:privateKey"] != "v1:x"


def test_a_stack_file_that_is_not_utf8_is_refused_cleanly(tmp_path):
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_bytes(b"config:\n  atlas-platform:app: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        parse_stack_file(bad)
    assert "Pulumi.prod.yaml: (file): cannot be read as UTF-8 text" in str(caught.value)


def test_a_stack_file_key_that_is_not_text_is_refused_cleanly(tmp_path):
    bad = tmp_path / "Pulumi.prod.yaml"
    bad.write_text("config:\n  2024: payments\n")
    with pytest.raises(ConfigError) as caught:
        parse_stack_file(bad)
    assert "Pulumi.prod.yaml: config: key 2024 is not text" in str(caught.value)
    with pytest.raises(ConfigError, match="key 2024 is not text"):
        engine_config(ROOT, "prod", {2024: "payments"})


def test_bare_keys_in_the_stack_file_belong_to_the_project():
    """Pulumi reads a bare `notifications:` as `atlas-platform:notifications`, and a bare secret key likewise."""
    config = {
        "environment": "dev",
        "orgId": "5f0000000000000000000a01",
        "app": "payments",
        "notifications": [{"name": "dev-slack", "type": "SLACK", "channelName": "#dev", "apiTokenSecret": "slackToken"}],
        "slackToken": {"secure": "v1:x"},
    }
    values, secret_keys = engine_config(ROOT, "dev", config)
    assert secret_keys == [key("slackToken")]
    cfg = load_stack_config(values, namespace=NAMESPACE, stack="dev", secret_keys=secret_keys)
    assert cfg.secret(cfg.notifications[0].api_token_secret) == Secret(SECRET_PLACEHOLDER)


def test_a_yes_no_value_where_a_number_belongs_is_refused():
    """pydantic's lax mode would read `hour: true` as 1."""
    config = stack_config("prod")
    config[key("cluster")]["maintenanceWindow"]["hour"] = True
    message = only_problem(config)
    assert message.startswith("Pulumi.prod.yaml: atlas-platform:cluster.maintenanceWindow.hour: ")
    assert "True is a yes/no value where a number belongs; write a number" in message


def test_a_secure_value_nested_in_a_settings_key_is_refused_with_the_way_out():
    """The engine marks the whole `notifications` key secret; the program would read the rest of it as
    settings, so it names the fix: one top-level secret key per value."""
    config = variant("dev")
    config[key("notifications")] = [
        {"name": "dev-slack", "type": "SLACK", "channelName": "#dev", "apiTokenSecret": "slackToken", "note": {"secure": "v1:x"}}
    ]
    config[key("slackToken")] = {"secure": "v1:y"}
    found = problems(config, "dev")
    assert any(
        line.startswith("Pulumi.dev.yaml: atlas-platform:notifications: the engine marks this key secret")
        and "`pulumi config set --secret <name> <value> --stack dev`" in line
        for line in found
    ), found


# ---- YAML's readings of a scalar where text belongs, and hints that lead to a valid value ----


def test_region_no_read_as_a_yes_no_value_is_refused_with_what_a_region_looks_like():
    """YAML 1.1 reads `region: no` as false; quoting it would give "no", which is no region either."""
    from tests.conftest import one_refusal

    message = one_refusal("prod", lambda c: c[key("cluster")]["regions"][0].__setitem__("region", False))
    assert "atlas-platform:cluster.regions[0].region: YAML reads an unquoted no (false, off alike) as a yes/no value" in message
    assert "\"no\" in quotes would not do either: 'no' is not an AWS region Atlas supports; write one of:" in message
    assert "us-east-1" in message and "eu-central-1" in message


@pytest.mark.parametrize(
    ("day", "said"),
    [
        (8, "Atlas numbers the days 1-7 from Sunday, 1 = sunday and 7 = saturday, so there is no day 8"),
        (2, "Atlas's day 2 is monday: write monday"),
        ("1", "Atlas's day 1 is sunday: write sunday"),
    ],
)
def test_a_maintenance_day_written_as_a_number_gets_the_day_name_to_write(day, said):
    from tests.conftest import one_refusal

    message = one_refusal("prod", lambda c: c[key("cluster")]["maintenanceWindow"].__setitem__("day", day))
    assert "atlas-platform:cluster.maintenanceWindow.day:" in message
    assert "write one of: sunday, monday" in message and said in message
    assert 'write it in quotes, e.g. "8"' not in message


def test_a_yes_no_value_where_free_text_belongs_is_told_to_quote_it():
    from tests.conftest import one_refusal

    message = one_refusal("prod", lambda c: c[key("network")]["accessList"][0].__setitem__("comment", True))
    assert 'YAML reads an unquoted yes (true, on alike) as a yes/no value, not text; write it in quotes, e.g. "yes"' in message


def _models(model, seen=None):
    from pydantic import BaseModel

    from stackconfig.loader import _inner_model

    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    yield model
    for field in model.model_fields.values():
        inner = _inner_model(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _models(inner, seen)


def test_no_field_hint_is_cut_mid_sentence():
    """The "required key is missing" hint quotes a field's description: its first whole sentence, never
    the first line of a wrapped docstring."""
    from stackconfig.loader import first_sentence

    checked = 0
    for model in _models(StackConfig):
        for name, field in model.model_fields.items():
            if not field.description:
                continue
            hint, flat = first_sentence(field.description), " ".join(field.description.split())
            assert flat.startswith(hint), (model.__name__, name)
            assert hint.endswith((".", "?", "!")) or hint == flat, (model.__name__, name, hint)
            assert hint.count("(") == hint.count(")") and hint.count("`") % 2 == 0, (model.__name__, name, hint)
            checked += 1
    assert checked > 100


def test_a_missing_key_is_explained_by_a_whole_sentence():
    from tests.conftest import one_refusal

    def change(config):
        config[key("cluster")]["maintenanceWindow"]["protectedHours"].pop("endHour")

    message = one_refusal("prod", change)
    assert (
        "maintenanceWindow.protectedHours.endHour: required key is missing; add it (Hour the protection ends, 0-23 "
        "(e.g. 20: maintenance may start from 20:00).)"
    ) in message


def test_region_no_as_the_cli_passes_it_is_refused_with_the_regions():
    """The Pulumi CLI's YAML parser (gopkg.in/yaml.v3) keeps an unquoted `no` as text when the target is untyped."""
    from tests.conftest import one_refusal

    message = one_refusal("prod", lambda c: c[key("cluster")]["regions"][0].__setitem__("region", "no"))
    assert "atlas-platform:cluster.regions[0].region: 'no' is not an AWS region Atlas supports; write one of:" in message
    assert "eu-central-1" in message
