"""The storage against moto's in-process mock: objects, request counts, errors."""

from __future__ import annotations

import gzip
import logging
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from streamlit.runtime.media_file_storage import (
    MediaFileKind,
    MediaFileStorage,
    MediaFileStorageError,
)

from api_calls import ApiCalls
from conftest import REGION, SECRET_ACCESS_KEY
from s3_media_storage import S3MediaFileStorage

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE
BUCKET = "unit-media"
MIB = 1024 * 1024


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def storage(aws: Any) -> S3MediaFileStorage:
    return S3MediaFileStorage(BUCKET)


@pytest.fixture
def calls(storage: S3MediaFileStorage) -> ApiCalls:
    storage.check_bucket()
    return ApiCalls(storage.client)


def head(aws: Any, storage: S3MediaFileStorage, file_id: str) -> dict[str, Any]:
    return aws.head_object(Bucket=BUCKET, Key=storage.object_key(file_id))


def body(aws: Any, storage: S3MediaFileStorage, file_id: str) -> bytes:
    return aws.get_object(Bucket=BUCKET, Key=storage.object_key(file_id))["Body"].read()


def test_storage_is_streamlit_protocol(storage: S3MediaFileStorage) -> None:
    assert MediaFileStorage in type(storage).__mro__


def test_load_bytes_stores_object(aws: Any, storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"png-bytes", "image/png", MEDIA, None)
    metadata = head(aws, storage, file_id)
    assert body(aws, storage, file_id) == b"png-bytes"
    assert metadata["ContentType"] == "image/png"
    assert metadata["ContentDisposition"] == "inline"
    assert metadata["CacheControl"] == "public, max-age=31536000, immutable"
    assert storage.object_key(file_id) == f"media/{file_id}"


def test_load_same_bytes_uploads_once(storage: S3MediaFileStorage, calls: ApiCalls) -> None:
    first = storage.load_and_get_id(b"same", "image/png", MEDIA)
    second = storage.load_and_get_id(b"same", "image/png", MEDIA)
    assert first == second
    assert calls == {"PutObject": 1}


def test_get_url_sends_nothing(storage: S3MediaFileStorage, calls: ApiCalls) -> None:
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    calls.clear()
    storage.get_url(file_id)
    storage.get_url(file_id)
    assert calls.total() == 0


def test_get_url_is_sigv4(storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    query = parse_qs(urlsplit(storage.get_url(file_id)).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]
    assert query["X-Amz-Credential"][0].split("/")[2] == REGION
    assert "Signature" not in query


def test_get_url_expires_in_option(aws: Any) -> None:
    storage = S3MediaFileStorage(BUCKET, expires_in=120)
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    query = parse_qs(urlsplit(storage.get_url(file_id)).query)
    assert query["X-Amz-Expires"] == ["120"]


def test_media_and_download_are_two_objects(aws: Any, storage: S3MediaFileStorage) -> None:
    media_id = storage.load_and_get_id(b"a,b\n", "text/csv", MEDIA, "t.csv")
    download_id = storage.load_and_get_id(b"a,b\n", "text/csv", DOWNLOADABLE, "t.csv")
    assert media_id != download_id
    assert head(aws, storage, media_id)["ContentDisposition"] == 'inline; filename="t.csv"'
    assert head(aws, storage, download_id)["ContentDisposition"] == 'attachment; filename="t.csv"'


def test_load_gzip_stored_verbatim(aws: Any, storage: S3MediaFileStorage) -> None:
    sent: list[dict[str, Any]] = []
    storage.client.meta.events.register(
        "provide-client-params.s3.PutObject", lambda params, **_: sent.append(dict(params))
    )
    compressed = gzip.compress(b"a,b\n1,2\n")
    file_id = storage.load_and_get_id(compressed, "application/gzip", DOWNLOADABLE, "data.csv.gz")
    assert body(aws, storage, file_id) == compressed
    assert "ContentEncoding" not in sent[0]
    assert head(aws, storage, file_id)["ContentType"] == "application/gzip"


def test_mimetype_with_parameters_kept(aws: Any, storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"a", "text/csv; charset=utf-8", DOWNLOADABLE)
    assert file_id.endswith(".csv")
    assert head(aws, storage, file_id)["ContentType"] == "text/csv; charset=utf-8"


def test_load_empty_bytes(aws: Any, storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"", "text/plain", DOWNLOADABLE)
    assert body(aws, storage, file_id) == b""


def test_load_small_path(aws: Any, storage: S3MediaFileStorage, tmp_path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF-wav-data")
    from_path = storage.load_and_get_id(str(path), "audio/wav", MEDIA)
    from_bytes = storage.load_and_get_id(b"RIFF-wav-data", "audio/wav", MEDIA)
    assert from_path == from_bytes
    assert body(aws, storage, from_path) == b"RIFF-wav-data"


def test_load_large_path_multipart(aws: Any, tmp_path) -> None:
    storage = S3MediaFileStorage(BUCKET, multipart_threshold=5 * MIB)
    storage.check_bucket()
    calls = ApiCalls(storage.client)
    data = os.urandom(12 * MIB)
    path = tmp_path / "big.mp4"
    path.write_bytes(data)
    file_id = storage.load_and_get_id(str(path), "video/mp4", MEDIA)
    assert body(aws, storage, file_id) == data
    assert calls["CreateMultipartUpload"] == 1
    assert calls["UploadPart"] == 2
    assert calls["PutObject"] == 0


def test_large_path_rerun_skips_hash(aws: Any, tmp_path, monkeypatch) -> None:
    storage = S3MediaFileStorage(BUCKET, multipart_threshold=5 * MIB)
    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (6 * MIB))
    first = storage.load_and_get_id(str(path), "application/octet-stream", MEDIA)
    import s3_media_storage.storage as storage_module

    def fail(*_: Any, **__: Any) -> str:
        raise AssertionError("hashed again")

    monkeypatch.setattr(storage_module, "file_id_for_chunks", fail)
    assert storage.load_and_get_id(str(path), "application/octet-stream", MEDIA) == first


def test_large_object_from_other_replica_not_resent(aws: Any, tmp_path) -> None:
    data = os.urandom(6 * MIB)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    first = S3MediaFileStorage(BUCKET, multipart_threshold=5 * MIB)
    file_id = first.load_and_get_id(str(path), "video/mp4", MEDIA)
    second = S3MediaFileStorage(BUCKET, multipart_threshold=5 * MIB)
    second.check_bucket()
    calls = ApiCalls(second.client)
    assert second.load_and_get_id(data, "video/mp4", MEDIA) == file_id
    assert second.load_and_get_id(str(path), "video/mp4", MEDIA) == file_id
    assert calls == {"HeadObject": 1}


def test_other_replica_builds_url(aws: Any, storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"shared", "image/png", MEDIA)
    replica = S3MediaFileStorage(BUCKET)
    replica.check_bucket()
    calls = ApiCalls(replica.client)
    url = replica.get_url(file_id)
    replica.get_url(file_id)
    assert urlsplit(url).path.endswith(f"/media/{file_id}")
    assert calls == {"HeadObject": 1}


def test_get_url_missing_object(storage: S3MediaFileStorage, calls: ApiCalls) -> None:
    missing = "0" * 64 + ".png"
    with pytest.raises(MediaFileStorageError) as caught:
        storage.get_url(missing)
    assert f"s3://{BUCKET}/media/{missing}" in str(caught.value)
    assert "not found" in str(caught.value)
    assert calls == {"HeadObject": 1}


@pytest.mark.parametrize("bad_id", ["", "../x", "a/b", "..", "other/" + "0" * 64])
def test_bad_ids_send_nothing(storage: S3MediaFileStorage, calls: ApiCalls, bad_id: str) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid media file ID"):
        storage.get_url(bad_id)
    with pytest.raises(MediaFileStorageError, match="Invalid media file ID"):
        storage.delete_file(bad_id)
    assert calls.total() == 0


def test_delete_default_keeps_object(aws: Any, storage: S3MediaFileStorage, calls: ApiCalls) -> None:
    file_id = storage.load_and_get_id(b"keep", "image/png", MEDIA)
    calls.clear()
    storage.delete_file(file_id)
    assert calls.total() == 0
    assert body(aws, storage, file_id) == b"keep"


def test_delete_enabled_removes_object(aws: Any, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="s3_media_storage"):
        storage = S3MediaFileStorage(BUCKET, delete_files=True)
    assert "single replica" in caplog.text
    file_id = storage.load_and_get_id(b"gone", "image/png", MEDIA)
    storage.delete_file(file_id)
    storage.delete_file(file_id)
    storage.delete_file("f" * 64 + ".png")
    listing = aws.list_objects_v2(Bucket=BUCKET)
    assert listing["KeyCount"] == 0


def test_delete_then_load_uploads_again(aws: Any) -> None:
    storage = S3MediaFileStorage(BUCKET, delete_files=True)
    file_id = storage.load_and_get_id(b"back", "image/png", MEDIA)
    storage.delete_file(file_id)
    storage.load_and_get_id(b"back", "image/png", MEDIA)
    assert body(aws, storage, file_id) == b"back"


def test_prefix_applies_to_keys(aws: Any) -> None:
    storage = S3MediaFileStorage(BUCKET, prefix="apps/demo")
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    keys = [item["Key"] for item in aws.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [f"apps/demo/{file_id}"]


def test_missing_bucket_error(aws: Any) -> None:
    storage = S3MediaFileStorage("no-such-bucket-here")
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(b"x", "image/png", MEDIA)
    message = str(caught.value)
    assert "'no-such-bucket-here'" in message
    assert "does not exist" in message
    assert "S3_MEDIA_BUCKET" in message


def test_region_mismatch_with_given_client(aws: Any) -> None:
    aws_eu = boto3.client("s3", region_name="eu-west-1")
    aws_eu.create_bucket(
        Bucket="eu-media", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client = boto3.client("s3", region_name="us-east-1", config=Config(signature_version="s3v4"))
    storage = S3MediaFileStorage("eu-media", client=client)
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(b"x", "image/png", MEDIA)
    assert "'eu-west-1'" in str(caught.value)
    assert "'us-east-1'" in str(caught.value)


def test_region_adopted_by_own_client(aws: Any) -> None:
    aws_eu = boto3.client("s3", region_name="eu-west-1")
    aws_eu.create_bucket(
        Bucket="eu-media", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    storage = S3MediaFileStorage("eu-media")
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    url = urlsplit(storage.get_url(file_id))
    credential = parse_qs(url.query)["X-Amz-Credential"][0]
    assert credential.split("/")[2] == "eu-west-1"
    assert "eu-west-1" in url.netloc


def test_url_rejected_as_path(storage: S3MediaFileStorage, calls: ApiCalls) -> None:
    with pytest.raises(MediaFileStorageError, match="URLs cannot be stored"):
        storage.load_and_get_id("https://example.invalid/x.png", "image/png", MEDIA)
    assert calls.total() == 0


def test_missing_path_error(storage: S3MediaFileStorage, tmp_path) -> None:
    missing = tmp_path / "nope.png"
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(str(missing), "image/png", MEDIA)
    assert repr(str(missing)) in str(caught.value)
    assert "no such file" in str(caught.value)


def test_directory_path_error(storage: S3MediaFileStorage, tmp_path) -> None:
    with pytest.raises(MediaFileStorageError, match="it is a directory"):
        storage.load_and_get_id(str(tmp_path), "image/png", MEDIA)


def test_fifo_path_error(storage: S3MediaFileStorage, tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(MediaFileStorageError, match="not a regular file"):
        storage.load_and_get_id(str(fifo), "image/png", MEDIA)


def test_unreadable_content_error(storage: S3MediaFileStorage) -> None:
    # /proc/self/mem is a regular file whose first page cannot be read.
    with pytest.raises(MediaFileStorageError, match="/proc/self/mem"):
        storage.load_and_get_id("/proc/self/mem", "application/octet-stream", MEDIA)


def test_symlink_path_follows_target(aws: Any, storage: S3MediaFileStorage, tmp_path) -> None:
    target = tmp_path / "real.png"
    target.write_bytes(b"real")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    file_id = storage.load_and_get_id(str(link), "image/png", MEDIA)
    assert body(aws, storage, file_id) == b"real"


def test_wrong_type_error(storage: S3MediaFileStorage) -> None:
    with pytest.raises(MediaFileStorageError, match="expected bytes or the path"):
        storage.load_and_get_id(12345, "image/png", MEDIA)  # type: ignore[arg-type]


@pytest.mark.parametrize("mimetype", ["image", "image/png\r\nX-Evil: 1", "ïmage/png", "a b/c"])
def test_malformed_mimetype_error(storage: S3MediaFileStorage, calls: ApiCalls, mimetype: str) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid mimetype"):
        storage.load_and_get_id(b"x", mimetype, MEDIA)
    assert calls.total() == 0


def test_empty_mimetype_stores_default(aws: Any, storage: S3MediaFileStorage) -> None:
    file_id = storage.load_and_get_id(b"x", "", DOWNLOADABLE)
    assert head(aws, storage, file_id)["ContentType"] == "application/octet-stream"


def test_unknown_option_error(aws: Any) -> None:
    with pytest.raises(MediaFileStorageError, match="Unknown option 'expiry'"):
        S3MediaFileStorage(BUCKET, expiry=5)


def test_expires_in_out_of_range(aws: Any) -> None:
    with pytest.raises(MediaFileStorageError, match="from 1 to 604800"):
        S3MediaFileStorage(BUCKET, expires_in=700_000)


def test_no_credentials_error(aws: Any, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    storage = S3MediaFileStorage(BUCKET)
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(b"x", "image/png", MEDIA)
    assert "no AWS credentials were found" in str(caught.value)
    assert BUCKET in str(caught.value)


def test_access_denied_error(aws: Any, caplog) -> None:
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))
    storage = S3MediaFileStorage(BUCKET, client=client)
    with Stubber(client) as stubber:
        stubber.add_response("head_bucket", {}, {"Bucket": BUCKET})
        stubber.add_client_error("put_object", "AccessDenied", "Access Denied", 403)
        with caplog.at_level(logging.DEBUG, logger="s3_media_storage"):
            with pytest.raises(MediaFileStorageError) as caught:
                storage.load_and_get_id(b"x", "image/png", MEDIA)
    message = str(caught.value)
    assert message.startswith(f"PutObject failed for s3://{BUCKET}/media/")
    assert "access denied" in message
    assert "s3:PutObject" in message
    assert SECRET_ACCESS_KEY not in message
    assert SECRET_ACCESS_KEY not in caplog.text


def test_failed_upload_not_marked_stored(aws: Any) -> None:
    from botocore.stub import Stubber

    client = boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))
    storage = S3MediaFileStorage(BUCKET, client=client)
    with Stubber(client) as stubber:
        stubber.add_response("head_bucket", {}, {"Bucket": BUCKET})
        stubber.add_client_error("put_object", "InternalError", "boom", 500)
        with pytest.raises(MediaFileStorageError, match="S3 returned InternalError"):
            storage.load_and_get_id(b"retry me", "image/png", MEDIA)
    file_id = storage.load_and_get_id(b"retry me", "image/png", MEDIA)
    assert body(aws, storage, file_id) == b"retry me"


def test_repr_shows_bucket_not_secrets(storage: S3MediaFileStorage) -> None:
    text = repr(storage)
    assert BUCKET in text
    assert SECRET_ACCESS_KEY not in text


def test_from_env_builds_storage(aws: Any, monkeypatch) -> None:
    monkeypatch.setenv("S3_MEDIA_BUCKET", BUCKET)
    monkeypatch.setenv("S3_MEDIA_PREFIX", "env/")
    monkeypatch.setenv("S3_MEDIA_EXPIRES_IN", "60")
    storage = S3MediaFileStorage.from_env()
    file_id = storage.load_and_get_id(b"x", "image/png", MEDIA)
    assert storage.object_key(file_id) == f"env/{file_id}"
    assert "X-Amz-Expires=60" in storage.get_url(file_id)
