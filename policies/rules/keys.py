"""Rule 7: keys rotate, and secrets are encrypted with a key the organization controls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import types as t
from .base import Context, resource_policy
from .values import require_known

AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"


def check_kms_rotation(props: Mapping[str, Any], ctx: Context) -> list[str]:
    spec = require_known(props.get("customerMasterKeySpec"), "customerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = require_known(props.get("keyUsage"), "keyUsage") or "ENCRYPT_DECRYPT"
    store = require_known(props.get("customKeyStoreId"), "customKeyStoreId")
    # KMS rotates only symmetric encryption keys held in KMS itself.
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT" or store:
        return []
    if require_known(props.get("enableKeyRotation"), "enableKeyRotation") is not True:
        return ["automatic key rotation is off. Set enable_key_rotation=True (yearly, or rotation_period_in_days)."]
    return []


def check_secret_key(props: Mapping[str, Any], ctx: Context) -> list[str]:
    key = require_known(props.get("kmsKeyId"), "kmsKeyId")
    if not key or str(key).endswith(AWS_MANAGED_SECRETS_KEY):
        return [
            "the secret is encrypted with the AWS-managed key aws/secretsmanager. Set kms_key_id to a "
            "customer-managed aws.kms.Key (with rotation on) so access and deletion stay under your policy."
        ]
    return []


POLICIES = [
    resource_policy(
        "aws-kms-key-rotation",
        "Customer-managed KMS keys rotate automatically.",
        [t.KMS_KEY],
        check_kms_rotation,
    ),
    resource_policy(
        "aws-secret-customer-kms-key",
        "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        [t.SECRET],
        check_secret_key,
    ),
]
