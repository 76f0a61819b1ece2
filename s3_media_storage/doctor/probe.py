"""The doctor's round trip of a probe object: put, head, presigned GET over HTTP, delete."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from s3_media_storage.doctor.report import FAIL, PASS, WARN, CheckResult
from s3_media_storage.errors import is_access_denied, storage_error
from s3_media_storage.headers import CACHE_CONTROL

__all__ = [
    "PROBE_KEY_STEM",
    "Probe",
    "check_delete",
    "check_head",
    "check_presigned_get",
    "check_put",
    "http_get",
]

# The probe's key is the prefix, this stem and random hex. The doctor policy
# of terraform/ allows DeleteObject on these keys only.
PROBE_KEY_STEM: Final = "doctor-probe-"
# Seconds that the presigned GET of the probe may take.
HTTP_TIMEOUT: Final = 15.0
# Lifetime of the probe's presigned URL, in seconds.
PROBE_URL_EXPIRES_IN: Final = 300

_S3_ERRORS: Final = (ClientError, BotoCoreError)


@dataclass
class Probe:
    """The probe object: a random key under the prefix and random bytes."""

    key: str
    body: bytes
    stored: bool = False


def _failure(
    name: str, error: Exception, *, bucket: str, key: str | None, action: str
) -> CheckResult:
    message = str(storage_error(error, bucket=bucket, key=key, action=action))
    return CheckResult(name, FAIL, f"{action.removeprefix('s3:')} failed", message)


def check_put(storage: Any, probe: Probe) -> CheckResult:
    bucket = storage.settings.bucket
    try:
        storage.client.put_object(
            Bucket=bucket,
            Key=probe.key,
            Body=probe.body,
            ContentType="text/plain",
            CacheControl=CACHE_CONTROL,
        )
    except _S3_ERRORS as error:
        return _failure(
            "put", error, bucket=bucket, key=probe.key, action="s3:PutObject"
        )
    probe.stored = True
    return CheckResult(
        "put", PASS, f"stored s3://{bucket}/{probe.key} ({len(probe.body)} bytes)"
    )


def check_head(storage: Any, probe: Probe) -> CheckResult:
    bucket = storage.settings.bucket
    try:
        response = storage.client.head_object(Bucket=bucket, Key=probe.key)
    except _S3_ERRORS as error:
        return _failure(
            "head", error, bucket=bucket, key=probe.key, action="s3:GetObject"
        )
    length = response.get("ContentLength")
    if length != len(probe.body):
        return CheckResult(
            "head",
            FAIL,
            f"HeadObject reports {length} bytes, not {len(probe.body)}",
            "The server changed the object on upload. If it is not AWS, check the"
            " checksum setting for it in the README's Troubleshooting section.",
        )
    return CheckResult("head", PASS, f"HeadObject reports {length} bytes")


def check_presigned_get(
    storage: Any, probe: Probe, fetch: Callable[[str], tuple[int, bytes]]
) -> CheckResult:
    url = storage.client.generate_presigned_url(
        "get_object",
        Params={"Bucket": storage.settings.bucket, "Key": probe.key},
        ExpiresIn=PROBE_URL_EXPIRES_IN,
    )
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    try:
        status, body = fetch(url)
    except OSError as error:
        reason = getattr(error, "reason", error)
        return CheckResult(
            "presigned get",
            FAIL,
            f"could not connect to {origin} ({reason})",
            "Browsers load every media file from this address: check"
            " AWS_ENDPOINT_URL_S3, DNS and firewalls between the browsers and S3.",
        )
    if status != 200:
        return _presigned_failure(origin, status, body)
    if body != probe.body:
        return CheckResult(
            "presigned get",
            FAIL,
            f"GET from {origin} returned {len(body)} bytes that differ from the probe",
            "The server stored other bytes than were sent. If it is not AWS, check"
            " the checksum setting for it in the README's Troubleshooting section.",
        )
    return CheckResult(
        "presigned get", PASS, f"GET from {origin} returned the probe (200)"
    )


def _presigned_failure(origin: str, status: int, body: bytes) -> CheckResult:
    match = re.search(rb"<Code>([^<]{1,64})</Code>", body)
    code = match.group(1).decode("ascii", "replace") if match else str(status)
    fixes = {
        "SignatureDoesNotMatch": "The URL's signature was rejected. Check that"
        " AWS_REGION is the bucket's region and that a proxy in front of S3 does"
        " not change the Host header or the path.",
        "RequestTimeTooSkewed": "This machine's clock is off: synchronise it (NTP).",
        "AccessDenied": "GetObject was denied. Grant s3:GetObject on the prefix, check"
        " bucket policy conditions (such as aws:SourceVpce or aws:SourceIp) that"
        " browsers cannot meet, and the KMS key policy if the bucket uses SSE-KMS.",
        "ExpiredToken": "The session token expired: renew the credentials.",
    }
    fix = fixes.get(code, f"S3 answered {status} {code} to a presigned GET.")
    return CheckResult(
        "presigned get", FAIL, f"GET from {origin} returned {status} {code}", fix
    )


def check_delete(storage: Any, probe: Probe) -> CheckResult:
    bucket = storage.settings.bucket
    try:
        storage.client.delete_object(Bucket=bucket, Key=probe.key)
    except ClientError as error:
        if is_access_denied(error) and not storage.settings.delete_files:
            return CheckResult(
                "delete",
                WARN,
                "DeleteObject denied, as expected for an app role with deletion off",
                f"The probe s3://{bucket}/{probe.key} stays until the lifecycle rule"
                " expires it. Run the doctor with a role that has s3:DeleteObject on"
                " the prefix, or delete the probe by hand.",
            )
        return _failure(
            "delete", error, bucket=bucket, key=probe.key, action="s3:DeleteObject"
        )
    except BotoCoreError as error:
        return _failure(
            "delete", error, bucket=bucket, key=probe.key, action="s3:DeleteObject"
        )
    return CheckResult("delete", PASS, f"deleted s3://{bucket}/{probe.key}")


def http_get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - the URL is the storage's own presigned URL
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code), error.read()
