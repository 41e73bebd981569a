"""`make diff STACK=<stack> BASE=<git ref>`: what a change to the code or the stack file would do.

Plans the stack twice under the SDK mock runtime, each plan in its own process with its own
tree's code and stack file: BASE (checked out into a temporary git worktree, removed after) and
the working tree as it is, uncommitted edits included. Then it compares the two by URN and
prints what `pulumi up` would create, update (which inputs), replace, delete or rename, with
replacements taken from the replacement table (tools/replacements.json). A protected resource
that would be replaced or deleted is flagged "blocked: protected": the engine refuses that step.

Exit codes: 0 whether or not anything changes (the listing is the answer); 1 when BASE is not a
commit, this is not a git checkout, or either plan fails (a bad stack file: its error is shown).
What only a real `pulumi preview` against the stack's state shows: drift, values the provider
computes, and a replacement the provider decides at plan time (docs/changes.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.mocks import Registration
from tests.harness.runner import ROOT, Plan

from . import replacements
from .preview import MAX_VALUE, render_value

# Run in the planned tree's own process, with that tree first on sys.path: its harness runner
# plans its __main__.py with its stack file. Fields a tree's Registration lacks are left out.
# A BASE from before the harness moved under tests/ has it at offline/runner.py.
DUMP_PLAN = """
import dataclasses, json, sys
try:
    from tests.harness.runner import run_stack
except ModuleNotFoundError:
    from offline.runner import run_stack
import pulumi
try:
    plan = run_stack(sys.argv[1])
except pulumi.RunError as error:
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
resources = [
    {k: sorted(v) if isinstance(v, set) else v for k, v in dataclasses.asdict(r).items()}
    for r in plan.resources
]
with open(sys.argv[2], "w") as out:
    json.dump({"project": plan.project, "stack": plan.stack, "resources": resources}, out, default=str)
"""

# What each action does, worst first; `pulumi preview`'s own symbols.
ACTIONS = {
    "delete then create": "-+",
    "replace": "+-",
    "delete": "- ",
    "update": "~ ",
    "create": "+ ",
    "rename": "> ",
    "ignored": "= ",
}


class DiffError(Exception):
    """A clean, one-line reason the comparison could not be made."""


@dataclass
class Change:
    action: str
    type: str
    name: str
    urn: str
    changed: list[str] = field(default_factory=list)
    """Changed input paths (update, replace, rename), each `path: old -> new` with secrets masked."""
    why: list[str] = field(default_factory=list)
    """Per changed top-level input that forces the replacement, or makes the update fail."""
    blocked: bool = False
    old_urn: str = ""
    notes: list[str] = field(default_factory=list)


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


_ABSENT = object()


def changed_paths(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Leaf paths whose value differs (added, removed or changed); internal `__` keys left out."""
    before = {p: v for p, v in _leaves(old) if not p.startswith("__")}
    after = {p: v for p, v in _leaves(new) if not p.startswith("__")}
    return sorted(p for p in before.keys() | after.keys() if before.get(p, _ABSENT) != after.get(p, _ABSENT))


def top_level(path: str) -> str:
    return path.split(".", 1)[0].split("[", 1)[0]


def _ignored(name: str, ignore_changes: Iterable[str]) -> bool:
    return any(top_level(entry) == name for entry in ignore_changes)


def _lookup(value: Any, path: str) -> Any:
    for leaf, item in _leaves(value):
        if leaf == path:
            return item
    return _ABSENT


def _show(resource: Registration, path: str) -> str:
    value = _lookup(resource.inputs, path)
    return "(none)" if value is _ABSENT else render_value(value, path, resource.secret_inputs)


def _window(text: str, start: int) -> str:
    """MAX_VALUE characters of `text` from `start`, with `...` where it is cut."""
    if len(text) <= MAX_VALUE:
        return text
    start = max(0, min(start - 10, len(text) - MAX_VALUE))
    cut = text[start : start + MAX_VALUE]
    return ("..." if start else "") + cut + ("..." if start + MAX_VALUE < len(text) else "")


def show_change(old: Registration, new: Registration, path: str) -> str:
    """`path: old -> new`; two long values are cut around where they first differ."""
    before, after = _show(old, path), _show(new, path)
    same = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), min(len(before), len(after)))
    return f"{path}: {_window(before, same)} -> {_window(after, same)}"


def _states_the_provider_region(old: Registration, new: Registration, path: str, provider_region: str | None) -> bool:
    """An AWS resource's `region` newly stated as the provider's region, the one it has in state.

    pulumi-aws 7's per-resource `region` is Optional and Computed and defaults to the provider's region
    (terraform-provider-aws v6 guide "Enhanced Region Support", "How `region` works"): stating that same
    region is no change; another one replaces the resource, as the table says.
    """
    return (
        path == "region"
        and new.type.startswith("aws:")
        and _lookup(old.inputs, path) is _ABSENT
        and provider_region is not None
        and new.inputs.get(path) == provider_region
    )


def compare_resource(old: Registration, new: Registration, provider_region: str | None = None) -> Change | None:
    """What the engine would do to `old` to make it `new` (same resource, perhaps renamed). `provider_region`:
    `aws:region` of BASE's stack file, the region AWS resources that stated none were created in."""
    renamed = old.urn != new.urn
    paths = [p for p in changed_paths(old.inputs, new.inputs) if not _states_the_provider_region(old, new, p, provider_region)]
    ignored = [p for p in paths if _ignored(top_level(p), new.ignore_changes)]
    paths = [p for p in paths if p not in ignored]
    change = Change(action="update", type=new.type, name=new.name, urn=new.urn, old_urn=old.urn if renamed else "")
    change.changed = [show_change(old, new, p) for p in paths]
    if ignored:
        change.notes.append("ignored (ignore_changes): " + ", ".join(sorted({top_level(p) for p in ignored})))
    entry: dict[str, Any] = replacements.types().get(new.type) or {}
    if not entry and paths and new.custom:
        change.notes.append("type not in the replacement table: read as an update")
    verdicts: set[str] = set()
    for name in sorted({top_level(p) for p in paths}):
        verdict = replacements.input_verdict(new.type, name) if entry else "in place"
        if verdict == "in place" and ("*" in new.replace_on_changes or name in new.replace_on_changes):
            # The program's replace_on_changes makes the engine replace where the provider would update.
            verdict = "delete then create" if new.delete_before_replace else "replace"
        if verdict in ("replace", "delete then create"):
            change.why.append(f"{name} forces a replacement")
        elif verdict == "update fails":
            change.why.append(f"{name}: the provider refuses the update ({entry['updateFails'][name]['why']})")
        verdicts.add(verdict)
    if "delete then create" in verdicts or ("replace" in verdicts and new.delete_before_replace):
        change.action = "delete then create"
    elif "replace" in verdicts:
        change.action = "replace"
    elif not paths:
        change.action = "rename" if renamed else "ignored" if ignored else ""
    if change.action in ("replace", "delete then create") and (old.protect or new.protect):
        change.blocked = True
    return change if change.action else None


def compare(old: Plan, new: Plan, provider_region: str | None = None) -> list[Change]:
    """Every change from plan `old` to plan `new`, matched by URN or by an alias of the new one (`provider_region`:
    see `compare_resource`)."""
    before = {r.urn: r for r in old.resources}
    after = {r.urn: r for r in new.resources}
    changes: list[Change] = []
    matched: set[str] = set()
    for urn, resource in sorted(after.items()):
        previous = before.get(urn) or next(
            (before[a] for a in resource.aliases if a in before and a not in after and a not in matched), None
        )
        if previous is None:
            changes.append(Change(action="create", type=resource.type, name=resource.name, urn=urn))
            continue
        matched.add(previous.urn)
        found = compare_resource(previous, resource, provider_region)
        if found is not None:
            changes.append(found)
    for urn, resource in sorted(before.items()):
        if urn in matched:
            continue
        gone = Change(action="delete", type=resource.type, name=resource.name, urn=urn, blocked=resource.protect)
        if resource.retain_on_delete:
            gone.notes.append("retained on delete: left in the cloud, only forgotten by the stack")
        changes.append(gone)
    order = list(ACTIONS)
    return sorted(changes, key=lambda c: (order.index(c.action), c.type, c.name))


def render_changes(changes: list[Change], title: str, hazards: list[Any] | None = None) -> str:
    """The listing `make diff` prints; `hazards` (tools/hazards.py) are what a real `pulumi up` of these
    changes together would run into, each with the provider source that says so."""
    lines = [title, ""]
    if not changes:
        lines.append("No changes: both trees plan the same resources with the same inputs.")
        return "\n".join(lines)
    from .hazards import REFUSED_STEPS

    for change in changes:
        flag = "  [blocked: protected]" if change.blocked else ""
        lines.append(f"{ACTIONS[change.action]} {change.action}  {change.type}  {change.name}{flag}")
        if change.old_urn:
            lines.append(f"      renamed from {change.old_urn.rsplit('::', 1)[-1]} (alias)")
        lines.extend(f"      {text}" for text in [*change.changed, *change.why, *change.notes])
        if change.blocked and change.type in REFUSED_STEPS:
            lines.append(f"      steps: {REFUSED_STEPS[change.type]}")
    counts = {a: sum(1 for c in changes if c.action == a) for a in ACTIONS}
    lines += ["", "Summary: " + ", ".join(f"{n} {a}" for a, n in counts.items() if n)]
    if hazards:
        from .hazards import HAZARDS

        lines += ["", f"{len(hazards)} hazard(s) a real `pulumi up` would run into:"]
        lines += [f"  - {h.kind} ({h.resource}): {h.detail}. {HAZARDS[h.kind]}" for h in hazards]
    blocked = sum(1 for c in changes if c.blocked)
    if blocked:
        lines.append(
            f"{blocked} step(s) blocked: protected. Remove `protect` in a change of its own first, "
            "only if losing the resource is intended (docs/changes.md)."
        )
    return "\n".join(lines)


# ---- planning a tree in its own process --------------------------------------------------------


def load_plan(data: dict[str, Any]) -> Plan:
    known = {f.name for f in dataclasses.fields(Registration)}
    resources = []
    for fields in data["resources"]:
        values = {k: v for k, v in fields.items() if k in known}
        values["secret_inputs"] = set(values.get("secret_inputs", ()))
        resources.append(Registration(**values))
    return Plan(project=data["project"], stack=data["stack"], resources=resources)


def plan_tree(tree: Path, stack: str) -> Plan:
    """Plan `stack` with `tree`'s code and stack file, in a process of its own (this venv's python)."""
    with tempfile.TemporaryDirectory(prefix="atlas-diff-plan-") as scratch:
        out = Path(scratch) / "plan.json"
        result = subprocess.run(
            [sys.executable, "-c", DUMP_PLAN, stack, str(out)],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0 or not out.exists():
            reason = result.stderr.strip().splitlines()
            raise DiffError("\n".join(reason[-20:]) or f"planning exited {result.returncode}")
        return load_plan(json.loads(out.read_text()))


def _git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def resolve_base(base: str, repo: Path = ROOT) -> str:
    if _git("rev-parse", "--is-inside-work-tree", cwd=repo).stdout.strip() != "true":
        raise DiffError(f"{repo} is not a git checkout; make diff needs git history to compare with")
    found = _git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=repo)
    if found.returncode != 0 or not base:
        raise DiffError(f"BASE={base!r} is not a commit here; give a branch, tag or commit (e.g. BASE=origin/main)")
    return found.stdout.strip()


def provider_region(tree: Path, stack: str) -> str | None:
    """`aws:region` of the tree's Pulumi.<stack>.yaml, if it has one."""
    import yaml

    path = tree / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    config = (document or {}).get("config") or {}
    region = config.get("aws:region") if isinstance(config, dict) else None
    return str(region) if region else None


def exists_at(commit: str, stack: str, repo: Path = ROOT) -> bool:
    """Whether `commit` has the stack file Pulumi.<stack>.yaml (beside Pulumi.yaml, as in the working tree)."""
    return _git("cat-file", "-e", f"{commit}:./Pulumi.{stack}.yaml", cwd=repo).returncode == 0


def diff_stack(stack: str, base: str, repo: Path = ROOT) -> tuple[str, list[Change], list[Any]]:
    """(resolved BASE commit, changes from BASE to the working tree, their hazards) for `stack`.

    A stack with no stack file at BASE is a new stack: nothing of it exists before, so everything
    the working tree plans is created (the first `pulumi up` of a new stack)."""
    commit = resolve_base(base, repo)
    if not exists_at(commit, stack, repo):
        from .hazards import hazards

        new_plan = plan_tree(repo, stack)
        old_plan = Plan(project=new_plan.project, stack=stack, resources=[])
        changes = compare(old_plan, new_plan)
        return commit, changes, hazards(old_plan, new_plan, changes)
    scratch = Path(tempfile.mkdtemp(prefix="atlas-diff-"))
    tree = scratch / "base"
    try:
        added = _git("worktree", "add", "--detach", str(tree), commit, cwd=repo)
        if added.returncode != 0:
            raise DiffError(f"could not check out {base} into a temporary worktree: {added.stderr.strip()}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            old_future = pool.submit(plan_tree, tree, stack)
            new_future = pool.submit(plan_tree, repo, stack)
            errors = []
            for label, future in ((f"BASE {base}", old_future), ("the working tree", new_future)):
                try:
                    future.result()
                except DiffError as error:
                    errors.append(f"planning stack '{stack}' in {label} failed:\n{error}")
            if errors:
                raise DiffError("\n".join(errors))
        from .hazards import hazards

        old_plan, new_plan = old_future.result(), new_future.result()
        changes = compare(old_plan, new_plan, provider_region(tree, stack))
        return commit, changes, hazards(old_plan, new_plan, changes)
    finally:
        _git("worktree", "remove", "--force", str(tree), cwd=repo)
        shutil.rmtree(scratch, ignore_errors=True)
        _git("worktree", "prune", cwd=repo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make diff", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod", help="stack to compare")
    parser.add_argument("--base", default="HEAD", help="git ref to compare the working tree with (default HEAD)")
    args = parser.parse_args(argv)
    try:
        commit, changes, found = diff_stack(args.stack, args.base)
    except DiffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    title = f"Changes to stack '{args.stack}' from {args.base} ({commit[:12]}) to the working tree, planned offline:"
    if not exists_at(commit, args.stack):
        title = (
            f"Stack '{args.stack}' is new: {args.base} ({commit[:12]}) has no Pulumi.{args.stack}.yaml, so its first "
            "`pulumi up` creates everything the working tree plans, planned offline:"
        )
    print(render_changes(changes, title, found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
