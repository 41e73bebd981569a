"""The "omitted is not off" table (tools/omitted.json) against every plan the program makes.

For every input the program sets, the table records from the provider source what leaving it out does
on the next update (clears, kept, default, replaces, required). An input the provider keeps when it is
left out must be in every plan that has its resource, or turned off another way the table names
(`offVia`), or ignored by the program after create: otherwise turning a feature off by deleting a key
would leave Atlas as it was. Plans: every fixture stack and every variant of tests/transitions.py (each
planned once per session, shared with tests/test_transitions.py).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import STACKS
from tests.transitions import VARIANTS
from tools import replacements
from tools.hazards import kept_inputs_left_out, omitted_table

TABLE = Path(__file__).resolve().parent.parent / "tools" / "omitted.json"
VERDICTS = {"clears", "kept", "default", "replaces", "required"}
SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"


@pytest.fixture(scope="module")
def every_plan(plans, variant_plans):
    return [plans(s) for s in STACKS] + [variant_plans(v) for v in VARIANTS]


def test_every_input_any_plan_sets_has_an_entry(every_plan):
    table = omitted_table()
    missing = sorted(
        {f"{r.type}.{name}" for plan in every_plan for r in plan.resources if r.custom for name in r.inputs}
        - {f"{token}.{name}" for token, entry in table.items() for name in entry["inputs"]}
    )
    assert not missing, f"inputs with no entry in tools/omitted.json: {missing}"


def test_every_kept_input_is_sent_in_every_plan_or_turned_off_explicitly(every_plan):
    """A resource that gets a kept-when-omitted input in one variant gets it in every variant that has it."""
    problems = kept_inputs_left_out(every_plan)
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_schedule_that_turns_exports_off_by_leaving_the_flag_out(plans):
    exporting = plans("prod")
    left_out = copy.deepcopy(exporting)
    (schedule,) = left_out.of_type(SCHEDULE)
    del schedule.inputs["autoExportEnabled"], schedule.inputs["export"]
    # Both: `export` is turned off through autoExportEnabled, which is gone too.
    assert kept_inputs_left_out([exporting, left_out]) == [
        f"prod: {schedule.name} ({SCHEDULE}) leaves out {name}" for name in ("autoExportEnabled", "export")
    ]


def test_each_entry_has_a_verdict_a_reason_and_its_source():
    raw = json.loads(TABLE.read_text())
    assert raw["about"].strip()
    types = replacements.types()
    for token, entry in raw["types"].items():
        assert entry["source"] == types[token]["source"], token
        for name, spec in entry["inputs"].items():
            assert spec["omitted"] in VERDICTS and spec["why"].strip() and spec["terraform"], (token, name)
            via = spec.get("offVia")
            if via and "input" in via:
                target = raw["types"][via.get("resource", token)]["inputs"]
                assert via["input"] in target, (token, name, via)


def test_replacing_inputs_agree_with_the_replacement_table():
    for token, entry in omitted_table().items():
        replace_on = replacements.types()[token]["replaceOn"]
        for name, spec in entry["inputs"].items():
            if spec["omitted"] == "replaces":
                assert name in replace_on, f"{token}.{name}: replaces when omitted, but tools/replacements.json does not list it"
