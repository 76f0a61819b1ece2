"""Translation of boto3 and botocore failures into ``MediaFileStorageError``.

Streamlit shows these messages in the browser in development mode, so they
name the bucket, the key and the next step, and never contain credentials or
a signed URL.
"""

from __future__ import annotations

from typing import Final

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from streamlit.runtime.media_file_storage import MediaFileStorageError

__all__ = [
    "error_code",
    "is_access_denied",
    "is_not_found",
    "quoted_for_message",
    "storage_error",
]

_NOT_FOUND_CODES: Final = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED_CODES: Final = frozenset(
    {"403", "AccessDenied", "Forbidden", "AllAccessDisabled"}
)
_CREDENTIAL_CODES: Final = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
    }
)


def quoted_for_message(value: object, max_chars: int) -> str:
    """Return ``repr(value)``, cut to ``max_chars`` with the length of a long string."""
    quoted = repr(value)
    if isinstance(value, str) and len(quoted) > max_chars:
        return f"{quoted[:max_chars]}… ({len(value)} characters)"
    return quoted


def error_code(error: ClientError) -> str:
    """Return the S3 error code, or the HTTP status for bodiless HEAD errors."""
    code = error.response.get("Error", {}).get("Code")
    if code:
        return str(code)
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(status or "Unknown")


def is_not_found(error: ClientError) -> bool:
    return error_code(error) in _NOT_FOUND_CODES


def is_access_denied(error: ClientError) -> bool:
    return error_code(error) in _DENIED_CODES


def _client_error_advice(code: str, bucket: str, action: str) -> str:
    if code == "NoSuchBucket":
        return (
            f"the bucket does not exist. Create bucket {bucket!r} or set"
            " S3_MEDIA_BUCKET to an existing one."
        )
    if code in _DENIED_CODES:
        return (
            f"access denied. Grant the app's role {action} on this bucket and"
            " prefix (see terraform/ for the exact policy), and check the"
            " bucket's KMS key policy if it uses SSE-KMS."
        )
    if code in _NOT_FOUND_CODES:
        return "the object does not exist (it may have expired under the lifecycle rule)."
    if code in _CREDENTIAL_CODES:
        return (
            f"the AWS credentials were rejected ({code}). Check the access key,"
            " renew expired temporary credentials, or check the clock."
        )
    if code == "PermanentRedirect" or code == "AuthorizationHeaderMalformed":
        return (
            f"the bucket is in another region ({code}). Set AWS_REGION to the"
            " bucket's region."
        )
    return f"S3 returned {code}."


def storage_error(
    error: Exception,
    *,
    bucket: str,
    key: str | None,
    action: str,
    operation: str | None = None,
) -> MediaFileStorageError:
    """Return a ``MediaFileStorageError`` that explains ``error``.

    ``action`` is the IAM action of the failed request, such as
    ``"s3:PutObject"``, so that an access-denied message names the grant.
    ``operation`` is the S3 operation that failed, when its name differs from
    the action's (HeadBucket is authorised by s3:ListBucket).
    """
    where = f"s3://{bucket}/{key}" if key else f"bucket {bucket!r}"
    # The transfer manager wraps the failure of a part in S3UploadFailedError.
    if isinstance(error, S3UploadFailedError) and error.__context__ is not None:
        error = error.__context__  # type: ignore[assignment]
    operation = operation or action.removeprefix("s3:")
    if isinstance(error, ClientError):
        advice = _client_error_advice(error_code(error), bucket, action)
    elif isinstance(error, NoCredentialsError | PartialCredentialsError):
        advice = (
            "no AWS credentials were found. Set AWS_ACCESS_KEY_ID and"
            " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with an IAM role."
        )
    elif isinstance(error, ConnectTimeoutError | ReadTimeoutError):
        advice = f"the request timed out after its retries ({error})."
    elif isinstance(error, EndpointConnectionError):
        advice = (
            f"could not connect to the S3 endpoint ({error}). Check"
            " AWS_ENDPOINT_URL_S3, AWS_REGION and the network."
        )
    else:
        advice = f"the request failed ({type(error).__name__}: {error})."
    return MediaFileStorageError(f"{operation} failed for {where}: {advice}")
