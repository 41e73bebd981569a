"""The pack's rules, grouped by what they protect. Importable without starting a server."""

from __future__ import annotations

from . import access, clusters, keys, network, stack, users

POLICIES = [*network.POLICIES, *users.POLICIES, *clusters.POLICIES, *keys.POLICIES, *stack.POLICIES, *access.POLICIES]
