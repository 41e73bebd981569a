"""Behaviour tests read fixtures only: opening one of your files from any other test module fails.

Your files are the root `Pulumi.<stack>.yaml` stack files and `policies/config/<stack>.json` policy
configs (tests/harness/your_files.py); a team edits them, so a test that read them would break on
that team's first edit.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import FIXTURE_POLICY_CONFIG, ROOT, STACKS, fixture_file
from tests.harness.your_files import ReadOfYourFiles, check_open, is_your_file


def test_a_behaviour_test_that_opens_a_root_stack_file_fails():
    # The hook refuses before the file is opened: the name alone is enough, whatever stacks you have.
    with pytest.raises(ReadOfYourFiles, match=r"tests/test_fixtures_only.py opened Pulumi.any-stack.yaml"):
        (ROOT / "Pulumi.any-stack.yaml").read_text()


def test_a_behaviour_test_that_opens_a_root_policy_config_fails():
    with pytest.raises(ReadOfYourFiles, match=r"policies/config/prod.json"):
        json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    with pytest.raises(ReadOfYourFiles):
        open(bytes(ROOT / "policies" / "config" / "staging.json"))  # noqa: SIM115 - refused before it opens


def test_fixtures_and_the_project_file_stay_readable():
    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"] == "atlas-platform"
    for stack in STACKS:
        assert yaml.safe_load(fixture_file(stack).read_text())["config"]
        assert json.loads((FIXTURE_POLICY_CONFIG / f"{stack}.json").read_text())


def test_your_files_are_the_root_stack_files_and_policy_configs():
    assert is_your_file(str(ROOT / "Pulumi.prod-eu.yaml"))
    assert is_your_file(str(ROOT / "policies" / "config" / "prod-eu.json"))
    assert not is_your_file(str(ROOT / "Pulumi.yaml"))
    assert not is_your_file(str(fixture_file("prod")))
    assert not is_your_file(str(FIXTURE_POLICY_CONFIG / "prod.json"))
    assert not is_your_file(str(ROOT / "policies" / "rules" / "atlas_rules.json"))


@pytest.mark.parametrize(
    "module", ["tests/test_your_stacks.py", "tests/test_your_stacks_regions.py", "tests/test_make_it_yours.py"]
)
def test_the_your_stacks_tests_may_read_them(monkeypatch: pytest.MonkeyPatch, module: str):
    monkeypatch.setenv("PYTEST_CURRENT_TEST", f"{module}::test_x (call)")
    check_open(str(ROOT / "Pulumi.prod.yaml"))
    check_open(str(ROOT / "policies" / "config" / "prod.json"))
