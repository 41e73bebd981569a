"""The replacement table (tools/replacements.json) against what the program creates and docs/changes.md.

The table records, per resource type, the inputs whose change makes the provider replace it (from
the providers' source at the pinned versions) and whether a replacement loses data or access.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from stackconfig import StackConfig
from tests.conftest import STACKS, load_stack
from tools import replacements

ROOT = Path(__file__).resolve().parent.parent
CHANGES = ROOT / "docs" / "changes.md"
HANDLINGS = {"protect", "deleteBeforeReplace", "rotation", "none"}


def _custom_types(plan) -> set[str]:
    return {r.type for r in plan.resources if r.custom}


@pytest.mark.parametrize("stack", STACKS)
def test_table_covers_every_type_the_stack_creates(plans, stack):
    missing = _custom_types(plans(stack)) - set(replacements.types())
    assert not missing, f"{stack} creates types with no entry in tools/replacements.json: {sorted(missing)}"


def test_table_covers_the_backup_compliance_policy_variant(plan_variant):
    def with_policy(config):
        config["atlas-platform:cluster"]["backup"]["compliancePolicy"] = {
            "authorizedEmail": "dba@example.com",
            "authorizedFirstName": "Data",
            "authorizedLastName": "Owner",
        }

    plan = plan_variant("prod", with_policy)
    assert plan.of_type("mongodbatlas:index/backupCompliancePolicy:BackupCompliancePolicy")
    assert not _custom_types(plan) - set(replacements.types())


def test_every_entry_names_its_source_and_classification():
    providers = replacements.table()["providers"]
    for token, entry in replacements.types().items():
        assert entry["provider"] in providers, token
        assert entry["source"].endswith(".go"), token
        assert entry["handling"] in HANDLINGS, token
        assert entry["reason"].strip(), token
        assert entry["losesData"] == (entry["handling"] != "none"), f"{token}: losesData and handling disagree"
        for detail in [*entry.get("updateFails", {}).values(), *entry.get("replaceIf", {}).values()]:
            assert detail["terraform"] and detail["why"], token


def _prod_stacks() -> list[str]:
    return [s for s in STACKS if load_stack(s).is_prod]


@pytest.mark.parametrize("stack", _prod_stacks())
def test_prod_guards_every_replacement_that_loses_data_or_access(plans, stack):
    plan = plans(stack)
    unguarded = []
    for token, entry in replacements.types().items():
        for r in plan.of_type(token):
            if entry["handling"] == "protect" and not r.protect:
                unguarded.append(f"{r.name} ({token}): not protected")
            if entry["handling"] == "deleteBeforeReplace" and not r.delete_before_replace:
                unguarded.append(f"{r.name} ({token}): not deleteBeforeReplace")
    assert not unguarded, "\n".join(unguarded)


@pytest.mark.parametrize("stack", STACKS)
def test_inputs_the_program_ignores_are_the_ones_the_table_lists(plans, stack):
    """A verdict of "ignored after create" holds only while the component really sets ignore_changes."""
    wrong = []
    for r in plans(stack).resources:
        if not r.custom:
            continue
        listed = set(replacements.types()[r.type].get("ignoredByProgram", {}))
        if set(r.ignore_changes) != listed:
            wrong.append(f"{r.name} ({r.type}): ignore_changes {sorted(r.ignore_changes)}, table {sorted(listed)}")
    assert not wrong, "\n".join(wrong)


def test_rotated_types_are_replaced_only_by_their_rotation_key():
    stack_keys = replacements.table()["stackKeys"]
    for token, entry in replacements.types().items():
        if entry["handling"] != "rotation":
            continue
        replacing = {
            key
            for key, spec in stack_keys.items()
            for target in spec["targets"]
            if replacements.split_target(target)[0] == token and replacements.split_target(target)[1] in entry["replaceOn"]
        }
        assert replacing == set(entry["rotationKeys"]), token


def _field_model(annotation):
    """The StackModel a field holds, through Optional, list and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _field_model(arg)
        if found is not None:
            return found
    return None


def _resolves(path: str) -> bool:
    model: type[BaseModel] | None = StackConfig
    for part in path.replace("[]", "").split("."):
        if model is None:
            return False
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        if part not in fields:
            return False
        model = _field_model(fields[part].annotation)
    return True


def test_mapped_keys_exist_in_the_stack_file_model_and_cover_every_section():
    keys = replacements.table()["stackKeys"]
    unknown = [k for k in keys if not _resolves(k)]
    assert not unknown, f"stackKeys not in the stackconfig models: {unknown}"
    sections = {f.alias or n for n, f in StackConfig.model_fields.items()}
    assert sections <= set(keys), f"top-level sections with no entry: {sorted(sections - set(keys))}"


def test_mapped_targets_are_inputs_the_program_sets(plans):
    set_inputs = {(r.type, name) for stack in STACKS for r in plans(stack).resources for name in r.inputs}
    stale = [
        t
        for spec in replacements.table()["stackKeys"].values()
        for t in spec["targets"]
        if replacements.split_target(t) not in set_inputs
    ]
    assert not stale, f"stackKeys targets no shipped plan sets: {stale}"


def test_every_replace_forcing_input_the_program_sets_is_accounted_for(plans):
    mapped = {replacements.split_target(t) for spec in replacements.table()["stackKeys"].values() for t in spec["targets"]}
    unaccounted = set()
    for stack in STACKS:
        for r in plans(stack).resources:
            entry = replacements.types().get(r.type)
            for name in r.inputs:
                forced = entry is not None and name in entry["replaceOn"]
                if forced and (r.type, name) not in mapped and not replacements.set_by_program(r.type, name):
                    unaccounted.add(f"{r.type}.{name}")
    assert not unaccounted, f"replace-forcing inputs from neither a stack key nor the code list: {sorted(unaccounted)}"


def _documented_verdicts() -> dict[str, str]:
    rows = re.findall(r"^\| `([^`]+)` \| \*\*([a-z ]+)\*\* \|", CHANGES.read_text(), flags=re.MULTILINE)
    return dict(rows)


def test_changes_doc_gives_each_key_the_verdict_the_table_implies():
    documented = _documented_verdicts()
    keys = replacements.table()["stackKeys"]
    assert set(documented) == set(keys), (
        f"only in docs/changes.md: {sorted(set(documented) - set(keys))}; "
        f"only in the table: {sorted(set(keys) - set(documented))}"
    )
    wrong = {k: (v, replacements.key_verdict(k)) for k, v in documented.items() if v != replacements.key_verdict(k)}
    assert not wrong, f"docs/changes.md verdict differs from the table (doc, table): {wrong}"


def test_changes_doc_names_the_provider_versions():
    text = CHANGES.read_text()
    for provider in replacements.table()["providers"].values():
        assert provider["pulumiVersion"] in text and provider["terraformVersion"] in text


@pytest.mark.parametrize("stack", STACKS)
def test_types_the_table_replaces_delete_first_are_registered_delete_first(plans, stack):
    """A "delete then create" verdict holds only while the component really sets delete_before_replace,
    and an input the table lists as replacing where the provider would update is in replace_on_changes."""
    wrong = []
    for r in plans(stack).resources:
        entry = replacements.types().get(r.type) or {}
        if entry.get("deleteBeforeReplace") and not r.delete_before_replace:
            wrong.append(f"{r.name} ({r.type}): not delete_before_replace")
    users = plans(stack).of_type("mongodbatlas:index/databaseUser:DatabaseUser")
    assert users and all(u.replace_on_changes == ["authDatabaseName"] for u in users)
    assert not wrong, "\n".join(wrong)
