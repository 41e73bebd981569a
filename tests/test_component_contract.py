"""The component contract other programs rely on: type tokens, declared outputs, ids between
components, and production defaults decided in one place (issue 12)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pulumi
import pytest
from conftest import STACKS, fixture_file, load_stack

import atlas_platform.components as components
from stackconfig import ConfigError
from tests.harness.mocks import Registration
from tests.harness.runner import Plan

PACKAGE = "atlas-platform"
ENVIRONMENT_WORDS = {"prod", "production", "staging", "dev", "development"}
STACK_TYPE = "pulumi:pulumi:Stack"


def component_classes() -> list[tuple[type[pulumi.ComponentResource], object]]:
    """Every ComponentResource defined in atlas_platform/components/, with its module."""
    found = []
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"{components.__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == module.__name__:
                found.append((cls, module))
    return found


def test_every_component_token_is_package_index_classname():
    classes = component_classes()
    assert len(classes) >= 11
    for cls, module in classes:
        assert f"{PACKAGE}:index:{cls.__name__}" == module.TOKEN, module.__name__
        # The alias that keeps URNs of stacks deployed before the rename; a component added after
        # it says so with None (nothing was ever deployed under another token).
        assert module.PREVIOUS_TOKEN in (f"atlas:prod:{cls.__name__}", None), module.__name__


def _previous_tokens() -> dict[str, str | None]:
    return {module.TOKEN: module.PREVIOUS_TOKEN for _, module in component_classes()}


def test_components_of_the_first_release_keep_their_old_token():
    """Every component the program had before the rename is aliased; only later ones may have none."""
    first_release = {
        "AccessList", "AlertBaseline", "AppUser", "AtlasKmsEncryption", "AtlasResourcePolicies", "CustomRoles",
        "IpAccessList", "PrivateEndpoint", "ProdCluster", "ProdProject", "ProjectAuditing", "SecretsKey",
    }  # fmt: skip
    for token, previous in _previous_tokens().items():
        name = token.rsplit(":", 1)[1]
        if name in first_release:
            assert previous == f"atlas:prod:{name}", token


@pytest.mark.parametrize("stack", STACKS)
def test_no_type_token_names_an_environment(plans, stack):
    plan = plans(stack)
    words = ENVIRONMENT_WORDS | {load_stack(stack).environment.lower()}
    tokens = {r.type for r in plan.resources}
    assert tokens
    for token in tokens:
        parts = {p.lower() for p in re.split(r"[^A-Za-z0-9]+", token)}
        assert not parts & words, f"{token} names an environment"
    known = {module.TOKEN for _, module in component_classes()}
    for component in (r for r in plan.resources if not r.custom):
        assert component.type in known, component.type


def _segments(urn: str) -> tuple[str, str, list[str], str]:
    """stack, project, type chain (parents' types, then its own) and name of a URN."""
    stack, project, chain, name = urn.removeprefix("urn:pulumi:").split("::", 3)
    return stack, project, [t for t in chain.split("$") if t != STACK_TYPE], name


def _urn(stack: str, project: str, chain: list[str], name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{'$'.join(chain)}::{name}"


def old_urn(plan: Plan, resource: Registration) -> str:
    """The URN the engine matches `resource`'s old state by, derived as the engine derives it from
    what the program sent: a component's own alias spec replaces its type, and a child's alias is
    inherited from its parent's (the same rule as the SDK's `inherited_child_alias`: the parent's
    alias URN as the type chain prefix; names are unchanged, so the child's name stays)."""
    stack, project, chain, name = _segments(resource.urn)
    own_type = chain[-1]
    for alias in resource.alias_specs:
        if alias.get("type") and not alias.get("parentUrn") and not alias.get("noParent") and not alias.get("name"):
            own_type = alias["type"]
    parents = [r for r in plan.resources if r.urn == resource.parent]
    prefix = _segments(old_urn(plan, parents[0]))[2] if parents else []
    return _urn(stack, project, [*prefix, own_type], name)


@pytest.mark.parametrize("stack", STACKS)
def test_every_component_carries_its_old_token_and_its_children_resolve_to_their_old_urns(plans, stack):
    plan = plans(stack)
    previous_tokens = _previous_tokens()
    components_in_plan = [r for r in plan.resources if not r.custom and previous_tokens[r.type] is not None]
    assert components_in_plan
    for component in components_in_plan:
        previous = previous_tokens[component.type]
        # A spec, not a URN: the engine resolves it against the component's current parent and name.
        assert {"name": "", "type": previous, "stack": "", "project": "", "noParent": False, "parentUrn": ""} in (
            component.alias_specs
        ), component.name
    # Children of components that existed before the rename (a newer component's children had no old URN).
    children = [
        r
        for r in plan.resources
        if any(r.parent == c.urn for c in components_in_plan)
        and all(previous_tokens.get(t, "") for t in _segments(r.urn)[2][:-1])
    ]
    assert children
    for child in children:
        stack_name, project, chain, name = _segments(child.urn)
        # What the program before the rename registered this child as.
        legacy = _urn(stack_name, project, [t.replace(f"{PACKAGE}:index:", "atlas:prod:") for t in chain], name)
        assert legacy != _urn(stack_name, project, chain, name)
        assert old_urn(plan, child) == legacy, child.name
        # Children send no alias of the parent's type: the engine derives theirs (see atlas_platform/components/naming.py).
        assert not any(a.get("type", "").startswith("atlas:prod:") for a in child.alias_specs), child.name


# ---- outputs: declared, typed, always set; child resources stay private ----

# Set by pulumi.Resource itself on every resource, not part of any component's own interface.
RESOURCE_ATTRIBUTES = {"urn", "id"}


@pytest.fixture(scope="module")
def constructed() -> dict[str, list[tuple[pulumi.ComponentResource, dict[str, object]]]]:
    """Per stack: every component its program builds, with what it passed to `register_outputs`
    (the program's last word on each component, called once construction is done)."""
    from tests.harness.runner import run_stack

    seen: dict[str, list[tuple[pulumi.ComponentResource, dict[str, object]]]] = {}
    original = pulumi.ComponentResource.register_outputs
    current: list[str] = []

    def record(self: pulumi.ComponentResource, outputs: dict[str, object]) -> None:
        if isinstance(self, tuple(cls for cls, _ in component_classes())):
            seen.setdefault(current[-1], []).append((self, dict(outputs)))
        original(self, outputs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pulumi.ComponentResource, "register_outputs", record)
        for stack in STACKS:
            current.append(stack)
            run_stack(stack, stack_file=fixture_file(stack))
    return seen


def _is_output_value(value: object, annotation: str) -> bool:
    if annotation.startswith("pulumi.Output["):
        return isinstance(value, pulumi.Output)
    if annotation.startswith("dict[str, pulumi.Output["):
        return isinstance(value, dict) and all(isinstance(v, pulumi.Output) for v in value.values())
    return False


def test_every_component_class_is_built_by_some_stack(constructed):
    built = {type(component) for found in constructed.values() for component, _ in found}
    assert built == {cls for cls, _ in component_classes()}


@pytest.mark.parametrize("stack", STACKS)
def test_public_attributes_are_exactly_the_declared_outputs_always_set_and_registered(constructed, stack):
    found = constructed[stack]
    assert found
    for component, registered in found:
        cls = type(component)
        declared = inspect.get_annotations(cls)
        assert declared, f"{cls.__name__} declares no outputs"
        public = {k for k in vars(component) if not k.startswith("_")} - RESOURCE_ATTRIBUTES
        assert public == set(declared), f"{cls.__name__}: public {sorted(public)} vs declared {sorted(declared)}"
        assert set(registered) == set(declared), f"{cls.__name__} registers {sorted(registered)}"
        for name, annotation in declared.items():
            value = getattr(component, name)
            assert value is not None, f"{cls.__name__}.{name} is None"
            assert _is_output_value(value, str(annotation)), f"{cls.__name__}.{name}: {annotation} holds {value!r}"
            assert registered[name] is value, f"{cls.__name__}.{name} is not what it registers"


# ---- components take ids and names from each other, never each other's objects ----


def test_component_args_take_ids_and_names_not_components_or_resources():
    import dataclasses

    names = {cls.__name__ for cls, _ in component_classes()}
    args_classes = [
        cls
        for _, module in component_classes()
        for _, cls in inspect.getmembers(module, dataclasses.is_dataclass)
        if isinstance(cls, type) and cls.__module__ == module.__name__
    ]
    assert len(args_classes) >= 11
    for cls in args_classes:
        for field in dataclasses.fields(cls):
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", str(field.type)))
            assert not words & names, f"{cls.__name__}.{field.name}: {field.type} is a component"
            assert not {w for w in words if w.endswith("Resource")}, f"{cls.__name__}.{field.name}: {field.type}"


@pytest.mark.parametrize("stack", STACKS)
def test_an_encrypted_cluster_waits_for_encryption_through_its_project_id_alone(plans, stack):
    plan = plans(stack)
    encryptions = plan.of_type("mongodbatlas:index/encryptionAtRest:EncryptionAtRest")
    if not encryptions:
        pytest.skip(f"{stack} does not encrypt with its own key")
    cluster = plan.one("mongodbatlas:index/advancedCluster:AdvancedCluster")
    (encryption,) = encryptions
    assert cluster.inputs["encryptionAtRestProvider"] == "AWS"
    # The wait is data: the project id comes from EncryptionAtRest (and each KMS private endpoint, when
    # private networking is required), and no explicit edge was added.
    endpoints = plan.of_type("mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint")
    assert sorted(cluster.property_dependencies["projectId"]) == sorted([encryption.urn, *(e.urn for e in endpoints)])
    assert set(cluster.dependencies) == {u for deps in cluster.property_dependencies.values() for u in deps}


# ---- production defaults: decided once, in the config model ----


def test_program_args_decides_no_default_from_the_environment():
    """program_args copies resolved values: no `is_prod`, no comparison with an environment."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parent.parent / "program_args.py").read_text()
    tree = ast.parse(source)
    assert "is_prod" not in source
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            text = ast.unparse(node)
            assert "environment" not in text and not ENVIRONMENT_WORDS & set(re.findall(r"\w+", text)), text
        if isinstance(node, ast.Call):
            # The sections' resolvers take whether the stack is production: only the model calls them.
            called = ast.unparse(node.func)
            assert not re.search(
                r"\.(resolved_enabled|baseline_on|point_in_time|restore_window_days|"
                r"termination_protected|encrypted|recovery_window_days|resolved_default_alerts)$",
                called,
            ), called


def _without_explicit_defaults(config: dict) -> None:
    """Leave every production-dependent key to its default."""
    from conftest import key

    config.get(key("projectSettings"), {}).pop("dataExplorer", None)
    config.get(key("projectSettings"), {}).pop("defaultAlerts", None)
    config.get(key("alerts"), {}).pop("enabled", None)
    config.get(key("auditing"), {}).pop("enabled", None)
    cluster = config.get(key("cluster"))
    if cluster is not None:
        cluster.pop("terminationProtection", None)
        cluster.get("encryption", {}).pop("enabled", None)
        cluster.get("backup", {}).pop("pointInTime", None)
        cluster.get("backup", {}).pop("restoreWindowDays", None)
    for user in config.get(key("databaseUsers"), []):
        user.pop("secretRecoveryWindowDays", None)


@pytest.mark.parametrize("stack", STACKS)
def test_unset_defaults_resolve_to_what_the_environment_documents(stack):
    from conftest import stack_config

    config = stack_config(stack)
    _without_explicit_defaults(config)
    try:
        cfg = load_stack(stack, config)
    except ConfigError as error:  # a non-prod stack may need its explicit values (e.g. no key admins)
        pytest.skip(f"{stack} is not valid with its defaults alone: {error}")
    defaults = cfg.production_defaults
    prod = cfg.is_prod
    assert defaults.production is prod
    assert defaults.protect is prod and defaults.retain_encryption_key is prod
    assert defaults.data_explorer is (not prod)
    assert defaults.alerts is prod and defaults.auditing is prod
    # Atlas's own default alerts only where the baseline does not replace them.
    assert defaults.default_alerts is (not cfg.alerts.baseline_on(prod))
    assert set(defaults.secret_recovery_window_days.values()) <= ({30} if prod else {0})
    if cfg.cluster is not None:
        assert defaults.encrypted is prod and defaults.termination_protection is prod
        assert defaults.point_in_time is (prod and cfg.cluster.backup.enabled)
        assert defaults.restore_window_days == ((7 if prod else None) if cfg.cluster.backup.enabled else None)


def test_prod_and_non_prod_resolve_the_documented_defaults():
    resolved = {}
    for stack in STACKS:
        from conftest import stack_config

        config = stack_config(stack)
        _without_explicit_defaults(config)
        try:
            cfg = load_stack(stack, config)
        except ConfigError:
            continue
        resolved[cfg.is_prod] = cfg.production_defaults
    assert set(resolved) == {True, False}, "needs a prod and a non-prod stack valid with the defaults alone"
    prod, other = resolved[True], resolved[False]
    assert (prod.protect, prod.alerts, prod.auditing, prod.encrypted, prod.termination_protection) == (True,) * 5
    assert prod.point_in_time and prod.restore_window_days == 7 and not prod.data_explorer
    assert (other.protect, other.alerts, other.auditing, other.encrypted, other.termination_protection) == (False,) * 5
    assert not other.point_in_time and other.restore_window_days is None and other.data_explorer
