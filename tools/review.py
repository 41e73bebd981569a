"""`make review STACK=prod`: what is really in Atlas, compared with what the stack file declares.

Reads the stack's live Atlas project read-only through the Administration API v2
(tools/atlas_api/) and compares it with the program's own offline plan (`run_stack`: the
registrations `pulumi up` would send), so the review and the program cannot disagree about names
and values. Objects are matched by their Atlas identity (a database user by username and
authentication database, an access-list entry by its address or range, a team by its id, a
service account by its name, a cluster by its name), never by Pulumi name or position.

Findings, each with the Atlas object, why it matters and the fix:
- unmanaged: database users, custom roles, access-list entries, private endpoints, project members,
  teams, API keys and service accounts with project access, clusters that the code does not declare;
- missing / drifted: declared objects absent or different in Atlas (roles and scopes, an entry's
  comment, a service account's roles and API access list, cluster tier, version, backup and its
  schedule, TLS, encryption, auditing, the alert baseline);
- stale: database users without a successful sign-in and access-list entries without a connection
  in the window (`review.staleAfterDays`, or all the history Atlas keeps when that is shorter; the
  report says which);
- unexpected sources and spikes: successful sign-ins from outside the declared access list and the
  private ranges, failed sign-ins above `review.failedAuthentications` per user or per source.

Markdown for people (stdout or --output), JSON for machines (--json). Exit 0 when clean, 1 with
findings, 2 when it could not read (one line on stderr saying which permission or setting is
missing). Credentials come from the provider's environment variables; no secret is ever printed.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atlas_platform.components.facts import atlas_region_name
from stackconfig.network import NON_PUBLIC_RANGES
from tests.harness.runner import ROOT, Plan
from tools.access_report import cell, table
from tools.atlas_api import AtlasApiError, AtlasClient, CredentialsMissing, base_url_from_env, credentials_from_env
from tools.atlas_api import operations as api

if TYPE_CHECKING:
    from stackconfig import StackConfig

PROJECT = "mongodbatlas:index/project:Project"
DATABASE_USER = "mongodbatlas:index/databaseUser:DatabaseUser"
CUSTOM_ROLE = "mongodbatlas:index/customDbRole:CustomDbRole"
ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
PRIVATE_LINK = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
PRIVATE_LINK_SERVICE = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
TEAM_ASSIGNMENT = "mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment"
IDP_MAPPING = "mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping"
SERVICE_ACCOUNT = "mongodbatlas:index/serviceAccount:ServiceAccount"
SA_ASSIGNMENT = "mongodbatlas:index/serviceAccountProjectAssignment:ServiceAccountProjectAssignment"
SA_ACCESS = "mongodbatlas:index/serviceAccountAccessListEntry:ServiceAccountAccessListEntry"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
BACKUP_SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"
AUDITING = "mongodbatlas:index/auditing:Auditing"
ALERT = "mongodbatlas:index/alertConfiguration:AlertConfiguration"

# Atlas keeps Database Access History for the last 7 days ("View Database Access History",
# https://www.mongodb.com/docs/atlas/access-tracking/): a longer window sees no more than that.
ACCESS_HISTORY_RETENTION = timedelta(days=7)
# The most log lines one read returns (the spec's nLogs maximum).
MAX_LOGS = 20000
# Where a connection over PrivateLink or peering comes from: never an access-list entry's business.
# The private ranges have one home (stackconfig/service_account.py); loopback and link-local on top.
PRIVATE_RANGES = (*NON_PUBLIC_RANGES, ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("169.254.0.0/16"))
TIERS = ("M10", "M20", "M30", "M40", "M50", "M60", "M80", "M100", "M140", "M200", "M300")

KINDS = ("unmanaged", "missing", "drifted", "stale", "unexpected source", "failed sign-in spike")


@dataclass(frozen=True)
class Finding:
    """One thing the review found: what kind, the Atlas object, why it matters, and the fix."""

    kind: str
    object: str
    why: str
    fix: str


@dataclass
class ReviewSettings:
    """The review's thresholds, from the stack file's `review` section (or its defaults)."""

    stale_after_days: int = 90
    failed_threshold: int = 20
    failed_within_hours: int = 24
    access_history: bool = True
    idle_allowed: frozenset[str] = frozenset()
    """Atlas usernames never reported stale (the stack file names them by their databaseUsers key)."""
    credentials: tuple[frozenset[str], ...] = ()
    """The Atlas users of each alternating credential (docs/users.md, "Rotation"): one credential, used by
    one slot at a time, so the standby slot idles by design and only a credential with no sign-in on
    either slot is stale."""


@dataclass
class Report:
    stack: str
    project: str
    project_id: str = ""
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    """What the review compared, one line each (for the report's header)."""
    not_checked: list[str] = field(default_factory=list)
    """What it could not compare, and why (a role it lacks on purpose, a kind Atlas does not log)."""
    members_via_idp: list[str] = field(default_factory=list)
    window: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.findings else 0


# --- What the code declares, from the plan ---


def _role_key(role: dict[str, Any], name: str = "roleName", db: str = "databaseName", coll: str = "collectionName") -> str:
    where = str(role.get(db) or "")
    if role.get(coll):
        where += "." + str(role[coll])
    return f"{role.get(name)}@{where}"


def _scope_key(scope: dict[str, Any]) -> str:
    return f"{scope.get('name')} ({scope.get('type')})"


def _auth_kind(props: dict[str, Any], iam: str = "awsIamType") -> str:
    for key, label in ((iam, "AWS IAM"), ("x509Type", "X.509"), ("oidcAuthType", "OIDC"), ("ldapAuthType", "LDAP")):
        value = props.get(key)
        if value not in (None, "", "NONE"):
            return f"{label} {value}"
    return "password"


def network_of(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(value, strict=False)


def _entry_key(props: dict[str, Any]) -> str:
    """An access-list entry's Atlas identity: its canonical range (1.2.3.4 and 1.2.3.4/32 are one entry), or its group."""
    if props.get("awsSecurityGroup"):
        return str(props["awsSecurityGroup"])
    return str(network_of(str(props.get("ipAddress") or props.get("cidrBlock"))))


def _region_key(region: str) -> str:
    """US_EAST_1 and us-east-1 are one region (the conversion's one home is components/facts.py)."""
    return atlas_region_name(region)


@dataclass
class Declared:
    """The plan, as the Atlas objects it declares, keyed by their Atlas identity."""

    project_name: str
    org_id: str
    users: dict[tuple[str, str], dict[str, Any]]
    custom_roles: dict[str, dict[str, Any]]
    access_list: dict[str, str]
    endpoints: dict[str, int]
    """Region -> the interface endpoints the stack links to its endpoint service there."""
    teams: dict[str, list[str]]
    idp_project_roles: set[str]
    service_accounts: dict[str, dict[str, Any]]
    clusters: dict[str, dict[str, Any]]
    schedules: dict[str, dict[str, Any]]
    auditing: dict[str, Any] | None
    alerts: list[dict[str, Any]]


def declared_from_plan(plan: Plan) -> Declared:
    project = plan.one(PROJECT)
    users = {}
    for user in plan.of_type(DATABASE_USER):
        props = user.inputs
        users[(str(props["username"]), str(props.get("authDatabaseName", "admin")))] = {
            "roles": sorted(_role_key(r) for r in props.get("roles") or []),
            "scopes": sorted(_scope_key(s) for s in props.get("scopes") or []),
            "kind": _auth_kind(props),
            "description": props.get("description") or "",
        }
    roles = {}
    for role in plan.of_type(CUSTOM_ROLE):
        props = role.inputs
        roles[str(props["roleName"])] = {
            "actions": sorted(
                f"{a['action']} on {'cluster' if r.get('cluster') else (r.get('databaseName') or '') + '.' + (r.get('collectionName') or '')}"
                for a in props.get("actions") or []
                for r in a.get("resources") or []
            ),
            "inherited": sorted(f"{r.get('roleName')}@{r.get('databaseName')}" for r in props.get("inheritedRoles") or []),
        }
    access = {_entry_key(e.inputs): str(e.inputs.get("comment") or "") for e in plan.of_type(ACCESS_LIST)}
    endpoints: dict[str, int] = {}
    for service in plan.of_type(PRIVATE_LINK):
        links = [
            link
            for link in plan.of_type(PRIVATE_LINK_SERVICE)
            if service.urn in link.property_dependencies.get("privateLinkId", [])
        ]
        endpoints[_region_key(str(service.inputs["region"]))] = len(links)
    teams = {str(t.inputs["teamId"]): sorted(t.inputs.get("roleNames") or []) for t in plan.of_type(TEAM_ASSIGNMENT)}
    project_urn_roles: set[str] = set()
    for mapping in plan.of_type(IDP_MAPPING):
        for assignment in mapping.inputs.get("roleAssignments") or []:
            if assignment.get("groupId"):
                project_urn_roles.update(assignment.get("roles") or [])
    accounts = {}
    for account in plan.of_type(SERVICE_ACCOUNT):
        siblings = [r for r in plan.resources if r.parent == account.parent]
        assignment = next((r for r in siblings if r.type == SA_ASSIGNMENT), None)
        accounts[str(account.inputs["name"])] = {
            "roles": sorted(assignment.inputs.get("roles") or []) if assignment else [],
            "access": sorted(_entry_key(r.inputs) for r in siblings if r.type == SA_ACCESS),
            "component": account.parent,
        }
    clusters, schedules = {}, {}
    for cluster in plan.of_type(CLUSTER):
        props = cluster.inputs
        regions = {}
        for spec in props.get("replicationSpecs") or []:
            for region in spec.get("regionConfigs") or []:
                scaling = region.get("autoScaling") or {}
                regions[_region_key(str(region["regionName"]))] = {
                    "priority": int(region.get("priority", 0)),
                    "nodes": int((region.get("electableSpecs") or {}).get("nodeCount", 0)),
                    "tier": (region.get("electableSpecs") or {}).get("instanceSize"),
                    "min": scaling.get("computeMinInstanceSize") if scaling.get("computeEnabled") else None,
                    "max": scaling.get("computeMaxInstanceSize") if scaling.get("computeEnabled") else None,
                }
        clusters[str(props["name"])] = {
            "regions": regions,
            "version": props.get("mongoDbMajorVersion"),
            "backupEnabled": bool(props.get("backupEnabled")),
            "pitEnabled": bool(props.get("pitEnabled")),
            "terminationProtectionEnabled": bool(props.get("terminationProtectionEnabled")),
            "encryptionAtRestProvider": props.get("encryptionAtRestProvider") or "NONE",
            "tls": (props.get("advancedConfiguration") or {}).get("minimumEnabledTlsProtocol"),
        }
    for schedule in plan.of_type(BACKUP_SCHEDULE):
        props = schedule.inputs
        schedules[str(props["clusterName"])] = {
            "restoreWindowDays": props.get("restoreWindowDays"),
            "items": sorted(_declared_policy_items(props)),
        }
    audit = plan.of_type(AUDITING)
    auditing = (
        {
            "enabled": bool(audit[0].inputs.get("enabled")),
            "filter": _json_or_text(audit[0].inputs.get("auditFilter")),
            "authorizationSuccess": bool(audit[0].inputs.get("auditAuthorizationSuccess")),
        }
        if audit
        else None
    )
    alerts = [
        {
            "name": alert.name,
            "eventType": alert.inputs.get("eventType"),
            "metric": (alert.inputs.get("metricThresholdConfig") or {}).get("metricName"),
            "threshold": _threshold(alert.inputs.get("metricThresholdConfig") or alert.inputs.get("thresholdConfig")),
            "enabled": bool(alert.inputs.get("enabled", True)),
        }
        for alert in plan.of_type(ALERT)
    ]
    return Declared(
        project_name=str(project.inputs["name"]),
        org_id=str(project.inputs["orgId"]),
        users=users,
        custom_roles=roles,
        access_list=access,
        endpoints=endpoints,
        teams=teams,
        idp_project_roles=project_urn_roles,
        service_accounts=accounts,
        clusters=clusters,
        schedules=schedules,
        auditing=auditing,
        alerts=alerts,
    )


# The backup schedule's policy-item inputs, by the frequency Atlas names them with.
POLICY_ITEM_KEYS = (
    ("policyItemHourly", "hourly"),
    ("policyItemDaily", "daily"),
    ("policyItemWeeklies", "weekly"),
    ("policyItemMonthlies", "monthly"),
    ("policyItemYearlies", "yearly"),
)


def planned_policy_items(props: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Each policy item a planned backup schedule declares, with its frequency (one item or a list per input)."""
    for key, frequency in POLICY_ITEM_KEYS:
        value = props.get(key)
        for item in value if isinstance(value, list) else [value] if value else []:
            yield frequency, item


def _declared_policy_items(props: dict[str, Any]) -> Iterable[str]:
    for frequency, item in planned_policy_items(props):
        yield _policy_item(frequency, item["frequencyInterval"], item["retentionUnit"], item["retentionValue"])


def _policy_item(frequency: str, interval: Any, unit: str, value: Any) -> str:
    return f"{frequency} every {int(interval)}, kept {int(value)} {unit}"


def _threshold(config: dict[str, Any] | None) -> str | None:
    if not config or config.get("threshold") is None:
        return None
    return f"{config.get('operator')} {float(config['threshold']):g} {config.get('units') or ''}".strip()


def _json_or_text(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return value


# --- The comparison ---


def _tier_within(tier: str | None, low: str | None, high: str | None) -> bool:
    if tier not in TIERS or low not in TIERS or high not in TIERS:
        return False
    return TIERS.index(str(low)) <= TIERS.index(str(tier)) <= TIERS.index(str(high))


def user_import_id(project_id: str, username: str, auth_db: str) -> str:
    # Provider v2.16.0 docs/resources/database_user.md, "Import": project_id/username/auth_database_name
    # unless the username has a `/` (an IAM ARN), then project_id-username-auth_database_name.
    return f"{project_id}-{username}-{auth_db}" if "/" in username else f"{project_id}/{username}/{auth_db}"


class Reviewer:
    """Reads the live project and compares it with `declared`, one area at a time, into `report`."""

    def __init__(self, client: AtlasClient, declared: Declared, settings: ReviewSettings, report: Report, now: datetime) -> None:
        self.client = client
        self.declared = declared
        self.settings = settings
        self.report = report
        self.now = now
        self.group_id = ""

    def add(self, kind: str, obj: str, why: str, fix: str) -> None:
        self.report.findings.append(Finding(kind, obj, why, fix))

    def run(self) -> Report:
        group = api.get_group_by_name(self.client, self.declared.project_name)
        self.group_id = self.report.project_id = str(group["id"])
        if group.get("orgId") != self.declared.org_id:
            self.add(
                "drifted",
                f"project {self.declared.project_name}",
                f"it belongs to organization {group.get('orgId')}, the stack file says {self.declared.org_id}",
                "set `orgId` to the project's organization, or move the project in Atlas",
            )
        self.database_users()
        self.custom_roles()
        self.access_list()
        self.private_endpoints()
        self.members()
        self.teams()
        self.api_keys()
        self.service_accounts()
        self.clusters()
        self.auditing()
        self.alerts()
        self.access_history()
        return self.report

    # who may connect, and as whom

    def database_users(self) -> None:
        live = {(u["username"], u["databaseName"]): u for u in api.list_group_database_users(self.client, self.group_id)}
        self.live_users = live
        self.report.checked.append(f"database users: {len(live)} in Atlas, {len(self.declared.users)} declared")
        for key, user in sorted(live.items()):
            username, auth_db = key
            declared = self.declared.users.get(key)
            name = f"database user {username} ({auth_db})"
            if declared is None:
                self.add(
                    "unmanaged",
                    name,
                    f"not in the stack file: it can sign in with {', '.join(_role_key(r) for r in user.get('roles') or []) or 'no roles'}"
                    " and nobody reviews it in code",
                    "remove it in Atlas (Database Access) if nobody owns it; otherwise add it to `databaseUsers` and adopt it with "
                    f"`pulumi import mongodbatlas:index/databaseUser:DatabaseUser <name> {user_import_id(self.group_id, username, auth_db)}`",
                )
                continue
            roles = sorted(_role_key(r) for r in user.get("roles") or [])
            scopes = sorted(_scope_key(s) for s in user.get("scopes") or [])
            kind = _auth_kind(user, iam="awsIAMType")
            for what, live_value, want in (
                ("roles", roles, declared["roles"]),
                ("cluster scopes", scopes, declared["scopes"]),
                ("sign-in kind", kind, declared["kind"]),
                ("description", user.get("description") or "", declared["description"]),
            ):
                if live_value != want:
                    self.add(
                        "drifted",
                        name,
                        f"{what} in Atlas are {cell(live_value) if live_value else 'none'}; the stack file declares "
                        f"{cell(want) if want else 'none'}",
                        "`pulumi up` restores the declared value; if the change in Atlas was intended, write it in `databaseUsers` first",
                    )
        for key in sorted(set(self.declared.users) - set(live)):
            self.add(
                "missing",
                f"database user {key[0]} ({key[1]})",
                "declared in the stack file but absent in Atlas: what uses it cannot sign in",
                "`pulumi up` creates it (run `pulumi refresh` first if the state still holds it)",
            )

    def custom_roles(self) -> None:
        live = {r["roleName"]: r for r in api.list_group_custom_db_role_roles(self.client, self.group_id)}
        self.report.checked.append(f"custom roles: {len(live)} in Atlas, {len(self.declared.custom_roles)} declared")
        for name, role in sorted(live.items()):
            declared = self.declared.custom_roles.get(name)
            if declared is None:
                self.add(
                    "unmanaged",
                    f"custom role {name}",
                    "a custom role the stack file does not declare: users granted it hold privileges no review sees",
                    f"remove it in Atlas, or add it to `customRoles` and `pulumi import mongodbatlas:index/customDbRole:CustomDbRole "
                    f"<name> {self.group_id}-{name}`",
                )
                continue
            actions = sorted(
                f"{a['action']} on {'cluster' if r.get('cluster') else (r.get('db') or '') + '.' + (r.get('collection') or '')}"
                for a in role.get("actions") or []
                for r in a.get("resources") or []
            )
            inherited = sorted(f"{r.get('role')}@{r.get('db')}" for r in role.get("inheritedRoles") or [])
            if actions != declared["actions"] or inherited != declared["inherited"]:
                self.add(
                    "drifted",
                    f"custom role {name}",
                    f"Atlas grants {cell(actions + inherited)}; the stack file declares {cell(declared['actions'] + declared['inherited'])}",
                    "`pulumi up` restores the declared privileges; write an intended change in `customRoles` first",
                )
        for name in sorted(set(self.declared.custom_roles) - set(live)):
            self.add(
                "missing", f"custom role {name}", "declared but absent: users granted it lose access", "`pulumi up` creates it"
            )

    def access_list(self) -> None:
        entries = api.list_group_access_list_entries(self.client, self.group_id)
        self.live_entries = {_entry_key(e): e for e in entries}
        self.report.checked.append(f"IP access list: {len(entries)} entries in Atlas, {len(self.declared.access_list)} declared")
        for key, entry in sorted(self.live_entries.items()):
            comment = entry.get("comment") or ""
            if key not in self.declared.access_list:
                temporary = f", set to expire {entry['deleteAfterDate']}" if entry.get("deleteAfterDate") else ""
                self.add(
                    "unmanaged",
                    f"access-list entry {key} ({comment or 'no comment'})",
                    f"anyone from {key} can reach the clusters' public endpoints (with a password){temporary}; added by hand, "
                    "it is in no review",
                    "remove it in Atlas (Network Access), or add it to `network.accessList` with its reason and `pulumi import "
                    f"mongodbatlas:index/projectIpAccessList:ProjectIpAccessList <name> {self.group_id}-{key}`",
                )
            elif comment != self.declared.access_list[key]:
                self.add(
                    "drifted",
                    f"access-list entry {key}",
                    f"its comment in Atlas is {comment!r}, the stack file says {self.declared.access_list[key]!r}: the reason "
                    "on record no longer matches",
                    "`pulumi up` restores the declared comment (it replaces the entry: provider v2.16.0 marks comment "
                    "RequiresReplace); or write the new reason in `network.accessList`",
                )
        for key in sorted(set(self.declared.access_list) - set(self.live_entries)):
            self.add(
                "missing",
                f"access-list entry {key} ({self.declared.access_list[key]})",
                "declared but absent: connections from there are refused",
                "`pulumi up` adds it",
            )

    def private_endpoints(self) -> None:
        services = api.list_group_private_endpoint_endpoint_service(self.client, self.group_id, "AWS")
        live: dict[str, dict[str, Any]] = {_region_key(str(s.get("regionName"))): s for s in services}
        self.report.checked.append(
            f"private endpoints: {len(live)} endpoint services in Atlas, {len(self.declared.endpoints)} declared"
        )
        for region, service in sorted(live.items()):
            endpoints = list(service.get("interfaceEndpoints") or [])
            if region not in self.declared.endpoints:
                self.add(
                    "unmanaged",
                    f"private endpoint service in {region} ({service.get('endpointServiceName', service.get('id'))})",
                    f"a way into the project from {len(endpoints)} AWS endpoint(s) {cell(endpoints)} that the stack file does not declare",
                    "remove it in Atlas (Network Access > Private Endpoint) and its endpoints in AWS, or declare the region in "
                    "`network.privateEndpoints`",
                )
                continue
            want = self.declared.endpoints[region]
            if len(endpoints) > want:
                self.add(
                    "unmanaged",
                    f"private endpoints in {region}: {cell(endpoints)}",
                    f"Atlas links {len(endpoints)} AWS endpoints to this region's service; the stack file declares {want}: "
                    "an endpoint from a VPC nobody declared reaches the cluster privately",
                    "find the extra endpoint among these ids in AWS (VPC > Endpoints) and reject it in Atlas, or declare its VPC in "
                    "`network.privateEndpoints`",
                )
            elif len(endpoints) < want:
                self.add(
                    "missing",
                    f"private endpoints in {region}",
                    f"Atlas links {len(endpoints)} AWS endpoints; the stack file declares {want}: some VPC has no private path",
                    "`pulumi up` links them",
                )
        for region in sorted(set(self.declared.endpoints) - set(live)):
            self.add("missing", f"private endpoint service in {region}", "declared but absent", "`pulumi up` creates it")

    # who may act on the project

    def members(self) -> None:
        users = api.list_group_users(self.client, self.group_id)
        self.report.checked.append(f"project members with roles of their own: {len(users)}")
        for user in sorted(users, key=lambda u: str(u.get("username"))):
            roles = sorted(user.get("roles") or [])
            status = user.get("orgMembershipStatus")
            if status == "ACTIVE" and roles and set(roles) <= self.declared.idp_project_roles:
                # Federated sign-in gives members of a mapped IdP group the group's roles on the project.
                self.report.members_via_idp.append(f"{user.get('username')} ({cell(roles)})")
                continue
            invited = " (invitation pending)" if status == "PENDING" else ""
            self.add(
                "unmanaged",
                f"project member {user.get('username')}{invited}",
                f"holds {cell(roles)} on the project directly, not through a declared team or identity-provider group",
                "remove the member from the project (Project Access); give people access through `teams` or `federation.groups`",
            )

    def teams(self) -> None:
        live = {str(t["teamId"]): sorted(t.get("roleNames") or []) for t in api.list_group_teams(self.client, self.group_id)}
        self.report.checked.append(f"teams: {len(live)} in Atlas, {len(self.declared.teams)} declared")
        for team, roles in sorted(live.items()):
            want = self.declared.teams.get(team)
            if want is None:
                self.add(
                    "unmanaged",
                    f"team {team}",
                    f"holds {cell(roles)} on the project and the stack file does not declare it",
                    "remove the team from the project, or add it to `teams` and `pulumi import "
                    f"mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment <name> {self.group_id}/{team}`",
                )
            elif roles != want:
                self.add(
                    "drifted",
                    f"team {team}",
                    f"holds {cell(roles)} in Atlas; the stack file declares {cell(want)}",
                    "`pulumi up` restores the declared roles; write an intended change in `teams` first",
                )
        for team in sorted(set(self.declared.teams) - set(live)):
            self.add("missing", f"team {team}", "declared but not assigned to the project", "`pulumi up` assigns it")

    def api_keys(self) -> None:
        keys = api.list_group_api_keys(self.client, self.group_id)
        self.report.checked.append(f"API keys with project access: {len(keys)} (the program declares none)")
        mine = self.client.credentials.identifier if self.client.credentials.kind == "api-key" else None
        for key in keys:
            roles = sorted(r.get("roleName", "") for r in key.get("roles") or [] if r.get("groupId") in (None, self.group_id))
            own = " (the key this review runs with)" if key.get("publicKey") == mine else ""
            self.add(
                "unmanaged",
                f"API key {key.get('publicKey')} ({key.get('desc') or 'no description'}){own}",
                f"holds {cell(roles)} on the project; the program manages service accounts with declared access lists, no API keys",
                "remove the key from the project (Project Access > Applications) and use the stack's `serviceAccount` "
                "or `review.serviceAccount`",
            )

    def service_accounts(self) -> None:
        accounts = api.list_group_service_accounts(self.client, self.group_id)
        self.report.checked.append(
            f"service accounts with project access: {len(accounts)} in Atlas, {len(self.declared.service_accounts)} declared"
        )
        seen = set()
        for account in accounts:
            name = str(account.get("name"))
            roles = sorted(account.get("roles") or [])
            declared = self.declared.service_accounts.get(name)
            label = f"service account {name} ({account.get('clientId')})"
            if declared is None:
                self.add(
                    "unmanaged",
                    label,
                    f"holds {cell(roles)} on the project; the stack file declares no such account, so nobody reviews its roles "
                    "or where it may call from",
                    "remove it from the project (Project Access > Applications), or declare it in `serviceAccount`",
                )
                continue
            seen.add(name)
            if roles != declared["roles"]:
                self.add(
                    "drifted",
                    label,
                    f"holds {cell(roles)} in Atlas; the stack file declares {cell(declared['roles'])}",
                    "`pulumi up` restores the declared roles",
                )
            entries = api.list_group_service_account_access_list(self.client, self.group_id, str(account["clientId"]))
            live = sorted(_entry_key(e) for e in entries)
            extra = sorted(set(live) - set(declared["access"]))
            gone = sorted(set(declared["access"]) - set(live))
            if extra:
                self.add(
                    "drifted",
                    f"API access list of {label}",
                    f"it may call the Admin API from {cell(extra)}, which the stack file does not declare",
                    "`pulumi up` removes nothing it does not manage: delete these entries in Atlas, or declare them",
                )
            if gone:
                self.add(
                    "missing",
                    f"API access list of {label}",
                    f"declared entries {cell(gone)} are absent: its automation's calls from there fail",
                    "`pulumi up` adds them",
                )
        for name in sorted(set(self.declared.service_accounts) - seen):
            self.add("missing", f"service account {name}", "declared but has no access to the project", "`pulumi up` assigns it")

    # the cluster and what protects it

    def clusters(self) -> None:
        live_names = {str(c.get("name")) for c in api.list_group_clusters(self.client, self.group_id)}
        self.report.checked.append(f"clusters: {len(live_names)} in Atlas, {len(self.declared.clusters)} declared")
        for name in sorted(live_names - set(self.declared.clusters)):
            self.add(
                "unmanaged",
                f"cluster {name}",
                "a cluster the stack file does not declare: its users, backups and encryption are in no review",
                f"delete it in Atlas if nobody owns it, or `pulumi import mongodbatlas:index/advancedCluster:AdvancedCluster "
                f"<name> {self.group_id}-{name}` into a stack",
            )
        for name, want in sorted(self.declared.clusters.items()):
            if name not in live_names:
                self.add("missing", f"cluster {name}", "declared but absent in Atlas", "`pulumi up` creates it")
                continue
            self._cluster(name, want, api.get_group_cluster(self.client, self.group_id, name))
            args = api.get_group_cluster_process_args(self.client, self.group_id, name)
            if want["tls"] and args.get("minimumEnabledTlsProtocol") != want["tls"]:
                self.add(
                    "drifted",
                    f"cluster {name}: minimum TLS",
                    f"Atlas accepts {args.get('minimumEnabledTlsProtocol')}; the stack file declares {want['tls']}",
                    "`pulumi up` restores it; older TLS versions have known weaknesses",
                )
            if name in self.declared.schedules:
                self._schedule(name, self.declared.schedules[name])

    def _cluster(self, name: str, want: dict[str, Any], live: dict[str, Any]) -> None:
        def drift(what: str, got: Any, expected: Any, why: str = "") -> None:
            self.add(
                "drifted",
                f"cluster {name}: {what}",
                f"Atlas has {got}; the stack file declares {expected}{why}",
                "`pulumi up` restores the declared value; write an intended change in `cluster` first",
            )

        if str(live.get("mongoDBMajorVersion")) != str(want["version"]):
            drift("MongoDB version", live.get("mongoDBMajorVersion"), want["version"])
        for key, label, why in (
            ("backupEnabled", "backups", ": without them nothing can be restored"),
            ("pitEnabled", "point-in-time restore", ""),
            ("terminationProtectionEnabled", "termination protection", ": without it one call deletes the cluster"),
        ):
            if bool(live.get(key)) != want[key]:
                drift(label, "on" if live.get(key) else "off", "on" if want[key] else "off", why)
        if (live.get("encryptionAtRestProvider") or "NONE") != want["encryptionAtRestProvider"]:
            drift("encryption at rest", live.get("encryptionAtRestProvider") or "NONE", want["encryptionAtRestProvider"])
        regions = {}
        for spec in live.get("replicationSpecs") or []:
            for region in spec.get("regionConfigs") or []:
                regions[_region_key(str(region.get("regionName")))] = region
        if set(regions) != set(want["regions"]):
            drift("regions", cell(sorted(regions)), cell(sorted(want["regions"])))
        for region, expected in sorted(want["regions"].items()):
            got = regions.get(region)
            if got is None:
                continue
            specs = got.get("electableSpecs") or {}
            tier = specs.get("instanceSize")
            scaled = expected["min"] and _tier_within(tier, expected["min"], expected["max"])
            if tier != expected["tier"] and not scaled:
                span = f" (auto-scaling {expected['min']}-{expected['max']})" if expected["min"] else ""
                drift(f"tier in {region}", tier, f"{expected['tier']}{span}")
            if int(specs.get("nodeCount", 0)) != expected["nodes"] or int(got.get("priority", 0)) != expected["priority"]:
                drift(
                    f"nodes in {region}",
                    f"{specs.get('nodeCount')} electable at priority {got.get('priority')}",
                    f"{expected['nodes']} at priority {expected['priority']}",
                )

    def _schedule(self, name: str, want: dict[str, Any]) -> None:
        live = api.get_group_cluster_backup_schedule(self.client, self.group_id, name)
        items = sorted(
            _policy_item(i["frequencyType"], i["frequencyInterval"], i["retentionUnit"], i["retentionValue"])
            for policy in live.get("policies") or []
            for i in policy.get("policyItems") or []
        )
        if items != want["items"]:
            self.add(
                "drifted",
                f"cluster {name}: backup schedule",
                f"Atlas takes {cell(items)}; the stack file declares {cell(want['items'])}",
                "`pulumi up` restores the declared schedule; a shorter retention in Atlas loses restore points",
            )
        if want["restoreWindowDays"] is not None and int(live.get("restoreWindowDays") or 0) != int(want["restoreWindowDays"]):
            self.add(
                "drifted",
                f"cluster {name}: point-in-time restore window",
                f"Atlas keeps {live.get('restoreWindowDays')} days; the stack file declares {int(want['restoreWindowDays'])}",
                "`pulumi up` restores the declared window",
            )

    def auditing(self) -> None:
        want = self.declared.auditing
        try:
            live = api.get_group_audit_log(self.client, self.group_id)
        except AtlasApiError as error:
            if error.status != 403:
                raise
            # Atlas's spec requires Project Owner to read the audit configuration: more than a read-only review holds.
            self.report.not_checked.append(
                "auditing: reading it needs Project Owner (getGroupAuditLog, x-rolesRequirements); the review's "
                "read-only identity holds less on purpose. `pulumi preview` shows its drift."
            )
            return
        self.report.checked.append("auditing")
        if want is None:
            return
        if bool(live.get("enabled")) != want["enabled"]:
            self.add(
                "drifted",
                "database auditing",
                f"auditing is {'on' if live.get('enabled') else 'off'} in Atlas; the stack file declares {'on' if want['enabled'] else 'off'}",
                "`pulumi up` restores it; without it there is no record of who changed users and roles",
            )
        elif (
            _json_or_text(live.get("auditFilter")) != want["filter"]
            or bool(live.get("auditAuthorizationSuccess")) != want["authorizationSuccess"]
        ):
            self.add(
                "drifted",
                "database auditing: filter",
                "the audit filter in Atlas differs from the one the stack file builds: some events may go unrecorded",
                "`pulumi up` restores the declared filter",
            )

    def alerts(self) -> None:
        live = api.list_group_alert_configs(self.client, self.group_id)
        self.report.checked.append(f"alert configurations: {len(live)} in Atlas, {len(self.declared.alerts)} declared")
        index: dict[tuple[Any, Any], list[dict[str, Any]]] = defaultdict(list)
        for alert in live:
            metric = (alert.get("metricThreshold") or {}).get("metricName")
            index[(alert.get("eventTypeName"), metric)].append(alert)
        for want in sorted(self.declared.alerts, key=lambda a: str(a["name"])):
            candidates = index.get((want["eventType"], want["metric"]), [])
            label = f"alert {want['eventType']}{' ' + want['metric'] if want['metric'] else ''}"
            if not candidates:
                self.add(
                    "missing",
                    label,
                    "part of the declared alert baseline, absent in Atlas: nobody is paged for it",
                    "`pulumi up` creates it",
                )
                continue
            matching = [
                a
                for a in candidates
                if bool(a.get("enabled")) == want["enabled"]
                and _threshold(a.get("metricThreshold") or a.get("threshold")) == want["threshold"]
            ]
            if not matching:
                got = candidates[0]
                self.add(
                    "drifted",
                    label,
                    f"Atlas has it {'enabled' if got.get('enabled') else 'disabled'} at "
                    f"{_threshold(got.get('metricThreshold') or got.get('threshold')) or 'no threshold'}; the stack file declares "
                    f"{'enabled' if want['enabled'] else 'disabled'} at {want['threshold'] or 'no threshold'}",
                    "`pulumi up` restores the declared alert",
                )

    # who connected, from where

    def access_history(self) -> None:
        if not self.settings.access_history:
            self.report.not_checked.append(
                "stale users and access-list entries, unexpected sources, failed sign-in spikes: `review.accessHistory` is false"
            )
            return
        if not self.declared.clusters:
            # Atlas keeps access history per cluster: with none declared there is nothing to read.
            self.report.not_checked.append(
                "stale users and access-list entries, unexpected sources, failed sign-in spikes: the stack declares no cluster"
            )
            return
        asked = timedelta(days=self.settings.stale_after_days)
        start = self.now - asked
        logs: list[dict[str, Any]] = []
        truncated = []
        for cluster in sorted(self.declared.clusters):
            body = api.get_group_db_access_history_cluster(
                self.client,
                self.group_id,
                cluster,
                start_ms=int(start.timestamp() * 1000),
                end_ms=int(self.now.timestamp() * 1000),
                n_logs=MAX_LOGS,
            )
            found = list(body.get("accessLogs") or [])
            if len(found) >= MAX_LOGS:
                truncated.append(cluster)
            logs += found
        moments = [when for when in (_when(entry) for entry in logs) if when is not None]
        seen_from = min(moments, default=None)
        if asked > ACCESS_HISTORY_RETENTION:
            self.report.window = (
                f"{self.settings.stale_after_days} days asked; Atlas keeps {ACCESS_HISTORY_RETENTION.days} days of access history, "
                f"so stale means no successful sign-in or connection in those {ACCESS_HISTORY_RETENTION.days} days"
            )
        else:
            self.report.window = f"the last {self.settings.stale_after_days} days"
        if seen_from is not None:
            self.report.window += f" (earliest entry read: {seen_from.isoformat()})"
        if truncated:
            self.report.window += (
                f"; {cell(truncated)} returned the {MAX_LOGS}-line maximum, so the oldest part of the window was not read"
            )
        self.report.checked.append(f"database access history: {len(logs)} authentication attempts over {self.report.window}")
        ok = [entry for entry in logs if entry.get("authResult") is True]
        self._stale_users(ok)
        self._unused_entries(ok)
        self._unexpected_sources(ok)
        self._spikes([entry for entry in logs if entry.get("authResult") is False])

    def _stale_users(self, ok: list[dict[str, Any]]) -> None:
        signed_in = {str(entry.get("username")) for entry in ok}
        for slots in self.settings.credentials:
            if slots & signed_in:
                signed_in |= slots
        skipped = []
        for (username, auth_db), user in sorted(self.live_users.items()):
            kind = _auth_kind(user, iam="awsIAMType")
            if kind.startswith(("OIDC", "LDAP")):
                # A group user never signs in under its own name: its members do.
                skipped.append(username)
                continue
            if username in self.settings.idle_allowed:
                continue
            if username in signed_in or f"CN={username}" in signed_in:
                continue
            self.add(
                "stale",
                f"database user {username} ({auth_db})",
                f"no successful sign-in over {self.report.window.split(' (')[0]}: an unused credential is one more to leak",
                "remove the user from `databaseUsers` (or in Atlas if unmanaged); if it is idle on purpose (break-glass), "
                "add its name to `review.idleAllowed`",
            )
        if skipped:
            self.report.not_checked.append(
                f"sign-ins of identity-provider group users {cell(skipped)}: Atlas logs their members, not the group"
            )

    def _unused_entries(self, ok: list[dict[str, Any]]) -> None:
        sources = [_address(entry) for entry in ok]
        for key, entry in sorted(self.live_entries.items()):
            if entry.get("awsSecurityGroup"):
                continue
            network = network_of(key)
            if not any(ip is not None and ip.version == network.version and ip in network for ip in sources):
                self.add(
                    "stale",
                    f"access-list entry {key} ({entry.get('comment') or 'no comment'})",
                    "no connection came from it in the window: an open door nobody uses (the guide: remove unused entries)",
                    "remove it from `network.accessList` (or in Atlas if unmanaged)",
                )

    def _unexpected_sources(self, ok: list[dict[str, Any]]) -> None:
        declared = [network_of(k) for k in self.declared.access_list if "/" in k]
        by_source: dict[str, Counter[str]] = defaultdict(Counter)
        for entry in ok:
            ip = _address(entry)
            if ip is None or any(ip in r for r in PRIVATE_RANGES if r.version == ip.version):
                continue
            if any(ip.version == n.version and ip in n for n in declared):
                continue
            by_source[str(ip)][str(entry.get("username"))] += 1
        for source, users in sorted(by_source.items()):
            self.add(
                "unexpected source",
                f"sign-ins from {source}",
                f"{sum(users.values())} successful sign-in(s) by {cell(sorted(users))} from an address outside the declared "
                "access list and the private ranges: an entry added by hand let them in, or credentials are used elsewhere",
                "find who owns the address; remove the entry that admits it, and rotate the users' credentials if it is unknown",
            )

    def _spikes(self, failed: list[dict[str, Any]]) -> None:
        window = timedelta(hours=self.settings.failed_within_hours)
        for field_name, label in (("username", "user"), ("ipAddress", "source")):
            times: dict[str, list[datetime]] = defaultdict(list)
            for entry in failed:
                when = _when(entry)
                if when is not None:
                    times[str(entry.get(field_name))].append(when)
            for who, moments in sorted(times.items()):
                peak = _peak(sorted(moments), window)
                if peak > self.settings.failed_threshold:
                    self.add(
                        "failed sign-in spike",
                        f"{label} {who}",
                        f"{peak} failed sign-ins within {self.settings.failed_within_hours} h (threshold "
                        f"{self.settings.failed_threshold}): password guessing, or an application with a revoked credential",
                        "check the source and the user's owner; block the source (access list) or rotate the credential",
                    )


def _when(entry: dict[str, Any]) -> datetime | None:
    value = entry.get("timestamp")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        try:
            # Atlas also writes e.g. "Mon Jan 06 10:00:00 GMT 2025" (Java's Date.toString).
            when = datetime.strptime(str(value), "%a %b %d %H:%M:%S %Z %Y").replace(tzinfo=UTC)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _address(entry: dict[str, Any]) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(str(entry.get("ipAddress")))
    except ValueError:
        return None


def _peak(moments: Sequence[datetime], window: timedelta) -> int:
    """The most of `moments` (sorted) within any period of length `window`."""
    best, low = 0, 0
    for high, moment in enumerate(moments):
        while moment - moments[low] > window:
            low += 1
        best = max(best, high - low + 1)
    return best


# --- Rendering ---


def render_markdown(report: Report) -> str:
    out = [f"# Live access review: {report.project} (stack {report.stack})", ""]
    if report.project_id:
        out.append(f"Atlas project id `{report.project_id}`. Compared with the stack file's offline plan.")
    if report.window:
        out.append(f"Access history: {report.window}.")
    out += ["", "## Findings", ""]
    if not report.findings:
        out.append("None: Atlas holds what the stack file declares.")
    else:
        counts = Counter(f.kind for f in report.findings)
        out.append(", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k]) + ".")
        out.append("")
        order = {k: i for i, k in enumerate(KINDS)}
        rows = sorted(report.findings, key=lambda f: (order.get(f.kind, 99), f.object))
        out += table(["Kind", "Atlas object", "Why it matters", "Fix"], [[f.kind, f.object, f.why, f.fix] for f in rows])
    out += ["", "## What was compared", ""] + [f"- {line}" for line in report.checked]
    if report.members_via_idp:
        out += ["", "Members whose project roles all come from declared identity-provider groups (not findings): "]
        out += [f"- {line}" for line in report.members_via_idp]
    if report.not_checked:
        out += ["", "## Not checked", ""] + [f"- {line}" for line in report.not_checked]
    return "\n".join(out) + "\n"


def render_json(report: Report) -> str:
    document = {
        "stack": report.stack,
        "project": report.project,
        "projectId": report.project_id,
        "window": report.window,
        "findings": [asdict(f) for f in report.findings],
        "checked": report.checked,
        "notChecked": report.not_checked,
        "membersViaIdentityProvider": report.members_via_idp,
        "exitCode": report.exit_code,
    }
    return json.dumps(document, indent=2) + "\n"


# --- Running it ---


def settings_from_config(cfg: StackConfig, plan: Plan) -> ReviewSettings:
    """The review's thresholds from a validated stack config; its defaults without a `review` section."""
    # Who shares a credential is the plan's own answer (its `databaseUserRotation` export).
    credentials = tuple(
        frozenset(str(name) for name in rotation.get("usernames") or [])
        for rotation in (plan.exports.get("databaseUserRotation") or {}).values()
    )
    if cfg.review is None:
        return ReviewSettings(credentials=credentials)
    usernames = plan.exports.get("databaseUsers") or {}
    return ReviewSettings(
        credentials=credentials,
        stale_after_days=cfg.review.stale_after_days,
        failed_threshold=cfg.review.failed_authentications.threshold,
        failed_within_hours=cfg.review.failed_authentications.within_hours,
        access_history=cfg.review.access_history,
        # The stack file names users by their databaseUsers key; Atlas by username (the plan's export).
        idle_allowed=frozenset(str(usernames.get(name, name)) for name in cfg.review.idle_allowed),
    )


def settings_for(stack: str, stack_file: Path | None, plan: Plan) -> ReviewSettings:
    """The stack file's `review` section, validated as the program validates it."""
    from stackconfig import load_stack_config
    from tests.harness.stackfile import engine_config, project_name

    values, secret_keys = engine_config(ROOT, stack, stack_file=stack_file)
    cfg = load_stack_config(values, namespace=project_name(ROOT), stack=stack, secret_keys=secret_keys)
    return settings_from_config(cfg, plan)


def review(plan: Plan, settings: ReviewSettings, client: AtlasClient, *, now: datetime | None = None) -> Report:
    declared = declared_from_plan(plan)
    report = Report(stack=plan.stack, project=declared.project_name)
    return Reviewer(client, declared, settings, report, now or datetime.now(UTC)).run()


@dataclass
class Outcome:
    """What a run ends in: the exit code, the report (None when Atlas could not be read) and the one error line."""

    code: int
    report: Report | None = None
    error: str = ""


def execute(
    plan: Plan,
    settings: ReviewSettings,
    environ: Mapping[str, str] | None = None,
    *,
    now: datetime | None = None,
    **client_options: Any,
) -> Outcome:
    """Review `plan`'s project with the credentials and base URL the environment names (the provider's variables)."""
    try:
        credentials = credentials_from_env(environ)
    except CredentialsMissing as error:
        return Outcome(2, error=f"review: could not read Atlas: {error}")
    try:
        with AtlasClient(credentials, base_url_from_env(environ), **client_options) as client:
            report = review(plan, settings, client, now=now)
    except AtlasApiError as error:
        if error.status == 404 and error.operation is not None and error.operation.operation_id == "getGroupByName":
            project = declared_from_plan(plan).project_name
            return Outcome(
                2,
                error=f"review: could not read Atlas: project {project!r} not found, or not visible to {credentials} "
                "(it needs Project Read Only on that project)",
            )
        return Outcome(2, error=f"review: could not read Atlas: {error.one_line()}")
    return Outcome(report.exit_code, report)


def main(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make review", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--stack-file", type=Path, help="read this stack file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--output", type=Path, help="write the Markdown here instead of stdout")
    parser.add_argument("--json", type=Path, help="also write the findings as JSON here")
    parser.add_argument("--now", help="review as of this ISO 8601 time (tests); default: now")
    args = parser.parse_args(argv)

    import pulumi

    from tests.harness.runner import run_stack

    try:
        plan = run_stack(args.stack, stack_file=args.stack_file)
        settings = settings_for(args.stack, args.stack_file, plan)
    except pulumi.RunError as error:
        print(f"review: could not read the stack file: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    outcome = execute(plan, settings, environ, now=datetime.fromisoformat(args.now) if args.now else None)
    if outcome.report is None:
        print(outcome.error, file=sys.stderr)
        return outcome.code
    markdown = render_markdown(outcome.report)
    if args.output:
        args.output.write_text(markdown)
    else:
        sys.stdout.write(markdown)
    if args.json:
        args.json.write_text(render_json(outcome.report))
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
