"""Mock provider answers and a monitor that records what the engine would receive.

`AtlasMocks` stands in for the providers: it returns each resource's inputs plus plausible,
deterministic outputs (ids, service names, connection strings), so downstream resources get
the values they would in a real `pulumi up`. `RecordingMonitor` extends the SDK's own
`MockMonitor` and keeps every `RegisterResource` request: parent, dependencies, protect,
timeouts, and the inputs with their secret markers intact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import resource_pb2

from atlas_platform.components.facts import atlas_region_name, aws_region_name


def hex_id(*parts: str, length: int = 24) -> str:
    """A stable fake id: the same resource gets the same id on every run."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Per resource type: extra outputs the real provider would compute. Later capabilities add theirs.
OutputsFn = Callable[[str, dict[str, Any]], dict[str, Any]]
PROVIDER_OUTPUTS: dict[str, OutputsFn] = {
    "mongodbatlas:index/project:Project": lambda name, inputs: {"clusterCount": 0, "created": "2026-01-01T00:00:00Z"},
    # Atlas answers with the AWS endpoint service it created for the region (Atlas-form region in).
    "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint": lambda name, inputs: {
        "endpointServiceName": f"com.amazonaws.vpce.{aws_region_name(str(inputs.get('region', '')))}"
        f".vpce-svc-{hex_id('vpce-svc', name, length=17)}",
        "privateLinkId": hex_id("private-link", name),
        "interfaceEndpoints": [],
        "regionName": atlas_region_name(str(inputs.get("region", ""))),
        "status": "AVAILABLE",
    },
    "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService": lambda name, inputs: {
        "interfaceEndpointId": inputs.get("endpointServiceId"),
        "awsConnectionStatus": "AVAILABLE",
        "deleteRequested": False,
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda name, inputs: {
        "arn": f"arn:aws:ec2:{inputs.get('region', 'us-east-1')}:123456789012:vpc-endpoint/vpce-{hex_id('aws:ec2/vpcEndpoint:VpcEndpoint', name, length=17)}",
        "state": "available",
        "networkInterfaceIds": [
            f"eni-{hex_id('eni', name, str(i), length=17)}" for i, _ in enumerate(inputs.get("subnetIds", []))
        ],
    },
    "aws:ec2/securityGroup:SecurityGroup": lambda name, inputs: {
        "arn": f"arn:aws:ec2:{inputs.get('region', 'us-east-1')}:123456789012:security-group/sg-{hex_id('aws:ec2/securityGroup:SecurityGroup', name, length=17)}",
        "name": f"{name}-{hex_id('sg-name', name, length=7)}",
    },
    "mongodbatlas:index/alertConfiguration:AlertConfiguration": lambda name, inputs: {
        "alertConfigurationId": hex_id("alertConfiguration", name),
        "created": "2026-01-01T00:00:00Z",
    },
    "mongodbatlas:index/auditing:Auditing": lambda name, inputs: {
        "configurationType": "FILTER_JSON" if inputs.get("auditFilter") else "NONE",
    },
    "mongodbatlas:index/resourcePolicy:ResourcePolicy": lambda name, inputs: {
        "createdDate": "2026-01-01T00:00:00Z",
        "version": "v1",
    },
}

# A fake AWS account and region for everything the mocks "create" in AWS; Atlas's own AWS account
# is faked separately so a test can tell the two apart. Neither is a real account.
MOCK_AWS_ACCOUNT = "123456789012"
MOCK_REGION = "us-east-1"
MOCK_ATLAS_AWS_ACCOUNT_ARN = "arn:aws:iam::210987654321:root"


def uuid_id(*parts: str) -> str:
    """A stable fake UUID, the shape of KMS key ids and Atlas external ids."""
    h = hex_id(*parts, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The engine applies each SDK's `additional_secret_outputs`; the SDK's MockMonitor does not, so
# outputs the real engine would mark secret come back marked here.


def mock_secret(value: Any) -> dict[str, Any]:
    """An output value marked secret, as the engine returns it for an `additional_secret_outputs` entry."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def mock_password(name: str, keepers: Mapping[str, Any] | None = None) -> str:
    """The fake RandomPassword result of resource `name` with `keepers`: deterministic, URI-safe, 40
    characters. Other keepers give another password, as the provider replaces the resource when its
    keepers change: so a plan after a rotation differs where a real preview would."""
    return f"MockPw-{hex_id('randomPassword', name, json.dumps(dict(keepers or {}), sort_keys=True), length=31)}.Z9"


def known_as(name: str, alias_urns: Iterable[str] = ()) -> str:
    """The one name a resource's mock outputs are computed from, whichever of its names (its own, or
    an alias's) it is registered under: the engine keeps an aliased resource's state, so a rename
    changes no id or generated value. The shortest of them (then the first in sort order): this
    program's renames lengthen a name (slot a's `-a-`; an access-list entry's written `/32` is the
    longer one), so the shortest is the name a resource had before, which a plan of the code before
    the rename, with no alias at all, uses too."""
    return min({name, *(urn.rsplit("::", 1)[-1] for urn in alias_urns)}, key=lambda n: (len(n), n))


def password_of(registration: Registration) -> str:
    """The fake password a planned RandomPassword generates (under any of its names)."""
    return mock_password(known_as(registration.name, registration.aliases), registration.inputs.get("keepers"))


def _secret_arn(name: str) -> str:
    # A secret's id is its ARN; ID_FORMATS sees only the resource name, so both are built from it.
    return f"arn:aws:secretsmanager:{MOCK_REGION}:{MOCK_AWS_ACCOUNT}:secret:{name}-{hex_id('secret', name, length=6)}"


PROVIDER_OUTPUTS.update(
    {
        "random:index/randomPassword:RandomPassword": lambda name, inputs: {
            "result": mock_secret(mock_password(name, inputs.get("keepers"))),
            "bcryptHash": mock_secret(f"$2a$10${hex_id('bcrypt', name, length=53)}"),
        },
        "aws:kms/alias:Alias": lambda name, inputs: {
            "arn": f"arn:aws:kms:{MOCK_REGION}:{MOCK_AWS_ACCOUNT}:{inputs.get('name')}",
            "targetKeyArn": f"arn:aws:kms:{MOCK_REGION}:{MOCK_AWS_ACCOUNT}:key/{inputs.get('targetKeyId')}",
        },
        "aws:secretsmanager/secret:Secret": lambda name, inputs: {"arn": _secret_arn(name)},
        "aws:secretsmanager/secretVersion:SecretVersion": lambda name, inputs: {
            "arn": inputs.get("secretId"),
            "versionId": hex_id("secretVersion", name, length=32),
            "versionStages": ["AWSCURRENT"],
        },
        "mongodbatlas:index/x509AuthenticationDatabaseUser:X509AuthenticationDatabaseUser": lambda name, inputs: {
            "currentCertificate": mock_secret(
                f"-----BEGIN CERTIFICATE-----\nMOCK{hex_id('x509', name)}\n-----END CERTIFICATE-----\n"
                f"-----BEGIN PRIVATE KEY-----\nMOCK{hex_id('x509key', name)}\n-----END PRIVATE KEY-----\n"
            ),
        },
    }
)

# Types whose id is not a 24-hex Atlas id.
ID_FORMATS: dict[str, Callable[[str], str]] = {
    "aws:secretsmanager/secret:Secret": _secret_arn,
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda name: f"vpce-{hex_id('aws:ec2/vpcEndpoint:VpcEndpoint', name, length=17)}",
    "aws:ec2/securityGroup:SecurityGroup": lambda name: f"sg-{hex_id('aws:ec2/securityGroup:SecurityGroup', name, length=17)}",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": lambda name: f"sgr-{hex_id('sgr', name, length=17)}",
}


# --- ProdCluster and the KMS keys (AtlasKmsEncryption, SecretsKey) ---
def _cluster_outputs(name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    cluster = inputs.get("name", name)
    host = f"{cluster}.{hex_id('host', cluster, length=5)}.mongodb.net"
    specs = inputs.get("replicationSpecs", [])
    first_region: dict[str, Any] = next(iter(specs[0].get("regionConfigs", [])), {}) if specs else {}
    process = "MONGOS" if inputs.get("clusterType") == "SHARDED" else "MONGOD"
    return {
        "clusterId": hex_id("cluster", cluster),
        "stateName": "IDLE",
        "mongoDbVersion": f"{inputs.get('mongoDbMajorVersion', '8.0')}.0",
        "replicationSpecs": [
            {**spec, "zoneId": hex_id("zone", cluster), "externalId": hex_id("shard", cluster, str(index)), "zoneName": "Zone 1"}
            for index, spec in enumerate(specs)
        ],
        # The provider's shape: `privateEndpoints` lists one entry per private endpoint
        # configuration; a real cluster returns it only once PrivateLink endpoints exist.
        "connectionStrings": {
            "standard": f"mongodb://{cluster}-shard-00-00.{host.split('.', 1)[1]}:27017/?ssl=true&authSource=admin",
            "standardSrv": f"mongodb+srv://{host}",
            "privateEndpoints": [
                {
                    "connectionString": f"mongodb://pl-0-{first_region.get('regionName', 'US_EAST_1').lower()}.{host}:1024/?ssl=true",
                    "srvConnectionString": f"mongodb+srv://{cluster}-pl-0.{host.split('.', 1)[1]}",
                    "srvShardOptimizedConnectionString": f"mongodb+srv://{cluster}-pl-0-lb.{host.split('.', 1)[1]}",
                    "type": process,
                    "endpoints": [
                        {
                            "endpointId": f"vpce-0{hex_id('vpce', cluster, length=16)}",
                            "providerName": "AWS",
                            "region": first_region.get("regionName", "US_EAST_1"),
                        }
                    ],
                }
            ],
        },
    }


PROVIDER_OUTPUTS.update(
    {
        "mongodbatlas:index/advancedCluster:AdvancedCluster": _cluster_outputs,
        "mongodbatlas:index/cloudProviderAccessSetup:CloudProviderAccessSetup": lambda name, inputs: {
            "roleId": hex_id("role", name),
            "awsConfigs": [
                {"atlasAwsAccountArn": MOCK_ATLAS_AWS_ACCOUNT_ARN, "atlasAssumedRoleExternalId": uuid_id("external-id", name)}
            ],
            "createdDate": "2026-01-01T00:00:00Z",
        },
        "mongodbatlas:index/cloudProviderAccessAuthorization:CloudProviderAccessAuthorization": lambda name, inputs: {
            "authorizedDate": "2026-01-01T00:00:00Z",
            "featureUsages": [],
        },
        "mongodbatlas:index/encryptionAtRest:EncryptionAtRest": lambda name, inputs: {
            "awsKmsConfig": {**inputs.get("awsKmsConfig", {}), "valid": True},
        },
        "aws:kms/key:Key": lambda name, inputs: {
            "keyId": uuid_id("kms", name),
            "arn": f"arn:aws:kms:{inputs.get('region', MOCK_REGION)}:{MOCK_AWS_ACCOUNT}:key/{uuid_id('kms', name)}",
            "keyRotationEnabled": inputs.get("enableKeyRotation", False),
        },
        "aws:iam/role:Role": lambda name, inputs: {
            "name": f"{name}-{hex_id('role', name, length=7)}",
            "arn": f"arn:aws:iam::{MOCK_AWS_ACCOUNT}:role/{name}-{hex_id('role', name, length=7)}",
            "uniqueId": f"AROA{hex_id('role-id', name, length=17).upper()}",
        },
        "aws:iam/rolePolicy:RolePolicy": lambda name, inputs: {"name": f"{name}-{hex_id('policy', name, length=7)}"},
        # pulumiverse-time's Sleep keeps its inputs (create_duration, triggers) and has no other output;
        # its id is the RFC 3339 time it finished (terraform-provider-time resource_time_sleep.go, Create).
        "time:index/sleep:Sleep": lambda name, inputs: {},
        # A Static records the time it was created (terraform-provider-time resource_time_static.go).
        "time:index/static:Static": lambda name, inputs: {
            "rfc3339": "2026-01-01T00:00:00Z",
            "unix": 1767225600,
            "year": 2026,
            "month": 1,
            "day": 1,
            "hour": 0,
            "minute": 0,
            "second": 0,
        },
    }
)
ID_FORMATS.update(
    {
        "aws:kms/key:Key": lambda name: uuid_id("kms", name),
        "aws:iam/role:Role": lambda name: f"{name}-{hex_id('role', name, length=7)}",
        "time:index/sleep:Sleep": lambda name: "2026-01-01T00:00:30Z",
        "time:index/static:Static": lambda name: "2026-01-01T00:00:00Z",
    }
)


# --- Log and snapshot export (AtlasLogExport, SnapshotExportBucket, HardenedBucket) ---
def _bucket_name(name: str, inputs: dict[str, Any]) -> str:
    return str(inputs.get("bucket") or f"{inputs.get('bucketPrefix', name + '-')}{hex_id('bucket', name, length=26)}")


PROVIDER_OUTPUTS.update(
    {
        "aws:s3/bucket:Bucket": lambda name, inputs: {
            "bucket": _bucket_name(name, inputs),
            "arn": f"arn:aws:s3:::{_bucket_name(name, inputs)}",
            "region": MOCK_REGION,
        },
        "mongodbatlas:index/logIntegration:LogIntegration": lambda name, inputs: {
            "integrationId": hex_id("logIntegration", name),
        },
        "mongodbatlas:index/cloudBackupSnapshotExportBucket:CloudBackupSnapshotExportBucket": lambda name, inputs: {
            "exportBucketId": hex_id("exportBucket", name),
        },
    }
)


def mock_client_id(name: str) -> str:
    """A service account's client id in Atlas's form (provider docs: `mdb_sa_id_` and 24 hex digits)."""
    return f"mdb_sa_id_{hex_id('serviceAccount', name)}"


def mock_service_account_secret(name: str) -> str:
    """The fake secret value of ServiceAccountSecret `name` (Atlas's form: `mdb_sa_sk_` and 40 characters)."""
    return f"mdb_sa_sk_{hex_id('serviceAccountSecret', name, length=40)}"


# Who may touch production: the organization (adopted, its id computed) and service accounts.
PROVIDER_OUTPUTS.update(
    {
        "mongodbatlas:index/organization:Organization": lambda name, inputs: {"orgId": hex_id("org", name)},
        "mongodbatlas:index/serviceAccount:ServiceAccount": lambda name, inputs: {
            "clientId": mock_client_id(name),
            "createdAt": "2026-01-01T00:00:00Z",
            "secrets": [],
        },
        "mongodbatlas:index/serviceAccountSecret:ServiceAccountSecret": lambda name, inputs: {
            "secretId": hex_id("serviceAccountSecretId", name),
            "secret": mock_secret(mock_service_account_secret(name)),
            "createdAt": "2026-01-01T00:00:00Z",
            "expiresAt": "2026-04-01T00:00:00Z",
            "maskedSecretValue": "mdb_sa_sk_****",
        },
    }
)


GET_ADVANCED_CLUSTER = "mongodbatlas:index/getAdvancedCluster:getAdvancedCluster"


class AtlasMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        # What a data-source read can see: the services, interface endpoints and links created so far.
        self.service_regions: dict[str, str] = {}
        self.endpoint_vpcs: dict[str, str] = {}
        self.linked: list[tuple[str, str]] = []
        # (type, name) -> the name its outputs come from (`known_as`), told by RecordingMonitor.
        self.identities: dict[tuple[str, str], str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if not args.custom:
            return "", {}
        identity = self.identities.get((args.typ, args.name), args.name)
        make_id = ID_FORMATS.get(args.typ, lambda name: hex_id(args.typ, name))
        resource_id = make_id(identity)
        extra = PROVIDER_OUTPUTS.get(args.typ, lambda name, inputs: {})(identity, args.inputs)
        outputs = {**args.inputs, **extra}
        if args.typ == "mongodbatlas:index/privateLinkEndpoint:PrivateLinkEndpoint":
            self.service_regions[outputs["privateLinkId"]] = outputs["regionName"]
        elif args.typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            self.endpoint_vpcs[resource_id] = str(args.inputs.get("vpcId"))
        elif args.typ == "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService":
            self.linked.append((str(args.inputs.get("endpointServiceId")), str(args.inputs.get("privateLinkId"))))
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == GET_ADVANCED_CLUSTER:
            return self._advanced_cluster(args.args), []
        return {}, None

    def _advanced_cluster(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The data source as Atlas answers once the links are up: the standard strings, plus one
        private entry per consumer VPC naming its linked endpoint in each region (provider v2.16
        `docs/data-sources/advanced_cluster.md`, `connection_strings.private_endpoint[#]`)."""
        cluster = str(inputs.get("name"))
        domain = f"{hex_id('host', cluster, length=5)}.mongodb.net"
        by_vpc: dict[str, list[dict[str, str]]] = {}
        for endpoint_id, private_link_id in sorted(self.linked):
            vpc = self.endpoint_vpcs.get(endpoint_id, "")
            region = self.service_regions.get(private_link_id, "")
            by_vpc.setdefault(vpc, []).append({"endpointId": endpoint_id, "providerName": "AWS", "region": region})
        private = [
            {
                "connectionString": f"mongodb://{cluster}-shard-00-00-pl-{index}.{domain}:1024/?ssl=true",
                "srvConnectionString": f"mongodb+srv://{cluster}-pl-{index}.{domain}",
                "srvShardOptimizedConnectionString": f"mongodb+srv://{cluster}-pl-{index}-lb.{domain}",
                "type": "MONGOD",
                "endpoints": endpoints,
            }
            for index, (_, endpoints) in enumerate(sorted(by_vpc.items()))
        ]
        return {
            "projectId": inputs.get("projectId"),
            "name": cluster,
            "connectionStrings": {
                "standardSrv": f"mongodb+srv://{cluster}.{domain}",
                "privateEndpoints": private,
            },
        }


def unwrap_secrets(value: Any, path: str = "") -> tuple[Any, set[str]]:
    """Plain values plus the dotted paths (`roles[0].roleName`) of every secret in them."""
    if rpc.is_rpc_secret(value):
        plain, inner = unwrap_secrets(rpc.unwrap_rpc_secret(value), path)
        return plain, inner | {path}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        secrets: set[str] = set()
        for key, item in value.items():
            out[key], found = unwrap_secrets(item, f"{path}.{key}" if path else key)
            secrets |= found
        return out, secrets
    if isinstance(value, list):
        items, secrets = [], set()
        for index, item in enumerate(value):
            plain, found = unwrap_secrets(item, f"{path}[{index}]")
            items.append(plain)
            secrets |= found
        return items, secrets
    return value, set()


def deserialize_keeping_secret_leaves(value: Any) -> Any:
    """`rpc.deserialize_properties`, except that a secret stays where the SDK put it.

    The SDK serializes a secret where it is (`notifications[1].serviceKey`), as the engine keeps
    it; its deserializer then lifts the mark to the enclosing list or object, because a Python
    Output can only be secret as a whole. Reading it that way masked every channel of a
    notifications list for one PagerDuty key.
    """
    if isinstance(value, struct_pb2.Struct):
        if rpc._special_sig_key not in value:
            plain = {key: deserialize_keeping_secret_leaves(item) for key, item in value.items()}
            return {key: item for key, item in plain.items() if item is not None}
        if value[rpc._special_sig_key] == rpc._special_secret_sig:
            return rpc.wrap_rpc_secret(deserialize_keeping_secret_leaves(value["value"]))
        return rpc.deserialize_property(value)
    if isinstance(value, struct_pb2.ListValue):
        return [deserialize_keeping_secret_leaves(item) for item in value]
    return rpc.deserialize_property(value)


@dataclass
class Registration:
    """One resource as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    custom_timeouts: dict[str, str]
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    aliases: list[str] = field(default_factory=list)
    """URNs this resource was known by before (its own aliases and those inherited from its parent)."""
    alias_specs: list[dict[str, Any]] = field(default_factory=list)
    """What the engine would match this resource's old state by: `{"urn": ...}` for a full URN, or the
    alias spec's fields (`name`, `type`, `stack`, `project`, `parentUrn`, `noParent`) as the SDK sent them."""
    replace_on_changes: list[str] = field(default_factory=list)
    """Inputs whose change the engine turns into a replacement, whatever the provider says."""


@dataclass
class Invocation:
    """One data-source read (invoke) as the engine would receive it."""

    token: str
    args: dict[str, Any]
    depends_on: list[str]
    """URNs the engine holds the read back for (InvokeOutputOptions.depends_on, components expanded)."""
    result: dict[str, Any]


def _alias(alias: Any) -> dict[str, Any]:
    if alias.WhichOneof("alias") == "urn":
        return {"urn": alias.urn}
    spec = alias.spec
    fields = {"name": spec.name, "type": spec.type, "stack": spec.stack, "project": spec.project, "noParent": spec.noParent}
    if spec.WhichOneof("parent") == "parentUrn":
        fields["parentUrn"] = spec.parentUrn
    return fields


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.invocations: list[Invocation] = []
        self._aliases: dict[str, list[str]] = {}

    def _alias_urn(self, alias: Any, request: Any) -> str:
        if alias.WhichOneof("alias") == "urn":
            return str(alias.urn)
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or request.parent)
        urn = str(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        if spec.stack or spec.project:
            # urn:pulumi:<stack>::<project>::<qualified type>::<name>
            head, project, rest = urn.split("::", 2)
            stack = head.removeprefix("urn:pulumi:")
            urn = f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{rest}"
        return urn

    def _inherited_aliases(self, request: Any) -> list[str]:
        """A child of a renamed component is known by the old parent's URN, and by the old name
        prefix when its name starts with the parent's (the engine's `inheritedChildAlias`)."""
        parent_name = request.parent.rsplit("::", 1)[-1] if request.parent else ""
        inherited = []
        for parent_alias in self._aliases.get(request.parent, []):
            name = request.name
            if parent_name and name.startswith(parent_name):
                name = parent_alias.rsplit("::", 1)[-1] + name[len(parent_name) :]
            inherited.append(str(self.make_urn(parent_alias, request.type, name)))
        return inherited

    def GetDeploymentInfo(self, request: Any) -> Any:
        # The real engine gates an invoke on its `dependsOn` URNs; saying so makes the SDK send
        # them (instead of gating client-side), so the read's dependencies can be recorded.
        info = super().GetDeploymentInfo(request)
        info.supportedFeatures.append(resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON)
        return info

    def Invoke(self, request: Any) -> Any:
        response = super().Invoke(request)
        if request.tok != "pulumi:pulumi:getResource":
            result, _ = unwrap_secrets(rpc.deserialize_properties(getattr(response, "return")))
            self.invocations.append(
                Invocation(
                    token=request.tok,
                    args=unwrap_secrets(rpc.deserialize_properties(request.args))[0],
                    depends_on=list(request.dependsOn),
                    result=result,
                )
            )
        return response

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        aliases = [self._alias_urn(alias, request) for alias in request.aliases] + self._inherited_aliases(request)
        if isinstance(self.mocks, AtlasMocks):
            self.mocks.identities[(request.type, request.name)] = known_as(request.name, aliases)
        response = super().RegisterResource(request)
        self._aliases[response.urn] = aliases
        inputs, secret_paths = unwrap_secrets(deserialize_keeping_secret_leaves(request.object))
        timeouts = request.customTimeouts
        registration = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            inputs=inputs,
            secret_inputs=secret_paths,
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            custom_timeouts={
                k: v for k, v in (("create", timeouts.create), ("update", timeouts.update), ("delete", timeouts.delete)) if v
            },
            id=response.id,
            aliases=aliases,
            alias_specs=[_alias(a) for a in request.aliases] + [{"urn": u} for u in request.aliasURNs],
            replace_on_changes=list(request.replaceOnChanges),
        )
        registration.outputs, _ = unwrap_secrets(rpc.deserialize_properties(response.object)) if request.custom else ({}, set())
        self.registrations.append(registration)
        return response
