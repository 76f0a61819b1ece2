"""Storage settings from ``S3_MEDIA_*`` environment variables."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.settings import (
    OPTION_LIMITS,
    InvalidSettingError,
    StorageSettings,
)

__all__ = ["ENV_OPTIONS", "EnvOption", "settings_from_env"]

_LOGGER: Final = logging.getLogger(__name__)


def _parse_number(field: str) -> Callable[[str], int | float]:
    """Return a parser for the option's variable, whose errors state the range.

    The range itself is checked when the settings are built.
    """
    limits = OPTION_LIMITS[field]
    convert = int if limits.whole else float

    def parse(text: str) -> int | float:
        try:
            return convert(text.strip())
        except ValueError:
            raise ValueError(f"expected {limits.describe()}.") from None

    return parse


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false (or 1 or 0, yes or no, on or off).")


def _parse_prefix(text: str) -> str:
    """Parse the prefix variable, where '/' is the top of the bucket.

    An empty variable counts as unset, so it cannot mean the top.
    """
    return "" if text == "/" else text


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
    EnvOption("S3_MEDIA_PREFIX", "prefix", _parse_prefix, "Key prefix of every object, or '/' for the top of the bucket."),
    EnvOption("S3_MEDIA_EXPIRES_IN", "expires_in", _parse_number("expires_in"), "Lifetime of each URL, in seconds (1 to 604800)."),
    EnvOption("S3_MEDIA_DELETE_FILES", "delete_files", _parse_bool, "Delete objects that no session uses any more (single replica only)."),
    EnvOption("S3_MEDIA_MULTIPART_THRESHOLD", "multipart_threshold", _parse_number("multipart_threshold"), "Size from which uploads are multipart, in bytes (5 MiB to 5 GiB)."),
    EnvOption("S3_MEDIA_RETRY_MODE", "retry_mode", _parse_text, "botocore retry mode: standard, adaptive or legacy."),
    EnvOption("S3_MEDIA_MAX_ATTEMPTS", "max_attempts", _parse_number("max_attempts"), "Attempts per S3 request, the first included (1 to 20)."),
    EnvOption("S3_MEDIA_CONNECT_TIMEOUT", "connect_timeout", _parse_number("connect_timeout"), "Connect timeout per attempt, in seconds (0.1 to 300)."),
    EnvOption("S3_MEDIA_READ_TIMEOUT", "read_timeout", _parse_number("read_timeout"), "Read timeout per attempt, in seconds (0.1 to 3600)."),
    EnvOption("S3_MEDIA_URL_MODE", "url_mode", _parse_text, "presigned, cdn-public or cdn-signed."),
    EnvOption("S3_MEDIA_CDN_URL", "cdn_url", _parse_text, "Base URL of the CDN in front of the bucket."),
    EnvOption("S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID", "cloudfront_key_pair_id", _parse_text, "ID of the CloudFront public key."),
    EnvOption("S3_MEDIA_CLOUDFRONT_PRIVATE_KEY", "cloudfront_private_key", _parse_text, "RSA private key in PEM, or the path of a PEM file.", secret=True),
    EnvOption("S3_MEDIA_ID_SECRET", "id_secret", _parse_text, "Secret for keyed file IDs (HMAC), the same on every replica.", secret=True),
    EnvOption("S3_MEDIA_LIFECYCLE_DAYS", "lifecycle_days", _parse_number("lifecycle_days"), "Age in days at which the bucket's lifecycle rule expires objects (1 to 36500)."),
    EnvOption("S3_MEDIA_SOURCE_BUCKETS", "source_buckets", _parse_list, "Other buckets that s3:// sources may name, comma-separated."),
)  # fmt: skip

_ENV_OPTION_BY_FIELD: Final = {option.field: option for option in ENV_OPTIONS}
_ENV_OPTION_NAMES: Final = frozenset(option.name for option in ENV_OPTIONS)
_ENV_PREFIX: Final = "S3_MEDIA_"


def settings_from_env(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> StorageSettings:
    """Build settings from ``S3_MEDIA_*`` variables; ``overrides`` win over them.

    An empty variable counts as unset. Logs a WARNING naming each unknown
    ``S3_MEDIA_*`` variable. Raises ``MediaFileStorageError`` naming the
    variable when one is missing or invalid, or the keyword when an override
    is. The value of a secret variable never appears in the message.
    """
    environ = os.environ if environ is None else environ
    _warn_unknown_variables(environ)
    values: dict[str, Any] = {}
    for option in ENV_OPTIONS:
        text = environ.get(option.name)
        if not text:
            continue
        try:
            values[option.field] = option.parse(text)
        except ValueError as error:
            shown = "(hidden)" if option.secret else repr(text)
            raise MediaFileStorageError(
                f"Invalid {option.name}={shown}: {error}"
            ) from None
    values.update(overrides)
    if not values.get("bucket"):
        raise MediaFileStorageError(
            "Missing S3_MEDIA_BUCKET: set it to the name of the bucket that stores"
            " the media, or run 's3-media demo' to try the product on a local"
            " S3 endpoint."
        )
    try:
        return StorageSettings(**values)
    except InvalidSettingError as error:
        raise _reword_for_env(error, environ, overrides) from None


def _warn_unknown_variables(environ: Mapping[str, str]) -> None:
    """Log one WARNING naming every unknown ``S3_MEDIA_*`` variable, not its value."""
    known = [option.name.removeprefix(_ENV_PREFIX) for option in ENV_OPTIONS]
    unknown = sorted(
        name
        for name in environ
        if name.upper().startswith(_ENV_PREFIX) and name not in _ENV_OPTION_NAMES
    )
    if not unknown:
        return
    descriptions = []
    for name in unknown:
        suffix = name.upper().removeprefix(_ENV_PREFIX)
        close = difflib.get_close_matches(suffix, known, n=1)
        if close:
            descriptions.append(f"{name} (did you mean {_ENV_PREFIX}{close[0]}?)")
        else:
            descriptions.append(name)
    _LOGGER.warning(
        "Ignoring unknown %s %s. from_env() reads only the S3_MEDIA_* variables"
        " in the Configuration table of the README.",
        "variable" if len(unknown) == 1 else "variables",
        ", ".join(descriptions),
    )


def _reword_for_env(
    error: InvalidSettingError, environ: Mapping[str, str], overrides: Mapping[str, Any]
) -> MediaFileStorageError:
    """Return ``error`` with variable names, except for options in ``overrides``."""

    def name_of(field: str) -> str:
        if field in overrides:
            return field
        return _ENV_OPTION_BY_FIELD[field].name

    expected = error.explain(name_of)
    name = name_of(error.field)
    if error.missing:
        return MediaFileStorageError(f"Missing {name}: {expected}")
    if error.field in overrides:
        return MediaFileStorageError(f"Invalid {name} {error.value_repr}: {expected}")
    option = _ENV_OPTION_BY_FIELD[error.field]
    text = environ.get(name)
    if option.secret:
        shown = "(hidden)"
    elif text:
        shown = repr(text)
    else:
        shown = error.value_repr
    return MediaFileStorageError(f"Invalid {name}={shown}: {expected}")
