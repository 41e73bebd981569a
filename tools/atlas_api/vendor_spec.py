"""Cut the vendored Atlas Admin API description down to the operations the client calls.

    python -m tools.atlas_api.vendor_spec <full v2.yaml or v2.json of mongodb/openapi>

Keeps every operation named in `tools.atlas_api.operations.OPERATIONS` as Atlas's text has it
(parameters, every response, error bodies) except for the success bodies of media-type versions the
client does not ask for, and every component those operations reference, transitively; nothing else. Writes
tools/atlas_api/spec/atlas-admin-v2.json. Record the source in tools/atlas_api/spec/README.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .operations import OPERATIONS

SPEC = Path(__file__).resolve().parent / "spec" / "atlas-admin-v2.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _refs(node: Any) -> Iterator[str]:
    """Every reference in `node`: `$ref`s and the schemas a discriminator's mapping names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "discriminator" and isinstance(value, dict):
                yield from (v for v in (value.get("mapping") or {}).values() if isinstance(v, str))
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _one_version(operation: dict[str, Any], media_type: str) -> dict[str, Any]:
    """The operation with only the versioned media type the client asks for in its responses.

    Error bodies (`application/json`, shared `components/responses`) stay as they are; older or newer
    versions of the success body are what would otherwise bring in most of the document.
    """
    operation = copy.deepcopy(operation)
    for response in operation.get("responses", {}).values():
        content = response.get("content")
        if isinstance(content, dict) and media_type in content:
            response["content"] = {
                kind: body
                for kind, body in content.items()
                if kind == media_type or not kind.startswith("application/vnd.atlas.")
            }
    return operation


def subset(full: dict[str, Any], media_types: dict[str, str]) -> dict[str, Any]:
    """The part of `full` that the named operations need (operationId -> media type), as a complete OpenAPI document."""
    paths: dict[str, Any] = {}
    found: set[str] = set()
    for path, item in full["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            operation_id = operation.get("operationId") if isinstance(operation, dict) else None
            if operation_id in media_types:
                kept = paths.setdefault(path, {k: v for k, v in item.items() if k not in METHODS})
                kept[method] = _one_version(operation, media_types[operation_id])
                found.add(operation_id)
    missing = set(media_types) - found
    if missing:
        raise SystemExit(f"not in the given spec: {', '.join(sorted(missing))}")

    components: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    # The security schemes the document requires apply to every operation.
    pending += [f"#/components/securitySchemes/{name}" for entry in full.get("security", []) for name in entry]
    while pending:
        ref = pending.pop()
        if not ref.startswith("#/components/"):
            raise SystemExit(f"cannot vendor an external reference: {ref}")
        _, _, kind, name = ref.split("/", 3)
        if name in components.get(kind, {}):
            continue
        node = full["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        pending += list(_refs(node))

    tags = {tag for item in paths.values() for op in item.values() if isinstance(op, dict) for tag in op.get("tags", [])}
    document = {key: full[key] for key in ("openapi", "info", "servers", "security", "externalDocs") if key in full}
    document["tags"] = [tag for tag in full.get("tags", []) if tag.get("name") in tags]
    document["paths"] = dict(sorted(paths.items()))
    document["components"] = {kind: dict(sorted(names.items())) for kind, names in sorted(components.items())}
    return document


def load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return dict(json.loads(text))
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return dict(yaml.load(text, Loader=loader))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.atlas_api.vendor_spec", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="mongodb/openapi openapi/v2.yaml or openapi/v2.json")
    parser.add_argument("--output", type=Path, default=SPEC)
    args = parser.parse_args(argv)
    document = subset(load(args.source), {op.operation_id: op.media_type for op in OPERATIONS.values()})
    args.output.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes, {len(OPERATIONS)} operations)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
