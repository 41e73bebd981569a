"""The component provider: ProdProject, ProdCluster, PrivateEndpoint and AppUser for any Pulumi language.

`provider/PulumiPlugin.yaml` runs `main()` under the Pulumi SDK's `component_provider_host`, which
infers the package schema from type annotations: a component's `args` as a TypedDict of `Input`
types, its outputs as `Output` annotations, descriptions from docstrings. A TypeScript, Go or YAML
program then `pulumi package add`s it and gets the same tokens (`atlas-platform:index:<Class>`).

One definition serves Python and the provider: the args dataclasses in `atlas_platform/components/` stay the
Python contract (attribute access, defaults, `__post_init__` checks), and the TypedDicts the host
reads are derived from them here, field by field:
- a field with a default is `NotRequired`, and an absent input takes the dataclass's default;
- a nested dataclass becomes a nested TypedDict of the same name; `Sequence`/`tuple` a list,
  `Mapping` a map; `Input[...]` and `| None` are kept, so plain fields stay plain in the schema;
- the TypedDict carries the dataclass's module, qualified name and first line, because the host
  reads field descriptions from the source of the class (`inspect.getsource`, then the docstring
  after each annotated field): each description is the dataclass field's own docstring.
A construct call's inputs (a dict, nested dicts) are turned back into the dataclass, so the
component runs exactly as it does for a Python caller. `tests/test_component_provider.py` holds
the schema to the dataclasses and constructs components over the provider's gRPC protocol.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import types
import typing
from collections.abc import Mapping
from typing import Any, Optional, TypedDict, Union

import pulumi
from typing_extensions import NotRequired

from . import __version__
from .components.app_user import AppUser, AppUserArgs
from .components.cluster import ProdCluster, ProdClusterArgs
from .components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from .components.project import ProdProject, ProdProjectArgs

PACKAGE = "atlas-platform"
# The components other languages get, with their args dataclass.
EXPOSED: tuple[tuple[type[pulumi.ComponentResource], type], ...] = (
    (ProdProject, ProdProjectArgs),
    (ProdCluster, ProdClusterArgs),
    (PrivateEndpoint, PrivateEndpointArgs),
    (AppUser, AppUserArgs),
)
_NONE = type(None)
# `pulumi.Input[T]` holds the forward reference "Output[T]"; evaluating a field's annotation needs its names.
_INPUT_NAMES = {"Output": pulumi.Output, "T": typing.TypeVar("T")}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, localns=_INPUT_NAMES)


def _same_source(derived: Any, origin: type) -> None:
    """Make `inspect.getsource(derived)` find `origin`'s class statement (and so its docstrings)."""
    derived.__module__ = origin.__module__
    derived.__qualname__ = origin.__qualname__
    # A dataclass without a docstring gets its signature as `__doc__`: no description is better.
    doc = origin.__doc__
    derived.__doc__ = None if doc is None or doc.startswith(f"{origin.__name__}(") else doc
    if "__firstlineno__" in vars(origin):  # Python 3.13+ locates a class's source by it
        derived.__firstlineno__ = vars(origin)["__firstlineno__"]


def _input_of(annotation: Any) -> Any | None:
    """T for `pulumi.Input[T]` (a Union holding Awaitable[T]), else None."""
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is collections.abc.Awaitable:
            return typing.get_args(member)[0]
    return None


def schema_type(annotation: Any) -> Any:
    """The annotation the host reads for a dataclass field's annotation."""
    origin, members = typing.get_origin(annotation), typing.get_args(annotation)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return typed_dict(annotation)
    if origin in (Union, types.UnionType):
        inner = _input_of(annotation)
        if inner is not None:
            converted: Any = pulumi.Input[schema_type(inner)]  # type: ignore[misc]
        else:
            (plain,) = [m for m in members if m is not _NONE]
            converted = schema_type(plain)
        return Optional[converted] if _NONE in members else converted  # noqa: UP045 (a runtime type)
    if origin in (list, tuple, collections.abc.Sequence):
        return list[schema_type(members[0])]  # type: ignore[misc]
    if origin in (dict, collections.abc.Mapping):
        return dict[str, schema_type(members[1])]  # type: ignore[misc]
    return annotation


@functools.cache
def typed_dict(args_class: type) -> type:
    """The TypedDict of `args_class`'s fields, as the component provider host reads args."""
    hints = _hints(args_class)
    fields = {}
    for field in dataclasses.fields(args_class):
        annotation = schema_type(hints[field.name])
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        fields[field.name] = NotRequired[annotation] if has_default else annotation
    derived: Any = TypedDict(args_class.__name__, fields)  # type: ignore[misc]
    _same_source(derived, args_class)
    return typing.cast(type, derived)


def from_inputs(args_class: type, values: Mapping[str, Any]) -> Any:
    """The dataclass for a construct call's inputs (Python names, nested dicts): absent means default."""
    hints = _hints(args_class)
    given = {
        f.name: _value(hints[f.name], values[f.name]) for f in dataclasses.fields(args_class) if values.get(f.name) is not None
    }
    return args_class(**given)


def _value(annotation: Any, value: Any) -> Any:
    origin, members = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(value, pulumi.Output):
        return value  # an Input field: the component takes it as it is
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        if not isinstance(value, Mapping):
            raise TypeError(f"{annotation.__name__} takes an object, got {value!r}")
        return from_inputs(annotation, value)
    if origin in (Union, types.UnionType):
        inner = _input_of(annotation)
        return _value(inner if inner is not None else next(m for m in members if m is not _NONE), value)
    if origin in (list, tuple, collections.abc.Sequence):
        items = [_value(members[0], item) for item in value]
        return tuple(items) if origin is tuple else items
    if origin in (dict, collections.abc.Mapping):
        return {key: _value(members[1], item) for key, item in value.items()}
    if annotation is int and isinstance(value, float):
        return int(value)  # numbers travel as floats
    return value


def hosted(component: type[pulumi.ComponentResource], args_class: type) -> type[pulumi.ComponentResource]:
    """`component` as the host constructs it: args as the derived TypedDict, turned into `args_class`."""

    class Hosted(component):  # type: ignore[valid-type,misc]
        def __init__(self, name: str, args: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__(name, from_inputs(args_class, args), opts)

    Hosted.__name__ = component.__name__
    _same_source(Hosted, component)
    Hosted.__init__.__annotations__ = {"name": str, "args": typed_dict(args_class), "opts": Optional[pulumi.ResourceOptions]}  # noqa: UP045
    # The outputs the component declares, evaluated (its module writes them as strings).
    Hosted.__annotations__ = inspect.get_annotations(component, eval_str=True)
    return Hosted


def components() -> list[type[pulumi.ComponentResource]]:
    return [hosted(component, args_class) for component, args_class in EXPOSED]


def main() -> None:
    """Serve the provider over gRPC, as the engine starts it (prints the port, then serves)."""
    from pulumi.provider.experimental import component_provider_host

    component_provider_host(components(), name=PACKAGE, version=__version__)
