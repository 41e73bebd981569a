"""A thin client of the MongoDB Atlas Administration API v2, used by the live review (`make review`).

- `operations`: one function per operation, named after the spec's operationId, and the table
  (`OPERATIONS`) of each one's method, path, versioned media type and required roles;
- `client`: `AtlasClient` (auth, paging, retries with backoff that honours Retry-After, timeouts,
  errors), `credentials_from_env` and `base_url_from_env` (the Pulumi Atlas provider's variables);
- `spec/atlas-admin-v2.json`: the part of Atlas's OpenAPI description these operations use
  (source and commit in spec/README.md), which tests/harness/atlas_server.py validates against.

    from tools.atlas_api import AtlasClient, base_url_from_env, credentials_from_env, operations as api

    with AtlasClient(credentials_from_env(), base_url_from_env()) as client:
        project = api.get_group_by_name(client, "payments-prod")
        users = api.list_group_database_users(client, project["id"])

Adding an operation: see tools/atlas_api/operations.py.
"""

from .client import AtlasApiError, AtlasClient, Credentials, CredentialsMissing, base_url_from_env, credentials_from_env

__all__ = ["AtlasApiError", "AtlasClient", "Credentials", "CredentialsMissing", "base_url_from_env", "credentials_from_env"]
