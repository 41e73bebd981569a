"""Turn the engine's config map into one `StackConfig`, or one clean error listing every problem.

The engine hands a program its config as strings (`PULUMI_CONFIG`): scalars as text, objects
and lists as JSON. It tells which *top-level* keys hold secrets, not where inside an object the
`secure:` value sat, so the stack file itself is read to find each `secure:` leaf. A plain-text
value in a field typed `Secret` is then refused, however deep it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, get_args, get_origin

import pulumi
import yaml
from pydantic import BaseModel, ValidationError

from .base import OWN_ERROR_KINDS, Secret
from .environment import production_before_validation
from .model import StackConfig

# Namespaces other than the project's that a stack file may hold: the providers this program
# uses and Pulumi's own. Anything else is a typo (`atlas-platfrom:cluster`) that would silently
# drop a whole section.
OTHER_NAMESPACES = ("aws", "mongodbatlas", "random", "pulumi")

# Provider settings that are credentials: in a stack file they must be `secure:` values.
PROVIDER_SECRET_KEYS = {
    "mongodbatlas:privateKey": "the Atlas API private key",
    "mongodbatlas:clientSecret": "the Atlas service-account client secret",
    "mongodbatlas:accessToken": "the Atlas access token",
    "aws:secretKey": "the AWS secret access key",
    "aws:token": "the AWS session token",
}

PathPart = str | int
Path_ = tuple[PathPart, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the stack file: where, what was there, and what to write instead."""

    key: str
    message: str

    def render(self, stack_file: str) -> str:
        return f"{stack_file}: {self.key}: {self.message}"


class ConfigError(pulumi.RunError):
    """A stack file that cannot be planned. The message lists every problem at once."""

    def __init__(self, stack_file: str, problems: list[Problem]) -> None:
        self.stack_file = stack_file
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"{stack_file} has {len(problems)} {noun}; nothing was created:"]
        lines += [f"  - {p.render(stack_file)}" for p in problems]
        super().__init__("\n".join(lines))


def render_path(namespace: str, path: Iterable[PathPart]) -> str:
    """`("teams", 0, "roles")` -> `atlas-platform:teams[0].roles`, the syntax of `pulumi config --path`."""
    return f"{namespace}:{_render_parts(path)}"


def _render_parts(path: Iterable[PathPart]) -> str:
    text = ""
    for part in path:
        if part == "[key]":  # pydantic's marker for an invalid dict key: the key itself is already named
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


# PyYAML keeps the last of two equal keys without a word (`hour: 4` then `hour: 16` plans 16).
# The Pulumi CLI parses stack files with gopkg.in/yaml.v3 (pulumi/pulumi
# sdk/go/common/encoding/marshal.go, since v3.50), whose decoder refuses the same file: "mapping
# key "hour" already defined at line 65" (go-yaml v3 decode.go, `uniqueKeys`). The program reads the
# file again for its `secure:` leaves, and the offline harness reads it instead of the CLI, so both
# refuse it here too, with the key path and both lines.
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


class StackFileLoader(_YAML_LOADER):  # type: ignore[misc,valid-type]
    """A safe loader that notes each key written twice, and each value a `#` turned into a comment.

    It records rather than raises, so one error can name every repeat at once.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lines = text.splitlines()
        self.repeats: list[_Repeat] = []
        self.commented: list[_Commented] = []
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
            if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL_TAG and not value_node.value:
                after_key = self.lines[key_node.end_mark.line][key_node.end_mark.column :]
                comment = _COMMENT_AFTER_KEY.match(after_key)
                if comment:
                    self.commented.append(_Commented((*path, _label(key_node)), line, comment.group(1)))
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


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
        return _render_parts(path) or "(file)"  # outside `config:`, e.g. `config` itself
    key_namespace, colon, name = str(path[1]).partition(":")
    if not colon:  # a bare key belongs to the project, as Pulumi reads it
        if namespace is None:
            return _render_parts(path[1:])
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
    config: dict[str, Any] = document.get("config") or {}
    odd = [key for key in config if not isinstance(key, str)]
    if odd:
        problems = [Problem("config", f"key {key!r} is not text; write keys as `<namespace>:<name>`") for key in odd]
        raise ConfigError(stack_file.name, problems)
    return config, commented


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


def _decode(raw: Any) -> Any:
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _wrap_secrets(value: Any, leaves: Iterable[Path_]) -> Any:
    for leaf in leaves:
        if not leaf:
            return Secret(str(value))
        parent = value
        for part in leaf[:-1]:
            parent = parent[part]
        parent[leaf[-1]] = Secret(str(parent[leaf[-1]]))
    return value


def _model_at(model: type[BaseModel], loc: tuple[PathPart, ...]) -> type[BaseModel] | None:
    """The section model that a validation error location points into, for "did you mean"."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = next((f for name, f in current.model_fields.items() if (f.alias or name) == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """Unwrap Optional[...], list[...], dict[..., ...] and Annotated[...] down to a model class."""
    while get_origin(annotation) is not None:
        args = [a for a in get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        annotation = models[0] if models else (args[-1] if get_origin(annotation) is dict else args[0])
    return annotation


def _describe(error: Mapping[str, Any], namespace: str) -> Problem:
    loc = tuple(error["loc"])
    key = render_path(namespace, loc)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        section = _model_at(StackConfig, loc[:-1])
        valid = [f.alias or n for n, f in section.model_fields.items()] if section else []
        close = get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(key, f"unknown key; {hint}valid keys here: {', '.join(valid)}")
    if kind == "missing":
        section = _model_at(StackConfig, loc[:-1])
        field = next((f for n, f in section.model_fields.items() if (f.alias or n) == loc[-1]), None) if section else None
        about = f" ({field.description.splitlines()[0]})" if field is not None and field.description else ""
        return Problem(key, f"required key is missing; add it{about}")
    if kind == "plain_text_secret":
        command = f"pulumi config set --secret --path '{render_path(namespace, loc)}' <value>"
        return Problem(
            key, f"a plain-text value where a secret belongs; delete it and run `{command}` so the file holds a `secure:` entry"
        )
    message = str(error["msg"])
    if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return Problem(key, f'{message} (got {value!r}); YAML reads it as a number: write it in quotes, e.g. "{value}"')
    if kind in OWN_ERROR_KINDS or isinstance(value, (dict, list)):
        return Problem(key, message)
    return Problem(key, f"{message} (got {value!r})")


def _describe_all(errors: list[Any], namespace: str) -> list[Problem]:
    """One problem per error, except that a misspelt key is reported once, not also as missing."""
    described = [(tuple(e["loc"]), e["type"], _describe(e, namespace)) for e in errors]
    misspelt = {
        (*loc[:-1], hint)
        for loc, kind, problem in described
        if kind == "extra_forbidden"
        for hint in [problem.message.partition("did you mean '")[2].partition("'")[0]]
        if hint
    }
    return [problem for loc, kind, problem in described if not (kind == "missing" and loc in misspelt)]


def load_stack_config(
    config: Mapping[str, Any],
    *,
    namespace: str,
    stack_file: Path,
    secret_keys: Iterable[str] = (),
) -> StackConfig:
    """Validate every key of `namespace` in `config` into a `StackConfig`.

    `config` maps full keys (`atlas-platform:orgId`) to the engine's string values. Raises one
    `ConfigError` naming the stack file, each key path, the bad value and the fix.
    """
    secret_keys = set(secret_keys)
    # A bare key in a stack file belongs to the project's namespace, as Pulumi reads it.
    file_values, emptied_by_comment = parse_stack_file(stack_file, namespace)
    file_config = {k if ":" in k else f"{namespace}:{k}": v for k, v in (file_values or {}).items()}
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    prefix = f"{namespace}:"
    known_namespaces = (namespace, *OTHER_NAMESPACES)
    # Keys the engine marks secret whose secure: leaves the stack file does not show (config from
    # Pulumi ESC or `--config-file`): their secret fields fail closed, with a message that says so.
    unlocated: set[str] = set()
    for full_key in sorted(config):
        key_namespace = full_key.partition(":")[0]
        if key_namespace not in known_namespaces:
            close = get_close_matches(key_namespace, known_namespaces, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}:'? " if close else ""
            problems.append(
                Problem(
                    full_key,
                    f"unknown config namespace {key_namespace!r}; {hint}this program reads {namespace}:* and its "
                    f"providers read {', '.join(n + ':*' for n in OTHER_NAMESPACES)}",
                )
            )
            continue
        if full_key in PROVIDER_SECRET_KEYS and full_key not in secret_keys:
            problems.append(
                Problem(
                    full_key,
                    f"{PROVIDER_SECRET_KEYS[full_key]} is in plain text; delete it and run "
                    f"`pulumi config set --secret {full_key} <value>` (or set it in the environment, not the stack file)",
                )
            )
        if not full_key.startswith(prefix):
            continue
        name = full_key[len(prefix) :]
        value = _decode(config[full_key])
        leaves = list(secure_leaves(file_config.get(full_key)))
        if full_key in secret_keys and not isinstance(value, (dict, list)):
            leaves = [()]
        elif full_key in secret_keys and not leaves:
            unlocated.add(full_key)
        try:
            data[name] = _wrap_secrets(value, leaves)
        except (KeyError, IndexError, TypeError):
            # The stack file and the engine's config disagree (config set outside the file):
            # leave the value unwrapped, so a secret field fails closed with its fix.
            data[name] = value
    production = production_before_validation(data.get("environment"), data.get("production"))
    if production is not None:
        stack_config, found = _validate(data, production, namespace)
        problems += found
    else:
        # Without a valid environment, some rules cannot be chosen: report only the problems that
        # hold in production and outside it, so one typo does not bring a cascade of prod-only errors.
        runs = [_validate(data, candidate, namespace)[1] for candidate in (True, False)]
        problems += [p for p in runs[0] if p in runs[1]]
        stack_config = None
    if unlocated:
        problems = [_unlocated_secret(p, unlocated, stack_file.name) for p in problems]
    # A value that a `#` emptied is named once, with its cause, not again as an empty value.
    emptied = {p.key for p in emptied_by_comment}
    problems = emptied_by_comment + [p for p in problems if p.key not in emptied]
    if problems or stack_config is None:
        raise ConfigError(stack_file.name, problems)
    return stack_config


def _unlocated_secret(problem: Problem, unlocated: set[str], stack_file: str) -> Problem:
    top_level = problem.key.split(".", 1)[0].split("[", 1)[0]
    if top_level not in unlocated or not problem.message.startswith("a plain-text value where a secret belongs"):
        return problem
    return Problem(
        problem.key,
        f"the engine marks {top_level} secret, but {stack_file} does not show which of its values is `secure:` (config "
        f"from Pulumi ESC or `--config-file`?); keep this key in {stack_file}, or point ATLAS_PLATFORM_STACK_FILE at "
        "the file that holds it",
    )


def _validate(data: dict[str, Any], production: bool, namespace: str) -> tuple[StackConfig | None, list[Problem]]:
    context = {"production": production, "environment": data.get("environment")}
    try:
        return StackConfig.model_validate(data, context=context), []
    except ValidationError as error:
        return None, _describe_all(error.errors(include_url=False), namespace)
