"""`make bench`: what the offline preview costs, at the shipped size and at Atlas's limits.

Three reports:

1. Import ratio, per stack file at the repository root (yours, whatever they are): the wall time of
   `python -m tools.preview --stack S` (as a newcomer runs it) against bare imports of the SDKs it
   uses: `python -c "import ..."` of exactly the SDK modules the preview process loaded, side by side
   with the imports of the policy pack's own process (the preview starts the pack while it plans, so
   both import at once). The ratio says how much the program, the mock runtime, the policy checks and
   the printing add on top of the imports, which nothing here can make faster. A production stack's
   plan ratio must stay under 1.5.
2. Scale: the example prod stack (the fixture tests/fixtures/Pulumi.prod.yaml, not your prod) against
   one generated from it at Atlas's limits (100 database users, a private endpoint in each of the
   cluster's regions, 200 access-list entries, the full alert baseline). Each run is its own process,
   so its peak memory is its own: the plan (run once untimed so lazy SDK imports are not counted, then
   timed) and the policy pack's evaluation over its gRPC protocol (`tests/harness/policy.py`, as the
   preview does it). The time per resource of the large stack may be at most 1.5x the example's: the
   cost must grow linearly.
3. Critical path: the longest chain of the planned dependency graph, with typical create times
   (`CREATE_SECONDS`), i.e. the estimated duration of a first `pulumi up`, and its verdict
   (`critical_path_problems`, explained in docs/performance.md).

Every figure is the median of `--runs` rounds, and the compared commands are interleaved: each round
runs each of them once, in turn, so a slow moment of a shared machine hits both sides of a ratio
alike. A limit fails only on a clear regression: when the ratio of *every* round is over it. A median
over the limit with some round under it is reported as noise, not failed (`limit_verdict`).

Exit status 1 when a limit is clearly broken or the critical path is not the cluster chain.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from resource import RUSAGE_CHILDREN, RUSAGE_SELF, getrusage
from typing import Any

from atlas_platform.components.facts import MAX_ACCESS_LIST_ENTRIES, MAX_USERS_PER_PROJECT
from tests.harness.mocks import Registration
from tests.harness.runner import ROOT, Plan
from tests.harness.stackfile import available_stacks, read_stack_file

EXAMPLE_PROD = ROOT / "tests" / "fixtures" / "Pulumi.prod.yaml"
"""The payments example's prod: the at-limits stack grows from it, whatever your own prod holds."""
SDK_PACKAGES = ("pulumi", "pulumi_mongodbatlas", "pulumi_aws", "pulumi_random", "pydantic", "pydantic_core", "yaml", "grpc")
PROD_LIMIT = 1.5
# The large stack may cost at most this much more per resource than the shipped one.
LINEAR_LIMIT = 1.5
NAMESPACE = "atlas-platform"


# ---- medians of interleaved runs, and when a limit is really broken ----


def interleaved(measurements: dict[str, Callable[[], Any]], runs: int) -> dict[str, list[Any]]:
    """Each measurement `runs` times, round by round: every round runs each of them once, in turn."""
    results: dict[str, list[Any]] = {name: [] for name in measurements}
    for _ in range(runs):
        for name, measure_once in measurements.items():
            results[name].append(measure_once())
    return results


def limit_verdict(ratios: Sequence[float], limit: float) -> str:
    """`ok` when the median ratio is within `limit`; `noise` when it is over but some round is within
    (run-to-run noise on a shared machine, reported, not failed); `regression` when every round is over."""
    if statistics.median(ratios) <= limit:
        return "ok"
    return "regression" if min(ratios) > limit else "noise"


def _verdict_note(verdict: str, ratios: Sequence[float], limit: float) -> str:
    rounds = ", ".join(f"{r:.2f}" for r in ratios)
    if verdict == "noise":
        return f"  median over the {limit} limit, but not every round is (rounds: {rounds}): noise, not failed"
    if verdict == "regression":
        return f"  over the {limit} limit in every round (rounds: {rounds})"
    return ""


# ---- 1. import ratio ----


def _wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def sdk_modules(stack: str, *preview_flags: str) -> list[str]:
    """The SDK modules the preview process of `stack` loads (top-level packages and the submodules it
    touched), found by running that preview once and reading `sys.modules`."""
    script = (
        "import contextlib, io, json, sys\n"
        "from tools.preview import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    main(['--stack', {stack!r}, *{list(preview_flags)!r}])\n"
        f"roots = {SDK_PACKAGES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots and '._' not in m)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True)
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


# What the policy pack's own process imports before it listens (`python -m pulumi.policy`): the pack
# is a second Python process the preview starts, so its imports are part of the floor too.
PACK_IMPORTS = "import grpc, pulumi, pulumi_policy, pulumi.runtime.proto.analyzer_pb2_grpc"


def _concurrent_wall_time(commands: list[list[str]]) -> float:
    """Wall time of running `commands` side by side, as the preview runs its two processes."""
    start = time.perf_counter()
    processes = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]
    if any(p.wait() != 0 for p in processes):
        raise RuntimeError(f"an import baseline failed: {commands}")
    return time.perf_counter() - start


def bench_stack(stack: str, runs: int) -> dict[str, Any]:
    """Two ratios, medians of interleaved rounds: the program's preview alone (`--no-policy-pack`: plan
    and print, the preview issue 2 defined and holds to PROD_LIMIT), and the full preview with the
    policy pack's checks. `ratio_rounds` keeps each round's plan ratio for `limit_verdict`."""
    preview = [sys.executable, "-m", "tools.preview", "--stack", stack]
    plan_modules = sdk_modules(stack, "--no-policy-pack")
    plan_imports = [sys.executable, "-c", "import " + ", ".join(plan_modules)]
    program_imports = [sys.executable, "-c", "import " + ", ".join(sdk_modules(stack))]
    pack_imports = [sys.executable, "-c", PACK_IMPORTS]
    rounds = interleaved(
        {
            "plan_imports_s": lambda: _wall_time(plan_imports),
            "plan_s": lambda: _wall_time([*preview, "--no-policy-pack"]),
            "imports_s": lambda: _concurrent_wall_time([program_imports, pack_imports]),
            "preview_s": lambda: _wall_time(preview),
        },
        runs,
    )
    ratios = [plan / imports for plan, imports in zip(rounds["plan_s"], rounds["plan_imports_s"], strict=True)]
    full_ratios = [full / imports for full, imports in zip(rounds["preview_s"], rounds["imports_s"], strict=True)]
    return {
        **{name: statistics.median(times) for name, times in rounds.items()},
        "ratio": statistics.median(ratios),
        "ratio_rounds": ratios,
        "full_ratio": statistics.median(full_ratios),
        "modules": len(plan_modules),
    }


# ---- 2. a stack at Atlas's limits ----

USERS = MAX_USERS_PER_PROJECT
ACCESS_LIST_ENTRIES = MAX_ACCESS_LIST_ENTRIES
PROD_ACCOUNT = "111111111111"  # the prod stack file's PLACEHOLDER AWS account


def _hex_id(prefix: str, number: int) -> str:
    """A 17-hex-digit AWS id that the shipped stack files do not use (they end in 0xxx)."""
    return f"{prefix}-0a1b2c3d4e5f6{0x8000 + number:04x}"


def _users() -> list[dict[str, Any]]:
    """Users making exactly 100 Atlas database users within the model's rules: every kind, every auth
    method, alternating and single password rotation (an alternating user is two Atlas users),
    custom-role grants, certificates."""
    users: list[dict[str, Any]] = []
    atlas_users, n = 0, 0
    while atlas_users < USERS:
        name = f"svc-{n:03d}"
        owner = f"team-{n % 7}"
        shape = n % 10
        if shape < 4:
            user = {"kind": "app", "auth": "password", "databases": ["payments"], "passwordVersion": 1 + n % 3}
            if shape == 1:
                user["roles"] = ["read@reference"]
            if shape < 2:
                user["rotationCount"] = n % 3  # alternating, production's default for app users
            else:
                user.update(rotation="single", singleUserReason="Generated: a tool that reads one fixed username")
        elif shape == 4:
            arn = f"arn:aws:iam::{PROD_ACCOUNT}:role/payments-prod-{name}"
            user = {"kind": "app", "auth": "awsIam", "iamArn": arn, "roles": ["ledgerAppendOnly@admin"]}
        elif shape == 5:
            arn = f"arn:aws:iam::{PROD_ACCOUNT}:user/payments-prod-{name}"
            user = {"kind": "app", "auth": "awsIam", "iamArn": arn, "databases": ["payments"]}
        elif shape < 8:
            user = {"kind": "analytics", "auth": "password", "databases": ["payments", "reference"]}
        else:
            user = {"kind": "dba", "auth": "x509", "databases": ["payments", "reference"], "roles": ["clusterMonitor@admin"]}
            if shape == 9:
                user["certificateMonths"] = 3
        user.update(name=name, owner=owner, description=f"Generated {user['kind']} user {n} for the scale benchmark")
        users.append(user)
        atlas_users += 2 if "rotationCount" in user else 1
        n += 1
    if atlas_users != USERS:
        raise AssertionError(f"the generated users make {atlas_users} Atlas users, not {USERS}")
    return users


def _access_list() -> list[dict[str, Any]]:
    """200 distinct, commented entries: single addresses and /24 ranges in documentation/benchmark space."""
    entries: list[dict[str, Any]] = []
    for n in range(120):
        entries.append({"ipAddress": f"198.51.100.{n + 1}", "comment": f"bench-host-{n:03d}"})
    for n in range(ACCESS_LIST_ENTRIES - len(entries)):
        # 198.18.0.0/15 is reserved for benchmarking (RFC 2544): never a real client.
        entries.append({"cidrBlock": f"198.{18 + n // 256}.{n % 256}.0/24", "comment": f"bench-range-{n:03d}"})
    return entries


def _private_endpoints(regions: Sequence[str]) -> list[dict[str, Any]]:
    endpoints = []
    for r, region in enumerate(regions):
        base = r * 16
        endpoints.append(
            {
                "region": region,
                "vpcs": [
                    {
                        "name": "app",
                        "vpcId": _hex_id("vpc", base),
                        "subnetIds": [_hex_id("subnet", base + 1 + az) for az in range(3)],
                        "allowedSources": [
                            {"securityGroupId": _hex_id("sg", base + 4), "description": f"app tasks in {region}"},
                            {"cidrBlock": f"10.{20 + r}.32.0/20", "description": f"batch jobs in {region}"},
                        ],
                    }
                ],
            }
        )
    return endpoints


def example_prod_config() -> dict[str, Any]:
    return read_stack_file(EXAMPLE_PROD) or {}


def limit_stack_config(base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A prod stack file's config (by default the example's, EXAMPLE_PROD), grown to Atlas's limits: a
    private endpoint in each of its cluster's regions, whatever they are. It loads without a ConfigError."""
    config: dict[str, Any] = copy.deepcopy(base if base is not None else example_prod_config())

    def key(name: str) -> str:
        return f"{NAMESPACE}:{name}"

    regions = [r["region"] for r in config[key("cluster")]["regions"]]
    config[key("databaseUsers")] = _users()
    network = config.setdefault(key("network"), {})
    network["accessList"] = _access_list()
    network["privateEndpoints"] = _private_endpoints(regions)
    network.pop("privateEndpointOptOutReason", None)
    alerts = config.setdefault(key("alerts"), {})
    alerts["enabled"] = True
    # The full baseline: every alert on, whatever the shipped file turned off.
    for tuning in alerts.get("baseline", {}).values():
        tuning.pop("enabled", None)
    return config


# ---- measuring one preview in its own process ----


@dataclass(frozen=True)
class Measurement:
    resources: int
    custom: int
    process_s: float
    """Wall time of the whole process, start to exit (imports, pack start, plans, evaluation)."""
    cold_plan_s: float
    """The first plan in the process: lazy SDK imports and pydantic schemas included."""
    plan_s: float
    """A second plan of the same stack in the same process."""
    pack_start_s: float
    policy_s: float
    """Analyze per resource plus AnalyzeStack, over gRPC, as the preview does."""
    program_rss_mb: float
    pack_rss_mb: float
    mandatory: int
    advisory: int

    @property
    def per_resource_ms(self) -> float:
        return 1000 * (self.plan_s + self.policy_s) / self.resources


def _child(stack: str, config_file: str | None) -> dict[str, Any]:
    """Runs in the measured process: plan twice, evaluate the policies, report peak memory."""
    from tests.harness.policy import PolicyPackServer
    from tests.harness.runner import run_stack

    config = json.loads(Path(config_file).read_text()) if config_file else None
    # A config given is the example prod's (scaled or not): it goes with the fixture's policy config, not yours.
    stack_file = EXAMPLE_PROD if config is not None else None
    with PolicyPackServer(wait=False) as pack:
        start = time.perf_counter()
        run_stack(stack, config=config, stack_file=stack_file)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        plan = run_stack(stack, config=config, stack_file=stack_file)
        warm = time.perf_counter() - start
        pack.wait_ready()
        start = time.perf_counter()
        report = pack.check_plan(plan)
        policy = time.perf_counter() - start
        pack_start = pack.startup_seconds
    # Linux reports ru_maxrss in KiB. The pack is this process's only waited-for child.
    return {
        "resources": len(plan.resources),
        "custom": sum(1 for r in plan.resources if r.custom),
        "cold_plan_s": cold,
        "plan_s": warm,
        "pack_start_s": pack_start,
        "policy_s": policy,
        "program_rss_mb": getrusage(RUSAGE_SELF).ru_maxrss / 1024,
        "pack_rss_mb": getrusage(RUSAGE_CHILDREN).ru_maxrss / 1024,
        "mandatory": len(report.mandatory),
        "advisory": len(report.advisory),
    }


def _measure_once(command: list[str]) -> Measurement:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row["process_s"] = time.perf_counter() - start
    return Measurement(**row)


def median_measurement(rows: Sequence[Measurement]) -> Measurement:
    """Figure by figure, the median of `rows` (counts are the same in every row)."""
    fields = {name: [getattr(row, name) for row in rows] for name in Measurement.__dataclass_fields__}
    return Measurement(
        **{name: (values[0] if isinstance(values[0], int) else statistics.median(values)) for name, values in fields.items()}
    )


def measure(configs: dict[str, tuple[str, dict[str, Any]]], runs: int) -> dict[str, list[Measurement]]:
    """Per label, `runs` fresh processes planning (stack, config), interleaved round by round."""
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as scratch:
        commands = {}
        for n, (label, (stack, config)) in enumerate(configs.items()):
            config_file = Path(scratch) / f"config-{n}.json"
            config_file.write_text(json.dumps(config))
            commands[label] = [sys.executable, "-m", "tools.bench", "--child", stack, "--config-file", str(config_file)]
        return interleaved({label: functools.partial(_measure_once, command) for label, command in commands.items()}, runs)


def linear_cost_problem(shipped_ms: float, large_ms: float, limit: float = LINEAR_LIMIT) -> str | None:
    """None when the large stack's time per resource is within `limit` times the shipped one's."""
    ratio = large_ms / shipped_ms
    if ratio <= limit:
        return None
    return (
        f"the large stack costs {large_ms:.2f} ms per resource, {ratio:.2f}x the shipped stack's {shipped_ms:.2f} ms "
        f"(limit {limit}x): something grows faster than the number of resources"
    )


# ---- 3. critical path ----

MINUTE = 60
# Typical create times, in seconds. The four slow ones were given by the project's issue from field
# experience (issue 8: cluster about 15 min, Atlas private endpoint about 4, endpoint service about 5,
# VPC endpoint about 2); docs/cluster.md and docs/network.md cite the provider threads behind such
# figures (e.g. terraform-provider-mongodbatlas #806, #841, #859 for PrivateLink). The IAM/KMS entries
# follow docs/cluster.md ("the KMS chain: seconds to about 2 minutes, mostly waiting for IAM
# propagation"; the key's create is the gate that waits it out). Everything else: DEFAULT_SECONDS,
# an estimate of one API call (access-list entries, users, alerts: "seconds each", docs/network.md).
CREATE_SECONDS: dict[str, float] = {
    "mongodbatlas:index/advancedCluster:AdvancedCluster": 15 * MINUTE,
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": 4 * MINUTE,
    "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": 5 * MINUTE,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 2 * MINUTE,
    "aws:kms/key:Key": 60,
    "aws:iam/role:Role": 10,
    "aws:iam/rolePolicy:RolePolicy": 10,
    "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization": 20,
    "mongodbatlas:index/encryptionAtRest:EncryptionAtRest": 20,
    # Exactly its create_duration (atlas_platform/components/encryption.py, IAM_PROPAGATION).
    "time:index/sleep:Sleep": 30,
    # ESTIMATE, not measured: Atlas builds an interface endpoint to KMS in its own VPC, like the
    # Atlas side of PrivateLink above. The provider polls every 30 s until it leaves INITIATING
    # (encryptionatrestprivateendpoint/state_transition.go, v2.16.0); nothing public gives a duration.
    # With private networking required the cluster waits for the endpoint of each of its regions
    # (Atlas puts nodes only where one is approved), so this estimate is on the critical path.
    "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint": 5 * MINUTE,
}
DEFAULT_SECONDS = 10.0
# A resource after the cluster on the critical path may take at most this long.
FAST_SECONDS = 60.0

CLUSTER_TYPE = "mongodbatlas:index/advancedCluster:AdvancedCluster"
# What may precede the cluster on the critical path: the project, then the customer-key chain.
KMS_CHAIN_TYPES = frozenset(
    {
        "mongodbatlas:index/project:Project",
        "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
        "aws:iam/rolePolicy:RolePolicy",
        "time:index/sleep:Sleep",
        "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization",
        "mongodbatlas:index/encryptionAtRest:EncryptionAtRest",
        "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint",
    }
)
ENCRYPTION_TYPE = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
KMS_ENDPOINT_TYPE = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
PRIVATELINK_TYPES = frozenset(
    {
        "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint",
        "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    }
)


def create_seconds(resource: Registration) -> float:
    """Components take no time: the engine registers them at once."""
    if not resource.custom:
        return 0.0
    return CREATE_SECONDS.get(resource.type, DEFAULT_SECONDS)


@dataclass(frozen=True)
class CriticalPath:
    seconds: float
    """Estimated duration of a first `pulumi up`, assuming the engine starts every resource as soon
    as what it waits on is done."""
    chain: list[Registration]
    """From the first resource to the last one to finish."""
    finish: dict[str, float]
    """Estimated finish time of every resource, by URN."""


def _waits_on(resource: Registration) -> set[str]:
    urns = set(resource.dependencies)
    for deps in resource.property_dependencies.values():
        urns.update(deps)
    return urns


def critical_path(plan: Plan) -> CriticalPath:
    by_urn = {r.urn: r for r in plan.resources}
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}

    def done(urn: str) -> float:
        if urn in finish:
            return finish[urn]
        resource = by_urn[urn]
        waits = sorted(u for u in _waits_on(resource) if u in by_urn)
        start, before = 0.0, None
        for dependency in waits:
            if done(dependency) > start:
                start, before = finish[dependency], dependency
        finish[urn] = start + create_seconds(resource)
        previous[urn] = before
        return finish[urn]

    for urn in sorted(by_urn):
        done(urn)
    last: str | None = max(sorted(finish), key=lambda u: finish[u]) if finish else None
    chain: list[Registration] = []
    while last is not None:
        chain.append(by_urn[last])
        last = previous[last]
    chain.reverse()
    return CriticalPath(seconds=finish[chain[-1].urn] if chain else 0.0, chain=chain, finish=finish)


def critical_path_problems(plan: Plan, path: CriticalPath) -> list[str]:
    """Why the critical path is not "the cluster chain, and only a few seconds of its consumers after it".

    - before the cluster: only the project and the KMS -> EncryptionAtRest chain (when the stack has one),
      ending with a KMS private endpoint when the stack requires private networking;
    - after the cluster: each resource needs the one before it on the path through a property
      (an output it reads, not an explicit depends_on), starting with a cluster output, and is fast;
    - the PrivateLink chain is neither on the path nor waiting for the cluster.
    """
    problems: list[str] = []
    types = [r.type for r in path.chain]
    if CLUSTER_TYPE not in types:
        return [f"the cluster is not on the critical path: {' -> '.join(r.name for r in path.chain)}"]
    at = types.index(CLUSTER_TYPE)
    cluster = path.chain[at]
    before, after = path.chain[:at], path.chain[at + 1 :]
    for resource in before:
        if resource.type not in KMS_CHAIN_TYPES:
            problems.append(f"{resource.name} ({resource.type}) holds up the cluster and is not part of the KMS chain")
    encrypted = any(r.type == ENCRYPTION_TYPE for r in plan.resources)
    last_of_chain = KMS_ENDPOINT_TYPE if any(r.type == KMS_ENDPOINT_TYPE for r in plan.resources) else ENCRYPTION_TYPE
    if encrypted and (not before or before[-1].type != last_of_chain):
        problems.append(f"the cluster does not start right after {last_of_chain.rsplit(':', 1)[-1]} on the critical path")
    for upstream, resource in zip([cluster, *after], after, strict=False):
        reads = any(upstream.urn in urns for urns in resource.property_dependencies.values())
        if not reads:
            problems.append(f"{resource.name} waits on {upstream.name} without reading any of its outputs (explicit depends_on)")
        if create_seconds(resource) > FAST_SECONDS:
            problems.append(f"{resource.name} ({resource.type}) is slow and follows the cluster")
    on_path = {r.urn for r in path.chain}
    for resource in plan.resources:
        if resource.type not in PRIVATELINK_TYPES:
            continue
        if resource.urn in on_path:
            problems.append(f"{resource.name} (PrivateLink) is on the critical path")
        elif plan.depends_on(resource, cluster):
            problems.append(f"{resource.name} (PrivateLink) waits for the cluster")
    return problems


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


def render_critical_path(label: str, plan: Plan) -> tuple[list[str], bool]:
    path = critical_path(plan)
    lines = [f"{label}: estimated first `pulumi up` {_duration(path.seconds)} (unlimited --parallel), set by:"]
    for resource in path.chain:
        lines.append(
            f"  {_duration(path.finish[resource.urn]):>7}  +{_duration(create_seconds(resource)):<6} {resource.type}  {resource.name}"
        )
    clusters = [r for r in path.chain if r.type == CLUSTER_TYPE]
    if clusters:
        tail = path.seconds - path.finish[clusters[0].urn]
        privatelink = max((path.finish[r.urn] for r in plan.resources if r.type in PRIVATELINK_TYPES), default=0.0)
        lines.append(
            f"  cluster chain alone: {_duration(path.finish[clusters[0].urn])}; its consumers add {_duration(tail)}; "
            f"the PrivateLink chain ends at {_duration(privatelink)}, in parallel"
        )
    problems = critical_path_problems(plan, path)
    if problems:
        lines += ["  verdict: NOT the cluster chain:", *(f"    - {p}" for p in problems)]
    else:
        lines.append(
            "  verdict: the cluster chain (project -> KMS -> EncryptionAtRest [-> KMS private endpoints] -> cluster) sets the duration; after it only"
            " fast resources that read its outputs (users scoped by its name, secrets holding its connection string);"
            " nothing of PrivateLink waits for it"
        )
    return lines, not problems


# ---- the report ----


def _scale_rows(runs: int) -> tuple[list[str], bool, dict[str, Plan]]:
    from tests.harness.runner import run_stack

    example = example_prod_config()
    large = limit_stack_config(example)
    rounds = measure({"example prod": ("prod", example), "prod at limits": ("prod", large)}, runs)
    measured = {label: median_measurement(rows) for label, rows in rounds.items()}
    lines = [
        f"Offline preview (plan + policy pack) of {EXAMPLE_PROD.relative_to(ROOT)} and the stack at Atlas's limits grown"
        f" from it, each run its own process, median of {runs} interleaved rounds:",
        f"{'stack':<16} {'resources':>9} {'process s':>9} {'cold plan s':>11} {'plan s':>7} {'pack start s':>12} "
        f"{'policy s':>8} {'ms/resource':>11} {'program MB':>10} {'pack MB':>8} {'violations':>10}",
    ]
    for label, m in measured.items():
        lines.append(
            f"{label:<16} {m.resources:>9} {m.process_s:>9.2f} {m.cold_plan_s:>11.2f} {m.plan_s:>7.2f} {m.pack_start_s:>12.2f} "
            f"{m.policy_s:>8.2f} {m.per_resource_ms:>11.2f} {m.program_rss_mb:>10.0f} {m.pack_rss_mb:>8.0f} "
            f"{f'{m.mandatory}m/{m.advisory}a':>10}"
        )
    shipped, grown = measured.values()
    lines.append(
        "  resources: every registration the engine receives (components included); ms/resource: (plan s + policy s) "
        "/ resources; peak memory: ru_maxrss of the process and of its policy-pack child"
    )
    ratios = [g.per_resource_ms / s.per_resource_ms for s, g in zip(*rounds.values(), strict=True)]
    verdict = limit_verdict(ratios, LINEAR_LIMIT)
    problem = linear_cost_problem(shipped.per_resource_ms, grown.per_resource_ms)
    ratio = grown.per_resource_ms / shipped.per_resource_ms
    lines.append(f"  linear cost: {ratio:.2f}x per resource (limit {LINEAR_LIMIT}x): " + (problem or "ok"))
    if verdict != "ok":
        lines.append(_verdict_note(verdict, ratios, LINEAR_LIMIT))
    plans = {"example prod": run_stack("prod", config=example), "prod at limits": run_stack("prod", config=large)}
    return lines, verdict != "regression", plans


def _is_production(stack: str) -> bool:
    from stackconfig import load_stack_config
    from tests.harness.stackfile import engine_config

    values, secret_keys = engine_config(ROOT, stack)
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys).is_prod


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds per measurement; the median is kept")
    parser.add_argument("--stack", action="append", help="stack(s) for the import-ratio table (default: all)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(_child(args.child, args.config_file)))
        return 0

    stacks = args.stack or available_stacks(ROOT)
    from stackconfig import ConfigError

    try:
        production = {stack for stack in stacks if _is_production(stack)}
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Offline preview vs bare SDK imports, median of {args.runs} interleaved rounds (python {sys.version.split()[0]}),"
        f" stacks: {', '.join(stacks) or 'none'}"
    )
    print(
        f"{'stack':<10} {'plan s':>8} {'imports s':>10} {'ratio':>6}   "
        f"{'with pack s':>11} {'imports s':>10} {'ratio':>6} {'SDK modules':>12}"
    )
    failed = False
    for stack in stacks:
        row = bench_stack(stack, args.runs)
        verdict = limit_verdict(row["ratio_rounds"], PROD_LIMIT) if stack in production else "ok"
        failed |= verdict == "regression"
        flag = _verdict_note(verdict, row["ratio_rounds"], PROD_LIMIT)
        plan_cells = f"{row['plan_s']:>8.3f} {row['plan_imports_s']:>10.3f} {row['ratio']:>6.2f}"
        full_cells = f"{row['preview_s']:>11.3f} {row['imports_s']:>10.3f} {row['full_ratio']:>6.2f}"
        print(f"{stack:<10} {plan_cells}   {full_cells} {int(row['modules']):>12}{flag}")
    print(
        "  plan: `tools.preview --no-policy-pack` (plan and print) against a bare import of the SDK modules it loads;"
        f" limit {PROD_LIMIT} for a production stack, failed only when every round is over it.\n"
        "  with pack: the full preview against its own imports and the policy pack process's, run side by side as the"
        " preview runs them; it adds the pack's checks (Analyze for every resource, then AnalyzeStack). Reported, no limit."
    )

    print()
    lines, linear, plans = _scale_rows(args.runs)
    print("\n".join(lines))
    failed |= not linear

    print()
    print("Critical path of a first `pulumi up` (typical create times: tools/bench.py CREATE_SECONDS; docs/performance.md)")
    for label, plan in plans.items():
        lines, ok = render_critical_path(label, plan)
        print("\n".join(lines))
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
