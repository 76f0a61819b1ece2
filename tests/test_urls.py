"""URLs that stay the same across reruns and never outlive their credentials."""

from __future__ import annotations

import calendar
import datetime
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from moto import mock_aws
from streamlit.runtime.media_file_storage import MediaFileKind

from clock import FakeClock, install_fake_clock
from conftest import REGION
from s3_media_storage import S3MediaFileStorage

BUCKET = "url-media"
SIGV4 = Config(signature_version="s3v4")
START = 1_800_000_000.0  # 2027-01-15, a fixed instant for the fake clock.


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def remaining_validity(url: str, now: float) -> float:
    """Seconds until a SigV4 presigned URL expires, read from its own query."""
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    expires = calendar.timegm(signed_at.timetuple()) + int(query["X-Amz-Expires"][0])
    return expires - now


def test_url_same_within_window(aws, monkeypatch) -> None:
    clock = FakeClock(START)
    install_fake_clock(monkeypatch, clock)
    storage = S3MediaFileStorage(BUCKET, expires_in=3600, clock=clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    first = storage.get_url(file_id)
    clock.advance(1799)
    assert storage.get_url(file_id) == first


def test_url_changes_after_window(aws, monkeypatch) -> None:
    clock = FakeClock(START)
    install_fake_clock(monkeypatch, clock)
    storage = S3MediaFileStorage(BUCKET, expires_in=3600, clock=clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    first = storage.get_url(file_id)
    clock.advance(1801)
    assert storage.get_url(file_id) != first


@pytest.mark.parametrize("expires_in", [1, 2, 61, 3600, 604_800])
def test_url_validity_never_below_minimum(aws, monkeypatch, expires_in: int) -> None:
    clock = FakeClock(START)
    install_fake_clock(monkeypatch, clock)
    storage = S3MediaFileStorage(BUCKET, expires_in=expires_in, clock=clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    minimum = storage.min_url_validity
    assert minimum == expires_in // 2
    step = max(1, expires_in // 37)
    distinct_urls = set()
    lowest = float("inf")
    for _ in range(200):
        url = storage.get_url(file_id)
        distinct_urls.add(url)
        lowest = min(lowest, remaining_validity(url, clock.now))
        clock.advance(step)
    assert lowest >= minimum
    assert len(distinct_urls) > 1


def temporary_credentials(expires_at: datetime.datetime) -> RefreshableCredentials:
    metadata = {
        "access_key": "ASIATESTTEMPORARY",
        "secret_key": "temporary-secret",
        "token": "temporary-session-token",
        "expiry_time": expires_at.isoformat(),
    }
    return RefreshableCredentials.create_from_metadata(
        metadata, refresh_using=lambda: metadata, method="assume-role"
    )


def test_url_capped_by_credential_expiry(aws, caplog) -> None:
    expires_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=40)
    client = boto3.client("s3", region_name=REGION, config=SIGV4)
    client._request_signer._credentials = temporary_credentials(expires_at)
    storage = S3MediaFileStorage(BUCKET, client=client, expires_in=7200)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    with caplog.at_level(logging.WARNING, logger="s3_media_storage"):
        url = storage.get_url(file_id)
        storage.get_url(file_id)
    query = parse_qs(urlsplit(url).query)
    claimed = int(query["X-Amz-Expires"][0])
    actual = expires_at.timestamp() - time.time()
    assert claimed <= actual
    assert claimed > actual - 60
    assert query["X-Amz-Security-Token"] == ["temporary-session-token"]
    warnings = [r for r in caplog.records if "temporary credentials" in r.getMessage()]
    assert len(warnings) == 1
    assert "7200 s" in warnings[0].getMessage()
    assert expires_at.replace(microsecond=0).isoformat()[:16] in warnings[0].getMessage()


def test_url_not_capped_by_long_credentials(aws, caplog) -> None:
    expires_at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
    client = boto3.client("s3", region_name=REGION, config=SIGV4)
    client._request_signer._credentials = temporary_credentials(expires_at)
    storage = S3MediaFileStorage(BUCKET, client=client, expires_in=3600)
    file_id = storage.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    with caplog.at_level(logging.WARNING, logger="s3_media_storage"):
        url = storage.get_url(file_id)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["3600"]
    assert "temporary credentials" not in caplog.text


def test_storage_rejects_sigv2_client(aws) -> None:
    client = boto3.client("s3", region_name=REGION)
    with pytest.raises(Exception, match="signature_version='s3v4'"):
        S3MediaFileStorage(BUCKET, client=client)
