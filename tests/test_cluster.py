"""ProdCluster under mocks: what the engine receives for the cluster, its backups and its maintenance window."""

from __future__ import annotations

import pytest

from tests.conftest import STACKS, fixture_file, key

CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"
COMPLIANCE = "mongodbatlas:index/backupCompliancePolicy:BackupCompliancePolicy"
MAINTENANCE = "mongodbatlas:index/maintenanceWindow:MaintenanceWindow"
PROJECT = "mongodbatlas:index/project:Project"
COMPONENT = "atlas-platform:index:ProdCluster"

COMPLIANCE_CONTACT = {"authorizedEmail": "security@example.com", "authorizedFirstName": "Dana", "authorizedLastName": "Reyes"}


def cluster_config(config):
    return config[key("cluster")]


def region_configs(cluster):
    return cluster.inputs["replicationSpecs"][0]["regionConfigs"]


def test_prod_cluster_is_dedicated_protected_backed_up_and_encrypted(plans):
    cluster = plans("prod").one(CLUSTER)
    inputs = cluster.inputs
    assert cluster.protect is True
    assert inputs["name"] == "payments-prod-cluster1"
    assert inputs["clusterType"] == "REPLICASET"
    assert inputs["mongoDbMajorVersion"] == "8.0"
    assert {rc["electableSpecs"]["instanceSize"] for rc in region_configs(cluster)} == {"M30"}
    assert inputs["backupEnabled"] is True
    assert inputs["pitEnabled"] is True
    assert inputs["terminationProtectionEnabled"] is True
    assert inputs["retainBackupsEnabled"] is True
    assert inputs["encryptionAtRestProvider"] == "AWS"
    assert inputs["advancedConfiguration"]["minimumEnabledTlsProtocol"] == "TLS1_2"
    assert inputs["redactClientLogData"] is True
    # A slow create must not make the provider delete a production cluster; the input is create-only,
    # so it is ignored after create (a stack made production later, or an imported cluster, still plans).
    assert inputs["deleteOnCreateTimeout"] is False
    assert cluster.ignore_changes == ["deleteOnCreateTimeout"]


def test_staging_gets_its_own_cheaper_cluster(plans):
    prod, staging = plans("prod").one(CLUSTER), plans("staging").one(CLUSTER)
    assert staging.inputs["name"] == "payments-staging-cluster1"
    assert staging.inputs["projectId"] != prod.inputs["projectId"]
    assert staging.inputs["projectId"] == plans("staging").one(PROJECT).id
    assert [rc["electableSpecs"] for rc in region_configs(staging)] == [{"instanceSize": "M10", "nodeCount": 3}]
    assert staging.inputs["pitEnabled"] is False
    assert staging.inputs["backupEnabled"] is True
    # Explicitly NONE: an omitted provider would keep whatever Atlas has (tools/omitted.json).
    assert staging.inputs["encryptionAtRestProvider"] == "NONE"
    assert staging.inputs["terminationProtectionEnabled"] is False
    assert staging.protect is False
    assert "retainBackupsEnabled" not in staging.inputs


def test_dev_cluster_may_run_without_backups(plans):
    plan = plans("dev")
    assert plan.one(CLUSTER).inputs["backupEnabled"] is False
    assert plan.of_type(SCHEDULE) == []


def test_region_names_reach_atlas_in_atlas_form_by_descending_priority(plans):
    configs = region_configs(plans("prod").one(CLUSTER))
    assert [(rc["regionName"], rc["priority"], rc["electableSpecs"]["nodeCount"]) for rc in configs] == [
        ("US_EAST_1", 7, 2),
        ("US_EAST_2", 6, 2),
        ("US_WEST_2", 5, 1),
    ]
    assert {rc["providerName"] for rc in configs} == {"AWS"}


def test_reordering_regions_in_the_stack_file_changes_nothing(plans, plan_variant):
    plan = plan_variant("prod", lambda c: cluster_config(c)["regions"].reverse())
    assert plan.one(CLUSTER).inputs == plans("prod").one(CLUSTER).inputs


def private_endpoint(region: str, vpc_hex: str) -> dict:
    """A private-endpoint entry for `region` (prod needs one in every region with cluster nodes)."""
    return {
        "region": region,
        "vpcs": [
            {
                "name": "app",
                "vpcId": f"vpc-{vpc_hex}0",
                "subnetIds": [f"subnet-{vpc_hex}1", f"subnet-{vpc_hex}2"],
                "securityGroupId": f"sg-{vpc_hex}4",
            }
        ],
    }


def test_read_only_and_analytics_regions_get_priority_zero_and_the_same_tier(plan_variant):
    def add_regions(config):
        cluster_config(config)["regions"] += [
            {"region": "eu-west-1", "priority": 0, "electableNodes": 0, "readOnlyNodes": 2},
            {"region": "us-west-1", "priority": 0, "electableNodes": 0, "analyticsNodes": 1},
        ]
        config[key("network")]["privateEndpoints"] += [
            private_endpoint("eu-west-1", "0d1e2f3a4b5c6074"),
            private_endpoint("us-west-1", "0e1f2a3b4c5d6075"),
        ]
        config[key("resourcePolicies")]["allowedRegions"].append("eu-west-1")

    configs = region_configs(plan_variant("prod", add_regions).one(CLUSTER))
    # Equal priorities go in reverse alphabetical order of Atlas's region name.
    assert [rc["regionName"] for rc in configs] == ["US_EAST_1", "US_EAST_2", "US_WEST_2", "US_WEST_1", "EU_WEST_1"]
    assert configs[3]["analyticsSpecs"] == {"instanceSize": "M30", "nodeCount": 1} and "electableSpecs" not in configs[3]
    assert configs[4]["readOnlySpecs"] == {"instanceSize": "M30", "nodeCount": 2} and configs[4]["priority"] == 0


def test_sharded_option_repeats_the_region_layout_per_shard(plan_variant):
    cluster = plan_variant("prod", lambda c: cluster_config(c).update(shards=3)).one(CLUSTER)
    assert cluster.inputs["clusterType"] == "SHARDED"
    specs = cluster.inputs["replicationSpecs"]
    assert len(specs) == 3 and specs[0] == specs[1] == specs[2]


def test_auto_scaling_settings_reach_every_region_and_effective_fields_avoid_drift(plans):
    cluster = plans("prod").one(CLUSTER)
    for rc in region_configs(cluster):
        assert rc["autoScaling"] == {
            "diskGbEnabled": True,
            "computeEnabled": True,
            "computeMaxInstanceSize": "M60",
            "computeMinInstanceSize": "M30",
            "computeScaleDownEnabled": True,
        }
    assert cluster.inputs["useEffectiveFields"] is True
    staging = region_configs(plans("staging").one(CLUSTER))[0]["autoScaling"]
    assert staging["computeEnabled"] is False and staging["diskGbEnabled"] is True


def test_name_defaults_to_pattern_and_can_be_overridden(plan_variant):
    plan = plan_variant("staging", lambda c: cluster_config(c).update(number=2))
    assert plan.one(CLUSTER).inputs["name"] == "payments-staging-cluster2"
    plan = plan_variant("staging", lambda c: cluster_config(c).update(name="payments-stage-eu"))
    assert plan.one(CLUSTER).inputs["name"] == "payments-stage-eu"
    # The Pulumi resource names follow the stable number, not the Atlas name.
    assert plan.one(COMPONENT).name == "payments-staging-cluster1"


def test_tls_1_3_may_be_required(plan_variant):
    plan = plan_variant("prod", lambda c: cluster_config(c).update(minimumTls="TLS1_3"))
    assert plan.one(CLUSTER).inputs["advancedConfiguration"]["minimumEnabledTlsProtocol"] == "TLS1_3"


def test_prod_backup_schedule_has_every_policy_and_a_seven_day_restore_window(plans):
    plan = plans("prod")
    schedule, cluster = plan.one(SCHEDULE), plan.one(CLUSTER)
    inputs = schedule.inputs
    assert inputs["clusterName"] == "payments-prod-cluster1"
    assert cluster.urn in schedule.property_dependencies["clusterName"]
    assert inputs["restoreWindowDays"] == 7
    assert inputs["policyItemHourly"] == {"frequencyInterval": 6, "retentionUnit": "days", "retentionValue": 7}
    assert inputs["policyItemDaily"] == {"frequencyInterval": 1, "retentionUnit": "days", "retentionValue": 14}
    assert inputs["policyItemWeeklies"] == [{"frequencyInterval": 7, "retentionUnit": "weeks", "retentionValue": 8}]
    assert inputs["policyItemMonthlies"] == [{"frequencyInterval": 1, "retentionUnit": "months", "retentionValue": 12}]
    assert (inputs["referenceHourOfDay"], inputs["referenceMinuteOfHour"]) == (3, 0)


def test_prod_restore_window_defaults_to_seven_days(plan_variant):
    plan = plan_variant("prod", lambda c: cluster_config(c)["backup"].pop("restoreWindowDays"))
    assert plan.one(SCHEDULE).inputs["restoreWindowDays"] == 7


def test_staging_schedule_has_no_restore_window_without_point_in_time(plans):
    inputs = plans("staging").one(SCHEDULE).inputs
    assert "restoreWindowDays" not in inputs
    assert inputs["policyItemHourly"] == {"frequencyInterval": 12, "retentionUnit": "days", "retentionValue": 2}


def test_snapshot_copies_go_to_the_second_region_with_oplogs_and_the_cluster_zone(plans):
    plan = plans("prod")
    schedule, cluster = plan.one(SCHEDULE), plan.one(CLUSTER)
    # Provider v2.16.0 has one copy mode: the snapshots of the listed frequencies, each kept as long as its original.
    assert "copyPolicyItemsEnabled" not in schedule.inputs
    [copy] = schedule.inputs["copySettings"]
    assert copy["cloudProvider"] == "AWS"
    assert copy["regionName"] == "US_WEST_1"
    assert copy["shouldCopyOplogs"] is True
    # zone_id comes from the cluster's computed replication specs (the mock's value).
    assert copy["zoneId"] == cluster.outputs["replicationSpecs"][0]["zoneId"]
    assert copy["frequencies"] == ["DAILY", "WEEKLY", "MONTHLY"]
    assert "copyPolicyItems" not in copy


def test_compliance_policy_is_opt_in_and_mirrors_the_schedule(plans, plan_variant):
    assert plans("prod").of_type(COMPLIANCE) == []
    plan = plan_variant("prod", lambda c: cluster_config(c)["backup"].update(compliancePolicy=COMPLIANCE_CONTACT))
    policy, schedule = plan.one(COMPLIANCE), plan.one(SCHEDULE)
    inputs = policy.inputs
    assert inputs["authorizedEmail"] == "security@example.com"
    assert (inputs["pitEnabled"], inputs["restoreWindowDays"], inputs["encryptionAtRestEnabled"]) == (True, 7, True)
    assert inputs["copyProtectionEnabled"] is True
    for item in ("policyItemHourly", "policyItemDaily", "policyItemWeeklies", "policyItemMonthlies"):
        assert inputs[item] == schedule.inputs[item]
    # Atlas refuses to delete a schedule under a compliance policy; the provider forgets it instead.
    assert schedule.inputs["skipDestroy"] is True
    # A project-level policy: it waits for encryption at rest, not for the cluster.
    assert not plan.depends_on(policy, plan.one(CLUSTER))
    assert plan.depends_on(policy, plan.one("mongodbatlas:index/encryptionAtRest:EncryptionAtRest"))


def test_maintenance_window_uses_atlas_day_numbering_and_does_not_wait_for_the_cluster(plans):
    plan = plans("prod")
    window = plan.one(MAINTENANCE)
    assert (window.inputs["dayOfWeek"], window.inputs["hourOfDay"]) == (1, 4)  # Sunday = 1
    assert window.inputs["autoDeferOnceEnabled"] is False
    assert window.inputs["projectId"] == plan.one(PROJECT).id
    assert not plan.depends_on(window, plan.one(CLUSTER))
    assert plans("staging").one(MAINTENANCE).inputs["dayOfWeek"] == 3  # Tuesday


# What may wait for the cluster, each for a value only the cluster has.
WAITS_FOR_CLUSTER_BECAUSE = {
    SCHEDULE: "clusterName: a backup schedule belongs to an existing cluster",
    "mongodbatlas:index/databaseUser:DatabaseUser": "scopes[].name: users are scoped to the created cluster",
    "mongodbatlas:index/x509AuthenticationDatabaseUser:X509AuthenticationDatabaseUser": "username of a scoped user",
    "aws:secretsmanager/secretVersion:SecretVersion": "secretString: holds the cluster's connection string",
}


def test_only_resources_that_need_a_cluster_value_wait_for_the_cluster(plans):
    for stack in ("prod", "staging"):
        plan = plans(stack)
        cluster = plan.one(CLUSTER)
        waiting = {r.type for r in plan.resources if r.custom and plan.depends_on(r, cluster)}
        assert SCHEDULE in waiting
        assert waiting <= set(WAITS_FOR_CLUSTER_BECAUSE), waiting - set(WAITS_FOR_CLUSTER_BECAUSE)
        # None of them through an explicit depends_on: each edge is a property dependency.
        for resource in plan.resources:
            if resource.custom and cluster.urn in resource.dependencies:
                assert any(cluster.urn in urns for urns in resource.property_dependencies.values()), resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_children_are_parented_and_named_after_the_component(plans, stack):
    plan = plans(stack)
    component = plan.one(COMPONENT)
    children = plan.children(component)
    assert CLUSTER in {c.type for c in children}
    for child in children:
        assert child.name.startswith(f"{component.name}-")


def test_cluster_outputs_are_exported_and_srv_is_not_secret(plans):
    plan = plans("prod")
    cluster = plan.one(CLUSTER)
    assert plan.exports["clusterName"] == "payments-prod-cluster1"
    assert plan.exports["clusterId"] == cluster.outputs["clusterId"]
    assert plan.exports["standardSrv"] == cluster.outputs["connectionStrings"]["standardSrv"]
    assert plan.exports["standardSrv"].startswith("mongodb+srv://payments-prod-cluster1.")
    assert not {"clusterName", "clusterId", "standardSrv"} & plan.secret_exports


def test_no_cluster_section_means_no_cluster(plan_variant):
    plan = plan_variant("dev", lambda c: c.pop(key("cluster")))
    assert plan.of_type(CLUSTER) == [] and "clusterName" not in plan.exports


def _typed_connection_strings(plan):
    """The cluster's mocked connection_strings as the SDK hands them to the program."""
    from pulumi.runtime.rpc import translate_output_properties
    from pulumi_mongodbatlas.outputs import AdvancedClusterConnectionStrings

    raw = plan.one(CLUSTER).outputs["connectionStrings"]
    return translate_output_properties(raw, lambda k: k, AdvancedClusterConnectionStrings, transform_using_type_metadata=True)


def test_prod_plans_the_same_resources_during_preview(plans):
    from tests.harness.runner import run_stack

    preview = run_stack("prod", preview=True, stack_file=fixture_file("prod"))
    assert sorted((r.type, r.name) for r in preview.resources) == sorted((r.type, r.name) for r in plans("prod").resources)
