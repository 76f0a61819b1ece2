"""Content-addressed file IDs.

A file ID is the hex SHA-256 (or, with a secret, HMAC-SHA256) of the content
together with the mimetype, the kind and the filename, followed by the file
extension that the mimetype implies, for example ``"9f86d08…0f00a08.png"``.
The object key is the prefix followed by the file ID, so any replica can build
the URL for a file that another replica uploaded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Final, Protocol

from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from s3_media_storage.errors import quoted_for_message
from s3_media_storage.media_types import extension_for_mimetype

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "FILE_ID_PATTERN",
    "SOURCE_ID_PATTERN",
    "check_file_id",
    "file_id_for_chunks",
    "parse_s3_uri",
    "parse_source_id",
    "source_id",
]

FILE_ID_PATTERN: Final = re.compile(r"[0-9a-f]{64}(\.[a-z0-9]{1,10})?")

# The ID of an object that was already in S3 (an ``s3://`` source) carries its
# bucket and key, base64url-encoded without padding.
SOURCE_ID_PATTERN: Final = re.compile(r"s3-[A-Za-z0-9_-]{4,1500}")

# Characters of an invalid ID or S3 URI that an error message shows.
_MAX_SHOWN_ID: Final = 100

# Bumped whenever the hashed layout changes, so old and new IDs never collide.
_ID_VERSION: Final = b"s3-media-storage/1"


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def _new_hash(secret: bytes | None) -> _Hash:
    if secret is None:
        return hashlib.sha256()
    return hmac.new(secret, digestmod=hashlib.sha256)


def _field(value: str) -> bytes:
    """Encode one string as its UTF-8 length, a colon and its bytes."""
    encoded = value.encode("utf-8", "surrogatepass")
    return b"%d:%s" % (len(encoded), encoded)


def _header(
    size: int, mimetype: str, kind: MediaFileKind, filename: str | None
) -> bytes:
    """Encode every input other than the content, unambiguously."""
    filename_field = b"-" if filename is None else b"+" + _field(filename)
    return b"|".join(
        [
            _ID_VERSION,
            _field(kind.value),
            _field(mimetype),
            filename_field,
            b"%d" % size,
            b"",
        ]
    )


def file_id_for_chunks(
    chunks: Iterable[bytes],
    *,
    size: int,
    mimetype: str,
    kind: MediaFileKind,
    filename: str | None,
    secret: bytes | None = None,
) -> str:
    """Return the file ID of content given as ``chunks`` totalling ``size`` bytes.

    The hash covers the whole content. Passing a ``secret`` makes it an HMAC,
    so that nobody without the secret can compute or confirm an ID.
    """
    digest = _new_hash(secret)
    digest.update(_header(size, mimetype, kind, filename))
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest() + extension_for_mimetype(mimetype)


def check_file_id(file_id: object) -> str:
    """Return ``file_id`` if this package could have made it, else raise.

    Raises ``MediaFileStorageError`` for anything else (empty, a path, ``..``,
    a key in another prefix), before any request is sent.
    """
    if not isinstance(file_id, str) or FILE_ID_PATTERN.fullmatch(file_id) is None:
        shown = quoted_for_message(file_id, _MAX_SHOWN_ID)
        raise MediaFileStorageError(
            f"Invalid media file ID {shown}: expected an ID returned by"
            " load_and_get_id, 64 hex digits and an optional extension."
        )
    return file_id


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into bucket and key, or raise."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    shown = quoted_for_message(uri, _MAX_SHOWN_ID)
    if not bucket or not key:
        raise MediaFileStorageError(
            f"Invalid S3 URI {shown}: expected s3://BUCKET/KEY with a non-empty key."
        )
    # S3 limits bucket names to 63 characters and keys to 1024 bytes of UTF-8.
    if len(bucket) > 63 or len(key.encode("utf-8", "surrogatepass")) > 1024:
        raise MediaFileStorageError(
            f"Invalid S3 URI {shown}: S3 allows bucket names of at most 63"
            " characters and keys of at most 1024 bytes."
        )
    return bucket, key


def source_id(bucket: str, key: str) -> str:
    """Return the file ID of the existing object ``s3://bucket/key``."""
    encoded = base64.urlsafe_b64encode(f"{bucket}/{key}".encode()).rstrip(b"=")
    return "s3-" + encoded.decode("ascii")


def parse_source_id(file_id: str) -> tuple[str, str] | None:
    """Return the bucket and key of a source ID, or None if it is not one."""
    if SOURCE_ID_PATTERN.fullmatch(file_id) is None:
        return None
    encoded = file_id[len("s3-") :]
    try:
        decoded = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        bucket, _, key = decoded.decode("utf-8").partition("/")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not bucket or not key:
        return None
    return bucket, key
