"""Building blocks shared by every section of the stack file model.

Each section model inherits `StackModel`: camelCase keys as in the stack file, unknown keys
refused, field docstrings kept as descriptions (they feed the "did you mean" hints and the
README's key reference).
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable
from difflib import get_close_matches
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema


class StackModel(BaseModel):
    """Base of every stack-file section: camelCase aliases, no unknown keys, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        use_attribute_docstrings=True,
        validate_default=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        field = cls.model_fields[info.field_name]
        annotation = field.annotation
        # pydantic's lax mode reads `hour: true` as 1; in a stack file that is a typo, not a number.
        if isinstance(value, bool) and _numeric(annotation):
            raise invalid("bool_for_number", f"{value!r} is a yes/no value where a number belongs; write a number")
        if isinstance(value, (bool, int, float)) and _textual(annotation):
            raise _scalar_for_text(value, field.rebuild_annotation())
        return value


def _scalar_for_text(value: bool | int | float, annotation: Any) -> PydanticCustomError:
    """Text was meant, YAML read a yes/no or a number: say so, and whether the quoted form would do.

    `region: no` reads as false under YAML 1.1 (the offline harness's PyYAML), and quoting it gives
    "no", which is no region either: the fix is the field's own list of valid values, not the quotes.
    """
    if isinstance(value, bool):
        word = "yes" if value else "no"
        read = f"YAML reads an unquoted {word} ({'true, on' if value else 'false, off'} alike) as a yes/no value, not text"
    else:
        word = f"{value:g}" if isinstance(value, float) else str(value)
        read = f"YAML reads {word} as a number, not text"
    try:
        TypeAdapter(annotation).validate_python(word)
    except ValidationError as error:
        return invalid("text_expected", f'{read}, and "{word}" in quotes would not do either: {error.errors()[0]["msg"]}')
    return invalid("text_expected", f'{read}; write it in quotes, e.g. "{word}"')


def _textual(annotation: Any) -> bool:
    """Whether a field takes only text (str, a str subclass or a Literal of strings, possibly Optional or
    Annotated): a yes/no or a number there is a YAML reading, never a value."""
    if annotation is type(None):
        return False
    if isinstance(annotation, type):
        return issubclass(annotation, str)
    origin = get_origin(annotation)
    if origin is Annotated:
        return _textual(get_args(annotation)[0])
    if origin is Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    if origin in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        return bool(args) and all(_textual(arg) for arg in args)
    return False


def _numeric(annotation: Any) -> bool:
    """Whether a field takes a number (int or float, possibly Optional or Annotated), not a bool."""
    if annotation in (int, float):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _numeric(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_numeric(arg) for arg in get_args(annotation))
    return False


# Error kinds raised through `invalid`: their messages already name the value and the fix.
OWN_ERROR_KINDS: set[str] = set()


def invalid(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message already says what to write instead.

    No template context is passed, so pydantic keeps the message verbatim (braces included).
    """
    OWN_ERROR_KINDS.add(kind)
    return PydanticCustomError(kind, message)


@dataclasses.dataclass(frozen=True, slots=True)
class DescribedValidator(AfterValidator):
    """An AfterValidator that also tells the stack file's JSON Schema (tools/schema.py) what it accepts,
    so an editor offers the values and flags a wrong one as the loader would."""

    json_schema: tuple[tuple[str, Any], ...] = ()

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        result = handler(schema)
        # Stored as tuples (the validator is hashed with its Annotated type); JSON wants lists.
        result.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.json_schema})
        return result


def matches(pattern: str, what: str, fix: str) -> AfterValidator:
    """Check a string against `pattern`, with a message that names the fix.

    Use as `Annotated[str, matches(...)]`. pydantic's own "String should match pattern
    '^[0-9a-f]{24}$'" tells a user nothing about what the value is for; this says what it
    is and how to write it.
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise invalid("invalid_format", f"{value!r} is not {what}; {fix}")
        return value

    return DescribedValidator(check, json_schema=(("pattern", f"^(?:{pattern})$"),))


def member_of(values: tuple[str, ...], what: str, hint: Callable[[str], str] | None = None) -> AfterValidator:
    """Check that a string is one of `values` (Atlas's own list), with a did-you-mean hint.

    Use as `Annotated[str, member_of(...)]`. `hint(value)` may add advice for a known mistake.
    """
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value not in allowed:
            close = get_close_matches(value, values, n=1, cutoff=0.6)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            extra = hint(value) if hint else ""
            raise invalid("not_allowed", f"{value!r} is not {what}; {suggestion}write one of: {', '.join(values)}{extra}")
        return value

    return DescribedValidator(check, json_schema=(("enum", tuple(values)),))


def unique(values: list[str], what: str) -> None:
    """Refuse a repeated value in a list, naming both positions."""
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            raise invalid("duplicate", f"{what} {value!r} appears at [{seen[value]}] and [{index}]; keep one entry")
        seen[value] = index


class Secret:
    """A value the engine marked secret: a top-level config key set with `pulumi config set --secret`
    (or an ESC `fn::secret`), named from where it is used through a `SecretName` field.

    It never prints: `repr` and `str` are masked, and components receive it only through
    `pulumi.Output.secret(...)`. The loader makes one only from a key the engine marked secret.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('[secret]')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


# Pulumi marks secrets per top-level config key (the language host gets the list of secret keys,
# not positions inside a value), so each secret is its own key and a settings field names it.
SECRET_NAME_PATTERN = r"[a-z][A-Za-z0-9]{1,63}"


class SecretName(str):
    """The name of a top-level secret config key, without the namespace: `pagerDutyServiceKey` names
    `atlas-platform:pagerDutyServiceKey`. The loader checks the key is set and marked secret."""

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        compiled = re.compile(SECRET_NAME_PATTERN)

        def check(value: str) -> SecretName:
            if not compiled.fullmatch(value):
                bare = value.rpartition(":")[2]
                hint = f"write {bare!r} (the namespace is implied)" if ":" in value else "e.g. pagerDutyServiceKey"
                raise invalid(
                    "invalid_secret_name",
                    f"{value!r} is not the name of a secret config key; use 2-64 letters and digits starting with a "
                    f"lowercase letter, {hint}",
                )
            return cls(value)

        return core_schema.no_info_after_validator_function(check, core_schema.str_schema())
