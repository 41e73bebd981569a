"""Mock provider answers and a monitor that records what the engine would receive.

`AtlasMocks` stands in for the providers: it returns each resource's inputs plus plausible,
deterministic outputs (ids, service names, connection strings), so downstream resources get
the values they would in a real `pulumi up`. `RecordingMonitor` extends the SDK's own
`MockMonitor` and keeps every `RegisterResource` request: parent, dependencies, protect,
timeouts, and the inputs with their secret markers intact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor


def hex_id(*parts: str, length: int = 24) -> str:
    """A stable fake id: the same resource gets the same id on every run."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Per resource type: extra outputs the real provider would compute. Later capabilities add theirs.
OutputsFn = Callable[[str, dict[str, Any]], dict[str, Any]]
PROVIDER_OUTPUTS: dict[str, OutputsFn] = {
    "mongodbatlas:index/project:Project": lambda name, inputs: {"clusterCount": 0, "created": "2026-01-01T00:00:00Z"},
    "mongodbatlas:index/alertConfiguration:AlertConfiguration": lambda name, inputs: {
        "alertConfigurationId": hex_id("alertConfiguration", name),
        "created": "2026-01-01T00:00:00Z",
    },
    "mongodbatlas:index/auditing:Auditing": lambda name, inputs: {
        "configurationType": "FILTER_JSON" if inputs.get("auditFilter") else "NONE",
    },
    "mongodbatlas:index/resourcePolicy:ResourcePolicy": lambda name, inputs: {
        "createdDate": "2026-01-01T00:00:00Z",
        "version": "v1",
    },
}

# Types whose id is not a 24-hex Atlas id.
ID_FORMATS: dict[str, Callable[[str], str]] = {}


class AtlasMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not args.custom:
            return "", {}
        make_id = ID_FORMATS.get(args.typ, lambda name: hex_id(args.typ, name))
        resource_id = make_id(args.name)
        extra = PROVIDER_OUTPUTS.get(args.typ, lambda name, inputs: {})(args.name, args.inputs)
        return resource_id, {**args.inputs, **extra}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def unwrap_secrets(value: Any, path: str = "") -> tuple[Any, set[str]]:
    """Plain values plus the dotted paths (`roles[0].roleName`) of every secret in them."""
    if rpc.is_rpc_secret(value):
        plain, inner = unwrap_secrets(rpc.unwrap_rpc_secret(value), path)
        return plain, inner | {path}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        secrets: set[str] = set()
        for key, item in value.items():
            out[key], found = unwrap_secrets(item, f"{path}.{key}" if path else key)
            secrets |= found
        return out, secrets
    if isinstance(value, list):
        items, secrets = [], set()
        for index, item in enumerate(value):
            plain, found = unwrap_secrets(item, f"{path}[{index}]")
            items.append(plain)
            secrets |= found
        return items, secrets
    return value, set()


@dataclass
class Registration:
    """One resource as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    custom_timeouts: dict[str, str]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs, secret_paths = unwrap_secrets(rpc.deserialize_properties(request.object))
        timeouts = request.customTimeouts
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            inputs=inputs,
            secret_inputs=secret_paths,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            custom_timeouts={k: v for k, v in (("create", timeouts.create), ("update", timeouts.update), ("delete", timeouts.delete)) if v},
            id=response.id,
        )
        registration.outputs, _ = unwrap_secrets(rpc.deserialize_properties(response.object)) if request.custom else ({}, set())
        self.registrations.append(registration)
        return response
