"""Objects already in S3, named as s3://bucket/key, served without a copy."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from api_calls import ApiCalls
from conftest import unique_bucket_name
from test_http import fetch

MEDIA = MediaFileKind.MEDIA


def test_source_in_own_bucket(server_storage, server_bucket, server_client) -> None:
    server_client.put_object(
        Bucket=server_bucket, Key="library/clip.mp4", Body=b"mp4", ContentType="video/mp4"
    )
    storage = server_storage()
    storage.check_bucket()
    calls = ApiCalls(storage.client)
    file_id = storage.load_and_get_id(f"s3://{server_bucket}/library/clip.mp4", "video/mp4", MEDIA)
    assert storage.load_and_get_id(f"s3://{server_bucket}/library/clip.mp4", "video/mp4", MEDIA) == file_id
    url = storage.get_url(file_id)
    assert calls == {"HeadObject": 1}
    assert urlsplit(url).path == f"/{server_bucket}/library/clip.mp4"
    status, headers, body = fetch(url)
    assert status == 200
    assert body == b"mp4"
    assert headers["content-type"] == "video/mp4"


def test_source_other_bucket_rejected(server_storage, server_client) -> None:
    other = unique_bucket_name("other")
    server_client.create_bucket(Bucket=other)
    server_client.put_object(Bucket=other, Key="a.png", Body=b"png")
    storage = server_storage()
    storage.check_bucket()
    calls = ApiCalls(storage.client)
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(f"s3://{other}/a.png", "image/png", MEDIA)
    assert "S3_MEDIA_SOURCE_BUCKETS" in str(caught.value)
    assert repr(other) in str(caught.value)
    assert calls.total() == 0


def test_source_allowed_bucket(server_storage, server_client) -> None:
    other = unique_bucket_name("library")
    server_client.create_bucket(Bucket=other)
    server_client.put_object(Bucket=other, Key="dir/a b.png", Body=b"png", ContentType="image/png")
    storage = server_storage(source_buckets=(other,))
    file_id = storage.load_and_get_id(f"s3://{other}/dir/a b.png", "image/png", MEDIA)
    status, _, body = fetch(storage.get_url(file_id))
    assert status == 200
    assert body == b"png"


def test_source_missing_object(server_storage, server_bucket) -> None:
    storage = server_storage()
    with pytest.raises(MediaFileStorageError, match="not found"):
        storage.load_and_get_id(f"s3://{server_bucket}/nope.png", "image/png", MEDIA)


def test_source_id_on_other_replica(server_storage, server_bucket, server_client) -> None:
    server_client.put_object(Bucket=server_bucket, Key="x.png", Body=b"x")
    file_id = server_storage().load_and_get_id(f"s3://{server_bucket}/x.png", "image/png", MEDIA)
    status, _, body = fetch(server_storage().get_url(file_id))
    assert status == 200
    assert body == b"x"


def test_source_never_deleted(server_storage, server_bucket, server_client) -> None:
    server_client.put_object(Bucket=server_bucket, Key="keep.png", Body=b"k")
    storage = server_storage(delete_files=True)
    file_id = storage.load_and_get_id(f"s3://{server_bucket}/keep.png", "image/png", MEDIA)
    storage.delete_file(file_id)
    assert server_client.get_object(Bucket=server_bucket, Key="keep.png")["Body"].read() == b"k"


@pytest.mark.parametrize("uri", ["s3://", "s3://bucket-only", "s3://bucket-only/"])
def test_source_malformed_uri(server_storage, uri: str) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid S3 URI"):
        server_storage().load_and_get_id(uri, "image/png", MEDIA)


def test_forged_source_id_rejected(server_storage) -> None:
    from s3_media_storage.ids import source_id

    storage = server_storage()
    forged = source_id("someone-elses-bucket", "secret.png")
    with pytest.raises(MediaFileStorageError, match="not an allowed source bucket"):
        storage.get_url(forged)
    with pytest.raises(MediaFileStorageError, match="Invalid media file ID"):
        storage.get_url("s3-!!!")
