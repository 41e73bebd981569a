"""Read a stack file the way the Pulumi CLI hands it to a program.

The CLI passes each config key as a string (objects and lists as JSON) and lists the keys that
hold secrets. Offline, `secure:` values cannot be decrypted (no CLI, no secrets provider), so
each is replaced by a marked placeholder and its key is listed as secret, exactly as a
decrypted value would be.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml

from stackconfig.loader import ConfigError, Problem, read_stack_file, secure_leaves

SECRET_PLACEHOLDER = "offline-placeholder-secret"


@functools.cache
def project_name(root: Path) -> str:
    document = yaml.safe_load((root / "Pulumi.yaml").read_text())
    return str(document["name"])


def stack_file_path(root: Path, stack: str) -> Path:
    return root / f"Pulumi.{stack}.yaml"


def available_stacks(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _as_engine_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


def _replace_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER
        return {k: _replace_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v) for v in value]
    return value


def engine_config(
    root: Path, stack: str, config: dict[str, Any] | None = None, *, stack_file: Path | None = None
) -> tuple[dict[str, str], list[str]]:
    """(config map, secret keys) as the CLI would pass them for `stack`.

    `config` replaces the stack file's `config:` mapping (tests use it for variants); `stack_file` reads
    another file than `root`'s Pulumi.<stack>.yaml, as `pulumi --config-file` does.
    """
    path = stack_file or stack_file_path(root, stack)
    namespace = project_name(root)
    if config is None:
        if not path.exists():
            known = ", ".join(available_stacks(root)) or "none"
            raise ConfigError(path.name, [Problem("(file)", f"no such stack file; stacks here: {known}")])
        # Refuses what the CLI's own YAML parser refuses before a program runs: a key written twice.
        config = read_stack_file(path, namespace) or {}
    odd = [key for key in config if not isinstance(key, str)]
    if odd:
        raise ConfigError(
            path.name, [Problem("config", f"key {key!r} is not text; write keys as `<namespace>:<name>`") for key in odd]
        )
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in config.items():
        full_key = key if ":" in key else f"{namespace}:{key}"
        if any(True for _ in secure_leaves(value)):
            secret_keys.append(full_key)
        values[full_key] = _as_engine_string(_replace_secure(value))
    return values, secret_keys
