"""`make adopt PROJECT=<name or id> STACK=<stack>`: bring a hand-built Atlas project under this program.

Reads the live project read-only (`live.py`, through tools/atlas_api), writes the stack file that declares
what is there (`generate.py`, the one mapping from Atlas to stack-file keys; `yamlfile.py` writes it with
its comments), has the program's own loader validate it and the program itself plan it (the offline
harness, as `make preview` does), and derives from that plan the `pulumi import --file` document: every
registration that stands for an Atlas or AWS object, with its documented import id (`resources.py`). The
same rows say what importing puts in the state, so the run can list every value the first `pulumi up`
would change, and everything it cannot adopt. docs/adopt.md has the steps.

Exit codes: 0 written (the list says what to review); 1 written, but the stack file needs the listed
edits before it loads; 2 nothing written (Atlas could not be read, or a file is in the way), one line.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from stackconfig import ConfigError, load_stack_config
from tests.harness.mocks import Registration
from tests.harness.runner import ROOT, Plan, run_stack
from tests.harness.stackfile import engine_config, project_name

from .generate import COMMENT, COMMENTS, IDENTITY, SECTION_ORDER, Generated, Item, Target, generate, iter_skipped
from .live import LiveProject
from .resources import BY_TOKEN, Change, Found, differences, match
from .yamlfile import render, strip

# The element lists of the stack file that adoption may leave an entry out of when the model refuses it,
# with the collection `Generated.skipped` names and how to read the entry's Atlas identity.
DROPPABLE: dict[tuple[str, ...], str] = {
    ("databaseUsers",): "database users",
    ("customRoles",): "custom roles",
    ("teams",): "teams",
    ("federation", "groups"): "role mappings",
    ("network", "accessList"): "access list",
    ("alerts", "custom"): "alerts",
    ("notifications",): "channels",
    ("integrations",): "integrations",
}

# Why the program creates what has no Atlas object to adopt (by type); an adoptable type with no match is new.
CREATED = {
    "random:index/randomPassword:RandomPassword": "a new password for a password user (Atlas never returns the old one)",
    "aws:secretsmanager/secret:Secret": "the Secrets Manager secret that keeps a user's credentials",
    "aws:secretsmanager/secretVersion:SecretVersion": "the credentials written into that secret",
    "aws:kms/key:Key": "a KMS key this stack owns (the users' secrets, or exported logs and snapshots)",
    "aws:kms/alias:Alias": "the readable name of that key",
    "aws:iam/rolePolicy:RolePolicy": "the program's least-privilege policy on the key, added to the role Atlas assumes",
    "time:index/sleep:Sleep": "the program's wait for IAM to propagate a role's new policy (30 s; nothing in Atlas or AWS)",
    "time:index/static:Static": (
        "the program's guard that refuses a one-step switch-off of KMS private networking at preview (holds nothing)"
    ),
    "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization": (
        "cannot be imported (docs/resources/cloud_provider_access_authorization.md); the first `pulumi up` authorizes "
        "the same role again, which the provider's docs say has no adverse effect"
    ),
}


@dataclass
class Result:
    stack_file: str
    """The stack file's text."""
    document: dict[str, Any] | None
    """The import document; None when the stack file does not load."""
    items: list[Item]
    loads: bool
    changes: list[Change] = field(default_factory=list)
    plan: Plan | None = None
    found: dict[str, Found] = field(default_factory=dict)
    generated: Generated | None = None


def adopt(live: LiveProject, target: Target, root: Path = ROOT, stack_file: str | None = None) -> Result:
    """Generate, validate with the program's loader, plan with the program, match, compare: the whole adoption.

    `stack_file`: the text of this adoption's stack file as a person edited it (renamed a team, set an owner):
    it is planned instead of a generated one, so the import document follows its names."""
    generated = generate(live, target)
    namespace = project_name(root)
    with tempfile.TemporaryDirectory(prefix="adopt-") as workdir:
        path = Path(workdir) / f"Pulumi.{target.stack}.yaml"
        if stack_file is None:
            problems = _settle(generated, target, root, namespace, path)
            text = render(generated.header, namespace, generated.config, generated.other, generated.secrets)
            items = list(generated.items) + list(iter_skipped(generated)) + _secret_items(generated, target, namespace)
        else:
            text = stack_file
            problems = _problems(text, target, root, namespace, path)
            items = list(iter_skipped(generated))
        if problems:
            items += [Item("not adopted", p.key, p.message + " (edit the stack file, then run `make preview`)") for p in problems]
            return Result(text, None, items, loads=False, generated=generated)
        path.write_text(text, encoding="utf-8")
        plan = run_stack(target.stack, stack_file=path, root=root)
    ctx, found = match(plan, live, target.aws_endpoints, frozenset(generated.skipped))
    changes = [c for urn, f in found.items() for c in differences(plan.by_urn(urn), f, ctx.subst)]
    items += _plan_items(plan, found, changes, generated)
    return Result(
        text, import_document(plan, found), items, loads=True, changes=changes, plan=plan, found=found, generated=generated
    )


def _problems(text: str, target: Target, root: Path, namespace: str, path: Path) -> list[Any]:
    """What the program's loader refuses in a stack file's text (nothing: it loads)."""
    path.write_text(text, encoding="utf-8")
    try:
        values, secret_keys = engine_config(root, target.stack, stack_file=path)
        load_stack_config(values, namespace=namespace, stack=target.stack, secret_keys=secret_keys)
    except ConfigError as error:
        return list(error.problems)
    return []


def _settle(generated: Generated, target: Target, root: Path, namespace: str, path: Path) -> list[Any]:
    """Validate the generated stack file with the program's loader; leave out each list entry it refuses
    (with the model's own message), and return the problems no entry explains."""
    for _ in range(20):
        text = render(generated.header, namespace, generated.config, generated.other, generated.secrets)
        problems = _problems(text, target, root, namespace, path)
        if problems and _drop_refused(generated, problems, namespace):
            continue
        return problems
    raise RuntimeError("the stack file did not settle after 20 rounds of leaving out refused entries")


def _entries(config: dict[str, Any], parts: tuple[str, ...]) -> list[Any] | None:
    node: Any = config
    for part in parts:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, list) else None


def _drop_refused(generated: Generated, problems: list[Any], namespace: str) -> bool:
    refused: dict[tuple[str, ...], dict[int, str]] = {}
    for problem in problems:
        key = str(problem.key).removeprefix(f"{namespace}:")
        for parts in DROPPABLE:
            dotted = ".".join(parts)
            hit = re.match(rf"{re.escape(dotted)}\[(\d+)\]", key) or re.search(
                rf"\({re.escape(parts[-1])}\[(\d+)\]\)", str(problem.message)
            )
            if hit and (key.startswith(dotted)):
                refused.setdefault(parts, {})[int(hit.group(1))] = str(problem.message)
                break
    if not refused:
        return False
    for parts, indexes in refused.items():
        entries = _entries(generated.config, parts)
        if entries is None:
            continue
        collection = DROPPABLE[parts]
        for index in sorted(indexes, reverse=True):
            if index < len(entries):
                entry = entries.pop(index)
                identity = str(entry.get(IDENTITY) or entry.get("name"))
                generated.skipped[(collection, identity)] = f"the stack file's model refuses it: {indexes[index]}"
        if not entries:
            _remove(generated.config, parts)
    return True


def _remove(config: dict[str, Any], parts: tuple[str, ...]) -> None:
    node = config
    for part in parts[:-1]:
        node = node[part]
    del node[parts[-1]]
    if len(parts) > 1 and not strip(node):
        _remove(config, parts[:-1])


def _secret_items(generated: Generated, target: Target, namespace: str) -> list[Item]:
    return [
        Item(
            "secrets",
            f"{namespace}:{name}",
            f"{what}: `pulumi config set --secret {namespace}:{name} <value> --stack {target.stack}`",
        )
        for name, what in generated.secrets.items()
    ]


def _short(token: str) -> str:
    return token.rsplit(":", 1)[-1]


def _plan_items(plan: Plan, found: dict[str, Found], changes: list[Change], generated: Generated) -> list[Item]:
    items: list[Item] = []
    for registration in plan.resources:
        if not registration.custom or registration.urn in found:
            continue
        if registration.type in BY_TOKEN:
            why = "new: Atlas has no such object, so the first `pulumi up` creates it"
        else:
            why = CREATED.get(registration.type, "part of the program with no Atlas object to adopt")
        items.append(Item("created", f"{_short(registration.type)} {registration.name}", why))
    for urn, result in found.items():
        registration = plan.by_urn(urn)
        rule = BY_TOKEN[registration.type]
        if result.aws_side:
            items.append(
                Item(
                    "aws",
                    f"{_short(registration.type)} {registration.name}",
                    f"imported by its id {result.import_id}; {rule.not_in_atlas['*']}",
                )
            )
            continue
        for key, why in rule.not_in_atlas.items():
            sent = registration.inputs.get(key)
            if (
                sent is not None
                and not _unset(sent, rule.zero_is_unset)
                and key not in registration.ignore_changes
                and key != "password"
            ):
                items.append(Item("state", f"{registration.name} {key}", f"sent as {registration.inputs[key]!r}: {why}"))
        for secret in sorted(registration.secret_inputs):
            if registration.type != "mongodbatlas:index/databaseUser:DatabaseUser":
                items.append(
                    Item(
                        "secrets",
                        f"{registration.name} {secret}",
                        "Atlas never returns it: the first `pulumi up` sends the value of its secret key (shown once as a change)",
                    )
                )
    for change in changes:
        items.append(
            Item(
                "changes",
                f"{change.resource} {change.path}",
                f"Atlas has {_show(change.atlas)}, the program sends {_show(change.program)} ({change.verdict})",
            )
        )
    return items


def _unset(value: Any, zero_is_unset: bool) -> bool:
    """The provider sees no value: false and 0 are a plugin-sdk resource's unset (its zero values)."""
    return zero_is_unset and value in (False, 0)


def _show(value: Any) -> str:
    import json

    return "nothing" if value is None else json.dumps(value, sort_keys=True, default=str)


def provider_versions() -> dict[str, str]:
    """The plugin version of each provider package the program pins (the import must use the same provider)."""
    return {
        "mongodbatlas": metadata.version("pulumi_mongodbatlas"),
        "aws": metadata.version("pulumi_aws"),
    }


def import_document(plan: Plan, found: dict[str, Found]) -> dict[str, Any]:
    """The `pulumi import --file` document: every component on the way to an imported resource (so the URNs
    are the program's), then each resource with its type, name, parent, id and provider version."""
    by_urn = {r.urn: r for r in plan.resources}
    needed: set[str] = set()
    for urn in found:
        parent = by_urn[urn].parent
        while parent in by_urn:
            needed.add(parent)
            parent = by_urn[parent].parent
    entries: list[tuple[Registration, dict[str, Any]]] = []
    for urn in sorted(needed, key=lambda u: (u.count("$"), u)):
        entries.append((by_urn[urn], {"type": by_urn[urn].type, "name": by_urn[urn].name, "component": True}))
    versions = provider_versions()
    for urn in sorted(found, key=lambda u: (u.count("$"), u)):
        registration = by_urn[urn]
        entry = {"type": registration.type, "name": registration.name, "id": found[urn].import_id}
        package = registration.type.split(":", 1)[0]
        if package in versions:
            entry["version"] = versions[package]
        entries.append((registration, entry))
    # The file refers to a parent by its `name`, which must then be unique in the file; `logicalName`
    # keeps the program's name where two would collide (pulumi/pulumi pkg/cmd/pulumi/operations/import.go).
    keys: dict[str, str] = {}
    counts: dict[str, int] = {}
    for registration, _ in entries:
        counts[registration.name] = counts.get(registration.name, 0) + 1
    for registration, entry in entries:
        key = registration.name if counts[registration.name] == 1 else f"{registration.name}#{_short(registration.type)}"
        keys[registration.urn] = key
        if key != registration.name:
            entry["logicalName"] = registration.name
            entry["name"] = key
    resources = []
    for registration, entry in entries:
        if registration.parent in keys:
            entry["parent"] = keys[registration.parent]
        resources.append(entry)
    return {"resources": resources}


def ordered(items: list[Item]) -> list[Item]:
    rank = {section: index for index, section in enumerate(SECTION_ORDER)}
    return sorted(items, key=lambda i: (rank.get(i.section, len(rank)), i.subject))


__all__ = ["COMMENT", "COMMENTS", "Result", "Target", "adopt", "import_document", "ordered"]
