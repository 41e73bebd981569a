"""The pack's side of the rule table (`atlas_rules.json`): each rule Atlas enforces, checked before deploy.

The table lives here, in the pack, because the pack is published alone and imports nothing from
the program: the program reads this same file to write Atlas's `ResourcePolicy` Cedar bodies
(`atlas_platform/components/atlas_rules.py`), so the two sides cannot drift. The pack takes each rule's
parameters (allowed providers, regions, minimum tier) from its policy config, with the table's
defaults; `tests/test_rule_table.py` runs each rule's cases through Cedar and through this pack.

What Atlas sees is the proposed cluster (`context.cluster`, Atlas's resource-policy docs); what the
pack sees is the resource's inputs. The mapping used here: a region config's `providerName`
(`backingProviderName` for TENANT/FLEX) is the cloud provider, `<provider>:<regionName in AWS's
form>` the region (`aws:us-east-1`), the smallest general-class size among electable, read-only
and analytics specs and the compute auto-scaling floor is `minGeneralClassInstanceSizeValue`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import Severity

from . import types as t
from .base import Context, policy_config_file, resource_policy
from .values import get_path, items, require_known

TABLE_FILE = Path(__file__).with_name("atlas_rules.json")
TABLE: list[dict[str, Any]] = json.loads(TABLE_FILE.read_text())["rules"]
RULES: dict[str, dict[str, Any]] = {rule["id"]: rule for rule in TABLE}

CLUSTERS = (t.ADVANCED_CLUSTER, t.LEGACY_CLUSTER)
WEAK_TLS = ("TLS1_0", "TLS1_1")
SHARED_PROVIDERS = ("TENANT", "FLEX")
# General-class tiers only: Atlas's tier rule does not restrict Low-CPU (R40) or NVMe (M40_NVME) classes.
_GENERAL_TIER = re.compile(r"^M(\d+)$")


def default(rule: str, parameter: str) -> Any:
    return RULES[rule]["parameters"][parameter]["default"]


# The settings a production stack's policy config must give: without them its clusters would be judged
# by the table's defaults (any region, M10), which are not production's. Their schemas carry no default,
# so the pack can tell "not given" from "given": the engine fills in a schema's defaults before `Configure`.
PRODUCTION_REQUIRED = {("allowed-regions", "regions"), ("production-min-tier", "minTier")}
# What a production policy config holds, for the message that asks for one (policies/config/prod.json).
PRODUCTION_CONFIG_EXAMPLE = (
    '{"atlas-cluster-allowed-regions": {"allowedRegions": ["aws:<region>", ...]}, '
    '"atlas-prod-cluster-min-tier": {"minTier": "M30"}}'
)


def _schema(rule: str, parameter: str, schema: dict[str, Any]) -> dict[str, Any]:
    spec = RULES[rule]["parameters"][parameter]
    default = {} if (rule, parameter) in PRODUCTION_REQUIRED else {"default": spec["default"]}
    return {spec["packConfig"]: {**schema, **default, "description": spec["description"]}}


def _configured(ctx: Context, rule: str, parameter: str) -> Any:
    spec = RULES[rule]["parameters"][parameter]
    return ctx.config.get(spec["packConfig"], spec["default"])


def _missing_in_production(ctx: Context, policy: str, rule: str, parameter: str) -> list[str]:
    """The mandatory refusal of a production stack whose policy config does not give `parameter`."""
    setting = RULES[rule]["parameters"][parameter]["packConfig"]
    value = ctx.config.get(setting)
    if not ctx.environment.is_prod or (value is not None and value != []):
        return []
    given = "gives an empty" if value == [] else "gives no"
    return [
        f"this production stack's policy config {given} {setting} for {policy}, so Atlas's rule would be checked "
        f"against nothing. Create {policy_config_file(ctx.urn)} (CI passes it with --policy-pack-config) with the "
        f"production settings, as policies/config/prod.json has: {PRODUCTION_CONFIG_EXAMPLE}, using the regions "
        "and tier of the organization's resource policy."
    ]


def tier_value(size: Any) -> int | None:
    """30 for M30; None for a size outside the general class (R40, M40_NVME)."""
    match = _GENERAL_TIER.match(str(size).upper())
    return int(match.group(1)) if match else None


def _region_configs(props: Mapping[str, Any], legacy: bool) -> Iterator[tuple[str, Mapping[str, Any]]]:
    field = "regionsConfigs" if legacy else "regionConfigs"
    for s, spec in enumerate(require_known(items(props.get("replicationSpecs")), "replicationSpecs")):
        for r, region in enumerate(require_known(items(spec.get(field)), f"replicationSpecs[{s}].{field}")):
            yield f"replicationSpecs[{s}].{field}[{r}]", region


def cloud_provider(provider: Any, backing: Any) -> str:
    name = str(require_known(provider, "providerName") or "").upper()
    if name in SHARED_PROVIDERS:
        name = str(require_known(backing, "backingProviderName") or "").upper()
    return name.lower()


def providers(props: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Where each provider comes from (`replicationSpecs[0].regionConfigs[1]`) and its Atlas policy name."""
    if ctx.resource_type == t.LEGACY_CLUSTER:
        return {"providerName": cloud_provider(props.get("providerName"), props.get("backingProviderName"))}
    return {
        where: cloud_provider(region.get("providerName"), region.get("backingProviderName"))
        for where, region in _region_configs(props, legacy=False)
    }


def regions(props: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Where each region comes from and its Atlas policy name (`aws:us-east-1`)."""
    if ctx.resource_type == t.LEGACY_CLUSTER:
        provider = cloud_provider(props.get("providerName"), props.get("backingProviderName"))
        found = {}
        region = require_known(props.get("providerRegionName"), "providerRegionName")
        if region:
            found["providerRegionName"] = f"{provider}:{str(region).lower().replace('_', '-')}"
        for where, config in _region_configs(props, legacy=True):
            name = require_known(config.get("regionName"), f"{where}.regionName")
            found[f"{where}.regionName"] = f"{provider}:{str(name).lower().replace('_', '-')}"
        return found
    return {
        f"{where}.regionName": (
            f"{cloud_provider(region.get('providerName'), region.get('backingProviderName'))}:"
            f"{str(require_known(region.get('regionName'), f'{where}.regionName')).lower().replace('_', '-')}"
        )
        for where, region in _region_configs(props, legacy=False)
    }


def general_sizes(props: Mapping[str, Any], ctx: Context) -> dict[str, int]:
    """Every general-class size the cluster may run at, by where it is set: what Atlas calls its minimum."""
    found: dict[str, int] = {}

    def note(where: str, size: Any) -> None:
        value = tier_value(require_known(size, where)) if size is not None else None
        if value is not None:
            found[where] = value

    if ctx.resource_type == t.LEGACY_CLUSTER:
        note("providerInstanceSizeName", props.get("providerInstanceSizeName"))
        if props.get("autoScalingComputeScaleDownEnabled") is True:
            note("providerAutoScalingComputeMinInstanceSize", props.get("providerAutoScalingComputeMinInstanceSize"))
        return found
    for where, region in _region_configs(props, legacy=False):
        for spec in ("electableSpecs", "readOnlySpecs", "analyticsSpecs"):
            note(f"{where}.{spec}.instanceSize", get_path(region, f"{spec}.instanceSize"))
        for scaling in ("autoScaling", "analyticsAutoScaling"):
            if get_path(region, f"{scaling}.computeScaleDownEnabled") is True:
                note(f"{where}.{scaling}.computeMinInstanceSize", get_path(region, f"{scaling}.computeMinInstanceSize"))
    return found


def check_tls(props: Mapping[str, Any], ctx: Context) -> list[str]:
    path = "advancedConfiguration.minimumEnabledTlsProtocol"
    tls = require_known(get_path(props, path), path)
    # Unset is Atlas's default, TLS 1.2 for new clusters, which the Atlas rule allows too.
    if tls is not None and str(tls).upper() in WEAK_TLS:
        return [f"{path} is {tls!r}; Atlas's resource policy forbids TLS below 1.2. Set it to TLS1_2 (or TLS1_3)."]
    return []


def check_providers(props: Mapping[str, Any], ctx: Context) -> list[str]:
    allowed = [str(p).lower() for p in _configured(ctx, "allowed-cloud-providers", "providers")]
    return [
        f"{where} runs on {provider.upper() or 'no provider'}; only {', '.join(a.upper() for a in allowed)} "
        "are allowed (Atlas's resource policy refuses the others). Move the region to an allowed provider."
        for where, provider in providers(props, ctx).items()
        if provider not in allowed
    ]


def check_regions(props: Mapping[str, Any], ctx: Context) -> list[str]:
    missing = _missing_in_production(ctx, "atlas-cluster-allowed-regions", "allowed-regions", "regions")
    if missing:
        return missing
    allowed = [str(r).lower() for r in _configured(ctx, "allowed-regions", "regions")]
    if not allowed:
        return []
    return [
        f"{where} is {region}, outside the allowed regions ({', '.join(allowed)}); Atlas's resource policy "
        "refuses it. Use an allowed region, or add this one to the org's list first."
        for where, region in regions(props, ctx).items()
        if region not in allowed
    ]


def check_min_tier(props: Mapping[str, Any], ctx: Context) -> list[str]:
    missing = _missing_in_production(ctx, "atlas-prod-cluster-min-tier", "production-min-tier", "minTier")
    if missing:
        return missing
    minimum = str(_configured(ctx, "production-min-tier", "minTier")).upper()
    floor = tier_value(minimum)
    if floor is None:
        return [f"the policy config's minTier {minimum!r} is not a general-class tier; write one such as M30."]
    return [
        f"{where} is M{value}, below the production minimum {minimum}; Atlas's resource policy refuses it. "
        f"Use {minimum} or larger."
        for where, value in general_sizes(props, ctx).items()
        if value < floor
    ]


def _description(rule: str) -> str:
    return f"{RULES[rule]['description']} (Atlas resource policy `{rule}`, checked before deploy)"


POLICIES = [
    resource_policy("atlas-cluster-min-tls12", _description("require-tls12"), CLUSTERS, check_tls),
    resource_policy(
        "atlas-cluster-allowed-cloud-providers",
        _description("allowed-cloud-providers"),
        CLUSTERS,
        check_providers,
        config=_schema("allowed-cloud-providers", "providers", {"type": "array", "items": {"type": "string"}}),
    ),
    resource_policy(
        "atlas-cluster-allowed-regions",
        _description("allowed-regions"),
        CLUSTERS,
        check_regions,
        config=_schema("allowed-regions", "regions", {"type": "array", "items": {"type": "string"}}),
    ),
    resource_policy(
        "atlas-prod-cluster-min-tier",
        _description("production-min-tier"),
        CLUSTERS,
        check_min_tier,
        only_in="prod",
        severity=Severity.MEDIUM,
        config=_schema("production-min-tier", "minTier", {"type": "string"}),
    ),
]
