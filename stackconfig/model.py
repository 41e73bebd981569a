"""The whole stack file as one validated object.

`__main__.py` builds exactly one `StackConfig` (through `stackconfig.load_stack_config`) and
hands typed pieces of it to the components. Later sections (cluster, network, users,
operations) are fields here, each modelled in its own module.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PrivateAttr, ValidationInfo, field_validator, model_validator

from atlas_platform.components.facts import RESERVED_TAGS

from .base import Secret, SecretName, StackModel, invalid, matches, unique
from .cluster import AwsRegion, ClusterSettings
from .defaults import ProductionDefaults, resolve
from .environment import (
    PROD,
    EnvironmentName,
    in_production,
    is_production,
    looks_like_production,
    stack_keys,
)
from .log_export import AccessLogs, LogExport, SnapshotExport
from .network import Network
from .operations import Alerts, Auditing, IntegrationList, NotificationList, ResourcePolicies
from .organization import Organization
from .project import AtlasId, Federation, ProjectSettings, TeamAccess
from .review import ReviewSettings
from .service_account import ServiceAccountSettings
from .users import CustomRoles, DatabaseUsers, KmsKeyArn

# The loader's context key for `aws:region`, checked by the loader (the `aws` namespace is not this model's).
PROVIDER_REGION = "aws_provider_region"

# Atlas's service-account name: at most 64 characters (Admin API v2, OrgServiceAccountRequest.name).
SERVICE_ACCOUNT_NAME_MAX = 64

AppName = Annotated[
    str,
    matches(
        r"[a-z][a-z0-9-]{1,29}",
        "a valid application name",
        "use 2-30 lowercase letters, digits and hyphens, starting with a letter (e.g. payments)",
    ),
]
ProjectName = Annotated[
    str,
    matches(
        r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}",
        "a valid Atlas project name",
        "use at most 64 letters, digits, hyphens and underscores (e.g. payments-prod)",
    ),
]
TagKey = Annotated[
    str,
    matches(
        r"[A-Za-z0-9 ;@_.+-]{1,255}",
        "a valid Atlas tag key",
        "use 1-255 letters, digits, spaces or ;@_-.+",
    ),
]
TagValue = Annotated[
    str,
    matches(
        r"[A-Za-z0-9 ;@_.+/:-]{1,255}",
        "a valid Atlas tag value",
        "use 1-255 letters, digits, spaces or ;@_-.+/:",
    ),
]


class StackConfig(StackModel):
    """Everything one stack file says about one environment."""

    environment: EnvironmentName
    """Which environment this stack is: a lowercase name (prod, staging, qa, perf, ...). It names the project and
    every resource; the stack itself may be named otherwise (`orders-staging`)."""
    production: bool | None = None
    """Whether this environment is production, which turns on every safety default and the mandatory policies.
    Default: true for `prod` only; set `production: true` on another name (e.g. `live`) to make it production."""
    org_id: AtlasId
    """The Atlas organization that owns the project (Atlas > Organization Settings)."""
    app: AppName
    """Short application name; it prefixes every resource name (`<app>-<env>-...`)."""
    project_name: ProjectName | None = None
    """Atlas project name. Default: `<app>-<environment>`."""
    project_tags: dict[TagKey, TagValue] = {}
    """Extra tags on the Atlas project (cost centre, owner). environment, application and managed-by are set for you."""
    project_settings: ProjectSettings = ProjectSettings()
    """Project feature switches."""
    teams: list[TeamAccess] = []
    """Existing Atlas teams and their roles on this project."""
    federation: Federation | None = None
    """Identity-provider groups mapped to project roles through Atlas federated authentication."""
    cluster: ClusterSettings | None = None
    """The environment's dedicated cluster: tier, regions, backups, KMS encryption, maintenance window."""
    # Declared after cluster (its default) and before every section that puts data in AWS.
    aws_region: AwsRegion | None = None
    """AWS region of the data this stack keeps in AWS: the Secrets Manager secrets, their KMS key, the log and
    snapshot export buckets and their keys (e.g. eu-central-1). Default: the cluster's primary region (its
    highest-priority one); without a cluster, `aws:region`, and one of them must be set."""
    # Declared before database_users: the users' roles are checked against these.
    custom_roles: CustomRoles = []
    """Project-wide custom database roles, for grants finer than the built-in roles."""
    database_users: DatabaseUsers = []
    """Database users, one per function (app, analytics, dba), at most 100 per project."""
    secrets_kms_key_arn: KmsKeyArn | None = None
    """Existing customer KMS key that encrypts the users' secrets in AWS Secrets Manager. Default: a new
    key for this stack (rotation on)."""
    network: Network = {}  # type: ignore[assignment]  # a dict, so prod's "needs a private endpoint" check runs when the key is absent
    """Who may connect: commented IP access-list entries and AWS PrivateLink endpoints."""
    alerts: Alerts = Alerts()
    """Atlas alert configurations: the production baseline (on by default in prod), tuning and extras."""
    notifications: NotificationList = []
    """Alert notification channels (EMAIL, SLACK, PAGER_DUTY, DATADOG, WEBHOOK); keys only as named secret config keys."""
    integrations: IntegrationList = []
    """Project third-party integrations for the observability tools this stack uses; keys only as named secret config keys."""
    auditing: Auditing = Auditing()
    """Database auditing and its audit filter (on by default in prod)."""
    resource_policies: ResourcePolicies = ResourcePolicies()
    """Org-level Atlas resource policies (Cedar rules Atlas enforces); opt-in, in exactly one stack."""
    log_export: LogExport = LogExport()
    """Audit and mongod logs exported to an S3 bucket of their own (on by default in prod)."""
    snapshot_export: SnapshotExport = SnapshotExport()
    """Monthly backup snapshots exported to an S3 bucket of their own (opt-in)."""
    access_logs: AccessLogs = AccessLogs()
    """Retention of the S3 server access logs of the log and snapshot export buckets (kept 400 days by default)."""

    _production_defaults: ProductionDefaults = PrivateAttr()
    # `aws:region`, the AWS provider's own region (the loader checks it and passes it as context): the
    # region of the data of a stack without cluster and without `awsRegion`.
    _provider_region: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _take_provider_region(self, info: ValidationInfo) -> StackConfig:
        self._provider_region = (info.context or {}).get(PROVIDER_REGION)
        return self

    @property
    def data_region(self) -> str | None:
        """Where every data-holding AWS resource of this stack lives: `awsRegion`, else the cluster's primary
        region, else `aws:region`. None only for a stack that keeps no data in AWS (the loader refuses the others)."""
        return self.aws_region or (self.cluster.preferred_region.region if self.cluster else self._provider_region)

    @property
    def stores_secrets(self) -> bool:
        """Some credential goes to Secrets Manager: a user's, or a service account's (automation, review)."""
        return (
            self.service_account is not None or self.review is not None or any(u.stores_credential for u in self.database_users)
        )

    @property
    def keeps_data_in_aws(self) -> bool:
        """Secrets, exported logs or exported snapshots: the AWS resources that hold data (and so need `data_region`)."""
        return self.stores_secrets or self.production_defaults.log_export or self.keeps_snapshot_export_bucket

    @model_validator(mode="after")
    def _resolve_production_defaults(self) -> StackConfig:
        self._production_defaults = resolve(self)
        return self

    @property
    def production_defaults(self) -> ProductionDefaults:
        """Every default decided by whether this stack is production, resolved once (stackconfig/defaults.py)."""
        return self._production_defaults

    organization: Organization | None = None
    """The Atlas organization's security settings (MFA, API access list, support access, security contact),
    adopted with `pulumi import`; in exactly one stack, a production one (docs/access.md)."""
    service_account: ServiceAccountSettings | None = None
    """The environment's Atlas service account for automation: project roles, access list, secret in Secrets Manager."""
    review: ReviewSettings | None = None
    """The scheduled live access review (`make review`): its read-only service account and access list, stale and
    failed-sign-in thresholds."""

    @property
    def is_prod(self) -> bool:
        """Production or not, resolved once: what every safe default and refusal of this stack follows."""
        return is_production(stack_keys(self.environment, self.production))

    @property
    def resolved_project_name(self) -> str:
        return self.project_name or f"{self.app}-{self.environment}"

    @property
    def resource_prefix(self) -> str:
        """Prefix of every Pulumi resource name in the stack: `<app>-<env>`."""
        return f"{self.app}-{self.environment}"

    @field_validator("production")
    @classmethod
    def _prod_is_production(cls, production: bool | None, info: ValidationInfo) -> bool | None:
        environment = info.data.get("environment")
        if production is False and environment == PROD:
            raise invalid(
                "prod_not_production",
                f"environment {PROD!r} is production; remove `production: false`, or give a non-production "
                "environment its own name (e.g. environment: perf)",
            )
        if production is None and environment != PROD and looks_like_production(environment):
            raise invalid(
                "production_unsaid",
                f"environment {environment!r} reads as production but only {PROD!r} is production by default; add "
                "`production: true` (production's safe defaults and mandatory policies) or `production: false`",
            )
        return production

    @field_validator("project_tags")
    @classmethod
    def _no_reserved_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        for key in tags:
            if key.lower() in RESERVED_TAGS:
                raise invalid(
                    "reserved_tag", f"tag {key!r} is set by this program from `environment` and `app`; remove it from projectTags"
                )
        return tags

    @field_validator("cluster")
    @classmethod
    def _prod_has_a_cluster(cls, cluster: ClusterSettings | None, info: ValidationInfo) -> ClusterSettings | None:
        if cluster is None and in_production(info):
            raise invalid(
                "missing_cluster", "a production stack needs its cluster; add a `cluster` section (see docs/cluster.md)"
            )
        return cluster

    @field_validator("secrets_kms_key_arn")
    @classmethod
    def _secrets_key_in_the_data_region(cls, arn: str | None, info: ValidationInfo) -> str | None:
        return _key_in_data_region(arn, "secretsKmsKeyArn", "Secrets Manager", info)

    @field_validator("log_export", "snapshot_export")
    @classmethod
    def _bucket_key_in_the_data_region(
        cls, section: LogExport | SnapshotExport, info: ValidationInfo
    ) -> LogExport | SnapshotExport:
        _key_in_data_region(section.kms_key_arn, "kmsKeyArn", "S3", info)
        return section

    @field_validator("resource_policies")
    @classmethod
    def _org_regions_stated(cls, policies: ResourcePolicies, info: ValidationInfo) -> ResourcePolicies:
        # Atlas applies the region rule to every cluster of the org, not only this stack's: a default
        # taken from this stack's own regions refused a staging cluster elsewhere at `pulumi up` only.
        # No `cluster` in info.data: it was refused already, and that error says enough.
        if not (policies.enabled and policies.restrict_regions) or "cluster" not in info.data:
            return policies
        cluster = info.data["cluster"]
        own = cluster.data_regions if cluster is not None else []
        if policies.allowed_regions is None:
            example = f" (this stack's own: {', '.join(own)})" if own else ""
            raise invalid(
                "missing_regions",
                "restrictRegions applies to every cluster of the organization, so this stack states the "
                "organization's regions: set allowedRegions to every AWS region where any of your stacks has cluster "
                f"nodes or backup copies{example}, e.g. `allowedRegions: [{', '.join(own) or 'us-east-1'}]` plus the "
                "other stacks' regions",
            )
        outside = [r for r in own if r not in policies.allowed_regions]
        if outside:
            raise invalid(
                "regions_outside",
                f"allowedRegions {policies.allowed_regions} leaves out {', '.join(outside)}, where this stack's cluster has "
                "nodes or backup copies, so Atlas would refuse the cluster; add them to allowedRegions",
            )
        return policies

    @field_validator("network")
    @classmethod
    def _endpoints_cover_the_cluster(cls, network: Network, info: ValidationInfo) -> Network:
        # Atlas lists a multi-region cluster's private connection string only once every region
        # with nodes has an endpoint: an endpoint in one region alone gives applications nothing.
        cluster = info.data.get("cluster")
        if not network.private_endpoints or "cluster" not in info.data:
            return network
        node_regions = [r.region for r in cluster.regions] if cluster is not None else None
        services = network.service_regions(node_regions)
        if cluster is not None:
            covered = {endpoint.region for endpoint in network.private_endpoints}
            missing = [r for r in node_regions or [] if r not in covered]
            if missing:
                raise invalid(
                    "endpoint_regions",
                    f"the cluster has nodes in {', '.join(missing)} but privateEndpoints has no entry there; Atlas gives "
                    "a multi-region cluster a private connection string only when every region with nodes has an "
                    f"endpoint: add privateEndpoints entries for {', '.join(missing)} (`- region: <region>` with no "
                    "vpcs when only other regions' VPCs reach it, over cross-region PrivateLink)",
                )
        _each_service_is_reached(network, services)
        if cluster is None:
            return network
        # The private SRV string lists every node, each reached through its own region's endpoint:
        # an application VPC must reach every region that can hold the primary after a failover.
        electable = [r.region for r in cluster.regions if r.electable_nodes]
        unreachable = network.unreachable(electable, services)
        if unreachable:
            raise invalid(
                "no_private_path",
                "; ".join(
                    f"VPC {name!r} ({home}) has no private path to {region}, where the cluster has electable nodes"
                    for name, home, region in unreachable
                )
                + ": keep crossRegionPrivateLink on (the default) for these VPCs, or add a routedRegions entry "
                "(region, via: a VPC of that region peered or routed to this one, cidrBlocks)",
            )
        return network

    @property
    def keeps_snapshot_export_bucket(self) -> bool:
        """The stack file has a `snapshotExport` section: the export bucket and its Atlas registration exist,
        whether or not the schedule exports to them (`enabled: false` is the first step of removing them)."""
        return "snapshot_export" in self.model_fields_set

    def private_service_regions(self) -> list[str]:
        """The regions that get an Atlas endpoint service: those of `network.privateEndpoints` where the
        cluster has nodes (every entry's when the stack has no cluster)."""
        return self.network.service_regions([r.region for r in self.cluster.regions] if self.cluster is not None else None)

    @field_validator("alerts")
    @classmethod
    def _one_set_of_alerts(cls, alerts: Alerts, info: ValidationInfo) -> Alerts:
        settings = info.data.get("project_settings")
        if settings is not None and settings.default_alerts and alerts.baseline_on(in_production(info)):
            raise invalid(
                "duplicate_alerts",
                "projectSettings.defaultAlerts is true while the alert baseline is on: Atlas would create its "
                "default alerts beside the baseline and host-down, connections, query-targeting and other "
                "alerts would notify twice; remove `defaultAlerts` (the baseline replaces Atlas's defaults), "
                "or set `alerts.enabled: false` (in production with `alerts.optOutReason`) to keep only Atlas's defaults",
            )
        return alerts

    @field_validator("log_export")
    @classmethod
    def _audit_log_needs_auditing(cls, log_export: LogExport, info: ValidationInfo) -> LogExport:
        # Atlas writes an audit log only while database auditing is on; exporting it otherwise exports nothing.
        auditing = info.data.get("auditing")
        production = in_production(info)
        if auditing is None or not log_export.resolved_enabled(production) or not log_export.exports_audit_log:
            return log_export
        if not auditing.resolved_enabled(production):
            raise invalid(
                "audit_log_without_auditing",
                f"logTypes {log_export.log_types} exports the audit log but auditing is off, so Atlas writes none; "
                "set `auditing.enabled: true`, or drop MONGOD_AUDIT and MONGOS_AUDIT from logTypes",
            )
        return log_export

    @field_validator("snapshot_export")
    @classmethod
    def _snapshots_need_backups(cls, snapshot_export: SnapshotExport, info: ValidationInfo) -> SnapshotExport:
        if not snapshot_export.enabled or "cluster" not in info.data:
            return snapshot_export
        cluster = info.data.get("cluster")
        if cluster is None or not cluster.backup.enabled:
            raise invalid(
                "snapshot_export_without_backups",
                "snapshotExport is on but the stack has no cluster with backups, so there are no snapshots to export; "
                "add a `cluster` with `backup.enabled: true`, or remove snapshotExport",
            )
        return snapshot_export

    @field_validator("organization")
    @classmethod
    def _organization_from_production(cls, organization: Organization | None, info: ValidationInfo) -> Organization | None:
        if organization is None:
            return None
        if not in_production(info):
            raise invalid(
                "organization_outside_production",
                "the organization holds production's project, so only a production stack manages its settings; "
                "remove `organization` here and set it in the production stack file",
            )
        # The organization's data-access identity providers are what Atlas keeps after the next update:
        # one this stack's oidc users sign in through must be among them, or the update detaches it.
        users = info.data.get("database_users") or []
        if organization.federation is not None:
            listed = set(organization.federation.data_access_identity_provider_ids)
            missing = sorted(
                {u.identity_provider_id for u in users if u.identity_provider_id and u.identity_provider_id not in listed}
            )
            if missing:
                raise invalid(
                    "oidc_idp_not_listed",
                    f"organization.federation.dataAccessIdentityProviderIds {sorted(listed)} leaves out {', '.join(missing)}, "
                    "which this stack's oidc users sign in through; Atlas would detach it from database access on the next "
                    f"update and lock those users out: add {', '.join(missing)} to dataAccessIdentityProviderIds",
                )
        federation = info.data.get("federation")
        if organization.federation and federation and organization.federation.settings_id != federation.settings_id:
            raise invalid(
                "two_federations",
                f"organization.federation.settingsId {organization.federation.settings_id!r} differs from "
                f"federation.settingsId {federation.settings_id!r}; an organization has one federation: write the same id",
            )
        return organization

    @field_validator("service_account")
    @classmethod
    def _service_account_name_fits(
        cls, account: ServiceAccountSettings | None, info: ValidationInfo
    ) -> ServiceAccountSettings | None:
        app, environment = info.data.get("app"), info.data.get("environment")
        if account is not None and app and environment:
            full = account.atlas_name(f"{app}-{environment}")
            if len(full) > SERVICE_ACCOUNT_NAME_MAX:
                raise invalid(
                    "name_too_long",
                    f"the service account would be named {full!r} ({len(full)} characters); Atlas takes at most "
                    f"{SERVICE_ACCOUNT_NAME_MAX}: shorten serviceAccount.name",
                )
        return account

    @field_validator("review")
    @classmethod
    def _review_fits(cls, review: ReviewSettings | None, info: ValidationInfo) -> ReviewSettings | None:
        if review is not None:
            review.check_against(info)
            cls._service_account_name_fits(review.service_account, info)
        return review

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, teams: list[TeamAccess]) -> list[TeamAccess]:
        unique([t.name for t in teams], "team name")
        unique([t.team_id for t in teams], "teamId")
        return teams

    # The values of the secret top-level keys the fields above name; set by the loader, which checks
    # each one is set and marked secret by the engine. Not a field: no stack-file key can write it.
    _secrets: dict[str, Secret] = PrivateAttr(default_factory=dict)

    def secret(self, name: SecretName | None) -> Secret | None:
        """The value of the secret config key `name` (e.g. a channel's `serviceKeySecret`)."""
        return None if name is None else self._secrets[name]


def _key_in_data_region(arn: str | None, key: str, service: str, info: ValidationInfo) -> str | None:
    """Refuse an existing KMS key outside the data's region: AWS encrypts a secret or a bucket's objects only
    with a key of its own region, and the data must stay there anyway."""
    region = data_region_of(info)
    key_region = arn.split(":")[3] if arn else None
    if key_region is not None and region is not None and key_region != region:
        raise invalid(
            "key_region",
            f"{key} {arn!r} is a key in {key_region}, but this stack keeps its AWS data in {region} (awsRegion, default "
            f"the cluster's primary region) and {service} uses only a key of its own region; name a key in {region}, "
            "or remove the key to have one created there",
        )
    return arn


def data_region_of(info: ValidationInfo) -> str | None:
    """For a section's validator declared after `awsRegion`: the region of the stack's AWS data (None if unknown)."""
    cluster = info.data.get("cluster")
    return (
        info.data.get("aws_region")
        or (cluster.preferred_region.region if cluster is not None else None)
        or (info.context or {}).get(PROVIDER_REGION)
    )


def _each_service_is_reached(network: Network, services: list[str]) -> None:
    """Every endpoint service gets at least one interface endpoint (a VPC of its region, or another
    region's cross-region one), routes go only to regions with a service, and an entry with no VPCs
    of its own is a region with nodes (a service nobody uses costs money and serves nothing)."""
    for entry in network.private_endpoints:
        if entry.region not in services and not entry.vpcs:
            raise invalid(
                "empty_endpoint_region",
                f"privateEndpoints entry {entry.region} has no vpcs and the cluster has no nodes there, so it would do "
                f"nothing; remove it, or list the application VPCs of {entry.region}",
            )
        for vpc in entry.vpcs:
            for route in vpc.routed_regions:
                if route.region not in services:
                    raise invalid(
                        "routed_region",
                        f"VPC {vpc.name!r} ({entry.region}) is routed to {route.region}, where the cluster has no nodes and so "
                        f"no endpoint service; route only to regions with nodes ({', '.join(services) or 'none'})",
                    )
    paths = network.private_paths(services)
    for region in services:
        if not any(region in path for path in paths.values()):
            raise invalid(
                "unreached_endpoint_region",
                f"no VPC reaches the endpoint service in {region}: it has no vpcs of its own and every other VPC has "
                "crossRegionPrivateLink off; list a VPC of that region, or turn crossRegionPrivateLink on for one elsewhere",
            )
