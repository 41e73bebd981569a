"""A local stand-in for the Atlas Administration API: real HTTP on loopback, judged by Atlas's own spec.

`AtlasServer` serves a `Scenario` (what the simulated Atlas holds and how it answers) from a thread
on 127.0.0.1, and checks **every request it receives and every response it sends** against the
vendored OpenAPI description (tools/atlas_api/spec/atlas-admin-v2.json) with openapi-core. Whatever
the spec would reject is recorded in `violations`; the `atlas_server` fixtures fail the test that
caused it, so neither the client's requests nor a scenario's data can drift from Atlas's contract.

The server also does what the spec leaves to the protocol: HTTP digest (RFC 7616, MD5 and
qop=auth, as Atlas answers) for API keys, and the OAuth 2 client-credentials token endpoint
(`POST /api/oauth/token`, RFC 6749 section 4.4: the `ServiceAccounts` scheme's tokenUrl) for
service accounts; a request without valid credentials gets 401, like Atlas.

Use it:

    with AtlasServer() as server:
        server.scenario = Scenario(data={"getGroupByName": {...}, "listGroupDatabaseUsers": [...]})
        client = AtlasClient(SERVICE_ACCOUNT, server.base_url)
        ...
        assert server.violations == []

To add a scenario: build a `Scenario` whose `data` maps an operationId to its response body (a list
operation: the full list of items, which the server pages by `itemsPerPage`/`pageNum`; a callable
`(path_params, query) -> body` when the answer depends on the path). `faults` answers an operation
with errors first (429 with Retry-After, 500...), `forbidden` with 403. To serve a new operation, add
it to tools/atlas_api/operations.py and re-cut the spec: the router reads the paths from the spec.

openapi-spec-validator cannot check this spec as a whole: it recurses without end on Atlas's
discriminator pattern (a parent whose `oneOf` lists children that `allOf` the parent;
python-openapi/openapi-spec-validator#400). openapi-schema-validator dispatches on the discriminator
the same way, so `_DispatchOnce` breaks the cycle the way OpenAPI 3.0 means it: once an instance is
dispatched to the mapped child, reaching the parent again through the child's `allOf` applies the
parent's own keywords only (its properties), not the dispatch again. Patterns are read as `_regex`
says (ECMA-262 with Unicode classes), an enum with a `<placeholder>` member as `_enum` says, and a
`oneOf` without discriminator as `_one_of` says, `type: object` over string branches as `_type`
says, and a parent's property that its discriminated child redefines as `_properties` says. Each reading is
the narrowest that lets an answer Atlas really gives pass; tests/test_atlas_api.py shows each still
refuses what the spec refuses.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import json
import re
import secrets
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import regress
from jsonschema import _keywords as jsonschema_keywords  # type: ignore[import-untyped]
from jsonschema import validators as jsonschema_validators
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator
from openapi_schema_validator import _keywords as oas_keywords
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tools.atlas_api.operations import OPERATIONS, Operation

SPEC_PATH = Path(__file__).resolve().parents[2] / "tools" / "atlas_api" / "spec" / "atlas-admin-v2.json"
API_PREFIX = "/api/atlas/v2"
TOKEN_PATH = "/api/oauth/token"
REALM = "MMS Public API"
JSON = "application/json"

# --- Validation: openapi-core with discriminator dispatch that ends ---

_DISPATCHING: contextvars.ContextVar[frozenset[tuple[int, str]]] = contextvars.ContextVar("dispatching", default=frozenset())


def _dispatch_once(keyword: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    def check(validator: Any, subschemas: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if "discriminator" not in schema or not isinstance(instance, dict):
            yield from keyword(validator, subschemas, instance, schema)
            return
        discriminator = schema["discriminator"]
        value = instance.get(discriminator["propertyName"])
        target = discriminator.get("mapping", {}).get(value) or f"#/components/schemas/{value}"
        key = (id(instance), str(target))
        active = _DISPATCHING.get()
        if key in active:
            return  # back at the parent through the child's allOf: the dispatch to the child is under way
        token = _DISPATCHING.set(active | {key})
        try:
            errors = list(keyword(validator, subschemas, instance, schema))
        finally:
            _DISPATCHING.reset(token)
        yield from errors

    return check


@functools.cache
def _regex(pattern: str) -> regress.Regex:
    """An ECMA-262 pattern of the spec, read with the `u` flag its Unicode classes (`\\p{L}`) need.

    Atlas writes its patterns for a Java backend; without `u`, ECMA-262 reads `\\p{L}` as the letter p and
    refuses every project name. One pattern (IPv6, `\\:`) is no valid `u`-mode pattern: it is read without.
    """
    try:
        return regress.Regex(pattern, "u")
    except regress.RegressError:
        return regress.Regex(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and _regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _enum(validator: Any, enums: list[Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    # Atlas's enum of a database user's roleName ends with the placeholder "<a custom role name>" and
    # says "This value can either be a built-in role or a custom role" (DatabaseUserRole.roleName): a
    # placeholder `<...>` in an enum stands for any name, so the enum is open there. Every other enum is strict.
    if instance in enums:
        return
    if isinstance(instance, str) and any(isinstance(e, str) and re.fullmatch(r"<[^<>]+>", e) for e in enums):
        return
    yield ValidationError(f"{instance!r} is not one of {enums!r}")


def _one_of(validator: Any, subschemas: list[Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    # Atlas's spec uses `oneOf` without a discriminator over schemas that do not exclude one another:
    # an AWS M30 `electableSpecs` is also a valid Azure and GCP HardwareSpec20240805, "M60" is in the
    # AWS, Azure and GCP instance-size enums of BaseCloudProviderInstanceSize, an alert configuration
    # fits several of GroupAlertsConfig's views. Read strictly, no answer Atlas gives could pass: here
    # "one of" holds when at least one branch accepts the value; a value no branch accepts is refused.
    if "discriminator" in schema:
        yield from oas_keywords.oneOf(validator, subschemas, instance, schema)
        return
    if not any(validator.evolve(schema=s).is_valid(instance) for s in subschemas):
        yield ValidationError(f"{instance!r} is not valid under any of the given schemas", context=[])


def _type(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # Three schemas of the spec say `type: object` over a `oneOf` of string enums (a region name, an
    # instance size, an alert's event type): Atlas answers a string there. When a schema's own type is
    # object and it has a `oneOf`/`anyOf`, a non-object value is judged by those branches alone.
    if types == "object" and not isinstance(instance, dict) and ("oneOf" in schema or "anyOf" in schema):
        return
    yield from oas_keywords.type(validator, types, instance, schema)


def _own_properties(validator: Any, schema: Any) -> set[str]:
    names = set((schema.get("properties") or {}).keys())
    for part in schema.get("allOf") or []:
        if "$ref" in part:
            part = validator._resolver.lookup(part["$ref"]).contents
        names |= set((part.get("properties") or {}).keys())
    return names


def _properties(validator: Any, properties: dict[str, Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
    # A parent with a discriminator whose mapped child defines a property of its own: the child's
    # definition governs it. HostMetricThreshold lists `units` as display names (bits, KB, sec...) while
    # each metric's view (ConnectionsPercentRawMetricThresholdView: RawMetricUnits) takes Atlas's units
    # (RAW, SECONDS...): read as two rules for one value, no threshold Atlas answers could pass.
    if "discriminator" in schema and isinstance(instance, dict):
        discriminator = schema["discriminator"]
        target = (discriminator.get("mapping") or {}).get(instance.get(discriminator["propertyName"]))
        if target:
            refined = _own_properties(validator, validator._resolver.lookup(target).contents)
            properties = {k: v for k, v in properties.items() if k not in refined or k == discriminator["propertyName"]}
    yield from jsonschema_keywords.properties(validator, properties, instance, schema)


_KEYWORDS: dict[str, Callable[..., Iterator[Any]]] = {
    "oneOf": _dispatch_once(_one_of),
    "anyOf": _dispatch_once(oas_keywords.anyOf),
    "allOf": _dispatch_once(oas_keywords.allOf),
}
_KEYWORDS["pattern"] = _pattern
_KEYWORDS["type"] = _type
_KEYWORDS["properties"] = _properties
_KEYWORDS["enum"] = _enum
_ReadValidator = jsonschema_validators.extend(OAS30ReadValidator, _KEYWORDS)
_WriteValidator = jsonschema_validators.extend(OAS30WriteValidator, _KEYWORDS)


class _ResponseValidator(V30ResponseValidator):
    schema_validators_factory = SchemaValidatorsFactory(_ReadValidator, OAS30ReadValidator.FORMAT_CHECKER)


class _RequestValidator(V30RequestValidator):
    schema_validators_factory = SchemaValidatorsFactory(_WriteValidator, OAS30WriteValidator.FORMAT_CHECKER)


def load_spec() -> dict[str, Any]:
    return dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


def openapi(spec: dict[str, Any] | None = None) -> OpenAPI:
    """The vendored spec as openapi-core's validator, with every Atlas media type read as JSON."""
    spec = load_spec() if spec is None else spec
    media = {
        kind
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for response in op.get("responses", {}).values()
        for kind in response.get("content", {})
        if kind.startswith("application/vnd.atlas.")
    }
    config = Config(
        # See the module docstring: the whole-document check does not end on this spec.
        spec_validator_cls=None,
        request_validator_cls=_RequestValidator,
        response_validator_cls=_ResponseValidator,
        extra_media_type_deserializers=dict.fromkeys(media, json.loads),
    )
    return OpenAPI.from_dict(spec, config=config)


class _AtHost(WerkzeugOpenAPIRequest):
    """The request as the spec's server would see it: the loopback server stands in for cloud.mongodb.com."""

    def __init__(self, request: Request, host_url: str) -> None:
        super().__init__(request)
        self._host_url = host_url

    @property
    def host_url(self) -> str:
        return self._host_url


# --- Scenarios ---


@dataclass(frozen=True)
class Fault:
    """One error answer served before the scenario's data (in the order given)."""

    status: int
    retry_after: str | None = None
    error_code: str = ""


@dataclass
class Scenario:
    """What the simulated Atlas holds and how it answers, by operationId."""

    data: dict[str, Any] = field(default_factory=dict)
    """operationId -> response body; a list operation's full list of items; or `(path_params, query) -> body`."""
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    """operationId -> errors answered first, one per request, before the data."""
    forbidden: dict[str, str] = field(default_factory=dict)
    """operationId -> the errorCode of a 403 it always answers."""


@dataclass(frozen=True)
class Identity:
    """Credentials the server accepts: a service account or an API key pair."""

    kind: str
    identifier: str
    secret: str = field(repr=False)


@dataclass
class Exchange:
    """One request the server received and what it answered."""

    method: str
    path: str
    operation_id: str | None
    status: int
    query: dict[str, str]


# --- The server ---


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the exchanges are kept in `AtlasServer.exchanges`."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _route_table(spec: dict[str, Any]) -> list[tuple[re.Pattern[str], str, Operation]]:
    by_id = {op.operation_id: op for op in OPERATIONS.values()}
    routes = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or op.get("operationId") not in by_id:
                continue
            pattern = re.escape(path)
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
            routes.append((re.compile(f"^{pattern}$"), method.upper(), by_id[op["operationId"]]))
    # Literal segments first: /groups/byName/{groupName} before /groups/{groupId}/... of the same length.
    routes.sort(key=lambda r: -len(re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "", r[0].pattern)))
    return routes


def api_error(status: int, error_code: str, detail: str = "") -> Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}
    body = {"error": status, "errorCode": error_code, "reason": reasons.get(status, "Internal Server Error"), "detail": detail}
    return Response(json.dumps(body), status=status, content_type=JSON)


class AtlasServer:
    """The scenario server: start with `with AtlasServer(identities) as server`; set `server.scenario` per test."""

    def __init__(self, identities: list[Identity] | None = None, spec: dict[str, Any] | None = None) -> None:
        self.spec = load_spec() if spec is None else spec
        self.validator = openapi(self.spec)
        self.server_url = self.spec["servers"][0]["url"]
        self.routes = _route_table(self.spec)
        self.identities = list(identities or [])
        self.scenario = Scenario()
        self.violations: list[str] = []
        self.exchanges: list[Exchange] = []
        self._tokens: set[str] = set()
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def __enter__(self) -> AtlasServer:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="atlas-scenario-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        """What MONGODB_ATLAS_BASE_URL would be set to."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/"

    def reset(self, scenario: Scenario) -> None:
        """Serve `scenario` from now on, with a clean record."""
        with self._lock:
            self.scenario = scenario
            self.violations.clear()
            self.exchanges.clear()

    def requests_for(self, operation_id: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.operation_id == operation_id]

    # WSGI

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response, operation_id = self._answer(request)
        with self._lock:
            self.exchanges.append(Exchange(request.method, request.path, operation_id, response.status_code, dict(request.args)))
        return response(environ, start_response)

    def _answer(self, request: Request) -> tuple[Response, str | None]:
        if request.path == TOKEN_PATH:
            return self._token(request), None
        if not request.path.startswith(API_PREFIX):
            return api_error(404, "RESOURCE_NOT_FOUND", f"no such path {request.path}"), None
        path = request.path
        route = next(((p.match(path), op) for p, method, op in self.routes if method == request.method and p.match(path)), None)
        if route is None:
            self._violation(f"{request.method} {request.path}: no operation of the vendored spec matches")
            return api_error(404, "RESOURCE_NOT_FOUND"), None
        match, op = route
        assert match is not None
        openapi_request = _AtHost(request, self.server_url)
        self._check_request(op, request, openapi_request)
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        response = self._authenticate(request) or self._respond(op, params, request)
        self._check_response(op, openapi_request, response)
        return response, op.operation_id

    # auth

    def _token(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        form_ok = (
            request.mimetype == "application/x-www-form-urlencoded" and request.form.get("grant_type") == "client_credentials"
        )
        if request.method != "POST" or not form_ok:
            self._violation("token request: POST application/x-www-form-urlencoded with grant_type=client_credentials expected")
            return Response(json.dumps({"error": "invalid_request"}), status=400, content_type=JSON)
        accepted = {
            base64.b64encode(f"{i.identifier}:{i.secret}".encode()).decode()
            for i in self.identities
            if i.kind == "service-account"
        }
        if not header.startswith("Basic ") or header[len("Basic ") :] not in accepted:
            return Response(json.dumps({"error": "invalid_client"}), status=401, content_type=JSON)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        return Response(json.dumps(body), status=200, content_type=JSON)

    def _authenticate(self, request: Request) -> Response | None:
        """None when the request carries valid credentials; else the 401 Atlas would send (a digest challenge)."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[len("Bearer ") :] in self._tokens:
            return None
        if header.startswith("Digest ") and self._digest_ok(request, header[len("Digest ") :]):
            return None
        nonce = secrets.token_hex(16)
        with self._lock:
            self._nonces.add(nonce)
        response = api_error(401, "UNAUTHORIZED", "You are not authorized for this resource.")
        response.headers["WWW-Authenticate"] = (
            f'Digest realm="{REALM}", domain="", nonce="{nonce}", algorithm=MD5, qop="auth", stale=false'
        )
        return response

    def _digest_ok(self, request: Request, value: str) -> bool:
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', value))
        key = next((i for i in self.identities if i.kind == "api-key" and i.identifier == fields.get("username")), None)
        if key is None or fields.get("nonce") not in self._nonces or fields.get("realm") != REALM:
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{key.identifier}:{REALM}:{key.secret}")
        ha2 = md5(f"{request.method}:{fields.get('uri', '')}")
        expected = md5(f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:{fields.get('qop', '')}:{ha2}")
        return secrets.compare_digest(expected, fields.get("response", ""))

    # answers

    def _respond(self, op: Operation, params: dict[str, str], request: Request) -> Response:
        scenario = self.scenario
        with self._lock:
            pending = scenario.faults.get(op.operation_id)
            fault = pending.pop(0) if pending else None
        if fault is not None:
            response = api_error(
                fault.status, fault.error_code or ("RATE_LIMITED" if fault.status == 429 else "UNEXPECTED_ERROR")
            )
            if fault.retry_after is not None:
                response.headers["Retry-After"] = fault.retry_after
            return response
        if op.operation_id in scenario.forbidden:
            return api_error(403, scenario.forbidden[op.operation_id], "Forbidden by the scenario.")
        if op.operation_id not in scenario.data:
            return api_error(404, "RESOURCE_NOT_FOUND", f"The scenario holds no {op.operation_id}.")
        body = scenario.data[op.operation_id]
        if callable(body):
            body = body(params, dict(request.args))
        if body is None:
            return api_error(404, "RESOURCE_NOT_FOUND", f"No such object for {op.operation_id}.")
        if op.paged and isinstance(body, list):
            body = self._page(body, request)
        return Response(json.dumps(body), status=200, content_type=op.media_type)

    def _page(self, items: list[Any], request: Request) -> dict[str, Any]:
        size = int(request.args.get("itemsPerPage", 100))
        page = int(request.args.get("pageNum", 1))
        chunk = items[(page - 1) * size : page * size]
        links = [{"href": f"{self.server_url}{request.full_path}", "rel": "self"}]
        if page * size < len(items):
            links.append({"href": f"{self.server_url}{request.path}?pageNum={page + 1}&itemsPerPage={size}", "rel": "next"})
        body: dict[str, Any] = {"results": chunk, "links": links}
        if request.args.get("includeCount", "true") != "false":
            body["totalCount"] = len(items)
        return body

    # validation

    def _violation(self, message: str) -> None:
        with self._lock:
            self.violations.append(message)

    def _check_request(self, op: Operation, request: Request, openapi_request: _AtHost) -> None:
        accept = request.headers.get("Accept", "")
        if accept != op.media_type:
            self._violation(f"{op.operation_id}: Accept {accept!r}, expected {op.media_type!r}")
        with warnings.catch_warnings():
            # openapi-core checks no oauth2 scheme ("Unsupported scheme type"); the server checks the token itself.
            warnings.simplefilter("ignore", UserWarning)
            try:
                self.validator.validate_request(openapi_request)
            except Exception as error:
                self._violation(f"{op.operation_id} request {request.full_path}: {_explain(error)}")

    def _check_response(self, op: Operation, openapi_request: _AtHost, response: Response) -> None:
        try:
            self.validator.validate_response(openapi_request, WerkzeugOpenAPIResponse(response))
        except Exception as error:
            self._violation(f"{op.operation_id} response {response.status_code}: {_explain(error)}")


def _explain(error: Exception) -> str:
    """The validator's reasons, innermost first, in one line."""
    parts = [f"{type(error).__name__}: {error}"]
    cause = error.__cause__
    while cause is not None:
        errors = getattr(cause, "schema_errors", None)
        if errors:
            parts += [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors]
        else:
            parts.append(str(cause))
        cause = cause.__cause__
    return " | ".join(p[:400] for p in parts)


# Identities the tests sign in with: what MONGODB_ATLAS_CLIENT_ID/_SECRET or _PUBLIC_KEY/_PRIVATE_KEY would hold.
TEST_SERVICE_ACCOUNT = Identity("service-account", "mdb_sa_id_65f0c0ffee0000000000aa01", "mdb_sa_sk_TESTSECRETnever-printed-01")
TEST_API_KEY = Identity("api-key", "qwertyui", "0f0e0d0c-TESTKEY-never-printed-0001")


def environment(identity: Identity, base_url: str) -> dict[str, str]:
    """The environment variables the Pulumi Atlas provider (and the review) read for `identity`."""
    names = (
        ("MONGODB_ATLAS_CLIENT_ID", "MONGODB_ATLAS_CLIENT_SECRET")
        if identity.kind == "service-account"
        else ("MONGODB_ATLAS_PUBLIC_KEY", "MONGODB_ATLAS_PRIVATE_KEY")
    )
    return {names[0]: identity.identifier, names[1]: identity.secret, "MONGODB_ATLAS_BASE_URL": base_url}
