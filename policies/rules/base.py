"""Turn plain check functions into pulumi_policy policies.

A resource check is `check(props, ctx) -> list[str]`: `props` are plain values (see values.py),
each returned string is one violation message saying exactly what to change. A stack check is
`check(resources, ctx) -> list[Violation]`. Checks never touch pulumi_policy, so tests can call
them directly; the policies built here are what `policies/__main__.py` puts in the pack.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import environment
from .values import plain

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


@dataclass(frozen=True)
class Context:
    """What a check may know besides the properties: who the resource is and where it runs."""

    urn: str = ""
    name: str = ""
    resource_type: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    stack_tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def environment(self) -> environment.Environment:
        return environment.resolve(urn=self.urn, stack_tags=self.stack_tags, config=self.config)

    @property
    def opted_out(self) -> bool:
        """The policy config gives a reason (`optOutReason`, see `opt_out_schema`) for what the rule asks."""
        return bool(str(self.config.get("optOutReason") or "").strip())


def opt_out_schema(description: str) -> dict[str, Any]:
    """The `optOutReason` setting of a production rule a stack may opt out of with a reason: empty by default."""
    return {"type": "string", "default": "", "description": description}


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack, plain: what a stack check sees."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def depends_on(self, urn: str, prop: str | None = None) -> bool:
        if prop is not None:
            return urn in self.property_dependencies.get(prop, ())
        return urn in self.dependencies or any(urn in deps for deps in self.property_dependencies.values())


@dataclass(frozen=True)
class Violation:
    message: str
    urn: str = ""


ResourceCheck = Callable[[Mapping[str, Any], Context], list[str]]
StackCheck = Callable[[list[StackResource], Context], list[Violation]]


def _schema(properties: dict[str, Any] | None, env_dependent: bool) -> PolicyConfigSchema | None:
    props = dict(properties or {})
    if env_dependent:
        props[environment.CONFIG_KEY] = environment.CONFIG_SCHEMA
    return PolicyConfigSchema(properties=props) if props else None


def policy_config_file(urn: str) -> str:
    """The policy config file CI passes for the stack of `urn`: `policies/config/<stack>.json`."""
    return f"policies/config/{environment.stack_name(urn) or '<stack>'}.json"


def unknown_settings(policy: str, schema: PolicyConfigSchema | None, config: Mapping[str, Any], urn: str) -> list[str]:
    """A message per key of this policy's config that it does not read, with the closest key it does.

    Pulumi validates a policy's config against its schema, which allows any other key (the engine's
    `convertSchema` sets no additionalProperties; pulumi/pulumi pkg/resource/analyzer/config.go), and passes
    it on: a misspelt `allowedRegion` would leave `allowedRegions` at its default and switch the check off.
    """
    known = sorted(schema.properties) if schema is not None else []
    problems = []
    for key in sorted(set(config) - set(known)):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        reads = f"it reads only {', '.join(known)}" if known else "it reads no settings"
        problems.append(
            f"the policy config gives {policy} the setting {key!r}, which it does not read: {hint}({reads}). "
            f"Fix the key in {policy_config_file(urn)}: an unknown key would leave the check at its default."
        )
    return problems


def resource_policy(
    name: str,
    description: str,
    types: Iterable[str],
    check: ResourceCheck,
    *,
    level: EnforcementLevel = MANDATORY,
    severity: Severity = Severity.HIGH,
    config: dict[str, Any] | None = None,
    only_in: str | None = None,
    remediation: str | None = None,
) -> ResourceValidationPolicy:
    """A policy running `check` on resources of `types`; `only_in` is "prod", "non-prod" or None."""
    wanted = frozenset(types)
    schema = _schema(config, only_in is not None)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        ctx = Context(args.urn, args.name, args.resource_type, dict(args.get_config() or {}), dict(args.stack_tags))
        # Before the environment: a misspelt key is refused in every stack.
        for message in unknown_settings(name, schema, ctx.config, args.urn):
            report_violation(message, None)
        if only_in is not None:
            env = ctx.environment
            if env.is_prod != (only_in == "prod"):
                args.not_applicable(f"{env.label} stack ({env.reason})")
        for message in check(plain(args.props), ctx):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        config_schema=schema,
        remediation_steps=remediation,
    )


def environment_pair(
    name: str, description: str, types: Iterable[str], check: ResourceCheck, **kwargs: Any
) -> list[ResourceValidationPolicy]:
    """Mandatory in production, advisory elsewhere: CrossGuard fixes a policy's level, so two policies."""
    types = tuple(types)
    severity = kwargs.pop("severity", Severity.HIGH)
    return [
        resource_policy(name, description, types, check, level=MANDATORY, severity=severity, only_in="prod", **kwargs),
        resource_policy(
            f"{name}-outside-prod",
            f"{description} (advisory outside production)",
            types,
            check,
            level=ADVISORY,
            severity=Severity.LOW,
            only_in="non-prod",
            **kwargs,
        ),
    ]


def stack_resources(resources: Sequence[Any]) -> list[StackResource]:
    return [
        StackResource(
            type=r.resource_type,
            name=r.name,
            urn=r.urn,
            props=plain(r.props),
            parent=r.parent.urn if r.parent is not None else "",
            dependencies=tuple(d.urn for d in r.dependencies),
            property_dependencies={k: tuple(d.urn for d in v) for k, v in r.property_dependencies.items()},
        )
        for r in resources
    ]


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    *,
    level: EnforcementLevel = MANDATORY,
    severity: Severity = Severity.HIGH,
    config: dict[str, Any] | None = None,
    only_in: str | None = None,
    remediation: str | None = None,
) -> StackValidationPolicy:
    schema = _schema(config, only_in is not None)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = stack_resources(args.resources)
        urn = next((r.urn for r in resources if r.urn), "")
        ctx = Context(urn, "", "", dict(args.get_config() or {}), dict(args.stack_tags))
        for message in unknown_settings(name, schema, ctx.config, urn):
            report_violation(message, None)
        if only_in is not None:
            env = ctx.environment
            if env.is_prod != (only_in == "prod"):
                args.not_applicable(f"{env.label} stack ({env.reason})")
        for violation in check(resources, ctx):
            report_violation(violation.message, violation.urn or None)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        config_schema=schema,
        remediation_steps=remediation,
    )
