"""Drive the CrossGuard pack in `policies/` through its real gRPC Analyzer protocol, as the engine does.

The Pulumi engine starts a Python pack as `python -u -m pulumi.policy <engine-address> .` with the
pack folder as working directory, reads the port the pack prints, then calls, over gRPC on
127.0.0.1: `GetAnalyzerInfo`, `Configure` (the reconciled `--policy-pack-config`), `ConfigureStack`
(stack, project, tags, config), `Analyze` for every resource and `AnalyzeStack` once at the end.
`PolicyPackServer` does exactly that; nothing here evaluates a rule itself.

The engine starts one pack process per stack run, with that stack's config in PULUMI_CONFIG (the
pack reads `<project>:environment` and `<project>:production` there). `PolicyPackServer(stack_config=...)`
does the same; `stack_config_for(stack)` is a stack file's map as the engine would pass it.

Differences from the engine, on purpose:
- without `stack_config`, one pack process serves several stacks (tests start it once per session), so
  the engine's per-process PULUMI_STACK/PULUMI_CONFIG variables are not set: the rules read the stack
  name from each resource's URN and the tags from `ConfigureStack`, the fallbacks they use under the
  engine too when a stack's config says nothing about its environment;
- the engine validates the config against each policy's JSON schema with gojsonschema;
  `validate_config` checks the subset of JSON schema the pack uses (no extra dependency);
- the engine passes a policy name the pack does not have on to `Configure` (pulumi/pulumi
  pkg/resource/analyzer/config.go, `applyConfig`), where pulumi_policy 1.21 keeps it for no policy:
  the pack never sees it. `reconcile_config` refuses it, with the closest name, so `make preview`, the
  CI test job's offline preview of every stack and the your-stacks tests stop a misspelt policy name.
  A misspelt setting inside a policy is the pack's own refusal (policies/rules/base.py), as under the engine.
"""

from __future__ import annotations

import atexit
import difflib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from .mocks import Registration
from .stackfile import engine_config

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
CONFIG_DIR = PACK_DIR / "config"
"""Your stacks' policy configs, as CI passes them; the behaviour tests' are in tests/fixtures/policy-config/."""
START_TIMEOUT = 30.0
LOOPBACK = "127.0.0.1"

# How the engine marks secrets and unknowns inside a properties Struct (sdk/go/common/resource/plugin).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_CODES = {name: code for code, name in LEVELS.items()}


class PolicyConfigError(ValueError):
    """A policy config file the Pulumi CLI would reject."""


@dataclass(frozen=True)
class Finding:
    """One diagnostic from the pack: what the engine prints under "Policy Violations"."""

    policy: str
    level: str
    message: str
    urn: str = ""
    resource_type: str = ""
    resource_name: str = ""

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"

    def line(self) -> str:
        where = f"{self.resource_type}  {self.resource_name}" if self.resource_name else "(stack)"
        text = " ".join(self.message.split("\n", 1)[-1].split())
        return f"[{self.level}] {self.policy}  {where}\n      {text}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Finding]:
        return [f for f in self.findings if f.mandatory]

    @property
    def advisory(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "advisory"]

    def policies(self, level: str | None = None) -> set[str]:
        return {f.policy for f in self.findings if level is None or f.level == level}


@dataclass(frozen=True)
class Resource:
    """What the engine knows of one resource when it asks the pack about it."""

    type: str
    name: str
    urn: str
    properties: Mapping[str, Any]
    secret_paths: frozenset[str] = frozenset()
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    protect: bool = False


def urn_for(stack: str, project: str, type_: str, name: str, parent_types: Sequence[str] = ()) -> str:
    qualified = "$".join([*parent_types, type_])
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def stack_urn(stack: str, project: str) -> str:
    return urn_for(stack, project, "pulumi:pulumi:Stack", f"{project}-{stack}")


def from_registration(registration: Registration, *, outputs: bool = False) -> Resource:
    """A planned resource as the engine sends it: inputs for `Analyze`, state for `AnalyzeStack`."""
    properties = {**registration.inputs, **registration.outputs} if outputs else registration.inputs
    return Resource(
        type=registration.type,
        name=registration.name,
        urn=registration.urn,
        properties=properties,
        secret_paths=frozenset(registration.secret_inputs),
        parent=registration.parent,
        dependencies=tuple(registration.dependencies),
        property_dependencies={k: tuple(v) for k, v in registration.property_dependencies.items()},
        protect=registration.protect,
    )


def _engine_value(value: Any, path: str, secrets: frozenset[str]) -> Any:
    """JSON-ready value with secrets in the engine's signature form; None inside lists stays null."""
    out: Any
    if isinstance(value, dict):
        out = {k: _engine_value(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items() if not k.startswith("__")}
    elif isinstance(value, (list, tuple)):
        out = [_engine_value(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    else:
        out = value
    return {SIG_KEY: SECRET_SIG, "value": out} if path in secrets else out


def properties_struct(properties: Mapping[str, Any], secret_paths: Iterable[str] = ()) -> struct_pb2.Struct:
    secrets = frozenset(secret_paths)
    struct = struct_pb2.Struct()
    # The engine marshals with SkipInternalKeys and drops nulls at the top level.
    struct.update({k: _engine_value(v, k, secrets) for k, v in properties.items() if v is not None and not k.startswith("__")})
    return struct


def _options(resource: Resource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


# ---- policy config: what `pulumi preview --policy-pack-config FILE` does before `Configure` ----


def load_config_file(path: Path) -> dict[str, Any]:
    text = path.read_text()
    return json.loads(text) if text.strip() else {}


def config_for_stack(stack: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The per-stack policy config file CI passes with --policy-pack-config (empty if there is none)."""
    path = config_dir / f"{stack}.json"
    return load_config_file(path) if path.exists() else {}


def stack_config_for(stack: str, root: Path = ROOT, stack_file: Path | None = None) -> dict[str, str]:
    """Stack `stack`'s config map as the engine passes it to the pack (PULUMI_CONFIG); empty when the
    stack file is missing or bad (the program reports that, not the pack)."""
    from stackconfig.loader import ConfigError

    try:
        return engine_config(root, stack, stack_file=stack_file)[0]
    except ConfigError:
        return {}


def _split(value: Any, policy: str) -> tuple[str | None, dict[str, Any]]:
    if isinstance(value, str):
        if value not in LEVEL_CODES:
            raise PolicyConfigError(f"parsing enforcement level for {policy!r}: {value!r} is not a valid enforcement level")
        return value, {}
    if not isinstance(value, dict):
        raise PolicyConfigError(f"parsing {policy!r}: {value!r} is not a valid value; must be a string or object")
    props = dict(value)
    level = props.pop("enforcementLevel", None)
    if level is not None and level not in LEVEL_CODES:
        raise PolicyConfigError(f"parsing enforcement level for {policy!r}: {level!r} is not a valid enforcement level")
    return level, props


def _schema_errors(schema: Mapping[str, Any], value: Any, where: str) -> list[str]:
    kind = schema.get("type")
    checks: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "boolean": bool,
        "array": list,
        "object": dict,
        "number": (int, float),
        "integer": int,
    }
    if kind in checks and (not isinstance(value, checks[kind]) or (kind in ("number", "integer") and isinstance(value, bool))):
        return [f"{where}: Invalid type. Expected: {kind}, given: {type(value).__name__}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: must be one of {schema['enum']}")
    if kind == "string" and len(value) < schema.get("minLength", 0):
        errors.append(f"{where}: String length must be greater than or equal to {schema['minLength']}")
    if kind == "array":
        for index, item in enumerate(value):
            errors += _schema_errors(schema.get("items", {}), item, f"{where}.{index}")
    if kind == "object":
        props = schema.get("properties", {})
        errors += [f"{where}: {name} is required" for name in schema.get("required", []) if name not in value]
        for name, item in value.items():
            if name in props:
                errors += _schema_errors(props[name], item, f"{where}.{name}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: Additional property {name} is not allowed")
    return errors


def _unknown_policy(name: str, policies: list[str]) -> str:
    close = difflib.get_close_matches(name, policies, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "policies/README.md, Rules, lists them"
    return f"{name!r} is not a policy of this pack ({hint}); a misspelt policy name leaves that policy at its defaults"


def reconcile_config(info: analyzer_pb2.AnalyzerInfo, given: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Defaults from the pack's metadata, then `all`, then each policy's entry; validated by schema."""
    schemas = {p.name: json_format.MessageToDict(p.configSchema) for p in info.policies}
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in info.policies:
        properties = schemas[policy.name].get("properties", {})
        defaults = {k: v["default"] for k, v in properties.items() if "default" in v}
        result[policy.name] = (LEVELS[policy.enforcementLevel], defaults)
    unknown = [_unknown_policy(name, list(schemas)) for name in given if name != "all" and name not in schemas]
    if unknown:
        raise PolicyConfigError("policy pack configuration is invalid: " + "; ".join(unknown))
    parsed = {name: _split(value, name) for name, value in given.items()}
    all_level = parsed.get("all", (None, {}))[0]
    if all_level:
        result = {name: (all_level, props) for name, (_, props) in result.items()}
    for name, (level, props) in parsed.items():
        if name == "all" and not props:
            continue
        current_level, current_props = result.get(name, ("advisory", {}))
        result[name] = (level or current_level, {**current_props, **props})
    errors = []
    for policy in info.policies:
        schema = {"type": "object", **schemas[policy.name]}
        errors += [f"{policy.name}: {e}" for e in _schema_errors(schema, result[policy.name][1], "(root)")]
    if errors:
        raise PolicyConfigError("policy pack configuration is invalid: " + "; ".join(errors))
    return result


# ---- the engine's side of the conversation ----


class _FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine address the pack is started with. A pack only calls it to log (pulumi.log)."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append(request.message)
        return empty_pb2.Empty()


class PolicyPackServer:
    """The pack running as the engine runs it. Use as a context manager; `close()` always ends it."""

    def __init__(
        self,
        pack_dir: Path = PACK_DIR,
        *,
        project: str = "atlas-platform",
        wait: bool = True,
        stack_config: Mapping[str, str] | None = None,
    ) -> None:
        """Start the pack; with `wait=False` return at once (the first call waits for it to listen).

        `stack_config` is the one stack's config this process serves, handed over as the engine does.
        """
        self.pack_dir = pack_dir
        self.project = project
        self.stack_config = dict(stack_config) if stack_config is not None else None
        self._closed = False
        self.engine = _FakeEngine()
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port(f"{LOOPBACK}:0")
        self._engine_server.start()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the pack; close() closes it
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PULUMI_STACK", "PULUMI_PROJECT", "PULUMI_DRY_RUN", "PULUMI_CONFIG", "PULUMI_ORGANIZATION")
        }
        if self.stack_config is not None:
            env["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        self._started = time.perf_counter()
        self.startup_seconds = 0.0  # until the pack prints its port: the time it takes to listen
        self._stub: Any = None
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", f"{LOOPBACK}:{engine_port}", "."],
            cwd=pack_dir,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._first_line = threading.Event()
        self._line: list[bytes] = []
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        # The pack sleeps forever by design: make sure it ends with this process even without close().
        atexit.register(self.close)
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Read the port the pack printed, connect, and ask `GetAnalyzerInfo`, as the engine does first."""
        if self._stub is not None:
            return
        try:
            port = self._read_port()
            self.channel = grpc.insecure_channel(f"{LOOPBACK}:{port}")
            grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)
            stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
            self._info = stub.GetAnalyzerInfo(empty_pb2.Empty())
        except BaseException:
            self.close()
            raise
        self._stub = stub

    @property
    def stub(self) -> Any:
        self.wait_ready()
        return self._stub

    @property
    def info(self) -> Any:
        self.wait_ready()
        return self._info

    def _read_stdout(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        self._line.append(stdout.readline())
        self.startup_seconds = time.perf_counter() - self._started
        self._first_line.set()
        # Keep draining: a policy that prints must never block on a full pipe.
        for _ in stdout:
            pass

    def _read_port(self) -> int:
        self._first_line.wait(START_TIMEOUT)
        text = self._line[0].decode().strip() if self._line else ""
        if not text.isdigit():
            self._stderr.seek(0)
            raise RuntimeError(f"policy pack did not print its port (got {text!r}):\n{self._stderr.read().decode()}")
        return int(text)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        reader = getattr(self, "_reader", None)
        if reader is not None:
            reader.join(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()
        self._engine_server.stop(0)

    def __enter__(self) -> PolicyPackServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the calls --

    def policy_names(self) -> list[str]:
        return [p.name for p in self.info.policies]

    def configure(self, config: Mapping[str, Any] | None = None) -> None:
        """`Configure` with the reconciled config for every policy (the engine always sends the full set)."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in reconcile_config(self.info, config or {}).items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = LEVEL_CODES[level]
            entry.properties.update(props)
        self.stub.Configure(request)

    def configure_stack(
        self,
        stack: str,
        *,
        tags: Mapping[str, str] | None = None,
        config: Mapping[str, str] | None = None,
        dry_run: bool = True,
    ) -> None:
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack,
                project=self.project,
                organization="organization",
                dry_run=dry_run,
                tags=dict(tags or {}),
                config=dict(config if config is not None else self.stack_config or {}),
            )
        )

    def _findings(self, response: Any, report: Report, by_urn: Mapping[str, Resource], default_urn: str = "") -> None:
        for d in response.diagnostics:
            urn = d.urn or default_urn
            resource = by_urn.get(urn)
            report.findings.append(
                Finding(
                    policy=d.policyName,
                    level=LEVELS[d.enforcementLevel],
                    message=d.message,
                    urn=urn,
                    resource_type=resource.type if resource else "",
                    resource_name=resource.name if resource else "",
                )
            )
        report.not_applicable += [(n.policy_name, n.reason) for n in response.not_applicable]

    @staticmethod
    def _analyze_request(resource: Resource) -> Any:
        return analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            urn=resource.urn,
            name=resource.name,
            properties=properties_struct(resource.properties, resource.secret_paths),
            options=_options(resource),
        )

    def analyze(self, resource: Resource, report: Report | None = None) -> Report:
        report = report if report is not None else Report()
        self._findings(self.stub.Analyze(self._analyze_request(resource)), report, {resource.urn: resource}, resource.urn)
        return report

    def analyze_stack(self, resources: Sequence[Resource], report: Report | None = None) -> Report:
        report = report if report is not None else Report()
        request = analyzer_pb2.AnalyzeStackRequest()
        for r in resources:
            item = request.resources.add(type=r.type, urn=r.urn, name=r.name, parent=r.parent, dependencies=list(r.dependencies))
            item.properties.CopyFrom(properties_struct(r.properties, r.secret_paths))
            item.options.CopyFrom(_options(r))
            for key, urns in r.property_dependencies.items():
                if urns:
                    item.propertyDependencies[key].urns.extend(urns)
        self._findings(self.stub.AnalyzeStack(request), report, {r.urn: r for r in resources})
        return report

    def check(
        self,
        stack: str,
        resources: Sequence[Resource],
        *,
        stack_resources: Sequence[Resource] | None = None,
        policy_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Report:
        """One preview's worth of calls: configure, every resource, then the stack."""
        self.configure(policy_config)
        self.configure_stack(stack, tags=tags)
        report = Report()
        for resource in resources:
            self.analyze(resource, report)
        root = Resource("pulumi:pulumi:Stack", f"{self.project}-{stack}", stack_urn(stack, self.project), {})
        self.analyze_stack([root, *(stack_resources if stack_resources is not None else resources)], report)
        return report

    def check_plan(
        self,
        plan: Any,
        *,
        policy_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        extra: Sequence[Registration] = (),
    ) -> Report:
        """Every planned resource (plus `extra`) through `Analyze`, then all of them through `AnalyzeStack`.

        Without `policy_config`, the policy config that goes with the plan's stack file (`plan.policy_config_dir`)."""
        registrations = [*plan.resources, *extra]
        config = config_for_stack(plan.stack, plan.policy_config_dir) if policy_config is None else policy_config
        return self.check(
            plan.stack,
            [from_registration(r) for r in registrations],
            stack_resources=[from_registration(r, outputs=True) for r in registrations],
            policy_config=config,
            tags=tags,
        )


# ---- the offline preview's policy section (`make preview STACK=...`) ----

POLICY_VIOLATION_EXIT = 2


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def render_policy_report(plan: Any, report: Report, startup_seconds: float) -> list[str]:
    path = plan.policy_config_dir / f"{plan.stack}.json"
    config = _shown(path) if config_for_stack(plan.stack, plan.policy_config_dir) else "no policy config file"
    lines = [
        f"Policies (CrossGuard pack policies/, run over its gRPC Analyzer protocol; {config}; "
        f"pack started in {startup_seconds:.2f}s):",
    ]
    for finding in sorted(report.findings, key=lambda f: (not f.mandatory, f.policy, f.resource_name)):
        lines.append("  " + finding.line())
    mandatory, advisory = len(report.mandatory), len(report.advisory)
    verdict = "BLOCKED: pulumi up would refuse this stack" if mandatory else "passed"
    lines.append(f"  {mandatory} mandatory, {advisory} advisory violation(s): {verdict}.")
    return lines


def check_policies(plan: Any, pack: PolicyPackServer, extra: Iterable[Registration] = ()) -> tuple[list[str], int]:
    """The pack's verdict on `plan`: printable lines and the exit code (2 on any mandatory violation, 1 on a
    policy config the CLI would refuse to run with)."""
    try:
        report = pack.check_plan(plan, extra=list(extra))
    except PolicyConfigError as error:
        return [f"Policies: {_shown(plan.policy_config_dir / f'{plan.stack}.json')}: {error}. Nothing was checked."], 1
    lines = render_policy_report(plan, report, pack.startup_seconds)
    return lines, POLICY_VIOLATION_EXIT if report.mandatory else 0


def print_policy_report(plan: Any, pack: PolicyPackServer) -> int:
    lines, code = check_policies(plan, pack)
    print()
    print("\n".join(lines))
    return code
