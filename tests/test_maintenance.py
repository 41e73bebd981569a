"""Maintenance that never starts in business hours: protected hours and auto-defer on the MaintenanceWindow.

Plan assertions read what to expect from each stack's own validated config, so they hold for any stack.
"""

from __future__ import annotations

from typing import Any

import pytest

from stackconfig import StackConfig
from stackconfig.cluster import ProtectedHours
from tests.conftest import STACKS, key, load_stack
from tests.conftest import load_changed as load
from tests.conftest import one_refusal as refusal

MAINTENANCE = "mongodbatlas:index/maintenanceWindow:MaintenanceWindow"
CLUSTER_STACKS = [s for s in STACKS if load_stack(s).cluster is not None]


def window(config: dict[str, Any]) -> dict[str, Any]:
    return config[key("cluster")].setdefault("maintenanceWindow", {})


def assert_plan_matches_config(plan, cfg: StackConfig) -> None:
    assert cfg.cluster is not None
    config = cfg.cluster.maintenance_window
    inputs = plan.one(MAINTENANCE).inputs
    assert (inputs["dayOfWeek"], inputs["hourOfDay"]) == (config.atlas_day_of_week, config.hour)
    # The idempotent flag only: `autoDefer` toggles on every change and drifts.
    assert inputs["autoDeferOnceEnabled"] is config.auto_defer
    assert "autoDefer" not in inputs
    protected = config.protected_hours
    if protected is None:
        assert "protectedHours" not in inputs
    else:
        assert inputs["protectedHours"] == {"startHourOfDay": protected.start_hour, "endHourOfDay": protected.end_hour}
        assert not protected.covers(inputs["hourOfDay"])


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_each_stack_plans_the_maintenance_window_its_config_asks_for(plans, stack):
    assert_plan_matches_config(plans(stack), load_stack(stack))


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_protected_hours_and_auto_defer_reach_the_maintenance_window(plan_variant, stack):
    def business_hours(config: dict[str, Any]) -> None:
        window(config).update(hour=2, autoDefer=True, protectedHours={"startHour": 7, "endHour": 19})

    plan = plan_variant(stack, business_hours)
    cfg = load(stack, business_hours)
    assert_plan_matches_config(plan, cfg)
    assert plan.one(MAINTENANCE).inputs["protectedHours"] == {"startHourOfDay": 7, "endHourOfDay": 19}
    assert plan.one(MAINTENANCE).inputs["autoDeferOnceEnabled"] is True


@pytest.mark.parametrize(
    ("start", "end", "inside", "outside"),
    [
        (9, 17, [9, 12, 16], [17, 23, 0, 8]),
        # Below startHour, the protected hours wrap past midnight.
        (22, 6, [22, 23, 0, 5], [6, 12, 21]),
    ],
)
def test_protected_hours_cover_from_start_up_to_end(start, end, inside, outside):
    hours = ProtectedHours.model_validate({"startHour": start, "endHour": end})
    assert all(hours.covers(h) for h in inside)
    assert not any(hours.covers(h) for h in outside)
    assert not hours.covers(hours.quietest_hour)
    assert sum(hours.covers(h) for h in range(24)) == (end - start) % 24


# ---- refusals: one clean error naming the file, key path, value and fix ----


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
@pytest.mark.parametrize(("hour", "start", "end", "fix"), [(10, 8, 20, 2), (23, 22, 6, 14), (8, 8, 20, 2)])
def test_a_window_inside_the_protected_hours_is_refused(stack, hour, start, end, fix):
    message = refusal(stack, lambda c: window(c).update(hour=hour, protectedHours={"startHour": start, "endHour": end}))
    assert (
        f"Pulumi.{stack}.yaml: atlas-platform:cluster.maintenanceWindow: hour {hour} lies inside protectedHours {start}-{end}"
        in message
    )
    assert f"e.g. hour: {fix}" in message


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_protected_hours_that_start_and_end_at_the_same_hour_are_refused(stack):
    message = refusal(stack, lambda c: window(c).update(hour=3, protectedHours={"startHour": 9, "endHour": 9}))
    assert (
        f"Pulumi.{stack}.yaml: atlas-platform:cluster.maintenanceWindow.protectedHours: startHour and endHour are both 9"
        in message
    )
    assert "e.g. startHour: 8, endHour: 20" in message


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_a_protected_hour_outside_the_day_is_refused(stack):
    message = refusal(stack, lambda c: window(c).update(hour=3, protectedHours={"startHour": 8, "endHour": 24}))
    assert "cluster.maintenanceWindow.protectedHours.endHour: Input should be less than or equal to 23" in message


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_protected_hours_need_both_ends(stack):
    message = refusal(stack, lambda c: window(c).update(hour=3, protectedHours={"startHour": 8}))
    assert "cluster.maintenanceWindow.protectedHours.endHour: " in message


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_a_misspelt_protected_hours_key_is_refused_with_a_hint(stack):
    message = refusal(stack, lambda c: window(c).update(protectedHour={"startHour": 8, "endHour": 20}))
    assert "cluster.maintenanceWindow.protectedHour: unknown key; did you mean 'protectedHours'?" in message
