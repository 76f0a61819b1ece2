"""Objects still handed out are refreshed before the lifecycle rule expires them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from api_calls import ApiCalls
from clock import FakeClock
from conftest import REGION
from s3_media_storage import S3MediaFileStorage

BUCKET = "lifecycle-media"
DAY = 86_400
START = 1_800_000_000.0


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def lifecycle_storage(clock: FakeClock, days: int = 7) -> S3MediaFileStorage:
    storage = S3MediaFileStorage(BUCKET, lifecycle_days=days, expires_in=3600, clock=clock)
    storage.check_bucket()
    return storage


def test_refresh_age_leaves_margin() -> None:
    from s3_media_storage.settings import StorageSettings

    settings = StorageSettings(bucket="b-1", lifecycle_days=7, expires_in=3600)
    assert settings.refresh_after == 7 * DAY - 3600 - 3600


def test_young_object_not_refreshed(aws) -> None:
    clock = FakeClock(START)
    storage = lifecycle_storage(clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    calls = ApiCalls(storage.client)
    clock.advance(6 * DAY)
    storage.get_url(file_id)
    assert calls.total() == 0


def test_old_object_refreshed_once(aws) -> None:
    clock = FakeClock(START)
    storage = lifecycle_storage(clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA, "a.png")
    key = storage.object_key(file_id)
    before = aws.head_object(Bucket=BUCKET, Key=key)
    calls = ApiCalls(storage.client)
    clock.advance(storage.settings.refresh_after)
    storage.get_url(file_id)
    storage.get_url(file_id)
    after = aws.head_object(Bucket=BUCKET, Key=key)
    assert calls == {"HeadObject": 1, "CopyObject": 1}
    assert after["ContentType"] == before["ContentType"]
    assert after["ContentDisposition"] == before["ContentDisposition"]
    assert after["CacheControl"] == before["CacheControl"]
    assert aws.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"img"


def test_refresh_repeats_every_period(aws) -> None:
    clock = FakeClock(START)
    storage = lifecycle_storage(clock, days=2)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    calls = ApiCalls(storage.client)
    for _ in range(10):
        clock.advance(DAY / 2)
        storage.get_url(file_id)
    # 5 days in steps of 12 h with refreshes due after 2 days - 2 h: at 2, 4 days.
    assert calls["CopyObject"] == 2


def test_expired_object_reported_and_reuploaded(aws) -> None:
    clock = FakeClock(START)
    storage = lifecycle_storage(clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    aws.delete_object(Bucket=BUCKET, Key=storage.object_key(file_id))
    clock.advance(7 * DAY)
    with pytest.raises(MediaFileStorageError, match="expired .* lifecycle rule"):
        storage.get_url(file_id)
    assert storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA) == file_id
    assert aws.get_object(Bucket=BUCKET, Key=storage.object_key(file_id))["Body"].read() == b"img"


def test_lifecycle_too_short_rejected(aws) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid lifecycle_days 1"):
        S3MediaFileStorage(BUCKET, lifecycle_days=1, expires_in=604_800)
