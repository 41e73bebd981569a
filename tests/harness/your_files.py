"""Your files are read by your-stacks tests only: an audit hook that makes any other test fail on opening one.

Your files are the repository's root `Pulumi.<stack>.yaml` stack files and `policies/config/<stack>.json`
policy configs: a team edits them to make the repository its own. The behaviour tests read their own
copies in tests/fixtures/ (stack files, and `policy-config/` for policy configs), so no edit of yours can
break them. Readers allowed: `tests/test_your_stacks*.py` (they assert only what holds for any valid
stack) and `tests/test_make_it_yours.py` (it edits a copy of them as the README says).

`sys.addaudithook` sees every `open` of this process (PEP 578), whichever library makes it; a tool run
as a subprocess is not covered, so the tests that run one pass it fixture files explicitly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TESTS = str(ROOT / "tests")
YOUR_POLICY_CONFIG = str(ROOT / "policies" / "config")
READERS = ("test_your_stacks", "test_make_it_yours")
"""Test modules (by file name prefix) that may read your files."""

_installed = False


class ReadOfYourFiles(RuntimeError):
    """A test outside the your-stacks modules opened a root stack file or a root policy config."""


def is_your_file(path: str) -> bool:
    """A root `Pulumi.<stack>.yaml` (not the project file `Pulumi.yaml`) or a `policies/config/*.json`."""
    where, name = os.path.split(os.path.abspath(path))
    if where == str(ROOT):
        return name.startswith("Pulumi.") and name.endswith(".yaml") and name != "Pulumi.yaml"
    return where == YOUR_POLICY_CONFIG and name.endswith(".json")


def reading_module() -> str:
    """The test module running now (`tests/test_x.py`), else the outermost one on the stack (collection)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    if current:
        return current.split("::", 1)[0]
    module = ""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if os.path.dirname(filename) == TESTS and os.path.basename(filename).startswith("test_"):
            module = f"tests/{os.path.basename(filename)}"
        frame = frame.f_back  # type: ignore[assignment]
    return module


def check_open(path: str) -> None:
    """Raise when the running test may not open `path`."""
    if not is_your_file(path):
        return
    module = reading_module()
    if os.path.basename(module).startswith(READERS):
        return
    raise ReadOfYourFiles(
        f"{module or 'a test'} opened {os.path.relpath(path, ROOT)}, one of your stack files or policy configs. "
        "Behaviour tests read tests/fixtures/Pulumi.<stack>.yaml and tests/fixtures/policy-config/<stack>.json "
        "(conftest's fixture_file and plans; a plan's policy_config_dir); only tests/test_your_stacks*.py and "
        "tests/test_make_it_yours.py read your files."
    )


def _hook(event: str, args: tuple[Any, ...]) -> None:
    # Every audited event of the process comes here: leave the others as fast as possible.
    if event != "open" or not isinstance(args[0], (str, bytes)):
        return
    path = os.fsdecode(args[0])
    if "Pulumi." in path or ".json" in path:
        check_open(path)


def guard_your_files() -> None:
    """Install the hook, once per process (an audit hook cannot be removed)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
