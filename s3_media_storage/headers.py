"""HTTP headers stored with each object: Content-Disposition and Cache-Control."""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote

from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from s3_media_storage.media_types import extension_for_mimetype

__all__ = ["CACHE_CONTROL", "MAX_CONTENT_DISPOSITION_LENGTH", "content_disposition"]

# Keys are content addressed, so an object never changes once written.
CACHE_CONTROL: Final = "public, max-age=31536000, immutable"

# S3 rejects requests whose headers pass 8 KiB in all. A name that needs more
# than this once encoded is rejected up front instead.
MAX_CONTENT_DISPOSITION_LENGTH: Final = 4096

# Streamlit's own /media route names an unnamed download this way.
DEFAULT_DOWNLOAD_STEM: Final = "streamlit_download"

# Printable ASCII that can stand inside a quoted-string without escaping.
_PLAIN_FILENAME: Final = re.compile(r'[\x20-\x7e]+')
_UNSAFE_IN_QUOTES: Final = re.compile(r'["\\]')
_FALLBACK_UNSAFE: Final = re.compile(r'[^\x20-\x7e]|["\\/]')


def _ascii_fallback(filename: str) -> str:
    """Return an ASCII stand-in for ``filename`` for clients without RFC 5987."""
    decomposed = unicodedata.normalize("NFKD", filename)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    fallback = _FALLBACK_UNSAFE.sub("_", without_marks).strip()
    return fallback or "download"


def _is_plain(filename: str) -> bool:
    return (
        _PLAIN_FILENAME.fullmatch(filename) is not None
        and _UNSAFE_IN_QUOTES.search(filename) is None
        and filename == filename.strip()
    )


def content_disposition(
    kind: MediaFileKind, filename: str | None, mimetype: str
) -> str:
    """Return the ``Content-Disposition`` for a file of ``kind`` named ``filename``.

    DOWNLOADABLE files are ``attachment`` and MEDIA files ``inline``. A name that
    is not plain ASCII gets an ASCII ``filename`` fallback and an RFC 5987
    ``filename*`` that decodes to exactly ``filename``. The result is always
    printable ASCII, so no name can inject a header.
    """
    if not isinstance(kind, MediaFileKind):
        raise MediaFileStorageError(
            f"Invalid kind {kind!r}: expected MediaFileKind.MEDIA or"
            " MediaFileKind.DOWNLOADABLE."
        )
    if filename is not None and not isinstance(filename, str):
        raise MediaFileStorageError(
            f"Invalid filename {filename!r}: expected a string or None."
        )
    disposition = "attachment" if kind is MediaFileKind.DOWNLOADABLE else "inline"
    if not filename and kind is MediaFileKind.DOWNLOADABLE:
        filename = DEFAULT_DOWNLOAD_STEM + extension_for_mimetype(mimetype)
    if not filename:
        return disposition

    if _is_plain(filename):
        header = f'{disposition}; filename="{filename}"'
    else:
        try:
            encoded = quote(filename, safe="", encoding="utf-8", errors="strict")
        except UnicodeEncodeError as error:
            raise MediaFileStorageError(
                f"Invalid filename {filename!r}: it is not valid Unicode ({error})."
                " Pass a file_name without lone surrogate characters."
            ) from error
        fallback = _ascii_fallback(filename)
        header = f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"

    if len(header) > MAX_CONTENT_DISPOSITION_LENGTH:
        raise MediaFileStorageError(
            f"Filename too long: {filename[:40]!r}… encodes to a {len(header)}-byte"
            f" Content-Disposition header, over the limit of"
            f" {MAX_CONTENT_DISPOSITION_LENGTH}. Pass a shorter file_name."
        )
    return header
