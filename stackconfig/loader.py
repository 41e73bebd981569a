"""Turn the engine's config map into one `StackConfig`, or one clean error listing every problem.

The engine hands a program its config as strings (`PULUMI_CONFIG`): scalars as text, objects
and lists as JSON, wherever it came from (the stack file, `--config-file`, Pulumi ESC). It marks
secrets per *top-level* key (`PULUMI_CONFIG_SECRET_KEYS`), so each secret is its own top-level
key, and a settings field names it (`serviceKeySecret: pagerDutyServiceKey`). The loader checks
each named key is set and marked secret, and refuses a secret nobody names. It never reads the
stack file: what the engine marks is the whole truth.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, get_args, get_origin

import pulumi
from pydantic import BaseModel, ValidationError

from atlas_platform.components.facts import AWS_REGION_SHAPE, AWS_REGIONS, aws_region_name

from .base import OWN_ERROR_KINDS, SECRET_NAME_PATTERN, Secret, SecretName
from .environment import production_before_validation
from .model import PROVIDER_REGION, StackConfig

AWS_REGION_KEY = "aws:region"

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
    return f"{namespace}:{render_parts(path)}"


def render_parts(path: Iterable[PathPart]) -> str:
    text = ""
    for part in path:
        if part == "[key]":  # pydantic's marker for an invalid dict key: the key itself is already named
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _decode(raw: Any) -> Any:
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


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


# A sentence ends at `.`, `!` or `?` before a space and a capital or a backquote, but not after `e.g.`/`i.e.`.
_SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+(?=[A-Z`])")


def first_sentence(text: str) -> str:
    """The first whole sentence of a field's description, however its lines are wrapped: a hint is never
    cut mid-sentence at a line break."""
    flat = " ".join(text.split())
    return _SENTENCE_END.split(flat, maxsplit=1)[0]


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
        about = f" ({first_sentence(field.description)})" if field is not None and field.description else ""
        return Problem(key, f"required key is missing; add it{about}")
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
    stack: str,
    secret_keys: Iterable[str] = (),
) -> StackConfig:
    """Validate every key of `namespace` in `config` into a `StackConfig`.

    `config` maps full keys (`atlas-platform:orgId`) to the engine's string values; `secret_keys`
    are the keys the engine marks secret. Raises one `ConfigError` naming each key path, the bad
    value and the fix.
    """
    secret_keys = set(secret_keys)
    source = f"Pulumi.{stack}.yaml"  # where `pulumi config set` writes, whatever else feeds the config
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    prefix = f"{namespace}:"
    known_namespaces = (namespace, *OTHER_NAMESPACES)
    settings = {field.alias or name for name, field in StackConfig.model_fields.items()}
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
                    f"`pulumi config set --secret {full_key} <value> --stack {stack}` (or set it in the environment, "
                    "not the stack file)",
                )
            )
        if not full_key.startswith(prefix):
            continue
        name = full_key[len(prefix) :]
        if name in settings and full_key in secret_keys:
            problems.append(_settings_marked_secret(full_key, stack))
        data[name] = _decode(config[full_key])
    if not data and not problems:
        # Nothing of this program's at all: every required key would be reported missing, when the cause is
        # one key above them (`configs:` for `config:`, or an ESC environment that was not imported).
        raise ConfigError(
            source,
            [
                Problem(
                    "config",
                    f"no {namespace}:* key is set; the stack file's settings go under its top-level `config:` key "
                    "(check its spelling: not `configs:`), or come from the Pulumi ESC environment it imports",
                )
            ],
        )
    secrets, found = _named_secrets(data, config, settings, secret_keys, namespace, stack)
    problems += found
    provider_region, found = _provider_region(config)
    problems += found
    production = production_before_validation(data.get("environment"), data.get("production"))
    if production is not None:
        stack_config, found = _validate(data, production, namespace, provider_region)
        problems += found
    else:
        # Without a valid environment, some rules cannot be chosen: report only the problems that
        # hold in production and outside it, so one typo does not bring a cascade of prod-only errors.
        runs = [_validate(data, candidate, namespace, provider_region)[1] for candidate in (True, False)]
        problems += [p for p in runs[0] if p in runs[1]]
        stack_config = None
    if stack_config is not None and stack_config.data_region is None and stack_config.keeps_data_in_aws:
        problems.append(
            Problem(
                f"{namespace}:awsRegion",
                "this stack keeps data in AWS (secrets, keys or buckets) and has no cluster to take their region from; "
                f"set it to the AWS region where that data must stay, e.g. `{namespace}:awsRegion: eu-central-1`",
            )
        )
    if problems or stack_config is None:
        raise ConfigError(source, problems)
    stack_config._secrets = secrets
    return stack_config


def _settings_marked_secret(full_key: str, stack: str) -> Problem:
    # Under the real engine a nested `secure:` marks its whole top-level key; the program would
    # read the rest of it as settings, and a settings value reaches resources (and state) in plain text.
    return Problem(
        full_key,
        "the engine marks this key secret (a `secure:` value inside it?), but the program reads it as settings, "
        "not as a secret; keep each secret in its own top-level key, "
        f"`pulumi config set --secret <name> <value> --stack {stack}`, name it from the field that uses it "
        "(e.g. `serviceKeySecret: <name>`), and set this key again without --secret",
    )


def _named_secrets(
    data: dict[str, Any],
    config: Mapping[str, Any],
    settings: set[str],
    secret_keys: set[str],
    namespace: str,
    stack: str,
) -> tuple[dict[str, Secret], list[Problem]]:
    """Take the secret top-level keys out of `data`: each one a field names, set and marked secret.

    A key that is neither settings nor named stays in `data`, where it is refused as unknown (with a
    "did you mean"), unless the engine marks it secret: then it is a secret nobody uses.
    """
    references = list(_secret_references(data))
    named = {name for _, name in references}
    secrets: dict[str, Secret] = {}
    problems: list[Problem] = []
    for name in [n for n in data if n not in settings]:
        full_key = f"{namespace}:{name}"
        if name in named:
            data.pop(name)
            value = config[full_key]
            if full_key not in secret_keys:
                problems.append(
                    Problem(
                        full_key,
                        "is in plain text, but it is named as a secret; delete it and run "
                        f"`pulumi config set --secret {full_key} <value> --stack {stack}` so the engine keeps it encrypted",
                    )
                )
            elif not isinstance(value, str) or not value:
                problems.append(
                    Problem(
                        full_key,
                        f"the secret is empty; set it with `pulumi config set --secret {full_key} <value> --stack {stack}`",
                    )
                )
            else:
                secrets[name] = Secret(value)
        elif full_key in secret_keys:
            data.pop(name)
            problems.append(
                Problem(
                    full_key,
                    "is a secret no setting names, so nothing uses it; name it where it is used "
                    f"(e.g. `serviceKeySecret: {name}`), or delete it with `pulumi config rm {full_key} --stack {stack}`",
                )
            )
    for path, name in references:
        full_key = f"{namespace}:{name}"
        where = render_path(namespace, path)
        if name in settings:
            problems.append(
                Problem(
                    where,
                    f"names {full_key}, which holds settings, not a secret; name the secret key something else",
                )
            )
        elif full_key not in config:
            problems.append(
                Problem(
                    where,
                    f"names the secret {full_key}, which is not set; run "
                    f"`pulumi config set --secret {full_key} <value> --stack {stack}`",
                )
            )
    return secrets, problems


@functools.cache
def _secret_name_aliases(model: type[BaseModel] = StackConfig) -> frozenset[str]:
    """The stack-file names of every field, at any depth, that names a secret key."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        for kind in _annotation_types(field.annotation):
            if kind is SecretName:
                found.add(field.alias or name)
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                found |= _secret_name_aliases(kind)
    return frozenset(found)


def _annotation_types(annotation: Any) -> Iterable[Any]:
    yield annotation
    for arg in get_args(annotation):
        yield from _annotation_types(arg)


def _secret_references(value: Any, path: Path_ = ()) -> Iterable[tuple[Path_, str]]:
    """Each (key path, secret name) a `...Secret` field holds in the config, read before validation
    so a named key is known even when another key is invalid. A malformed name is left to the model."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _secret_name_aliases() and isinstance(item, str) and re.fullmatch(SECRET_NAME_PATTERN, item):
                yield (*path, key), item
            else:
                yield from _secret_references(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _secret_references(item, (*path, index))


def _provider_region(config: Mapping[str, Any]) -> tuple[str | None, list[Problem]]:
    """`aws:region`, the AWS provider's default region, and a problem unless it is an AWS region name (the
    value goes on as written: a stack without cluster then gets this problem only, not also "no region").

    The provider would take any string and fail at `pulumi up` (or, for a plausible typo, build in a
    region nobody meant); a stack without cluster keeps its AWS data there (StackConfig.data_region).
    """
    value = config.get(AWS_REGION_KEY)
    if value is None:
        return None, []
    region = str(value)
    if re.fullmatch(AWS_REGION_SHAPE, region):
        return region, []
    # Atlas's form (US_EAST_1) is the likeliest mistake: match it in AWS's form.
    close = get_close_matches(aws_region_name(region), AWS_REGIONS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return region, [
        Problem(
            AWS_REGION_KEY,
            f"{region!r} is not an AWS region name; {hint}write AWS's form, lowercase with hyphens (e.g. us-east-1, "
            "eu-central-1). It is the AWS provider's default region; the stack's data follows `atlas-platform:awsRegion` "
            "(default: the cluster's primary region)",
        )
    ]


def _validate(
    data: dict[str, Any], production: bool, namespace: str, provider_region: str | None = None
) -> tuple[StackConfig | None, list[Problem]]:
    context = {"production": production, "environment": data.get("environment"), PROVIDER_REGION: provider_region}
    try:
        return StackConfig.model_validate(data, context=context), []
    except ValidationError as error:
        return None, _describe_all(error.errors(include_url=False), namespace)
