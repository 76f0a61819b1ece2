"""An independent check of the SigV4 query signature of every presigned URL.

moto's server accepts any signature and s3rver 3.7.1 does not check SigV4
signatures at all, so this test recomputes the signature from the URL with
the test credentials and the standard library only, following AWS's
"Authenticating Requests: Using Query Parameters (AWS Signature Version 4)":

1. canonical request: method, URI path, sorted query string without
   X-Amz-Signature, the signed headers (only ``host``), and UNSIGNED-PAYLOAD;
2. string to sign: algorithm, X-Amz-Date, credential scope and the SHA-256 of
   the canonical request;
3. signing key: HMAC-SHA256 chained over "AWS4" + secret key, date, region,
   "s3" and "aws4_request".
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import boto3
import pytest
from moto import mock_aws
from streamlit.runtime.media_file_storage import MediaFileKind

from conftest import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from s3_media_storage import S3MediaFileStorage

MEDIA = MediaFileKind.MEDIA


def uri_encode(text: str, *, keep_slash: bool = False) -> str:
    """Encode as SigV4 requires: every byte except A-Z a-z 0-9 - _ . ~ as %XX."""
    return quote(text, safe="/~" if keep_slash else "~")


def hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def expected_signature(url: str, secret_key: str) -> str:
    """Recompute the X-Amz-Signature of a presigned GET ``url``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    canonical_query = "&".join(
        f"{uri_encode(name)}={uri_encode(value)}"
        for name, value in sorted(query)
        if name != "X-Amz-Signature"
    )
    values = dict(query)
    signed_headers = values["X-Amz-SignedHeaders"]
    assert signed_headers == "host"
    canonical_request = "\n".join(
        [
            "GET",
            parts.path,
            canonical_query,
            f"host:{parts.netloc}\n",
            signed_headers,
            "UNSIGNED-PAYLOAD",
        ]
    )
    _, date, region, service, terminator = values["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/{terminator}"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            values["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, terminator):
        key = hmac_sha256(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def query_values(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


@pytest.fixture
def aws_storage(monkeypatch) -> Any:
    """Build storages on moto's in-process mock of AWS: virtual-host URLs."""
    with mock_aws():
        # mock_aws sets credentials of its own: sign with the test's instead.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)

        def build(
            bucket: str = "sigv4-media", region: str = REGION, **options: Any
        ) -> Any:
            client = boto3.client("s3", region_name=region)
            configuration = (
                {} if region == "us-east-1" else {"LocationConstraint": region}
            )
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration=configuration)
            return S3MediaFileStorage(bucket, **options)

        yield build


@pytest.mark.parametrize(
    ("region", "prefix", "expires_in"),
    [
        ("us-east-1", "media/", 3600),
        ("eu-west-1", "media/", 60),
        ("ap-southeast-2", "a b/ü/'quote'/", 604_800),
        ("us-east-1", "", 1),
    ],
)
def test_aws_url_signature(aws_storage, region, prefix, expires_in) -> None:
    storage = aws_storage(region=region, prefix=prefix, expires_in=expires_in)
    file_id = storage.load_and_get_id(b"signed", "image/png", MEDIA)
    url = storage.get_url(file_id)
    values = query_values(url)
    assert values["X-Amz-Signature"] == expected_signature(url, SECRET_ACCESS_KEY)
    assert values["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert values["X-Amz-Expires"] == str(expires_in)
    assert values["X-Amz-SignedHeaders"] == "host"
    credential = values["X-Amz-Credential"].split("/")
    assert credential[0] == ACCESS_KEY_ID
    assert credential[2] == region
    assert credential[3:] == ["s3", "aws4_request"]
    signed_at = datetime.datetime.strptime(values["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    assert credential[1] == signed_at.strftime("%Y%m%d")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((now - signed_at).total_seconds()) < 60
    # The path is the key, encoded once, under the bucket's virtual host.
    parts = urlsplit(url)
    assert parts.netloc.startswith("sigv4-media.s3.")
    assert parts.path == uri_encode("/" + storage.object_key(file_id), keep_slash=True)


def test_server_url_signature(server_storage, server_bucket) -> None:
    storage = server_storage(prefix="odd ~prefix+/")
    file_id = storage.load_and_get_id(b"signed", "image/png", MEDIA)
    url = storage.get_url(file_id)
    parts = urlsplit(url)
    assert query_values(url)["X-Amz-Signature"] == expected_signature(
        url, SECRET_ACCESS_KEY
    )
    assert unquote(parts.path) == f"/{server_bucket}/odd ~prefix+/{file_id}"
    assert parts.path == uri_encode(
        f"/{server_bucket}/odd ~prefix+/{file_id}", keep_slash=True
    )


def test_session_token_signed(aws_storage, monkeypatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token/with+special=chars")
    storage = aws_storage()
    file_id = storage.load_and_get_id(b"temporary", "image/png", MEDIA)
    url = storage.get_url(file_id)
    assert query_values(url)["X-Amz-Security-Token"] == "token/with+special=chars"
    assert query_values(url)["X-Amz-Signature"] == expected_signature(
        url, SECRET_ACCESS_KEY
    )


def test_check_detects_tampering(aws_storage) -> None:
    storage = aws_storage()
    file_id = storage.load_and_get_id(b"tamper", "image/png", MEDIA)
    url = storage.get_url(file_id)
    signature = query_values(url)["X-Amz-Signature"]
    other_key = url.replace(file_id, "f" * 64 + ".png")
    longer = url.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200")
    assert longer != url
    assert expected_signature(url, "wrong-secret") != signature
    assert expected_signature(other_key, SECRET_ACCESS_KEY) != signature
    assert expected_signature(longer, SECRET_ACCESS_KEY) != signature
