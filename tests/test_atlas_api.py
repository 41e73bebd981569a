"""The Atlas Admin API client (tools/atlas_api/) against the spec-validated scenario server, and the vendored spec itself.

Every request the client sends and every response the server answers here is checked against the
vendored OpenAPI description (the `atlas` fixture fails a test on any violation).
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.harness.atlas_server import (
    SPEC_PATH,
    TEST_API_KEY,
    TEST_SERVICE_ACCOUNT,
    AtlasServer,
    Fault,
    Identity,
    Scenario,
    environment,
)
from tools.atlas_api import (
    AtlasApiError,
    AtlasClient,
    Credentials,
    CredentialsMissing,
    base_url_from_env,
    credentials_from_env,
    operations,
)
from tools.atlas_api.client import retry_delay
from tools.atlas_api.operations import OPERATIONS

GROUP_ID = "65f0000000000000000000e1"
ORG_ID = "65f0000000000000000000a1"
SPEC = json.loads(SPEC_PATH.read_text())


def group(name: str = "payments-prod") -> dict[str, Any]:
    return {"id": GROUP_ID, "name": name, "orgId": ORG_ID, "clusterCount": 1, "created": "2025-01-06T10:00:00Z"}


def database_user(username: str) -> dict[str, Any]:
    return {
        "username": username,
        "databaseName": "admin",
        "roles": [{"roleName": "readWrite", "databaseName": "payments"}],
        "scopes": [{"name": "payments-prod-cluster1", "type": "CLUSTER"}],
        "labels": [{"key": "managed-by", "value": "pulumi"}],
        "awsIAMType": "NONE",
        "ldapAuthType": "NONE",
        "oidcAuthType": "NONE",
        "x509Type": "NONE",
    }


def client_for(server: AtlasServer, identity: Identity = TEST_SERVICE_ACCOUNT, **kwargs: Any) -> AtlasClient:
    credentials = credentials_from_env(environment(identity, server.base_url))
    kwargs.setdefault("sleep", lambda _seconds: None)
    return AtlasClient(credentials, base_url_from_env(environment(identity, server.base_url)), **kwargs)


def spec_operation(op_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, item in SPEC["paths"].items():
        for method, body in item.items():
            if isinstance(body, dict) and body.get("operationId") == op_id:
                return method, path, body
    raise AssertionError(f"{op_id} is not in the vendored spec")


# --- The vendored spec and the operation table agree ---


@pytest.mark.parametrize("op_id", sorted(OPERATIONS))
def test_operation_matches_the_vendored_spec(op_id: str) -> None:
    op = OPERATIONS[op_id]
    method, path, body = spec_operation(op_id)
    assert (method.upper(), path) == (op.method, "/api/atlas/v2" + op.path)
    ok = body["responses"]["200"]["content"]
    versioned = [kind for kind in ok if kind.startswith("application/vnd.atlas.")]
    assert versioned == [op.media_type], f"{op_id}: the spec's success body is {versioned}"
    assert "x-sunset" not in ok[op.media_type], f"{op_id}: {op.media_type} has a sunset date; pick the newer version"
    assert op.roles == tuple(body.get("x-rolesRequirements") or ()), f"{op_id}: roles differ from x-rolesRequirements"
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in body.get("parameters", [])}
    schema = (
        SPEC["components"]["schemas"][ok[op.media_type]["schema"]["$ref"].rsplit("/", 1)[-1]]
        if "$ref" in (ok[op.media_type].get("schema") or {})
        else ok[op.media_type].get("schema", {})
    )
    paged = "pageNum" in names and "results" in schema.get("properties", {})
    assert op.paged == paged, f"{op_id}: paged should be {paged}"


def test_every_operation_has_its_function_and_no_more() -> None:
    def snake(name: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    functions = {name for name in dir(operations) if not name.startswith("_") and callable(getattr(operations, name))}
    functions -= {"Operation", "dataclass", "annotations", "Any", "TYPE_CHECKING", "AtlasClient"}
    assert functions == {snake(op_id) for op_id in OPERATIONS}


def test_the_vendored_spec_holds_only_what_the_operations_use() -> None:
    text = SPEC_PATH.read_text()
    refs = set(re.findall(r'"(?:\$ref|[A-Za-z0-9_]+)": "#/components/(\w+)/([^"]+)"', text))  # $ref and discriminator mappings
    defined = {(kind, name) for kind, names in SPEC["components"].items() for name in names}
    assert refs - defined == set(), "a $ref that does not resolve"
    assert defined - refs - {("securitySchemes", n) for n in SPEC["components"].get("securitySchemes", {})} == set()
    ids = {body["operationId"] for item in SPEC["paths"].values() for body in item.values() if isinstance(body, dict)}
    assert ids == set(OPERATIONS)


# --- Credentials as the provider reads them; no secret ever printed ---


def test_credentials_from_the_providers_variables() -> None:
    service = credentials_from_env({"MONGODB_ATLAS_CLIENT_ID": "id", "MONGODB_ATLAS_CLIENT_SECRET": "s3cret"})
    assert (service.kind, service.identifier) == ("service-account", "id")
    key = credentials_from_env({"MONGODB_ATLAS_PUBLIC_KEY": "pub", "MONGODB_ATLAS_PRIVATE_KEY": "s3cret"})
    assert (key.kind, key.identifier) == ("api-key", "pub")
    assert "s3cret" not in repr(service) + str(service) + repr(key) + str(key)
    with pytest.raises(CredentialsMissing, match="MONGODB_ATLAS_CLIENT_SECRET"):
        credentials_from_env({"MONGODB_ATLAS_CLIENT_ID": "id"})
    with pytest.raises(CredentialsMissing, match="MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET"):
        credentials_from_env({})
    assert base_url_from_env({}) == "https://cloud.mongodb.com/"
    assert base_url_from_env({"MONGODB_ATLAS_BASE_URL": "https://cloud.mongodbgov.com"}) == "https://cloud.mongodbgov.com/"


@pytest.mark.parametrize("identity", [TEST_SERVICE_ACCOUNT, TEST_API_KEY], ids=["service-account", "api-key"])
def test_signs_in_and_reads_with_each_kind_of_identity(atlas: AtlasServer, identity: Identity) -> None:
    atlas.reset(Scenario(data={"getGroupByName": group(), "listGroupDatabaseUsers": [database_user("payments-prod-api")]}))
    with client_for(atlas, identity) as client:
        project = operations.get_group_by_name(client, "payments-prod")
        users = operations.list_group_database_users(client, project["id"])
    assert [u["username"] for u in users] == ["payments-prod-api"]
    statuses = [e.status for e in atlas.requests_for("getGroupByName")]
    if identity.kind == "api-key":
        assert statuses == [401, 200], "digest: a challenge, then the signed request"
    else:
        assert statuses == [200] and atlas.exchanges[0].path == "/api/oauth/token"


def test_pages_to_the_end(atlas: AtlasServer) -> None:
    users = [database_user(f"user-{i}") for i in range(5)]
    atlas.reset(Scenario(data={"listGroupDatabaseUsers": users}))
    with client_for(atlas, page_size=2) as client:
        got = operations.list_group_database_users(client, GROUP_ID)
    assert [u["username"] for u in got] == [u["username"] for u in users]
    assert [e.query["pageNum"] for e in atlas.requests_for("listGroupDatabaseUsers")] == ["1", "2", "3"]


def test_honours_retry_after_then_retries_a_server_error(atlas: AtlasServer) -> None:
    atlas.reset(Scenario(data={"getGroupByName": group()}, faults={"getGroupByName": [Fault(429, "7"), Fault(500)]}))
    waits: list[float] = []
    with client_for(atlas, sleep=waits.append, backoff=0.5) as client:
        assert operations.get_group_by_name(client, "payments-prod")["id"] == GROUP_ID
    assert [e.status for e in atlas.requests_for("getGroupByName")] == [429, 500, 200]
    assert waits[0] >= 7, "Retry-After asks for 7 seconds"
    assert waits[1] == 1.0, "then exponential backoff (0.5 * 2)"


def test_retry_delay_reads_an_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    assert retry_delay(response, 0, 1.0, 60.0) > 3600
    assert retry_delay(httpx.Response(503), 10, 1.0, 60.0) == 60.0


def test_gives_up_after_the_last_attempt(atlas: AtlasServer) -> None:
    atlas.reset(Scenario(data={"getGroupByName": group()}, faults={"getGroupByName": [Fault(500)] * 3}))
    with client_for(atlas, max_attempts=3) as client, pytest.raises(AtlasApiError) as error:
        operations.get_group_by_name(client, "payments-prod")
    assert error.value.status == 500 and len(atlas.requests_for("getGroupByName")) == 3


@pytest.mark.parametrize("identity", [TEST_SERVICE_ACCOUNT, TEST_API_KEY], ids=["service-account", "api-key"])
def test_wrong_secret_is_one_line_naming_the_variables_not_the_secret(atlas: AtlasServer, identity: Identity) -> None:
    wrong = Identity(identity.kind, identity.identifier, "WRONG-secret-value-1234")
    with client_for(atlas, wrong) as client, pytest.raises(AtlasApiError) as error:
        operations.get_group_by_name(client, "payments-prod")
    line = error.value.one_line()
    assert error.value.status == 401 and "\n" not in line
    assert "MONGODB_ATLAS_CLIENT_SECRET" in line and "WRONG-secret" not in line + repr(error.value)


def test_forbidden_names_the_role_the_spec_requires(atlas: AtlasServer) -> None:
    atlas.reset(Scenario(forbidden={"getGroupDbAccessHistoryCluster": "USER_UNAUTHORIZED"}))
    with client_for(atlas) as client, pytest.raises(AtlasApiError) as error:
        operations.get_group_db_access_history_cluster(
            client, GROUP_ID, "payments-prod-cluster1", start_ms=1735689600000, end_ms=1736294400000
        )
    assert "Project Cluster Log Viewer or Project Database Access Admin" in error.value.one_line()


def test_a_dropped_connection_is_retried_then_reported() -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectTimeout("timed out", request=request)

    credentials = Credentials("api-key", "pub", "priv")
    with (
        AtlasClient(
            credentials, "https://atlas.invalid/", transport=httpx.MockTransport(refuse), sleep=lambda _s: None
        ) as client,
        pytest.raises(AtlasApiError) as error,
    ):
        operations.get_group_by_name(client, "payments-prod")
    assert len(calls) == 5 and error.value.status is None and "could not reach Atlas" in error.value.one_line()


# --- The server's verdicts can fail a test ---


def test_the_server_rejects_a_response_the_spec_would_reject(atlas_server: AtlasServer) -> None:
    bad = database_user("payments-prod-api") | {"groupId": GROUP_ID}  # writeOnly: Atlas never returns it
    atlas_server.reset(Scenario(data={"listGroupDatabaseUsers": [bad], "getGroupByName": group("not/a valid name")}))
    with client_for(atlas_server) as client:
        operations.list_group_database_users(client, GROUP_ID)
        operations.get_group_by_name(client, "payments-prod")
    assert len(atlas_server.violations) == 2, atlas_server.violations
    assert "groupId" in atlas_server.violations[0] and "does not match" in atlas_server.violations[1]
    atlas_server.reset(Scenario())


def test_the_server_rejects_a_request_the_spec_would_reject(atlas_server: AtlasServer) -> None:
    atlas_server.reset(Scenario(data={"getGroupByName": group()}))
    with client_for(atlas_server) as client:
        # A query value out of the spec's range (itemsPerPage at most 500) and the wrong media type.
        client._http.get("/groups/byName/payments-prod", params={"pretty": "maybe"}, headers={"Accept": "application/json"})
    assert any("Accept" in v for v in atlas_server.violations)
    assert any("pretty" in v for v in atlas_server.violations), atlas_server.violations
    atlas_server.reset(Scenario())


# --- The harness's readings of Atlas's spec still refuse what the spec refuses ---


@pytest.mark.parametrize(
    ("schema", "value", "accepted"),
    [
        # An enum with a placeholder member is open to any name; others stay strict.
        ("DatabaseUserRole", {"roleName": "ledgerAppendOnly", "databaseName": "admin"}, True),
        ("UserScope", {"name": "payments-prod-cluster1", "type": "BOGUS"}, False),
        # oneOf without discriminator: a value several branches accept passes, one none accepts does not.
        ("HardwareSpec20240805", {"instanceSize": "M30", "nodeCount": 3}, True),
        ("HardwareSpec20240805", {"instanceSize": "M31", "nodeCount": 3}, False),
        # `type: object` over string branches: the branches judge a string.
        ("BaseCloudProviderInstanceSize", "M60", True),
        ("BaseCloudProviderInstanceSize", "M61", False),
        # A discriminated child's own property governs: RAW is a metric's unit, a bogus unit is not.
        ("HostMetricThreshold", {"metricName": "CONNECTIONS_PERCENT", "units": "RAW", "threshold": 80.0}, True),
        ("HostMetricThreshold", {"metricName": "CONNECTIONS_PERCENT", "units": "PARSECS", "threshold": 80.0}, False),
        # The discriminator pattern with back-references ends, and still checks the child.
        (
            "GroupUserResponse",
            {
                "id": "65f0000000000000000000e1",
                "orgMembershipStatus": "ACTIVE",
                "roles": [],
                "username": "a@example.com",
                "createdAt": "2025-01-06T10:00:00Z",
                "firstName": "A",
                "lastName": "B",
            },
            True,
        ),
        (
            "GroupUserResponse",
            {"id": "65f0000000000000000000e1", "orgMembershipStatus": "ACTIVE", "roles": [], "username": "a@example.com"},
            False,
        ),
        # ECMA-262 patterns with Unicode classes.
        ("Group", group("payments-prod"), True),
        ("Group", group("payments/prod"), False),
    ],
)
def test_readings_of_the_spec(schema: str, value: Any, accepted: bool) -> None:
    from tests.harness.atlas_server import _ReadValidator

    document = dict(SPEC) | {"$ref": f"#/components/schemas/{schema}"}
    errors = list(_ReadValidator(document).iter_errors(value))
    assert (not errors) == accepted, [e.message[:200] for e in errors]
