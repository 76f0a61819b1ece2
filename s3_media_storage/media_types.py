"""Mimetype parsing and the file extension that each mimetype implies."""

from __future__ import annotations

import mimetypes
import re
from typing import Final

from streamlit.runtime.media_file_storage import MediaFileStorageError

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_MIMETYPE_LENGTH",
    "content_type_for",
    "extension_for_mimetype",
]

# S3's own default for objects stored without a Content-Type.
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"

# S3 rejects a PUT whose headers pass 8 KiB in all. Content-Disposition may
# take 4096 bytes of that (headers.py), so the Content-Type gets at most 1024
# and the signature headers keep the rest.
MAX_MIMETYPE_LENGTH: Final = 1024

# The extension is part of the file ID, so it must not depend on the machine.
# Common media types are pinned here. Others come from Python's built-in table,
# never from the machine's /etc/mime.types, which differs between hosts.
_PINNED_EXTENSIONS: Final[dict[str, str]] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "image/avif": ".avif",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "audio/webm": ".weba",
    "audio/flac": ".flac",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/ogg": ".ogv",
    "video/quicktime": ".mov",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/vtt": ".vtt",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/gzip": ".gz",
    "application/octet-stream": ".bin",
}

_BUILT_IN_TYPES: Final = mimetypes.MimeTypes(filenames=())

# RFC 9110 token characters, for the type and the subtype.
_TOKEN: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MIMETYPE_PATTERN: Final = re.compile(rf"{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=\S*)*")
_EXTENSION_PATTERN: Final = re.compile(r"\.[a-z0-9]{1,10}")


def _essence(mimetype: str) -> str:
    """Return the lower-case ``type/subtype`` of a mimetype, without parameters."""
    return mimetype.split(";", 1)[0].strip().lower()


def content_type_for(mimetype: str) -> str:
    """Return the ``Content-Type`` to store for ``mimetype``, exactly as given.

    An empty mimetype stores S3's default type. A mimetype that is not of the
    form ``type/subtype`` with optional parameters, or that contains a control
    character, raises ``MediaFileStorageError``, because it could corrupt the
    request's headers.
    """
    if not isinstance(mimetype, str):
        raise MediaFileStorageError(
            f"Invalid mimetype {mimetype!r}: expected a string such as 'image/png'."
        )
    if mimetype == "":
        return DEFAULT_CONTENT_TYPE
    if len(mimetype) > MAX_MIMETYPE_LENGTH:
        raise MediaFileStorageError(
            f"Invalid mimetype {mimetype[:40]!r}…: it is {len(mimetype)} characters"
            f" long, over the limit of {MAX_MIMETYPE_LENGTH}. Pass a shorter mimetype."
        )
    if not mimetype.isascii() or _MIMETYPE_PATTERN.fullmatch(mimetype) is None:
        raise MediaFileStorageError(
            f"Invalid mimetype {mimetype!r}: expected 'type/subtype' with optional"
            " '; name=value' parameters in printable ASCII, such as 'image/png'."
        )
    return mimetype


def extension_for_mimetype(mimetype: str) -> str:
    """Return the file extension for ``mimetype`` with its dot, or ``""``.

    The result is the same on every machine running the same Python version.
    """
    essence = _essence(mimetype)
    if essence in _PINNED_EXTENSIONS:
        return _PINNED_EXTENSIONS[essence]
    extension = _BUILT_IN_TYPES.guess_extension(essence, strict=False) or ""
    if _EXTENSION_PATTERN.fullmatch(extension) is None:
        return ""
    return extension
