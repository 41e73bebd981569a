"""How components derive child resource names from stable keys in the stack file, and keep their URNs."""

from __future__ import annotations

import pulumi


def slug(text: str) -> str:
    """A key as a resource-name part: lowercase, runs of other characters as hyphens (`10.0.0.1/32` -> `10-0-0-1-32`)."""
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def renamed_from(previous_token: str, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """The caller's options plus an alias to the type token the component had before.

    A type token is part of the URN of the component and, through the parent chain, of every
    child: without the alias the engine would delete and create everything under it, protected
    project and cluster included. The SDK sends the alias as a spec (`type` only) and the engine
    derives each child's old URN from its parent's aliases, so children need none of their own
    (tests/test_component_contract.py). That takes an engine with alias specs (Pulumi CLI 3.x of
    2023 or later): with an older one this SDK sends no inherited aliases for the children.
    """
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=previous_token)]))
