"""Every stack-file transition of docs/changes.md ("Transitions"): planned both ways, compared with the
`make diff` machinery, and held to the ordering hazards read from the provider source (tools/hazards.py).

A transition either plans without a hazard and with nothing refused (`one edit`), or the engine refuses
a step at preview, before anything changes (`refused`), and docs/changes.md gives the steps. Each
variant is planned once per session (`variant_plans`); the rows are data (tests/transitions.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.transitions import TRANSITIONS, VARIANTS, Transition
from tools.diff import compare
from tools.hazards import HAZARDS, Hazard, hazards

ROOT = Path(__file__).resolve().parent.parent
CHANGES = ROOT / "docs" / "changes.md"
KMS_ENDPOINT = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"


@pytest.mark.parametrize("row", TRANSITIONS, ids=lambda t: t.id)
def test_each_transition_plans_without_a_hazard_or_is_refused_before_anything_changes(variant_plans, row: Transition):
    old, new = variant_plans(row.before), variant_plans(row.after)
    changes = compare(old, new)
    assert changes, f"{row.id}: the two variants plan the same resources; the row tests nothing"
    found = hazards(old, new, changes)
    if row.outcome == "import first":
        # Only what `pulumi import` takes care of; docs/changes.md gives the commands.
        assert found and {h.kind for h in found} == {"adopt-only-created"}, found
        found = []
    assert not found, "\n".join(f"{h.kind} on {h.resource}: {h.detail} ({HAZARDS[h.kind]})" for h in found)
    blocked = [f"{c.action} {c.name}" for c in changes if c.blocked]
    if row.outcome == "refused":
        assert blocked, f"{row.id} should be refused by the engine before anything changes"
    else:
        assert not blocked, f"{row.id} is refused by the engine: {blocked}"


def test_every_variant_is_in_some_transition():
    used = {name for row in TRANSITIONS for name in (row.before, row.after)}
    assert used == set(VARIANTS)


def _documented() -> dict[str, str]:
    text = CHANGES.read_text()
    section = text[text.index("## Transitions") :]
    section = section[: section.index("\n## ", 3)] if "\n## " in section[3:] else section
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|", section, flags=re.M)
    return {f"{feature.strip()}: {direction.strip()}": outcome.strip() for feature, direction, outcome in rows}


def test_the_changes_page_lists_every_transition_with_its_outcome():
    """docs/changes.md says, per feature and direction, one edit or the steps: what the rows plan."""
    documented = _documented()
    for row in TRANSITIONS:
        assert row.label in documented, f"docs/changes.md (Transitions) has no row `| {row.feature} | {row.direction} | ... |`"
        outcome = documented[row.label]
        expected = "one edit" if row.outcome == "one edit" else "steps"
        assert expected in outcome, f"{row.label}: the page says {outcome!r}, the plan is {row.outcome} ({row.id})"


# ---- the hazard checks can fail: each fed the edit it exists for ----


def test_turning_private_networking_off_with_endpoints_is_a_hazard_without_the_guard(variant_plans):
    old, new = variant_plans("staging/kms-private"), variant_plans("staging/kms-public")
    changes = compare(old, new)
    for change in changes:
        change.blocked = False  # as if the guard were not protected
    assert [h.kind for h in hazards(old, new, changes)] == ["private-networking-off-with-endpoints"]


def test_removing_an_export_registration_in_the_run_that_stops_exporting_is_a_hazard_without_protection(variant_plans):
    old, new = variant_plans("staging/snapshot-export-on"), variant_plans("staging")
    changes = compare(old, new)
    for change in changes:
        change.blocked = False
    assert "deleted-while-exported-to" in {h.kind for h in hazards(old, new, changes)}


def test_a_cluster_not_waiting_for_a_kms_endpoint_is_a_hazard(variant_plans):
    new = variant_plans("prod/region-added")
    cluster = next(r for r in new.resources if r.type == CLUSTER)
    endpoint = next(r for r in new.resources if r.type == KMS_ENDPOINT and r.inputs["regionName"] == "US_WEST_1")
    cut = {k: [u for u in v if u != endpoint.urn] for k, v in cluster.property_dependencies.items()}
    original = cluster.property_dependencies
    try:
        cluster.property_dependencies = cut
        assert Hazard(
            "nodes-before-kms-endpoint", cluster.name, "US_WEST_1 has no KMS endpoint the cluster waits for"
        ) in hazards(variant_plans("prod"), new)
    finally:
        cluster.property_dependencies = original


def test_adding_a_region_creates_its_kms_endpoint_before_the_cluster_update(variant_plans):
    old, new = variant_plans("prod"), variant_plans("prod/region-added")
    changes = {c.name: c for c in compare(old, new)}
    endpoint = next(r for r in new.resources if r.type == KMS_ENDPOINT and r.inputs["regionName"] == "US_WEST_1")
    cluster = next(r for r in new.resources if r.type == CLUSTER)
    assert changes[endpoint.name].action == "create" and changes[cluster.name].action == "update"
    # The cluster's update waits for the create: the endpoint feeds its project id.
    assert endpoint.urn in cluster.property_dependencies["projectId"]


def test_a_sign_in_kind_change_replaces_the_user_delete_first(variant_plans):
    changes = compare(variant_plans("staging"), variant_plans("staging/user-dba-x509"))
    (user,) = [c for c in changes if c.type == "mongodbatlas:index/databaseUser:DatabaseUser"]
    assert user.action == "delete then create" and "authDatabaseName forces a replacement" in user.why


def test_make_diff_prints_the_steps_for_a_refused_transition_and_the_hazards(variant_plans):
    from tools.diff import render_changes

    old, new = variant_plans("staging/kms-private"), variant_plans("staging/kms-public")
    text = render_changes(compare(old, new), "title")
    assert "[blocked: protected]" in text and "steps: Atlas refuses to stop requiring private networking" in text
    changes = compare(old, new)
    for change in changes:
        change.blocked = False
    found = hazards(old, new, changes)
    assert "private-networking-off-with-endpoints" in render_changes(changes, "title", found)
