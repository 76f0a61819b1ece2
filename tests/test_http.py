"""Presigned URLs fetched over real HTTP from moto's server and from s3rver.

The in-process mock stores header values unchanged, even non-ASCII ones and
CR/LF, so header tests must cross a real HTTP connection. Most tests run on
both servers, two independent S3 implementations.
"""

from __future__ import annotations

import gzip
import http.client
import os
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind

from s3_media_storage import S3MediaFileStorage
from test_headers import ODD_NAMES, parse_filename

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` with http.client, returning the status, raw headers and body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}", headers=headers or {})
        response = connection.getresponse()
        raw_headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, raw_headers, response.read()
    finally:
        connection.close()


class S3Server(NamedTuple):
    """A factory of storages on one S3 server, and the server's endpoint URL."""

    storage: Callable[..., S3MediaFileStorage]
    endpoint_url: str


@pytest.fixture(params=["moto", "s3rver"])
def s3_server(request: pytest.FixtureRequest) -> S3Server:
    """moto's server, then s3rver (skipped without Node.js)."""
    if request.param == "moto":
        return S3Server(
            request.getfixturevalue("server_storage"),
            request.getfixturevalue("moto_server").endpoint_url,
        )
    return S3Server(
        request.getfixturevalue("s3rver_storage"),
        request.getfixturevalue("s3rver_url"),
    )


def test_url_serves_bytes_and_headers(s3_server) -> None:
    storage = s3_server.storage()
    data = os.urandom(5000)
    file_id = storage.load_and_get_id(data, "image/png", MEDIA)
    url = storage.get_url(file_id)
    status, headers, body = fetch(url)
    assert url.startswith(s3_server.endpoint_url + "/")
    assert status == 200
    assert body == data
    assert headers["content-type"] == "image/png"
    assert headers["content-disposition"] == "inline"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"


def test_url_serves_range(s3_server) -> None:
    storage = s3_server.storage()
    data = bytes(range(256)) * 40
    file_id = storage.load_and_get_id(data, "video/mp4", MEDIA)
    status, headers, body = fetch(storage.get_url(file_id), {"Range": "bytes=100-1099"})
    assert status == 206
    assert body == data[100:1100]
    assert headers["content-range"] == f"bytes 100-1099/{len(data)}"


def test_url_is_path_style(server_storage, server_bucket, moto_server) -> None:
    storage = server_storage()
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    parts = urlsplit(storage.get_url(file_id))
    assert parts.netloc == urlsplit(moto_server.endpoint_url).netloc
    assert parts.path == f"/{server_bucket}/media/{file_id}"


@pytest.mark.parametrize("name", ODD_NAMES)
def test_download_name_over_http(s3_server, name: str) -> None:
    storage = s3_server.storage()
    file_id = storage.load_and_get_id(b"a,b\n", "text/csv", DOWNLOADABLE, name)
    status, headers, body = fetch(storage.get_url(file_id))
    assert status == 200
    assert body == b"a,b\n"
    assert headers["content-disposition"].startswith("attachment; ")
    assert parse_filename(headers["content-disposition"]) == name
    assert "x-injected" not in headers


def test_unnamed_download_over_http(s3_server) -> None:
    storage = s3_server.storage()
    file_id = storage.load_and_get_id(b"{}", "application/json", DOWNLOADABLE)
    _, headers, _ = fetch(storage.get_url(file_id))
    assert headers["content-disposition"] == 'attachment; filename="streamlit_download.json"'


def test_gzip_download_stays_compressed(s3_server) -> None:
    storage = s3_server.storage()
    compressed = gzip.compress(b"a,b\n" * 100)
    file_id = storage.load_and_get_id(compressed, "application/gzip", DOWNLOADABLE, "t.csv.gz")
    _, headers, body = fetch(storage.get_url(file_id), {"Accept-Encoding": "gzip"})
    assert body == compressed
    assert "content-encoding" not in headers
    assert headers["content-type"] == "application/gzip"


def test_replica_url_for_foreign_id(s3_server) -> None:
    first = s3_server.storage(prefix="replicas/")
    file_id = first.load_and_get_id(b"from replica A", "image/png", MEDIA)
    second = s3_server.storage(prefix="replicas/")
    status, _, body = fetch(second.get_url(file_id))
    assert status == 200
    assert body == b"from replica A"


def test_large_path_over_http(s3_server, tmp_path) -> None:
    storage = s3_server.storage(multipart_threshold=5 * 1024 * 1024)
    data = os.urandom(11 * 1024 * 1024)
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    file_id = storage.load_and_get_id(str(path), "video/mp4", MEDIA)
    status, headers, body = fetch(storage.get_url(file_id))
    assert status == 200
    assert body == data
    assert headers["content-type"] == "video/mp4"


def test_prefix_with_space_and_unicode(s3_server) -> None:
    storage = s3_server.storage(prefix="my media/ü/")
    file_id = storage.load_and_get_id(b"spaced", "image/png", MEDIA)
    url = storage.get_url(file_id)
    assert "/my%20media/%C3%BC/" in url
    status, _, body = fetch(url)
    assert status == 200
    assert body == b"spaced"
    listed = storage.client.list_objects_v2(
        Bucket=storage.settings.bucket, Prefix="my media/"
    )["Contents"]
    assert [item["Key"] for item in listed] == [f"my media/ü/{file_id}"]
