"""The environment of a benchmark run: test credentials, local S3 endpoints, machine."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import IO, Any

# moto accepts any credentials, so these fixed values are no secret. They keep
# boto3 from looking for real ones.
ACCESS_KEY_ID = "bench-key-id"
SECRET_ACCESS_KEY = "bench-secret-key"
REGION = "us-east-1"

# Variables that could point boto3 at real credentials, profiles or services.
_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_REQUEST_CHECKSUM_CALCULATION",
    "AWS_RESPONSE_CHECKSUM_VALIDATION",
)

PACKAGES = (
    "s3-media-storage",
    "streamlit",
    "boto3",
    "botocore",
    "s3transfer",
    "moto",
    "werkzeug",
    "django",
    "django-storages",
)


def use_local_credentials(endpoint_url: str) -> None:
    """Point boto3 in this process and its children at ``endpoint_url`` only.

    Sets test credentials, disables the instance metadata service and the
    config files, and removes ``S3_MEDIA_*`` variables.
    """
    for name in [
        *_AWS_VARIABLES,
        *(n for n in os.environ if n.startswith("S3_MEDIA_")),
    ]:
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_S3": endpoint_url,
        }
    )


@contextlib.contextmanager
def endpoint(endpoint_url: str) -> Iterator[None]:
    """Make clients created inside the block use ``endpoint_url``.

    boto3 reads ``AWS_ENDPOINT_URL_S3`` when it creates a client, so a client
    keeps its endpoint after the block. Not thread-safe: create clients from
    one thread.
    """
    previous = os.environ["AWS_ENDPOINT_URL_S3"]
    os.environ["AWS_ENDPOINT_URL_S3"] = endpoint_url
    try:
        yield
    finally:
        os.environ["AWS_ENDPOINT_URL_S3"] = previous


@dataclass
class LocalEndpoints:
    """The S3 server process and its two endpoints on 127.0.0.1."""

    endpoint_url: str
    delayed_endpoint_url: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        stdin: IO[str] | None = self.process.stdin
        if stdin is not None:
            stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_endpoints(delay: float) -> LocalEndpoints:
    """Start ``bench.s3_server`` and return its endpoints.

    Raises ``RuntimeError`` with the server's output if it fails to start.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.s3_server", str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        _, errors = process.communicate(timeout=15)
        raise RuntimeError(f"The local S3 server failed to start: {errors.strip()}")
    endpoints = json.loads(line)
    return LocalEndpoints(
        endpoint_url=endpoints["endpoint_url"],
        delayed_endpoint_url=endpoints["delayed_endpoint_url"],
        process=process,
    )


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_description() -> dict[str, Any]:
    """Return the CPU model, logical CPUs, RAM, OS, Python, package versions and load.

    ``load_average`` is the 1-minute load average now: other processes on the
    machine take CPU time from the benchmark.
    """
    memory = _memory_gib()
    return {
        "load_average": os.getloadavg()[0],
        "cpu": _cpu_model(),
        # SHA-256, the hash of every file ID, runs faster on x86 CPUs with
        # the SHA extensions (the sha_ni flag), which case 1 depends on.
        "sha_extensions": "sha_ni" in _cpu_flags(),
        "logical_cpus": os.cpu_count(),
        "memory_gib": None if memory is None else round(memory, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {package: _version(package) for package in PACKAGES},
    }
