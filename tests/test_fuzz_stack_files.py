"""Property-based fuzzing of stack files: mutate the fixture ones (the shipped example, in tests/fixtures/) the way people break them.

Every input must either plan cleanly or end in the program's one clean `ConfigError` naming key
paths; never another exception. CI runs a fixed (derandomized) set of examples; a long run:
`FUZZ_EXAMPLES=50000 make test` (or run this file alone with pytest).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackconfig import ConfigError, StackConfig, load_stack_config
from tests.conftest import NAMESPACE, ROOT, STACKS, fixture_file, load_stack, stack_config
from tests.harness.runner import run_stack
from tests.harness.stackfile import engine_config

LOADER_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))
PROGRAM_EXAMPLES = max(LOADER_EXAMPLES // 10, 100)
KEY_PATH = re.compile(r"^(\(file\)|config|[^:\s]+:.+)$")

Path_ = tuple[Any, ...]

WEIRD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x80), min_size=1, max_size=20),
    st.just("x" * 5000),
    st.just("0.0.0.0/0"),
    st.just("GROUP_OWNER"),
    st.just({"secure": "v1:AAAA"}),
    st.lists(st.integers(), max_size=300),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=4),
)


def paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every position in a stack-file value (dict keys and list indexes), deepest last."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def parent_of(config: dict[str, Any], path: Path_) -> Any:
    node: Any = config
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated_stack_files(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    stack = draw(st.sampled_from(STACKS))
    config = stack_config(stack)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        candidates = [p for p in paths(config) if p]
        path = draw(st.sampled_from(candidates))
        parent = parent_of(config, path)
        leaf = path[-1]
        action = draw(st.sampled_from(["drop", "replace", "typo", "duplicate", "wrap", "huge", "number-key"]))
        if action == "drop":
            del parent[leaf]
        elif action == "replace":
            parent[leaf] = draw(WEIRD_VALUES)
        elif action == "typo" and isinstance(parent, dict):
            position = draw(st.integers(min_value=0, max_value=len(str(leaf))))
            text = str(leaf)
            parent[text[:position] + draw(st.sampled_from("xX_-.")) + text[position:]] = parent.pop(leaf)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[leaf]))
        elif action == "wrap":
            parent[leaf] = [parent[leaf]]
        elif action == "number-key" and isinstance(parent, dict):
            # YAML reads `2024:` as a number: found by review as a traceback, kept as a regression case.
            parent[draw(st.integers(min_value=0, max_value=9999))] = parent.pop(leaf)
        elif action == "huge" and isinstance(parent[leaf], list) and parent[leaf]:
            parent[leaf] = parent[leaf] * draw(st.integers(min_value=2, max_value=150))
    return stack, config


def assert_clean(error: ConfigError) -> None:
    assert error.problems, "a ConfigError must name at least one problem"
    text = str(error)
    assert "Traceback" not in text
    for problem in error.problems:
        assert KEY_PATH.match(problem.key), f"not a key path: {problem.key!r}"
        assert problem.message.strip()


@settings(max_examples=LOADER_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_stack_files())
def test_mutated_stack_file_loads_or_fails_cleanly(case):
    stack, config = case
    try:
        loaded = load_stack(stack, config)
    except ConfigError as error:
        assert_clean(error)
    else:
        assert isinstance(loaded, StackConfig)


@settings(max_examples=PROGRAM_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_stack_files())
def test_mutated_stack_file_plans_or_fails_cleanly_under_mocks(case):
    stack, config = case
    try:
        plan = run_stack(stack, config=config)
    except ConfigError as error:
        assert_clean(error)
    else:
        assert plan.resources, "a stack that loads must plan its resources"


@st.composite
def stack_files_with_a_line_written_twice(draw: st.DrawFn) -> tuple[str, str, str]:
    """A fixture stack file's text with one line copied below itself: what a merge or a paste does."""
    stack = draw(st.sampled_from(STACKS))
    lines = fixture_file(stack).read_text(encoding="utf-8").splitlines(keepends=True)
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    return stack, "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]]), lines[index]


# A line that holds a key of a block mapping (not a list item, comment or flow value).
MAPPING_KEY_LINE = re.compile(r"^\s*[^\s#\-\[{][^#]*?:(\s|$)")


@settings(max_examples=PROGRAM_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(stack_files_with_a_line_written_twice())
def test_a_line_written_twice_loads_or_is_refused_naming_the_repeat(case):
    stack, text, repeated = case
    with tempfile.TemporaryDirectory(prefix="atlas-stack-") as scratch:
        root = Path(scratch)
        shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
        stack_file = root / f"Pulumi.{stack}.yaml"
        stack_file.write_text(text, encoding="utf-8")
        try:
            values, secret_keys = engine_config(root, stack)
            load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)
        except ConfigError as error:
            assert_clean(error)
            assert "is written twice" in str(error) or not MAPPING_KEY_LINE.match(repeated), str(error)
        else:
            assert not MAPPING_KEY_LINE.match(repeated), f"a key written twice was not refused: {repeated!r}"
