"""Data stays in its region: every data-holding AWS resource in the stack's stated region (issue 20).

`atlas-platform:awsRegion`, default the cluster's primary region, decides where the Secrets Manager
secrets, their KMS key and the export buckets with their keys live, whatever `aws:region` (the AWS
provider's default) says; the preview and the access report show each AWS resource's region.
"""

from __future__ import annotations

from typing import Any

import pytest

from stackconfig import StackConfig
from tests.conftest import STACKS, key, load_changed, load_stack, one_refusal
from tests.harness.runner import Plan
from tests.test_reorder import differences
from tools.access_report import render_report
from tools.preview import render_plan
from tools.regions import DATA_TYPES, GLOBAL, aws_region, outside_the_cluster

# Components whose AWS resources are in regions of their own: PrivateLink in each endpoint's region,
# the cluster's KMS key in `cluster.encryption.keyRegion` (default the cluster's primary region).
OWN_REGIONS = ("atlas-platform:index:PrivateEndpoint", "atlas-platform:index:AtlasKmsEncryption")


def data_regions(plan: Plan) -> dict[str, str]:
    """Name -> region of every AWS resource outside PrivateLink and the cluster's encryption, IAM left out."""
    return {
        r.name: str(aws_region(r))
        for r in plan.resources
        if r.type.startswith("aws:") and aws_region(r) != GLOBAL and not any(c in r.parent for c in OWN_REGIONS)
    }


def to_frankfurt(config: dict[str, Any]) -> None:
    """Staging's cluster and endpoint in eu-central-1, snapshot export on; `aws:region` stays us-east-1."""
    config[key("cluster")]["regions"][0]["region"] = "eu-central-1"
    config[key("network")]["privateEndpoints"][0]["region"] = "eu-central-1"
    config[key("snapshotExport")] = {"enabled": True}
    assert config["aws:region"] == "us-east-1"


@pytest.fixture(scope="module")
def eu_plan() -> Plan:
    from tests.conftest import stack_config
    from tests.harness.runner import run_stack

    config = stack_config("staging")
    to_frankfurt(config)
    return run_stack("staging", config=config)


def test_an_eu_cluster_keeps_secrets_keys_and_buckets_in_its_region_whatever_aws_region_says(eu_plan):
    regions = data_regions(eu_plan)
    kinds = {r.type for r in eu_plan.resources if r.name in regions}
    # Secrets and their versions, the secrets key and alias, both buckets with their keys and settings.
    assert set(DATA_TYPES) <= kinds and "aws:s3/bucketPolicy:BucketPolicy" in kinds
    # The log and snapshot export buckets (and any bucket added beside them).
    assert len(eu_plan.of_type("aws:s3/bucket:Bucket")) >= 2
    assert set(regions.values()) == {"eu-central-1"}, regions
    assert outside_the_cluster(eu_plan) == []


def test_every_regional_aws_resource_of_every_fixture_states_its_region(plans):
    """Including any added later (an access-log bucket in HardenedBucket): none falls back to `aws:region`."""
    for stack in STACKS:
        cfg, plan = load_stack(stack), plans(stack)
        regions = data_regions(plan)
        # A resource without `region` shows as "aws:region (not stated)" and fails here.
        assert regions and set(regions.values()) == {cfg.data_region}, (stack, regions)


def test_aws_region_overrides_the_cluster_region_and_the_cluster_key_stays_with_the_cluster(plan_variant):
    plan = plan_variant("prod", lambda c: c.__setitem__(key("awsRegion"), "us-west-2"))
    assert set(data_regions(plan).values()) == {"us-west-2"}
    # The cluster's own key follows cluster.encryption.keyRegion (default: the cluster's primary region).
    (cluster_key,) = [r for r in plan.of_type("aws:kms/key:Key") if "AtlasKmsEncryption" in r.parent]
    assert cluster_key.inputs["region"] == "us-east-1"


def test_stating_the_region_the_resources_already_have_changes_nothing(plans, plan_variant):
    assert differences(plans("prod"), plan_variant("prod", lambda c: c.__setitem__(key("awsRegion"), "us-east-1"))) == []


def test_data_in_a_region_without_the_cluster_shows_in_the_preview_and_the_access_report(eu_plan, plan_variant):
    assert "DATA OUTSIDE" not in render_plan(eu_plan)

    def us_data(config: dict[str, Any]) -> None:
        to_frankfurt(config)
        config[key("awsRegion")] = "us-east-1"

    plan = plan_variant("staging", us_data)
    preview = render_plan(plan)
    assert "DATA OUTSIDE THE CLUSTER'S REGIONS" in preview
    assert "payments-staging-user-api-secret  @us-east-1" in preview
    assert "cluster nodes: eu-central-1" in preview
    report = render_report(plan)
    assert "| payments-staging-user-api-secret | Secrets Manager secret | us-east-1 | **no** |" in report
    assert "| payments-staging-user-api-secret | Secrets Manager secret | eu-central-1 | yes |" in render_report(eu_plan)


@pytest.mark.parametrize(
    "value, hint",
    [("us-east1", "did you mean 'us-east-1'?"), ("US_EAST_1", "did you mean 'us-east-1'?"), ("frankfurt", "e.g. us-east-1")],
)
def test_an_aws_region_that_is_no_aws_region_name_is_refused(value, hint):
    message = one_refusal("prod", lambda c: c.__setitem__("aws:region", value))
    assert f"aws:region: {value!r} is not an AWS region name" in message
    assert hint in message


def test_an_unknown_aws_region_key_value_is_refused_with_the_atlas_form_hint():
    message = one_refusal("prod", lambda c: c.__setitem__(key("awsRegion"), "EU_CENTRAL_1"))
    assert "atlas-platform:awsRegion" in message and "write the AWS form 'eu-central-1'" in message


def _without_cluster(**settings: Any) -> Any:
    def change(config: dict[str, Any]) -> None:
        config.pop(key("cluster"))
        for name, value in settings.items():
            if value is None:
                config.pop(name)
            else:
                config[name] = value

    return change


def test_a_stack_without_cluster_keeps_its_data_in_aws_region_or_states_one():
    cfg: StackConfig = load_changed("dev", _without_cluster())
    assert cfg.data_region == "us-east-1"
    assert load_changed("dev", _without_cluster(**{key("awsRegion"): "eu-west-1"})).data_region == "eu-west-1"
    message = one_refusal("dev", _without_cluster(**{"aws:region": None}))
    assert "atlas-platform:awsRegion: this stack keeps data in AWS" in message


def test_an_existing_key_outside_the_data_region_is_refused():
    eu_key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    message = one_refusal("prod", lambda c: c.__setitem__(key("secretsKmsKeyArn"), eu_key))
    assert "secretsKmsKeyArn" in message and "is a key in eu-west-1, but this stack keeps its AWS data in us-east-1" in message
    message = one_refusal("prod", lambda c: c[key("logExport")].__setitem__("kmsKeyArn", eu_key))
    assert "atlas-platform:logExport" in message and "S3 uses only a key of its own region" in message


def _as_before_regions_were_stated(plan: Plan) -> Plan:
    """The plan as the program made it before it stated regions: no `region` outside PrivateLink and the cluster's key."""
    import dataclasses

    def unstated(r: Any) -> Any:
        if r.type.startswith("aws:") and not any(c in r.parent for c in OWN_REGIONS):
            return dataclasses.replace(r, inputs={k: v for k, v in r.inputs.items() if k != "region"})
        return r

    return dataclasses.replace(plan, resources=[unstated(r) for r in plan.resources])


def test_make_diff_reads_a_newly_stated_provider_region_as_no_change_and_another_as_replacements(plans):
    from tools.diff import compare

    now = plans("prod")
    before = _as_before_regions_were_stated(now)
    assert compare(before, now, provider_region="us-east-1") == []
    moved = compare(before, now, provider_region="eu-west-1")
    secrets = [c for c in moved if c.type == "aws:secretsmanager/secret:Secret"]
    assert secrets and all(c.action == "replace" and c.blocked for c in secrets)
