"""Object uploads: a single PutObject, or the transfer manager for large bodies."""

from __future__ import annotations

import io
from typing import Any, Final

from boto3.s3.transfer import TransferConfig

__all__ = ["transfer_config", "upload_bytes", "upload_file"]

# boto3's own defaults: parts of 8 MiB, ten at a time. The transfer manager
# reads each part from disk as it sends it, so a 1 GiB upload from a path
# raises peak memory by about 30 MiB (BENCHMARKS.md, case 3).
PART_SIZE: Final = 8 * 1024 * 1024
MAX_CONCURRENCY: Final = 10


def transfer_config(multipart_threshold: int) -> TransferConfig:
    return TransferConfig(
        multipart_threshold=multipart_threshold,
        multipart_chunksize=PART_SIZE,
        max_concurrency=MAX_CONCURRENCY,
    )


def upload_bytes(
    client: Any,
    bucket: str,
    key: str,
    data: bytes,
    extra_args: dict[str, str],
    config: TransferConfig,
) -> None:
    """Upload ``data``: one PutObject below the threshold, multipart above it."""
    if len(data) < config.multipart_threshold:
        client.put_object(Bucket=bucket, Key=key, Body=data, **extra_args)
        return
    client.upload_fileobj(
        io.BytesIO(data), bucket, key, ExtraArgs=extra_args, Config=config
    )


def upload_file(
    client: Any,
    bucket: str,
    key: str,
    path: str,
    extra_args: dict[str, str],
    config: TransferConfig,
) -> None:
    """Stream the file at ``path``; the transfer manager aborts a failed multipart upload."""
    client.upload_file(path, bucket, key, ExtraArgs=extra_args, Config=config)
