"""The bucket check that runs once per storage: existence and region."""

from __future__ import annotations

import logging
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError
from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.errors import error_code, storage_error

__all__ = ["bucket_region"]

_LOGGER: Final = logging.getLogger(__name__)
_REGION_HEADER: Final = "x-amz-bucket-region"


def bucket_region(client: Any, bucket: str) -> str | None:
    """Send HeadBucket and return the bucket's region, if the server names it.

    S3 names the region on success, on a redirect (301) and on 403. A missing
    bucket or any other failure raises ``MediaFileStorageError``.
    """
    try:
        response = client.head_bucket(Bucket=bucket)
    except ClientError as error:
        headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        code = error_code(error)
        region = headers.get(_REGION_HEADER)
        if code in ("301", "PermanentRedirect") and region:
            return str(region)
        if code in ("403", "AccessDenied") and region:
            _LOGGER.warning(
                "HeadBucket on bucket %r was denied. Grant s3:ListBucket on it, or a"
                " missing object will look like a denied one.",
                bucket,
            )
            return str(region)
        if code in ("404", "NoSuchBucket"):
            error.response.setdefault("Error", {})["Code"] = "NoSuchBucket"
        raise storage_error(
            error, bucket=bucket, key=None, action="s3:ListBucket", operation="HeadBucket"
        ) from error
    except BotoCoreError as error:
        raise storage_error(
            error, bucket=bucket, key=None, action="s3:ListBucket", operation="HeadBucket"
        ) from error
    region = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get(_REGION_HEADER)
    return str(region) if region else None


def region_mismatch_error(bucket: str, bucket_region: str, client_region: str) -> MediaFileStorageError:
    return MediaFileStorageError(
        f"Bucket {bucket!r} is in region {bucket_region!r}, but the S3 client is"
        f" configured for {client_region!r}, so its presigned URLs would fail with"
        f" SignatureDoesNotMatch. Set AWS_REGION={bucket_region}, or pass a client"
        " made for that region."
    )
