"""ProdProject under mocks: what the engine receives for each stack file."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS, fixture_file, key, load_stack

PROJECT = "mongodbatlas:index/project:Project"
TEAM = "mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment"
IDP = "mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping"
COMPONENT = "atlas-platform:index:ProdProject"


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_creates_exactly_one_project_named_for_its_environment(plans, stack):
    # The stack name need not be the environment (`orders-staging` holds environment staging).
    plan, cfg = plans(stack), load_stack(stack)
    project = plan.one(PROJECT)
    assert project.inputs["name"] == (cfg.project_name or f"{cfg.app}-{cfg.environment}")
    assert project.inputs["tags"]["environment"] == cfg.environment
    assert project.inputs["tags"]["application"] == cfg.app
    assert project.inputs["tags"]["managed-by"] == "pulumi"
    assert plan.exports["projectName"] == project.inputs["name"]


def test_project_names_differ_between_stacks(plans):
    names = [plans(s).one(PROJECT).inputs["name"] for s in STACKS]
    assert len(set(names)) == len(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_lives_inside_a_component(plans, stack):
    plan = plans(stack)
    components = {r.urn for r in plan.resources if not r.custom}
    assert components, "the program registered no component"
    for resource in plan.resources:
        if resource.custom:
            assert resource.parent in components, f"{resource.name} is not parented to a component"


def test_prod_project_is_protected_and_staging_is_not(plans):
    assert plans("prod").one(PROJECT).protect is True
    assert plans("staging").one(PROJECT).protect is False


def test_prod_turns_data_explorer_off_by_default(plans):
    assert plans("prod").one(PROJECT).inputs["isDataExplorerEnabled"] is False
    assert plans("staging").one(PROJECT).inputs["isDataExplorerEnabled"] is True
    assert plans("prod").one(PROJECT).inputs["isDataExplorerGenAiSampleDocumentPassingEnabled"] is False


def test_teams_are_assigned_with_their_roles_through_team_project_assignment(plans):
    plan = plans("prod")
    project = plan.one(PROJECT)
    assignments = {r.inputs["teamId"]: r for r in plan.of_type(TEAM)}
    assert sorted(assignments) == ["5f0000000000000000000b01", "5f0000000000000000000b02", "5f0000000000000000000b03"]
    assert assignments["5f0000000000000000000b02"].inputs["roleNames"] == ["GROUP_READ_ONLY"]
    for assignment in assignments.values():
        assert assignment.inputs["projectId"] == project.id
        assert project.urn in assignment.dependencies
    # The deprecated Project.teams is never set: managing both flips assignments on each update.
    assert "teams" not in project.inputs


def test_no_team_or_group_owns_prod(plans):
    plan = plans("prod")
    roles = [role for r in plan.of_type(TEAM) for role in r.inputs["roleNames"]]
    roles += [role for r in plan.of_type(IDP) for a in r.inputs["roleAssignments"] for role in a["roles"]]
    assert roles and "GROUP_OWNER" not in roles


def test_idp_groups_map_to_project_roles_with_org_membership_only(plans):
    plan = plans("prod")
    project = plan.one(PROJECT)
    mappings = {r.inputs["externalGroupName"]: r for r in plan.of_type(IDP)}
    assert sorted(mappings) == ["payments-prod-oncall", "payments-prod-readers"]
    oncall = mappings["payments-prod-oncall"].inputs
    assert oncall["federationSettingsId"] == "5f0000000000000000000c01"
    assert {"orgId": "5f0000000000000000000a01", "roles": ["ORG_MEMBER"]} in oncall["roleAssignments"]
    assert {"groupId": project.id, "roles": ["GROUP_CLUSTER_MANAGER"]} in oncall["roleAssignments"]


def test_no_idp_mapping_without_federation(plans):
    assert plans("dev").of_type(IDP) == []


def test_children_are_named_after_the_component(plans):
    plan = plans("prod")
    component = plan.one(COMPONENT)
    for child in plan.children(component):
        assert child.name.startswith(f"{component.name}-")


def test_reordering_teams_keeps_resource_names(plans, plan_variant):
    def reverse(config):
        config[key("teams")].reverse()

    before = {r.name: r.inputs for r in plans("prod").of_type(TEAM)}
    after = {r.name: r.inputs for r in plan_variant("prod", reverse).of_type(TEAM)}
    assert before == after


def test_project_name_can_be_overridden(plan_variant):
    plan = plan_variant("staging", lambda c: c.__setitem__(key("projectName"), "payments-stage-eu"))
    assert plan.one(PROJECT).inputs["name"] == "payments-stage-eu"


def test_program_reads_config_the_way_the_language_host_passes_it(plans):
    """Under `pulumi up` config arrives as PULUMI_CONFIG, not through set_all_config."""
    from tests.harness.runner import run_stack

    via_env = run_stack("prod", config_via_environment=True, stack_file=fixture_file("prod"))
    assert [(r.type, r.name, r.inputs) for r in sorted(via_env.resources, key=lambda r: r.urn)] == [
        (r.type, r.name, r.inputs) for r in sorted(plans("prod").resources, key=lambda r: r.urn)
    ]


# --- Atlas's default alerts vs the program's baseline ----------------------------------------

ALERT = "mongodbatlas:index/alertConfiguration:AlertConfiguration"


def _baseline_alerts(plan) -> list[str]:
    from stackconfig.operations import BASELINE_KEYS

    names = {r.name.split("-alert-", 1)[1] for r in plan.of_type(ALERT)}
    return [k for k in BASELINE_KEYS if k.lower() in names]


@pytest.mark.parametrize("stack", STACKS)
def test_atlas_default_alerts_are_off_exactly_where_the_baseline_alerts(plans, stack):
    # Any stack: with a baseline alert planned, Atlas's own defaults would notify a second time.
    plan = plans(stack)
    project = plan.one(PROJECT)
    if _baseline_alerts(plan):
        assert project.inputs["withDefaultAlertsSettings"] is False
    else:
        assert project.inputs["withDefaultAlertsSettings"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_default_alerts_setting_is_ignored_after_create(plans, stack):
    # The provider refuses to change it on an existing project (create-only plan modifier).
    assert plans(stack).one(PROJECT).ignore_changes == ["withDefaultAlertsSettings"]


def test_a_baseline_with_every_alert_off_keeps_atlas_defaults(plan_variant):
    from stackconfig.operations import BASELINE_KEYS

    def change(config):
        config[key("alerts")]["baseline"] = {k: {"enabled": False} for k in BASELINE_KEYS}

    plan = plan_variant("prod", change)
    assert _baseline_alerts(plan) == []
    assert plan.one(PROJECT).inputs["withDefaultAlertsSettings"] is True


def test_explicit_default_alerts_off_is_kept_without_a_baseline(plan_variant):
    def change(config):
        config[key("projectSettings")] = {**config.get(key("projectSettings"), {}), "defaultAlerts": False}

    plan = plan_variant("dev", change)
    assert _baseline_alerts(plan) == []
    assert plan.one(PROJECT).inputs["withDefaultAlertsSettings"] is False


def test_default_alerts_on_beside_the_baseline_is_refused(plan_variant):
    from stackconfig import ConfigError

    def change(config):
        config[key("projectSettings")] = {**config.get(key("projectSettings"), {}), "defaultAlerts": True}

    with pytest.raises(ConfigError) as caught:
        plan_variant("prod", change)
    assert len(caught.value.problems) == 1, caught.value
    message = str(caught.value)
    assert "Pulumi.prod.yaml" in message
    assert "projectSettings.defaultAlerts is true while the alert baseline is on" in message
    assert "notify twice" in message and "remove `defaultAlerts`" in message
