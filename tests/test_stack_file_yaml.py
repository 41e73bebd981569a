"""What YAML reads differently than a stack file shows: a key written twice, a tab, an unquoted `#`.

Each case edits the text of a fixture stack file (the shipped example, in tests/fixtures/) (these mistakes do not survive a round trip
through a dict, so they cannot be built as config variants) and runs it through the offline
harness, which reads the file in the CLI's place (the CLI refuses a key written twice before the
program runs; the program never reads the file), then the program's loader.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from stackconfig import ConfigError, StackConfig, load_stack_config
from tests.conftest import NAMESPACE, ROOT, STACKS, fixture_file, key
from tests.harness.stackfile import engine_config, parse_stack_file


def stack_text(stack: str = "prod") -> str:
    return fixture_file(stack).read_text(encoding="utf-8")


def line_of(text: str, fragment: str) -> int:
    """1-based number of the only line holding `fragment`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def edited(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the fixture stack file no longer has exactly one {old!r}"
    return text.replace(old, new)


def load_text(tmp_path: Path, text: str, stack: str = "prod") -> StackConfig:
    """Load a stack file's text as a real run would: the harness builds the engine's config from
    the file, and the program's loader sees only that config."""
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    stack_file = root / f"Pulumi.{stack}.yaml"
    stack_file.write_text(text, encoding="utf-8")
    values, secret_keys = engine_config(root, stack)
    return load_stack_config(values, namespace=NAMESPACE, stack=stack, secret_keys=secret_keys)


def refusal(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    return caught.value


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_files_have_no_repeated_keys_or_values_lost_to_comments(stack):
    config, emptied = parse_stack_file(fixture_file(stack), NAMESPACE)
    assert config is not None
    assert emptied == []


def test_a_nested_key_written_twice_is_refused_with_both_lines(tmp_path):
    text = stack_text()
    indent = re.search(r"^( +)hour: (\d+)$", text, re.MULTILINE)
    assert indent, "the prod stack file sets cluster.maintenanceWindow.hour"
    first = line_of(text, indent.group(0).strip())
    text = edited(text, indent.group(0) + "\n", f"{indent.group(0)}\n{indent.group(1)}hour: 16\n")
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == [key("cluster.maintenanceWindow.hour")]
    message = str(error)
    assert f"Pulumi.prod.yaml: {key('cluster.maintenanceWindow.hour')}: is written twice" in message
    assert f"line {first} (`{indent.group(0).strip()}`) and line {first + 1} (`hour: 16`)" in message
    assert "delete the one you do not mean" in message


def test_a_top_level_key_written_twice_is_refused_not_planned_with_the_last(tmp_path):
    text = stack_text()
    first = line_of(text, "atlas-platform:app: payments")
    text = edited(text, "  atlas-platform:app: payments\n", "  atlas-platform:app: payments\n  atlas-platform:app: billing\n")
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == [key("app")]
    assert f"on line {first} (`atlas-platform:app: payments`) and line {first + 1} (`atlas-platform:app: billing`)" in str(error)


def test_a_bare_key_and_its_namespaced_form_are_one_key_written_twice(tmp_path):
    text = stack_text()
    first = line_of(text, "atlas-platform:app: payments")
    text = edited(text, "  atlas-platform:app: payments\n", "  app: payments\n  atlas-platform:app: billing\n")
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == [key("app")]
    assert f"line {first} (`app: payments`) and line {first + 1}" in str(error)
    assert f"Pulumi reads both as {key('app')}" in str(error)


def test_every_repeated_key_is_named_in_one_error(tmp_path):
    text = stack_text()
    text = edited(text, "  atlas-platform:app: payments\n", "  atlas-platform:app: payments\n  atlas-platform:app: billing\n")
    text = edited(text, "    tier: M30\n", "    tier: M30\n    tier: M40\n")
    error = refusal(tmp_path, text)
    assert sorted(p.key for p in error.problems) == [key("app"), key("cluster.tier")]
    assert str(error).startswith("Pulumi.prod.yaml has 2 problems; nothing was created:")


def test_a_repeated_key_inside_a_list_item_names_its_index(tmp_path):
    text = stack_text()
    text = edited(
        text, "    - name: dba-email\n      type: EMAIL\n", "    - name: dba-email\n      type: EMAIL\n      type: SLACK\n"
    )
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == [key("notifications[0].type")]


def test_the_harness_refuses_a_repeated_key_before_the_program_runs(tmp_path):
    text = edited(stack_text(), "    tier: M30\n", "    tier: M30\n    tier: M40\n")
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "Pulumi.prod.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"atlas-platform:cluster\.tier: is written twice"):
        engine_config(root, "prod")


def test_a_yaml_merge_key_may_be_overridden(tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("config:\n  atlas-platform:a: &base {x: 1, y: 2}\n  atlas-platform:b:\n    <<: *base\n    x: 3\n")
    config, emptied = parse_stack_file(stack_file, NAMESPACE)
    assert config == {key("a"): {"x": 1, "y": 2}, key("b"): {"x": 3, "y": 2}}
    assert emptied == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("      hour: 4\n", "\thour: 4\n", id="tab-indents-a-line"),
        pytest.param("    tier: M30\n", "    \ttier: M30\n", id="tab-after-spaces"),
    ],
)
def test_a_tab_is_named_with_its_line_and_column(tmp_path, old, new):
    text = stack_text()
    line = line_of(text, old.strip())
    text = edited(text, old, new)
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == ["(file)"]
    column = new.index("\t") + 1
    assert f"Pulumi.prod.yaml: (file): a tab indents line {line} (column {column}); tabs cannot indent YAML: use spaces" in str(
        error
    )
    assert "cannot start any token" not in str(error)


def test_an_unquoted_hash_in_a_value_is_named_as_the_cause(tmp_path):
    text = stack_text()
    quoted = re.search(r'channelName: "(#[^"]+)"', text)
    assert quoted, "the prod stack file has a Slack channel"
    channel = quoted.group(1)
    line = line_of(text, quoted.group(0))
    error = refusal(tmp_path, edited(text, quoted.group(0), f"channelName: {channel}"))
    slack = next(i for i, p in enumerate(load_text(tmp_path, text).notifications) if p.type == "SLACK")
    path = key(f"notifications[{slack}].channelName")
    assert error.problems[0].key == path
    assert (
        f"Pulumi.prod.yaml: {path}: line {line}: `channelName: {channel}` is read as an empty value because ` #` starts a "
        f'YAML comment; quote it: channelName: "{channel}"'
    ) in str(error)


def test_a_top_level_value_lost_to_a_comment_is_named_even_though_the_engine_passes_it_as_empty_text(tmp_path):
    text = edited(stack_text(), "  atlas-platform:app: payments\n", "  atlas-platform:app: #payments\n")
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == [key("app")]
    assert 'quote it: atlas-platform:app: "#payments"' in str(error)


def test_a_hash_inside_quotes_and_comments_after_values_still_load(tmp_path):
    text = stack_text()
    text = edited(text, "    tier: M30\n", "    tier: M30 # sized for peak # load\n")
    text = edited(text, "      hour: 4\n", "      hour: 4   # UTC\n")
    text = edited(text, "  atlas-platform:app: payments\n", "  atlas-platform:app: 'payments' # the app # name\n")
    cfg = load_text(tmp_path, text)
    assert cfg.app == "payments"
    assert any(n.channel_name and n.channel_name.startswith("#") for n in cfg.notifications)
    assert cfg.cluster is not None and cfg.cluster.tier == "M30"


# ---- a leading zero, a misspelt `config:` ----


def test_a_leading_zero_number_read_as_octal_is_refused_with_its_line_and_the_decimal_form(tmp_path):
    text = stack_text()
    written = re.search(r"^( +)startHour: (\d+)$", text, re.MULTILINE)
    assert written, "the prod stack file sets protectedHours.startHour"
    line = line_of(text, written.group(0).strip())
    error = refusal(tmp_path, edited(text, written.group(0), f"{written.group(1)}startHour: 010"))
    assert [p.key for p in error.problems] == [key("cluster.maintenanceWindow.protectedHours.startHour")]
    assert (
        f"line {line}: `startHour: 010` is read as 8, because YAML reads a number with a leading 0 as octal; "
        'write startHour: 10 (or, for text, quote it: startHour: "010")'
    ) in str(error)


@pytest.mark.parametrize("value", ["7", "07", "007"])
def test_numbers_a_leading_zero_does_not_change_load_as_written(tmp_path, value):
    text = stack_text()
    written = re.search(r"^( +)startHour: (\d+)$", text, re.MULTILINE)
    assert written
    cfg = load_text(tmp_path, edited(text, written.group(0), f"{written.group(1)}startHour: {value}"))
    assert cfg.cluster is not None and cfg.cluster.maintenance_window.protected_hours is not None
    assert cfg.cluster.maintenance_window.protected_hours.start_hour == 7


def test_a_misspelt_config_key_is_named_as_the_typo(tmp_path):
    text = edited(stack_text(), "\nconfig:\n", "\nconfigs:\n")
    error = refusal(tmp_path, text)
    assert [p.key for p in error.problems] == ["configs"]
    assert "`configs:` is not a stack-file key; did you mean `config:`?" in str(error)


def test_the_program_names_an_empty_config_instead_of_every_missing_key():
    """Under the real CLI a misspelt `config:` reaches the program as no config at all."""
    with pytest.raises(ConfigError) as caught:
        load_stack_config({"aws:region": "us-east-1"}, namespace=NAMESPACE, stack="prod")
    assert [p.key for p in caught.value.problems] == ["config"]
    assert f"no {NAMESPACE}:* key is set" in str(caught.value) and "not `configs:`" in str(caught.value)
