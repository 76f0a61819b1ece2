"""S3 faults: retries, errors that name bucket, key and cause, and recovery.

Every storage here talks to moto's server through ``FaultProxy`` on 127.0.0.1,
which injects the faults. The storage builds its own client from its settings,
so these tests also check that retry_mode, max_attempts, connect_timeout and
read_timeout reach botocore.

Before retry n, botocore 1.44's standard mode waits a random time of up to
2**(n - 1) seconds after a throttling error and a twentieth of that after
other errors, so the tests use 2 or 3 attempts to stay fast.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from conftest import APPS_DIR, child_environment
from fault_proxy import Delay, ErrorResponse, FaultProxy, RecordedRequest, ResetMidBody
from streamlit_client import run_script
from test_http import fetch

MEDIA = MediaFileKind.MEDIA
MIB = 1024 * 1024

# Faults that botocore retries, with a word that the final error names.
TRANSIENT_FAULTS = {
    "500": (ErrorResponse(500, "InternalError"), "InternalError"),
    "503-slowdown": (ErrorResponse(503, "SlowDown"), "SlowDown"),
    "throttling": (ErrorResponse(400, "Throttling"), "Throttling"),
    "reset-mid-body": (ResetMidBody(), "Connection was closed"),
    "read-timeout": (Delay(3.0), "timed out"),
}


@pytest.fixture
def proxy(moto_server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_server.endpoint_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def storage_factory(proxy, server_bucket, monkeypatch):
    """Build storages whose client goes through the proxy, bucket already checked."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.endpoint_url)

    def build(**options: Any) -> Any:
        from s3_media_storage import S3MediaFileStorage

        options.setdefault("read_timeout", 0.5)
        storage = S3MediaFileStorage(server_bucket, **options)
        storage.check_bucket()
        proxy.requests.clear()
        return storage

    return build


def object_keys(client: Any, bucket: str) -> list[str]:
    return [
        item["Key"]
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])
    ]


@pytest.mark.parametrize("name", TRANSIENT_FAULTS)
def test_transient_fault_retried(
    name, storage_factory, proxy, server_client, server_bucket
) -> None:
    fault, _ = TRANSIENT_FAULTS[name]
    storage = storage_factory(max_attempts=3)
    proxy.add_fault("PutObject", fault, times=2)
    data = os.urandom(64 * 1024)
    file_id = storage.load_and_get_id(data, "image/png", MEDIA)
    key = storage.object_key(file_id)
    assert proxy.operations()["PutObject"] == 3
    assert (
        server_client.get_object(Bucket=server_bucket, Key=key)["Body"].read() == data
    )


@pytest.mark.parametrize("name", TRANSIENT_FAULTS)
def test_lasting_fault_raises(
    name, storage_factory, proxy, server_client, server_bucket
) -> None:
    fault, cause = TRANSIENT_FAULTS[name]
    storage = storage_factory(max_attempts=2)
    proxy.add_fault("PutObject", fault)
    data = os.urandom(64 * 1024)
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(data, "image/png", MEDIA)
    message = str(caught.value)
    assert message.startswith(f"PutObject failed for s3://{server_bucket}/media/")
    assert cause in message
    assert proxy.operations()["PutObject"] == 2
    assert object_keys(server_client, server_bucket) == []

    # S3 is back: the next call uploads again instead of trusting the failure.
    proxy.clear()
    file_id = storage.load_and_get_id(data, "image/png", MEDIA)
    assert proxy.operations()["PutObject"] == 1
    assert object_keys(server_client, server_bucket) == [storage.object_key(file_id)]


def test_adaptive_mode_retries(storage_factory, proxy) -> None:
    storage = storage_factory(retry_mode="adaptive", max_attempts=3)
    assert storage.client.meta.config.retries == {
        "mode": "adaptive",
        "total_max_attempts": 3,
    }
    proxy.add_fault("PutObject", ErrorResponse(503, "SlowDown"), times=2)
    storage.load_and_get_id(b"adaptive", "image/png", MEDIA)
    assert proxy.operations()["PutObject"] == 3


def test_single_attempt_not_retried(storage_factory, proxy) -> None:
    storage = storage_factory(max_attempts=1)
    proxy.add_fault("PutObject", ErrorResponse(500, "InternalError"), times=1)
    with pytest.raises(MediaFileStorageError, match="InternalError"):
        storage.load_and_get_id(b"once", "image/png", MEDIA)
    assert proxy.operations()["PutObject"] == 1


def test_read_timeout_cuts_wait(storage_factory, proxy) -> None:
    storage = storage_factory(max_attempts=2, read_timeout=0.5)
    assert storage.client.meta.config.read_timeout == 0.5
    proxy.add_fault("PutObject", Delay(5.0), times=1)
    started = time.monotonic()
    storage.load_and_get_id(b"slow once", "image/png", MEDIA)
    elapsed = time.monotonic() - started
    # A 0.5 s timeout, a backoff of at most 0.05 s, then a quick second attempt.
    assert elapsed < 3.0
    assert proxy.operations()["PutObject"] == 2


def test_connect_timeout_applies(server_bucket, monkeypatch) -> None:
    from s3_media_storage import S3MediaFileStorage

    # A listener that never accepts: once its queue of one connection is
    # full, the kernel drops further SYNs and connect() waits until timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
        storage = S3MediaFileStorage(server_bucket, max_attempts=2, connect_timeout=0.5)
        assert storage.client.meta.config.connect_timeout == 0.5
        started = time.monotonic()
        with pytest.raises(MediaFileStorageError) as caught:
            storage.check_bucket()
        elapsed = time.monotonic() - started
        for filler in fillers:
            filler.close()
    assert "timed out" in str(caught.value)
    assert f"bucket {server_bucket!r}" in str(caught.value)
    assert elapsed < 5.0


def test_refused_connection_raises(storage_factory, proxy, server_bucket) -> None:
    storage = storage_factory(max_attempts=2)
    proxy.stop()
    started = time.monotonic()
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(b"nobody listens", "image/png", MEDIA)
    message = str(caught.value)
    assert message.startswith(f"PutObject failed for s3://{server_bucket}/media/")
    assert "could not connect to the S3 endpoint" in message
    assert time.monotonic() - started < 5.0


def is_third_part(request: RecordedRequest) -> bool:
    return request.operation == "UploadPart" and request.query["partNumber"] == ["3"]


@pytest.mark.parametrize("source", ["path", "bytes"])
def test_failed_part_aborts_upload(
    source, storage_factory, proxy, server_client, server_bucket, tmp_path
) -> None:
    storage = storage_factory(max_attempts=2, multipart_threshold=5 * MIB)
    # Parts are 8 MiB, so 17 MiB makes three: 8, 8 and 1 MiB.
    data = os.urandom(17 * MIB)
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    media = str(path) if source == "path" else data
    proxy.add_fault(is_third_part, ErrorResponse(500, "InternalError"))
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(media, "video/mp4", MEDIA)
    assert f"s3://{server_bucket}/media/" in str(caught.value)
    assert "InternalError" in str(caught.value)
    operations = proxy.operations()
    assert operations["CreateMultipartUpload"] == 1
    assert operations["AbortMultipartUpload"] == 1
    assert operations["CompleteMultipartUpload"] == 0
    assert (
        server_client.list_multipart_uploads(Bucket=server_bucket).get("Uploads", [])
        == []
    )
    assert object_keys(server_client, server_bucket) == []

    # The next call finds no object and uploads the whole file again.
    proxy.clear()
    file_id = storage.load_and_get_id(media, "video/mp4", MEDIA)
    assert proxy.operations()["CompleteMultipartUpload"] == 1
    stored = server_client.get_object(
        Bucket=server_bucket, Key=storage.object_key(file_id)
    )
    assert (
        hashlib.sha256(stored["Body"].read()).digest() == hashlib.sha256(data).digest()
    )


def test_head_fault_on_foreign_id(storage_factory, proxy, server_bucket) -> None:
    writer = storage_factory()
    file_id = writer.load_and_get_id(b"from another replica", "image/png", MEDIA)
    reader = storage_factory(max_attempts=2)
    proxy.add_fault("HeadObject", ErrorResponse(503, "SlowDown"))
    with pytest.raises(MediaFileStorageError) as caught:
        reader.get_url(file_id)
    assert f"s3://{server_bucket}/media/{file_id}" in str(caught.value)
    assert proxy.operations()["HeadObject"] == 2
    proxy.clear()
    status, _, body = fetch(reader.get_url(file_id))
    assert status == 200
    assert body == b"from another replica"


def test_app_outage_and_recovery(start_app, proxy, server_bucket) -> None:
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=proxy.endpoint_url,
        S3_MEDIA_BUCKET=server_bucket,
        S3_MEDIA_MAX_ATTEMPTS="2",
    )
    port = start_app(["run", str(APPS_DIR / "outage_app.py")], environment)
    healthy = run_script(port)
    assert healthy.exceptions == []
    assert healthy.markdown == ["before media", "between media", "after media"]

    proxy.outage = ErrorResponse(503, "SlowDown")
    outage = run_script(port)
    assert outage.markdown == ["before media", "between media"]
    assert len(outage.exceptions) == 3
    for message in outage.exceptions:
        assert message.startswith(
            f"PutObject failed for s3://{server_bucket}/media/"
        ), message
        assert "SlowDown" in message, message
    assert outage.audio_urls == []
    assert outage.download_urls == []
    assert outage.video_urls == []

    # The same server process recovers as soon as S3 responds again.
    proxy.outage = None
    recovered = run_script(port)
    assert recovered.exceptions == []
    assert recovered.markdown == ["before media", "between media", "after media"]
    urls = [*recovered.audio_urls, *recovered.download_urls, *recovered.video_urls]
    assert len(urls) == 3
    for url in urls:
        status, _, _ = fetch(url)
        assert status == 200, url
