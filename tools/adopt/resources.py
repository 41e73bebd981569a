"""What adoption knows about each resource type the program registers, one row per type:
- which Atlas object a registration stands for (found by what the program sends: a username, a region...);
- its import id, in the format the provider's docs give (`docs/resources/<type>.md`, "Import", at
  terraform-provider-mongodbatlas v2.16.0, the release pulumi-mongodbatlas 4.14.0 bridges; the AWS ids
  from pulumi-aws 7.51.1's own docstrings, `## Import`);
- what `pulumi import` puts in the state for it: the provider's Read of the Atlas object (the file each
  view follows is named in its row), as the program's inputs would name it.

`differences` then compares, for each imported resource, the program's inputs with that state, the way the
provider's diff would: an input the program leaves out keeps Atlas's value when the provider computes it
(Optional + Computed), takes its default when the schema has one, and is cleared otherwise. Every
difference is a change the first `pulumi up` would make; none means the first `pulumi up` leaves the
resource as Atlas has it. Inputs Atlas does not hold (a password, a provider-side setting) are never
compared; the run lists them (`not_in_atlas`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from atlas_platform.components.facts import atlas_region_name
from tests.harness.mocks import Registration
from tests.harness.runner import Plan
from tools import replacements

from .generate import VpcDetails, entry_source
from .live import LiveProject, kms_role

PROJECT = "mongodbatlas:index/project:Project"
TEAM = "mongodbatlas:index/teamProjectAssignment:TeamProjectAssignment"
ROLE_MAPPING = "mongodbatlas:index/federatedSettingsOrgRoleMapping:FederatedSettingsOrgRoleMapping"
CLUSTER = "mongodbatlas:index/advancedCluster:AdvancedCluster"
SCHEDULE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule"
MAINTENANCE = "mongodbatlas:index/maintenanceWindow:MaintenanceWindow"
ENCRYPTION = "mongodbatlas:index/encryptionAtRest:EncryptionAtRest"
ACCESS_SETUP = "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup"
KMS_ROLE = "aws:iam/role:Role"
KMS_ENDPOINT = "mongodbatlas:index/encryptionAtRestPrivateEndpoint:EncryptionAtRestPrivateEndpoint"
ACCESS_LIST = "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"
PRIVATE_LINK = "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PRIVATE_LINK_SERVICE = "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService"
DATABASE_USER = "mongodbatlas:index/databaseUser:DatabaseUser"
CUSTOM_ROLE = "mongodbatlas:index/customDbRole:CustomDbRole"
ALERT = "mongodbatlas:index/alertConfiguration:AlertConfiguration"
INTEGRATION = "mongodbatlas:index/thirdPartyIntegration:ThirdPartyIntegration"
AUDITING = "mongodbatlas:index/auditing:Auditing"
KMS_COMPONENT = "atlas-platform:index:AtlasKmsEncryption"

MISSING: Any = object()


@dataclass(frozen=True)
class Found:
    """The Atlas (or AWS) object a registration stands for, and what importing it puts in the state."""

    import_id: str
    view: dict[str, Any]
    """The state's inputs after `pulumi import`, as the provider's Read sets them (program input names)."""
    identity: tuple[str, str]
    """(collection, identity) of the object, as `Generated.skipped` names it."""
    aws_side: bool = False
    """An AWS resource: imported by its id, its values are AWS's and not compared here."""
    substitutions: dict[str, str] = field(default_factory=dict)
    """Mock output -> live value: the registration's outputs other resources take as inputs."""


@dataclass(frozen=True)
class Rule:
    token: str
    collection: str
    import_doc: str
    """Where the import id's format is documented."""
    source: str
    """The provider file whose Read the view follows."""
    find: Callable[[Registration, Context], Found | None]
    computed: frozenset[str] = frozenset()
    """Input paths (`a.b`, lists as `a[].b`) the provider computes: left out, Atlas's value stays."""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    """Input paths with a schema default: left out, the default is sent."""
    sets: frozenset[str] = frozenset()
    """List inputs the provider keeps as sets (order means nothing)."""
    not_in_atlas: Mapping[str, str] = field(default_factory=dict)
    """Inputs Atlas does not hold, never compared, with why."""
    zero_is_unset: bool = False
    """A terraform-plugin-sdk (v2) resource: an unset primitive equals its zero value (false, 0, "")."""


@dataclass
class Context:
    live: LiveProject
    plan: Plan
    aws: Mapping[str, VpcDetails]
    subst: dict[str, str] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    """Atlas objects already the import of a registration (alerts alike in every compared value)."""
    skipped: frozenset[tuple[str, str]] = frozenset()
    """Objects the stack file leaves out (`Generated.skipped`): never the import of a registration."""

    @property
    def project_id(self) -> str:
        return self.live.project_id


def mock_id(registration: Registration) -> str:
    return registration.id


def _tags(items: Any) -> dict[str, str]:
    return {str(t["key"]): str(t["value"]) for t in items or []}


# --- Project, teams, identity-provider groups ---


def _project(reg: Registration, ctx: Context) -> Found | None:
    live = ctx.live
    group, settings = live.group, live.settings
    view = {
        "orgId": group["orgId"],
        "name": group["name"],
        "tags": _tags(group.get("tags")),
        "withDefaultAlertsSettings": group.get("withDefaultAlertsSettings"),
        "regionUsageRestrictions": group.get("regionUsageRestrictions"),
        "isCollectDatabaseSpecificsStatisticsEnabled": settings.get("isCollectDatabaseSpecificsStatisticsEnabled"),
        "isDataExplorerEnabled": settings.get("isDataExplorerEnabled"),
        "isDataExplorerGenAiFeaturesEnabled": settings.get("isDataExplorerGenAIFeaturesEnabled"),
        "isDataExplorerGenAiSampleDocumentPassingEnabled": settings.get("isDataExplorerGenAISampleDocumentPassingEnabled"),
        "isExtendedStorageSizesEnabled": settings.get("isExtendedStorageSizesEnabled"),
        "isPerformanceAdvisorEnabled": settings.get("isPerformanceAdvisorEnabled"),
        "isRealtimePerformancePanelEnabled": settings.get("isRealtimePerformancePanelEnabled"),
        "isSchemaAdvisorEnabled": settings.get("isSchemaAdvisorEnabled"),
    }
    return Found(live.project_id, view, ("projects", live.project_id), substitutions={mock_id(reg): live.project_id})


def _team(reg: Registration, ctx: Context) -> Found | None:
    team = next((t for t in ctx.live.teams if t["teamId"] == reg.inputs.get("teamId")), None)
    if team is None:
        return None
    view = {"projectId": ctx.project_id, "teamId": team["teamId"], "roleNames": list(team.get("roleNames") or [])}
    return Found(f"{ctx.project_id}/{team['teamId']}", view, ("teams", str(team["teamId"])))


def _role_mapping(reg: Registration, ctx: Context) -> Found | None:
    mapping = next((m for m in ctx.live.role_mappings if m.get("externalGroupName") == reg.inputs.get("externalGroupName")), None)
    if mapping is None or ctx.live.federation_settings_id is None:
        return None
    grouped: dict[tuple[str, str], list[str]] = {}
    for assignment in mapping.get("roleAssignments") or []:
        target = ("groupId", assignment["groupId"]) if assignment.get("groupId") else ("orgId", assignment.get("orgId"))
        grouped.setdefault((target[0], str(target[1])), []).append(str(assignment.get("role")))
    view = {
        "federationSettingsId": ctx.live.federation_settings_id,
        "orgId": ctx.live.org_id,
        "externalGroupName": mapping["externalGroupName"],
        "roleAssignments": [{key: value, "roles": roles} for (key, value), roles in grouped.items()],
    }
    import_id = f"{ctx.live.federation_settings_id}-{ctx.live.org_id}-{mapping['id']}"
    return Found(import_id, view, ("role mappings", str(mapping["externalGroupName"])))


# --- The cluster, its schedule and maintenance window ---


def _spec_view(spec: Mapping[str, Any]) -> dict[str, Any]:
    def hardware(kind: str) -> dict[str, Any] | Any:
        value = spec.get(kind)
        return {"instanceSize": value.get("instanceSize"), "nodeCount": value.get("nodeCount")} if value else MISSING

    scaling = spec.get("autoScaling") or {}
    compute, disk = scaling.get("compute") or {}, scaling.get("diskGB") or {}
    view = {
        "providerName": spec.get("providerName"),
        "regionName": spec.get("regionName"),
        "priority": spec.get("priority"),
        "electableSpecs": hardware("electableSpecs"),
        "readOnlySpecs": hardware("readOnlySpecs"),
        "analyticsSpecs": hardware("analyticsSpecs"),
        "autoScaling": {
            "diskGbEnabled": disk.get("enabled"),
            "computeEnabled": compute.get("enabled"),
            "computeScaleDownEnabled": compute.get("scaleDownEnabled"),
            "computeMaxInstanceSize": compute.get("maxInstanceSize"),
            "computeMinInstanceSize": compute.get("minInstanceSize"),
        },
    }
    return {k: v for k, v in view.items() if v is not MISSING}


def _cluster(reg: Registration, ctx: Context) -> Found | None:
    cluster = next((c for c in ctx.live.clusters if c.get("name") == reg.inputs.get("name")), None)
    if cluster is None:
        return None
    name = str(cluster["name"])
    args = ctx.live.process_args.get(name) or cluster.get("advancedConfiguration") or {}
    specs = cluster.get("replicationSpecs") or []
    view = {
        "projectId": ctx.project_id,
        "name": name,
        "clusterType": cluster.get("clusterType"),
        "mongoDbMajorVersion": cluster.get("mongoDBMajorVersion"),
        "backupEnabled": cluster.get("backupEnabled"),
        "pitEnabled": cluster.get("pitEnabled"),
        "terminationProtectionEnabled": cluster.get("terminationProtectionEnabled"),
        "encryptionAtRestProvider": cluster.get("encryptionAtRestProvider"),
        "redactClientLogData": cluster.get("redactClientLogData"),
        "tags": _tags(cluster.get("tags")),
        "advancedConfiguration": {"minimumEnabledTlsProtocol": args.get("minimumEnabledTlsProtocol")},
        "replicationSpecs": [{"regionConfigs": [_spec_view(c) for c in s.get("regionConfigs") or []]} for s in specs],
    }
    mock_specs = reg.outputs.get("replicationSpecs") or []
    subst = {
        str(mock.get("zoneId")): str(live.get("zoneId"))
        for mock, live in zip(mock_specs, specs, strict=False)
        if mock.get("zoneId") and live.get("zoneId")
    }
    return Found(f"{ctx.project_id}-{name}", view, ("clusters", name), substitutions=subst)


def _policy_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ("frequencyInterval", "retentionUnit", "retentionValue") if k in item}


def _schedule(reg: Registration, ctx: Context) -> Found | None:
    name = str(reg.inputs.get("clusterName"))
    schedule = ctx.live.backup_schedules.get(name)
    if schedule is None:
        return None
    items = [i for p in schedule.get("policies") or [] for i in p.get("policyItems") or []]

    def of(frequency: str) -> list[dict[str, Any]]:
        return [_policy_item(i) for i in items if i.get("frequencyType") == frequency]

    hourly, daily = of("hourly"), of("daily")
    view: dict[str, Any] = {
        "projectId": ctx.project_id,
        "clusterName": name,
        "referenceHourOfDay": schedule.get("referenceHourOfDay"),
        "referenceMinuteOfHour": schedule.get("referenceMinuteOfHour"),
        "restoreWindowDays": schedule.get("restoreWindowDays"),
        "policyItemHourly": hourly[0] if hourly else MISSING,
        "policyItemDaily": daily[0] if daily else MISSING,
        "policyItemWeeklies": of("weekly"),
        "policyItemMonthlies": of("monthly"),
        "policyItemYearlies": of("yearly"),
        "autoExportEnabled": schedule.get("autoExportEnabled"),
        "useOrgAndGroupNamesInExportPrefix": schedule.get("useOrgAndGroupNamesInExportPrefix"),
        "copySettings": [
            {
                "cloudProvider": c.get("cloudProvider"),
                "regionName": c.get("regionName"),
                "zoneId": c.get("zoneId"),
                "shouldCopyOplogs": c.get("shouldCopyOplogs"),
                "frequencies": list(c.get("frequencies") or []),
            }
            for c in schedule.get("copySettings") or []
        ],
    }
    export = schedule.get("export") or {}
    if schedule.get("autoExportEnabled") and export:
        view["export"] = {"exportBucketId": export.get("exportBucketId"), "frequencyType": export.get("frequencyType")}
    return Found(f"{ctx.project_id}-{name}", {k: v for k, v in view.items() if v is not MISSING}, ("backup schedules", name))


def _maintenance(reg: Registration, ctx: Context) -> Found | None:
    window = ctx.live.maintenance_window
    protected = window.get("protectedHours") or {}
    view: dict[str, Any] = {
        "projectId": ctx.project_id,
        "dayOfWeek": window.get("dayOfWeek"),
        "hourOfDay": window.get("hourOfDay"),
        "autoDeferOnceEnabled": window.get("autoDeferOnceEnabled"),
    }
    if protected:
        view["protectedHours"] = {
            "startHourOfDay": protected.get("startHourOfDay"),
            "endHourOfDay": protected.get("endHourOfDay"),
        }
    return Found(ctx.project_id, view, ("maintenance windows", ctx.project_id))


# --- Encryption at rest with the customer's key ---


def _kms(ctx: Context) -> dict[str, Any]:
    return dict(ctx.live.encryption_at_rest.get("awsKms") or {})


def _kms_role(ctx: Context) -> dict[str, Any] | None:
    return kms_role(ctx.live)


def _within_kms(reg: Registration, ctx: Context) -> bool:
    parent = next((r for r in ctx.plan.resources if r.urn == reg.parent), None)
    return parent is not None and parent.type == KMS_COMPONENT


def _encryption(reg: Registration, ctx: Context) -> Found | None:
    kms = _kms(ctx)
    if not kms.get("enabled"):
        return None
    view = {
        "projectId": ctx.project_id,
        "enabledForSearchNodes": bool(ctx.live.encryption_at_rest.get("enabledForSearchNodes")),
        "awsKmsConfig": {
            "enabled": kms.get("enabled"),
            "customerMasterKeyId": kms.get("customerMasterKeyID"),
            "region": kms.get("region"),
            # Write-only in Atlas's spec (AWSKMSConfiguration.roleId): never returned, so never in an imported state.
            "roleId": kms.get("roleId"),
            "requirePrivateNetworking": bool(kms.get("requirePrivateNetworking")),
        },
    }
    return Found(ctx.project_id, view, ("encryption at rest", ctx.project_id))


def _access_setup(reg: Registration, ctx: Context) -> Found | None:
    role = _kms_role(ctx) if _within_kms(reg, ctx) and _kms(ctx).get("enabled") else None
    if role is None:
        return None
    mock = reg.outputs
    subst = {str(mock.get("roleId")): str(role["roleId"])}
    configs = mock.get("awsConfigs") or [{}]
    if configs[0].get("atlasAwsAccountArn") and role.get("atlasAWSAccountArn"):
        subst[str(configs[0]["atlasAwsAccountArn"])] = str(role["atlasAWSAccountArn"])
    if configs[0].get("atlasAssumedRoleExternalId") and role.get("atlasAssumedRoleExternalId"):
        subst[str(configs[0]["atlasAssumedRoleExternalId"])] = str(role["atlasAssumedRoleExternalId"])
    view = {"projectId": ctx.project_id, "providerName": role.get("providerName", "AWS")}
    return Found(
        f"{ctx.project_id}-AWS-{role['roleId']}", view, ("cloud provider access", str(role["roleId"])), substitutions=subst
    )


def _kms_iam_role(reg: Registration, ctx: Context) -> Found | None:
    role = _kms_role(ctx) if _within_kms(reg, ctx) and _kms(ctx).get("enabled") else None
    arn = str((role or {}).get("iamAssumedRoleArn") or "")
    if not arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    subst = {str(reg.outputs.get("arn")): arn, str(reg.outputs.get("name")): name, mock_id(reg): name}
    return Found(name, {}, ("IAM roles", arn), aws_side=True, substitutions=subst)


def _kms_endpoint(reg: Registration, ctx: Context) -> Found | None:
    endpoint = next((e for e in ctx.live.kms_private_endpoints if str(e.get("regionName")) == reg.inputs.get("regionName")), None)
    if endpoint is None:
        return None
    view = {
        "projectId": ctx.project_id,
        "cloudProvider": endpoint.get("cloudProvider", "AWS"),
        "regionName": endpoint.get("regionName"),
    }
    return Found(f"{ctx.project_id}-AWS-{endpoint['id']}", view, ("KMS private endpoints", str(endpoint["regionName"])))


# --- Network ---


def _access_list(reg: Registration, ctx: Context) -> Found | None:
    wanted = reg.inputs.get("ipAddress") or reg.inputs.get("cidrBlock") or reg.inputs.get("awsSecurityGroup")
    for entry in ctx.live.access_list:
        _key, value = entry_source(entry)
        if value == wanted:
            view = {
                "projectId": ctx.project_id,
                "ipAddress": entry.get("ipAddress"),
                "cidrBlock": entry.get("cidrBlock"),
                "awsSecurityGroup": entry.get("awsSecurityGroup"),
                "comment": entry.get("comment"),
            }
            return Found(f"{ctx.project_id}-{value}", view, ("access list", value))
    return None


def _private_link(reg: Registration, ctx: Context) -> Found | None:
    region = str(reg.inputs.get("region"))
    service = next((s for s in ctx.live.endpoint_services if atlas_region_name(str(s.get("regionName"))) == region), None)
    if service is None:
        return None
    # The provider's Read keeps the region as the import id wrote it, and `region` forces a replacement
    # (privatelinkendpoint/resource.go, resourceImport and schema): the id carries the program's own form.
    view = {
        "projectId": ctx.project_id,
        "providerName": "AWS",
        "region": region,
        "supportedRemoteRegions": list(service.get("supportedRemoteRegions") or []),
    }
    subst = {
        str(reg.outputs.get("privateLinkId")): str(service["id"]),
        str(reg.outputs.get("endpointServiceName")): str(service.get("endpointServiceName")),
    }
    return Found(
        f"{ctx.project_id}-{service['id']}-AWS-{region}",
        view,
        ("endpoint services", str(service["regionName"])),
        substitutions=subst,
    )


def _vpc_endpoint(reg: Registration, ctx: Context) -> Found | None:
    service_name = ctx.subst.get(str(reg.inputs.get("serviceName")))
    service = next((s for s in ctx.live.endpoint_services if s.get("endpointServiceName") == service_name), None)
    if service is None:
        return None
    for endpoint_id in service.get("interfaceEndpoints") or []:
        details = ctx.aws.get(str(endpoint_id))
        if details is not None and details.vpc_id == reg.inputs.get("vpcId"):
            return Found(
                str(endpoint_id),
                {},
                ("interface endpoints", str(endpoint_id)),
                aws_side=True,
                substitutions={mock_id(reg): str(endpoint_id)},
            )
    return None


def _private_link_service(reg: Registration, ctx: Context) -> Found | None:
    endpoint_id = ctx.subst.get(str(reg.inputs.get("endpointServiceId")))
    private_link_id = ctx.subst.get(str(reg.inputs.get("privateLinkId")))
    service = next((s for s in ctx.live.endpoint_services if s.get("id") == private_link_id), None)
    if endpoint_id is None or service is None or endpoint_id not in (service.get("interfaceEndpoints") or []):
        return None
    view = {
        "projectId": ctx.project_id,
        "privateLinkId": private_link_id,
        "endpointServiceId": endpoint_id,
        "providerName": "AWS",
    }
    return Found(f"{ctx.project_id}--{private_link_id}--{endpoint_id}--AWS", view, ("links", endpoint_id))


# --- Database users and custom roles ---


def database_user_import_id(project_id: str, username: str, auth_database: str) -> str:
    """`project/username/authdb`, or `project-username-authdb` when the username holds a `/` (an OIDC or IAM
    username): the two forms docs/resources/database_user.md gives, read by SplitDatabaseUserImportID
    (internal/service/databaseuser/resource_database_user.go)."""
    if "/" not in username:
        return f"{project_id}/{username}/{auth_database}"
    return f"{project_id}-{username}-{auth_database}"


def _database_user(reg: Registration, ctx: Context) -> Found | None:
    user = next(
        (
            u
            for u in ctx.live.database_users
            if u.get("username") == reg.inputs.get("username") and u.get("databaseName") == reg.inputs.get("authDatabaseName")
        ),
        None,
    )
    if user is None:
        return None
    view = {
        "projectId": ctx.project_id,
        "username": user["username"],
        "authDatabaseName": user["databaseName"],
        "description": user.get("description"),
        "roles": [{k: r[k] for k in ("roleName", "databaseName", "collectionName") if r.get(k)} for r in user.get("roles") or []],
        "scopes": [{"name": s["name"], "type": s["type"]} for s in user.get("scopes") or []],
        "labels": [{"key": label["key"], "value": label["value"]} for label in user.get("labels") or []],
        "x509Type": user.get("x509Type", "NONE"),
        "awsIamType": user.get("awsIAMType", "NONE"),
        "oidcAuthType": user.get("oidcAuthType", "NONE"),
        "ldapAuthType": user.get("ldapAuthType", "NONE"),
    }
    import_id = database_user_import_id(ctx.project_id, str(user["username"]), str(user["databaseName"]))
    return Found(import_id, view, ("database users", f"{user['username']}@{user['databaseName']}"))


def _custom_role(reg: Registration, ctx: Context) -> Found | None:
    role = next((r for r in ctx.live.custom_roles if r.get("roleName") == reg.inputs.get("roleName")), None)
    if role is None:
        return None

    def resource(r: Mapping[str, Any]) -> dict[str, Any]:
        if r.get("cluster"):
            return {"cluster": True}
        return {"databaseName": r.get("db"), "collectionName": r.get("collection") or ""}

    view = {
        "projectId": ctx.project_id,
        "roleName": role["roleName"],
        "actions": [
            {"action": a["action"], "resources": [resource(r) for r in a.get("resources") or []]}
            for a in role.get("actions") or []
        ],
        "inheritedRoles": [{"roleName": r["role"], "databaseName": r["db"]} for r in role.get("inheritedRoles") or []],
    }
    return Found(f"{ctx.project_id}-{role['roleName']}", view, ("custom roles", str(role["roleName"])))


# --- Alerts, integrations, auditing ---

NOTIFICATION_FIELDS = (
    "typeName",
    "delayMin",
    "intervalMin",
    "emailAddress",
    "channelName",
    "datadogRegion",
    "emailEnabled",
    "smsEnabled",
    "roles",
    "webhookUrl",
)


def _alert_key(inputs: Mapping[str, Any]) -> tuple[Any, ...]:
    metric = inputs.get("metricThresholdConfig") or {}
    plain = inputs.get("thresholdConfig") or {}
    limit = metric or plain
    return (
        inputs.get("eventType"),
        metric.get("metricName"),
        limit.get("operator"),
        float(limit["threshold"]) if limit.get("threshold") is not None else None,
        limit.get("units"),
    )


def _alert_view(config: Mapping[str, Any]) -> dict[str, Any]:
    metric = config.get("metricThreshold") or {}
    plain = config.get("threshold") or {}
    view: dict[str, Any] = {
        "projectId": config.get("groupId"),
        "eventType": config.get("eventTypeName"),
        "enabled": config.get("enabled"),
        "notifications": [{k: n[k] for k in NOTIFICATION_FIELDS if k in n} for n in config.get("notifications") or []],
        "matchers": list(config.get("matchers") or []),
        "severityOverride": config.get("severityOverride"),
    }
    if metric:
        view["metricThresholdConfig"] = {k: metric.get(k) for k in ("metricName", "operator", "threshold", "units", "mode")}
    if plain:
        view["thresholdConfig"] = {k: plain.get(k) for k in ("operator", "threshold", "units")}
    return view


def _live_alert_key(config: Mapping[str, Any]) -> tuple[Any, ...]:
    view = _alert_view(config)
    return _alert_key(view)


def _alert(reg: Registration, ctx: Context) -> Found | None:
    wanted = _alert_key(reg.inputs)
    for config in sorted(ctx.live.alert_configs, key=lambda c: str(c.get("id"))):
        if _live_alert_key(config) != wanted or str(config.get("id")) in ctx.claimed:
            continue
        if ("alerts", _alert_identity(config)) in ctx.skipped:
            continue  # another alert of the same kind, which the stack file leaves out
        ctx.claimed.add(str(config.get("id")))
        view = _alert_view(config) | {"projectId": ctx.project_id}
        return Found(f"{ctx.project_id}-{config['id']}", view, ("alerts", _alert_identity(config)))
    return None


def _alert_identity(config: Mapping[str, Any]) -> str:
    metric = (config.get("metricThreshold") or {}).get("metricName")
    return f"{config.get('eventTypeName')}{' ' + str(metric) if metric else ''} ({config.get('id')})"


def _integration(reg: Registration, ctx: Context) -> Found | None:
    integration = next((i for i in ctx.live.integrations if i.get("type") == reg.inputs.get("type")), None)
    if integration is None:
        return None
    view = {"projectId": ctx.project_id, "type": integration["type"]}
    for key in ("region", "url", "sendDatabaseMetrics", "sendCollectionLatencyMetrics", "sendQueryStatsMetrics"):
        if key in integration:
            view[key] = integration[key]
    return Found(f"{ctx.project_id}-{integration['type']}", view, ("integrations", str(integration["type"])))


def _auditing(reg: Registration, ctx: Context) -> Found | None:
    audit = ctx.live.audit_log
    view = {
        "projectId": ctx.project_id,
        "enabled": audit.get("enabled"),
        "auditFilter": audit.get("auditFilter"),
        "auditAuthorizationSuccess": audit.get("auditAuthorizationSuccess"),
    }
    return Found(ctx.project_id, view, ("auditing", ctx.project_id))


AWS_SIDE = "AWS holds its values; only a real `pulumi preview` compares them"

RULES: tuple[Rule, ...] = (
    Rule(
        PROJECT,
        "projects",
        "docs/resources/project.md",
        "internal/service/project/model_project.go",
        _project,
        computed=frozenset(
            {
                "withDefaultAlertsSettings",
                "regionUsageRestrictions",
                "isCollectDatabaseSpecificsStatisticsEnabled",
                "isDataExplorerEnabled",
                "isDataExplorerGenAiFeaturesEnabled",
                "isDataExplorerGenAiSampleDocumentPassingEnabled",
                "isExtendedStorageSizesEnabled",
                "isPerformanceAdvisorEnabled",
                "isRealtimePerformancePanelEnabled",
                "isSchemaAdvisorEnabled",
            }
        ),
    ),
    Rule(
        TEAM,
        "teams",
        "docs/resources/team_project_assignment.md",
        "internal/service/teamprojectassignment/model.go",
        _team,
        sets=frozenset({"roleNames"}),
    ),
    Rule(
        ROLE_MAPPING,
        "role mappings",
        "docs/resources/federated_settings_org_role_mapping.md",
        "internal/service/federatedsettingsorgrolemapping/resource_federated_settings_org_role_mapping.go",
        _role_mapping,
        sets=frozenset({"roleAssignments", "roleAssignments[].roles"}),
        zero_is_unset=True,
    ),
    Rule(
        CLUSTER,
        "clusters",
        "docs/resources/advanced_cluster.md",
        "internal/service/advancedcluster/model_ClusterDescription20240805.go",
        _cluster,
        computed=frozenset(
            {
                "clusterType",
                "mongoDbMajorVersion",
                "backupEnabled",
                "pitEnabled",
                "terminationProtectionEnabled",
                "encryptionAtRestProvider",
                "redactClientLogData",
                "advancedConfiguration",
                "advancedConfiguration.minimumEnabledTlsProtocol",
                "replicationSpecs[].regionConfigs[].readOnlySpecs",
                "replicationSpecs[].regionConfigs[].analyticsSpecs",
                "replicationSpecs[].regionConfigs[].autoScaling.computeScaleDownEnabled",
                "replicationSpecs[].regionConfigs[].autoScaling.computeMaxInstanceSize",
                "replicationSpecs[].regionConfigs[].autoScaling.computeMinInstanceSize",
            }
        ),
        not_in_atlas={
            "useEffectiveFields": "the provider's own setting (which instance sizes it reads back); the first `pulumi up` records it in the state",
            "retainBackupsEnabled": "read by the provider when the cluster is deleted; the first `pulumi up` records it in the state",
            "deleteOnCreateTimeout": "create-only; the program ignores it after create (ignore_changes)",
        },
    ),
    Rule(
        SCHEDULE,
        "backup schedules",
        "docs/resources/cloud_backup_schedule.md",
        "internal/service/cloudbackupschedule/resource_cloud_backup_schedule.go",
        _schedule,
        computed=frozenset(
            {
                "referenceHourOfDay",
                "referenceMinuteOfHour",
                "restoreWindowDays",
                "useOrgAndGroupNamesInExportPrefix",
                "copySettings[].cloudProvider",
                "copySettings[].frequencies",
                "copySettings[].regionName",
                "copySettings[].zoneId",
                "copySettings[].shouldCopyOplogs",
                "export.exportBucketId",
                "export.frequencyType",
            }
        ),
        sets=frozenset({"copySettings[].frequencies"}),
        not_in_atlas={
            "updateSnapshots": "an instruction (apply a retention change to existing snapshots), not a setting Atlas returns",
            "skipDestroy": "the provider's own setting, read when the schedule is deleted",
        },
        zero_is_unset=True,
    ),
    Rule(
        MAINTENANCE,
        "maintenance windows",
        "docs/resources/maintenance_window.md",
        "internal/service/maintenancewindow/resource_maintenance_window.go",
        _maintenance,
        computed=frozenset({"autoDeferOnceEnabled", "autoDefer", "defer"}),
        zero_is_unset=True,
    ),
    Rule(
        ACCESS_SETUP,
        "cloud provider access",
        "docs/resources/cloud_provider_access_setup.md",
        "internal/service/cloudprovideraccess/resource_cloud_provider_access_setup.go",
        _access_setup,
        zero_is_unset=True,
    ),
    Rule(
        KMS_ROLE,
        "IAM roles",
        "pulumi_aws/iam/role.py (## Import: the role's name)",
        "AWS",
        _kms_iam_role,
        not_in_atlas={"*": AWS_SIDE},
    ),
    Rule(
        ENCRYPTION,
        "encryption at rest",
        "docs/resources/encryption_at_rest.md",
        "internal/service/encryptionatrest/model.go",
        _encryption,
        computed=frozenset({"enabledForSearchNodes"}),
    ),
    Rule(
        KMS_ENDPOINT,
        "KMS private endpoints",
        "docs/resources/encryption_at_rest_private_endpoint.md",
        "internal/service/encryptionatrestprivateendpoint/model.go",
        _kms_endpoint,
    ),
    Rule(
        ACCESS_LIST,
        "access list",
        "docs/resources/project_ip_access_list.md",
        "internal/service/projectipaccesslist/model_project_ip_access_list.go",
        _access_list,
        computed=frozenset({"ipAddress", "cidrBlock", "awsSecurityGroup", "comment"}),
    ),
    Rule(
        PRIVATE_LINK,
        "endpoint services",
        "docs/resources/privatelink_endpoint.md",
        "internal/service/privatelinkendpoint/resource.go",
        _private_link,
        sets=frozenset({"supportedRemoteRegions"}),
        not_in_atlas={"deleteOnCreateTimeout": "create-only; the program ignores it after create (ignore_changes)"},
        zero_is_unset=True,
    ),
    Rule(
        VPC_ENDPOINT,
        "interface endpoints",
        "pulumi_aws/ec2/vpc_endpoint.py (## Import: the endpoint's id)",
        "AWS",
        _vpc_endpoint,
        not_in_atlas={"*": AWS_SIDE},
    ),
    Rule(
        PRIVATE_LINK_SERVICE,
        "links",
        "docs/resources/privatelink_endpoint_service.md",
        "internal/service/privatelinkendpointservice/resource.go",
        _private_link_service,
        not_in_atlas={"deleteOnCreateTimeout": "create-only; the program ignores it after create (ignore_changes)"},
        zero_is_unset=True,
    ),
    Rule(
        DATABASE_USER,
        "database users",
        "docs/resources/database_user.md",
        "internal/service/databaseuser/model_database_user.go",
        _database_user,
        defaults={"x509Type": "NONE", "awsIamType": "NONE", "oidcAuthType": "NONE", "ldapAuthType": "NONE"},
        sets=frozenset({"roles", "scopes", "labels"}),
        not_in_atlas={
            "password": "Atlas never returns a password: the first `pulumi up` sets the generated one (the list's passwords)"
        },
    ),
    Rule(
        CUSTOM_ROLE,
        "custom roles",
        "docs/resources/custom_db_role.md",
        "internal/service/customdbrole/resource.go",
        _custom_role,
        sets=frozenset({"actions", "actions[].resources", "inheritedRoles"}),
        zero_is_unset=True,
    ),
    Rule(
        ALERT,
        "alerts",
        "docs/resources/alert_configuration.md",
        "internal/service/alertconfiguration/model.go",
        _alert,
        computed=frozenset(
            {
                "enabled",
                "notifications[].delayMin",
                "notifications[].intervalMin",
                "notifications[].emailEnabled",
                "notifications[].smsEnabled",
                "metricThresholdConfig.threshold",
                "thresholdConfig.threshold",
            }
        ),
    ),
    Rule(
        INTEGRATION,
        "integrations",
        "docs/resources/third_party_integration.md",
        "internal/service/thirdpartyintegration/resource.go",
        _integration,
        computed=frozenset({"region", "url", "sendDatabaseMetrics", "sendCollectionLatencyMetrics", "sendQueryStatsMetrics"}),
        zero_is_unset=True,
    ),
    Rule(
        AUDITING,
        "auditing",
        "docs/resources/auditing.md",
        "internal/service/auditing/resource_auditing.go",
        _auditing,
        computed=frozenset({"enabled", "auditFilter", "auditAuthorizationSuccess"}),
        zero_is_unset=True,
    ),
)
BY_TOKEN = {rule.token: rule for rule in RULES}


# --- Comparison ---


@dataclass(frozen=True)
class Change:
    """One value the first `pulumi up` after import would change."""

    resource: str
    type: str
    path: str
    atlas: Any
    program: Any
    verdict: str
    """What the provider does with it: in place, replace, delete then create (tools/replacements.json)."""


def substitute(value: Any, subst: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, subst) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, subst) for v in value]
    if isinstance(value, str):
        return subst.get(value, value)
    return value


def _pattern(path: str) -> str:
    """`notifications[2].intervalMin` -> `notifications[].intervalMin`."""
    import re

    return re.sub(r"\[\d+\]", "[]", path)


def _empty(value: Any, zero_is_unset: bool) -> bool:
    """No value: unset, or an empty text, list or map; for a plugin-sdk resource also false and 0 (its zero values)."""
    if value is None or value is MISSING:
        return True
    if isinstance(value, str | list | dict) and not value:
        return True
    return zero_is_unset and (value is False or (isinstance(value, int | float) and not isinstance(value, bool) and value == 0))


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _canonical(value: Any) -> Any:
    """A value with numbers as floats, unset entries dropped, and sets sorted (for ordering only)."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if v is not None and v is not MISSING}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return _number(value)


def _as_set(values: list[Any], pattern: str, rule: Rule) -> list[str]:
    """A set's members in canonical, order-free form: nested sets sorted too, unset members dropped."""

    def canonical(value: Any, at: str) -> Any:
        if isinstance(value, dict):
            return {k: canonical(v, f"{at}.{k}") for k, v in value.items() if not _empty(v, rule.zero_is_unset)}
        if isinstance(value, list):
            members = [canonical(v, f"{at}[]") for v in value]
            return sorted(members, key=lambda m: json.dumps(m, sort_keys=True)) if at in rule.sets else members
        return _number(value)

    return sorted(json.dumps(canonical(v, f"{pattern}[]"), sort_keys=True, default=str) for v in values)


def _walk(rule: Rule, path: str, planned: Any, atlas: Any, secrets: set[str]) -> Iterator[tuple[str, Any, Any]]:
    """(path, Atlas's value, the program's) for each leaf or whole value that differs."""
    if any(path == s or path.startswith((f"{s}.", f"{s}[")) for s in secrets):
        return
    pattern = _pattern(path)
    if planned is MISSING:
        if pattern in rule.computed:
            return
        planned = rule.defaults.get(pattern, None)
    if atlas is MISSING:
        atlas = None
    if pattern in rule.sets and isinstance(planned, list | None) and isinstance(atlas, list | None):
        # A set: equal as a whole, in any order (nested sets too), or one difference for the whole set.
        mine, theirs = _as_set(planned or [], pattern, rule), _as_set(atlas or [], pattern, rule)
        if mine != theirs:
            yield path, atlas, planned
        return
    if isinstance(planned, dict) and isinstance(atlas, dict):
        for key in sorted(set(planned) | set(atlas)):
            yield from _walk(rule, f"{path}.{key}", planned.get(key, MISSING), atlas.get(key, MISSING), secrets)
        return
    if isinstance(planned, list) and isinstance(atlas, list) and len(planned) == len(atlas):
        for index, (p, a) in enumerate(zip(planned, atlas, strict=True)):
            yield from _walk(rule, f"{path}[{index}]", p, a, secrets)
        return
    if _empty(planned, rule.zero_is_unset) and _empty(atlas, rule.zero_is_unset):
        return
    if (
        isinstance(planned, dict)
        and atlas is None
        and all(_empty(v, rule.zero_is_unset) or _pattern(f"{path}.{k}") in rule.computed for k, v in planned.items())
    ):
        return
    if _same(planned, atlas):
        return
    yield path, atlas, planned


def _same(planned: Any, atlas: Any) -> bool:
    if isinstance(planned, str) and isinstance(atlas, str) and planned.startswith(("{", "[")):
        # JSON documents (an audit filter): the provider suppresses a diff between equal documents
        # (auditing/resource_auditing.go, diffSuppressJSON).
        try:
            return bool(json.loads(planned) == json.loads(atlas))
        except ValueError:
            return planned == atlas
    return bool(_canonical(planned) == _canonical(atlas))


def differences(registration: Registration, found: Found, subst: Mapping[str, str]) -> list[Change]:
    """Every input of `registration` whose value after `pulumi import` of `found` differs from what the program sends."""
    rule = BY_TOKEN[registration.type]
    if found.aws_side:
        return []
    planned = substitute(registration.inputs, subst)
    changes = []
    for key in sorted(set(planned) | set(found.view)):
        if key in rule.not_in_atlas or key in registration.ignore_changes:
            continue
        for path, atlas, program in _walk(
            rule, key, planned.get(key, MISSING), found.view.get(key, MISSING), registration.secret_inputs
        ):
            changes.append(
                Change(
                    registration.name, registration.type, path, atlas, program, replacements.input_verdict(registration.type, key)
                )
            )
    return changes


ORDER = (
    PROJECT,
    CLUSTER,
    ACCESS_SETUP,
    KMS_ROLE,
    PRIVATE_LINK,
    VPC_ENDPOINT,
    PRIVATE_LINK_SERVICE,
)


def match(
    plan: Plan, live: LiveProject, aws: Mapping[str, VpcDetails], skipped: frozenset[tuple[str, str]] = frozenset()
) -> tuple[Context, dict[str, Found]]:
    """Each registration (by URN) that stands for an Atlas or AWS object, with that object; the context's
    substitutions map the mock outputs of matched resources to their live values. Objects in `skipped` (left
    out of the stack file) never stand for a registration."""
    ctx = Context(live=live, plan=plan, aws=aws, skipped=skipped)
    found: dict[str, Found] = {}
    rank = {token: index for index, token in enumerate(ORDER)}
    for registration in sorted(
        (r for r in plan.resources if r.custom and r.type in BY_TOKEN), key=lambda r: (rank.get(r.type, len(ORDER)), r.urn)
    ):
        result = BY_TOKEN[registration.type].find(registration, ctx)
        if result is None or result.identity in skipped:
            continue
        found[registration.urn] = result
        ctx.subst.update(result.substitutions)
    return ctx, found
