"""`make preview STACK=prod`: what a stack would create, planned offline.

Runs the real program under the Pulumi SDK's mock runtime with the stack's own config, then
prints the policy pack's verdict in one line, the resource tree (type, name, key inputs, secrets
masked), a count by type, the stack's exports, the pack's findings and, as the last line, the verdict again. `--all` prints every input of every resource in
full. A secret masks only its own value, and numbers print as written (`4`, not `4.0`). A bad stack file prints the program's clean
error and exits 1; a mandatory policy violation exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.harness.mocks import Registration
from tests.harness.runner import ROOT, Plan, run_stack
from tests.harness.stackfile import available_stacks
from tools.regions import region_suffix, region_summary

MASK = "[secret]"
MAX_INPUTS = 14
MAX_VALUE = 70


def flatten(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for index, item in enumerate(value):
            yield from flatten(item, f"{path}[{index}]")
    else:
        yield path, value


def _is_secret(path: str, secrets: set[str]) -> bool:
    return any(path == s or path.startswith(f"{s}.") or path.startswith(f"{s}[") for s in secrets)


def render_value(value: Any, path: str, secrets: set[str]) -> str:
    """`value` as JSON, with each secret inside it masked on its own and numbers as written.

    The engine carries every number as a double, so a stack file's `4` arrives as `4.0`.
    """
    if _is_secret(path, secrets):
        return MASK
    if isinstance(value, dict):
        items = (f"{json.dumps(k)}: {render_value(v, f'{path}.{k}' if path else k, secrets)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, default=str)


def render_inputs(resource: Registration, *, full: bool = False) -> list[str]:
    """`path=value` per input leaf; a summary (long values cut, at most MAX_INPUTS) unless `full`."""
    parts = []
    for path, value in sorted(flatten(resource.inputs)):
        if path.startswith("__"):
            continue
        text = render_value(value, path, resource.secret_inputs)
        if not full and len(text) > MAX_VALUE:
            text = text[: MAX_VALUE - 3] + "..."
        parts.append(f"{path}={text}")
    if not full and len(parts) > MAX_INPUTS:
        parts = [*parts[:MAX_INPUTS], f"(+{len(parts) - MAX_INPUTS} more inputs; --all shows them)"]
    return parts


def _flags(resource: Registration) -> str:
    flags = []
    if resource.protect:
        flags.append("protected")
    if resource.retain_on_delete:
        flags.append("retained on delete")
    if resource.custom_timeouts:
        flags.append("timeouts " + ",".join(f"{k}={v}" for k, v in resource.custom_timeouts.items()))
    return f"  [{'; '.join(flags)}]" if flags else ""


def render_tree(plan: Plan, *, full: bool = False) -> list[str]:
    lines: list[str] = []
    by_parent: dict[str, list[Registration]] = {}
    for resource in plan.resources:
        by_parent.setdefault(resource.parent, []).append(resource)
    stack_urn = next(
        (r.parent for r in plan.resources if r.parent.endswith("::pulumi:pulumi:Stack::" + f"{plan.project}-{plan.stack}")), ""
    )

    def walk(parent: str, depth: int) -> None:
        for resource in sorted(by_parent.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            indent = "  " * depth
            lines.append(f"{indent}+ {resource.type}  {resource.name}{_flags(resource)}{region_suffix(resource)}")
            for part in render_inputs(resource, full=full) if resource.custom or full else []:
                lines.append(f"{indent}      {part}")
            walk(resource.urn, depth + 1)

    lines.append(f"+ pulumi:pulumi:Stack  {plan.project}-{plan.stack}")
    walk(stack_urn, 1)
    return lines


def render_counts(plan: Plan) -> list[str]:
    counts = Counter(r.type for r in plan.resources)
    width = max((len(str(n)) for n in counts.values()), default=1)
    lines = [f"  {n:>{width}}  {token}" for token, n in sorted(counts.items())]
    custom = sum(1 for r in plan.resources if r.custom)
    lines.append(f"  {len(plan.resources):>{width}}  total ({custom} cloud resources, {len(plan.resources) - custom} components)")
    return lines


def render_exports(plan: Plan) -> list[str]:
    return [
        f"  {name} = {MASK if name in plan.secret_exports else render_value(value, name, set())}"
        for name, value in sorted(plan.exports.items())
    ]


def render_plan(plan: Plan, *, full: bool = False, verdict: str | None = None) -> str:
    """The plan; `verdict`, the policy verdict's one line, goes before the tree, where a long tree cannot hide it."""
    out = [
        f"Offline plan of stack '{plan.stack}' (project {plan.project}), run under the Pulumi SDK mock runtime.",
        f"Config: Pulumi.{plan.stack}.yaml; secure: values cannot be decrypted offline and show as {MASK}.",
        *([verdict] if verdict else []),
        "",
        *render_tree(plan, full=full),
        "",
        "Resources by type:",
        *render_counts(plan),
        "",
        'AWS regions (docs/operations.md, "Where the data lives"):',
        *region_summary(plan),
        "",
        "Exports:",
        *render_exports(plan),
    ]
    return "\n".join(out)


NOT_RUN = "Policies: not run (--no-policy-pack)."


def policy_verdict(policy_lines: list[str]) -> str:
    """The one line a reader looks for: the pack's count and verdict (the report's last line), or that it did not run."""
    return f"Policy verdict: {policy_lines[-1].strip()}" if policy_lines else NOT_RUN


def render_preview(plan: Plan, policy_lines: list[str] | None, *, full: bool = False) -> str:
    """Everything `make preview` prints: the verdict's one line first, the plan, the pack's findings,
    and the verdict again as the last line (`policy_lines`: the pack's report; None when it did not run)."""
    verdict = policy_verdict(policy_lines or [])
    findings = (policy_lines or [])[:-1]
    return "\n".join([render_plan(plan, full=full, verdict=verdict), "", *findings, verdict])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod", help=f"stack to plan (here: {', '.join(available_stacks(ROOT))})")
    parser.add_argument(
        "--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml, as `pulumi --config-file` does"
    )
    parser.add_argument("--all", action="store_true", help="print every input of every resource in full")
    parser.add_argument("--no-policy-pack", action="store_true", help="print the plan only; do not run the policy pack")
    args = parser.parse_args(argv)

    import pulumi

    from tests.harness.policy import PolicyPackServer, check_policies, stack_config_for

    # The pack (a subprocess) starts while the program is planned; the policy report waits for it.
    # Like the engine, it gets the stack's config: `environment`/`production` say whether it is production.
    with (
        contextlib.nullcontext()
        if args.no_policy_pack
        else PolicyPackServer(wait=False, stack_config=stack_config_for(args.stack, stack_file=args.stack_file))
    ) as pack:
        try:
            plan = run_stack(args.stack, stack_file=args.stack_file)
        except pulumi.RunError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        policy_lines, code = check_policies(plan, pack) if pack is not None else (None, 0)
    print(render_preview(plan, policy_lines, full=args.all))
    return code


if __name__ == "__main__":
    sys.exit(main())
