"""A second S3 implementation (s3rver), and the checksum headers on the wire.

moto accepts any signature and ignores expiry. s3rver 3.7.1 (pinned in
package.json, installed by ``npm ci``) is an independent implementation that
rejects expired presigned URLs and unknown access key IDs. It does not verify
SigV4 signatures at all, so test_sigv4.py recomputes them instead.

boto3 1.36 and later add a CRC32 checksum to every upload: over HTTPS as an
``aws-chunked`` body with a trailer, over HTTP as an ``x-amz-checksum-crc32``
header. Several S3-compatible servers reject or mis-store those uploads, so
for endpoints other than AWS the client sends checksums only where an
operation requires one. The wire tests check the headers through FaultProxy.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind

from fault_proxy import FaultProxy, self_signed_certificate
from s3_media_storage import S3MediaFileStorage
from s3rver_support import S3RVER_KEY, create_bucket, start_s3rver, stop
from test_http import fetch

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE
MIB = 1024 * 1024
CHECKSUM_HEADERS = (
    "x-amz-checksum-crc32",
    "x-amz-trailer",
    "x-amz-sdk-checksum-algorithm",
)


def query_values(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- What s3rver enforces ---------------------------------------------------------


def test_s3rver_delete(s3rver_storage) -> None:
    storage = s3rver_storage(delete_files=True)
    file_id = storage.load_and_get_id(b"short-lived", "image/png", MEDIA)
    url = storage.get_url(file_id)
    storage.delete_file(file_id)
    status, _, _ = fetch(url)
    assert status == 404


def test_s3rver_rejects_expired_url(s3rver_storage) -> None:
    storage = s3rver_storage(expires_in=1)
    file_id = storage.load_and_get_id(b"expiring", "image/png", MEDIA)
    url = storage.get_url(file_id)
    status, _, _ = fetch(url)
    assert status == 200
    # X-Amz-Date has whole seconds, so the URL is dead 1 s after that second.
    signed_at = datetime.datetime.strptime(
        query_values(url)["X-Amz-Date"], "%Y%m%dT%H%M%SZ"
    )
    expires_at = signed_at.replace(tzinfo=datetime.timezone.utc).timestamp() + 1
    time.sleep(max(0.0, expires_at + 1.2 - time.time()))
    status, _, body = fetch(url)
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body
    assert b"Request has expired" in body


def test_s3rver_signature_checks(s3rver_storage) -> None:
    storage = s3rver_storage()
    file_id = storage.load_and_get_id(b"signed", "image/png", MEDIA)
    url = storage.get_url(file_id)
    signature = query_values(url)["X-Amz-Signature"]
    tampered = url.replace(signature, "0" * len(signature))
    other_key = url.replace(f"Credential={S3RVER_KEY}", "Credential=UNKNOWNKEY")
    # s3rver 3.7.1 skips SigV4 signature verification ("unimplemented" in its
    # source), so a tampered signature passes: test_sigv4.py checks them.
    tampered_status, _, _ = fetch(tampered)
    unknown_status, _, unknown_body = fetch(other_key)
    assert tampered_status == 200
    assert unknown_status == 403
    assert b"<Code>InvalidAccessKeyId</Code>" in unknown_body


@pytest.fixture
def tls_certificate(tmp_path) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path)


@pytest.mark.parametrize("calculation", [None, "when_supported"])
def test_s3rver_checksum_setting(
    calculation, tls_certificate, tmp_path, monkeypatch
) -> None:
    process, url = start_s3rver(tmp_path / "data", *tls_certificate)
    try:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", S3RVER_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3RVER_KEY)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)
        monkeypatch.setenv("AWS_CA_BUNDLE", str(tls_certificate[0]))
        if calculation is not None:
            monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", calculation)
        bucket = create_bucket(url)
        storage = S3MediaFileStorage(bucket)
        data = os.urandom(1000)
        file_id = storage.load_and_get_id(data, "image/png", MEDIA)
        stored = storage.client.get_object(
            Bucket=bucket, Key=storage.object_key(file_id)
        )
        body = stored["Body"].read()
    finally:
        stop(process)
    if calculation is None:
        assert body == data
    else:
        # s3rver 3.7.1 stores the aws-chunked framing and trailer as the bytes.
        assert body != data
        assert b"x-amz-checksum-crc32:" in body


# --- Checksum headers on the wire -----------------------------------------------


@pytest.fixture
def wire_storage(moto_server, server_bucket, tmp_path, monkeypatch):
    """Build a storage whose requests pass through FaultProxy, and return both."""
    proxies: list[FaultProxy] = []

    def build(
        *, tls: bool = True, **options: Any
    ) -> tuple[S3MediaFileStorage, FaultProxy]:
        certificate = self_signed_certificate(tmp_path) if tls else None
        proxy = FaultProxy(moto_server.endpoint_url, certificate=certificate).start()
        proxies.append(proxy)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.endpoint_url)
        if certificate is not None:
            monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate[0]))
        storage = S3MediaFileStorage(server_bucket, **options)
        storage.check_bucket()
        return storage, proxy

    yield build
    for proxy in proxies:
        proxy.stop()


def test_wire_put_default(wire_storage) -> None:
    storage, proxy = wire_storage()
    data = os.urandom(1000)
    storage.load_and_get_id(data, "image/png", MEDIA)
    [put] = proxy.recorded("PutObject")
    for name in CHECKSUM_HEADERS:
        assert name not in put.headers, name
    assert "content-encoding" not in put.headers
    assert put.body == data


def test_wire_put_when_supported(wire_storage, server_client, monkeypatch) -> None:
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported")
    storage, proxy = wire_storage()
    data = os.urandom(1000)
    file_id = storage.load_and_get_id(data, "image/png", MEDIA)
    [put] = proxy.recorded("PutObject")
    assert put.headers["content-encoding"] == "aws-chunked"
    assert put.headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    assert put.headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    # moto decodes aws-chunked bodies, unlike s3rver.
    key = storage.object_key(file_id)
    stored = server_client.get_object(Bucket=storage.settings.bucket, Key=key)
    assert stored["Body"].read() == data


def test_wire_put_http_when_supported(wire_storage, monkeypatch) -> None:
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_supported")
    storage, proxy = wire_storage(tls=False)
    storage.load_and_get_id(os.urandom(1000), "image/png", MEDIA)
    [put] = proxy.recorded("PutObject")
    # Over plain HTTP botocore sends the checksum as a header, not a trailer.
    assert "x-amz-checksum-crc32" in put.headers
    assert "x-amz-trailer" not in put.headers


def test_wire_multipart_default(wire_storage, tmp_path) -> None:
    storage, proxy = wire_storage(multipart_threshold=5 * MIB)
    path = tmp_path / "big.mp4"
    path.write_bytes(os.urandom(9 * MIB))
    storage.load_and_get_id(str(path), "video/mp4", MEDIA)
    requests = [*proxy.recorded("CreateMultipartUpload"), *proxy.recorded("UploadPart")]
    assert len(requests) == 3
    for request in requests:
        for name in CHECKSUM_HEADERS:
            assert name not in request.headers, (request.operation, name)
        assert "content-encoding" not in request.headers, request.operation


def test_wire_delete_single_object(wire_storage) -> None:
    storage, proxy = wire_storage(delete_files=True)
    file_id = storage.load_and_get_id(b"delete me", "image/png", MEDIA)
    storage.delete_file(file_id)
    operations = proxy.operations()
    [delete] = proxy.recorded("DeleteObject")
    assert operations["DeleteObjects"] == 0
    assert delete.method == "DELETE"
    assert delete.body == b""


@pytest.mark.parametrize(
    ("endpoint", "variable", "expected"),
    [
        (None, None, "when_supported"),
        ("http://127.0.0.1:9", None, "when_required"),
        ("https://s3.eu-west-1.amazonaws.com", None, "when_supported"),
        ("http://127.0.0.1:9", "when_supported", "when_supported"),
    ],
)
def test_checksum_setting_by_endpoint(
    endpoint, variable, expected, monkeypatch
) -> None:
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    if variable is not None:
        monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", variable)
    # Building a storage sends no request.
    storage = S3MediaFileStorage("checksum-media")
    assert storage.client.meta.config.request_checksum_calculation == expected
