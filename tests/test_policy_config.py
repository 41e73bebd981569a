"""The pack fails closed on its own config: a production stack without its policy config is refused,
and so is a setting no policy reads. Through the pack's real gRPC Analyzer interface."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from policies.rules import types as t
from tests.harness.policy import Finding, PolicyConfigError, PolicyPackServer, Report, check_policies, reconcile_config
from tests.harness.runner import Plan
from tests.policy_support import GOOD_CLUSTER, PRODUCTION_SETTINGS, resource

REGIONS = "atlas-cluster-allowed-regions"
TIER = "atlas-prod-cluster-min-tier"


def cluster(stack: str) -> list:
    return [resource(t.ADVANCED_CLUSTER, "c", GOOD_CLUSTER, stack=stack)]


def on_the_cluster(report: Report) -> list[Finding]:
    """The mandatory findings on the cluster (a lone cluster also draws production's stack rules: no endpoint...)."""
    return [f for f in report.mandatory if f.resource_name == "c"]


def test_a_production_stack_without_its_policy_config_is_refused_naming_the_file_and_its_settings():
    # `prod-eu` is production because its stack config says so, as the engine passes it (PULUMI_CONFIG).
    said = {"atlas-platform:environment": "prod-eu", "atlas-platform:production": "true"}
    with PolicyPackServer(stack_config=said) as pack:
        report = pack.check("prod-eu", cluster("prod-eu"), policy_config={})
    assert sorted(f.policy for f in on_the_cluster(report)) == [REGIONS, TIER]
    for finding in on_the_cluster(report):
        assert "this production stack's policy config gives no" in finding.message
        assert "Create policies/config/prod-eu.json (CI passes it with --policy-pack-config)" in finding.message
        assert '"allowedRegions": ["aws:<region>", ...]' in finding.message and '"minTier": "M30"' in finding.message


def test_a_production_policy_config_without_a_region_list_is_refused(policy_pack: PolicyPackServer):
    empty = {**PRODUCTION_SETTINGS, REGIONS: {"allowedRegions": []}}
    report = policy_pack.check("prod", cluster("prod"), policy_config=empty)
    (finding,) = on_the_cluster(report)
    assert finding.policy == REGIONS and "gives an empty allowedRegions" in finding.message


def test_with_its_policy_config_a_production_stack_passes(policy_pack: PolicyPackServer):
    assert on_the_cluster(policy_pack.check("prod-eu", cluster("prod-eu"), policy_config=PRODUCTION_SETTINGS)) == []


def test_a_non_production_stack_needs_no_policy_config(policy_pack: PolicyPackServer):
    report = policy_pack.check("uat", cluster("uat"), policy_config={})
    assert report.mandatory == []
    assert dict(report.not_applicable)[TIER].startswith("non-production stack")


def test_the_planned_production_stack_without_its_policy_config_is_refused(
    policy_pack: PolicyPackServer, plans: Callable[[str], Plan]
):
    report = policy_pack.check_plan(plans("prod"), policy_config={})
    assert {REGIONS, TIER} <= report.policies("mandatory")
    assert all("policies/config/prod.json" in f.message for f in report.mandatory if f.policy in (REGIONS, TIER))


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_a_misspelt_setting_is_refused_with_the_one_meant(policy_pack: PolicyPackServer, stack: str):
    # Pulumi accepts it (a policy's schema allows other keys) and passes it on: the pack refuses it.
    typo = {**PRODUCTION_SETTINGS, REGIONS: {"allowedRegion": ["aws:eu-central-1"], "allowedRegions": ["aws:us-east-1"]}}
    reconcile_config(policy_pack.info, typo)
    report = policy_pack.check(stack, cluster(stack), policy_config=typo)
    (finding,) = [f for f in report.mandatory if "allowedRegion'" in f.message]
    assert finding.policy == REGIONS
    assert "did you mean 'allowedRegions'?" in finding.message
    assert f"policies/config/{stack}.json" in finding.message


def test_a_setting_given_to_a_policy_that_reads_none_is_refused(policy_pack: PolicyPackServer):
    report = policy_pack.check("staging", cluster("staging"), policy_config={"atlas-cluster-min-tls12": {"minTier": "M30"}})
    (finding,) = report.mandatory
    assert finding.policy == "atlas-cluster-min-tls12" and "it reads no settings" in finding.message


def test_a_misspelt_policy_name_is_refused_with_the_one_meant(policy_pack: PolicyPackServer):
    with pytest.raises(
        PolicyConfigError,
        match=r"'atlas-cluster-allowed-region' is not a policy of this pack \(did you mean 'atlas-cluster-allowed-regions'\?\)",
    ):
        policy_pack.check("staging", cluster("staging"), policy_config={"atlas-cluster-allowed-region": {"allowedRegions": []}})
    # `all` sets every policy's level: it is not a policy name, and not refused.
    assert policy_pack.check("staging", cluster("staging"), policy_config={"all": "advisory"}).mandatory == []


def test_the_offline_preview_names_the_misspelt_policy_in_its_config_file(
    policy_pack: PolicyPackServer, plans: Callable[[str], Plan], tmp_path: Path
):
    (tmp_path / "staging.json").write_text(json.dumps({"atlas-user-no-broad-role": {"exceptions": []}}))
    lines, code = check_policies(dataclasses.replace(plans("staging"), policy_config_dir=tmp_path), policy_pack)
    assert code == 1
    assert lines == [
        f"Policies: {tmp_path / 'staging.json'}: policy pack configuration is invalid: 'atlas-user-no-broad-role' is not "
        "a policy of this pack (did you mean 'atlas-user-no-broad-roles'?); a misspelt policy name leaves that policy "
        "at its defaults. Nothing was checked."
    ]
