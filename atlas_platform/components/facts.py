"""Facts about Atlas and AWS that more than one part of the program relies on, each stated once.

Why here, in `atlas_platform/components/`: the components are the half another program may reuse with no stack
file, and they need some of these facts themselves (Atlas's form of a region name). The stack-file
model (`stackconfig/`) imports them from here, the way it already shapes values for the
components; the reverse would tie every component to the config model. Nothing here imports
pulumi or pydantic, so the stack-file model pays nothing for the import.

The policy pack (`policies/rules/`) is published alone and imports nothing from the program, so it
keeps its own copies; `tests/test_facts_agree.py` holds each shared fact to this module, and names
every intended difference with its reason.
"""

from __future__ import annotations

import re

# ---- Regions -------------------------------------------------------------------------------------

# AWS regions Atlas deploys clusters to, in Atlas's form (Admin API v2, "AWS Regions" enum of
# CloudRegionConfig20240805.regionName; GLOBAL is left out: it is not a place to put nodes).
ATLAS_AWS_REGIONS: tuple[str, ...] = (
    "US_GOV_WEST_1", "US_GOV_EAST_1", "US_EAST_1", "US_EAST_2", "US_WEST_1", "US_WEST_2",
    "CA_CENTRAL_1", "CA_WEST_1", "MX_CENTRAL_1", "SA_EAST_1",
    "EU_NORTH_1", "EU_WEST_1", "EU_WEST_2", "EU_WEST_3", "EU_CENTRAL_1", "EU_CENTRAL_2",
    "EU_SOUTH_1", "EU_SOUTH_2", "IL_CENTRAL_1", "ME_SOUTH_1", "ME_CENTRAL_1", "AF_SOUTH_1",
    "AP_EAST_1", "AP_NORTHEAST_1", "AP_NORTHEAST_2", "AP_NORTHEAST_3",
    "AP_SOUTHEAST_1", "AP_SOUTHEAST_2", "AP_SOUTHEAST_3", "AP_SOUTHEAST_4", "AP_SOUTHEAST_5",
    "AP_SOUTHEAST_7", "AP_SOUTH_1", "AP_SOUTH_2", "CN_NORTH_1", "CN_NORTHWEST_1",
)  # fmt: skip


def aws_region_name(atlas_region: str) -> str:
    """`US_EAST_1` -> `us-east-1`."""
    return atlas_region.lower().replace("_", "-")


def atlas_region_name(aws_region: str) -> str:
    """`us-east-1` -> `US_EAST_1`: the form Atlas's cluster, backup, KMS and PrivateLink settings take
    (provider v2.16 docs/resources/privatelink_endpoint.md: `supported_remote_regions` "must be
    specified in Atlas format (e.g., `US_EAST_1`)")."""
    return aws_region.upper().replace("-", "_")


AWS_REGIONS: tuple[str, ...] = tuple(aws_region_name(r) for r in ATLAS_AWS_REGIONS)

# The shape of a region name in each form. The network section checks shape only, the cluster
# section membership; every region the cluster accepts has the shape (tests/test_facts_agree.py,
# which found `cn` missing here: a cluster in cn-north-1 could have had no private endpoint).
AWS_REGION_SHAPE = (
    r"(us|eu|ap|ca|sa|me|af|il|mx|cn)(-gov)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9]"
)
ATLAS_REGION_SHAPE = r"[A-Z]{2}(_GOV)?_[A-Z]+_[1-9]"

# ---- Limits --------------------------------------------------------------------------------------

# Database users per project (Admin API v2, Set One Project Limit:
# atlas.project.security.databaseAccess.users, default 100).
MAX_USERS_PER_PROJECT = 100
# IP access-list entries per project (same page: atlas.project.security.networkAccess.entries,
# default 200). A project this program creates has the default; Atlas refuses the 201st entry
# only at `pulumi up`, after creating the first 200.
MAX_ACCESS_LIST_ENTRIES = 200
# Atlas refuses a database user description over 100 characters (Admin API v2
# CloudDatabaseUser.description, maxLength 100); the provider's docs/resources/database_user.md
# does not say so, and the error would come only at `pulumi up`.
MAX_USER_DESCRIPTION = 100

# Service-account secret lifetimes Atlas takes, in hours (Admin API v2: the organization's
# maxServiceAccountSecretValidityInHours lies in 8-8760, and a secret may not outlive it).
MIN_SECRET_HOURS = 8
MAX_SECRET_HOURS = 8760

# The widest range an access-list entry or a security-group rule may open, per IP version: anything
# wider is "most of the internet", always a typo or a shortcut, never a client.
WIDEST_PREFIX: dict[int, int] = {4: 8, 6: 32}

# ---- TLS -----------------------------------------------------------------------------------------

# Minimum TLS versions this program lets a cluster take (Admin API v2,
# ClusterDescriptionProcessArgs20240805.minimumEnabledTlsProtocol also has TLS1_0 and TLS1_1,
# which production refuses).
TLS_PROTOCOLS: tuple[str, ...] = ("TLS1_2", "TLS1_3")
DEFAULT_MINIMUM_TLS = "TLS1_2"

# ---- Written reasons -----------------------------------------------------------------------------

# A reason for an exception (a broad role, a team owning prod) must say something: a sentence, not
# "needed". An opt-out from PrivateLink in production asks for more: it puts traffic on the internet.
REASON_MIN_LENGTH = 10
OPT_OUT_REASON_MIN_LENGTH = 20
REASON_MAX_LENGTH = 500

# ---- Tags and labels this program sets -----------------------------------------------------------

# Tags on every Atlas project and AWS resource (`program_args.standard_tags`); a stack may not
# override them.
RESERVED_TAGS: tuple[str, ...] = ("environment", "application", "managed-by")
# Labels on every database user (owner and kind from the user's keys, `program_args.app_user_args`).
RESERVED_LABELS: tuple[str, ...] = ("owner", "kind", "environment", "managed-by")

# ---- Alternating password rotation ---------------------------------------------------------------

# A password credential rotated by alternating users has two Atlas users behind one secret: slot a
# is the user as it always was (`<app>-<env>-<name>`), slot b its clone with this suffix. AWS's
# alternating-users strategy does the same: the first user stays, the rotation clones it as
# `<user>_clone` (Secrets Manager User Guide, "Lambda function rotation strategies"). Keeping slot a's
# username is what lets a live user switch to alternating without a replacement: the username forces
# one (provider v2.16.0 internal/service/databaseuser/resource_database_user.go, `username`:
# stringplanmodifier.RequiresReplace()). Both slots count against MAX_USERS_PER_PROJECT.
ROTATION_SLOTS: tuple[str, ...] = ("a", "b")
SLOT_USERNAME_SUFFIX: dict[str, str] = {"a": "", "b": "-b"}

# ---- Roles ---------------------------------------------------------------------------------------

# Built-in roles a database user may hold that reach every database of every cluster in the
# project (Atlas > Database Access > Built-in Roles).
BROAD_ROLES: frozenset[str] = frozenset({"atlasAdmin", "readWriteAnyDatabase", "readAnyDatabase", "dbAdminAnyDatabase"})

# ---- KMS -----------------------------------------------------------------------------------------

# A KMS key ARN, single-Region (a UUID) or multi-Region (`mrk-` and 32 hex digits, KMS Developer
# Guide, "Multi-Region key identifiers"). Both serve Atlas's encryption at rest and Secrets Manager
# alike: "you can use multi-Region keys in all cryptographic operations that you can do with
# single-Region keys" (KMS Developer Guide, multi-region-keys-overview.html), and Secrets Manager
# takes "the ARN, key ID, or alias of the KMS key" (CreateSecret KmsKeyId). The key must live in
# the region of what it encrypts: a multi-Region key's replica there is its own ARN.
KMS_KEY_ARN = re.compile(
    r"arn:aws(-us-gov|-cn)?:kms:(?P<region>[a-z]{2}(-gov)?-[a-z]+-\d):(?P<account>\d{12}):key/"
    r"(?P<key_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
)
