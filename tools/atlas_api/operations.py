"""The Atlas Administration API operations this repository calls: one function per operation.

Each function is named after the operation's `operationId` in Atlas's OpenAPI description
(`listGroupDatabaseUsers` -> `list_group_database_users`), takes the path parameters in the
spec's order, and returns the decoded JSON: a list operation pages to the end and returns every
item of `results`. `OPERATIONS` is the table the functions read: method, path, the versioned media
type (`application/vnd.atlas.<version>+json`, the newest the vendored spec offers that has no
sunset date) and the roles the spec says the operation needs (`x-rolesRequirements`), which the
client quotes when Atlas answers 403. tests/test_atlas_api.py holds every row to the vendored spec
(tools/atlas_api/spec/atlas-admin-v2.json).

To add an operation: add its row to `OPERATIONS` and its function below, re-cut the vendored spec
(`python -m tools.atlas_api.vendor_spec <full v2.yaml>`, tools/atlas_api/spec/README.md), and serve
it in a scenario (tests/harness/atlas_server.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AtlasClient


@dataclass(frozen=True)
class Operation:
    """One operation of the Admin API as its spec describes it."""

    operation_id: str
    method: str
    path: str
    """Below /api/atlas/v2, with the spec's `{parameter}` placeholders."""
    version: str
    """The date of the media type the client asks for: `application/vnd.atlas.<version>+json`."""
    paged: bool = False
    """Takes `pageNum`/`itemsPerPage` and answers `{results, totalCount, links}`: `AtlasClient.list` pages it."""
    roles: tuple[str, ...] = ()
    """Any of these project or organization roles suffices (the spec's `x-rolesRequirements`)."""

    @property
    def media_type(self) -> str:
        return f"application/vnd.atlas.{self.version}+json"


READ_ONLY = ("Project Read Only",)
OWNER = ("Project Owner",)
ORG_OWNER = ("Organization Owner",)

_ROWS = [
    # The project and its settings.
    Operation("getGroupByName", "GET", "/groups/byName/{groupName}", "2023-01-01"),
    Operation("getGroup", "GET", "/groups/{groupId}", "2023-01-01", roles=READ_ONLY),
    Operation("getGroupSettings", "GET", "/groups/{groupId}/settings", "2023-01-01", roles=READ_ONLY),
    Operation("getGroupMaintenanceWindow", "GET", "/groups/{groupId}/maintenanceWindow", "2023-01-01", roles=READ_ONLY),
    # Who may act on the project: members, teams, API keys, service accounts.
    Operation("listGroupUsers", "GET", "/groups/{groupId}/users", "2025-02-19", paged=True, roles=READ_ONLY),
    Operation("listGroupTeams", "GET", "/groups/{groupId}/teams", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation("getOrgTeam", "GET", "/orgs/{orgId}/teams/{teamId}", "2023-01-01", roles=("Organization Member",)),
    Operation("listGroupApiKeys", "GET", "/groups/{groupId}/apiKeys", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation("listGroupServiceAccounts", "GET", "/groups/{groupId}/serviceAccounts", "2024-08-05", paged=True, roles=READ_ONLY),
    Operation(
        "listGroupServiceAccountAccessList",
        "GET",
        "/groups/{groupId}/serviceAccounts/{clientId}/accessList",
        "2024-08-05",
        paged=True,
        roles=READ_ONLY,
    ),
    # Who may connect, and as whom.
    Operation("listGroupAccessListEntries", "GET", "/groups/{groupId}/accessList", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation(
        "listGroupPrivateEndpointEndpointService",
        "GET",
        "/groups/{groupId}/privateEndpoint/{cloudProvider}/endpointService",
        "2023-01-01",
        roles=READ_ONLY,
    ),
    Operation(
        "getGroupPrivateEndpointEndpointServiceEndpoint",
        "GET",
        "/groups/{groupId}/privateEndpoint/{cloudProvider}/endpointService/{endpointServiceId}/endpoint/{endpointId}",
        "2023-01-01",
        roles=READ_ONLY,
    ),
    Operation("listGroupDatabaseUsers", "GET", "/groups/{groupId}/databaseUsers", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation("listGroupCustomDbRoleRoles", "GET", "/groups/{groupId}/customDBRoles/roles", "2023-01-01", roles=READ_ONLY),
    Operation(
        "getGroupDbAccessHistoryCluster",
        "GET",
        "/groups/{groupId}/dbAccessHistory/clusters/{clusterName}",
        "2023-01-01",
        roles=("Project Cluster Log Viewer", "Project Database Access Admin"),
    ),
    # The cluster and what protects it.
    Operation("listGroupClusters", "GET", "/groups/{groupId}/clusters", "2024-08-05", paged=True, roles=READ_ONLY),
    Operation("getGroupCluster", "GET", "/groups/{groupId}/clusters/{clusterName}", "2024-08-05", roles=READ_ONLY),
    Operation(
        "getGroupClusterProcessArgs", "GET", "/groups/{groupId}/clusters/{clusterName}/processArgs", "2024-08-05", roles=READ_ONLY
    ),
    Operation(
        "getGroupClusterBackupSchedule",
        "GET",
        "/groups/{groupId}/clusters/{clusterName}/backup/schedule",
        "2024-08-05",
        roles=READ_ONLY,
    ),
    Operation("getGroupEncryptionAtRest", "GET", "/groups/{groupId}/encryptionAtRest", "2023-01-01", roles=READ_ONLY),
    Operation(
        "listGroupEncryptionAtRestPrivateEndpoints",
        "GET",
        "/groups/{groupId}/encryptionAtRest/{cloudProvider}/privateEndpoints",
        "2023-01-01",
        paged=True,
        roles=OWNER,
    ),
    Operation("getGroupBackupCompliancePolicy", "GET", "/groups/{groupId}/backupCompliancePolicy", "2023-10-01", roles=OWNER),
    Operation("listGroupCloudProviderAccess", "GET", "/groups/{groupId}/cloudProviderAccess", "2023-01-01", roles=READ_ONLY),
    Operation("getGroupAuditLog", "GET", "/groups/{groupId}/auditLog", "2023-01-01", roles=OWNER),
    # Operations: alerts and integrations.
    Operation("listGroupAlertConfigs", "GET", "/groups/{groupId}/alertConfigs", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation("listGroupIntegrations", "GET", "/groups/{groupId}/integrations", "2023-01-01", paged=True, roles=READ_ONLY),
    Operation("listGroupLogIntegrations", "GET", "/groups/{groupId}/logIntegrations", "2025-03-12", paged=True, roles=OWNER),
    # Federation: the organization's identity providers and their role mappings (organization owners only).
    Operation("getOrgFederationSettings", "GET", "/orgs/{orgId}/federationSettings", "2023-01-01", roles=ORG_OWNER),
    Operation(
        "getFederationSettingConnectedOrgConfig",
        "GET",
        "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
        "2023-01-01",
        roles=ORG_OWNER,
    ),
    Operation(
        "listFederationSettingConnectedOrgConfigRoleMappings",
        "GET",
        "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
        "2023-01-01",
        roles=ORG_OWNER,
    ),
    Operation(
        "listFederationSettingIdentityProviders",
        "GET",
        "/federationSettings/{federationSettingsId}/identityProviders",
        "2023-01-01",
        paged=True,
        roles=ORG_OWNER,
    ),
]
OPERATIONS: dict[str, Operation] = {op.operation_id: op for op in _ROWS}


def _op(operation_id: str) -> Operation:
    return OPERATIONS[operation_id]


def _object(body: Any) -> dict[str, Any]:
    """A JSON object answer; Atlas's spec promises one for every operation that uses this."""
    if not isinstance(body, dict):
        raise TypeError(f"expected a JSON object from Atlas, got {type(body).__name__}")
    return body


# --- The project and its settings ---


def get_group_by_name(client: AtlasClient, group_name: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupByName"), groupName=group_name))


def get_group(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroup"), groupId=group_id))


def get_group_settings(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupSettings"), groupId=group_id))


def get_group_maintenance_window(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupMaintenanceWindow"), groupId=group_id))


# --- Who may act on the project ---


def list_group_users(client: AtlasClient, group_id: str, *, flatten_teams: bool = False) -> list[dict[str, Any]]:
    """Project members: active and pending. Without `flatten_teams`, only those with roles of their own."""
    return client.list(_op("listGroupUsers"), query={"flattenTeams": flatten_teams}, groupId=group_id)


def list_group_teams(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupTeams"), groupId=group_id)


def get_org_team(client: AtlasClient, org_id: str, team_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getOrgTeam"), orgId=org_id, teamId=team_id))


def list_group_api_keys(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupApiKeys"), groupId=group_id)


def list_group_service_accounts(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupServiceAccounts"), groupId=group_id)


def list_group_service_account_access_list(client: AtlasClient, group_id: str, client_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupServiceAccountAccessList"), groupId=group_id, clientId=client_id)


# --- Who may connect, and as whom ---


def list_group_access_list_entries(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupAccessListEntries"), groupId=group_id)


def list_group_private_endpoint_endpoint_service(
    client: AtlasClient, group_id: str, cloud_provider: str = "AWS"
) -> list[dict[str, Any]]:
    """The project's private endpoint services (one per region), each with its interface endpoints' ids."""
    return list(client.call(_op("listGroupPrivateEndpointEndpointService"), groupId=group_id, cloudProvider=cloud_provider))


def get_group_private_endpoint_endpoint_service_endpoint(
    client: AtlasClient, group_id: str, cloud_provider: str, endpoint_service_id: str, endpoint_id: str
) -> dict[str, Any]:
    return _object(
        client.call(
            _op("getGroupPrivateEndpointEndpointServiceEndpoint"),
            groupId=group_id,
            cloudProvider=cloud_provider,
            endpointServiceId=endpoint_service_id,
            endpointId=endpoint_id,
        )
    )


def list_group_database_users(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupDatabaseUsers"), groupId=group_id)


def list_group_custom_db_role_roles(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return list(client.call(_op("listGroupCustomDbRoleRoles"), groupId=group_id))


def get_group_db_access_history_cluster(
    client: AtlasClient, group_id: str, cluster_name: str, *, start_ms: int, end_ms: int, n_logs: int = 20000
) -> dict[str, Any]:
    """Authentication attempts against the cluster from `start_ms` to `end_ms` (epoch milliseconds), newest first."""
    return _object(
        client.call(
            _op("getGroupDbAccessHistoryCluster"),
            query={"start": start_ms, "end": end_ms, "nLogs": n_logs},
            groupId=group_id,
            clusterName=cluster_name,
        )
    )


# --- The cluster and what protects it ---


def list_group_clusters(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupClusters"), groupId=group_id)


def get_group_cluster(client: AtlasClient, group_id: str, cluster_name: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupCluster"), groupId=group_id, clusterName=cluster_name))


def get_group_cluster_process_args(client: AtlasClient, group_id: str, cluster_name: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupClusterProcessArgs"), groupId=group_id, clusterName=cluster_name))


def get_group_cluster_backup_schedule(client: AtlasClient, group_id: str, cluster_name: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupClusterBackupSchedule"), groupId=group_id, clusterName=cluster_name))


def get_group_encryption_at_rest(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupEncryptionAtRest"), groupId=group_id))


def list_group_encryption_at_rest_private_endpoints(
    client: AtlasClient, group_id: str, cloud_provider: str = "AWS"
) -> list[dict[str, Any]]:
    """The private endpoints Atlas runs to reach the customer's KMS key (one per region)."""
    return client.list(_op("listGroupEncryptionAtRestPrivateEndpoints"), groupId=group_id, cloudProvider=cloud_provider)


def get_group_backup_compliance_policy(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupBackupCompliancePolicy"), groupId=group_id))


def list_group_cloud_provider_access(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("listGroupCloudProviderAccess"), groupId=group_id))


def get_group_audit_log(client: AtlasClient, group_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getGroupAuditLog"), groupId=group_id))


# --- Alerts and integrations ---


def list_group_alert_configs(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupAlertConfigs"), groupId=group_id)


def list_group_integrations(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listGroupIntegrations"), groupId=group_id)


def list_group_log_integrations(client: AtlasClient, group_id: str) -> list[dict[str, Any]]:
    """Log exports Atlas pushes to the customer's buckets (S3 and others)."""
    return client.list(_op("listGroupLogIntegrations"), groupId=group_id)


# --- Federation ---


def get_org_federation_settings(client: AtlasClient, org_id: str) -> dict[str, Any]:
    return _object(client.call(_op("getOrgFederationSettings"), orgId=org_id))


def get_federation_setting_connected_org_config(client: AtlasClient, federation_settings_id: str, org_id: str) -> dict[str, Any]:
    return _object(
        client.call(_op("getFederationSettingConnectedOrgConfig"), federationSettingsId=federation_settings_id, orgId=org_id)
    )


def list_federation_setting_connected_org_config_role_mappings(
    client: AtlasClient, federation_settings_id: str, org_id: str
) -> list[dict[str, Any]]:
    # One answer with `results` and no paging parameters in the spec.
    body = client.call(
        _op("listFederationSettingConnectedOrgConfigRoleMappings"), federationSettingsId=federation_settings_id, orgId=org_id
    )
    return list(body.get("results") or [])


def list_federation_setting_identity_providers(client: AtlasClient, federation_settings_id: str) -> list[dict[str, Any]]:
    return client.list(_op("listFederationSettingIdentityProviders"), federationSettingsId=federation_settings_id)
