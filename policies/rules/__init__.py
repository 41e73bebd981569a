"""The pack's rules, grouped by what they protect. Importable without starting a server."""

from __future__ import annotations

from . import access, alerts, atlas_rules, clusters, keys, logs, network, stack, users

POLICIES = [
    *network.POLICIES,
    *users.POLICIES,
    *clusters.POLICIES,
    *keys.POLICIES,
    *stack.POLICIES,
    *logs.POLICIES,
    *alerts.POLICIES,
    *atlas_rules.POLICIES,
    *access.POLICIES,
]
