"""Read a stack file the way the Pulumi CLI hands it to a program.

The CLI passes each config key as a string (objects and lists as JSON) and lists the keys that
hold secrets: a key is secret when its value is, or holds, a `secure:` entry (the engine marks
whole top-level keys). Offline, `secure:` values cannot be decrypted (no CLI, no secrets
provider), so each is replaced by a marked placeholder and its key is listed as secret, exactly
as a decrypted value would be. The program itself never reads the stack file.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml

from stackconfig.loader import ConfigError, Problem, render_parts, render_path

SECRET_PLACEHOLDER = "offline-placeholder-secret"
PathPart = str | int
Path_ = tuple[PathPart, ...]


# PyYAML keeps the last of two equal keys without a word (`hour: 4` then `hour: 16` plans 16).
# The Pulumi CLI parses stack files with gopkg.in/yaml.v3 (pulumi/pulumi
# sdk/go/common/encoding/marshal.go, since v3.50), whose decoder refuses the same file: "mapping
# key "hour" already defined at line 65" (go-yaml v3 decode.go, `uniqueKeys`) before the program runs.
# The program never reads the file; the offline harness reads it instead of the CLI, so it refuses
# the file here, with the key path and both lines.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: ~10x faster
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_COMMENT_AFTER_KEY = re.compile(r"\s*:\s+(#.*?)\s*$")


@dataclass(frozen=True)
class _Repeat:
    path: Path_
    first: int
    second: int
    why: str = "YAML would keep only the last one, silently (the Pulumi CLI refuses the file)"


@dataclass(frozen=True)
class _Commented:
    path: Path_
    line: int
    comment: str


@dataclass(frozen=True)
class _Octal:
    path: Path_
    line: int
    text: str
    value: int


# YAML 1.1 reads an unquoted number with a leading 0 as octal (`startHour: 010` is 8), and so does the
# Pulumi CLI's gopkg.in/yaml.v3 ("Octals encode and decode as 0777 per YAML 1.1", its README; resolve.go
# parses plain ints with strconv.ParseInt(s, 0, 64)). The program only ever sees the 8.
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_INT_TAG = "tag:yaml.org,2002:int"
# The keys of a Pulumi stack file (pulumi/pulumi sdk/go/common/workspace/project.go, `ProjectStack`).
STACK_FILE_KEYS = ("config", "environment", "secretsprovider", "encryptedkey", "encryptionsalt")


class StackFileLoader(_YAML_LOADER):  # type: ignore[misc,valid-type]
    """A safe loader that notes each key written twice, and each value a `#` turned into a comment.

    It records rather than raises, so one error can name every repeat at once.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lines = text.splitlines()
        self.repeats: list[_Repeat] = []
        self.commented: list[_Commented] = []
        self.octals: list[_Octal] = []
        self.key_lines: dict[Path_, int] = {}  # where each key was first written
        self._paths: dict[int, Path_] = {}

    def construct_document(self, node: yaml.Node) -> Any:
        # Constructors build mappings out of nesting order, so each mapping's path is found first.
        self._paths = dict(_mapping_paths(node))
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        path = self._paths.get(id(node), ())
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *defaults` may be overridden on purpose
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base constructor refuses it, as invalid YAML
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.repeats.append(_Repeat((*path, _label(key_node)), first_line[key], line))
            else:
                first_line[key] = line
                self.key_lines.setdefault((*path, _label(key_node)), line)
            if _reads_as_octal(value_node):
                octal = int(value_node.value.replace("_", ""), 8)
                self.octals.append(_Octal((*path, _label(key_node)), value_node.start_mark.line + 1, value_node.value, octal))
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL_TAG and not value_node.value:
                after_key = self.lines[key_node.end_mark.line][key_node.end_mark.column :]
                comment = _COMMENT_AFTER_KEY.match(after_key)
                if comment:
                    self.commented.append(_Commented((*path, _label(key_node)), line, comment.group(1)))
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _reads_as_octal(node: yaml.Node) -> bool:
    """A plain (unquoted) integer whose leading 0 changes its value: `010` (8), not `07` (7) or `0`."""
    if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and not node.style and _OCTAL.fullmatch(node.value)):
        return False
    digits = node.value.replace("_", "")
    return int(digits, 8) != int(digits, 10)


def _mapping_paths(node: yaml.Node, path: Path_ = (), seen: set[int] | None = None) -> Iterable[tuple[int, Path_]]:
    """(id of each mapping node, its path from the document root); an alias is followed once."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        yield id(node), path
        for key_node, value_node in node.value:
            yield from _mapping_paths(value_node, (*path, _label(key_node)), seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _mapping_paths(item, (*path, index), seen)


def _label(key_node: yaml.Node) -> str:
    return str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"


def _file_key_path(path: Path_, namespace: str | None) -> str:
    """A position in the stack file as a config key path: `atlas-platform:cluster.maintenanceWindow.hour`."""
    if len(path) < 2 or path[0] != "config":
        return render_parts(path) or "(file)"  # outside `config:`, e.g. `config` itself
    key_namespace, colon, name = str(path[1]).partition(":")
    if not colon:  # a bare key belongs to the project, as Pulumi reads it
        if namespace is None:
            return render_parts(path[1:])
        key_namespace, name = namespace, key_namespace
    return render_path(key_namespace, (name, *path[2:]))


def _quoted_line(text: str) -> str:
    text = text.strip()
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def parse_stack_file(stack_file: Path, namespace: str | None = None) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The stack file's `config:` mapping (None when config lives elsewhere, e.g. Pulumi ESC), and
    each value the file reads differently than it shows: `channelName: #alerts` reads as empty.

    A key written twice, a tab or a YAML error ends here with one `ConfigError`. `namespace` names
    the project, for the key paths of bare keys.
    """
    if not stack_file.exists():
        return None, []
    try:
        text = stack_file.read_text(encoding="utf-8")
        loader = StackFileLoader(text)
        try:
            document = loader.get_single_data() or {}
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        raise ConfigError(stack_file.name, [_yaml_problem(error, text)]) from None
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem("(file)", f"cannot be read as UTF-8 text ({error}); save it as a UTF-8 YAML file")
        raise ConfigError(stack_file.name, [problem]) from None
    commented = [
        Problem(
            _file_key_path(c.path, namespace),
            f"line {c.line}: {_quoted_line(f'{c.path[-1]}: {c.comment}')} is read as an empty value because ` #` "
            f"starts a YAML comment; quote it: {c.path[-1]}: {json.dumps(c.comment, ensure_ascii=False)}",
        )
        for c in loader.commented
    ]
    commented += [
        Problem(
            _file_key_path(o.path, namespace),
            f"line {o.line}: {_quoted_line(f'{o.path[-1]}: {o.text}')} is read as {o.value}, because YAML reads a number "
            f"with a leading 0 as octal; write {o.path[-1]}: {int(o.text.replace('_', ''), 10)} (or, for text, quote it: "
            f'{o.path[-1]}: "{o.text}")',
        )
        for o in loader.octals
    ]
    if namespace is not None:
        loader.repeats += _bare_and_namespaced(loader.key_lines, namespace)
    if loader.repeats:
        repeats = [
            Problem(
                _file_key_path(r.path, namespace),
                f"is written twice, on line {r.first} ({_quoted_line(loader.lines[r.first - 1])}) and line {r.second} "
                f"({_quoted_line(loader.lines[r.second - 1])}); {r.why}: delete the one you do not mean",
            )
            for r in loader.repeats
        ]
        raise ConfigError(stack_file.name, repeats + commented)
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(stack_file.name, [Problem("config", "must be a mapping of keys to values")])
    unknown = [key for key in document if key not in STACK_FILE_KEYS]
    if unknown:
        raise ConfigError(stack_file.name, [_unknown_stack_file_key(key, loader.key_lines) for key in unknown])
    config: dict[str, Any] = document.get("config") or {}
    odd = [key for key in config if not isinstance(key, str)]
    if odd:
        problems = [Problem("config", f"key {key!r} is not text; write keys as `<namespace>:<name>`") for key in odd]
        raise ConfigError(stack_file.name, problems)
    return config, commented


def _unknown_stack_file_key(key: Any, key_lines: dict[Path_, int]) -> Problem:
    """`configs:` for `config:`: the CLI would pass no config at all, and every setting would be missing."""
    close = get_close_matches(str(key), STACK_FILE_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}:`? " if close else ""
    line = key_lines.get((str(key),))
    where = f"line {line}: " if line else ""
    return Problem(
        str(key),
        f"{where}`{key}:` is not a stack-file key; {hint}a stack file holds {', '.join(f'`{k}:`' for k in STACK_FILE_KEYS)}, "
        "and its settings go under `config:`",
    )


def _bare_and_namespaced(key_lines: dict[Path_, int], namespace: str) -> list[_Repeat]:
    """`app:` and `atlas-platform:app:` are one key to Pulumi: its loader namespaces bare keys into a Go
    map, so which value wins is left to map order (pulumi/pulumi sdk/go/common/workspace/loaders.go,
    `stackConfigNamespacedWithProject`), with no error from the CLI."""
    top_level = {str(path[1]): line for path, line in key_lines.items() if len(path) == 2 and path[0] == "config"}
    repeats = []
    for key, line in top_level.items():
        full = f"{namespace}:{key}"
        if ":" not in key and full in top_level:
            first, second = sorted((line, top_level[full]))
            repeats.append(_Repeat(("config", full), first, second, f"Pulumi reads both as {full} and keeps either one"))
    return repeats


def read_stack_file(stack_file: Path, namespace: str | None = None) -> dict[str, Any] | None:
    """The stack file's `config:` mapping, or None when config lives elsewhere (e.g. Pulumi ESC)."""
    return parse_stack_file(stack_file, namespace)[0]


def _yaml_problem(error: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
        # The scanner's own words ("found character '\t' that cannot start any token") do not say what to do.
        where = "indents line" if not lines[mark.line][: mark.column].strip() else "is on line"
        return Problem(
            "(file)",
            f"a tab {where} {mark.line + 1} (column {mark.column + 1}); tabs cannot indent YAML: use spaces",
        )
    return Problem("(file)", f"is not valid YAML: {error}; fix the indentation or quoting")


def secure_leaves(value: Any, path: Path_ = ()) -> Iterable[Path_]:
    """Every position inside a stack-file value that holds a `secure:` entry."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            yield path
            return
        for key, item in value.items():
            yield from secure_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from secure_leaves(item, (*path, index))


@functools.cache
def project_name(root: Path) -> str:
    document = yaml.safe_load((root / "Pulumi.yaml").read_text())
    return str(document["name"])


def stack_file_path(root: Path, stack: str) -> Path:
    return root / f"Pulumi.{stack}.yaml"


POLICY_CONFIG_FOLDER = "policy-config"


def policy_config_dir(root: Path, stack_file: Path | None = None) -> Path:
    """Where a stack file's policy configs (`<stack>.json`) live: a `policy-config/` folder beside the stack
    file when there is one (tests/fixtures/ has one for the behaviour tests' stacks), else the pack's own
    `policies/config/` beside `root`'s stack files, the files CI passes with --policy-pack-config."""
    if stack_file is not None and (stack_file.parent / POLICY_CONFIG_FOLDER).is_dir():
        return stack_file.parent / POLICY_CONFIG_FOLDER
    return root / "policies" / "config"


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
        # Refuses what the CLI's own YAML parser refuses before a program runs (a key written twice),
        # and a value a `#` emptied, which the CLI would pass as empty text.
        file_config, emptied = parse_stack_file(path, namespace)
        if emptied:
            raise ConfigError(path.name, emptied)
        config = file_config or {}
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
