"""One home per fact: the program's facts (`atlas_platform/components/facts.py`) and the policy pack's own copies agree.

The pack (`policies/rules/`) is published alone and imports nothing from the program, so it keeps
its own copy of each fact it shares. Each test below holds one shared fact to the program's, by
value and, where the fact is a rule, by behaviour on both sides. A difference is allowed only if it
is named in `INTENDED_DIFFERENCES` with its reason: any other difference fails.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from atlas_platform.components import facts
from policies.rules import alerts as pack_alerts
from policies.rules import clusters as pack_clusters
from policies.rules import network as pack_network
from policies.rules import stack as pack_stack
from policies.rules import types as t
from policies.rules import users as pack_users
from policies.rules.base import Context, StackResource
from program_args import standard_tags
from stackconfig import ConfigError
from stackconfig.network import parse_cidr
from stackconfig.users import NOT_ASSIGNABLE
from tests.conftest import key, load_stack, stack_config

# Where the pack knowingly differs from the program, and why. Keys name the fact; values give the
# pack's extra (or missing) values and the reason. A new difference must be added here to pass.
INTENDED_DIFFERENCES: dict[str, tuple[frozenset[str], str]] = {
    "broad roles": (
        frozenset({"userAdminAnyDatabase", "dbOwner", "clusterAdmin", "root"}),
        "the pack judges database users from any program; this program refuses these roles outright "
        "(stackconfig.users.NOT_ASSIGNABLE), so they never reach its broad-role check",
    ),
    "encryption-at-rest providers": (
        frozenset({"AZURE", "GCP"}),
        "the pack accepts any cloud KMS for a cluster another program builds; this program builds on AWS only",
    ),
    "opt-out reason length": (
        frozenset({"optOutReason: no minLength"}),
        "the pack's optOutReason is written in the policy config, reviewed where the policy group is set; "
        "its schema asks only for a non-empty reason, and a minLength would refuse configs already in use",
    ),
    "type tokens the program never plans": (
        frozenset({t.LEGACY_CLUSTER, t.SECURITY_GROUP_RULE, t.PROJECT_SERVICE_ACCOUNT, t.PROJECT_SERVICE_ACCOUNT_ACCESS_ENTRY}),
        "the pack also guards resources another program might declare (the legacy Cluster, the older "
        "aws.ec2.SecurityGroupRule, project-scoped service accounts); this program declares AdvancedCluster, "
        "vpc.SecurityGroupIngressRule and organization service accounts assigned to one project",
    ),
}


SHIPPED_STACKS = ["prod", "staging", "dev"]


def difference(name: str) -> frozenset[str]:
    return INTENDED_DIFFERENCES[name][0]


# ---- regions: the program's own two region facts agree (the pack matches no region) ----


@pytest.mark.parametrize("atlas_region", facts.ATLAS_AWS_REGIONS)
def test_every_atlas_region_converts_both_ways_and_passes_both_shape_checks(atlas_region):
    aws_region = facts.aws_region_name(atlas_region)
    assert aws_region in facts.AWS_REGIONS
    assert facts.atlas_region_name(aws_region) == atlas_region
    # The network section checks the shape only; a region the cluster section accepts must pass it.
    assert re.fullmatch(facts.AWS_REGION_SHAPE, aws_region), aws_region
    assert re.fullmatch(facts.ATLAS_REGION_SHAPE, atlas_region), atlas_region
    assert not re.fullmatch(facts.ATLAS_REGION_SHAPE, aws_region)


CONVERSION = re.compile(r"""\.(upper\(\)\.replace\((["'])-\2, *(["'])_\3\)|lower\(\)\.replace\((["'])_\4, *(["'])-\5\))""")


def test_no_copy_of_the_region_conversion_is_left_in_the_program():
    root = Path(facts.__file__).parents[2]
    program = [
        p
        for folder in ("atlas_platform/components", "stackconfig", "tools", "tests", "tests/harness", ".")
        for p in sorted((root / folder).glob("*.py"))
    ]
    assert CONVERSION.search('x.upper().replace("-", "_")') and CONVERSION.search("x.lower().replace('_', '-')")
    copies = [
        str(p.relative_to(root))
        for p in program
        if p.name not in {"facts.py", "test_facts_agree.py"} and CONVERSION.search(p.read_text())
    ]
    assert copies == []


# ---- limits ----


def _users(count: int) -> list[StackResource]:
    return [StackResource(t.DATABASE_USER, f"u{n}", f"urn:u{n}", {"projectId": "p1", "username": f"u{n}"}) for n in range(count)]


def test_the_pack_pairs_alternating_users_by_the_programs_slot_b_suffix():
    assert facts.SLOT_USERNAME_SUFFIX["b"] == pack_users.ALTERNATE_SUFFIX
    assert facts.SLOT_USERNAME_SUFFIX["a"] == ""  # slot a keeps the username the pack pairs from


def test_user_limit_is_the_same_number_and_the_same_boundary():
    assert pack_stack.MAX_USERS_PER_PROJECT == facts.MAX_USERS_PER_PROJECT
    limit = facts.MAX_USERS_PER_PROJECT
    assert pack_stack.check_users_per_project(_users(limit), Context()) == []
    assert pack_stack.check_users_per_project(_users(limit + 1), Context())


def _access_list(count: int) -> list[dict[str, str]]:
    return [{"ipAddress": str(ipaddress.ip_address("198.51.0.1") + n), "comment": f"host-{n:03d}"} for n in range(count)]


def test_access_list_stops_at_atlas_limit():
    config = stack_config("prod")
    config[key("network")]["accessList"] = _access_list(facts.MAX_ACCESS_LIST_ENTRIES)
    assert len(load_stack("prod", config).network.access_list) == facts.MAX_ACCESS_LIST_ENTRIES
    config[key("network")]["accessList"] = _access_list(facts.MAX_ACCESS_LIST_ENTRIES + 1)
    with pytest.raises(ConfigError) as raised:
        load_stack("prod", config)
    [problem] = raised.value.problems
    assert problem.key == f"{key('network')}.accessList"
    assert f"Atlas allows at most {facts.MAX_ACCESS_LIST_ENTRIES} IP access-list entries" in problem.message


def _pack_accepts(cidr: str) -> bool:
    return pack_network.check_access_list({"cidrBlock": cidr}, Context()) == []


def _program_accepts(cidr: str) -> bool:
    try:
        parse_cidr(cidr)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("version", "base"),
    [(4, "10.0.0.0"), (6, "2001::"), (4, "::ffff:10.0.0.0")],
    ids=["ipv4", "ipv6", "ipv4-mapped-ipv6"],
)
def test_widest_cidr_is_the_same_on_both_sides(version, base):
    assert {4: pack_network.MIN_IPV4_PREFIX, 6: pack_network.MIN_IPV6_PREFIX} == facts.WIDEST_PREFIX
    widest = facts.WIDEST_PREFIX[version]
    offset = 96 if ipaddress.ip_address(base).version == 6 and version == 4 else 0
    at_limit = str(ipaddress.ip_network(f"{base}/{widest + offset}", strict=False))
    too_wide = str(ipaddress.ip_network(f"{base}/{widest + offset - 1}", strict=False))
    assert _pack_accepts(at_limit) and _program_accepts(at_limit), at_limit
    assert not _pack_accepts(too_wide) and not _program_accepts(too_wide), too_wide


# ---- cluster settings ----


def test_tls_versions_agree():
    assert set(pack_clusters.TLS_OK) == set(facts.TLS_PROTOCOLS)
    assert facts.DEFAULT_MINIMUM_TLS in pack_clusters.TLS_OK


def test_kms_providers_differ_only_as_recorded():
    # The program sets encryptionAtRestProvider to "AWS" (atlas_platform/components/cluster.py) and nothing else.
    assert set(pack_clusters.KMS_PROVIDERS) - {"AWS"} == difference("encryption-at-rest providers")


# ---- users ----


def test_broad_roles_differ_only_as_recorded():
    pack = set(pack_users.BROAD_ROLES)
    assert pack >= facts.BROAD_ROLES
    assert pack - facts.BROAD_ROLES == difference("broad roles")
    assert difference("broad roles") <= set(NOT_ASSIGNABLE)


def test_reason_lengths_agree_or_differ_as_recorded():
    reason = pack_users.EXCEPTIONS_SCHEMA["items"]["properties"]["reason"]
    assert reason["minLength"] == facts.REASON_MIN_LENGTH  # the pack's exception is the program's broadRoleReason
    assert "minLength" not in pack_stack.OPT_OUT_SCHEMA
    assert "minLength" not in pack_alerts.OPT_OUT_SCHEMA  # atlas-prod-alerts's opt-out, the same kind of reason
    assert difference("opt-out reason length") == {"optOutReason: no minLength"}
    assert facts.OPT_OUT_REASON_MIN_LENGTH >= facts.REASON_MIN_LENGTH


# ---- tags and labels the program sets ----


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_reserved_tags_and_labels_are_the_ones_the_program_sets(plans, stack):
    assert set(standard_tags(load_stack(stack))) == set(facts.RESERVED_TAGS)
    plan = plans(stack)
    projects = plan.of_type(t.PROJECT)
    assert projects
    for project in projects:
        assert set(facts.RESERVED_TAGS) <= set(project.inputs["tags"]), project.name
    users = plan.of_type(t.DATABASE_USER)
    assert users
    for user in users:
        assert set(facts.RESERVED_LABELS) <= {label["key"] for label in user.inputs["labels"]}, user.name


# ---- type tokens ----


def test_every_type_the_pack_matches_is_planned_or_recorded(plans):
    pack_tokens = {v for k, v in vars(t).items() if k.isupper() and isinstance(v, str)}
    planned = {r.type for stack in SHIPPED_STACKS for r in plans(stack).resources}
    assert pack_tokens - planned == difference("type tokens the program never plans")


# ---- the KMS key ARN: one pattern for the cluster's key and the secrets' key ----

MULTI_REGION_KEY = "arn:aws:kms:us-east-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab"


def test_a_multi_region_key_serves_the_secrets_as_it_serves_the_cluster():
    config = stack_config("prod")
    config[key("cluster")]["encryption"] = {"keyArn": MULTI_REGION_KEY}
    config[key("secretsKmsKeyArn")] = MULTI_REGION_KEY
    cfg = load_stack("prod", config)
    assert cfg.cluster is not None and cfg.cluster.encryption.key_arn == MULTI_REGION_KEY
    assert cfg.secrets_kms_key_arn == MULTI_REGION_KEY


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:kms:us-east-1:111111111111:alias/payments",
        "arn:aws:kms:us-east-1:111111111111:key/mrk-123",
        "arn:aws:kms:us-east-1:111111111111:key/0d6f1e6c7b1a4c6e9f551f1f7f1f1f1f1f1f",
    ],
    ids=["alias", "short-mrk", "uuid-without-hyphens"],
)
def test_the_secrets_key_refuses_what_the_cluster_key_refuses(arn):
    config = stack_config("prod")
    config[key("secretsKmsKeyArn")] = arn
    with pytest.raises(ConfigError) as raised:
        load_stack("prod", config)
    assert any("is not an AWS KMS key ARN" in p.message for p in raised.value.problems)
    assert facts.KMS_KEY_ARN.fullmatch(arn) is None
