"""Content-Disposition: attachment or inline, and filenames that survive intact."""

from __future__ import annotations

import re
from email.message import Message
from urllib.parse import unquote

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from s3_media_storage.headers import content_disposition

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE

ODD_NAMES = [
    "report.csv",
    "résumé – café.csv",
    'say "hi".txt',
    "back\\slash.txt",
    "line\r\nX-Injected: yes.txt",
    "tab\there.txt",
    "dir/../etc/passwd",
    "日本語のファイル.pdf",
    "emoji 🎉.png",
    " leading and trailing ",
    "semi;colon=and,comma.txt",
    "percent%20sign.txt",
    "x" * 1000,
]


def parse_filename_star(header: str) -> str | None:
    match = re.search(r"filename\*=UTF-8''([^;\s]+)", header)
    if match is None:
        return None
    return unquote(match.group(1), encoding="utf-8", errors="strict")


def parse_filename(header: str) -> str:
    """Decode the filename the way an RFC 6266 client does: filename* first."""
    star = parse_filename_star(header)
    if star is not None:
        return star
    message = Message()
    message["Content-Disposition"] = header
    name = message.get_filename()
    assert name is not None, header
    return name


@pytest.mark.parametrize("name", ODD_NAMES)
def test_disposition_round_trips_name(name: str) -> None:
    header = content_disposition(DOWNLOADABLE, name, "text/csv")
    assert parse_filename(header) == name


@pytest.mark.parametrize("name", ODD_NAMES)
def test_disposition_is_single_printable_line(name: str) -> None:
    header = content_disposition(DOWNLOADABLE, name, "text/csv")
    assert header.isascii()
    assert re.fullmatch(r"[\x20-\x7e]+", header)


@pytest.mark.parametrize("name", ODD_NAMES)
def test_disposition_fallback_is_safe(name: str) -> None:
    header = content_disposition(DOWNLOADABLE, name, "text/csv")
    match = re.search(r'filename="([^"]*)"', header)
    assert match is not None
    fallback = match.group(1)
    assert "\\" not in fallback
    assert re.fullmatch(r"[\x20-\x7e]+", fallback)


def test_disposition_plain_name_has_no_star() -> None:
    header = content_disposition(DOWNLOADABLE, "report 2026.csv", "text/csv")
    assert header == 'attachment; filename="report 2026.csv"'


def test_disposition_non_ascii_has_star() -> None:
    header = content_disposition(DOWNLOADABLE, "café.csv", "text/csv")
    assert parse_filename_star(header) == "café.csv"
    assert 'filename="cafe.csv"' in header


def test_disposition_downloadable_without_name() -> None:
    header = content_disposition(DOWNLOADABLE, None, "text/csv")
    assert header == 'attachment; filename="streamlit_download.csv"'


def test_disposition_media_is_inline() -> None:
    assert content_disposition(MEDIA, None, "image/png") == "inline"
    assert content_disposition(MEDIA, "a.png", "image/png") == 'inline; filename="a.png"'


def test_disposition_rejects_huge_encoded_name() -> None:
    with pytest.raises(MediaFileStorageError, match="Filename too long"):
        content_disposition(DOWNLOADABLE, "日" * 1000, "text/csv")


def test_disposition_rejects_lone_surrogate() -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid filename"):
        content_disposition(DOWNLOADABLE, "bad\udc80.txt", "text/csv")
