"""CDN modes: public URLs with keyed IDs, and CloudFront signed URLs."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from moto import mock_aws
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from clock import FakeClock
from conftest import REGION
from s3_media_storage import S3MediaFileStorage

BUCKET = "cdn-media"
CDN = "https://d111111abcdef8.cloudfront.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
START = 1_800_000_000.0
MEDIA = MediaFileKind.MEDIA


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def private_pem(rsa_key) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client


def signed_storage(private_key: str, clock: FakeClock, **options: Any) -> S3MediaFileStorage:
    return S3MediaFileStorage(
        BUCKET,
        url_mode="cdn-signed",
        cdn_url=CDN,
        cloudfront_key_pair_id=KEY_PAIR_ID,
        cloudfront_private_key=private_key,
        clock=clock,
        **options,
    )


def cloudfront_b64decode(text: str) -> bytes:
    """Undo CloudFront's URL-safe base64: '-' for '+', '_' for '=', '~' for '/'."""
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def verify_canned_url(url: str, public_key: Any) -> int:
    """Check a canned-policy signed URL with the public key; return its Expires."""
    base, _, query_text = url.partition("?")
    query = parse_qs(query_text)
    expires = int(query["Expires"][0])
    policy = json.dumps(
        {
            "Statement": [
                {"Resource": base, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
            ]
        },
        separators=(",", ":"),
    ).encode()
    signature = cloudfront_b64decode(query["Signature"][0])
    public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())
    assert query["Key-Pair-Id"] == [KEY_PAIR_ID]
    return expires


def test_signed_url_verifies(aws, rsa_key, private_pem) -> None:
    clock = FakeClock(START)
    storage = signed_storage(private_pem, clock)
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    url = storage.get_url(file_id)
    assert url.startswith(f"{CDN}/media/{file_id}?")
    expires = verify_canned_url(url, rsa_key.public_key())
    assert START + 1800 <= expires <= START + 3600


def test_signed_url_tampered_fails(aws, rsa_key, private_pem) -> None:
    storage = signed_storage(private_pem, FakeClock(START))
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    url = storage.get_url(file_id).replace("/media/", "/other/")
    with pytest.raises(InvalidSignature):
        verify_canned_url(url, rsa_key.public_key())


def test_signed_url_from_key_file(aws, rsa_key, private_pem, tmp_path) -> None:
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_text(private_pem)
    storage = signed_storage(str(key_file), FakeClock(START))
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    verify_canned_url(storage.get_url(file_id), rsa_key.public_key())


def test_signed_url_same_on_replicas(aws, private_pem) -> None:
    clock = FakeClock(START + 123)
    replica_a = signed_storage(private_pem, clock)
    replica_b = signed_storage(private_pem, clock)
    file_id = replica_a.load_and_get_id(b"img", "image/png", MEDIA)
    assert replica_a.get_url(file_id) == replica_b.get_url(file_id)


def test_signed_url_validity_minimum(aws, rsa_key, private_pem) -> None:
    clock = FakeClock(START)
    storage = signed_storage(private_pem, clock, expires_in=600)
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    urls = set()
    lowest = float("inf")
    for _ in range(120):
        url = storage.get_url(file_id)
        urls.add(url)
        expires = verify_canned_url(url, rsa_key.public_key())
        lowest = min(lowest, expires - clock.now)
        clock.advance(17)
    assert lowest >= storage.min_url_validity
    assert storage.min_url_validity == 300
    assert 6 <= len(urls) <= 8


_TZ_SCRIPT = """
import sys
from s3_media_storage.urls import CloudFrontSignedUrls
urls = CloudFrontSignedUrls(
    "https://d111111abcdef8.cloudfront.net",
    key_pair_id="K2JCJMDEHXQW5F",
    private_key=sys.stdin.read(),
    expires_in=3600,
    clock=lambda: 1800000123.0,
)
print(urls.url_for("media/x.png"))
"""


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Kiritimati"])
def test_signed_url_expiry_is_utc(private_pem, zone: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _TZ_SCRIPT],
        input=private_pem,
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        check=True,
    )
    expires = int(parse_qs(urlsplit(result.stdout.strip()).query)["Expires"][0])
    # Expiry times fall on a grid of expires_in // 2 = 1800 seconds.
    interval_start = 1_800_000_123 // 1800 * 1800
    assert expires == interval_start + 3600


def test_public_url_is_base_and_key(aws) -> None:
    storage = S3MediaFileStorage(BUCKET, url_mode="cdn-public", cdn_url=CDN + "/")
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    assert storage.get_url(file_id) == f"{CDN}/media/{file_id}"


def test_public_url_encodes_prefix_once(aws) -> None:
    storage = S3MediaFileStorage(
        BUCKET, prefix="my media/ü", url_mode="cdn-public", cdn_url=CDN
    )
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    assert storage.get_url(file_id) == f"{CDN}/my%20media/%C3%BC/{file_id}"


def test_signed_url_encodes_prefix_once(aws, rsa_key, private_pem) -> None:
    storage = signed_storage(private_pem, FakeClock(START), prefix="a b/ü")
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    url = storage.get_url(file_id)
    assert url.startswith(f"{CDN}/a%20b/%C3%BC/{file_id}?")
    verify_canned_url(url, rsa_key.public_key())


def test_keyed_ids_need_the_secret(aws) -> None:
    secret = "a-secret-shared-by-all-replicas"
    keyed_a = S3MediaFileStorage(BUCKET, url_mode="cdn-public", cdn_url=CDN, id_secret=secret)
    keyed_b = S3MediaFileStorage(BUCKET, url_mode="cdn-public", cdn_url=CDN, id_secret=secret)
    other = S3MediaFileStorage(
        BUCKET, url_mode="cdn-public", cdn_url=CDN, id_secret="another-secret-value"
    )
    plain = S3MediaFileStorage(BUCKET)
    first = keyed_a.load_and_get_id(b"img", "image/png", MEDIA)
    assert keyed_b.load_and_get_id(b"img", "image/png", MEDIA) == first
    assert other.load_and_get_id(b"img", "image/png", MEDIA) != first
    assert plain.load_and_get_id(b"img", "image/png", MEDIA) != first


def test_public_without_secret_warns(aws, caplog) -> None:
    S3MediaFileStorage(BUCKET, url_mode="cdn-public", cdn_url=CDN)
    assert "S3_MEDIA_ID_SECRET" in caplog.text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cdn_url": CDN}, "a CDN URL needs a URL mode"),
        ({"url_mode": "presigned", "cdn_url": CDN}, "cannot go through a CDN"),
        ({"url_mode": "cdn-public"}, "needs the CDN's base URL"),
        ({"url_mode": "cdn-signed", "cdn_url": CDN}, "needs both a CloudFront key"),
        ({"url_mode": "cdn-signed", "cdn_url": CDN, "cloudfront_key_pair_id": "K1"}, "needs both"),
        ({"url_mode": "cdn", "cdn_url": CDN}, "expected one of presigned, cdn-public"),
        ({"url_mode": "cdn-public", "cdn_url": "http://cdn.example.com"}, "https://"),
        ({"url_mode": "cdn-public", "cdn_url": CDN + "?x=1"}, "without query"),
        ({"id_secret": "short"}, "at least 16 bytes"),
    ],
)
def test_unusable_config_rejected(aws, options: dict[str, str], message: str) -> None:
    with pytest.raises(MediaFileStorageError, match=message.replace("?", r"\?")):
        S3MediaFileStorage(BUCKET, **options)


def test_public_mode_rejects_signer(aws, private_pem) -> None:
    with pytest.raises(MediaFileStorageError, match="never signed"):
        S3MediaFileStorage(
            BUCKET,
            url_mode="cdn-public",
            cdn_url=CDN,
            cloudfront_key_pair_id=KEY_PAIR_ID,
            cloudfront_private_key=private_pem,
        )


def test_mode_inferred_from_signer(aws, private_pem) -> None:
    storage = S3MediaFileStorage(
        BUCKET,
        cdn_url=CDN,
        cloudfront_key_pair_id=KEY_PAIR_ID,
        cloudfront_private_key=private_pem,
    )
    assert storage.settings.url_mode == "cdn-signed"


def test_bad_private_key_hidden(aws) -> None:
    bogus = "-----BEGIN PRIVATE KEY-----\nnot-really-a-key-secret-material\n-----END PRIVATE KEY-----\n"
    with pytest.raises(MediaFileStorageError) as caught:
        signed_storage(bogus, FakeClock(START))
    assert "Invalid CloudFront private key" in str(caught.value)
    assert "secret-material" not in str(caught.value)


def test_non_rsa_key_rejected(aws) -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(MediaFileStorageError, match="signs with RSA keys"):
        signed_storage(ec_pem, FakeClock(START))


def test_missing_key_file_error(aws, tmp_path) -> None:
    with pytest.raises(MediaFileStorageError, match="S3_MEDIA_CLOUDFRONT_PRIVATE_KEY"):
        signed_storage(str(tmp_path / "absent.pem"), FakeClock(START))


def test_secrets_absent_from_repr(aws, private_pem) -> None:
    storage = signed_storage(private_pem, FakeClock(START), id_secret="x" * 20)
    assert "PRIVATE KEY" not in repr(storage.settings)
    assert "x" * 20 not in repr(storage.settings)
    assert "PRIVATE KEY" not in repr(storage)


def test_from_env_secret_error_hidden(aws) -> None:
    environ = {"S3_MEDIA_BUCKET": BUCKET, "S3_MEDIA_ID_SECRET": "tiny-secret"}
    with pytest.raises(MediaFileStorageError) as caught:
        S3MediaFileStorage.from_env(environ)
    assert "S3_MEDIA_ID_SECRET=(hidden)" in str(caught.value)
    assert "tiny-secret" not in str(caught.value)


def test_from_env_cdn_signed(aws, rsa_key, private_pem) -> None:
    environ = {
        "S3_MEDIA_BUCKET": BUCKET,
        "S3_MEDIA_URL_MODE": "cdn-signed",
        "S3_MEDIA_CDN_URL": CDN,
        "S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID": KEY_PAIR_ID,
        "S3_MEDIA_CLOUDFRONT_PRIVATE_KEY": private_pem,
    }
    storage = S3MediaFileStorage.from_env(environ)
    file_id = storage.load_and_get_id(b"img", "image/png", MEDIA)
    verify_canned_url(storage.get_url(file_id), rsa_key.public_key())
