"""``s3-media doctor``: check a deployment with the configuration of ``s3-media run``.

The doctor builds the storage with ``S3MediaFileStorage.from_env()``, then
checks the credentials, the bucket, a round trip of a probe object (put, head,
presigned GET over HTTP, delete) and the bucket's settings. It prints one row
per check with ``pass``, ``warn``, ``fail`` or ``skip`` (a check that an
earlier failure made pointless), and the fix for each warning and failure.

It never prints a secret: no access key, secret key, session token or signed
URL. Every line passes through ``Redactor`` before it is printed.
"""

from __future__ import annotations

import datetime
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TextIO

from botocore.exceptions import BotoCoreError
from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.credentials import client_credentials, credential_expiry
from s3_media_storage.doctor.bucket_settings import (
    check_cors,
    check_lifecycle,
    check_public_access,
)
from s3_media_storage.doctor.probe import (
    PROBE_KEY_STEM,
    Probe,
    check_delete,
    check_head,
    check_presigned_get,
    check_put,
    http_get,
)
from s3_media_storage.doctor.report import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    CheckResult,
    Redactor,
    format_report,
)

__all__ = ["CHECKS", "DOCTOR_ACTIONS", "CheckResult", "main", "run_checks"]

# IAM actions that the doctor uses and the app's role may lack: the bucket
# settings it reads, and the delete of its probe object when deletion is off.
DOCTOR_ACTIONS: Final = frozenset(
    {
        "s3:GetLifecycleConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketCORS",
        "s3:DeleteObject",
    }
)

CHECKS: Final = (
    "configuration",
    "credentials",
    "bucket",
    "put",
    "head",
    "presigned get",
    "delete",
    "lifecycle",
    "public access",
    "cors",
    "url mode",
    "deletion",
)


def run_checks(
    environ: Mapping[str, str] | None = None,
    *,
    redactor: Redactor | None = None,
    fetch: Callable[[str], tuple[int, bytes]] | None = None,
) -> list[CheckResult]:
    """Run every check and return one result per name in ``CHECKS``.

    ``fetch`` sends a GET for a URL and returns the status and body. The
    default uses urllib.
    """
    from s3_media_storage.storage import S3MediaFileStorage

    redactor = redactor if redactor is not None else Redactor()
    fetch = fetch if fetch is not None else http_get
    results: list[CheckResult] = []
    try:
        storage = S3MediaFileStorage.from_env(environ)
    except MediaFileStorageError as error:
        results.append(CheckResult("configuration", FAIL, "invalid", str(error)))
        return _with_skipped(results, "the configuration is invalid")
    except BotoCoreError as error:
        # boto3 resolves the credential chain when it builds the client.
        results.append(
            CheckResult(
                "configuration",
                FAIL,
                "the S3 client could not be built",
                f"{type(error).__name__}: {redactor(str(error))}. Check the AWS"
                " configuration: AWS_PROFILE, the config files and the credential"
                " process or role they name.",
            )
        )
        return _with_skipped(results, "the S3 client could not be built")
    redactor.add(storage.settings.cloudfront_private_key)
    redactor.add(storage.settings.id_secret)
    results.append(_check_configuration(storage))
    results.append(_check_url_mode(storage))
    results.append(_check_deletion(storage))

    credentials = _check_credentials(storage, redactor)
    results.append(credentials)
    if credentials.status == FAIL:
        return _with_skipped(results, "no usable credentials")

    bucket = _check_bucket(storage)
    results.append(bucket)
    if bucket.status == FAIL:
        return _with_skipped(results, "the bucket is not reachable")

    probe = Probe(
        key=f"{storage.settings.prefix}{PROBE_KEY_STEM}{secrets.token_hex(8)}",
        body=b"s3-media doctor probe " + secrets.token_hex(16).encode(),
    )
    results.append(check_put(storage, probe))
    if probe.stored:
        results.append(check_head(storage, probe))
        results.append(check_presigned_get(storage, probe, fetch))
        results.append(check_delete(storage, probe))
    results.append(check_lifecycle(storage))
    results.append(check_public_access(storage))
    results.append(check_cors(storage))
    return _with_skipped(results, "the probe object could not be stored")


def _with_skipped(results: list[CheckResult], reason: str) -> list[CheckResult]:
    """Return ``results`` in the order of ``CHECKS``, with missing checks skipped."""
    by_name = {result.name: result for result in results}
    return [
        by_name.get(name) or CheckResult(name, SKIP, f"skipped: {reason}")
        for name in CHECKS
    ]


# --- Configuration and credentials ------------------------------------------------


def _check_configuration(storage: Any) -> CheckResult:
    settings = storage.settings
    endpoint = storage.client.meta.endpoint_url
    return CheckResult(
        "configuration",
        PASS,
        f"bucket {settings.bucket!r}, prefix {settings.prefix!r}, endpoint {endpoint}",
    )


def _check_credentials(storage: Any, redactor: Redactor) -> CheckResult:
    credentials = client_credentials(storage.client)
    if credentials is None:
        return CheckResult(
            "credentials",
            FAIL,
            "no AWS credentials found",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run"
            " with an IAM role (instance profile, ECS task role, IRSA).",
        )
    try:
        frozen = credentials.get_frozen_credentials()
    except BotoCoreError as error:
        return CheckResult(
            "credentials",
            FAIL,
            "the credentials could not be loaded or refreshed",
            f"{type(error).__name__}: {error}. Renew them (for SSO: aws sso login).",
        )

    redactor.add(frozen.access_key)
    redactor.add(frozen.secret_key)
    redactor.add(frozen.token)
    method = getattr(credentials, "method", None) or "unknown source"
    if not frozen.token:
        return CheckResult(
            "credentials", PASS, f"from {method}: long-term access key, no expiry"
        )
    expiry = credential_expiry(credentials)
    if expiry is None:
        return CheckResult(
            "credentials",
            PASS,
            f"from {method}: temporary (session token), expiry not known",
        )

    remaining = expiry - time.time()
    expires_at = datetime.datetime.fromtimestamp(expiry, datetime.timezone.utc)
    detail = (
        f"from {method}: temporary, expire at {expires_at:%Y-%m-%d %H:%M:%S} UTC"
        f" (in {max(0, int(remaining // 60))} min)"
    )
    expires_in = storage.settings.expires_in
    if remaining < expires_in:
        return CheckResult(
            "credentials",
            WARN,
            detail,
            f"A presigned URL stops working when the credentials that signed it"
            f" expire, sooner than S3_MEDIA_EXPIRES_IN={expires_in} s. Use"
            " credentials that live longer (such as a role with a longer maximum"
            " session duration) or lower S3_MEDIA_EXPIRES_IN.",
        )
    return CheckResult("credentials", PASS, detail)


def _check_bucket(storage: Any) -> CheckResult:
    try:
        storage.check_bucket()
    except MediaFileStorageError as error:
        return CheckResult("bucket", FAIL, "HeadBucket failed", str(error))
    region = storage.client.meta.region_name
    return CheckResult("bucket", PASS, f"reachable, in region {region}")


# --- Settings of the storage itself ----------------------------------------------


def _check_url_mode(storage: Any) -> CheckResult:
    settings = storage.settings
    mode = settings.url_mode
    if mode == "presigned":
        return CheckResult(
            "url mode", PASS, f"presigned S3 URLs, valid for {settings.expires_in} s"
        )
    return CheckResult(
        "url mode",
        PASS,
        f"{mode} through {settings.cdn_url}; the presigned GET above checks S3 only,"
        " not the CDN",
    )


def _check_deletion(storage: Any) -> CheckResult:
    if storage.settings.delete_files:
        return CheckResult(
            "deletion",
            WARN,
            "on: objects are deleted when no session of a replica uses them",
            "Run a single replica only, or set S3_MEDIA_DELETE_FILES=false and let"
            " the lifecycle rule expire objects.",
        )
    return CheckResult(
        "deletion", PASS, "off: objects stay until a lifecycle rule expires them"
    )


def main(environ: Mapping[str, str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the checks, print the report and return 1 if any check failed, else 0."""
    out = out if out is not None else sys.stdout
    redactor = Redactor()
    results = run_checks(environ, redactor=redactor)
    print(format_report(results, redactor), file=out)
    return 1 if any(result.status == FAIL for result in results) else 0
