"""Reading and hashing the bytes or the local file behind a media file."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.errors import quoted_for_message

__all__ = ["CHUNK_SIZE", "LocalFile", "iter_file_chunks", "open_local_file"]

# Large enough that hashing runs near SHA-256's speed, small enough to keep
# memory flat while a large file streams through.
CHUNK_SIZE: Final = 1024 * 1024

# Characters of a path that an error message shows.
_MAX_SHOWN_PATH: Final = 200

# A URL scheme as RFC 3986 defines it, followed by "://".
_URL_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class LocalFile:
    """A regular file that was found readable, with its size in bytes."""

    path: str
    size: int


def _error(path: str, problem: str, advice: str) -> MediaFileStorageError:
    shown = quoted_for_message(path, _MAX_SHOWN_PATH)
    return MediaFileStorageError(f"Cannot load media file {shown}: {problem}. {advice}")


def _missing_file_error(path: str) -> MediaFileStorageError:
    scheme = _URL_SCHEME.match(path)
    if scheme is None:
        return _error(path, "no such file", "Check the path and the working directory.")
    if scheme.group(1).lower() == "file":
        return _error(
            path,
            "file:// URLs are not paths",
            "Pass the local path without the file:// prefix.",
        )
    return _error(
        path,
        f"no such file, and {scheme.group(1)}:// URLs cannot be stored",
        "Pass a local path, an s3://bucket/key URI or the file's bytes.",
    )


def open_local_file(path: str) -> LocalFile:
    """Check that ``path`` names a readable regular file and return it.

    Symbolic links are followed. URLs, missing paths, directories, FIFOs,
    devices and unreadable files raise ``MediaFileStorageError``.
    """
    if path.lower().startswith(("http://", "https://")):
        raise _error(
            path,
            "URLs cannot be stored",
            "Pass the URL to the Streamlit element directly, which loads it in"
            " the browser, or pass the file's bytes.",
        )
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise _missing_file_error(path) from None
    except OSError as error:
        raise _error(path, error.strerror or str(error), "Check the path.") from None
    except ValueError:
        # os.stat raises ValueError for a path with a NUL character.
        raise _error(path, "the path contains a NUL character", "Check the path.") from None
    if stat.S_ISDIR(status.st_mode):
        raise _error(path, "it is a directory", "Pass the path of a file inside it.")
    if not stat.S_ISREG(status.st_mode):
        raise _error(
            path,
            "it is not a regular file (a FIFO, socket or device)",
            "Pass a regular file or the bytes themselves.",
        )
    if not os.access(path, os.R_OK):
        raise _error(path, "permission denied", "Make the file readable by this process.")
    return LocalFile(path=path, size=status.st_size)


def iter_file_chunks(local_file: LocalFile) -> Iterator[bytes]:
    """Yield the file's bytes in chunks of at most ``CHUNK_SIZE``."""
    try:
        with open(local_file.path, "rb") as stream:
            while chunk := stream.read(CHUNK_SIZE):
                yield chunk
    except OSError as error:
        raise _error(
            local_file.path, error.strerror or str(error), "Check that it is readable."
        ) from None


def read_small_file(local_file: LocalFile) -> bytes:
    """Return the whole file; only for files below the multipart threshold."""
    return b"".join(iter_file_chunks(local_file))
