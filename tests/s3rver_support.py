"""s3rver, a second S3 implementation from the npm registry, started on 127.0.0.1.

s3rver 3.7.1 is pinned in package.json and installed by ``npm ci``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from conftest import free_port, wait_for_port

REPOSITORY = Path(__file__).resolve().parent.parent
S3RVER_SCRIPT = REPOSITORY / "node_modules" / "s3rver" / "bin" / "s3rver.js"
# s3rver's built-in account. It rejects any other access key ID.
S3RVER_KEY = "S3RVER"


def start_s3rver(directory: Path, *tls: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start s3rver on a free port of 127.0.0.1, on HTTPS with a certificate and key."""
    node = shutil.which("node")
    if node is None or not S3RVER_SCRIPT.exists():
        pytest.skip(
            "Node.js or s3rver is not installed: install Node.js, then run"
            " `npm ci` in the repository root"
        )
    port = free_port()
    command = [node, str(S3RVER_SCRIPT), "--directory", str(directory)]
    command += [
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
        "--silent",
        "--no-vhost-buckets",
    ]
    if tls:
        command += ["--cert", str(tls[0]), "--key", str(tls[1])]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, process, timeout=30)
    except (RuntimeError, TimeoutError) as error:
        process.kill()
        _, stderr = process.communicate(timeout=10)
        raise AssertionError(
            f"s3rver did not start: {error}: {stderr.decode()}"
        ) from error
    scheme = "https" if tls else "http"
    return process, f"{scheme}://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


_bucket_numbers = iter(range(1_000_000))


def create_bucket(endpoint_url: str, **client_options: Any) -> str:
    name = f"s3rver-{os.getpid()}-{next(_bucket_numbers)}"
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        config=Config(signature_version="s3v4"),
        **client_options,
    )
    client.create_bucket(Bucket=name)
    return name
