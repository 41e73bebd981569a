"""The access review report: from the prod plan, and from synthetic resources of the kinds other
branches add (access lists, PrivateLink, database users), so each section is proven before merge."""

from __future__ import annotations

from typing import Any

import pytest

from atlas_platform.components.atlas_rules import RULE_IDS
from tests.conftest import STACKS, fixture_file, load_stack
from tests.harness.mocks import Registration
from tests.harness.runner import Plan
from tools import access_report
from tools.access_report import Finding, render_report

STACK_URN = "urn:pulumi:prod::atlas-platform::pulumi:pulumi:Stack::atlas-platform-prod"
PROJECT_ID = "0f065b249ccabd09a3f2f1a2"


def resource(
    token: str,
    name: str,
    inputs: dict[str, Any],
    *,
    id: str = "",
    deps: dict[str, list[Registration]] | None = None,
) -> Registration:
    """A registration as the engine would receive it; `deps` are property dependencies."""
    return Registration(
        urn=f"urn:pulumi:prod::atlas-platform::{token}::{name}",
        type=token,
        name=name,
        custom=True,
        parent=STACK_URN,
        inputs=inputs,
        secret_inputs=set(),
        dependencies=[r.urn for rs in (deps or {}).values() for r in rs],
        property_dependencies={prop: [r.urn for r in rs] for prop, rs in (deps or {}).items()},
        protect=False,
        retain_on_delete=False,
        delete_before_replace=False,
        ignore_changes=[],
        custom_timeouts={},
        id=id or f"id-{name}",
    )


@pytest.fixture(scope="module")
def synthetic_plan() -> Plan:
    project = resource(
        access_report.PROJECT,
        "payments-prod-project",
        {"name": "payments-prod", "orgId": "5f0000000000000000000a01"},
        id=PROJECT_ID,
    )
    endpoint_service = resource(
        access_report.PRIVATE_LINK, "payments-prod-pl-us-east-1", {"providerName": "AWS", "region": "us-east-1"}
    )
    idle_service = resource(
        access_report.PRIVATE_LINK, "payments-prod-pl-us-west-2", {"providerName": "AWS", "region": "us-west-2"}
    )
    group = resource(
        access_report.SECURITY_GROUP,
        "payments-prod-vpce-sg",
        {
            "vpcId": "vpc-0aaa1111bbbb2222c",
            "ingress": [
                {
                    "protocol": "tcp",
                    "fromPort": 1024,
                    "toPort": 65535,
                    "cidrBlocks": ["10.20.0.0/16"],
                    "securityGroups": ["sg-0app000000000001"],
                }
            ],
        },
        id="sg-0vpce00000000001",
    )
    rule = resource(
        access_report.INGRESS_RULE,
        "payments-prod-vpce-batch",
        {
            "securityGroupId": "sg-0vpce00000000001",
            "ipProtocol": "tcp",
            "fromPort": 27017,
            "toPort": 27017,
            "referencedSecurityGroupId": "sg-0batch0000000001",
        },
        deps={"securityGroupId": [group]},
    )
    vpce = resource(
        access_report.VPC_ENDPOINT,
        "payments-prod-vpce-us-east-1",
        {
            "vpcEndpointType": "Interface",
            "serviceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123",
            "vpcId": "vpc-0aaa1111bbbb2222c",
            "subnetIds": ["subnet-0a", "subnet-0b"],
            "securityGroupIds": ["sg-0vpce00000000001"],
        },
        deps={"serviceName": [endpoint_service], "securityGroupIds": [group]},
    )
    resources = [
        project,
        resource(
            access_report.ACCESS_LIST,
            "payments-prod-al-office",
            {"projectId": PROJECT_ID, "cidrBlock": "198.51.100.0/24", "comment": "office egress | VPN"},
        ),
        resource(
            access_report.ACCESS_LIST,
            "payments-prod-al-bastion",
            {"projectId": PROJECT_ID, "ipAddress": "203.0.113.10", "comment": "ops bastion"},
        ),
        resource(
            access_report.ACCESS_LIST,
            "payments-prod-al-app-sg",
            {"projectId": PROJECT_ID, "awsSecurityGroup": "sg-0peer000000000001", "comment": "peered app"},
        ),
        endpoint_service,
        idle_service,
        group,
        rule,
        vpce,
        resource(
            access_report.TEAM_ASSIGNMENT,
            "payments-prod-team-sre",
            {"projectId": PROJECT_ID, "teamId": "5f0000000000000000000b01", "roleNames": ["GROUP_CLUSTER_MANAGER"]},
        ),
        resource(
            access_report.IDP_MAPPING,
            "payments-prod-idp-oncall",
            {
                "externalGroupName": "payments-prod-oncall",
                "roleAssignments": [
                    {"orgId": "5f0000000000000000000a01", "roles": ["ORG_MEMBER"]},
                    {"groupId": PROJECT_ID, "roles": ["GROUP_CLUSTER_MANAGER"]},
                ],
            },
        ),
        resource(
            access_report.DATABASE_USER,
            "payments-prod-user-app",
            {
                "username": "payments-app",
                "authDatabaseName": "admin",
                "roles": [{"roleName": "readWrite", "databaseName": "payments"}],
                "scopes": [{"name": "payments-prod", "type": "CLUSTER"}],
                "labels": [{"key": "owner", "value": "payments-team"}],
                "description": "the payments service",
            },
        ),
        resource(
            access_report.DATABASE_USER,
            "payments-prod-user-reports",
            {
                "username": "arn:aws:iam::111122223333:role/payments-reports",
                "authDatabaseName": "$external",
                "awsIamType": "ROLE",
                "roles": [{"roleName": "read", "databaseName": "payments", "collectionName": "orders"}],
            },
        ),
        resource(
            access_report.DATABASE_USER,
            "payments-prod-user-etl",
            {
                "username": "CN=etl",
                "authDatabaseName": "$external",
                "x509Type": "MANAGED",
                "roles": [{"roleName": "read", "databaseName": "payments"}],
            },
        ),
    ]
    return Plan(project="atlas-platform", stack="prod", resources=resources)


def section(report: str, title: str) -> str:
    """The text of one `##`/`###` section, up to the next heading."""
    start = report.index(title)
    rest = report[start + len(title) :]
    ends = [i for i in (rest.find("\n## "), rest.find("\n### ")) if i >= 0]
    return rest[: min(ends)] if ends else rest


# --- sections, from synthetic resources -------------------------------------------------------


def test_every_access_list_entry_is_listed_with_its_comment(synthetic_plan):
    text = section(render_report(synthetic_plan), "### IP access list")
    assert "| 198.51.100.0/24 | CIDR block | office egress \\| VPN | payments-prod-al-office |" in text
    assert "| 203.0.113.10 | IP address | ops bastion | payments-prod-al-bastion |" in text
    assert "| sg-0peer000000000001 | AWS security group | peered app | payments-prod-al-app-sg |" in text


def test_private_endpoint_lists_its_vpc_subnets_and_allowed_sources(synthetic_plan):
    text = section(render_report(synthetic_plan), "### Private endpoints")
    row = next(line for line in text.splitlines() if line.startswith("| payments-prod-vpce-us-east-1 "))
    assert (
        "| payments-prod-pl-us-east-1 | us-east-1 | vpc-0aaa1111bbbb2222c | subnet-0a, subnet-0b | payments-prod-vpce-sg |" in row
    )
    assert "10.20.0.0/16 (tcp 1024-65535)" in row
    assert "security group sg-0app000000000001 (tcp 1024-65535)" in row
    assert "security group sg-0batch0000000001 (tcp 27017)" in row


def test_endpoint_service_without_an_aws_endpoint_is_still_listed(synthetic_plan):
    text = section(render_report(synthetic_plan), "### Private endpoints")
    assert "| (none in this stack) | payments-prod-pl-us-west-2 | us-west-2 |" in text


def test_teams_and_idp_groups_show_their_project_roles(synthetic_plan):
    report = render_report(synthetic_plan)
    assert "| sre | 5f0000000000000000000b01 | GROUP_CLUSTER_MANAGER |" in section(report, "### Atlas teams")
    assert "| payments-prod-oncall | GROUP_CLUSTER_MANAGER | ORG_MEMBER |" in section(report, "### Identity-provider groups")


def test_database_users_show_kind_authentication_roles_and_scopes(synthetic_plan):
    text = section(render_report(synthetic_plan), "## Database users")
    assert (
        "| payments-app | (no kind label) | password (SCRAM): SCRAM on admin | readWrite@payments | payments-prod (cluster) "
        "| owner=payments-team | the payments service |"
    ) in text
    assert (
        "| arn:aws:iam::111122223333:role/payments-reports | (no kind label) | AWS IAM role: IAM credentials ($external) "
        "| read@payments.orders | all clusters in the project |"
    ) in text
    assert "| CN=etl | (no kind label) | X.509 certificate: Atlas-managed certificate ($external) | read@payments |" in text


def test_prod_users_show_their_function_from_the_kind_label(plans):
    text = section(render_report(plans("prod")), "## Database users")
    assert "| payments-prod-api | app | password (SCRAM): SCRAM on admin |" in text
    assert "| payments-prod-reporting | analytics | password (SCRAM): SCRAM on admin |" in text
    assert "| payments-prod-dba | dba | X.509 certificate: Atlas-managed certificate ($external) |" in text


def test_advisory_findings_are_flagged(synthetic_plan):
    findings = [
        Finding("database-user-scoped-to-clusters", "payments-prod-user-reports", "user can reach every cluster in the project")
    ]
    text = section(render_report(synthetic_plan, findings), "## Advisory findings")
    assert (
        "| database-user-scoped-to-clusters | payments-prod-user-reports | user can reach every cluster in the project |" in text
    )


def test_report_says_whether_the_policy_pack_was_consulted(synthetic_plan):
    assert "Not checked: the policy pack was not run" in section(render_report(synthetic_plan), "## Advisory findings")
    assert "None: the policy pack reported no advisory findings." in section(
        render_report(synthetic_plan, []), "## Advisory findings"
    )


def test_empty_sections_say_so():
    report = render_report(Plan(project="atlas-platform", stack="dev", resources=[]))
    for sentence in ("No IP access-list entries.", "No private endpoints.", "No teams are assigned", "No database users."):
        assert sentence in report


# --- the prod stack --------------------------------------------------------------------------


def test_prod_report_lists_every_source_team_group_and_user_in_the_plan(plans):
    plan = plans("prod")
    report = render_report(plan)
    assert report.startswith("# Access review: payments-prod (stack `prod`)")
    expected = [r.inputs["teamId"] for r in plan.of_type(access_report.TEAM_ASSIGNMENT)]
    expected += [r.inputs["externalGroupName"] for r in plan.of_type(access_report.IDP_MAPPING)]
    expected += [r.name for r in plan.of_type(access_report.ACCESS_LIST)]
    expected += [r.name for r in plan.of_type(access_report.VPC_ENDPOINT)]
    expected += [str(r.inputs["username"]) for r in plan.of_type(access_report.DATABASE_USER)]
    assert len(expected) >= 5
    for item in expected:
        assert item in report, f"{item} is missing from the access report"


def test_prod_report_content(plans):
    report = render_report(plans("prod"))
    teams = section(report, "### Atlas teams")
    assert "| sre | 5f0000000000000000000b01 | GROUP_BACKUP_MANAGER, GROUP_CLUSTER_MANAGER, GROUP_OBSERVABILITY_VIEWER |" in teams
    assert "| payments-devs | 5f0000000000000000000b02 | GROUP_READ_ONLY |" in teams
    groups = section(report, "### Identity-provider groups")
    assert "| payments-prod-oncall | GROUP_CLUSTER_MANAGER | ORG_MEMBER |" in groups
    assert "| payments-prod-readers | GROUP_READ_ONLY | ORG_MEMBER |" in groups
    controls = section(report, "## Controls")
    assert "Database auditing: on" in controls
    assert ", ".join(sorted(RULE_IDS)) in controls


@pytest.mark.parametrize("stack", STACKS)
def test_report_lists_each_service_account_with_its_roles_and_access_list(plans, stack):
    plan, cfg = plans(stack), load_stack(stack)
    accounts = section(render_report(plan), "### Atlas service accounts")
    names = [str(a.inputs["name"]) for a in plan.of_type(access_report.SERVICE_ACCOUNT)]
    if not names:
        assert "No service accounts are managed by this stack." in accounts
    for name in names:
        (row,) = [line for line in accounts.splitlines() if line.startswith(f"| {name} |")]
        if cfg.service_account is not None and name == cfg.service_account.atlas_name(cfg.resource_prefix):
            settings = cfg.service_account
            assert f"| {', '.join(sorted(settings.project_roles))} |" in row
            assert f"| {', '.join(settings.org_roles)} |" in row
            for entry in settings.access_list:
                assert str(entry.ip_address or entry.cidr_block) in row
            assert f"{settings.secret_expires_after_hours} hours" in row


def test_a_service_account_without_an_access_list_is_flagged():
    account = resource(access_report.SERVICE_ACCOUNT, "ci", {"name": "payments-ci", "roles": ["ORG_MEMBER"]})
    assignment = resource(
        access_report.SERVICE_ACCOUNT_PROJECT, "ci-project", {"roles": ["GROUP_OWNER"]}, deps={"clientId": [account]}
    )
    report = render_report(Plan(project="atlas-platform", stack="prod", resources=[account, assignment]))
    row = section(report, "### Atlas service accounts").splitlines()[-1]
    assert row.startswith("| payments-ci | ORG_MEMBER | GROUP_OWNER | any address (no access list) |")


@pytest.mark.parametrize("stack", STACKS)
def test_report_shows_the_organizations_security_settings_where_the_stack_manages_them(plans, stack):
    org = load_stack(stack).organization
    settings = section(render_report(plans(stack)), "## Organization security settings")
    if org is None:
        assert "Not managed by this stack" in settings
        return

    def said(value: bool) -> str:
        return "on" if value else "off"

    assert f"- Organization: {org.name}." in settings
    assert f"- Multi-factor authentication required: {said(org.multi_factor_auth_required)}." in settings
    assert f"- API access list required (service accounts and API keys): {said(org.api_access_list_required)}." in settings
    assert f"support needs a grant): {said(org.restrict_employee_access)}." in settings
    assert f"- Security contact: {org.security_contact}." in settings
    if org.federation is not None:
        assert f"identity provider {org.federation.identity_provider_id}" in settings


def test_the_organizations_sign_in_settings_are_listed():
    federation = resource(
        access_report.ORG_FEDERATION,
        "org-federation",
        {
            "identityProviderId": "0oa1example",
            "domainRestrictionEnabled": True,
            "domainAllowLists": ["example.com"],
            "postAuthRoleGrants": ["ORG_MEMBER"],
            "dataAccessIdentityProviderIds": ["65f0000000000000000000c1"],
        },
    )
    report = render_report(Plan(project="atlas-platform", stack="prod", resources=[federation]))
    settings = section(report, "## Organization security settings")
    assert "identity provider 0oa1example; domain restriction on (example.com)." in settings
    assert "granted to everyone who signs in: ORG_MEMBER." in settings
    assert "database access: 65f0000000000000000000c1." in settings


# The CLI reads the example prod from its fixture, as `--stack-file` (pulumi --config-file) would.
EXAMPLE = ["--stack-file", str(fixture_file("prod"))]


def test_cli_writes_the_report_and_fails_cleanly_on_a_bad_stack(tmp_path, capsys):
    output = tmp_path / "review.md"
    assert access_report.main(["--stack", "prod", *EXAMPLE, "--output", str(output)]) == 0
    assert output.read_text().startswith("# Access review: payments-prod")
    assert access_report.main(["--stack", "nosuch"]) == 1
    assert "no such stack file" in capsys.readouterr().err


def test_cli_renders_advisory_findings_from_a_file(tmp_path, capsys):
    findings = tmp_path / "advisories.json"
    findings.write_text(
        '[{"rule": "prod-alerts-routed", "resource": "payments-prod-alerts", "message": "no pager for capacity"}]'
    )
    assert access_report.main(["--stack", "prod", *EXAMPLE, "--advisories", str(findings)]) == 0
    assert "| prod-alerts-routed | payments-prod-alerts | no pager for capacity |" in capsys.readouterr().out


def test_cli_flags_what_the_real_policy_pack_reports_for_prod(capsys):
    """By default the report runs the pack (over its gRPC protocol) and lists its findings."""
    assert access_report.main(["--stack", "prod", *EXAMPLE]) == 0
    findings = section(capsys.readouterr().out, "## Advisory findings")
    # The prod stack's password users draw the pack's advisory "prefer passwordless" finding (both
    # of the alternating api's users), and the one without an alternate "rotate by alternating".
    assert "| atlas-user-passwordless | payments-prod-user-api-a-user |" in findings
    assert "| atlas-user-passwordless | payments-prod-user-api-b-user |" in findings
    assert "| atlas-user-alternating-rotation | payments-prod-user-reporting-user |" in findings
    assert "Not checked" not in findings


def test_cli_can_skip_the_policy_pack_and_says_so(capsys):
    assert access_report.main(["--stack", "prod", *EXAMPLE, "--no-policy-pack"]) == 0
    assert "Not checked: the policy pack was not run" in section(capsys.readouterr().out, "## Advisory findings")
