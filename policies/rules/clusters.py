"""Rule 6: a production cluster survives mistakes, outages and audits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from . import types as t
from .base import Context, environment_pair
from .values import get_path, items, require_known

MIN_TIER = 10
SHARED_PROVIDERS = ("TENANT", "FLEX")
TLS_OK = ("TLS1_2", "TLS1_3")
KMS_PROVIDERS = ("AWS", "AZURE", "GCP")
_TIER = re.compile(r"^[MR](\d+)(_.*)?$")


def _tier_problem(where: str, size: Any, provider: Any) -> str | None:
    if str(provider).upper() in SHARED_PROVIDERS:
        return f"{where} runs on {provider} (a shared or flex tier). Use provider AWS with instance size M{MIN_TIER} or larger."
    if size is None:
        return None
    match = _TIER.match(str(size).upper())
    if not match or int(match.group(1)) < MIN_TIER:
        return f"{where} instance size {size!r} is not a dedicated tier. Use M{MIN_TIER} or larger (M30+ for production load)."
    return None


def _tiers(props: Mapping[str, Any], legacy: bool) -> list[str]:
    if legacy:
        size = require_known(props.get("providerInstanceSizeName"), "providerInstanceSizeName")
        problem = _tier_problem("the cluster", size, require_known(props.get("providerName"), "providerName"))
        return [problem] if problem else []
    problems, sizes = [], 0
    for s, spec in enumerate(require_known(items(props.get("replicationSpecs")), "replicationSpecs")):
        for r, region in enumerate(require_known(items(spec.get("regionConfigs")), f"replicationSpecs[{s}].regionConfigs")):
            where = f"replicationSpecs[{s}].regionConfigs[{r}]"
            size = require_known(get_path(region, "electableSpecs.instanceSize"), f"{where}.electableSpecs.instanceSize")
            sizes += size is not None
            problem = _tier_problem(where, size, require_known(region.get("providerName"), f"{where}.providerName"))
            if problem:
                problems.append(problem)
    if not sizes and not problems:
        problems.append("no region config sets electableSpecs.instanceSize. Set it to M10 or larger.")
    return problems


def check_cluster(props: Mapping[str, Any], ctx: Context) -> list[str]:
    legacy = ctx.resource_type == t.LEGACY_CLUSTER
    problems = _tiers(props, legacy)
    backup_field = "cloudBackup" if legacy else "backupEnabled"
    backups = require_known(props.get(backup_field), backup_field)
    if backups is not True and not (legacy and require_known(props.get("backupEnabled"), "backupEnabled") is True):
        problems.append(f"backups are off. Set {backup_field}=true (cloud backup snapshots).")
    for field, fix in (
        ("pitEnabled", "pitEnabled=true (point-in-time restore)"),
        ("terminationProtectionEnabled", "terminationProtectionEnabled=true (Atlas refuses to delete the cluster)"),
    ):
        if require_known(props.get(field), field) is not True:
            problems.append(f"{field} is not true. Set {fix}.")
    tls_path = "advancedConfiguration.minimumEnabledTlsProtocol"
    tls = require_known(get_path(props, tls_path), tls_path)
    if str(tls).upper() not in TLS_OK:
        shown = "not set" if tls is None else f"{tls!r}"
        problems.append(f"{tls_path} is {shown}. Set it to TLS1_2 (or TLS1_3) explicitly.")
    provider = require_known(props.get("encryptionAtRestProvider"), "encryptionAtRestProvider")
    if str(provider).upper() not in KMS_PROVIDERS:
        problems.append(
            f"encryptionAtRestProvider is {'not set' if provider is None else repr(provider)}. "
            "Set it to AWS after configuring EncryptionAtRest "
            "with your KMS key (customer-managed encryption at rest)."
        )
    return problems


def check_kms_private_networking(props: Mapping[str, Any], ctx: Context) -> list[str]:
    """A customer key Atlas reaches over the public KMS endpoint: in production it must be PrivateLink only
    (`aws_kms_config.require_private_networking`, provider v2.16 docs/resources/encryption_at_rest.md)."""
    kms = require_known(props.get("awsKmsConfig"), "awsKmsConfig") or {}
    if require_known(kms.get("enabled"), "awsKmsConfig.enabled") is not True:
        return []
    if require_known(kms.get("requirePrivateNetworking"), "awsKmsConfig.requirePrivateNetworking") is not True:
        return [
            "Atlas reaches the customer KMS key over the public AWS KMS endpoint. Set "
            "aws_kms_config.require_private_networking=True and create an EncryptionAtRestPrivateEndpoint "
            "in the key's region (the program does both with cluster.encryption.requirePrivateNetworking)."
        ]
    return []


POLICIES = environment_pair(
    "atlas-cluster-production-settings",
    "Production clusters: dedicated tier M10+, backups, point-in-time restore, termination protection, "
    "minimum TLS 1.2, encryption at rest with a cloud KMS key.",
    [t.ADVANCED_CLUSTER, t.LEGACY_CLUSTER],
    check_cluster,
)
POLICIES += environment_pair(
    "atlas-kms-private-networking",
    "Encryption at rest reaches the customer KMS key only over AWS PrivateLink.",
    [t.ENCRYPTION_AT_REST],
    check_kms_private_networking,
)
