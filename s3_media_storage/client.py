"""The boto3 S3 client that a storage builds when it is given none."""

from __future__ import annotations

import os
from urllib.parse import urlsplit
from typing import TYPE_CHECKING, Any, Final

import boto3.session
from botocore.config import Config
from streamlit.runtime.media_file_storage import MediaFileStorageError

if TYPE_CHECKING:
    from s3_media_storage.settings import StorageSettings

__all__ = ["build_client", "is_aws_endpoint"]

_AWS_HOST_SUFFIXES: Final = (".amazonaws.com", ".amazonaws.com.cn")

# Connections to S3 kept open for reuse, shared by all sessions of a process.
MAX_POOL_CONNECTIONS: Final = 50

# boto3 1.36 and later send CRC32 checksum trailers (aws-chunked) with every
# upload. Several self-hosted S3 servers reject them, so for endpoints other
# than AWS checksums are sent only where an operation requires one, unless
# the user set boto3's own variables.
_CHECKSUM_VARIABLES: Final = (
    "AWS_REQUEST_CHECKSUM_CALCULATION",
    "AWS_RESPONSE_CHECKSUM_VALIDATION",
)


def is_aws_endpoint(endpoint_url: str) -> bool:
    host = endpoint_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith(_AWS_HOST_SUFFIXES)


def _config(settings: StorageSettings, *, custom_endpoint: bool, region: str | None) -> Config:
    options: dict[str, Any] = {
        # botocore still picks the legacy SigV2 presigner for some regions
        # when nothing is set, so SigV4 is pinned.
        "signature_version": "s3v4",
        # botocore's "max_attempts" counts retries only; "total_max_attempts"
        # counts the first attempt too, as S3_MEDIA_MAX_ATTEMPTS does.
        "retries": {
            "mode": settings.retry_mode,
            "total_max_attempts": settings.max_attempts,
        },
        # ConcurrentMediaFileManager lets every session upload at once, and the
        # transfer manager sends 10 parts at a time, so botocore's default pool
        # of 10 connections would be too small and log "pool is full".
        "max_pool_connections": MAX_POOL_CONNECTIONS,
        "connect_timeout": settings.connect_timeout,
        "read_timeout": settings.read_timeout,
        "s3": {"addressing_style": "path" if custom_endpoint else "virtual"},
        "region_name": region,
    }
    if custom_endpoint and not any(name in os.environ for name in _CHECKSUM_VARIABLES):
        options["request_checksum_calculation"] = "when_required"
        options["response_checksum_validation"] = "when_required"
    return Config(**options)


def _check_endpoint_url(endpoint_url: str) -> None:
    """Raise unless ``endpoint_url`` is http(s) with a valid port.

    botocore builds a client for any URL and fails only at the first request,
    with an EndpointResolutionError that names no variable.
    """
    parts = urlsplit(endpoint_url)
    try:
        port_valid = parts.port is None or parts.port > 0
    except ValueError:
        port_valid = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_valid:
        raise MediaFileStorageError(
            f"Invalid S3 endpoint URL {endpoint_url!r}: expected http:// or https://"
            " with a host and a port from 1 to 65535. Set AWS_ENDPOINT_URL_S3 to a"
            " URL such as http://127.0.0.1:9000, or unset it for AWS."
        )


def build_client(settings: StorageSettings, *, region: str | None = None) -> Any:
    """Build an S3 client from boto3's normal configuration chain.

    Each call makes its own ``boto3.session.Session``, because boto3's default
    session is not thread-safe and Streamlit runs each session's script in its
    own thread. ``region`` overrides ``AWS_REGION`` and the config files.
    """
    session = boto3.session.Session(region_name=region)
    try:
        probe = session.client("s3", config=Config(signature_version="s3v4"))
    except ValueError as error:
        # botocore raises ValueError("Invalid endpoint: ...") for a malformed
        # endpoint URL from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the config.
        raise MediaFileStorageError(
            f"Cannot build the S3 client: {error}. Set AWS_ENDPOINT_URL_S3 to a"
            " URL such as http://127.0.0.1:9000, or unset it for AWS."
        ) from None
    _check_endpoint_url(probe.meta.endpoint_url)
    custom_endpoint = not is_aws_endpoint(probe.meta.endpoint_url)
    config = _config(settings, custom_endpoint=custom_endpoint, region=region)
    return session.client("s3", config=config)
