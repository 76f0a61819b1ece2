"""Storage settings: validation, and parsing from ``S3_MEDIA_*`` variables."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
        super().__init__(f"Invalid {field} {value!r}: {expected}")
        self.field = field
        self.expected = expected


def _reject(field: str, value: object, expected: str) -> InvalidSettingError:
    return InvalidSettingError(field, value, expected)


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


def _check_range(
    field: str, value: object, low: float, high: float, unit: str = ""
) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not low <= value <= high:  # type: ignore[operator]
        suffix = f" {unit}" if unit else ""
        raise _reject(field, value, f"expected a number from {low} to {high}{suffix}.")


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
