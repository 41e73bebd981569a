"""The live project -> the stack file: the one place that knows which stack-file key holds which Atlas value.

Every key written here is a key of the stack-file model (`stackconfig/`) as it is today; when the model
changes, this module is what follows it. Rules:
- declare what is there: a value Atlas holds is written as it is, even where production's default
  differs (Data Explorer on, a baseline alert missing), with a comment saying what the program's
  default would do and the edit that applies it;
- where the model refuses what Atlas holds in production (backups off, termination protection off,
  TLS 1.0), the key is left out: the program's safe value applies and the run lists it as a change;
- a value the model requires and Atlas does not hold is never invented silently: a reason the model
  requires is written as what was found (`ownerReason: held GROUP_OWNER ... when adopted`) and listed
  for review; a secret is a secret key to set, never a value read from Atlas;
- an object the program has no home for, or cannot hold as it is, is left out and said
  (`Generated.skipped`): Atlas keeps it, untouched, and the program never sees it.
The model itself has the last word: `tools/adopt/__init__.py` validates the result with the program's
own loader, and an element the model refuses is left out with the model's own message.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from atlas_platform.components.alerts import FALLBACK_ROLES
from atlas_platform.components.facts import (
    DEFAULT_MINIMUM_TLS,
    KMS_KEY_ARN,
    MAX_USERS_PER_PROJECT,
    RESERVED_LABELS,
    RESERVED_TAGS,
    TLS_PROTOCOLS,
    aws_region_name,
)
from stackconfig.alert_catalog import HOST_METRIC_NAMES, PROJECT_ALERT_EVENT_TYPES
from stackconfig.cluster import DAYS_OF_WEEK, DEDICATED_TIERS, MONGODB_MAJOR_VERSIONS, SCALABLE_TIERS
from stackconfig.network import NON_PUBLIC_RANGES
from stackconfig.operations import (
    ALERT_CATEGORIES,
    AUTH_FAILURE_CLAUSE,
    BASELINE,
    DDL_ATYPES,
    USER_AND_ROLE_ATYPES,
    BaselineAlert,
    BaselineTuning,
)
from stackconfig.project import PROJECT_ROLES
from stackconfig.users import READ_ONLY_ACTIONS, DatabaseUser

from .live import LiveProject, dedicated_aws, kms_role

COMMENT = "__comment__"
"""Key of a mapping's own comment (written above it, or above its list item); never a model key."""
COMMENTS = "__comments__"
"""Key of a mapping's per-key comments ({key: comment}, written above each key); never a model key."""
IDENTITY = "__identity__"
"""Key of a list entry's Atlas identity (as `Generated.skipped` names it), should the model refuse the entry."""
ANNOTATIONS = (COMMENT, COMMENTS, IDENTITY)

# Placeholder ciphertext of a secret key: no secrets provider decrypts it, so `pulumi preview` fails on it
# until `pulumi config set --secret` replaces it (the shipped stack files' convention).
SECRET_PLACEHOLDER = "AAABAPLACEHOLDERsetMeWithPulumiConfigSetSecret"

LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
SECTION_ORDER = (
    "not adopted",
    "changes",
    "state",
    "created",
    "passwords",
    "secrets",
    "aws",
    "production defaults",
    "review",
    "not read",
)


@dataclass(frozen=True)
class Item:
    """One line of the run's closing list."""

    section: str
    """One of SECTION_ORDER."""
    subject: str
    text: str


@dataclass(frozen=True)
class VpcDetails:
    """The AWS side of one interface endpoint, which Atlas does not show: given with `--aws-endpoints`."""

    endpoint_id: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str
    region: str | None = None
    """The VPC's AWS region; None: the endpoint service's."""
    name: str | None = None


@dataclass(frozen=True)
class Target:
    """Who the stack file is for."""

    stack: str
    app: str
    environment: str
    production: bool
    write_production: bool
    """Write the `production` key (a name other than `prod`)."""
    today: str
    aws_endpoints: dict[str, VpcDetails] = field(default_factory=dict)
    cluster: str | None = None

    @property
    def prefix(self) -> str:
        return f"{self.app}-{self.environment}"

    def adopted(self, what: str) -> str:
        """An as-found reason the model requires: true, dated, and plainly a reason to review."""
        return f"{what} when this project was adopted from Atlas (make adopt, {self.today}); replace with the real reason"


@dataclass
class Generated:
    config: dict[str, Any]
    """Top-level keys (without the namespace) -> values, with COMMENT/COMMENTS annotations."""
    other: dict[str, Any]
    """Keys of other namespaces (`aws:region`)."""
    secrets: dict[str, str]
    """Secret key name -> what to set it to (its placeholder is written)."""
    items: list[Item]
    skipped: dict[tuple[str, str], str]
    """(collection, Atlas identity) -> why it is left out; collections as in `tools/adopt/resources.py`."""
    header: list[str]


def label(text: str, fallback: str = "x") -> str:
    """A model `Label` from any text: lowercase, runs of other characters as hyphens, at most 63 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return slug if slug and LABEL.fullmatch(slug) else fallback


def unique_label(text: str, taken: set[str], fallback: str = "x") -> str:
    base = label(text, fallback)[:58]
    name, number = base, 2
    while name in taken:
        name, number = f"{base}-{number}", number + 1
    taken.add(name)
    return name


def secret_key(*parts: str) -> str:
    """A secret config key name (`SecretName`): lowerCamelCase of the parts, letters and digits only."""
    words = [w for part in parts for w in re.split(r"[^A-Za-z0-9]+", part) if w]
    text = "".join([words[0].lower(), *(w[:1].upper() + w[1:].lower() for w in words[1:])]) if words else "secret"
    text = text if text[:1].isalpha() else "s" + text
    return text[:64]


def _with_comment(mapping: dict[str, Any], key: str, comment: str) -> None:
    mapping.setdefault(COMMENTS, {})[key] = comment


def generate(live: LiveProject, target: Target) -> Generated:
    out = Generated(config={}, other={}, secrets={}, items=[], skipped={}, header=[])
    group = live.group
    cfg = out.config
    out.header = [
        f"Pulumi.{target.stack}.yaml: adopted from Atlas project {group['name']} ({group['id']}) by `make adopt` on {target.today}.",
        "Each comment marks a value to review; the run's list says what the first `pulumi up` would change.",
        "docs/adopt.md gives the steps: review this file, `pulumi import --file`, `pulumi preview`, then tighten.",
    ]
    cfg["environment"] = target.environment
    if target.write_production:
        cfg["production"] = target.production
    cfg["orgId"] = live.org_id
    cfg["app"] = target.app
    if group["name"] != target.prefix:
        cfg["projectName"] = group["name"]
    _project(live, target, out)
    _teams(live, target, out)
    _federation(live, target, out)
    cluster = choose_cluster(live.clusters, target.cluster)
    _other_clusters(live, cluster, out)
    if cluster is not None:
        _cluster(live, cluster, target, out)
    else:
        out.items.append(
            Item(
                "not adopted",
                "cluster",
                "the project has no dedicated AWS cluster this program can hold (one replica set or sharded cluster of "
                "identical shards, all nodes on AWS); a production stack needs one: add `cluster` by hand",
            )
        )
    custom_role_names = _custom_roles(live, target, out)
    _users(live, target, out, cluster, custom_role_names)
    _network(live, target, out, cluster)
    _alerts(live, target, out)
    _integrations(live, target, out)
    _auditing(live, target, out)
    _logs(live, target, out)
    _unhomed(live, target, out)
    return out


# --- Project, teams, identity-provider groups ---


def _project(live: LiveProject, target: Target, out: Generated) -> None:
    cfg = out.config
    tags = {}
    for tag in live.group.get("tags") or []:
        key, value = str(tag.get("key")), str(tag.get("value"))
        if key.lower() in RESERVED_TAGS:
            continue  # set by the program from `environment` and `app`; a different value is a listed change
        tags[key] = value
    if tags:
        cfg["projectTags"] = tags
    settings = live.settings
    written: dict[str, Any] = {}
    explorer = bool(settings.get("isDataExplorerEnabled"))
    if explorer != (not target.production):
        written["dataExplorer"] = explorer
        if target.production and explorer:
            _with_comment(
                written,
                "dataExplorer",
                "Production default: off (data access through database users only). Remove this line to turn it off.",
            )
            out.items.append(
                Item(
                    "production defaults",
                    "Data Explorer",
                    "on in Atlas; production's default is off: remove `projectSettings.dataExplorer: true`",
                )
            )
    for key, atlas_key, default in (
        ("dataExplorerGenAi", "isDataExplorerGenAIFeaturesEnabled", False),
        ("performanceAdvisor", "isPerformanceAdvisorEnabled", True),
        ("schemaAdvisor", "isSchemaAdvisorEnabled", True),
        ("realtimePerformancePanel", "isRealtimePerformancePanelEnabled", True),
        ("collectDatabaseStatistics", "isCollectDatabaseSpecificsStatisticsEnabled", True),
    ):
        setting = settings.get(atlas_key)
        if setting is not None and bool(setting) != default:
            written[key] = bool(setting)
    if written:
        cfg["projectSettings"] = written


def _teams(live: LiveProject, target: Target, out: Generated) -> None:
    teams: list[dict[str, Any]] = []
    taken: set[str] = set()
    for team in sorted(live.teams, key=lambda t: str(t["teamId"])):
        team_id = str(team["teamId"])
        roles = sorted(str(r) for r in team.get("roleNames") or [])
        foreign = [r for r in roles if r not in PROJECT_ROLES]
        if foreign or not roles:
            out.skipped[("teams", team_id)] = (
                f"holds {', '.join(foreign) or 'no role'}, which the stack file's `teams[].roles` cannot hold; "
                "managing it here would change its roles"
            )
            continue
        name = live.team_names.get(team_id) or f"team-{team_id[-6:]}"
        entry: dict[str, Any] = {
            "name": unique_label(name, taken, f"team-{team_id[-6:]}"),
            "teamId": team_id,
            "roles": roles,
            IDENTITY: team_id,
        }
        if team_id not in live.team_names:
            entry[COMMENT] = (
                "Its name could not be read (organization member needed): rename `name` freely before the first `pulumi up`."
            )
        if target.production and "GROUP_OWNER" in roles:
            entry["ownerReason"] = target.adopted("held GROUP_OWNER")
            _with_comment(entry, "ownerReason", "Written as found: say why this team must own production, or lower its roles.")
            out.items.append(
                Item("review", f"team {entry['name']}", "owns the production project: replace `ownerReason` with the real reason")
            )
        teams.append(entry)
    if teams:
        out.config["teams"] = teams


def _federation(live: LiveProject, target: Target, out: Generated) -> None:
    if live.federation_settings_id is None:
        return
    groups = []
    for mapping in sorted(live.role_mappings, key=lambda m: str(m.get("externalGroupName"))):
        assignments = mapping.get("roleAssignments") or []
        here = sorted(str(a["role"]) for a in assignments if a.get("groupId") == live.project_id and a.get("role"))
        if not here:
            continue
        elsewhere = [
            a
            for a in assignments
            if a.get("groupId") not in (None, live.project_id) or (a.get("orgId") and a.get("role") != "ORG_MEMBER")
        ]
        name = str(mapping.get("externalGroupName"))
        if elsewhere:
            out.skipped[("role mappings", name)] = (
                "also grants roles outside this project (in other projects or on the organization); the program sends a "
                "mapping's whole list of roles, so managing it here would remove them"
            )
            continue
        entry: dict[str, Any] = {"externalGroupName": name, "roles": here, IDENTITY: name}
        if target.production and "GROUP_OWNER" in here:
            entry["ownerReason"] = target.adopted("held GROUP_OWNER")
            _with_comment(entry, "ownerReason", "Written as found: say why this group must own production, or lower its roles.")
            out.items.append(Item("review", f"IdP group {name}", "owns the production project: replace `ownerReason`"))
        groups.append(entry)
    if groups:
        out.config["federation"] = {"settingsId": live.federation_settings_id, "groups": groups}


# --- The cluster ---


def _other_clusters(live: LiveProject, chosen: dict[str, Any] | None, out: Generated) -> None:
    for cluster in live.clusters:
        if chosen is not None and cluster["name"] == chosen["name"]:
            continue
        kind = "not a dedicated AWS cluster" if not dedicated_aws(cluster) else str(cluster.get("clusterType", "")).lower()
        out.skipped[("clusters", str(cluster["name"]))] = (
            f"the stack file holds one cluster and adoption took {chosen['name']!r}"
            if chosen is not None and dedicated_aws(cluster)
            else f"{kind}: this program builds dedicated AWS clusters only"
        ) + ("; run again with CLUSTER=<name> to take another" if chosen is not None else "")


def _specs(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for spec in cluster.get("replicationSpecs") or [] for c in spec.get("regionConfigs") or []]


def _layout(spec: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            c.get("regionName"),
            c.get("priority"),
            (c.get("electableSpecs") or {}).get("nodeCount", 0),
            (c.get("readOnlySpecs") or {}).get("nodeCount", 0),
            (c.get("analyticsSpecs") or {}).get("nodeCount", 0),
        )
        for c in spec.get("regionConfigs") or []
    )


def choose_cluster(clusters: list[dict[str, Any]], name: str | None) -> dict[str, Any] | None:
    """The cluster adoption takes: the one named, else the first by name the stack file can hold, else the
    first dedicated AWS one (said as not adopted). The stack file holds one cluster; the others are listed."""
    if name is not None:
        return next((c for c in clusters if c.get("name") == name), None)
    candidates = sorted((c for c in clusters if dedicated_aws(c)), key=lambda c: str(c["name"]))
    return next((c for c in candidates if _cluster_holdable(c) is None), candidates[0] if candidates else None)


def _cluster_holdable(cluster: dict[str, Any]) -> str | None:
    """Why the stack file's `cluster` cannot hold this cluster, or None."""
    if cluster.get("clusterType") not in ("REPLICASET", "SHARDED"):
        return (
            f"a {cluster.get('clusterType')} cluster: the stack file holds a replica set or a sharded cluster of identical shards"
        )
    specs = cluster.get("replicationSpecs") or []
    if len({json.dumps(_layout(s)) for s in specs}) > 1:
        return "its shards differ in regions or nodes: the stack file's `cluster.shards` makes identical shards"
    sizes = {
        str((c.get(kind) or {}).get("instanceSize"))
        for c in _specs(cluster)
        for kind in ("electableSpecs", "readOnlySpecs", "analyticsSpecs")
        if (c.get(kind) or {}).get("nodeCount")
    }
    if len(sizes) != 1 or not sizes <= set(DEDICATED_TIERS):
        return (
            f"its nodes run {', '.join(sorted(sizes))}: the stack file's `cluster.tier` is one dedicated AWS tier for every node"
        )
    if str(cluster.get("mongoDBMajorVersion")) not in MONGODB_MAJOR_VERSIONS:
        return (
            f"MongoDB {cluster.get('mongoDBMajorVersion')} is not one the stack file takes ({', '.join(MONGODB_MAJOR_VERSIONS)}); "
            "upgrade it in Atlas first, or the program's first `pulumi up` would"
        )
    return None


def _cluster(live: LiveProject, cluster: dict[str, Any], target: Target, out: Generated) -> None:
    name = str(cluster["name"])
    why = _cluster_holdable(cluster)
    if why is not None:
        out.skipped[("clusters", name)] = why
        return
    prod = target.production
    spec = (cluster.get("replicationSpecs") or [{}])[0]
    configs = spec.get("regionConfigs") or []
    tier = next(
        str((c.get(kind) or {}).get("instanceSize"))
        for c in configs
        for kind in ("electableSpecs", "readOnlySpecs", "analyticsSpecs")
        if (c.get(kind) or {}).get("nodeCount")
    )
    written: dict[str, Any] = {"tier": tier, "mongoDbMajorVersion": str(cluster["mongoDBMajorVersion"])}
    match = re.fullmatch(rf"{re.escape(target.prefix)}-cluster([1-9][0-9]?)", name)
    if match:
        if match.group(1) != "1":
            written["number"] = int(match.group(1))
    else:
        written["name"] = name
    regions = []
    for config in sorted(configs, key=lambda c: (-int(c.get("priority", 0)), str(c.get("regionName")))):
        region: dict[str, Any] = {"region": aws_region_name(str(config["regionName"]))}
        electable = int((config.get("electableSpecs") or {}).get("nodeCount", 0))
        priority = int(config.get("priority", 0))
        if priority != 7:
            region["priority"] = priority
        if electable != 3:
            region["electableNodes"] = electable
        for key, kind in (("readOnlyNodes", "readOnlySpecs"), ("analyticsNodes", "analyticsSpecs")):
            count = int((config.get(kind) or {}).get("nodeCount", 0))
            if count:
                region[key] = count
        regions.append(region)
    written["regions"] = regions
    if cluster.get("clusterType") == "SHARDED":
        written["shards"] = len(cluster.get("replicationSpecs") or [])
    scaling = _auto_scaling(configs, out, name)
    if scaling:
        written["autoScaling"] = scaling
    protected = bool(cluster.get("terminationProtectionEnabled"))
    if protected != prod and not (prod and not protected):
        written["terminationProtection"] = protected
    if prod and not protected:
        _default_item(out, "termination protection", "off in Atlas: the first `pulumi up` turns it on (production refuses off)")
    tls = str(live.process_args.get(name, {}).get("minimumEnabledTlsProtocol") or DEFAULT_MINIMUM_TLS)
    if tls in TLS_PROTOCOLS:
        if tls != DEFAULT_MINIMUM_TLS:
            written["minimumTls"] = tls
    else:
        _default_item(out, "minimum TLS", f"{tls} in Atlas: the first `pulumi up` raises it to {DEFAULT_MINIMUM_TLS}")
    if cluster.get("redactClientLogData") is False:
        written["redactClientLogData"] = False
        _with_comment(
            written,
            "redactClientLogData",
            "Default: true (document contents kept out of the logs). Remove this line to turn it on.",
        )
    backup = _backup(live, cluster, target, out)
    if backup:
        written["backup"] = backup
    encryption = _encryption(live, cluster, target, out)
    if encryption:
        written["encryption"] = encryption
    window = _maintenance(live)
    if window:
        written["maintenanceWindow"] = window
    out.config["cluster"] = written
    preferred = regions[0]["region"]
    out.other["aws:region"] = preferred


def _default_item(out: Generated, subject: str, text: str) -> None:
    out.items.append(Item("production defaults", subject, text))


def _auto_scaling(configs: list[dict[str, Any]], out: Generated, name: str) -> dict[str, Any]:
    settings = {json.dumps(c.get("autoScaling") or {}, sort_keys=True) for c in configs}
    scaling = json.loads(sorted(settings)[0]) if settings else {}
    written: dict[str, Any] = {}
    disk = bool((scaling.get("diskGB") or {}).get("enabled"))
    if not disk:
        written["disk"] = False
    compute = scaling.get("compute") or {}
    if compute.get("enabled"):
        bounds: dict[str, Any] = {"enabled": True}
        if compute.get("maxInstanceSize") in SCALABLE_TIERS:
            bounds["maxTier"] = compute["maxInstanceSize"]
        if compute.get("scaleDownEnabled") and compute.get("minInstanceSize") in SCALABLE_TIERS:
            bounds["minTier"] = compute["minInstanceSize"]
        written["compute"] = bounds
    if len(settings) > 1:
        out.items.append(
            Item(
                "review",
                f"cluster {name}",
                "its regions scale differently; the stack file takes one auto-scaling setting for all",
            )
        )
    return written


def _policy_items(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for policy in schedule.get("policies") or [] for item in policy.get("policyItems") or []]


def _backup(live: LiveProject, cluster: dict[str, Any], target: Target, out: Generated) -> dict[str, Any]:
    prod = target.production
    written: dict[str, Any] = {}
    enabled = bool(cluster.get("backupEnabled"))
    if not enabled:
        if prod:
            _default_item(out, "Cloud Backup", "off in Atlas: the first `pulumi up` turns it on (production refuses off)")
        else:
            written["enabled"] = False
        return written
    pit = bool(cluster.get("pitEnabled"))
    if pit and not prod:
        written["pointInTime"] = True
    elif not pit and prod:
        _default_item(out, "point-in-time restore", "off in Atlas: the first `pulumi up` turns it on (production refuses off)")
    schedule = live.backup_schedules.get(str(cluster["name"]), {})
    window = schedule.get("restoreWindowDays")
    pit_on = pit or prod
    if pit_on and isinstance(window, int) and window != (7 if prod else 2) and (window >= 7 or not prod):
        written["restoreWindowDays"] = window
    if pit_on and prod and isinstance(window, int) and window < 7:
        _default_item(
            out, "restore window", f"{window} days in Atlas: the first `pulumi up` widens it to production's minimum of 7"
        )
    for key, atlas_key, default in (
        ("referenceHourOfDay", "referenceHourOfDay", 3),
        ("referenceMinuteOfHour", "referenceMinuteOfHour", 0),
    ):
        if isinstance(schedule.get(atlas_key), int) and schedule[atlas_key] != default:
            written[key] = schedule[atlas_key]
    items = _policy_items(schedule)

    def one(frequency: str, unit: str) -> dict[str, Any] | None:
        found = [i for i in items if i.get("frequencyType") == frequency]
        return found[0] if len(found) == 1 and found[0].get("retentionUnit") == unit else None

    hourly, daily, weekly, monthly = one("hourly", "days"), one("daily", "days"), one("weekly", "weeks"), one("monthly", "months")
    if hourly and (hourly["frequencyInterval"] != 6 or hourly["retentionValue"] != 7):
        written["hourly"] = {"everyHours": hourly["frequencyInterval"], "retainDays": hourly["retentionValue"]}
    if daily and daily["retentionValue"] != 7:
        written["daily"] = {"retainDays": daily["retentionValue"]}
    if weekly and (weekly["frequencyInterval"] != 7 or weekly["retentionValue"] != 4):
        written["weekly"] = {"day": weekly["frequencyInterval"], "retainWeeks": weekly["retentionValue"]}
    if monthly and (monthly["frequencyInterval"] != 1 or monthly["retentionValue"] != 12):
        written["monthly"] = {"day": monthly["frequencyInterval"], "retainMonths": monthly["retentionValue"]}
    copies = []
    for copy in sorted(schedule.get("copySettings") or [], key=lambda c: str(c.get("regionName"))):
        if copy.get("cloudProvider") != "AWS":
            continue
        frequencies = [f.lower() for f in copy.get("frequencies") or [] if f.lower() in ("hourly", "daily", "weekly", "monthly")]
        entry: dict[str, Any] = {"region": aws_region_name(str(copy["regionName"]))}
        if frequencies and frequencies != ["daily", "weekly", "monthly"]:
            entry["frequencies"] = frequencies
        if copy.get("shouldCopyOplogs") is not None and bool(copy["shouldCopyOplogs"]) != pit_on:
            entry["copyOplogs"] = bool(copy["shouldCopyOplogs"])
        copies.append(entry)
    if copies:
        written["copies"] = copies
    if schedule.get("autoExportEnabled"):
        out.items.append(
            Item(
                "not adopted",
                "snapshot export",
                "Atlas exports snapshots automatically to a bucket this adoption does not read; the program's schedule "
                "would turn it off: set `snapshotExport` (docs/cluster.md) before the first `pulumi up`, or accept that",
            )
        )
    if live.compliance_policy:
        out.items.append(
            Item(
                "not adopted",
                "Backup Compliance Policy",
                "the project has one; it stays in Atlas as it is (the program cannot shorten backups it protects). To manage "
                "it, add `cluster.backup.compliancePolicy` with its authorized person (docs/cluster.md)",
            )
        )
    return written


def _encryption(live: LiveProject, cluster: dict[str, Any], target: Target, out: Generated) -> dict[str, Any]:
    prod = target.production
    kms = live.encryption_at_rest.get("awsKms") or {}
    if not kms.get("enabled"):
        if prod:
            _default_item(
                out,
                "encryption at rest with your KMS key",
                "off in Atlas; production's default is on. `cluster.encryption.enabled: false` keeps it off, and the pack's "
                "atlas-cluster-production-settings (mandatory in production) refuses the stack until you remove that line "
                "and give `keyAdminArns` (or an existing `keyArn`)",
            )
            return {
                "enabled": False,
                COMMENTS: {"enabled": "Production default: on. Remove this line and add keyAdminArns (or keyArn) to turn it on."},
            }
        return {}
    role = kms_role(live)
    key = str(kms.get("customerMasterKeyID") or "")
    written: dict[str, Any] = {} if prod else {"enabled": True}
    if KMS_KEY_ARN.fullmatch(key):
        written["keyArn"] = key
    else:
        account = str((role or {}).get("iamAssumedRoleArn") or "::::").split(":")[4] or "000000000000"
        region = aws_region_name(str(kms.get("region") or "US_EAST_1"))
        written["keyArn"] = f"arn:aws:kms:{region}:{account}:key/{key}"
        _with_comment(
            written,
            "keyArn",
            "Built from the key id Atlas holds and the account of the role Atlas assumes: check it. Atlas will be sent this ARN "
            "instead of the bare id.",
        )
        out.items.append(
            Item(
                "review",
                "encryption key",
                f"Atlas holds the bare key id {key!r}; the stack file takes an ARN ({written['keyArn']}), which the first "
                "`pulumi up` sends to Atlas: check the account, and that Atlas treats it as the same key (only real Atlas shows)",
            )
        )
    private = bool(kms.get("requirePrivateNetworking"))
    if not prod and private:
        written["requirePrivateNetworking"] = True
    if prod and not private:
        _default_item(
            out,
            "KMS over PrivateLink",
            "Atlas reaches the key over the public KMS endpoint; production requires PrivateLink, so the first `pulumi up` "
            "turns on requirePrivateNetworking and creates a KMS private endpoint in the key's region and in every region "
            "with nodes (Atlas reaches the key only through them once they are ACTIVE: docs/cluster.md)",
        )
    if role is None:
        out.items.append(
            Item(
                "not adopted",
                "encryption at rest",
                "the role Atlas assumes for the key is not in the project's cloud-provider access",
            )
        )
    return written


def _maintenance(live: LiveProject) -> dict[str, Any]:
    window = live.maintenance_window
    written: dict[str, Any] = {}
    day = int(window.get("dayOfWeek") or 1)
    if DAYS_OF_WEEK[day - 1] != "sunday":
        written["day"] = DAYS_OF_WEEK[day - 1]
    if int(window.get("hourOfDay") or 0) != 3:
        written["hour"] = int(window.get("hourOfDay") or 0)
    if window.get("autoDeferOnceEnabled"):
        written["autoDefer"] = True
    protected = window.get("protectedHours") or {}
    if protected.get("startHourOfDay") is not None and protected.get("endHourOfDay") is not None:
        written["protectedHours"] = {"startHour": protected["startHourOfDay"], "endHour": protected["endHourOfDay"]}
    return written


# --- Database users and custom roles ---


def _custom_roles(live: LiveProject, target: Target, out: Generated) -> set[str]:
    roles = []
    for role in sorted(live.custom_roles, key=lambda r: str(r["roleName"])):
        actions = []
        for action in sorted(role.get("actions") or [], key=lambda a: str(a["action"])):
            resources = []
            for resource in action.get("resources") or []:
                if resource.get("cluster"):
                    resources.append("cluster")
                elif resource.get("db"):
                    resources.append(
                        f"{resource['db']}.{resource['collection']}" if resource.get("collection") else str(resource["db"])
                    )
            actions.append({"action": action["action"], "resources": sorted(dict.fromkeys(resources))})
        inherited = sorted(f"{r['role']}@{r['db']}" for r in role.get("inheritedRoles") or [])
        entry: dict[str, Any] = {"name": role["roleName"], IDENTITY: str(role["roleName"])}
        if actions:
            entry["actions"] = actions
        if inherited:
            entry["inheritedRoles"] = inherited
        roles.append(entry)
    if roles:
        out.config["customRoles"] = roles
    return {str(r["name"]) for r in roles}


def auth_of(user: dict[str, Any]) -> str | None:
    """The stack file's `auth` for an Atlas user, or None for a kind the program does not hold."""
    if user.get("ldapAuthType") not in (None, "NONE"):
        return None
    if user.get("x509Type") == "MANAGED":
        return "x509"
    if user.get("x509Type") not in (None, "NONE"):
        return None
    if user.get("awsIAMType") in ("ROLE", "USER"):
        return "awsIam"
    if user.get("oidcAuthType") in ("IDP_GROUP", "USER"):
        return "oidc"
    return "password" if user.get("databaseName") == "admin" else None


def _grant(role: dict[str, Any]) -> str:
    text = f"{role['roleName']}@{role['databaseName']}"
    return f"{text}.{role['collectionName']}" if role.get("collectionName") else text


def _kind(user: dict[str, Any], labels: dict[str, str], custom_read_only: set[str]) -> tuple[str, bool]:
    """The user's kind: its `kind` label, else guessed from its roles (guessed: True)."""
    if labels.get("kind") in ("app", "analytics", "dba"):
        return labels["kind"], False
    names = {str(r["roleName"]) for r in user.get("roles") or []}
    readers = {"read", "readAnyDatabase"} | custom_read_only
    if names and names <= readers:
        return "analytics", True
    if names & {"dbAdmin", "dbAdminAnyDatabase", "clusterMonitor", "enableSharding", "backup"} and not names & {
        "readWrite",
        "readWriteAnyDatabase",
        "atlasAdmin",
    }:
        return "dba", True
    return "app", True


def _read_only_custom_roles(live: LiveProject) -> set[str]:
    return {
        str(r["roleName"])
        for r in live.custom_roles
        if not r.get("inheritedRoles") and all(a.get("action") in READ_ONLY_ACTIONS for a in r.get("actions") or [])
    }


def _users(live: LiveProject, target: Target, out: Generated, cluster: dict[str, Any] | None, custom_roles: set[str]) -> None:
    users: list[tuple[str, dict[str, Any]]] = []
    taken: set[str] = set()
    read_only = _read_only_custom_roles(live)
    adopted_cluster = str(cluster["name"]) if cluster is not None else None
    ordered = sorted(live.database_users, key=lambda u: (str(u["username"]), str(u.get("databaseName"))))
    for user in ordered:
        username, identity = str(user["username"]), f"{user['username']}@{user.get('databaseName')}"
        auth = auth_of(user)
        if auth is None:
            kind = (
                "LDAP"
                if user.get("ldapAuthType") not in (None, "NONE")
                else "customer-CA X.509"
                if user.get("x509Type") == "CUSTOMER"
                else "this"
            )
            out.skipped[("database users", identity)] = (
                f"signs in with {kind} authentication, which the stack file does not hold (password, awsIam, x509 managed by "
                "Atlas, oidc); it stays in Atlas as it is"
            )
            continue
        if user.get("deleteAfterDate"):
            out.skipped[("database users", identity)] = (
                "is temporary (Atlas deletes it on its deleteAfterDate); the stack file holds no expiry, so managing it would keep it"
            )
            continue
        labels = {str(label_["key"]): str(label_["value"]) for label_ in user.get("labels") or []}
        entry: dict[str, Any] = {}
        if auth in ("password", "x509"):
            if not username.startswith(f"{target.prefix}-") or not LABEL.fullmatch(username[len(target.prefix) + 1 :]):
                out.skipped[("database users", identity)] = (
                    f"the program names {auth} users `<app>-<environment>-<name>` ({target.prefix}-<name>); managing "
                    f"{username!r} would replace it by a new user. Create the new user alongside, move the application, then "
                    "delete the old one"
                )
                continue
            name = username[len(target.prefix) + 1 :]
            taken.add(name)
        elif auth == "awsIam":
            entry["iamArn"] = username
            name = unique_label(username.rsplit("/", 1)[-1].removeprefix(f"{target.prefix}-"), taken, "iam-user")
        else:
            provider_id, _, principal = username.partition("/")
            entry["identityProviderId"] = provider_id
            name = unique_label(principal.removeprefix(f"{target.prefix}-"), taken, "oidc-user")
        kind, guessed = _kind(user, labels, read_only)
        if auth == "oidc":
            entry["group" if user.get("oidcAuthType") == "IDP_GROUP" else "oidcUser"] = username.partition("/")[2]
            if user.get("oidcAuthType") == "USER":
                kind, guessed = "app", guessed
            elif kind == "app":
                kind = "dba"
        owner = labels.get("owner", "")
        head: dict[str, Any] = {"name": name, "kind": kind}
        if auth != "password":
            head["auth"] = auth
        head["owner"] = owner if LABEL.fullmatch(owner) else "unassigned"
        description = str(user.get("description") or "").strip()
        head["description"] = description if len(description) >= 10 else f"{kind} user {username}, adopted from Atlas"[:100]
        entry = {**head, **entry, IDENTITY: identity}
        notes = []
        if guessed:
            notes.append(f"kind guessed from its roles ({kind})")
        if head["owner"] == "unassigned":
            notes.append("no owner label in Atlas: set `owner`")
        if len(description) < 10:
            notes.append("no description in Atlas (the program requires one): reword `description`")
        grants = sorted(_grant(r) for r in user.get("roles") or [])
        if any(
            r.get("roleName") in ("atlasAdmin", "readWriteAnyDatabase", "readAnyDatabase", "dbAdminAnyDatabase")
            for r in user.get("roles") or []
        ):
            entry["broadRoleReason"] = target.adopted("held a role on every database")
            notes.append("holds a role on every database: replace `broadRoleReason`, and the pack needs an exception")
        entry["roles"] = grants
        scopes = [s for s in user.get("scopes") or [] if s.get("type") == "CLUSTER"]
        names = sorted(str(s["name"]) for s in scopes)
        if names and names != [adopted_cluster]:
            entry["clusters"] = names
        if not names:
            notes.append("reaches every cluster in Atlas; the program scopes it to the stack's cluster")
        extra = {k: v for k, v in labels.items() if k not in RESERVED_LABELS and LABEL.fullmatch(k) and LABEL.fullmatch(v)}
        if extra:
            entry["labels"] = extra
        if notes:
            entry[COMMENT] = "Review: " + "; ".join(notes) + "."
        users.append((identity, entry))

    # Atlas's limit counts Atlas users: a production `app` password user alternates by default (docs/users.md,
    # "Rotation"), so it is two of them. The model's own rule says which entry alternates.
    def atlas_users(entry: dict[str, Any]) -> int:
        fields = {"name": entry["name"], "kind": entry["kind"], "auth": entry.get("auth", "password")}
        return len(DatabaseUser.model_construct(**fields).slots(target.production))

    kept, count = [], 0
    for identity, entry in users:
        count += atlas_users(entry)
        if count > MAX_USERS_PER_PROJECT:
            out.skipped[("database users", identity)] = (
                f"over the program's limit of {MAX_USERS_PER_PROJECT} database users per project (Atlas's default), "
                "counting both users of each alternating credential: the first ones by name are adopted"
            )
        else:
            kept.append((identity, entry))
    users = kept
    if users:
        out.config["databaseUsers"] = [entry for _, entry in users]
    notes_by_text: dict[str, list[str]] = {}
    for identity, entry in users:
        for note in str(entry.get(COMMENT, "")).removeprefix("Review: ").rstrip(".").split("; "):
            if note:
                notes_by_text.setdefault(note, []).append(identity.rsplit("@", 1)[0])
    for note, names in sorted(notes_by_text.items()):
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        out.items.append(Item("review", f"database users {shown}", note))
    for _, entry in users:
        if entry.get("auth", "password") == "password":
            alternating = atlas_users(entry) == 2
            out.items.append(
                Item(
                    "passwords",
                    f"{target.prefix}-{entry['name']}",
                    "Atlas never returns a password: the first `pulumi up` sets a new generated one on this user and stores it "
                    f"in Secrets Manager as {target.app}/{target.environment}/mongodb/{entry['name']} (docs/adopt.md, "
                    '"Passwords"); '
                    + (
                        f'as a production app user it rotates by alternating users (docs/users.md, "Rotation"): '
                        f"{target.prefix}-{entry['name']}-b is created beside it, and later rotations bump `rotationCount` "
                        "without failing a client"
                        if alternating
                        else "rotate later by bumping `passwordVersion`"
                    ),
                )
            )


# --- Network ---


def _network(live: LiveProject, target: Target, out: Generated, cluster: dict[str, Any] | None) -> None:
    network: dict[str, Any] = {}
    entries = []
    for entry in sorted(
        live.access_list, key=lambda e: str(e.get("cidrBlock") or e.get("ipAddress") or e.get("awsSecurityGroup"))
    ):
        source = entry_source(entry)
        identity = source[1]
        if entry.get("deleteAfterDate"):
            out.skipped[("access list", identity)] = (
                "is temporary (Atlas deletes it on its deleteAfterDate); the stack file holds no expiry, so managing it would keep it"
            )
            continue
        private = _private_range(source)
        if private is not None:
            out.skipped[("access list", identity)] = (
                f"is inside {private}, a private or carrier-grade NAT range, which the stack file refuses in an access list "
                "(docs/network.md): no client reaches Atlas from it over the internet, so it stays in Atlas as it is; "
                "a network peered with Atlas is written as its awsSecurityGroup"
            )
            continue
        comment = str(entry.get("comment") or "").strip()
        if not 3 <= len(comment) <= 80:
            out.skipped[("access list", identity)] = (
                "has no comment of 3-80 characters, which the stack file requires, and changing a comment replaces the entry "
                "(delete, then create: seconds without access): add a comment in Atlas, then run adoption again"
            )
            continue
        entries.append({source[0]: identity, "comment": comment, IDENTITY: identity})
    if entries:
        network["accessList"] = entries
    regions = _private_endpoints(live, target, out, cluster)
    if regions:
        network["privateEndpoints"] = regions
    elif target.production:
        found = "Its private endpoints were not adopted" if live.endpoint_services else "No private endpoint"
        network["privateEndpointOptOutReason"] = target.adopted(found)
        _with_comment(
            network,
            "privateEndpointOptOutReason",
            "Production default: a private endpoint. Written as found; replace with why this project stays public, or add privateEndpoints.",
        )
        _default_item(
            out,
            "private endpoint",
            "none adopted: `network.privateEndpointOptOutReason` is written as found; the pack's atlas-prod-private-endpoint "
            "(mandatory in production) flags the stack unless its policy config gives optOutReason: add privateEndpoints instead",
        )
    if network:
        out.config["network"] = network


def _private_range(source: tuple[str, str]) -> str | None:
    """The private or carrier-grade NAT range (stackconfig.network.NON_PUBLIC_RANGES) an entry lies in, if any."""
    if source[0] == "awsSecurityGroup":
        return None
    network = ipaddress.ip_network(source[1], strict=False)
    return next((str(r) for r in NON_PUBLIC_RANGES if r.version == network.version and network.subnet_of(r)), None)  # type: ignore[arg-type]


def entry_source(entry: dict[str, Any]) -> tuple[str, str]:
    """(stack-file key, value) of an access-list entry: a single host as ipAddress, else its range or group."""
    if entry.get("awsSecurityGroup"):
        return "awsSecurityGroup", str(entry["awsSecurityGroup"])
    text = str(entry.get("cidrBlock") or entry.get("ipAddress"))
    network = ipaddress.ip_network(text, strict=False)
    if network.num_addresses == 1:
        return "ipAddress", str(network.network_address)
    return "cidrBlock", str(network)


def _private_endpoints(live: LiveProject, target: Target, out: Generated, cluster: dict[str, Any] | None) -> list[dict[str, Any]]:
    services = {str(s["regionName"]): s for s in live.endpoint_services if s.get("cloudProvider", "AWS") == "AWS"}
    if not services:
        return []
    # Each VPC, by (its region, its id): the service regions it has an endpoint in, and its details.
    vpcs: dict[tuple[str, str], dict[str, Any]] = {}
    for atlas_region, service in sorted(services.items()):
        region = aws_region_name(atlas_region)
        for endpoint_id in service.get("interfaceEndpoints") or []:
            details = target.aws_endpoints.get(str(endpoint_id))
            status = str(live.interface_endpoints.get(str(endpoint_id), {}).get("connectionStatus", "AVAILABLE"))
            if details is None:
                out.skipped[("interface endpoints", str(endpoint_id))] = (
                    f"an interface endpoint to the {region} endpoint service, in an AWS account adoption cannot see: give its "
                    "VPC, subnets and security group in the AWS_ENDPOINTS file (docs/adopt.md) and run again"
                )
                continue
            if status != "AVAILABLE":
                out.items.append(Item("review", f"interface endpoint {endpoint_id}", f"its connection is {status} in Atlas"))
            home = details.region or region
            vpc = vpcs.setdefault((home, details.vpc_id), {"details": details, "regions": set()})
            vpc["regions"].add(region)
    service_regions = {aws_region_name(r) for r in services}
    by_home: dict[str, list[dict[str, Any]]] = {}
    taken: dict[str, set[str]] = {}
    for (home, vpc_id), vpc in sorted(vpcs.items()):
        given: VpcDetails = vpc["details"]
        if home not in service_regions:
            out.skipped[("interface endpoints", given.endpoint_id)] = (
                f"its VPC is in {home}, where the project has no endpoint service; the stack file lists each VPC under its own region's service"
            )
            continue
        entry: dict[str, Any] = {
            "name": unique_label(given.name or vpc_id, taken.setdefault(home, set()), "vpc"),
            "vpcId": vpc_id,
            "subnetIds": sorted(given.subnet_ids),
            "securityGroupId": given.security_group_id,
        }
        if vpc["regions"] == {home} and len(service_regions) > 1:
            entry["crossRegionPrivateLink"] = False
        elif vpc["regions"] != service_regions:
            out.items.append(
                Item(
                    "changes",
                    f"VPC {vpc_id}",
                    f"has endpoints in {', '.join(sorted(vpc['regions']))}; the program gives a VPC an endpoint in its own region "
                    "and, with crossRegionPrivateLink, in every other: the first `pulumi up` creates the missing ones",
                )
            )
        by_home.setdefault(home, []).append(entry)
    regions = []
    for atlas_region in sorted(services):
        region = aws_region_name(atlas_region)
        if region not in by_home:
            out.skipped[("endpoint services", atlas_region)] = (
                f"the {region} endpoint service has no interface endpoint adoption can hold (the stack file lists each "
                "region with at least one VPC)"
            )
            continue
        regions.append({"region": region, "vpcs": by_home[region]})
        out.items.append(
            Item(
                "aws",
                f"interface endpoints in {region}",
                "imported by their ids with the VPCs you gave: the values compared here are Atlas's, and only a real "
                "`pulumi preview` shows whether AWS holds the tags, subnets and security groups the program sends",
            )
        )
    return regions


# --- Alerts, channels, integrations ---


def _masked_tail(value: Any) -> str:
    """The visible end of a key Atlas masks (`****7c1b`): tells two services apart. Used only to group
    notifications into channels; nothing of it is written (the channels' categories tell them apart)."""
    text = str(value or "")
    return text.lstrip("*")[-4:] if "*" in text else ""


def _notification_target(note: dict[str, Any]) -> tuple[str, ...] | None:
    """A notification as a channel identity (type, target, interval, the masked key's end), or None when
    the stack file cannot hold it."""
    kind = note.get("typeName")
    interval = str(int(note.get("intervalMin") or 60))
    if kind == "EMAIL" and note.get("emailAddress"):
        return ("EMAIL", str(note["emailAddress"]), interval, "")
    if kind == "SLACK" and note.get("channelName"):
        return ("SLACK", str(note["channelName"]), interval, _masked_tail(note.get("apiToken")))
    if kind == "PAGER_DUTY":
        # PagerDuty repeats on its own: Atlas keeps no interval for it.
        return ("PAGER_DUTY", "", "", _masked_tail(note.get("serviceKey")))
    if kind == "DATADOG":
        return ("DATADOG", str(note.get("datadogRegion") or "US"), interval, _masked_tail(note.get("datadogApiKey")))
    fallback = sorted(note.get("roles") or []) == sorted(FALLBACK_ROLES) and interval == "60"
    if kind == "GROUP" and fallback and note.get("emailEnabled") and not note.get("smsEnabled"):
        return ("FALLBACK",)
    return None


def _baseline_for(config: dict[str, Any]) -> BaselineAlert | None:
    metric = (config.get("metricThreshold") or {}).get("metricName")
    for base in BASELINE:
        if base.event_type == config.get("eventTypeName") and base.metric == metric:
            return base
    return None


def _alert_identity(config: dict[str, Any]) -> str:
    metric = (config.get("metricThreshold") or {}).get("metricName")
    return f"{config.get('eventTypeName')}{' ' + str(metric) if metric else ''} ({config.get('id')})"


def _alerts(live: LiveProject, target: Target, out: Generated) -> None:
    tuning_keys = {f.alias: n for n, f in BaselineTuning.model_fields.items()}
    holdable: list[tuple[dict[str, Any], BaselineAlert | None, frozenset[tuple[str, ...]], int]] = []
    for config in sorted(live.alert_configs, key=lambda c: str(c.get("id"))):
        identity = _alert_identity(config)
        why = _alert_unholdable(config)
        found = [_notification_target(n) for n in config.get("notifications") or []]
        delays = {int(n.get("delayMin") or 0) for n in config.get("notifications") or []}
        if why is None and (None in found or not found):
            why = "notifies someone the stack file's channels cannot name (a user, a team, SMS, another tool, or project roles other than the owners and cluster managers)"
        if why is None and len(delays) > 1:
            why = "its notifications wait different delays; the stack file gives one delay per alert"
        if why is not None:
            out.skipped[("alerts", identity)] = why
            continue
        kept = frozenset(t for t in found if t is not None and t != ("FALLBACK",))
        holdable.append((config, _baseline_for(config), kept, delays.pop() if delays else 0))
    # One live alert per baseline key; each category's alerts must share one set of channels.
    by_key: dict[str, tuple[dict[str, Any], frozenset[tuple[str, ...]], int]] = {}
    custom: list[tuple[dict[str, Any], frozenset[tuple[str, ...]], int]] = []
    for config, base, targets, delay in holdable:
        if base is not None and _threshold_fits(config, base):
            if base.key in by_key:
                out.skipped[("alerts", _alert_identity(config))] = (
                    f"a second alert of the baseline's {base.key}: the stack file holds one"
                )
                continue
            by_key[base.key] = (config, targets, delay)
        else:
            custom.append((config, targets, delay))
    category_targets: dict[str, frozenset[tuple[str, ...]]] = {}
    for base in BASELINE:
        if base.key not in by_key:
            continue
        config, channels, _ = by_key[base.key]
        known = category_targets.setdefault(base.category, channels)
        if known != channels:
            out.skipped[("alerts", _alert_identity(config))] = (
                f"notifies other channels than the other {base.category} alerts; the stack file routes a category to one set of channels"
            )
            del by_key[base.key]
    custom_entries = []
    taken: set[str] = {str(k).lower() for k in tuning_keys}
    for config, wanted, delay in custom:
        category = next((c for c, t in category_targets.items() if t == wanted), None)
        if category is None:
            category = next((c for c in ALERT_CATEGORIES if c not in category_targets), None)
            if category is None:
                out.skipped[("alerts", _alert_identity(config))] = (
                    "its channels match no alert category's and every category is taken"
                )
                continue
            category_targets[category] = wanted
        entry = _custom_alert(config, category, delay, taken)
        if entry is not None:
            entry[IDENTITY] = _alert_identity(config)
        if entry is None:
            out.skipped[("alerts", _alert_identity(config))] = (
                "its event type or metric is not one the stack file's catalog holds"
            )
            continue
        custom_entries.append(entry)
    baseline: dict[str, Any] = {}
    missing: list[str] = []
    for base in BASELINE:
        adopted = by_key.get(base.key)
        if adopted is None:
            baseline[base.key] = {"enabled": False}
            missing.append(base.key)
            continue
        config, _, delay = adopted
        tuning: dict[str, Any] = {}
        limit = _threshold(config)
        if base.has_threshold and limit is not None and limit != base.threshold:
            tuning["threshold"] = int(limit) if float(limit).is_integer() else limit
        if delay != base.delay_min:
            tuning["delayMin"] = delay
        if tuning:
            baseline[base.key] = tuning
    alerts: dict[str, Any] = {}
    if by_key or custom_entries:
        if not target.production:
            alerts["enabled"] = True
        if baseline:
            alerts["baseline"] = baseline
        if missing:
            _with_comment(
                alerts,
                "baseline",
                "Production baseline alerts Atlas does not have are off here (`enabled: false`): remove those lines to create them.",
            )
            _default_item(
                out,
                "alert baseline",
                f"{len(missing)} of the {len(BASELINE)} baseline alerts are not in Atlas ({', '.join(missing)}): each is "
                "`enabled: false` under alerts.baseline; remove those lines to create them",
            )
        if custom_entries:
            alerts["custom"] = custom_entries
    elif target.production:
        alerts["enabled"] = False
        alerts["optOutReason"] = target.adopted("No alert adopted")
        _with_comment(
            alerts,
            "optOutReason",
            "Production default: the alert baseline. Written as found: remove `enabled` and `optOutReason` to create it.",
        )
        _default_item(
            out,
            "alert baseline",
            "no alert adoption could hold: `alerts.enabled: false` with an as-found `optOutReason`; the pack's "
            "atlas-prod-alerts (advisory) flags the stack unless its policy config gives optOutReason: remove both keys "
            "to create the baseline",
        )
    if alerts:
        out.config["alerts"] = alerts
    _channels(category_targets, out)


def _alert_unholdable(config: dict[str, Any]) -> str | None:
    if not config.get("enabled", True):
        return "is disabled in Atlas; the program's alerts are always enabled, so it stays in Atlas as it is"
    if config.get("matchers"):
        return "is limited by matchers (to some hosts or clusters), which the stack file does not hold"
    if config.get("severityOverride"):
        return "overrides its severity, which the stack file does not hold"
    metric = config.get("metricThreshold") or {}
    if metric and metric.get("mode", "AVERAGE") != "AVERAGE":
        return "averages its metric another way than AVERAGE, the only mode the program sends"
    return None


def _threshold(config: dict[str, Any]) -> float | None:
    metric = config.get("metricThreshold") or {}
    plain = config.get("threshold") or {}
    value = metric.get("threshold", plain.get("threshold"))
    return float(value) if value is not None else None


def _threshold_fits(config: dict[str, Any], base: BaselineAlert) -> bool:
    """Whether the baseline's tuning can say what Atlas holds (same operator and units; only the limit tunes)."""
    if not base.has_threshold:
        return not (config.get("metricThreshold") or config.get("threshold"))
    limit = config.get("metricThreshold") or config.get("threshold") or {}
    return bool(limit) and limit.get("operator") == base.operator and limit.get("units") == base.units


def _custom_alert(config: dict[str, Any], category: str, delay: int, taken: set[str]) -> dict[str, Any] | None:
    event = str(config.get("eventTypeName"))
    if event not in PROJECT_ALERT_EVENT_TYPES:
        return None
    metric = config.get("metricThreshold") or {}
    plain = config.get("threshold") or {}
    entry: dict[str, Any] = {
        "name": unique_label(str(metric.get("metricName") or event), taken, "alert"),
        "eventType": event,
        "category": category,
    }
    limit = metric or plain
    if metric:
        if metric.get("metricName") not in HOST_METRIC_NAMES:
            return None
        entry["metric"] = metric["metricName"]
    if limit:
        value = float(limit.get("threshold", 0))
        entry["operator"] = limit.get("operator")
        entry["threshold"] = int(value) if value.is_integer() else value
        entry["units"] = limit.get("units")
    if delay:
        entry["delayMin"] = delay
    return entry


def _channels(category_targets: dict[str, frozenset[tuple[str, ...]]], out: Generated) -> None:
    routes: dict[tuple[str, ...], list[str]] = {}
    for category in ALERT_CATEGORIES:
        for target_ in sorted(category_targets.get(category, frozenset())):
            routes.setdefault(target_, []).append(category)
    channels: list[dict[str, Any]] = []
    taken: set[str] = set()
    for target_, categories in sorted(routes.items()):
        kind = target_[0]
        channel: dict[str, Any] = {"type": kind, "categories": categories}
        if kind == "EMAIL":
            channel["name"] = unique_label("email-" + target_[1].split("@")[0], taken, "email")
            channel["emailAddress"] = target_[1]
        elif kind == "SLACK":
            channel["name"] = unique_label("slack-" + target_[1], taken, "slack")
            channel["channelName"] = target_[1]
            channel["apiTokenSecret"] = _secret(out, secret_key(channel["name"], "token"), f"the Slack bot token of {target_[1]}")
        elif kind == "PAGER_DUTY":
            channel["name"] = unique_label("pagerduty", taken, "pagerduty")
            channel["serviceKeySecret"] = _secret(out, secret_key(channel["name"], "service key"), "the PagerDuty service key")
        else:
            channel["name"] = unique_label("datadog", taken, "datadog")
            channel["region"] = target_[1]
            channel["apiKeySecret"] = _secret(out, secret_key(channel["name"], "api key"), "the Datadog API key")
        if len(target_) > 2 and target_[2] and int(target_[2]) != 60:
            channel["intervalMin"] = int(target_[2])
        channels.append({"name": channel.pop("name"), **channel})
    if channels:
        out.config["notifications"] = channels


def _secret(out: Generated, name: str, what: str) -> str:
    out.secrets[name] = what
    return name


INTEGRATIONS = {
    "DATADOG": (("apiKeySecret", "api key", "the Datadog API key"),),
    "PAGER_DUTY": (("serviceKeySecret", "service key", "the PagerDuty service key"),),
    "WEBHOOK": (("webhookSecret", "secret", "the webhook's shared secret"),),
}


def _integrations(live: LiveProject, target: Target, out: Generated) -> None:
    written = []
    for integration in sorted(live.integrations, key=lambda i: str(i.get("type"))):
        kind = str(integration.get("type"))
        if kind not in INTEGRATIONS:
            out.skipped[("integrations", kind)] = (
                "a kind of integration the stack file does not hold (DATADOG, PAGER_DUTY, WEBHOOK)"
            )
            continue
        entry: dict[str, Any] = {"type": kind, IDENTITY: kind}
        if kind in ("DATADOG", "PAGER_DUTY") and integration.get("region"):
            entry["region"] = integration["region"]
        if kind == "WEBHOOK":
            entry["url"] = integration.get("url")
        for key, suffix, what in INTEGRATIONS[kind]:
            if kind == "WEBHOOK" and not integration.get("secret"):
                continue
            entry[key] = _secret(out, secret_key(kind, "integration", suffix), what + " of the project's integration")
        for key in ("sendDatabaseMetrics", "sendCollectionLatencyMetrics", "sendQueryStatsMetrics"):
            if kind == "DATADOG" and integration.get(key) is not None:
                entry[key] = bool(integration[key])
        written.append(entry)
    if written:
        out.config["integrations"] = written


# --- Auditing and logs ---

DEFAULT_CLAUSES: list[dict[str, Any]] = [
    AUTH_FAILURE_CLAUSE,
    {"atype": {"$in": list(USER_AND_ROLE_ATYPES)}},
    {"atype": {"$in": list(DDL_ATYPES)}},
]


def _auditing(live: LiveProject, target: Target, out: Generated) -> None:
    audit = live.audit_log
    enabled = bool(audit.get("enabled"))
    written: dict[str, Any] = {}
    if not enabled:
        if target.production:
            _default_item(
                out,
                "database auditing",
                "off in Atlas: the first `pulumi up` turns it on with the default filter (production requires it)",
            )
        if audit.get("auditAuthorizationSuccess"):
            written["auditAuthorizationSuccess"] = True
        if written:
            out.config["auditing"] = written
        return
    if not target.production:
        written["enabled"] = True
    try:
        document = json.loads(str(audit.get("auditFilter") or "{}"))
    except ValueError:
        document = {}
    clauses = document.get("$or") if isinstance(document, dict) and set(document) == {"$or"} else None
    if isinstance(clauses, list) and clauses[: len(DEFAULT_CLAUSES)] == DEFAULT_CLAUSES:
        extra = clauses[len(DEFAULT_CLAUSES) :]
    elif target.production:
        extra = [document] if document else []
        out.items.append(
            Item(
                "changes",
                "audit filter",
                "production keeps the default audit filter (failed sign-ins, user and role changes, DDL): the first `pulumi up` "
                "audits those beside Atlas's current filter, which becomes one of `auditing.extraFilters`",
            )
        )
    else:
        written["includeDefaultFilter"] = False
        extra = clauses if isinstance(clauses, list) else [document]
    if extra:
        written["extraFilters"] = [json.dumps(c, separators=(", ", ": ")) for c in extra if isinstance(c, dict) and c]
    if audit.get("auditAuthorizationSuccess"):
        written["auditAuthorizationSuccess"] = True
    if written:
        out.config["auditing"] = written


def _logs(live: LiveProject, target: Target, out: Generated) -> None:
    for integration in live.log_integrations:
        out.skipped[("log integrations", str(integration.get("id") or integration.get("bucketName")))] = (
            f"exports {', '.join(integration.get('logTypes') or [])} to {integration.get('bucketName')}; the program exports "
            "logs to a bucket of its own (logExport), so this one stays in Atlas as it is"
        )
    if not target.production:
        return
    out.config["logExport"] = {
        "enabled": False,
        "optOutReason": target.adopted("No log export"),
        COMMENTS: {
            "optOutReason": "Production default: the audit and mongod logs go to an S3 bucket of the program's. Written as "
            "found: remove `enabled` and `optOutReason` to create it."
        },
    }
    _default_item(
        out,
        "audit-log export",
        "not adopted: `logExport.enabled: false` with an as-found `optOutReason`; the pack's atlas-prod-audit-log-export "
        "(mandatory in production) flags the stack unless its policy config gives optOutReason: remove both keys to create it",
    )


# --- What the program has no home for ---


def _unhomed(live: LiveProject, target: Target, out: Generated) -> None:
    for member in live.members:
        if member.get("roles"):
            out.skipped[("project members", str(member.get("username")))] = (
                f"a project member with {', '.join(str(r) for r in member['roles'])} of their own: the program gives access "
                "through teams and identity-provider groups only; move them into a team, then remove the direct roles"
            )
    for key in live.api_keys:
        out.skipped[("API keys", str(key.get("publicKey") or key.get("id")))] = (
            "an API key with project access: the program holds no API keys (its automation uses a service account, "
            "`serviceAccount`); replace it, then remove it from the project"
        )
    for account in live.service_accounts:
        out.skipped[("service accounts", str(account.get("clientId")))] = (
            f"service account {account.get('name')!r}: the program creates its own (`serviceAccount`) with a secret it "
            "keeps in Secrets Manager; an existing one and its secrets cannot be adopted"
        )
    for what, why in live.unread:
        out.items.append(Item("not read", what, why))


def iter_skipped(generated: Generated) -> Iterable[Item]:
    for (collection, identity), why in sorted(generated.skipped.items()):
        yield Item("not adopted", f"{collection[:-1] if collection.endswith('s') else collection} {identity}", why)
