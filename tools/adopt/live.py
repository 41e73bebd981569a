"""Read a live Atlas project through the Admin API client, read-only: everything adoption needs, as Atlas answers it.

Every read goes through `tools.atlas_api` (credentials, paging, retries and errors live there). A read
the project itself needs (settings, users, the cluster, auditing...) that fails ends the run: adoption
writes nothing it could not read. The organization-level reads (team names, identity-provider group
mappings) are optional: the identity may be a project owner only, and what they would add is then said
in the run's list instead (`LiveProject.unread`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tools.atlas_api import AtlasApiError, AtlasClient
from tools.atlas_api import operations as api

PROJECT_ID = re.compile(r"[0-9a-f]{24}")


@dataclass
class LiveProject:
    """The project as Atlas answered: each field holds the response bodies (spec shapes) of its reads."""

    group: dict[str, Any]
    settings: dict[str, Any]
    teams: list[dict[str, Any]]
    team_names: dict[str, str]
    """teamId -> the team's name, for those the identity may read (organization member)."""
    clusters: list[dict[str, Any]]
    process_args: dict[str, dict[str, Any]]
    """Cluster name -> its process arguments (read for the cluster adoption takes)."""
    backup_schedules: dict[str, dict[str, Any]]
    """Cluster name -> its backup schedule (read for the cluster adoption takes, when it has backups)."""
    maintenance_window: dict[str, Any]
    encryption_at_rest: dict[str, Any]
    cloud_provider_access: dict[str, Any]
    kms_private_endpoints: list[dict[str, Any]]
    compliance_policy: dict[str, Any] | None
    access_list: list[dict[str, Any]]
    endpoint_services: list[dict[str, Any]]
    interface_endpoints: dict[str, dict[str, Any]]
    """Interface endpoint id (vpce-...) -> Atlas's view of it (connection status)."""
    database_users: list[dict[str, Any]]
    custom_roles: list[dict[str, Any]]
    alert_configs: list[dict[str, Any]]
    integrations: list[dict[str, Any]]
    log_integrations: list[dict[str, Any]]
    audit_log: dict[str, Any]
    members: list[dict[str, Any]]
    api_keys: list[dict[str, Any]]
    service_accounts: list[dict[str, Any]]
    federation_settings_id: str | None = None
    role_mappings: list[dict[str, Any]] = field(default_factory=list)
    unread: list[tuple[str, str]] = field(default_factory=list)
    """(what, why) for each optional read that Atlas refused."""

    @property
    def project_id(self) -> str:
        return str(self.group["id"])

    @property
    def org_id(self) -> str:
        return str(self.group["orgId"])


def _optional(live_unread: list[tuple[str, str]], what: str, read: Any, default: Any) -> Any:
    """The answer of an organization-level read, or `default` with the reason when Atlas refuses it (401/403)."""
    try:
        return read()
    except AtlasApiError as error:
        if error.status in (401, 403):
            live_unread.append((what, error.one_line()))
            return default
        if error.status == 404:
            return default
        raise


class NoSuchCluster(Exception):
    """The cluster named to adopt is not in the project."""


def read_project(client: AtlasClient, project: str, cluster: str | None = None) -> LiveProject:
    """Everything adoption reads of `project` (its name, or its 24-hex id), read-only. The process arguments
    and backup schedule are read for `cluster`, or for every dedicated AWS cluster when none is named."""
    group = api.get_group(client, project) if PROJECT_ID.fullmatch(project) else api.get_group_by_name(client, project)
    group_id = str(group["id"])
    unread: list[tuple[str, str]] = []
    teams = api.list_group_teams(client, group_id)
    team_names: dict[str, str] = {}
    for team in teams:
        team_id = str(team["teamId"])
        answer = _optional(
            unread,
            f"the name of team {team_id}",
            lambda team_id=team_id: api.get_org_team(client, str(group["orgId"]), team_id),
            None,
        )
        if answer is not None:
            team_names[str(team["teamId"])] = str(answer.get("name") or "")
    clusters = api.list_group_clusters(client, group_id)
    if cluster is not None and not any(c.get("name") == cluster for c in clusters):
        names = ", ".join(sorted(str(c.get("name")) for c in clusters)) or "none"
        raise NoSuchCluster(f"project {group['name']} has no cluster {cluster!r} (its clusters: {names})")
    process_args: dict[str, dict[str, Any]] = {}
    schedules: dict[str, dict[str, Any]] = {}
    for candidate in clusters:
        name = str(candidate["name"])
        if (cluster is not None and name != cluster) or not dedicated_aws(candidate):
            continue
        process_args[name] = api.get_group_cluster_process_args(client, group_id, name)
        if candidate.get("backupEnabled"):
            schedules[name] = api.get_group_cluster_backup_schedule(client, group_id, name)
    encryption = api.get_group_encryption_at_rest(client, group_id)
    aws_kms = encryption.get("awsKms") or {}
    kms_endpoints = (
        api.list_group_encryption_at_rest_private_endpoints(client, group_id, "AWS")
        if aws_kms.get("enabled") and aws_kms.get("requirePrivateNetworking")
        else []
    )
    services = api.list_group_private_endpoint_endpoint_service(client, group_id, "AWS")
    interface_endpoints = {
        str(endpoint_id): api.get_group_private_endpoint_endpoint_service_endpoint(
            client, group_id, "AWS", str(service["id"]), str(endpoint_id)
        )
        for service in services
        for endpoint_id in service.get("interfaceEndpoints") or []
    }
    live = LiveProject(
        group=group,
        settings=api.get_group_settings(client, group_id),
        teams=teams,
        team_names=team_names,
        clusters=clusters,
        process_args=process_args,
        backup_schedules=schedules,
        maintenance_window=api.get_group_maintenance_window(client, group_id),
        encryption_at_rest=encryption,
        cloud_provider_access=api.list_group_cloud_provider_access(client, group_id),
        kms_private_endpoints=kms_endpoints,
        compliance_policy=_compliance_policy(client, group_id),
        access_list=api.list_group_access_list_entries(client, group_id),
        endpoint_services=services,
        interface_endpoints=interface_endpoints,
        database_users=api.list_group_database_users(client, group_id),
        custom_roles=api.list_group_custom_db_role_roles(client, group_id),
        alert_configs=api.list_group_alert_configs(client, group_id),
        integrations=api.list_group_integrations(client, group_id),
        log_integrations=api.list_group_log_integrations(client, group_id),
        audit_log=api.get_group_audit_log(client, group_id),
        members=api.list_group_users(client, group_id),
        api_keys=api.list_group_api_keys(client, group_id),
        service_accounts=api.list_group_service_accounts(client, group_id),
        unread=unread,
    )
    _read_federation(client, live)
    return live


def _compliance_policy(client: AtlasClient, group_id: str) -> dict[str, Any] | None:
    """The project's Backup Compliance Policy; None when it has none (Atlas answers 404 then)."""
    try:
        return api.get_group_backup_compliance_policy(client, group_id)
    except AtlasApiError as error:
        if error.status == 404:
            return None
        raise


def _read_federation(client: AtlasClient, live: LiveProject) -> None:
    """The organization's federation and its role mappings (organization owners only: optional)."""
    settings = _optional(
        live.unread,
        "identity-provider group mappings",
        lambda: api.get_org_federation_settings(client, live.org_id),
        None,
    )
    if not settings:
        return
    live.federation_settings_id = str(settings["id"])
    live.role_mappings = _optional(
        live.unread,
        "identity-provider group mappings",
        lambda: api.list_federation_setting_connected_org_config_role_mappings(client, str(settings["id"]), live.org_id),
        [],
    )


def kms_role(live: LiveProject) -> dict[str, Any] | None:
    """The AWS IAM role Atlas assumes to use the project's customer key. Atlas does not return
    `awsKms.roleId` (write-only in the spec's AWSKMSConfiguration); the role says what it serves in its
    `featureUsages` (CloudProviderAccessFeatureUsage, featureType ENCRYPTION_AT_REST)."""
    roles = live.cloud_provider_access.get("awsIamRoles") or []
    role_id = (live.encryption_at_rest.get("awsKms") or {}).get("roleId")
    return next(
        (
            r
            for r in roles
            if r.get("roleId") == role_id
            or any(u.get("featureType") == "ENCRYPTION_AT_REST" for u in r.get("featureUsages") or [])
        ),
        None,
    )


def dedicated_aws(cluster: dict[str, Any]) -> bool:
    """A dedicated cluster whose every node is on AWS: the only kind this program builds."""
    configs = [c for spec in cluster.get("replicationSpecs") or [] for c in spec.get("regionConfigs") or []]
    return bool(configs) and all(c.get("providerName") == "AWS" for c in configs)
