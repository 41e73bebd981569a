"""Secrets the Pulumi way: each secret is its own top-level config key, marked secret by the engine.

Config may come from the stack file, `--config-file` or a Pulumi ESC environment; the program
sees only what the engine passes: every key as a string, and the list of keys that are secret.
These tests hand that to the mock runtime directly (no stack file on disk) and check that the
program plans, that a secret it cannot trust is refused with the command that fixes it, and that
each secret reaches the engine only as a secret.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from stackconfig import ConfigError
from tests.conftest import ROOT, STACKS, fixture_file, key, leaves, stack_config, under_secret
from tests.harness.runner import Plan, run_stack
from tests.harness.stackfile import engine_config

STACK_FILE_NAME = re.compile(r"Pulumi\.[^.]+\.ya?ml")
_opened: list[str] | None = None  # stack files opened while a test watches, else None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    opened = _opened
    if (
        opened is not None
        and event == "open"
        and isinstance(args[0], (str, Path))
        and STACK_FILE_NAME.fullmatch(Path(args[0]).name)
    ):
        opened.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records while a test watches


def esc_config(stack: str) -> tuple[dict[str, str], list[str]]:
    """What an ESC environment with the same settings would hand the program: the same strings, the
    secret keys marked, and each secret a value of its own (not the harness's shared placeholder)."""
    values, secret_keys = engine_config(ROOT, stack, stack_file=fixture_file(stack))
    for full_key in secret_keys:
        values[full_key] = f"esc-{full_key.partition(':')[2]}-value"
    return values, secret_keys


@pytest.fixture
def without_stack_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory holding the program but no stack file, as the working directory."""
    for name in ("Pulumi.yaml", "__main__.py", "program_args.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def plan_from(root: Path, stack: str, values: dict[str, str], secret_keys: list[str], **kwargs: Any) -> Plan:
    """Run the program from `root` on the engine's config alone; it must open no stack file, here or anywhere."""
    global _opened
    assert not list(root.glob("Pulumi.*.yaml"))
    _opened = []
    try:
        return run_stack(stack, root=root, engine=(values, secret_keys), **kwargs)
    finally:
        opened, _opened = _opened, None
        assert opened == [], f"the program read a stack file: {opened}"


def refusal(root: Path, stack: str, values: dict[str, str], secret_keys: list[str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        plan_from(root, stack, values, secret_keys)
    return caught.value


# --- ESC-shaped config plans, with no stack file on disk -------------------------------------------


@pytest.mark.parametrize("via_environment", [False, True], ids=["set_all_config", "PULUMI_CONFIG"])
@pytest.mark.parametrize("stack", STACKS)
def test_esc_shaped_config_plans_with_no_stack_file(without_stack_files, stack, via_environment):
    values, secret_keys = esc_config(stack)
    plan = plan_from(without_stack_files, stack, values, secret_keys, config_via_environment=via_environment)
    assert plan.resources
    assert plan.exports["environment"] == stack


@pytest.mark.parametrize("stack", STACKS)
def test_each_secret_reaches_the_engine_only_as_a_secret(without_stack_files, stack):
    values, secret_keys = esc_config(stack)
    secrets = {values[k] for k in secret_keys if k.startswith("atlas-platform:")}
    plan = plan_from(without_stack_files, stack, values, secret_keys)
    used: set[str] = set()
    for resource in plan.resources:
        for path, value in leaves(resource.inputs):
            if isinstance(value, str) and value in secrets:
                used.add(value)
                assert under_secret(path, resource.secret_inputs), f"{resource.name}.{path} holds a secret in plain text"
    assert used == secrets, f"secrets set but not used: {sorted(secrets - used)}"
    for name, value in plan.exports.items():
        assert name in plan.secret_exports or not any(s in str(value) for s in secrets), name


def test_the_prod_pager_key_from_esc_is_the_key_atlas_receives(without_stack_files):
    values, secret_keys = esc_config("prod")
    plan = plan_from(without_stack_files, "prod", values, secret_keys)
    host_down = next(r for r in plan.of_type("mongodbatlas:index/alertConfiguration:AlertConfiguration") if "hostdown" in r.name)
    index, pager = next((i, n) for i, n in enumerate(host_down.inputs["notifications"]) if n["typeName"] == "PAGER_DUTY")
    assert pager["serviceKey"] == values[key("pagerDutyServiceKey")]
    # The key itself reaches the engine as a secret; who gets paged stays readable.
    assert f"notifications[{index}].serviceKey" in host_down.secret_inputs
    assert "notifications" not in host_down.secret_inputs


# --- secrets the program cannot trust are refused, with the command that fixes them -------------------


def test_a_secret_the_engine_does_not_mark_is_refused_with_the_command(without_stack_files):
    """ESC `pagerDutyServiceKey: abc` without `fn::secret`, or a plain value in a stack file: same refusal."""
    values, secret_keys = esc_config("prod")
    secret_keys.remove(key("pagerDutyServiceKey"))
    error = refusal(without_stack_files, "prod", values, secret_keys)
    [problem] = error.problems
    assert problem.key == key("pagerDutyServiceKey")
    assert "is in plain text, but it is named as a secret" in problem.message
    assert "`pulumi config set --secret atlas-platform:pagerDutyServiceKey <value> --stack prod`" in problem.message
    assert values[key("pagerDutyServiceKey")] not in str(error)


def test_a_plain_text_secret_in_a_stack_file_is_still_refused():
    """`atlas-platform:slackBotToken: xoxb-...` written in the file: the engine passes it unmarked."""
    file_config = stack_config("staging")
    assert key("slackBotToken") in file_config
    file_config[key("slackBotToken")] = "xoxb-plain-text-token"
    with pytest.raises(ConfigError) as caught:
        run_stack("staging", config=file_config)
    [problem] = caught.value.problems
    assert problem.render(caught.value.stack_file).startswith(
        "Pulumi.staging.yaml: atlas-platform:slackBotToken: is in plain text"
    )
    assert "pulumi config set --secret atlas-platform:slackBotToken <value> --stack staging" in problem.message
    assert "xoxb-plain-text-token" not in str(caught.value)


def test_a_named_secret_that_is_not_set_is_refused_with_the_command(without_stack_files):
    values, secret_keys = esc_config("prod")
    del values[key("siemWebhookSecret")]
    secret_keys.remove(key("siemWebhookSecret"))
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == "atlas-platform:notifications[3].webhookSecret"
    assert problem.message == (
        "names the secret atlas-platform:siemWebhookSecret, which is not set; run "
        "`pulumi config set --secret atlas-platform:siemWebhookSecret <value> --stack prod`"
    )


def test_a_secret_nobody_names_is_refused(without_stack_files):
    values, secret_keys = esc_config("prod")
    values[key("oldPagerKey")] = "retired"
    secret_keys.append(key("oldPagerKey"))
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == key("oldPagerKey")
    assert "is a secret no setting names, so nothing uses it" in problem.message
    assert "`pulumi config rm atlas-platform:oldPagerKey --stack prod`" in problem.message


def test_an_unknown_plain_key_is_still_an_unknown_key(without_stack_files):
    values, secret_keys = esc_config("prod")
    values[key("notification")] = "[]"
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == key("notification")
    assert "unknown key; did you mean 'notifications'?" in problem.message


def test_an_empty_secret_is_refused(without_stack_files):
    values, secret_keys = esc_config("prod")
    values[key("slackBotToken")] = ""
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == key("slackBotToken") and "the secret is empty" in problem.message


def test_a_secret_name_that_points_at_settings_is_refused(without_stack_files):
    values, secret_keys = esc_config("prod")
    values[key("notifications")] = values[key("notifications")].replace('"pagerDutyServiceKey"', '"cluster"')
    del values[key("pagerDutyServiceKey")]
    secret_keys.remove(key("pagerDutyServiceKey"))
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == "atlas-platform:notifications[1].serviceKeySecret"
    assert "names atlas-platform:cluster, which holds settings, not a secret" in problem.message


def test_a_secret_name_with_its_namespace_is_refused_with_the_bare_name(without_stack_files):
    values, secret_keys = esc_config("prod")
    values[key("notifications")] = values[key("notifications")].replace(
        '"pagerDutyServiceKey"', '"atlas-platform:pagerDutyServiceKey"'
    )
    error = refusal(without_stack_files, "prod", values, secret_keys)
    by_key = {p.key: p.message for p in error.problems}
    assert "write 'pagerDutyServiceKey' (the namespace is implied)" in by_key["atlas-platform:notifications[1].serviceKeySecret"]


def test_a_settings_key_the_engine_marks_secret_is_refused(without_stack_files):
    """ESC `fn::secret` on a whole object, or a `secure:` value nested in it: the program would read it as
    settings and pass it on in plain text, so it asks for a top-level secret key instead."""
    values, secret_keys = esc_config("prod")
    secret_keys.append(key("integrations"))
    [problem] = refusal(without_stack_files, "prod", values, secret_keys).problems
    assert problem.key == key("integrations")
    assert "the engine marks this key secret" in problem.message
    assert "`pulumi config set --secret <name> <value> --stack prod`" in problem.message
