"""Write the adopted stack file as YAML with comments (PyYAML writes no comments), and strip them for validation.

Block style, two spaces; a list of scalars in flow style (`roles: [GROUP_READ_ONLY]`); a string is
written plain only when YAML reads it back as the same string, else as a JSON string (valid YAML), so
`"8.0"` stays text and `"#alerts"` is never a comment. Comments go on their own line above what they
describe: a `key: # ...` line would read as an empty value (tests/harness/stackfile.py refuses it).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import yaml

from tools.schema import modelines

from .generate import ANNOTATIONS, COMMENT, COMMENTS

PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@+=-]*")


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if value is None:
        return "null"
    text = str(value)
    if PLAIN.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def strip(value: Any) -> Any:
    """The value without its comment annotations: what the stack file means."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in ANNOTATIONS}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def _comment_lines(text: str, indent: int) -> list[str]:
    return [f"{' ' * indent}# {line}".rstrip() for line in text.splitlines()]


def _inline(value: Any) -> str | None:
    """The value on the key's own line, or None when it needs a block."""
    if isinstance(value, dict):
        return "{}" if not strip(value) else None
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, (dict, list)) for v in value):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        return None
    return scalar(value)


def _mapping(mapping: dict[str, Any], indent: int) -> list[str]:
    lines: list[str] = []
    comments = mapping.get(COMMENTS) or {}
    for key, value in mapping.items():
        if key in ANNOTATIONS:
            continue
        if key in comments:
            lines += _comment_lines(comments[key], indent)
        if isinstance(value, dict) and value.get(COMMENT):
            lines += _comment_lines(value[COMMENT], indent)
        lines += _entry(f"{' ' * indent}{key}:", value, indent)
    return lines


def _entry(head: str, value: Any, indent: int) -> list[str]:
    inline = _inline(value)
    if inline is not None:
        return [f"{head} {inline}"]
    if isinstance(value, dict):
        return [head, *_mapping(value, indent + 2)]
    lines = [head]
    for item in value:
        if isinstance(item, dict) and item.get(COMMENT):
            lines += _comment_lines(item[COMMENT], indent + 2)
        if isinstance(item, dict):
            body = _mapping({k: v for k, v in item.items() if k != COMMENT}, indent + 4)
            first = body[0][indent + 4 :] if body else "{}"
            # Comments of the first key stay above the item; the item opens on its first key.
            lead = list(itertools.takewhile(lambda line: line.strip().startswith("#"), body))
            rest = body[len(lead) :]
            if rest:
                lines += [*lead, f"{' ' * (indent + 2)}- {rest[0][indent + 4 :]}", *rest[1:]]
            else:
                lines.append(f"{' ' * (indent + 2)}- {first}")
        else:
            inline_item = _inline(item)
            lines.append(f"{' ' * (indent + 2)}- {inline_item if inline_item is not None else json.dumps(strip(item))}")
    return lines


def render(header: list[str], namespace: str, config: dict[str, Any], other: dict[str, Any], secrets: dict[str, str]) -> str:
    """The stack file's text: header comments, then `config:` with the namespace's keys, other namespaces, and secrets."""
    # First, the schema an editor checks the file against (stack files live in the project root).
    lines = [*modelines(), *_comment_lines("\n".join(header), 0), "config:"]
    if "aws:region" in other:
        lines.append("  # The region of the AWS resources this stack creates (secrets, keys): the cluster's preferred region.")
    for key, value in other.items():
        lines += _entry(f"  {key}:", value, 2)
    body = {f"{namespace}:{k}": v for k, v in config.items() if k not in ANNOTATIONS}
    comments = {f"{namespace}:{k}": v for k, v in (config.get(COMMENTS) or {}).items()}
    lines += _mapping({**body, COMMENTS: comments}, 2)
    if secrets:
        lines.append("  # Secrets Atlas never returns: set each with the command above it (the value here is a placeholder).")
    for name, what in secrets.items():
        lines += _comment_lines(f"{what}: pulumi config set --secret {namespace}:{name} <value>", 2)
        lines += [f"  {namespace}:{name}:", "    secure: " + scalar(secret_placeholder(name))]
    return "\n".join(lines) + "\n"


def secret_placeholder(name: str) -> str:
    from .generate import SECRET_PLACEHOLDER

    return f"{SECRET_PLACEHOLDER}{name[:1].upper()}{name[1:]}"
