"""Storage settings: validation, and parsing from ``S3_MEDIA_*`` variables."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from streamlit.runtime.media_file_storage import MediaFileStorageError

__all__ = [
    "ENV_OPTIONS",
    "EnvOption",
    "InvalidSettingError",
    "StorageSettings",
    "settings_from_env",
]

# SigV4 presigned URLs are valid for at most 7 days.
MAX_EXPIRES_IN: Final = 604_800

# Bucket names as S3 allows them (3 to 63 lowercase letters, digits, dots and
# hyphens), plus underscores, which some self-hosted S3 servers accept.
_BUCKET_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")


class InvalidSettingError(MediaFileStorageError):
    """A storage option whose value is invalid."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        shown = "(hidden)" if field in SECRET_FIELDS else repr(value)
        super().__init__(f"Invalid {field} {shown}: {expected}")
        self.field = field
        self.expected = expected


def _reject(field: str, value: object, expected: str) -> InvalidSettingError:
    return InvalidSettingError(field, value, expected)


# Options whose values never appear in a message, a log line or a repr.
SECRET_FIELDS: Final = frozenset({"cloudfront_private_key", "id_secret"})

# URL modes of get_url: SigV4 presigned S3 URLs, unsigned URLs on a CDN in
# front of the bucket, or CloudFront signed URLs with a canned policy.
URL_MODES: Final = ("presigned", "cdn-public", "cdn-signed")


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    """Validated options of an ``S3MediaFileStorage``."""

    bucket: str
    prefix: str = "media/"
    expires_in: int = 3600
    delete_files: bool = False
    multipart_threshold: int = 8 * 1024 * 1024
    retry_mode: str = "standard"
    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    url_mode: str | None = None
    cdn_url: str | None = None
    cloudfront_key_pair_id: str | None = None
    cloudfront_private_key: str | None = field(default=None, repr=False)
    id_secret: str | None = field(default=None, repr=False)
    lifecycle_days: int | None = None
    source_buckets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.bucket, str) or not _BUCKET_PATTERN.fullmatch(
            self.bucket
        ):
            raise _reject(
                "bucket",
                self.bucket,
                "expected an S3 bucket name of 3 to 63 lowercase letters, digits,"
                " dots and hyphens, such as 'my-app-media'.",
            )
        object.__setattr__(self, "prefix", _normalize_prefix(self.prefix))

        _check_range("expires_in", self.expires_in, 1, MAX_EXPIRES_IN, "seconds")
        _check_range(
            "multipart_threshold", self.multipart_threshold, 5 * 1024**2, 5 * 1024**3
        )
        if self.retry_mode not in ("standard", "adaptive", "legacy"):
            raise _reject(
                "retry_mode",
                self.retry_mode,
                "expected 'standard', 'adaptive' or 'legacy' (botocore retry modes).",
            )
        _check_range("max_attempts", self.max_attempts, 1, 20)
        _check_range("connect_timeout", self.connect_timeout, 0.1, 300, "seconds")
        _check_range("read_timeout", self.read_timeout, 0.1, 3600, "seconds")

        object.__setattr__(self, "url_mode", _resolve_url_mode(self))
        if self.cdn_url is not None:
            object.__setattr__(self, "cdn_url", _normalize_cdn_url(self.cdn_url))

        if self.id_secret is not None and len(self.id_secret.encode()) < 16:
            raise _reject(
                "id_secret", self.id_secret, "expected at least 16 bytes of secret."
            )
        if self.lifecycle_days is not None:
            _check_lifecycle(self.lifecycle_days, self.expires_in)
        object.__setattr__(self, "source_buckets", _check_buckets(self.source_buckets))

    @property
    def refresh_after(self) -> float | None:
        """Age in seconds from which an object still handed out is refreshed.

        S3 expires an object at the earliest ``lifecycle_days`` after it was
        written. Refreshing one hour plus one URL lifetime before that keeps
        every URL handed out pointing at an object that exists.
        """
        if self.lifecycle_days is None:
            return None
        return self.lifecycle_days * 86_400 - self.expires_in - 3_600


def _check_range(
    field: str, value: object, low: float, high: float, unit: str = ""
) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not low <= value <= high:  # type: ignore[operator]
        suffix = f" {unit}" if unit else ""
        raise _reject(field, value, f"expected a number from {low} to {high}{suffix}.")


def _resolve_url_mode(settings: StorageSettings) -> str:
    """Return the URL mode, inferring it where that is unambiguous.

    A CDN URL never silently yields unsigned URLs: without a CloudFront key it
    needs ``url_mode="cdn-public"`` spelled out.
    """
    mode = settings.url_mode
    has_signer = bool(settings.cloudfront_key_pair_id or settings.cloudfront_private_key)
    if mode is None:
        if settings.cdn_url is None:
            mode = "presigned"
        elif has_signer:
            mode = "cdn-signed"
        else:
            raise _reject(
                "cdn_url",
                settings.cdn_url,
                "a CDN URL needs a URL mode. Set url_mode to 'cdn-signed' and give a"
                " CloudFront key pair ID and private key, or set it to 'cdn-public'"
                " if the CDN may serve every object without a signature.",
            )
    if mode not in URL_MODES:
        raise _reject("url_mode", mode, f"expected one of {', '.join(URL_MODES)}.")
    if mode == "presigned" and (settings.cdn_url or has_signer):
        raise _reject(
            "url_mode",
            mode,
            "presigned S3 URLs are signed for the bucket's own host, so they cannot"
            " go through a CDN. Unset the CDN URL and CloudFront key, or choose"
            " 'cdn-signed' or 'cdn-public'.",
        )
    if mode != "presigned" and not settings.cdn_url:
        raise _reject(
            "cdn_url", settings.cdn_url, f"url_mode {mode!r} needs the CDN's base URL."
        )
    if mode == "cdn-signed" and not (
        settings.cloudfront_key_pair_id and settings.cloudfront_private_key
    ):
        raise _reject(
            "cloudfront_key_pair_id",
            settings.cloudfront_key_pair_id,
            "url_mode 'cdn-signed' needs both a CloudFront key pair ID and its RSA"
            " private key.",
        )
    if mode == "cdn-public" and has_signer:
        raise _reject(
            "url_mode",
            mode,
            "a CloudFront key is set, but 'cdn-public' URLs are never signed. Choose"
            " 'cdn-signed' or unset the key.",
        )
    return mode


_LOCAL_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]")


def _normalize_cdn_url(cdn_url: str) -> str:
    """Return the CDN base URL without a trailing slash, or raise if it is unusable."""
    from urllib.parse import urlsplit

    parts = urlsplit(cdn_url)
    local = parts.hostname is not None and parts.netloc.split(":")[0] in _LOCAL_HOSTS
    valid = (
        (parts.scheme == "https" or (parts.scheme == "http" and local))
        and parts.hostname
        and not parts.query
        and not parts.fragment
        and cdn_url.isascii()
        and " " not in cdn_url
    )
    if not valid:
        raise _reject(
            "cdn_url",
            cdn_url,
            "expected an https:// base URL without query or fragment, such as"
            " 'https://d111111abcdef8.cloudfront.net'.",
        )
    return cdn_url.rstrip("/")


def _check_lifecycle(lifecycle_days: object, expires_in: int) -> None:
    _check_range("lifecycle_days", lifecycle_days, 1, 36_500, "days")
    margin = expires_in + 3_600
    if lifecycle_days * 86_400 / 2 < margin:  # type: ignore[operator]
        raise _reject(
            "lifecycle_days",
            lifecycle_days,
            f"objects would expire too soon after a URL valid for {expires_in} s is"
            " handed out. Raise the lifecycle rule's age or lower expires_in.",
        )


def _check_buckets(buckets: object) -> tuple[str, ...]:
    if isinstance(buckets, str) or not isinstance(buckets, tuple | list | frozenset | set):
        raise _reject("source_buckets", buckets, "expected a list of bucket names.")
    for bucket in buckets:
        if not isinstance(bucket, str) or not _BUCKET_PATTERN.fullmatch(bucket):
            raise _reject("source_buckets", buckets, f"{bucket!r} is not a bucket name.")
    return tuple(sorted(buckets))


def _normalize_prefix(prefix: object) -> str:
    """Return the key prefix with a trailing slash, or raise if it is unsafe."""
    if not isinstance(prefix, str):
        raise _reject("prefix", prefix, "expected a string such as 'media/'.")
    unsafe = (
        prefix.startswith("/")
        or ".." in prefix.split("/")
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in prefix)
        or len(prefix.encode()) > 512
    )
    if unsafe:
        raise _reject(
            "prefix",
            prefix,
            "expected a relative key prefix without '..' segments or control"
            " characters, at most 512 bytes, such as 'media/'.",
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix


def _parse_int(text: str) -> int:
    return int(text.strip())


def _parse_float(text: str) -> float:
    return float(text.strip())


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _parse_text(text: str) -> str:
    return text


def _parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


@dataclass(frozen=True)
class EnvOption:
    """An environment variable that ``from_env()`` reads into one setting."""

    name: str
    field: str
    parse: Callable[[str], Any]
    description: str
    secret: bool = False


ENV_OPTIONS: Final[tuple[EnvOption, ...]] = (
    EnvOption("S3_MEDIA_BUCKET", "bucket", _parse_text, "Bucket that stores the media (required)."),
    EnvOption("S3_MEDIA_PREFIX", "prefix", _parse_text, "Key prefix of every object."),
    EnvOption("S3_MEDIA_EXPIRES_IN", "expires_in", _parse_int, "Lifetime of each URL, in seconds (1 to 604800)."),
    EnvOption("S3_MEDIA_DELETE_FILES", "delete_files", _parse_bool, "Delete objects that no session uses any more (single replica only)."),
    EnvOption("S3_MEDIA_MULTIPART_THRESHOLD", "multipart_threshold", _parse_int, "Size from which uploads are multipart, in bytes."),
    EnvOption("S3_MEDIA_RETRY_MODE", "retry_mode", _parse_text, "botocore retry mode: standard, adaptive or legacy."),
    EnvOption("S3_MEDIA_MAX_ATTEMPTS", "max_attempts", _parse_int, "Attempts per S3 request, the first included."),
    EnvOption("S3_MEDIA_CONNECT_TIMEOUT", "connect_timeout", _parse_float, "Connect timeout per attempt, in seconds."),
    EnvOption("S3_MEDIA_READ_TIMEOUT", "read_timeout", _parse_float, "Read timeout per attempt, in seconds."),
    EnvOption("S3_MEDIA_URL_MODE", "url_mode", _parse_text, "presigned, cdn-public or cdn-signed."),
    EnvOption("S3_MEDIA_CDN_URL", "cdn_url", _parse_text, "Base URL of the CDN in front of the bucket."),
    EnvOption("S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID", "cloudfront_key_pair_id", _parse_text, "ID of the CloudFront public key."),
    EnvOption("S3_MEDIA_CLOUDFRONT_PRIVATE_KEY", "cloudfront_private_key", _parse_text, "RSA private key in PEM, or the path of a PEM file.", secret=True),
    EnvOption("S3_MEDIA_ID_SECRET", "id_secret", _parse_text, "Secret for keyed file IDs (HMAC), the same on every replica.", secret=True),
    EnvOption("S3_MEDIA_LIFECYCLE_DAYS", "lifecycle_days", _parse_int, "Age in days at which the bucket's lifecycle rule expires objects."),
    EnvOption("S3_MEDIA_SOURCE_BUCKETS", "source_buckets", _parse_list, "Other buckets that s3:// sources may name, comma-separated."),
)  # fmt: skip


def settings_from_env(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> StorageSettings:
    """Build settings from ``S3_MEDIA_*`` variables; ``overrides`` win over them.

    Raises ``MediaFileStorageError`` naming the variable when one is missing or
    invalid. The value of a secret variable never appears in the message.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in ENV_OPTIONS:
        text = environ.get(option.name)
        if text is None or (text == "" and option.field != "prefix"):
            continue
        try:
            values[option.field] = option.parse(text)
        except ValueError as error:
            shown = "(hidden)" if option.secret else repr(text)
            raise MediaFileStorageError(
                f"Invalid {option.name}={shown}: {error}. {option.description}"
            ) from None
    values.update(overrides)
    if not values.get("bucket"):
        raise MediaFileStorageError(
            "Missing S3_MEDIA_BUCKET: set it to the name of the bucket that stores"
            " the media, or run 's3-media demo' to try the product on a local"
            " S3 endpoint."
        )
    return _build(values, environ)


def _build(values: dict[str, Any], environ: Mapping[str, str]) -> StorageSettings:
    """Build the settings, naming the variable behind an invalid value."""
    try:
        return StorageSettings(**values)
    except InvalidSettingError as error:
        option = next((o for o in ENV_OPTIONS if o.field == error.field), None)
        if option is None or option.name not in environ:
            raise
        shown = "(hidden)" if option.secret else repr(environ[option.name])
        raise MediaFileStorageError(
            f"Invalid {option.name}={shown}: {error.expected}"
        ) from None
