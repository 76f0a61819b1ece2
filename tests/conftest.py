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


def child_environment(**extra: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "S3_MEDIA_"))
    }
    environment.update(fake_aws_environment())
    environment.update(extra)
    return environment


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Any]:
    """Start ``s3-media ARGS`` on a free port; stop every process at the end."""
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []

    def start(arguments: list[str], environment: dict[str, str]) -> int:
        port = free_port()
        log = open(tmp_path / f"s3-media-{port}.log", "wb")  # noqa: SIM115 - closed at teardown
        logs.append(log)
        process = subprocess.Popen(
            s3_media_command(*arguments, f"--server.port={port}", *STREAMLIT_TEST_OPTIONS),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        try:
            wait_for_port(port, process)
        except (RuntimeError, TimeoutError) as error:
            raise AssertionError(f"{error}: {(tmp_path / log.name).read_text()}") from error
        return port

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    for log in logs:
        log.close()


@pytest.fixture(scope="session")
def s3rver_url(tmp_path_factory) -> Iterator[str]:
    """s3rver on 127.0.0.1, shared by the whole test run. Skips without Node.js."""
    from s3rver_support import start_s3rver, stop

    process, url = start_s3rver(tmp_path_factory.mktemp("s3rver"))
    yield url
    stop(process)


@pytest.fixture(scope="session")
def s3rver_bucket(s3rver_url) -> str:
    from s3rver_support import S3RVER_KEY, create_bucket

    return create_bucket(
        s3rver_url,
        aws_access_key_id=S3RVER_KEY,
        aws_secret_access_key=S3RVER_KEY,
        region_name="us-east-1",
    )


_prefix_numbers = itertools.count()


@pytest.fixture
def s3rver_storage(
    s3rver_url, s3rver_bucket, monkeypatch
) -> Callable[..., S3MediaFileStorage]:
    """Build storages on s3rver, each under a prefix of its own unless one is given."""
    from s3rver_support import S3RVER_KEY

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3RVER_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3RVER_KEY)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3rver_url)

    def build(**options: Any) -> S3MediaFileStorage:
        options.setdefault("prefix", f"case-{next(_prefix_numbers)}/")
        return S3MediaFileStorage(s3rver_bucket, **options)

    return build
