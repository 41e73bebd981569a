"""Connect an application to MongoDB Atlas with the credentials this platform keeps in AWS Secrets
Manager, and follow their rotation (docs/users.md, "Rotation: alternating users").

The secret `<app>/<env>/mongodb/<user>` holds JSON: username, password, authDatabase, connectionString.
Read it again when MongoDB refuses the credential (error 18, AuthenticationFailed) and at least once
per rotation period: after a rotation, the credential a client holds keeps working until the next
rotation, which comes `rotationPeriodDays` later at the earliest.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from pymongo import MongoClient
from pymongo.errors import OperationFailure

AUTHENTICATION_FAILED = 18  # MongoDB's code for a refused credential (codeName AuthenticationFailed)
T = TypeVar("T")


class AtlasConnection:
    """A MongoClient built from the secret, rebuilt whenever the secret holds another credential."""

    def __init__(
        self,
        secret_id: str,
        refresh_seconds: float,
        *,
        secrets: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # refresh_seconds: at most the stack's rotationPeriodDays (`pulumi stack output
        # databaseUserRotation`) in seconds; an hour is a good value for any period.
        self.secret_id = secret_id
        self.refresh_seconds = refresh_seconds
        self.secrets = secrets if secrets is not None else boto3.client("secretsmanager")
        self.clock = clock
        self.credentials: dict[str, str] = {}
        self.client: MongoClient[dict[str, Any]] | None = None
        self.read_at = 0.0

    def connect(self) -> MongoClient[dict[str, Any]]:
        """Read the secret (its AWSCURRENT version) and connect with what it holds now."""
        answer = self.secrets.get_secret_value(SecretId=self.secret_id)
        credentials = json.loads(answer["SecretString"])
        self.read_at = self.clock()
        if self.client is None or credentials != self.credentials:
            previous, self.credentials = self.client, credentials
            self.client = MongoClient(
                credentials["connectionString"],
                username=credentials["username"],
                password=credentials["password"],
                authSource=credentials["authDatabase"],
            )
            if previous is not None:
                # An operation still running on the old client ends with it: an application with
                # concurrent operations closes it once those are done.
                previous.close()
        return self.client

    def run(self, operation: Callable[[MongoClient[dict[str, Any]]], T]) -> T:
        """`operation(client)`, reading the secret again when it is due or the credential is refused."""
        client = self.client
        if client is None or self.clock() - self.read_at >= self.refresh_seconds:
            client = self.connect()
        try:
            return operation(client)
        except OperationFailure as error:
            if error.code != AUTHENTICATION_FAILED:
                raise
            # The secret has moved on past the credential this client holds: take the current one.
            return operation(self.connect())


if __name__ == "__main__":
    atlas = AtlasConnection("payments/prod/mongodb/api", refresh_seconds=3600)
    print(atlas.run(lambda client: client.admin.command("ping")))
