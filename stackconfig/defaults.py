"""What production turns on: every default decided by whether a stack is production, in one place.

`StackConfig` resolves these once, when it is validated; `program_args` copies them into the
components' args and decides nothing itself. Each section keeps the rule for its own keys
(`ClusterSettings.point_in_time`, `DatabaseUser.recovery_window_days`, ...); a value the stack file
sets explicitly always wins, and prod refuses the unsafe ones at validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import StackConfig


@dataclass(frozen=True)
class ProductionDefaults:
    """The resolved switches of one stack. In prod: protection, retention, backups with point-in-time
    restore, termination protection, customer-key encryption, alerts and auditing all on, Data
    Explorer off; elsewhere the convenient opposites, unless the stack file says otherwise."""

    production: bool
    """Whether the stack is production (`StackConfig.is_prod`)."""
    protect: bool
    """Refuse `pulumi destroy` and replacements of the stateful resources (project, cluster, keys, users, links)."""
    retain_encryption_key: bool
    """Leave the encryption-at-rest KMS key in AWS if it ever leaves the program, so snapshots stay readable."""
    data_explorer: bool
    """Atlas Data Explorer (browsing data in the UI): off in prod."""
    alerts: bool
    """The alert baseline and custom alerts."""
    default_alerts: bool
    """Atlas's own default alerts on the project: off where the baseline replaces them."""
    auditing: bool
    """Database auditing."""
    log_export: bool
    """The audit and mongod logs leave Atlas for the stack's S3 bucket (opt-out in prod only with a reason)."""
    encrypted: bool
    """The cluster is encrypted with the customer's KMS key (False without a cluster)."""
    kms_private_networking: bool
    """Atlas reaches that key over PrivateLink only (False without customer-key encryption)."""
    point_in_time: bool
    """Continuous backup with point-in-time restore (False without a cluster)."""
    restore_window_days: int | None
    """The point-in-time restore window; None without point-in-time restore."""
    termination_protection: bool
    """Atlas refuses to delete the cluster (False without a cluster)."""
    production_min_tier: str | None
    """The smallest tier Atlas's `production-min-tier` resource policy lets this project run (prod only):
    the compute auto-scaling floor, else the cluster's tier."""
    service_account_recovery_window_days: int | None
    """Days the service account's deleted credentials secret stays restorable (None without a service account)."""
    review_account_recovery_window_days: int | None
    """The same for the access review's service account (None without a `review` section)."""
    secret_recovery_window_days: Mapping[str, int]
    """Per database user (by name): days its deleted credentials secret stays restorable."""
    password_rotation: Mapping[str, str]
    """Per password user (by name): `alternating` (two Atlas users behind its secret; production `app` users
    unless they give `singleUserReason`) or `single`."""


def resolve(cfg: StackConfig) -> ProductionDefaults:
    prod = cfg.is_prod
    cluster = cfg.cluster
    explorer = cfg.project_settings.data_explorer
    return ProductionDefaults(
        production=prod,
        protect=prod,
        retain_encryption_key=prod,
        data_explorer=explorer if explorer is not None else not prod,
        alerts=cfg.alerts.resolved_enabled(prod),
        default_alerts=cfg.project_settings.resolved_default_alerts(cfg.alerts.baseline_on(prod)),
        auditing=cfg.auditing.resolved_enabled(prod),
        log_export=cfg.log_export.resolved_enabled(prod),
        encrypted=cluster is not None and cluster.encrypted(prod),
        kms_private_networking=cluster is not None and cluster.kms_private(prod),
        point_in_time=cluster is not None and cluster.point_in_time(prod),
        restore_window_days=cluster.restore_window_days(prod) if cluster is not None else None,
        termination_protection=cluster is not None and cluster.termination_protected(prod),
        production_min_tier=_min_tier(cfg) if prod else None,
        service_account_recovery_window_days=(
            cfg.service_account.recovery_window_days(prod) if cfg.service_account is not None else None
        ),
        review_account_recovery_window_days=(
            cfg.review.service_account.recovery_window_days(prod) if cfg.review is not None else None
        ),
        secret_recovery_window_days={user.name: user.recovery_window_days(prod) for user in cfg.database_users},
        password_rotation={user.name: mode for user in cfg.database_users if (mode := user.rotation_mode(prod)) is not None},
    )


def _min_tier(cfg: StackConfig) -> str | None:
    if cfg.cluster is None:
        return None
    compute = cfg.cluster.auto_scaling.compute
    return compute.min_tier if compute.enabled and compute.min_tier else cfg.cluster.tier
