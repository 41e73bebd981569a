"""`make diff`: the comparison of two plans (a pure function over plans of changed stack files),
and the command end to end against this repository's own history."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, YOUR_STACKS, fixture_file, key, stack_config
from tests.harness.mocks import Registration
from tests.harness.runner import Plan, run_stack
from tools.diff import Change, compare, diff_stack, exists_at, render_changes

ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
USER = "mongodbatlas:index/databaseUser:DatabaseUser"
ENTRY = {"ipAddress": "203.0.113.10", "comment": "bastion-host"}


def prod_config() -> dict:
    """Prod's stack file with one access-list entry of the test's own."""
    config = stack_config("prod")
    config[key("network")]["accessList"] = [dict(ENTRY)]
    return config


@pytest.fixture(scope="module")
def base() -> Plan:
    return run_stack("prod", config=prod_config())


def changed(base: Plan, edit) -> list[Change]:
    config = prod_config()
    edit(config)
    return compare(base, run_stack("prod", config=config))


def of_type(changes: list[Change], token: str) -> list[Change]:
    return [c for c in changes if c.type == token]


def test_the_same_stack_file_plans_no_change(base):
    assert compare(base, run_stack("prod", config=prod_config())) == []


def test_a_comment_edit_on_an_access_list_entry_is_delete_then_create(base):
    changes = changed(base, lambda c: c[key("network")]["accessList"][0].update(comment="bastion-host-2"))
    (entry,) = of_type(changes, ACCESS_LIST)
    assert entry.action == "delete then create"
    assert entry.changed == ['comment: "bastion-host" -> "bastion-host-2"']
    assert [c.type for c in changes] == [ACCESS_LIST]


def test_a_tier_change_updates_the_cluster_in_place(base):
    current = stack_config("prod")[key("cluster")]["tier"]
    changes = changed(base, lambda c: c[key("cluster")].update(tier="M40" if current != "M40" else "M50"))
    (cluster,) = of_type(changes, CLUSTER)
    assert cluster.action == "update" and not cluster.blocked
    assert cluster.changed and all(".electableSpecs.instanceSize: " in line for line in cluster.changed)
    assert {c.action for c in changes} == {"update"}


def test_a_new_user_is_created_and_nothing_else_changes(base):
    user = {
        "name": "audit-reader",
        "kind": "analytics",
        "auth": "password",
        "owner": "security",
        "description": "Reads payments for the yearly audit",
        "databases": ["payments"],
    }
    changes = changed(base, lambda c: c[key("databaseUsers")].append(user))
    assert {c.action for c in changes} == {"create"}
    assert [c.name for c in of_type(changes, USER)] == ["payments-prod-user-audit-reader-user"]


def test_a_cluster_name_change_in_prod_is_a_replacement_blocked_by_protect(base):
    changes = changed(base, lambda c: c[key("cluster")].update(name="payments-prod-renamed"))
    (cluster,) = of_type(changes, CLUSTER)
    assert cluster.action == "replace" and cluster.blocked
    assert "name forces a replacement" in cluster.why
    assert "[blocked: protected]" in render_changes(changes, "title")


def test_a_removed_user_in_prod_is_a_delete_blocked_by_protect(base):
    changes = changed(base, lambda c: c[key("databaseUsers")].pop(0))
    users = of_type(changes, USER)
    # Prod's first user is an application: alternating, so two Atlas users go.
    assert len(users) == 2 and all(u.action == "delete" and u.blocked for u in users)


def registration(name: str, inputs: dict, *, aliases: tuple[str, ...] = (), protect: bool = False) -> Registration:
    return Registration(
        urn=f"urn:pulumi:prod::atlas-platform::{CLUSTER}::{name}",
        type=CLUSTER,
        name=name,
        custom=True,
        parent="",
        inputs=inputs,
        secret_inputs=set(),
        dependencies=[],
        property_dependencies={},
        protect=protect,
        retain_on_delete=False,
        delete_before_replace=False,
        ignore_changes=[],
        custom_timeouts={},
        aliases=list(aliases),
    )


def plan_of(*resources: Registration) -> Plan:
    return Plan(project="atlas-platform", stack="prod", resources=list(resources))


def test_a_resource_renamed_with_an_alias_from_its_old_name_is_a_rename_not_delete_and_create():
    old = registration("db", {"name": "payments-prod-cluster1"}, protect=True)
    renamed = registration("cluster1-db", {"name": "payments-prod-cluster1"}, aliases=[old.urn], protect=True)
    (change,) = compare(plan_of(old), plan_of(renamed))
    assert change.action == "rename" and change.old_urn == old.urn and not change.blocked
    without_alias = registration("cluster1-db", {"name": "payments-prod-cluster1"}, protect=True)
    assert sorted(c.action for c in compare(plan_of(old), plan_of(without_alias))) == ["create", "delete"]


def test_a_secret_input_change_is_listed_masked():
    old = registration("db", {"name": "a", "key": "old-secret"})
    new = registration("db", {"name": "a", "key": "new-secret"})
    old.secret_inputs = new.secret_inputs = {"key"}
    (change,) = compare(plan_of(old), plan_of(new))
    assert change.changed == ["key: [secret] -> [secret]"]
    assert "secret" not in render_changes([change], "t").replace("[secret]", "")


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def worktrees() -> set[str]:
    return {line for line in git("worktree", "list", "--porcelain").stdout.splitlines() if line.startswith("worktree ")}


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


@pytest.fixture
def checkout():
    if git("rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        pytest.skip("not a git checkout")
    before = worktrees()
    yield
    # Other checkouts may come and go meanwhile; make diff's own live under atlas-diff-*.
    left = [w for w in worktrees() - before if "atlas-diff-" in w]
    assert not left, f"make diff left a worktree behind: {left}"


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


@pytest.fixture
def new_stack_checkout(checkout, tmp_path):
    """A checkout of HEAD with one stack file more, uncommitted: a stack that does not exist at BASE."""
    tree = tmp_path / "tree"
    added = git("worktree", "add", "--detach", str(tree), "HEAD")
    assert added.returncode == 0, added.stderr
    try:
        shutil.copy(fixture_file("dev"), tree / "Pulumi.sandbox.yaml")
        yield tree
    finally:
        git("worktree", "remove", "--force", str(tree))
        git("worktree", "prune")


def test_make_diff_of_a_stack_new_since_base_lists_everything_as_created(new_stack_checkout):
    commit, changes, _ = diff_stack("sandbox", "HEAD", repo=new_stack_checkout)
    assert not exists_at(commit, "sandbox", new_stack_checkout)
    plan = run_stack("sandbox", stack_file=fixture_file("dev"))
    assert changes and {c.action for c in changes} == {"create"}
    assert sorted(c.urn for c in changes) == sorted(r.urn for r in plan.resources)
    summary = render_changes(changes, "t").splitlines()[-1]
    assert summary == f"Summary: {len(plan.resources)} create"


def renamed_component() -> None:
    import pulumi
    import pulumi_mongodbatlas as atlas

    class Box(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("atlas-platform:index:Box", name, None, opts)
            atlas.CustomDbRole(f"{name}-role", project_id="0" * 24, role_name="r", opts=pulumi.ResourceOptions(parent=self))

    Box("payments-prod-box2", pulumi.ResourceOptions(aliases=[pulumi.Alias(name="payments-prod-box")]))


def test_the_recording_keeps_aliases_and_a_child_inherits_its_parents():
    from tests.test_preview import record

    box, role = sorted(record(renamed_component), key=lambda r: r.custom)
    # URNs as the mock runtime builds them, old name in place of the new.
    assert box.aliases == [box.urn.replace("::payments-prod-box2", "::payments-prod-box")]
    # The child's name starts with its parent's, so its old name had the old prefix (as the engine reads it).
    assert role.parent == box.urn
    assert role.aliases == [role.urn.replace("payments-prod-box2", "payments-prod-box")]


def test_an_input_the_program_marks_replace_on_changes_is_a_replacement():
    """The KMS private endpoint's region: the provider would update it in place (and change nothing);
    the component's replace_on_changes makes the engine replace it, and the diff says so."""
    old = registration("db", {"name": "a", "tier": "M30"})
    new = registration("db", {"name": "a", "tier": "M40"})
    (plain,) = compare(plan_of(old), plan_of(new))
    assert plain.action == "update"
    new.replace_on_changes = ["tier"]
    (forced,) = compare(plan_of(old), plan_of(new))
    assert forced.action == "replace" and forced.why == ["tier forces a replacement"]
