"""Shared fixtures: fake AWS credentials, moto's S3 server, buckets, storages."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from s3_media_storage import S3MediaFileStorage
from s3_media_storage.local_s3 import LocalS3, start_local_s3

TESTS_DIR = Path(__file__).parent
APPS_DIR = TESTS_DIR / "apps"
REGION = "us-east-1"
ACCESS_KEY_ID = "testing-key-id"
SECRET_ACCESS_KEY = "testing-secret-key"

_bucket_numbers = itertools.count()

# Variables that would point boto3 at real AWS credentials or services.
_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_REQUEST_CHECKSUM_CALCULATION",
    "AWS_RESPONSE_CHECKSUM_VALIDATION",
)


def fake_aws_environment() -> dict[str, str]:
    """Return the variables that make boto3 use test credentials and nothing else."""
    return {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from real AWS: test credentials, no metadata service."""
    for name in _AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("S3_MEDIA_")]:
        monkeypatch.delenv(name)
    for name, value in fake_aws_environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[LocalS3]:
    """moto's S3 server on 127.0.0.1, shared by the whole test run."""
    server = start_local_s3()
    yield server
    server.stop()


def make_client(endpoint_url: str, **config: Any) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", **config),
    )


@pytest.fixture
def server_client(moto_server: LocalS3) -> Any:
    """A plain boto3 client for moto's server, for setting up and checking."""
    return make_client(moto_server.endpoint_url)


def unique_bucket_name(stem: str = "media") -> str:
    return f"{stem}-{os.getpid()}-{next(_bucket_numbers)}"


@pytest.fixture
def server_bucket(server_client: Any) -> str:
    """A new, empty bucket on moto's server."""
    name = unique_bucket_name()
    server_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def server_storage(
    moto_server: LocalS3, server_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., S3MediaFileStorage]:
    """A factory of storages on moto's server that build their own client."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server.endpoint_url)

    def build(**options: Any) -> S3MediaFileStorage:
        return S3MediaFileStorage(options.pop("bucket", server_bucket), **options)

    return build


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


STREAMLIT_TEST_OPTIONS = (
    "--server.headless=true",
    "--server.address=127.0.0.1",
    "--browser.gatherUsageStats=false",
    "--server.fileWatcherType=none",
)


def s3_media_command(*arguments: str) -> list[str]:
    """Return the argv that runs the s3-media command with this interpreter."""
    return [sys.executable, "-m", "s3_media_storage.cli", *arguments]
