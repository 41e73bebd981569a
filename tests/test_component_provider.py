"""The component provider (provider/PulumiPlugin.yaml) over its gRPC protocol, as the engine drives it.

The provider is started as the engine starts a plugin: a subprocess given the engine's address,
which prints the port it serves on. GetSchema must describe the four components with the tokens,
args and outputs Python callers have (the args dataclasses, field by field); Construct must build
the component's children and register them with the resource monitor, which this test serves.
What only a real `pulumi package add` shows (SDK generation for TypeScript or Go, the plugin's
virtualenv install) is in the README.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import json
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.provider.experimental.util import camel_case
from pulumi.runtime import rpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, resource_pb2, resource_pb2_grpc

from atlas_platform import __version__
from atlas_platform.components.app_user import AppUser
from atlas_platform.components.cluster import Maintenance, ProdClusterArgs, RegionNodes
from atlas_platform.components.project import ProdProject
from atlas_platform.provider import EXPOSED, from_inputs
from tests.conftest import ROOT

TOKEN = "atlas-platform:index:{}"
STACK, PROJECT = "dev", "orders-app"
FEATURES = {"secrets", "resourceReferences", "aliasSpecs"}
AWAITABLE = typing.get_origin(typing.Awaitable[int])
INPUT_NAMES = {"Output": pulumi.Output, "T": typing.TypeVar("T")}


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The engine's resource monitor, keeping every registration; outputs echo the inputs, with an id."""

    def __init__(self) -> None:
        self.registrations: list[tuple[Any, dict[str, Any], str]] = []

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in FEATURES)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        qualified = request.type
        if request.parent:
            qualified = request.parent.split("::")[2].split("$")[-1] + "$" + request.type
        urn = f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{request.name}"
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        self.registrations.append((request, inputs, urn))
        resource_id = hashlib.sha256(urn.encode()).hexdigest()[:24] if request.custom else ""
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=request.object)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


class Engine(engine_pb2_grpc.EngineServicer):
    def Log(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[str, Monitor]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    monitor = Monitor()
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(Engine(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", monitor
    finally:
        server.stop(None)


@pytest.fixture(scope="module")
def provider(engine: tuple[str, Monitor]) -> Iterator[Any]:
    address, _ = engine
    # As the Python language host runs the plugin: its folder's __main__.py, the engine's address.
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "provider" / "__main__.py"), address],
        cwd=ROOT / "provider",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), (
            f"the provider printed no port: {port!r} {process.stderr.read() if process.poll() is not None else ''}"
        )
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        yield provider_pb2_grpc.ResourceProviderStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def schema(provider: Any) -> dict[str, Any]:
    return dict(json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema))


# --- GetSchema: the contract of the Python args, unchanged -----------------------------------------


def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring, read from the class's source independently of the SDK's analyzer."""
    (node,) = ast.parse(inspect.getsource(cls)).body
    assert isinstance(node, ast.ClassDef)
    docs = {}
    for statement, following in zip(node.body, node.body[1:], strict=False):
        documented = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) and documented:
            assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            if isinstance(following.value.value, str):
                docs[statement.target.id] = following.value.value
    return docs


def kind(annotation: Any) -> tuple[str, bool]:
    """(schema type or the name of the nested type, optional) a field's annotation stands for."""
    members = typing.get_args(annotation)
    optional = type(None) in members
    for member in members:
        if typing.get_origin(member) is AWAITABLE:
            return kind(typing.get_args(member)[0])[0], optional
    if optional:
        (plain,) = [m for m in members if m is not type(None)]
        return kind(plain)[0], True
    if dataclasses.is_dataclass(annotation):
        return annotation.__name__, False
    origin = typing.get_origin(annotation)
    if origin is not None and origin.__name__ in ("Sequence", "list", "tuple"):
        return "array", False
    if origin is not None and origin.__name__ in ("Mapping", "dict"):
        return "object", False
    return {str: "string", int: "integer", bool: "boolean", float: "number"}.get(annotation, "pulumi.json#/Any"), False


def schema_kind(spec: dict[str, Any]) -> str:
    return spec["$ref"].rsplit(":", 1)[-1] if "$ref" in spec else spec["type"]


def check_fields(cls: type, properties: dict[str, Any], required: list[str], where: str) -> None:
    hints = typing.get_type_hints(cls, localns=INPUT_NAMES)
    fields = dataclasses.fields(cls)
    assert set(properties) == {camel_case(f.name) for f in fields}, where
    docs = field_docs(cls)
    for field in fields:
        spec = properties[camel_case(field.name)]
        expected, optional = kind(hints[field.name])
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        assert schema_kind(spec) == expected, (where, field.name, spec)
        assert (camel_case(field.name) in required) == (not has_default), (where, field.name)
        assert optional <= has_default, f"{where}.{field.name}: an optional field needs a default"
        assert spec.get("description") == docs.get(field.name), (where, field.name)
        # A field that is not an Input stays plain, so other languages cannot pass it an unknown value.
        is_input = any(typing.get_origin(m) is AWAITABLE for m in typing.get_args(hints[field.name]))
        assert bool(spec.get("plain")) == (not is_input), (where, field.name, spec)


@pytest.mark.parametrize(("component", "args_class"), EXPOSED, ids=[c.__name__ for c, _ in EXPOSED])
def test_schema_has_each_component_with_the_python_args_and_outputs(
    schema: dict[str, Any], component: type, args_class: type
) -> None:
    assert schema["name"] == "atlas-platform" and schema["version"] == __version__
    resource = schema["resources"][TOKEN.format(component.__name__)]
    assert resource["isComponent"] is True
    assert resource["description"] == inspect.cleandoc(component.__doc__ or "")
    check_fields(args_class, resource["inputProperties"], resource.get("requiredInputs", []), component.__name__)
    assert all("description" in spec for spec in resource["inputProperties"].values()), "every input is described"

    declared = inspect.get_annotations(component)
    assert set(resource["properties"]) == {camel_case(name) for name in declared}
    assert all("description" in spec for spec in resource["properties"].values()), "every output is described"
    assert set(resource.get("required", [])) == {camel_case(n) for n, a in declared.items() if "None" not in str(a)}


def test_schema_nested_types_are_the_nested_dataclasses(schema: dict[str, Any]) -> None:
    nested: dict[str, type] = {}

    def collect(cls: type) -> None:
        for annotation in typing.get_type_hints(cls, localns=INPUT_NAMES).values():
            for candidate in [
                annotation,
                *typing.get_args(annotation),
                *(a for m in typing.get_args(annotation) for a in typing.get_args(m)),
            ]:
                if dataclasses.is_dataclass(candidate) and isinstance(candidate, type) and candidate.__name__ not in nested:
                    nested[candidate.__name__] = candidate
                    collect(candidate)

    for _, args_class in EXPOSED:
        collect(args_class)
    assert {TOKEN.format(name) for name in nested} == set(schema["types"])
    for name, cls in nested.items():
        spec = schema["types"][TOKEN.format(name)]
        assert spec["description"] == cls.__doc__, name
        check_fields(cls, spec["properties"], spec.get("required", []), name)


def test_the_yaml_example_uses_only_the_exposed_components_and_their_inputs(schema: dict[str, Any]) -> None:
    import yaml

    program = yaml.safe_load((ROOT / "examples" / "yaml-app" / "Pulumi.yaml").read_text())
    for name, resource in program["resources"].items():
        token = resource["type"].replace("atlas-platform:", "atlas-platform:index:")
        spec = schema["resources"][token]
        assert set(resource["properties"]) <= set(spec["inputProperties"]), name
        assert set(spec.get("requiredInputs", [])) <= set(resource["properties"]), name


def test_every_python_args_class_round_trips_through_the_provider_inputs() -> None:
    # What Construct hands the component is the dataclass a Python caller would build.
    args = from_inputs(
        ProdClusterArgs,
        {
            "project_id": "p",
            "name": "db",
            "tier": "M10",
            "mongo_db_major_version": "8.0",
            "regions": [{"atlas_region": "US_EAST_1", "priority": 7.0, "electable_nodes": 3.0}],
            "maintenance": {"day_of_week": 1.0, "hour_of_day": 4.0, "protected_hours": [1.0, 5.0]},
        },
    )
    assert args == ProdClusterArgs(
        project_id="p",
        name="db",
        tier="M10",
        mongo_db_major_version="8.0",
        regions=[RegionNodes("US_EAST_1", 7, 3)],
        maintenance=Maintenance(1, 4, protected_hours=(1, 5)),
    )
    assert isinstance(args.regions[0].priority, int) and args.backup is not None, "absent inputs take the dataclass defaults"


# --- Construct: the children registered with the engine --------------------------------------------


def construct(
    provider: Any, engine: tuple[str, Monitor], component: type, name: str, inputs: dict[str, Any]
) -> tuple[Any, list[Any]]:
    address, monitor = engine
    before = len(monitor.registrations)
    struct = struct_pb2.Struct()
    struct.update(inputs)
    response = provider.Construct(
        provider_pb2.ConstructRequest(
            project=PROJECT,
            stack=STACK,
            dryRun=False,
            parallel=4,
            monitorEndpoint=address,
            type=TOKEN.format(component.__name__),
            name=name,
            inputs=struct,
        )
    )
    return response, monitor.registrations[before:]


def test_construct_prod_project_registers_the_project_and_its_team(provider: Any, engine: tuple[str, Monitor]) -> None:
    response, registered = construct(
        provider,
        engine,
        ProdProject,
        "orders-dev",
        {
            "orgId": "5f1e2d3c4b5a69788796a5b4",
            "name": "orders-dev",
            "tags": {"application": "orders"},
            "teams": [
                {
                    "key": "dba",
                    "teamId": "6a1b2c3d4e5f6a7b8c9d0e1f",
                    "roleNames": ["GROUP_READ_ONLY", "GROUP_DATA_ACCESS_READ_ONLY"],
                }
            ],
        },
    )
    by_type = {request.type: (request, inputs, urn) for request, inputs, urn in registered}
    component, _, component_urn = by_type[TOKEN.format("ProdProject")]
    assert [a.spec.type for a in component.aliases] == ["atlas:prod:ProdProject"]
    project, project_inputs, _ = by_type["mongodbatlas:index/project:Project"]
    assert project.parent == component_urn and project.protect, "the project keeps ProdProject's protect default"
    assert project_inputs["name"] == "orders-dev" and project_inputs["orgId"] == "5f1e2d3c4b5a69788796a5b4"
    assert project_inputs["isDataExplorerEnabled"] is False, "absent features take the dataclass defaults"
    team, team_inputs, _ = by_type["mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment"]
    assert team.parent == component_urn and team.name == "orders-dev-team-dba"
    assert team_inputs["roleNames"] == ["GROUP_DATA_ACCESS_READ_ONLY", "GROUP_READ_ONLY"]
    assert len(registered) == 3
    state = rpc.deserialize_properties(response.state)
    assert response.urn == component_urn and state["projectName"] == "orders-dev" and state["projectId"]


def test_construct_app_user_registers_the_user_its_password_and_its_secret(provider: Any, engine: tuple[str, Monitor]) -> None:
    response, registered = construct(
        provider,
        engine,
        AppUser,
        "orders-dev-user-reporting",
        {
            "projectId": "6a1b2c3d4e5f6a7b8c9d0e1f",
            "username": "orders-dev-reporting",
            "auth": "password",
            "roles": [{"roleName": "read", "databaseName": "orders"}],
            "clusterNames": ["orders-dev-db"],
            "description": "nightly reports",
            "secretName": "orders/dev/mongodb/reporting",
            "secretsKmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b",
        },
    )
    by_type = {request.type: (request, inputs, urn) for request, inputs, urn in registered}
    _, _, component_urn = by_type[TOKEN.format("AppUser")]
    assert set(by_type) == {
        TOKEN.format("AppUser"),
        "random:index/randomPassword:RandomPassword",
        "mongodbatlas:index/databaseUser:DatabaseUser",
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretVersion:SecretVersion",
    }
    assert all(request.parent == component_urn for request, _, _ in registered[1:])
    _, user, _ = by_type["mongodbatlas:index/databaseUser:DatabaseUser"]
    assert user["username"] == "orders-dev-reporting" and user["authDatabaseName"] == "admin"
    assert user["roles"] == [{"roleName": "read", "databaseName": "orders"}]
    assert user["scopes"] == [{"name": "orders-dev-db", "type": "CLUSTER"}]
    assert rpc.is_rpc_secret(user["password"]), "the password reaches the engine only as a secret"
    _, secret, _ = by_type["aws:secretsmanager/secret:Secret"]
    assert secret["name"] == "orders/dev/mongodb/reporting" and secret["kmsKeyId"].startswith("arn:aws:kms:")
    assert secret["recoveryWindowInDays"] == 30
    state = rpc.deserialize_properties(response.state)
    assert response.urn == component_urn and state["username"] == "orders-dev-reporting"


def test_construct_refuses_what_the_python_args_refuse(provider: Any, engine: tuple[str, Monitor]) -> None:
    with pytest.raises(grpc.RpcError, match="a stored credential needs secret_name"):
        construct(
            provider,
            engine,
            AppUser,
            "bad",
            {
                "projectId": "p",
                "username": "u",
                "auth": "password",
                "roles": [{"roleName": "read", "databaseName": "x"}],
                "clusterNames": ["c"],
                "description": "d",
            },
        )
