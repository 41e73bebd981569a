"""The rule table Atlas enforces and the pack checks, read from the pack's own file, rendered as Cedar.

Why the table's home is `policies/rules/atlas_rules.json` and not here: the pack is published alone
and imports nothing from the program, so the authoritative copy travels with the pack. The
installed package cannot reach the pack's folder, so it ships a byte-identical copy as package
data (`atlas_platform/components/atlas_rules.json`, read through importlib.resources, so it is
found in a wheel as in this repository); `tests/test_rule_table.py` fails when the two differ.
Nothing here imports pulumi or pydantic (the stack-file model reads the rule ids).

Parameters are rendered the way Atlas's resource-policy examples write them
(https://www.mongodb.com/docs/atlas/atlas-resource-policies/): a provider list as
`ResourcePolicy::CloudProvider::"aws"`, a region list as `ResourcePolicy::Region::"aws:us-east-1"`,
a tier as the number Atlas compares `minGeneralClassInstanceSizeValue` with (M30 -> 30).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# The pack's table, shipped with the package; edit `policies/rules/atlas_rules.json` and copy it here.
TABLE_FILE: Traversable = resources.files("atlas_platform.components").joinpath("atlas_rules.json")
_ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    switch: str
    scope: str
    cedar: str
    parameters: Mapping[str, Mapping[str, Any]]
    pack: tuple[str, ...]

    @property
    def production_only(self) -> bool:
        return self.scope == "production"

    def render(self, values: Mapping[str, Any]) -> str:
        """The Cedar body with each parameter written in Atlas's form; a missing parameter is an error."""
        if set(values) != set(self.parameters):
            raise ValueError(f"rule {self.id} takes parameters {sorted(self.parameters)}, got {sorted(values)}")
        return Template(self.cedar).substitute(
            {name: cedar_value(self.parameters[name]["kind"], value) for name, value in values.items()}
        )


def cedar_value(kind: str, value: Any) -> str:
    if kind == "cloudProviders":
        return ", ".join(f'ResourcePolicy::CloudProvider::"{str(p).lower()}"' for p in _listed(value))
    if kind == "regions":
        return ", ".join(f'ResourcePolicy::Region::"{r}"' for r in _listed(value))
    if kind == "tier":
        return str(tier_value(str(value)))
    if kind == "projectId":
        if not _ID.match(str(value)):
            raise ValueError(f"{value!r} is not an Atlas project id")
        return str(value)
    raise ValueError(f"unknown parameter kind {kind!r}")


def _listed(value: Any) -> Sequence[str]:
    if isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty list, got {value!r}")
    return [str(v) for v in value]


def tier_value(tier: str) -> int:
    match = re.match(r"^M(\d+)$", tier.upper())
    if not match:
        raise ValueError(f"{tier!r} is not a general-class tier (M10, M30, ...)")
    return int(match.group(1))


def region_name(provider: str, aws_region: str) -> str:
    """`aws:us-east-1`: how Atlas's resource policies name a region."""
    return f"{provider.lower()}:{aws_region}"


def load(path: Traversable = TABLE_FILE) -> list[Rule]:
    return [
        Rule(
            id=rule["id"],
            description=rule["description"],
            switch=rule["switch"],
            scope=rule["scope"],
            cedar="\n".join(rule["cedar"]),
            parameters=rule["parameters"],
            pack=tuple(rule["pack"]),
        )
        for rule in json.loads(path.read_text(encoding="utf-8"))["rules"]
    ]


RULES: tuple[Rule, ...] = tuple(load())
RULE_IDS: frozenset[str] = frozenset(rule.id for rule in RULES)
