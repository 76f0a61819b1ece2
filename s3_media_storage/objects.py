"""Single-object S3 requests with their errors translated: head and refresh."""

from __future__ import annotations

import logging
from typing import Any, Final

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from s3_media_storage.errors import is_not_found, storage_error
from s3_media_storage.headers import CACHE_CONTROL

__all__ = ["head_object", "refresh_object"]

_LOGGER: Final = logging.getLogger(__name__)

# CopyObject copies objects up to 5 GiB; larger ones need a multipart copy.
_MAX_COPY_OBJECT_SIZE: Final = 5 * 1024**3


def head_object(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """Return the HeadObject response for ``key``, or None if it does not exist."""
    try:
        response: dict[str, Any] = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if is_not_found(error):
            return None
        _LOGGER.warning("HeadObject on s3://%s/%s failed: %s", bucket, key, error)
        raise storage_error(
            error, bucket=bucket, key=key, action="s3:GetObject", operation="HeadObject"
        ) from error
    except BotoCoreError as error:
        _LOGGER.warning("HeadObject on s3://%s/%s failed: %s", bucket, key, error)
        raise storage_error(
            error, bucket=bucket, key=key, action="s3:GetObject", operation="HeadObject"
        ) from error
    return response


def refresh_object(
    client: Any,
    bucket: str,
    key: str,
    head: dict[str, Any],
    transfer_config: TransferConfig,
) -> None:
    """Copy an object onto itself, so that the lifecycle rule counts its age anew.

    S3 rejects a copy onto itself that changes nothing, so the headers from
    ``head`` are written again with MetadataDirective REPLACE.
    """
    extra_args = {
        "MetadataDirective": "REPLACE",
        "ContentType": head.get("ContentType", "application/octet-stream"),
        "CacheControl": head.get("CacheControl", CACHE_CONTROL),
    }
    if head.get("ContentDisposition"):
        extra_args["ContentDisposition"] = head["ContentDisposition"]
    source = {"Bucket": bucket, "Key": key}
    try:
        if head.get("ContentLength", 0) < _MAX_COPY_OBJECT_SIZE:
            client.copy_object(Bucket=bucket, Key=key, CopySource=source, **extra_args)
        else:
            client.copy(source, bucket, key, ExtraArgs=extra_args, Config=transfer_config)
    except (ClientError, BotoCoreError) as error:
        _LOGGER.warning("Refresh of s3://%s/%s failed: %s", bucket, key, error)
        raise storage_error(
            error, bucket=bucket, key=key, action="s3:PutObject", operation="CopyObject"
        ) from error
    _LOGGER.info("Refreshed s3://%s/%s before its lifecycle expiry", bucket, key)
