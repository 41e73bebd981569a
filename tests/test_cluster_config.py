"""The cluster section of the stack file: each kind of bad input ends in one clean ConfigError with key path and fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from atlas_platform.components.facts import ATLAS_AWS_REGIONS, atlas_region_name, aws_region_name
from stackconfig import ConfigError, StackConfig
from tests.conftest import key, load_stack, stack_config

CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
COMPLIANCE = {"authorizedEmail": "security@example.com", "authorizedFirstName": "Dana", "authorizedLastName": "Reyes"}


def load(stack: str, change: Callable[[dict[str, Any]], None]) -> StackConfig:
    """Validate an edited stack file exactly as the program does, without running the program."""
    config = stack_config(stack)
    change(config)
    return load_stack(stack, config)


def cluster(config: dict[str, Any]) -> dict[str, Any]:
    return config[key("cluster")]


def test_prod_tier_m0_ends_the_program_with_a_clean_error(plan_variant):
    with pytest.raises(ConfigError) as error:
        plan_variant("prod", lambda c: cluster(c).update(tier="M0"))
    message = str(error.value)
    assert "Pulumi.prod.yaml: atlas-platform:cluster.tier: production refuses the shared/flex tier 'M0'" in message
    assert "write M10 or larger" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("tier", ["M2", "M5", "FLEX", "flex"])
def test_prod_refuses_every_shared_and_flex_tier(tier):
    with pytest.raises(ConfigError, match=r"cluster\.tier: production refuses the shared/flex tier"):
        load("prod", lambda c: cluster(c).update(tier=tier))


def test_staging_refuses_shared_tiers_with_the_smallest_dedicated_one_as_fix():
    with pytest.raises(ConfigError, match=r"cluster\.tier: 'M0' is a shared/flex tier; .* write M10"):
        load("staging", lambda c: cluster(c).update(tier="M0"))


# (stack, change, what the message must say: `<key path>: <problem and fix>`)
BAD_INPUTS: dict[str, tuple[str, Callable[[dict[str, Any]], Any], str]] = {
    "unknown tier": (
        "prod",
        lambda c: cluster(c).update(tier="M35"),
        "cluster.tier: 'M35' is not an Atlas AWS tier; did you mean",
    ),
    "unknown region lists valid ones": (
        "prod",
        lambda c: cluster(c)["regions"][0].update(region="us-east-9"),
        "cluster.regions[0].region: 'us-east-9' is not an AWS region Atlas supports; did you mean 'us-east-2'? write one of: us-gov-west-1,",
    ),
    "atlas form region points to aws form": (
        "prod",
        lambda c: cluster(c)["regions"][0].update(region="US_EAST_1"),
        "cluster.regions[0].region: 'US_EAST_1' is not an AWS region Atlas supports; write one of: us-gov-west-1, us-gov-east-1, us-east-1,",
    ),
    "duplicate region": (
        "prod",
        lambda c: cluster(c)["regions"][1].update(region="us-east-1"),
        "cluster.regions: region 'us-east-1' appears at [0] and [1]; keep one entry",
    ),
    "even electable total": (
        "staging",
        lambda c: cluster(c)["regions"][0].update(electableNodes=4),
        "cluster.regions: the regions hold 4 electable nodes in total; Atlas needs an odd number of at least 3",
    ),
    "fewer than three electable": (
        "staging",
        lambda c: cluster(c)["regions"][0].update(electableNodes=1),
        "cluster.regions: the regions hold 1 electable nodes in total; Atlas needs an odd number of at least 3",
    ),
    "priorities not contiguous": (
        "prod",
        lambda c: cluster(c)["regions"][1].update(priority=5),
        "cluster.regions: electable regions have priorities [7, 5, 5]; Atlas needs [7, 6, 5]",
    ),
    "electable region with priority zero": (
        "prod",
        lambda c: cluster(c)["regions"][2].update(priority=0),
        "cluster.regions[2]: region 'us-west-2' has electable nodes but priority 0; give it a priority from 1 to 7",
    ),
    "read-only region with a priority": (
        "prod",
        lambda c: cluster(c)["regions"].append({"region": "eu-west-1", "priority": 4, "electableNodes": 0, "readOnlyNodes": 1}),
        "cluster.regions[3]: region 'eu-west-1' has no electable nodes, so Atlas requires priority 0 (got 4); write priority: 0",
    ),
    "priority above seven": (
        "prod",
        lambda c: cluster(c)["regions"][0].update(priority=8),
        "cluster.regions[0].priority: Input should be less than or equal to 7",
    ),
    "end-of-life version": (
        "prod",
        lambda c: cluster(c).update(mongoDbMajorVersion="6.0"),
        "cluster.mongoDbMajorVersion: '6.0' is not a MongoDB major version Atlas deploys; did you mean '8.0'? write one of: 7.0, 8.0",
    ),
    "version not pinned": (
        "prod",
        lambda c: cluster(c).pop("mongoDbMajorVersion"),
        "cluster.mongoDbMajorVersion: required key is missing; add it (MongoDB major version, pinned",
    ),
    "short restore window in prod": (
        "prod",
        lambda c: cluster(c)["backup"].update(restoreWindowDays=3),
        "cluster.backup.restoreWindowDays: restoreWindowDays 3 is below production's minimum of 7; write 7 or more",
    ),
    "backups off in prod": (
        "prod",
        lambda c: cluster(c)["backup"].update(enabled=False),
        "cluster.backup.enabled: production refuses enabled: false",
    ),
    "point in time off in prod": (
        "prod",
        lambda c: cluster(c)["backup"].update(pointInTime=False),
        "cluster.backup.pointInTime: production refuses pointInTime: false",
    ),
    "termination protection off in prod": (
        "prod",
        lambda c: cluster(c).update(terminationProtection=False),
        "cluster.terminationProtection: production refuses terminationProtection: false; see docs/cluster.md",
    ),
    "unsupported hourly frequency": (
        "prod",
        lambda c: cluster(c)["backup"]["hourly"].update(everyHours=3),
        "cluster.backup.hourly.everyHours: Input should be 1, 2, 4, 6, 8 or 12",
    ),
    "daily kept shorter than hourly": (
        "prod",
        lambda c: cluster(c)["backup"]["daily"].update(retainDays=3),
        "cluster.backup: daily.retainDays 3 is shorter than hourly.retainDays 7",
    ),
    "weekly kept shorter than daily": (
        "prod",
        lambda c: cluster(c)["backup"]["weekly"].update(retainWeeks=1),
        "cluster.backup: weekly.retainWeeks 1 (7 days) is shorter than daily.retainDays 14",
    ),
    "monthly day missing in february": (
        "prod",
        lambda c: cluster(c)["backup"]["monthly"].update(day=31),
        "cluster.backup.monthly.day: monthly snapshot day 31 does not exist in every month; write 1-28, or 40",
    ),
    "copy to the preferred region": (
        "prod",
        lambda c: cluster(c)["backup"]["copies"][0].update(region="us-east-1"),
        "cluster: backup.copies region 'us-east-1' is the cluster's preferred region",
    ),
    "restore window without point in time": (
        "staging",
        lambda c: cluster(c)["backup"].update(restoreWindowDays=3),
        "cluster.backup: restoreWindowDays only applies with pointInTime: true",
    ),
    "compliance policy outside prod": (
        "staging",
        lambda c: cluster(c)["backup"].update(compliancePolicy=COMPLIANCE),
        "cluster.backup: compliancePolicy is for production only",
    ),
    "compliance window beyond hourly retention": (
        "prod",
        lambda c: cluster(c)["backup"].update(compliancePolicy=COMPLIANCE, restoreWindowDays=10),
        "cluster.backup: with compliancePolicy, restoreWindowDays 10 can't exceed hourly.retainDays 7",
    ),
    "compliance contact email": (
        "prod",
        lambda c: cluster(c)["backup"].update(compliancePolicy={**COMPLIANCE, "authorizedEmail": "security"}),
        "cluster.backup.compliancePolicy.authorizedEmail: 'security' is not an email address",
    ),
    "alias instead of key arn": (
        "prod",
        lambda c: cluster(c).update(encryption={"keyArn": "arn:aws:kms:us-east-1:123456789012:alias/atlas"}),
        "cluster.encryption.keyArn: 'arn:aws:kms:us-east-1:123456789012:alias/atlas' is not a KMS key ARN; write arn:aws:kms:<region>:<account>:key/<key id>",
    ),
    "key arn in a region atlas does not support": (
        "prod",
        lambda c: cluster(c).update(
            encryption={"keyArn": "arn:aws:kms:eu-west-9:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
        ),
        "cluster.encryption.keyArn: the key in 'arn:aws:kms:eu-west-9:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' lives in a region Atlas does not support; use a key in one of:",
    ),
    "key arn with policy settings": (
        "prod",
        lambda c: cluster(c)["encryption"].update(
            keyArn="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ),
        "cluster.encryption: keyAdminArns and keyUserArns shape the policy of a key this program creates",
    ),
    "key region that differs from the key arn": (
        "prod",
        lambda c: cluster(c).update(
            encryption={
                "keyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "keyRegion": "us-west-2",
            }
        ),
        "cluster.encryption: keyRegion 'us-west-2' differs from the region in keyArn ('us-east-1'); remove keyRegion",
    ),
    "created key without admins": (
        "prod",
        lambda c: cluster(c)["encryption"].update(keyAdminArns=[]),
        "cluster: encryption.keyAdminArns is empty",
    ),
    "admin that is not an iam arn": (
        "prod",
        lambda c: cluster(c)["encryption"].update(keyAdminArns=["arn:aws:iam::1:role/x"]),
        "cluster.encryption.keyAdminArns[0]: 'arn:aws:iam::1:role/x' is not an IAM role, user or account-root ARN",
    ),
    "rotation period too short": (
        "prod",
        lambda c: cluster(c)["encryption"].update(rotationPeriodDays=30),
        "cluster.encryption.rotationPeriodDays: Input should be greater than or equal to 90",
    ),
    "auto-scaling bounds swapped": (
        "prod",
        lambda c: cluster(c)["autoScaling"]["compute"].update(maxTier="M20"),
        "cluster.autoScaling.compute: minTier M30 is above maxTier M20; swap them",
    ),
    "auto-scaling max below tier": (
        "prod",
        lambda c: cluster(c)["autoScaling"]["compute"].update(minTier="M10", maxTier="M20"),
        "cluster: autoScaling.compute.maxTier M20 is below tier M30; write M30 or larger",
    ),
    "auto-scaling without max": (
        "staging",
        lambda c: cluster(c).update(autoScaling={"compute": {"enabled": True}}),
        "cluster.autoScaling.compute: compute auto-scaling needs maxTier",
    ),
    "bad cluster name": (
        "staging",
        lambda c: cluster(c).update(name="payments_staging"),
        "cluster.name: 'payments_staging' is not a valid Atlas cluster name",
    ),
    "bad tls": (
        "prod",
        lambda c: cluster(c).update(minimumTls="TLS1_1"),
        "cluster.minimumTls: 'TLS1_1' is not a TLS version Atlas accepts as minimum",
    ),
    "maintenance day typo": (
        "prod",
        lambda c: cluster(c)["maintenanceWindow"].update(day="sundy"),
        "cluster.maintenanceWindow.day: 'sundy' is not a day of the week; did you mean 'sunday'?",
    ),
    "maintenance hour": (
        "prod",
        lambda c: cluster(c)["maintenanceWindow"].update(hour=24),
        "cluster.maintenanceWindow.hour: Input should be less than or equal to 23",
    ),
    "unknown key": ("prod", lambda c: cluster(c).update(tierr="M10"), "cluster.tierr: unknown key; did you mean 'tier'?"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_cluster_input_gives_one_clean_error_with_key_path_and_fix(case):
    stack, change, expected = BAD_INPUTS[case]
    with pytest.raises(ConfigError) as error:
        load(stack, change)
    message = str(error.value)
    assert f"Pulumi.{stack}.yaml has 1 problem; nothing was created:" in message
    # Every expected text starts with the key path, so this checks the path and the fix together.
    assert f"Pulumi.{stack}.yaml: atlas-platform:{expected}" in message, message


def test_every_problem_is_listed_at_once():
    def break_three(config):
        cluster(config).update(tier="M0", mongoDbMajorVersion="5.0")
        cluster(config)["backup"].update(restoreWindowDays=1)

    with pytest.raises(ConfigError) as error:
        load("prod", break_three)
    assert len(error.value.problems) == 3


def test_shipped_stack_files_validate():
    assert load("prod", lambda c: None).cluster.preferred_region.atlas_region == "US_EAST_1"
    staging = load("staging", lambda c: None).cluster
    assert staging.encrypted(prod=False) is False
    assert staging.restore_window_days(prod=False) is None and staging.termination_protected(prod=False) is False


def test_region_forms_convert_both_ways_for_every_supported_region():
    for atlas_region in ATLAS_AWS_REGIONS:
        assert atlas_region_name(aws_region_name(atlas_region)) == atlas_region
    assert aws_region_name("AP_SOUTHEAST_5") == "ap-southeast-5"


def endpoint_only_in(config: dict[str, Any], region: str) -> None:
    """Point the stack's private endpoints at `region` alone, to match a one-region cluster there."""
    config[key("network")]["privateEndpoints"] = [
        {
            "region": region,
            "vpcs": [
                {
                    "name": "app",
                    "vpcId": "vpc-0f1a2b3c4d5e60760",
                    "subnetIds": ["subnet-0f1a2b3c4d5e60761", "subnet-0f1a2b3c4d5e60762"],
                    "securityGroupId": "sg-0f1a2b3c4d5e60764",
                }
            ],
        }
    ]


def test_prod_defaults_are_the_safe_ones():
    def minimal(config):
        config[key("cluster")] = {
            "tier": "M10",
            "mongoDbMajorVersion": "8.0",
            "regions": [{"region": "eu-central-1"}],
            "encryption": {"keyAdminArns": ["arn:aws:iam::111111111111:role/kms-admin"]},
        }
        endpoint_only_in(config, "eu-central-1")
        config[key("resourcePolicies")]["allowedRegions"] = ["eu-central-1"]

    settings = load("prod", minimal).cluster
    assert settings.point_in_time(prod=True) is True
    assert settings.encrypted(prod=True) is True
    assert settings.termination_protected(prod=True) is True
    assert settings.restore_window_days(prod=True) == 7
    assert settings.regions[0].electable_nodes == 3 and settings.regions[0].priority == 7
    assert settings.auto_scaling.disk is True
    assert settings.minimum_tls == "TLS1_2" and settings.redact_client_log_data is True


def test_prod_without_key_admins_or_key_is_refused_because_encryption_defaults_on():
    def minimal(config):
        config[key("cluster")] = {"tier": "M10", "mongoDbMajorVersion": "8.0", "regions": [{"region": "eu-central-1"}]}
        endpoint_only_in(config, "eu-central-1")

    with pytest.raises(ConfigError, match=r"encryption\.keyAdminArns is empty") as error:
        load("prod", minimal)
    # That is the only problem: the variant is otherwise a valid prod stack.
    assert [p.key for p in error.value.problems] == [key("cluster")]
    assert load("staging", minimal).cluster is not None


def test_every_cluster_key_has_a_description_for_error_hints():
    import inspect

    from pydantic import BaseModel

    import stackconfig.cluster as module

    models = [
        m for _, m in inspect.getmembers(module, inspect.isclass) if issubclass(m, BaseModel) and m.__module__ == module.__name__
    ]
    assert len(models) >= 10
    for model in models:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no docstring"
