"""`make diff` over your own stack: the repository's first root stack file, whatever it holds, across
commits in a real git checkout (tools/diff.py plans BASE in a temporary worktree). The behaviour of the
comparison is tests/test_diff.py, on the fixtures.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, YOUR_STACKS, git

# `make diff` compares the repository's own stack across two commits: any one of them will do.
DIFF_STACK = YOUR_STACKS[0]


def diff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.diff", "--stack", DIFF_STACK, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_make_diff_against_head_plans_both_trees_and_exits_zero(checkout):
    result = diff("--base", "HEAD")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Changes to stack '{DIFF_STACK}' from HEAD (")
    # Uncommitted edits to the program would show up here; a clean checkout has none.
    if git("status", "--porcelain", "--untracked-files=no").stdout.strip() == "":
        assert "No changes" in result.stdout


def test_make_diff_with_a_bad_base_says_so_cleanly(checkout):
    result = diff("--base", "no-such-ref-anywhere")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: BASE='no-such-ref-anywhere' is not a commit here; give a branch, tag or commit (e.g. BASE=origin/main)"
    )
