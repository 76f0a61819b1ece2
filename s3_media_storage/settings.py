"""Storage settings and their validation.

``environment`` parses them from ``S3_MEDIA_*`` variables.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Final

from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.bucket_names import bucket_name_problem

__all__ = ["OPTION_LIMITS", "SECRET_FIELDS", "InvalidSettingError", "StorageSettings"]


# SigV4 presigned URLs are valid for at most 7 days.
MAX_EXPIRES_IN: Final = 604_800

_MIB: Final = 1024**2
_GIB: Final = 1024**3

# Options whose values never appear in a message, a log line or a repr.
SECRET_FIELDS: Final = frozenset({"cloudfront_private_key", "id_secret"})

# URL modes of get_url: SigV4 presigned S3 URLs, unsigned URLs on a CDN in
# front of the bucket, or CloudFront signed URLs with a canned policy.
URL_MODES: Final = ("presigned", "cdn-public", "cdn-signed")

_CDN_URL_EXAMPLE: Final = "'https://d111111abcdef8.cloudfront.net'"
_SIGNER_FIELDS: Final = ("cloudfront_key_pair_id", "cloudfront_private_key")


class InvalidSettingError(MediaFileStorageError):
    """A storage option whose value is invalid, or missing where others need it.

    ``expected`` is a ``str.format`` template. A placeholder named after an
    option, such as ``{expires_in}``, stands for that option's name, and the
    other placeholders for the values in ``facts``. The message names keyword
    arguments, and ``settings_from_env`` rewords it with ``explain`` to name
    ``S3_MEDIA_*`` variables instead.
    """

    def __init__(
        self, field: str, value: object, expected: str, **facts: object
    ) -> None:
        self.field = field
        self.missing = value is None
        # Only the repr is kept, so that a secret value never stays on the error.
        self.value_repr = "(hidden)" if field in SECRET_FIELDS else repr(value)
        self._template = expected
        self._facts = facts
        self.expected = self.explain(_keyword_name)
        if self.missing:
            message = f"Missing {field}: {self.expected}"
        else:
            message = f"Invalid {field} {self.value_repr}: {self.expected}"
        super().__init__(message)

    def explain(self, name_of: Callable[[str], str]) -> str:
        """Return ``expected`` with each option named by ``name_of``."""
        names = {
            option.name: name_of(option.name)
            for option in dataclasses.fields(StorageSettings)
        }
        return self._template.format_map({**names, **self._facts})


def _keyword_name(field: str) -> str:
    return field


@dataclass(frozen=True)
class _Limits:
    """Range of a numeric option, and the words that messages use for it."""

    low: int | float
    high: int | float
    unit: str = ""
    whole: bool = True
    note: str = ""

    def describe(self) -> str:
        """Return the range in words, such as 'a whole number from 1 to 20'."""
        number = "a whole number" if self.whole else "a number"
        return f"{number} {self._span()}"

    def describe_type(self) -> str:
        """Return the Python type and range, such as 'an int from 1 to 20'."""
        python_type = "an int" if self.whole else "an int or float"
        return f"{python_type} {self._span()}"

    def _span(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"from {self.low} to {self.high}{unit}{self.note}"


OPTION_LIMITS: Final = {
    "expires_in": _Limits(1, MAX_EXPIRES_IN, "seconds"),
    "multipart_threshold": _Limits(
        5 * _MIB, 5 * _GIB, "bytes", note=" (5 MiB to 5 GiB)"
    ),
    "max_attempts": _Limits(1, 20),
    "connect_timeout": _Limits(0.1, 300, "seconds", whole=False),
    "read_timeout": _Limits(0.1, 3600, "seconds", whole=False),
    "lifecycle_days": _Limits(1, 36_500, "days"),
}

# Options that are None unless given, and a str when given.
_OPTIONAL_TEXT_FIELDS: Final = ("url_mode", "cdn_url", *_SIGNER_FIELDS)


@dataclass(frozen=True, kw_only=True)
class StorageSettings:
    """Validated options of an ``S3MediaFileStorage``.

    ``id_secret`` may also be given as UTF-8 bytes, which are stored decoded,
    so that a secret gives the same file IDs as str and as bytes.
    """

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
        _check_bucket_name("bucket", self.bucket)
        object.__setattr__(self, "prefix", _normalize_prefix(self.prefix))
        _check_number("expires_in", self.expires_in)
        _check_type("delete_files", self.delete_files, bool, "a bool (True or False)")
        _check_number("multipart_threshold", self.multipart_threshold)
        _check_type("retry_mode", self.retry_mode, str, "a str")
        if self.retry_mode not in ("standard", "adaptive", "legacy"):
            raise InvalidSettingError(
                "retry_mode",
                self.retry_mode,
                "expected 'standard', 'adaptive' or 'legacy' (botocore retry modes).",
            )
        _check_number("max_attempts", self.max_attempts)
        _check_number("connect_timeout", self.connect_timeout)
        _check_number("read_timeout", self.read_timeout)

        for name in _OPTIONAL_TEXT_FIELDS:
            _check_type(name, getattr(self, name), str | None, "a str or None")
        object.__setattr__(self, "url_mode", _resolve_url_mode(self))
        if self.cdn_url is not None:
            object.__setattr__(self, "cdn_url", _normalize_cdn_url(self.cdn_url))

        object.__setattr__(self, "id_secret", _normalize_id_secret(self.id_secret))
        if self.lifecycle_days is not None:
            _check_number("lifecycle_days", self.lifecycle_days)
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


def _wrong_type(field: str, value: object, expected: str) -> InvalidSettingError:
    """Return the error for a value of the wrong Python type, such as str for bool."""
    return InvalidSettingError(
        field,
        value,
        f"expected {expected}, not {{type_name}}.",
        type_name=type(value).__name__,
    )


def _check_type(field: str, value: object, types: Any, expected: str) -> None:
    """Raise unless ``value`` is an instance of ``types``.

    Numbers go through ``_check_number`` instead, which also rejects bool.
    """
    if not isinstance(value, types):
        raise _wrong_type(field, value, expected)


def _check_number(field: str, value: object) -> None:
    """Raise unless ``value`` has the Python type and range of ``OPTION_LIMITS[field]``.

    A bool is rejected although it is an int. A float is rejected where a
    whole number is expected, because ``expires_in=60.5`` would presign an
    invalid ``X-Amz-Expires=60.5``.
    """
    limits = OPTION_LIMITS[field]
    types = int if limits.whole else int | float
    if isinstance(value, bool) or not isinstance(value, types):
        raise _wrong_type(field, value, limits.describe_type())
    if not limits.low <= value <= limits.high:
        raise InvalidSettingError(field, value, f"expected {limits.describe()}.")


def _check_bucket_name(field: str, name: object) -> None:
    if not isinstance(name, str):
        raise _wrong_type(field, name, "a str such as 'my-app-media'")
    problem = bucket_name_problem(name)
    if problem is not None:
        raise InvalidSettingError(field, name, "{problem}", problem=problem)


def _check_buckets(buckets: object) -> tuple[str, ...]:
    if isinstance(buckets, str) or not isinstance(
        buckets, tuple | list | frozenset | set
    ):
        raise InvalidSettingError(
            "source_buckets", buckets, "expected a list of bucket names."
        )
    for bucket in buckets:
        if not isinstance(bucket, str):
            raise InvalidSettingError(
                "source_buckets",
                buckets,
                "{bucket!r} is not a bucket name.",
                bucket=bucket,
            )
        problem = bucket_name_problem(bucket)
        if problem is not None:
            raise InvalidSettingError(
                "source_buckets",
                buckets,
                "{bucket!r} is not a bucket name: {problem}",
                bucket=bucket,
                problem=problem,
            )
    return tuple(sorted(buckets))


def _normalize_prefix(prefix: object) -> str:
    """Return the key prefix with a trailing slash, or raise if it is unsafe."""
    if not isinstance(prefix, str):
        raise _wrong_type("prefix", prefix, "a str such as 'media/'")
    unsafe = (
        prefix.startswith("/")
        or ".." in prefix.split("/")
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in prefix)
        or not _encodes_as_utf8(prefix)
        or len(prefix.encode()) > 512
    )
    if unsafe:
        raise InvalidSettingError(
            "prefix",
            prefix,
            "expected a relative key prefix without '..' segments or control"
            " characters, at most 512 bytes of UTF-8, such as 'media/'.",
        )
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix


def _encodes_as_utf8(text: str) -> bool:
    """Return False for lone surrogates, which os.environ uses for non-UTF-8 bytes."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _normalize_id_secret(secret: object) -> str | None:
    """Return the ID secret as str, decoding UTF-8 bytes, or raise if it is unusable.

    The storage hashes with the secret's UTF-8 encoding, so a secret given as
    str and as its UTF-8 bytes yields the same file IDs.
    """
    if secret is None:
        return None
    if isinstance(secret, bytes):
        try:
            secret = secret.decode()
        except UnicodeDecodeError:
            raise InvalidSettingError(
                "id_secret",
                secret,
                "expected UTF-8 text, but the bytes do not decode as UTF-8. Encode"
                " random bytes as text first, such as with secrets.token_hex(32).",
            ) from None
    if not isinstance(secret, str):
        raise _wrong_type("id_secret", secret, "a str or bytes of at least 16 bytes")
    if not _encodes_as_utf8(secret):
        raise InvalidSettingError(
            "id_secret",
            secret,
            "expected text that encodes as UTF-8, without lone surrogates.",
        )
    if len(secret.encode()) < 16:
        raise InvalidSettingError(
            "id_secret", secret, "expected at least 16 bytes of secret."
        )
    return secret


def _join_names(fields: Collection[str]) -> str:
    """Return a template that lists the options, such as '{a} and {b}'."""
    placeholders = ["{" + name + "}" for name in fields]
    if len(placeholders) == 1:
        return placeholders[0]
    return ", ".join(placeholders[:-1]) + " and " + placeholders[-1]


def _resolve_url_mode(settings: StorageSettings) -> str:
    """Return the URL mode, inferring it where that is unambiguous.

    A CDN URL never silently yields unsigned URLs: without a CloudFront key it
    needs ``url_mode="cdn-public"`` spelled out. Each error names the option
    that is missing or in the way.
    """
    signers = [name for name in _SIGNER_FIELDS if getattr(settings, name)]
    mode = settings.url_mode
    if mode is None:
        mode = _infer_url_mode(settings, signers)
        explicit = False
    else:
        explicit = True
    if mode not in URL_MODES:
        raise InvalidSettingError(
            "url_mode", mode, f"expected one of {', '.join(URL_MODES)}."
        )

    if mode == "presigned":
        in_the_way = (["cdn_url"] if settings.cdn_url else []) + signers
        if in_the_way:
            raise InvalidSettingError(
                "url_mode",
                mode,
                "presigned S3 URLs are signed for the bucket's own host, so they"
                f" cannot go through a CDN. Unset {_join_names(in_the_way)}, or"
                " choose 'cdn-signed' or 'cdn-public'.",
            )
        return mode

    if not settings.cdn_url:
        needs = (
            "{url_mode}={mode!r} needs the CDN's base URL, such as"
            f" {_CDN_URL_EXAMPLE}"
        )
        missing_signers = [name for name in _SIGNER_FIELDS if name not in signers]
        if mode == "cdn-signed" and missing_signers:
            needs += (
                ", and a CloudFront key pair ID and its RSA private key. Set"
                f" {_join_names(['cdn_url', *missing_signers])}"
            )
        raise InvalidSettingError("cdn_url", settings.cdn_url, needs + ".", mode=mode)
    if mode == "cdn-public" and signers:
        raise InvalidSettingError(
            "url_mode",
            mode,
            f"a CloudFront key is set ({_join_names(signers)}), but 'cdn-public'"
            " URLs are never signed. Choose 'cdn-signed' or unset"
            f" {_join_names(signers)}.",
        )
    if mode == "cdn-signed":
        _check_signer(settings, signers, explicit=explicit)
    return mode


def _infer_url_mode(settings: StorageSettings, signers: list[str]) -> str:
    if settings.cdn_url is None and not signers:
        return "presigned"
    if settings.cdn_url is None:
        raise InvalidSettingError(
            "cdn_url",
            None,
            f"{_join_names(signers)} {'is' if len(signers) == 1 else 'are'} set, so"
            " URLs would be"
            " CloudFront signed URLs, which need the CDN's base URL. Set {cdn_url}"
            f" to the distribution's URL, such as {_CDN_URL_EXAMPLE}, or unset"
            f" {_join_names(signers)} to use presigned S3 URLs.",
        )
    if signers:
        return "cdn-signed"
    raise InvalidSettingError(
        "url_mode",
        None,
        "a CDN URL needs a URL mode. Set {url_mode} to 'cdn-signed' and set"
        " {cloudfront_key_pair_id} and {cloudfront_private_key}, or set it to"
        " 'cdn-public' if the CDN may serve every object without a signature.",
    )


def _check_signer(
    settings: StorageSettings, signers: list[str], *, explicit: bool
) -> None:
    """Raise unless both the CloudFront key pair ID and the private key are set."""
    missing = [name for name in _SIGNER_FIELDS if name not in signers]
    if not missing:
        return
    if explicit:
        reason = "{url_mode}='cdn-signed' needs"
        alternative = ""
    else:
        reason = (
            f"CloudFront signed URLs, chosen because {{cdn_url}} and"
            f" {_join_names(signers)} are set, need"
        )
        alternative = (
            f", or unset {_join_names(signers)} and set {{url_mode}} to"
            " 'cdn-public' for unsigned URLs"
        )
    raise InvalidSettingError(
        missing[0],
        getattr(settings, missing[0]),
        f"{reason} both a CloudFront key pair ID and its RSA private key. Set"
        f" {_join_names(missing)}{alternative}.",
    )


# Hosts where a plain http:// CDN URL is allowed, for local tests. urlsplit
# returns an IPv6 host without its brackets.
_LOCAL_HOSTS: Final = ("127.0.0.1", "localhost", "::1")


def _normalize_cdn_url(cdn_url: str) -> str:
    """Return the CDN base URL without a trailing slash, or raise if it is unusable."""
    from urllib.parse import urlsplit

    parts = urlsplit(cdn_url)
    if "@" in parts.netloc:
        # Every URL handed to browsers would carry the user name and password.
        host = parts.netloc.rsplit("@", 1)[1]
        raise InvalidSettingError(
            "cdn_url",
            f"{parts.scheme}://(hidden)@{host}",
            "expected a base URL without a user name or password, such as"
            f" {_CDN_URL_EXAMPLE}: every media URL would show them to browsers.",
        )
    try:
        port_valid = parts.port is None or parts.port > 0
    except ValueError:
        port_valid = False
    local = parts.hostname in _LOCAL_HOSTS
    valid = (
        (parts.scheme == "https" or (parts.scheme == "http" and local))
        and port_valid
        and parts.hostname
        and not parts.query
        and not parts.fragment
        and cdn_url.isascii()
        and " " not in cdn_url
    )
    if not valid:
        raise InvalidSettingError(
            "cdn_url",
            cdn_url,
            "expected an https:// base URL with a valid port and without query"
            f" or fragment, such as {_CDN_URL_EXAMPLE} (http:// only for"
            " localhost).",
        )
    return cdn_url.rstrip("/")


def _check_lifecycle(lifecycle_days: int, expires_in: int) -> None:
    """Raise unless objects live at least 2 * (``expires_in`` + 1 hour).

    ``refresh_after`` is then at least ``expires_in`` + 1 hour.
    """
    margin = expires_in + 3_600
    if lifecycle_days * 86_400 / 2 < margin:
        raise InvalidSettingError(
            "lifecycle_days",
            lifecycle_days,
            "objects would expire too soon after a URL valid for"
            " {expires_in_value} s is handed out, so expected at least {min_days}"
            " days for {expires_in}={expires_in_value}. Raise the lifecycle rule's"
            " age and {lifecycle_days} to match, or lower {expires_in}.",
            expires_in_value=expires_in,
            min_days=math.ceil(2 * margin / 86_400),
        )
