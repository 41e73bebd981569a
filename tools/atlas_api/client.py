"""Transport, credentials, paging, retries and errors of the Atlas Administration API client, in one place.

Credentials are taken as the Pulumi Atlas provider takes them (`credentials_from_env`): a service
account (OAuth 2 client credentials; `MONGODB_ATLAS_CLIENT_ID`, `MONGODB_ATLAS_CLIENT_SECRET`) or an
API key pair (HTTP digest; `MONGODB_ATLAS_PUBLIC_KEY`, `MONGODB_ATLAS_PRIVATE_KEY`), and the base URL
from `MONGODB_ATLAS_BASE_URL` (Atlas for Government, tests). The token request is the one the spec's
`info.description` and its `ServiceAccounts` security scheme give: `POST <base>/api/oauth/token`
with the client id and secret as HTTP Basic credentials and `grant_type=client_credentials`; the
bearer token lasts an hour and is fetched again when Atlas answers 401.

Every call times out, retries 429 and 5xx (and a dropped connection) with exponential backoff that
waits at least what `Retry-After` asks, and ends in one `AtlasApiError` whose `one_line()` says what
is missing (the role the spec names for the operation on 403). No secret is ever part of a message,
a `repr` or a log line: `Credentials` hides them, and errors quote only Atlas's error code and detail.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .operations import Operation

DEFAULT_BASE_URL = "https://cloud.mongodb.com/"
API_PREFIX = "api/atlas/v2"
TOKEN_PATH = "api/oauth/token"
# Atlas's limit for `itemsPerPage` (the spec's components/parameters/itemsPerPage: maximum 500).
PAGE_SIZE = 500
RETRIED = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "atlas-platform-review"


@dataclass(frozen=True)
class Credentials:
    """An identity the client signs in as: a service account or an API key pair. Secrets never print."""

    kind: str
    """`service-account` or `api-key`."""
    identifier: str
    """The client id or the public key: not secret, and what an error may name."""
    secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.kind} {self.identifier}"


class CredentialsMissing(Exception):
    """The environment names no complete identity; the message says which variables to set."""


class AtlasApiError(Exception):
    """Atlas answered an error (after retries), or could not be reached."""

    def __init__(
        self,
        operation: Operation | None,
        status: int | None,
        error_code: str = "",
        detail: str = "",
        *,
        identity: str = "",
    ) -> None:
        self.operation = operation
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.identity = identity
        super().__init__(self.one_line())

    @property
    def name(self) -> str:
        return self.operation.operation_id if self.operation else "token request (POST /api/oauth/token)"

    def one_line(self) -> str:
        """What failed and what to do, in one line, without any secret."""
        said = f" {self.error_code}" if self.error_code else ""
        detail = f": {self.detail}" if self.detail else ""
        who = f" as {self.identity}" if self.identity else ""
        if self.status is None:
            return f"could not reach Atlas for {self.name}{detail}; check MONGODB_ATLAS_BASE_URL and the network"
        if self.status == 401:
            return (
                f"Atlas refused the credentials{who} (401{said}) on {self.name}: check MONGODB_ATLAS_CLIENT_ID/"
                "MONGODB_ATLAS_CLIENT_SECRET (service account) or MONGODB_ATLAS_PUBLIC_KEY/MONGODB_ATLAS_PRIVATE_KEY "
                "(API key), and that the secret has not expired"
            )
        if self.status == 403:
            if "ACCESS_LIST" in self.error_code or "IP_ADDRESS" in self.error_code:
                return (
                    f"Atlas refused {self.name}{who} (403{said}): this machine's address is not on the identity's "
                    "API access list; add the runner's egress address to the stack file's `review.serviceAccount.accessList`"
                )
            roles = " or ".join(self.operation.roles) if self.operation and self.operation.roles else "a role that allows it"
            return f"Atlas refused {self.name}{who} (403{said}): the identity needs {roles} on the project{detail}"
        return f"Atlas answered {self.status}{said} to {self.name}{who}{detail}"


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials:
    """The identity the environment names, read as the Pulumi Atlas provider reads it; a service account first."""
    env = os.environ if environ is None else environ
    client_id, client_secret = env.get("MONGODB_ATLAS_CLIENT_ID", ""), env.get("MONGODB_ATLAS_CLIENT_SECRET", "")
    public_key, private_key = env.get("MONGODB_ATLAS_PUBLIC_KEY", ""), env.get("MONGODB_ATLAS_PRIVATE_KEY", "")
    if client_id and client_secret:
        return Credentials("service-account", client_id, client_secret)
    if public_key and private_key:
        return Credentials("api-key", public_key, private_key)
    half = [
        name
        for name, value, other in (
            ("MONGODB_ATLAS_CLIENT_SECRET", client_secret, client_id),
            ("MONGODB_ATLAS_CLIENT_ID", client_id, client_secret),
            ("MONGODB_ATLAS_PRIVATE_KEY", private_key, public_key),
            ("MONGODB_ATLAS_PUBLIC_KEY", public_key, private_key),
        )
        if other and not value
    ]
    if half:
        raise CredentialsMissing(f"set {' and '.join(half)} too: the other half of the identity is set")
    raise CredentialsMissing(
        "no Atlas credentials: set MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (a service account) "
        "or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY (an API key)"
    )


def base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    url = env.get("MONGODB_ATLAS_BASE_URL") or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


class _ServiceAccountAuth(httpx.Auth):
    """OAuth 2 client credentials: a bearer token from /api/oauth/token, fetched again once on a 401."""

    requires_response_body = True

    def __init__(self, credentials: Credentials, token_url: str) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self._token: str | None = None
        self._expires = 0.0

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    def _sign_token_request(self, request: httpx.Request) -> httpx.Request:
        basic = httpx.BasicAuth(self._credentials.identifier, self._credentials.secret)
        return next(basic.auth_flow(request))

    def _accept(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            code, detail = _error_fields(response)
            raise AtlasApiError(None, response.status_code, code, detail, identity=str(self._credentials))
        body = response.json()
        self._token = str(body["access_token"])
        # Renew a minute early: a token that expires in flight costs a 401 and a retry.
        self._expires = time.monotonic() + float(body.get("expires_in", 3600)) - 60

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token is None or time.monotonic() >= self._expires:
            self._accept((yield self._sign_token_request(self._token_request())))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._accept((yield self._sign_token_request(self._token_request())))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


def _error_fields(response: httpx.Response) -> tuple[str, str]:
    """Atlas's errorCode and detail from an ApiError body, if it has one (never the request)."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("errorCode") or ""), str(body.get("detail") or "")


def retry_delay(response: httpx.Response | None, attempt: int, backoff: float, max_backoff: float) -> float:
    """Seconds to wait before the next attempt: exponential, and never less than `Retry-After` asks."""
    delay = float(min(max_backoff, backoff * (2**attempt)))
    header = response.headers.get("Retry-After") if response is not None else None
    if header:
        asked: float | None = None
        if header.strip().isdigit():
            asked = float(header.strip())
        else:
            when = email.utils.parsedate_to_datetime(header)
            asked = max(0.0, float(when.timestamp()) - time.time())
        if asked is not None:
            delay = max(delay, asked)
    return delay


class AtlasClient:
    """A session with the Admin API: `call` one operation, or `list` every page of a list operation."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.page_size = page_size
        self.attempts = 0
        """Requests sent, retries included (for tests and the report's footer)."""
        auth: httpx.Auth
        if credentials.kind == "service-account":
            auth = _ServiceAccountAuth(credentials, self.base_url + TOKEN_PATH)
        else:
            auth = httpx.DigestAuth(credentials.identifier, credentials.secret)
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": USER_AGENT},
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> AtlasClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def call(self, op: Operation, *, query: Mapping[str, Any] | None = None, **path: str) -> Any:
        """One request of `op` with its path parameters; the decoded JSON body."""
        url = op.path.format(**{k: _quote(v) for k, v in path.items()})
        params = {k: _param(v) for k, v in (query or {}).items()}
        headers = {"Accept": op.media_type}
        response: httpx.Response | None = None
        for attempt in range(self.max_attempts):
            self.attempts += 1
            try:
                response = self._http.request(op.method, url, params=params, headers=headers)
            except AtlasApiError as error:  # the token request failed
                if error.status in RETRIED and attempt + 1 < self.max_attempts:
                    self.sleep(retry_delay(None, attempt, self.backoff, self.max_backoff))
                    continue
                raise
            except httpx.TransportError as error:
                if attempt + 1 < self.max_attempts:
                    self.sleep(retry_delay(None, attempt, self.backoff, self.max_backoff))
                    continue
                raise AtlasApiError(op, None, detail=type(error).__name__) from None
            if response.status_code in RETRIED and attempt + 1 < self.max_attempts:
                self.sleep(retry_delay(response, attempt, self.backoff, self.max_backoff))
                continue
            break
        assert response is not None
        if response.status_code >= 400:
            code, detail = _error_fields(response)
            raise AtlasApiError(op, response.status_code, code, detail, identity=str(self.credentials))
        return response.json() if response.content else None

    def list(self, op: Operation, *, query: Mapping[str, Any] | None = None, **path: str) -> list[Any]:
        """Every item of a list operation, page after page until Atlas has given `totalCount` of them."""
        if not op.paged:
            raise ValueError(f"{op.operation_id} is not a paged list; use call()")
        items: list[Any] = []
        page = 1
        while True:
            body = self.call(
                op, query={**(query or {}), "itemsPerPage": self.page_size, "pageNum": page, "includeCount": True}, **path
            )
            results = list(body.get("results") or [])
            items += results
            total = body.get("totalCount")
            if not results:
                return items
            if isinstance(total, int):
                if len(items) >= total:
                    return items
            elif len(results) < self.page_size:
                return items
            page += 1


def _quote(value: str) -> str:
    from urllib.parse import quote

    # A path parameter is one segment: `/` in an access-list entry (a CIDR block) is escaped.
    return quote(str(value), safe="")


def _param(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value
