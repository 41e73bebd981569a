"""The stack file's JSON Schema (tools/schema.py, `make schema`): current with the model, wired for editors,
and agreeing with the loader on the example stack files and on a typo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT, fixture_file, key
from tools import schema as generator

FIXTURES = sorted(p.name for p in (ROOT / "tests" / "fixtures").glob("Pulumi.*.yaml"))


def shipped() -> dict:
    return json.loads((ROOT / generator.SCHEMA_FILE).read_text(encoding="utf-8"))


def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(shipped())


def errors(document: dict) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator().iter_errors(document)]


def test_the_shipped_schema_is_what_the_model_gives():
    current = (ROOT / generator.SCHEMA_FILE).read_text(encoding="utf-8")
    assert current == generator.render(), (
        f"{generator.SCHEMA_FILE} is out of date with stackconfig/: run `make schema` and commit the result"
    )


def test_the_shipped_schema_is_a_valid_draft_07_schema():
    jsonschema.Draft7Validator.check_schema(shipped())
    assert shipped()["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_make_schema_check_says_what_to_run_when_stale(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert "run `make schema`" in capsys.readouterr().err
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    assert (tmp_path / generator.SCHEMA_FILE).read_text(encoding="utf-8") == generator.render()


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_stack_file_is_valid_and_names_the_schema(name):
    path = ROOT / "tests" / "fixtures" / name
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:2] == generator.modelines(path.parent), f"{name} does not start with the schema modelines"
    assert (path.parent / text.splitlines()[0].split("=", 1)[1]).resolve() == (ROOT / generator.SCHEMA_FILE).resolve()
    assert errors(yaml.safe_load(text)) == []


def _prod() -> dict:
    return yaml.safe_load(fixture_file("prod").read_text(encoding="utf-8"))


def test_a_typo_in_a_key_is_flagged_at_the_top_and_inside_a_section():
    typo = _prod()
    typo["config"][key("clustr")] = typo["config"].pop(key("cluster"))
    assert any(e.startswith(f"config.{key('clustr')}") for e in errors(typo))
    nested = _prod()
    nested["config"][key("cluster")]["tierr"] = nested["config"][key("cluster")].pop("tier")
    assert errors(nested)
    top = _prod()
    top["configs"] = top.pop("config")
    assert any("configs" in e for e in errors(top))


def test_a_value_outside_an_atlas_list_and_a_bad_name_are_flagged():
    wrong = _prod()
    wrong["config"][key("logExport")]["logTypes"] = ["MONGOD", "MONGOD_AUDITS"]
    assert any("MONGOD_AUDITS" in e for e in errors(wrong))
    name = _prod()
    name["config"][key("app")] = "Payments"
    assert any(e.startswith(f"config.{key('app')}") for e in errors(name))


def test_provider_keys_and_named_secrets_are_accepted_and_credentials_must_be_secure():
    document = _prod()
    document["config"]["aws:region"] = "eu-central-1"
    document["config"]["pulumi:disable-default-providers"] = ["aws"]
    document["config"][key("someOtherSecret")] = {"secure": "AAABAPLACEHOLDER"}
    document["config"]["mongodbatlas:privateKey"] = {"secure": "AAABAPLACEHOLDER"}
    assert errors(document) == []
    document["config"]["mongodbatlas:privateKey"] = "plain-text"
    assert any(e.startswith("config.mongodbatlas:privateKey") for e in errors(document))
    # A setting is never a secret: a `secure:` value where a section belongs is flagged.
    document = _prod()
    document["config"][key("cluster")] = {"secure": "AAABAPLACEHOLDER"}
    assert errors(document)


def test_every_setting_has_a_description_and_lists_its_values():
    config = shipped()["properties"]["config"]
    for name, prop in config["properties"].items():
        assert prop.get("description"), f"{name} has no description: give its field a docstring"
    log_types = shipped()["definitions"]["LogExport"]["properties"]["logTypes"]["items"]
    assert log_types["enum"] == ["MONGOD", "MONGOS", "MONGOD_AUDIT", "MONGOS_AUDIT"]


def _patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_every_pattern_reads_the_same_in_python_and_in_an_editor():
    patterns = list(_patterns(shipped()))
    assert patterns
    for pattern in patterns:
        re.compile(pattern)
        # Python-only syntax an editor's ECMA-262 RegExp refuses.
        assert "(?P" not in pattern, pattern
        assert pattern.startswith("^(?:") and pattern.endswith(")$"), pattern


def test_an_adopted_stack_file_names_the_schema():
    from tools.adopt.yamlfile import render

    text = render(["adopted"], "atlas-platform", {"app": "payments"}, {}, {})
    assert text.splitlines()[:2] == generator.modelines()


def test_every_required_setting_is_required_by_the_schema():
    from stackconfig import StackConfig

    required = {key(f.alias or n) for n, f in StackConfig.model_fields.items() if f.is_required()}
    assert set(shipped()["properties"]["config"]["required"]) == required
    assert required >= {key("environment"), key("orgId"), key("app")}


def test_the_schema_file_lives_where_the_modelines_point():
    assert Path(generator.modelines()[0].split("=", 1)[1]) == generator.SCHEMA_FILE
