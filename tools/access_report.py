"""`make access-report STACK=prod`: who and what can reach an environment, from its plan.

Plans the stack offline (the real program under the SDK mock runtime) and prints Markdown for a
quarterly access review: network sources (IP access-list entries, private endpoints with their
VPCs and allowed sources), Atlas teams and identity-provider groups with their project roles,
each identity-provider group that signs in to the databases (OIDC workforce) with what it grants,
every database user with its kind, authentication, roles and cluster scopes, and the findings
the policy pack reports as advisory.

The report reads the plan by type token and the engine's (camelCase) property names only, so it
covers every component that registers these resources, whichever file builds them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.harness.mocks import Registration
from tests.harness.runner import ROOT, Plan, run_stack
from tests.harness.stackfile import available_stacks
from tools.regions import region_rows

if TYPE_CHECKING:
    from tests.harness.policy import Report as PolicyReport

ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
PRIVATE_LINK = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TEAM_ASSIGNMENT = "mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment"
IDP_MAPPING = "mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping"
DATABASE_USER = "mongodbatlas:index/databaseUser:DatabaseUser"
PROJECT = "mongodbatlas:index/project:Project"
AUDITING = "mongodbatlas:index/auditing:Auditing"
ALERT = "mongodbatlas:index/alertConfiguration:AlertConfiguration"
RESOURCE_POLICY = "mongodbatlas:index/resourcePolicy:ResourcePolicy"
ENCRYPTION_AT_REST = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
KMS_ENDPOINT = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
LOG_INTEGRATION = "mongodbatlas:index/logIntegration:LogIntegration"
EXPORT_BUCKET = "mongodbatlas:index/cloudBackupSnapshotExportBucket:CloudBackupSnapshotExportBucket"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
SERVICE_ACCOUNT = "mongodbatlas:index/serviceAccount:ServiceAccount"
SERVICE_ACCOUNT_PROJECT = "mongodbatlas:index/serviceAccountProjectAssignment:ServiceAccountProjectAssignment"
SERVICE_ACCOUNT_ACCESS = "mongodbatlas:index/serviceAccountAccessListEntry:ServiceAccountAccessListEntry"
SERVICE_ACCOUNT_SECRET = "mongodbatlas:index/serviceAccountSecret:ServiceAccountSecret"
ORGANIZATION = "mongodbatlas:index/organization:Organization"
ORG_FEDERATION = "mongodbatlas:index/federatedSettingsOrgConfig:FederatedSettingsOrgConfig"

UNKNOWN = "(known after `pulumi up`)"


@dataclass(frozen=True)
class Finding:
    """A policy-pack finding to flag in the review: the rule, the resource it is about, and why."""

    rule: str
    resource: str
    message: str


def cell(value: Any) -> str:
    """One Markdown table cell: pipes and line breaks would break the table."""
    if value is None or value == "" or value == []:
        return "-"
    text = ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _sources_of(plan: Plan, resource: Registration, prop: str) -> list[Registration]:
    """Resources whose outputs flow into `resource.<prop>` (the engine's property dependencies)."""
    urns = resource.property_dependencies.get(prop, [])
    return [r for r in plan.resources if r.urn in urns]


def _by_id(plan: Plan, token: str, ids: Iterable[Any]) -> list[Registration]:
    wanted = {str(i) for i in ids if i}
    return [r for r in plan.of_type(token) if r.id in wanted]


def access_list_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for entry in sorted(plan.of_type(ACCESS_LIST), key=lambda r: r.name):
        props = entry.inputs
        if props.get("cidrBlock"):
            kind, source = "CIDR block", props["cidrBlock"]
        elif props.get("ipAddress"):
            kind, source = "IP address", props["ipAddress"]
        elif props.get("awsSecurityGroup"):
            kind, source = "AWS security group", props["awsSecurityGroup"]
        else:
            kind, source = "?", UNKNOWN
        rows.append([source, kind, props.get("comment"), entry.name])
    return rows


def _ingress_sources(group: Registration, plan: Plan) -> list[str]:
    """Every source a security group admits, with its ports: inline rules and separate rule resources."""
    sources = []
    for rule in group.inputs.get("ingress") or []:
        ports = _ports(rule.get("fromPort"), rule.get("toPort"), rule.get("protocol"))
        for cidr in (rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or []):
            sources.append(f"{cidr} ({ports})")
        for other in rule.get("securityGroups") or []:
            sources.append(f"security group {other} ({ports})")
        if rule.get("self"):
            sources.append(f"itself ({ports})")
    for rule in plan.of_type(INGRESS_RULE):
        props = rule.inputs
        linked = group.urn in rule.property_dependencies.get("securityGroupId", []) or props.get("securityGroupId") == group.id
        if not linked:
            continue
        ports = _ports(props.get("fromPort"), props.get("toPort"), props.get("ipProtocol"))
        source = (
            props.get("cidrIpv4") or props.get("cidrIpv6") or props.get("referencedSecurityGroupId") or props.get("prefixListId")
        )
        if props.get("referencedSecurityGroupId"):
            source = f"security group {source}"
        sources.append(f"{source or UNKNOWN} ({ports})")
    return sources


def _ports(low: Any, high: Any, protocol: Any) -> str:
    if protocol in ("-1", -1, "all"):
        return "all traffic"
    if low is None:
        return "ports ?"
    low, high = int(low), int(high if high is not None else low)
    return f"tcp {low}" if low == high else f"tcp {low}-{high}"


def private_endpoint_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for endpoint in sorted(plan.of_type(VPC_ENDPOINT), key=lambda r: r.name):
        props = endpoint.inputs
        services = _sources_of(plan, endpoint, "serviceName")
        atlas_side = next((s for s in services if s.type == PRIVATE_LINK), None)
        region = atlas_side.inputs.get("region") if atlas_side else None
        groups = _sources_of(plan, endpoint, "securityGroupIds") or _by_id(
            plan, SECURITY_GROUP, props.get("securityGroupIds") or []
        )
        groups = [g for g in groups if g.type == SECURITY_GROUP]
        allowed = [source for group in groups for source in _ingress_sources(group, plan)]
        rows.append(
            [
                endpoint.name,
                atlas_side.name if atlas_side else "-",
                region,
                props.get("vpcId") or UNKNOWN,
                props.get("subnetIds"),
                [g.name for g in groups] or props.get("securityGroupIds"),
                allowed or "none",
            ]
        )
    # An Atlas endpoint service with no AWS endpoint in this plan is still a way in for whoever
    # connects one: list it.
    used = {s.urn for e in plan.of_type(VPC_ENDPOINT) for s in _sources_of(plan, e, "serviceName")}
    for service in plan.of_type(PRIVATE_LINK):
        if service.urn not in used:
            rows.append(["(none in this stack)", service.name, service.inputs.get("region"), "-", "-", "-", "-"])
    return rows


def team_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for assignment in sorted(plan.of_type(TEAM_ASSIGNMENT), key=lambda r: r.name):
        # ProdProject names each assignment `<project>-team-<team name>`; the id alone means little to a reviewer.
        team = assignment.name.split("-team-", 1)[1] if "-team-" in assignment.name else assignment.name
        rows.append([team, assignment.inputs.get("teamId"), assignment.inputs.get("roleNames")])
    return rows


def idp_rows(plan: Plan, project_id: str | None) -> list[list[Any]]:
    rows = []
    for mapping in sorted(plan.of_type(IDP_MAPPING), key=lambda r: r.inputs.get("externalGroupName", "")):
        project_roles: list[str] = []
        org_roles: list[str] = []
        for assignment in mapping.inputs.get("roleAssignments") or []:
            if assignment.get("groupId") and (project_id is None or assignment["groupId"] == project_id):
                project_roles += assignment.get("roles") or []
            elif assignment.get("orgId"):
                org_roles += assignment.get("roles") or []
        rows.append([mapping.inputs.get("externalGroupName"), project_roles, org_roles])
    return rows


def user_kind(props: dict[str, Any]) -> tuple[str, str]:
    """(kind, authentication) of a database user, from the fields Atlas decides them by."""
    if props.get("awsIamType") not in (None, "", "NONE"):
        return "AWS IAM " + str(props["awsIamType"]).lower(), f"IAM credentials ({props.get('authDatabaseName', '$external')})"
    if props.get("x509Type") not in (None, "", "NONE"):
        managed = "Atlas-managed" if props["x509Type"] == "MANAGED" else "customer CA"
        return "X.509 certificate", f"{managed} certificate ({props.get('authDatabaseName', '$external')})"
    oidc = props.get("oidcAuthType")
    if oidc not in (None, "", "NONE"):
        database = props.get("authDatabaseName", "admin" if oidc == "IDP_GROUP" else "$external")
        idp, _, name = str(props.get("username", "")).partition("/")
        if oidc == "IDP_GROUP":
            return "OIDC workforce group", f"members of IdP group {name} of identity provider {idp} ({database})"
        if oidc == "USER":
            return "OIDC workload", f"workload {name} of identity provider {idp} ({database})"
        return "OIDC " + str(oidc).lower(), f"identity provider token ({database})"
    if props.get("ldapAuthType") not in (None, "", "NONE"):
        return "LDAP " + str(props["ldapAuthType"]).lower(), "LDAP"
    return "password (SCRAM)", f"SCRAM on {props.get('authDatabaseName', 'admin')}"


def _role(role: dict[str, Any]) -> str:
    where = role.get("databaseName") or ""
    if role.get("collectionName"):
        where = f"{where}.{role['collectionName']}"
    return f"{role.get('roleName')}@{where}" if where else str(role.get("roleName"))


def user_rows(plan: Plan) -> list[list[Any]]:
    rows = []
    for user in sorted(plan.of_type(DATABASE_USER), key=lambda r: str(r.inputs.get("username"))):
        props = user.inputs
        method, detail = user_kind(props)
        scopes = [f"{s.get('name')} ({str(s.get('type', '')).lower()})" for s in props.get("scopes") or []]
        labels = {str(label.get("key")): str(label.get("value")) for label in props.get("labels") or []}
        rows.append(
            [
                props.get("username"),
                # The function this program gives every user (app, analytics, dba), from its `kind` label.
                labels.get("kind", "(no kind label)"),
                f"{method}: {detail}",
                [_role(r) for r in props.get("roles") or []],
                scopes or "all clusters in the project",
                [f"{k}={v}" for k, v in labels.items()],
                props.get("description"),
            ]
        )
    return rows


def kms_traffic_line(plan: Plan) -> str:
    """Whether Atlas reaches the customer's KMS key only over PrivateLink, and through which endpoint."""
    encryption = plan.of_type(ENCRYPTION_AT_REST)
    if not encryption:
        return "- KMS traffic: none (encryption at rest with Atlas-managed keys; no customer KMS key)."
    kms = encryption[0].inputs.get("awsKmsConfig") or {}
    endpoints = plan.of_type(KMS_ENDPOINT)
    if not kms.get("requirePrivateNetworking"):
        return f"- KMS traffic: public: Atlas reaches the key in {cell(kms.get('region'))} over the public AWS KMS endpoint."
    regions = sorted(str(e.inputs.get("regionName")) for e in endpoints)
    where = cell(regions) if regions else "no endpoint planned: Atlas cannot reach the key"
    return f"- KMS traffic: private: Atlas reaches the key in {cell(kms.get('region'))} only over AWS PrivateLink (endpoint in {where})."


def retention(plan: Plan, bucket: Any) -> str:
    """What the bucket's lifecycle rules keep: when objects move, when they are deleted."""
    parts = []
    for config in plan.of_type(LIFECYCLE):
        if config.inputs.get("bucket") != bucket:
            continue
        for rule in config.inputs.get("rules") or []:
            for move in rule.get("transitions") or []:
                parts.append(f"to {move.get('storageClass')} after {_days(move.get('days'))}")
            expiry = (rule.get("expiration") or {}).get("days")
            parts.append(f"deleted after {_days(expiry)}" if expiry else "kept until deleted by hand")
    return ", ".join(parts) if parts else "no lifecycle rule managed here"


def _days(value: Any) -> str:
    return f"{int(value)} days" if isinstance(value, (int, float)) else UNKNOWN


def export_lines(plan: Plan) -> list[str]:
    """Where the stack's logs and snapshots leave Atlas, and how long they are kept there."""
    lines = []
    for integration in sorted(plan.of_type(LOG_INTEGRATION), key=lambda r: r.name):
        props = integration.inputs
        bucket = props.get("bucketName")
        lines.append(
            f"- Log export ({cell(props.get('type'))}, {cell(props.get('logTypes'))}): s3://{bucket or UNKNOWN}/"
            f"{props.get('prefixPath') or ''}; {retention(plan, bucket)}."
        )
    if not lines:
        lines.append("- Log export: none; the logs stay in Atlas only.")
    for export in sorted(plan.of_type(EXPORT_BUCKET), key=lambda r: r.name):
        bucket = export.inputs.get("bucketName")
        lines.append(f"- Snapshot export bucket: s3://{bucket or UNKNOWN}; {retention(plan, bucket)}.")
    for logging in sorted(plan.of_type(BUCKET_LOGGING), key=lambda r: r.name):
        props = logging.inputs
        target = props.get("targetBucket")
        lines.append(
            f"- S3 access log of s3://{props.get('bucket') or UNKNOWN}: s3://{target or UNKNOWN}/"
            f"{props.get('targetPrefix') or ''}; {retention(plan, target)}."
        )
    return lines


def oidc_group_rows(plan: Plan) -> list[list[Any]]:
    """Each IdP group that signs in to the databases, and what its members get there."""
    rows = []
    for user in plan.of_type(DATABASE_USER):
        props = user.inputs
        if props.get("oidcAuthType") != "IDP_GROUP":
            continue
        # Atlas's username for a workforce group is `<IdP id>/<group name>` (Admin API, databaseUsers).
        idp, _, group = str(props.get("username", "")).partition("/")
        labels = {str(label.get("key")): str(label.get("value")) for label in props.get("labels") or []}
        scopes = [str(s.get("name")) for s in props.get("scopes") or []]
        rows.append(
            [
                group or UNKNOWN,
                idp or UNKNOWN,
                labels.get("kind", "(no kind label)"),
                [_role(r) for r in props.get("roles") or []],
                scopes or "all clusters in the project",
                labels.get("owner"),
            ]
        )
    return sorted(rows, key=lambda row: (str(row[0]), str(row[1])))


def control_lines(plan: Plan) -> list[str]:
    auditing = plan.of_type(AUDITING)
    audit = "on, with a JSON audit filter" if auditing and auditing[0].inputs.get("enabled") else "off"
    alerts = plan.of_type(ALERT)
    policies = sorted(str(p.inputs.get("name")) for p in plan.of_type(RESOURCE_POLICY))
    return [
        f"- Database auditing: {audit}.",
        kms_traffic_line(plan),
        f"- Atlas alert configurations: {len(alerts)}.",
        f"- Org-level Atlas resource policies managed by this stack: {cell(policies) if policies else 'none (managed by another stack, or not at all)'}.",
        *export_lines(plan),
    ]


def _of_account(plan: Plan, token: str, account: Registration) -> list[Registration]:
    """The resources of `token` that belong to service account `account` (read its client id)."""
    return [r for r in plan.of_type(token) if account.urn in r.property_dependencies.get("clientId", [])]


def service_account_rows(plan: Plan) -> list[list[Any]]:
    """Each Atlas service account the stack manages: what it may do and from where."""
    rows = []
    for account in sorted(plan.of_type(SERVICE_ACCOUNT), key=lambda r: str(r.inputs.get("name"))):
        project_roles = sorted(
            {role for a in _of_account(plan, SERVICE_ACCOUNT_PROJECT, account) for role in a.inputs.get("roles") or []}
        )
        sources = sorted(
            str(e.inputs.get("cidrBlock") or e.inputs.get("ipAddress") or UNKNOWN)
            for e in _of_account(plan, SERVICE_ACCOUNT_ACCESS, account)
        )
        hours = sorted(
            {
                float(s.inputs["secretExpiresAfterHours"])
                for s in _of_account(plan, SERVICE_ACCOUNT_SECRET, account)
                if s.inputs.get("secretExpiresAfterHours") is not None
            }
        )
        rows.append(
            [
                account.inputs.get("name"),
                account.inputs.get("roles"),
                project_roles or "none",
                # An empty access list lets the account call the API from anywhere unless the organization requires one.
                sources or "any address (no access list)",
                [f"{int(h)} hours" for h in hours] or "-",
                account.inputs.get("description"),
            ]
        )
    return rows


def _on_off(value: Any) -> str:
    return {True: "on", False: "off"}.get(value, UNKNOWN if value is None else str(value))


def organization_lines(plan: Plan) -> list[str]:
    """The organization's own security settings, where this stack manages them (one stack does)."""
    lines = []
    for org in plan.of_type(ORGANIZATION):
        props = org.inputs
        lines += [
            f"- Organization: {cell(props.get('name'))}.",
            f"- Multi-factor authentication required: {_on_off(props.get('multiFactorAuthRequired'))}.",
            f"- API access list required (service accounts and API keys): {_on_off(props.get('apiAccessListRequired'))}.",
            f"- MongoDB employee access restricted (support needs a grant): {_on_off(props.get('restrictEmployeeAccess'))}.",
            f"- Security contact: {cell(props.get('securityContact'))}.",
            f"- Generative AI features: {_on_off(props.get('genAiFeaturesEnabled'))}.",
        ]
    for federation in plan.of_type(ORG_FEDERATION):
        props = federation.inputs
        domains = props.get("domainAllowLists") or []
        restricted = props.get("domainRestrictionEnabled")
        lines += [
            f"- Sign-in through identity provider {cell(props.get('identityProviderId'))}; domain restriction "
            f"{_on_off(restricted)}{f' ({cell(domains)})' if restricted and domains else ''}.",
            f"- Organization roles granted to everyone who signs in: {cell(props.get('postAuthRoleGrants')) if props.get('postAuthRoleGrants') else 'none'}.",
            f"- Identity providers for database access: {cell(props.get('dataAccessIdentityProviderIds'))}.",
        ]
    return lines


def render_report(plan: Plan, advisories: Sequence[Finding] | None = None) -> str:
    """The access review as Markdown. `advisories`: the policy pack's advisory findings, if it was run."""
    project = plan.of_type(PROJECT)
    project_name = project[0].inputs.get("name") if project else plan.stack
    project_id = project[0].id if project else None
    out = [
        f"# Access review: {project_name} (stack `{plan.stack}`)",
        "",
        "Generated from the stack's plan (the program run offline against its stack file), not read",
        "from Atlas: it shows what the code grants. Compare it with Atlas > Project > Security after each",
        "`pulumi up`, and with `pulumi refresh` for changes made outside this program.",
        "",
        "## Network sources",
        "",
        "### IP access list",
        "",
    ]
    rows = access_list_rows(plan)
    out += table(["Source", "Kind", "Comment", "Resource"], rows) if rows else ["No IP access-list entries."]
    out += ["", "### Private endpoints", ""]
    rows = private_endpoint_rows(plan)
    out += (
        table(["AWS endpoint", "Atlas endpoint service", "Region", "VPC", "Subnets", "Security groups", "Allowed sources"], rows)
        if rows
        else ["No private endpoints."]
    )
    out += ["", "## People", "", "### Atlas teams", ""]
    rows = team_rows(plan)
    out += table(["Team", "Team id", "Project roles"], rows) if rows else ["No teams are assigned to the project."]
    out += ["", "### Identity-provider groups", ""]
    rows = idp_rows(plan, project_id)
    out += (
        table(["External group", "Project roles", "Organization roles"], rows)
        if rows
        else ["No identity-provider groups are mapped."]
    )
    out += ["", "### Identity-provider groups with database access", ""]
    rows = oidc_group_rows(plan)
    out += (
        table(["IdP group", "Identity provider", "Kind", "Database roles", "Cluster scopes", "Owner"], rows)
        if rows
        else ["No identity-provider group signs in to the databases."]
    )
    out += ["", "## Database users", ""]
    rows = user_rows(plan)
    out += (
        table(["Username", "Kind", "Authentication", "Roles", "Cluster scopes", "Labels", "Description"], rows)
        if rows
        else ["No database users."]
    )
    out += ["", "## Automation", "", "### Atlas service accounts", ""]
    rows = service_account_rows(plan)
    out += (
        table(
            ["Service account", "Organization roles", "Project roles", "API access list", "Secret lifetime", "Description"], rows
        )
        if rows
        else ["No service accounts are managed by this stack."]
    )
    out += ["", "## Organization security settings", ""]
    out += organization_lines(plan) or ["Not managed by this stack (one stack of the organization manages them: docs/access.md)."]
    out += ["", "## Where the data lives", ""]
    rows = region_rows(plan)
    out += (
        table(["AWS resource", "Kind", "Region", "Where the cluster has nodes"], rows)
        if rows
        else ["No AWS resource holds data."]
    )
    out += ["", "## Controls", "", *control_lines(plan), "", "## Advisory findings", ""]
    if advisories is None:
        out.append("Not checked: the policy pack was not run for this report.")
    elif not advisories:
        out.append("None: the policy pack reported no advisory findings.")
    else:
        out += table(["Rule", "Resource", "Finding"], [[f.rule, f.resource, f.message] for f in advisories])
    return "\n".join(out) + "\n"


def policy_findings(report: PolicyReport) -> list[Finding]:
    """What the pack reported, advisory or not, as rows of the review (mandatory ones marked so)."""
    return [
        Finding(
            f.policy if f.level == "advisory" else f"{f.policy} ({f.level})",
            f.resource_name or "(stack)",
            " ".join(f.message.split("\n", 1)[-1].split()),
        )
        for f in sorted(report.findings, key=lambda f: (f.level != "mandatory", f.policy, f.resource_name))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make access-report", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod", help=f"stack to review (here: {', '.join(available_stacks(ROOT))})")
    parser.add_argument(
        "--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml, as `pulumi --config-file` does"
    )
    parser.add_argument("--output", help="write the Markdown to this file instead of stdout")
    parser.add_argument(
        "--advisories",
        help='JSON file of findings to flag instead of running the policy pack: [{"rule": ..., "resource": ..., "message": ...}]',
    )
    parser.add_argument("--no-policy-pack", action="store_true", help="do not run the policy pack (the report says so)")
    args = parser.parse_args(argv)
    advisories = None
    if args.advisories:
        import json

        with open(args.advisories) as handle:
            advisories = [Finding(str(f["rule"]), str(f["resource"]), str(f["message"])) for f in json.load(handle)]

    import pulumi

    from tests.harness.policy import PolicyPackServer

    run_pack = advisories is None and not args.no_policy_pack
    # The pack (a subprocess) starts while the stack is planned, as in `make preview`.
    with PolicyPackServer(wait=False) if run_pack else contextlib.nullcontext() as pack:
        try:
            plan = run_stack(args.stack, stack_file=args.stack_file)
        except pulumi.RunError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        if pack is not None:
            advisories = policy_findings(pack.check_plan(plan))
    report = render_report(plan, advisories)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(report)
    else:
        sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
