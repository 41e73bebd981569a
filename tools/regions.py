"""Where a plan's AWS resources live: each one's region, and the data held outside the cluster's regions.

`make preview` and the access report both show it, so an EU cluster whose secrets, keys or buckets
sit in us-east-1 is visible before `pulumi up`. The region is what the program states (pulumi-aws 7's
per-resource `region`); IAM is global (terraform-provider-aws v6 guide "Enhanced Region Support",
"Non-region-aware resources"); an AWS resource without one lands in the provider's `aws:region`.
"""

from __future__ import annotations

from typing import Any

from atlas_platform.components.facts import aws_region_name
from tests.harness.mocks import Registration
from tests.harness.runner import Plan

CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
GLOBAL = "global"
PROVIDER_DEFAULT = "aws:region (not stated)"
# The AWS resources that hold data (the rest configure them: versions, aliases, bucket settings).
DATA_TYPES = {
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:kms/key:Key": "KMS key",
    "aws:s3/bucket:Bucket": "S3 bucket",
}


def aws_region(resource: Registration) -> str | None:
    """The region of an AWS resource as planned: its `region`, `global` for IAM, or the provider default; None if not AWS."""
    if not resource.type.startswith("aws:"):
        return None
    if resource.type.startswith("aws:iam/"):
        return GLOBAL
    region = resource.inputs.get("region")
    return str(region) if region else PROVIDER_DEFAULT


def cluster_regions(plan: Plan) -> list[str]:
    """The AWS regions where the plan's clusters have nodes (AWS form, sorted)."""
    regions: set[str] = set()
    for cluster in plan.of_type(CLUSTER):
        for spec in cluster.inputs.get("replicationSpecs") or []:
            for config in spec.get("regionConfigs") or []:
                if config.get("regionName"):
                    regions.add(aws_region_name(str(config["regionName"])))
    return sorted(regions)


def data_resources(plan: Plan) -> list[tuple[str, str, str]]:
    """(region, what, name) of every data-holding AWS resource, by region then name."""
    return sorted((str(aws_region(r)), DATA_TYPES[r.type], r.name) for r in plan.resources if r.type in DATA_TYPES and r.custom)


def outside_the_cluster(plan: Plan) -> list[tuple[str, str, str]]:
    """The data-holding AWS resources in no region where the cluster has nodes (none without a cluster)."""
    nodes = cluster_regions(plan)
    return [row for row in data_resources(plan) if nodes and row[0] not in nodes]


def region_summary(plan: Plan) -> list[str]:
    """Lines: the AWS regions of the plan with their resource counts, then any data outside the cluster's regions."""
    counts: dict[str, int] = {}
    for resource in plan.resources:
        region = aws_region(resource)
        if region is not None and resource.custom:
            counts[region] = counts.get(region, 0) + 1
    nodes = cluster_regions(plan)
    lines = [f"  {region}: {n} AWS resources" for region, n in sorted(counts.items())] or ["  no AWS resources"]
    lines.append(f"  cluster nodes: {', '.join(nodes) if nodes else 'no cluster'}")
    outside = outside_the_cluster(plan)
    if outside:
        lines.append(f"  DATA OUTSIDE THE CLUSTER'S REGIONS ({len(outside)}): set atlas-platform:awsRegion (docs/operations.md)")
        lines += [f"    {region}  {what}  {name}" for region, what, name in outside]
    return lines


def region_suffix(resource: Registration) -> str:
    """`  @eu-central-1` after an AWS resource's line in a tree; empty for any other resource."""
    region = aws_region(resource)
    return f"  @{region}" if region is not None else ""


def region_rows(plan: Plan) -> list[list[Any]]:
    """Rows (resource, kind, region, with the cluster?) of the data-holding AWS resources."""
    nodes = cluster_regions(plan)
    return [
        [name, what, region, "yes" if region in nodes else ("no cluster" if not nodes else "**no**")]
        for region, what, name in data_resources(plan)
    ]
