"""IAM actions that the storage needs, derived from the S3 operations it calls.

The Terraform module under ``terraform/`` grants exactly these actions, and a
test records the operations that a full run of the storage sends and checks
them against this table.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BUCKET_ACTIONS",
    "DELETE_ACTIONS",
    "OBJECT_ACTIONS",
    "OPERATION_ACTIONS",
    "S3_ACTIONS",
    "SOURCE_ACTIONS",
]

# Each S3 operation the storage sends, with the IAM action that authorises it.
# HeadObject is authorised by s3:GetObject, and the multipart operations by
# s3:PutObject, except the abort of a failed upload.
OPERATION_ACTIONS: Final[dict[str, str]] = {
    "HeadBucket": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "CopyObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "UploadPartCopy": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
}

# Granted on the bucket itself. Without s3:ListBucket S3 returns 403 instead
# of 404 for a missing key, so the storage could not tell "not found" from
# "denied".
BUCKET_ACTIONS: Final[frozenset[str]] = frozenset({"s3:ListBucket"})

# Granted on the objects under the media prefix.
OBJECT_ACTIONS: Final[frozenset[str]] = frozenset(
    {"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"}
)

# Granted on the objects under the media prefix only when deletion is turned on.
DELETE_ACTIONS: Final[frozenset[str]] = frozenset({"s3:DeleteObject"})

# Granted on the objects of buckets that ``s3://`` sources may name.
SOURCE_ACTIONS: Final[frozenset[str]] = frozenset({"s3:GetObject"})

# Every action the storage may need, whatever its options.
S3_ACTIONS: Final[frozenset[str]] = BUCKET_ACTIONS | OBJECT_ACTIONS | DELETE_ACTIONS
