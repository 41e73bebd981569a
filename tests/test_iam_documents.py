"""Every IAM and KMS policy document in each stack's plan, through parliament and a wildcard check.

The documents are taken from what the engine would receive (trust policies, role policies, key
policies, bucket and other resource policies: any AWS input that is a policy document), so a new
component's document is covered without touching this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import parliament
import pytest

from tests.conftest import STACKS

SEVERITY_ORDER = ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
# The community auditors (privilege escalation, credentials exposure, permissions management...)
# run too, with the severities their own config gives them, as `parliament --include-community-auditors`.
parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")


@dataclass(frozen=True)
class Document:
    stack: str
    resource: str
    input: str
    body: dict[str, Any]

    @property
    def is_trust_policy(self) -> bool:
        return self.input == "assumeRolePolicy"

    @property
    def is_key_policy(self) -> bool:
        return self.resource.startswith("aws:kms/") and self.input == "policy"

    def __str__(self) -> str:
        return f"{self.stack}: {self.resource} .{self.input}"


def _documents_in(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(value, str) and '"Statement"' in value:
        try:
            body = json.loads(value)
        except ValueError:
            return []
        return [(path, body)] if isinstance(body, dict) and "Statement" in body else []
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _documents_in(v, k if not path else f"{path}.{k}")]
    if isinstance(value, list):
        return [found for v in value for found in _documents_in(v, path)]
    return []


def _justified(document: Document, finding: Any) -> str | None:
    """Why a parliament finding does not apply to this kind of document, or None."""
    # parliament 1.6 reads every document as an identity policy; a role's trust policy has no
    # Resource element by design (IAM User Guide, "Role trust policy").
    if document.is_trust_policy and finding.issue == "MALFORMED" and "neither Resource nor NotResource" in finding.detail:
        return "trust policies name no Resource"
    return None


def _plan_documents(plans: Any, stack: str) -> list[Document]:
    plan = plans(stack)
    return [
        Document(stack, f"{r.type} {r.name}", path, body)
        for r in plan.resources
        if r.type.startswith("aws:")
        for path, body in _documents_in(r.inputs, "")
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_parliament_finds_nothing_above_low(plans, stack):
    problems = [p for document in _plan_documents(plans, stack) for p in parliament_findings(document)]
    assert not problems, "\n".join(problems)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_account_root_of_key_policy(document: Document, statement: dict[str, Any]) -> bool:
    """The statement a key policy needs so the account's IAM policies can grant use of the key
    (AWS KMS Developer Guide, "Default key policy": `kms:*` on `*` for the account root)."""
    principals = _as_list((statement.get("Principal") or {}).get("AWS", []))
    return (
        document.is_key_policy
        and _as_list(statement.get("Action")) == ["kms:*"]
        and len(principals) == 1
        and str(principals[0]).startswith("arn:aws:iam::")
        and str(principals[0]).endswith(":root")
        and "Condition" not in statement
    )


def wildcard_grants(document: Document) -> list[str]:
    problems = []
    for statement in _as_list(document.body["Statement"]):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{document}: Allow with NotAction/NotResource grants more than it names")
            continue
        every_action = any(a == "*" or str(a).endswith(":*") for a in _as_list(statement.get("Action", [])))
        every_resource = "*" in _as_list(statement.get("Resource", []))
        if every_action and every_resource and not _is_account_root_of_key_policy(document, statement):
            problems.append(f"{document}: {statement.get('Sid', 'a statement')} allows {statement['Action']} on *")
    return problems


KEY_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey", "kms:Sign", "kms:*")


def _key_administration(document: Document, statement: dict[str, Any]) -> str | None:
    """Why managing the key's policy and grants is this key-policy statement's job, or None."""
    if not document.is_key_policy:
        return None
    if _is_account_root_of_key_policy(document, statement):
        return "the account-root statement of AWS's default key policy"
    actions = [str(a) for a in _as_list(statement.get("Action", []))]
    if not any(a.startswith(KEY_USE_ACTIONS) for a in actions):
        # AWS's default key-administrator statement: administrators manage, never use, the key
        # (KMS Developer Guide, "Allows key administrators to administer the KMS key").
        return "key administrators, who cannot use the key"
    return None


def parliament_findings(document: Document) -> list[str]:
    """parliament's findings above LOW, except the ones justified for this kind of document.

    A key policy is analysed statement by statement, so a permissions-management finding is
    tied to the statement that grants it: the administrators' may, the key users' may not.
    """
    statements = _as_list(document.body["Statement"])
    parts = [[s] for s in statements] if document.is_key_policy else [statements]
    problems = []
    for part in parts:
        policy = parliament.analyze_policy_string(
            json.dumps({**document.body, "Statement": part}), include_community_auditors=True
        )
        for finding in map(parliament.enhance_finding, policy.findings):
            if SEVERITY_ORDER.index(finding.severity) <= SEVERITY_ORDER.index("LOW") or _justified(document, finding):
                continue
            if finding.issue == "PERMISSIONS_MANAGEMENT_ACTIONS" and len(part) == 1 and _key_administration(document, part[0]):
                continue
            problems.append(f"{document}: {finding.severity} {finding.issue}: {finding.detail or finding.location}")
    return problems


@pytest.mark.parametrize("stack", STACKS)
def test_no_statement_allows_every_action_on_every_resource(plans, stack):
    problems = [p for document in _plan_documents(plans, stack) for p in wildcard_grants(document)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", STACKS)
def test_trust_policies_admit_one_principal_under_a_condition(plans, stack):
    """A role assumable by another account (Atlas's, for the KMS key) needs the external id."""
    for document in _plan_documents(plans, stack):
        if not document.is_trust_policy:
            continue
        for statement in _as_list(document.body["Statement"]):
            principals = _as_list((statement.get("Principal") or {}).get("AWS", []))
            assert "*" not in principals, document
            assert "sts:ExternalId" in json.dumps(statement.get("Condition", {})), document


def test_the_checks_see_the_documents_and_can_fail(plans):
    """The prod plan carries a trust, a role and a key policy; bad documents are caught."""
    kinds = {(d.is_trust_policy, d.is_key_policy) for d in _plan_documents(plans, "prod")}
    assert kinds == {(True, False), (False, True), (False, False)}
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    role_policy = Document("prod", "aws:iam/rolePolicy:RolePolicy x", "policy", everything)
    assert wildcard_grants(role_policy)
    root = {**everything["Statement"][0], "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
    assert not wildcard_grants(Document("prod", "aws:kms/key:Key k", "policy", {"Statement": [root]}))
    typo = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:s3:::b"}]}
    assert parliament_findings(Document("prod", "aws:iam/rolePolicy:RolePolicy x", "policy", typo))
    trust_without_resource = Document(
        "prod",
        "aws:iam/role:Role r",
        "policy",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
            ],
        },
    )
    assert parliament_findings(trust_without_resource)  # suppressed only for trust policies
    user_who_rewrites_policy = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
        "Action": ["kms:Decrypt", "kms:PutKeyPolicy"],
        "Resource": "*",
    }
    key = Document("prod", "aws:kms/key:Key k", "policy", {"Version": "2012-10-17", "Statement": [user_who_rewrites_policy]})
    assert any("PERMISSIONS_MANAGEMENT_ACTIONS" in p for p in parliament_findings(key))
