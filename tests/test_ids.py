"""File IDs: content addressed, deterministic, and safe as keys and in URLs."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from s3_media_storage.ids import FILE_ID_PATTERN, check_file_id, file_id_for_chunks
from s3_media_storage.media_types import extension_for_mimetype

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE


def file_id(data: bytes, mimetype: str = "image/png", kind=MEDIA, filename=None, secret=None):
    return file_id_for_chunks(
        [data], size=len(data), mimetype=mimetype, kind=kind, filename=filename, secret=secret
    )


def test_file_id_has_hash_and_extension() -> None:
    result = file_id(b"abc", "image/png")
    assert FILE_ID_PATTERN.fullmatch(result)
    assert result.endswith(".png")
    assert len(result) == 64 + len(".png")


def test_file_id_same_inputs_same_id() -> None:
    assert file_id(b"abc", filename="a.png") == file_id(b"abc", filename="a.png")


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ((b"abc", "image/png", MEDIA, None), (b"abd", "image/png", MEDIA, None)),
        ((b"abc", "image/png", MEDIA, None), (b"abc", "image/jpeg", MEDIA, None)),
        ((b"abc", "text/csv", MEDIA, None), (b"abc", "text/csv", DOWNLOADABLE, None)),
        ((b"abc", "text/csv", MEDIA, None), (b"abc", "text/csv", MEDIA, "")),
        ((b"abc", "text/csv", MEDIA, "a.csv"), (b"abc", "text/csv", MEDIA, "b.csv")),
        # Field boundaries cannot shift: the mimetype and name are length-prefixed.
        ((b"abc", "text/csv", MEDIA, "x"), (b"abc", "text/csvx", MEDIA, "")),
    ],
)
def test_file_id_differs_on_any_input(left, right) -> None:
    assert file_id(*left) != file_id(*right)


def test_file_id_hashes_whole_content() -> None:
    # Two 3 MiB bodies that differ in one byte between any sampled regions.
    first = bytearray(3 * 1024 * 1024)
    second = bytearray(first)
    second[200_000] = 1
    assert file_id(bytes(first)) != file_id(bytes(second))


def test_file_id_chunking_does_not_matter() -> None:
    data = bytes(range(256)) * 1000
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    whole = file_id(data, "video/mp4")
    chunked = file_id_for_chunks(
        chunks, size=len(data), mimetype="video/mp4", kind=MEDIA, filename=None
    )
    assert chunked == whole


def test_file_id_stable_across_processes() -> None:
    code = (
        "from streamlit.runtime.media_file_storage import MediaFileKind as K\n"
        "from s3_media_storage.ids import file_id_for_chunks as f\n"
        "print(f([b'xyz'], size=3, mimetype='audio/wav', kind=K.DOWNLOADABLE,"
        " filename='é.wav'))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert output == file_id(b"xyz", "audio/wav", DOWNLOADABLE, "é.wav")


def test_file_id_known_value() -> None:
    # Recomputed here from the documented layout, independently of ids.py.
    header = b"s3-media-storage/1|5:media|9:image/png|-|3|"
    expected = hashlib.sha256(header + b"abc").hexdigest() + ".png"
    assert file_id(b"abc") == expected


def test_file_id_with_secret_is_hmac() -> None:
    plain = file_id(b"abc")
    keyed = file_id(b"abc", secret=b"shared-secret")
    other_key = file_id(b"abc", secret=b"other-secret")
    assert keyed != plain
    assert keyed != other_key
    assert FILE_ID_PATTERN.fullmatch(keyed)


@pytest.mark.parametrize(
    ("mimetype", "extension"),
    [
        ("image/png", ".png"),
        ("image/jpeg", ".jpg"),
        ("audio/wav", ".wav"),
        ("video/mp4", ".mp4"),
        ("text/csv; charset=utf-8", ".csv"),
        ("TEXT/CSV", ".csv"),
        ("application/x-unknown-thing", ""),
        ("", ""),
    ],
)
def test_extension_for_mimetype(mimetype: str, extension: str) -> None:
    assert extension_for_mimetype(mimetype) == extension


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "../x",
        "a" * 64 + "/x.png",
        "other-prefix/" + "a" * 64,
        "A" * 64,
        "a" * 63,
        "a" * 64 + ".png/..",
        "a" * 64 + "..png",
        None,
        123,
    ],
)
def test_check_file_id_rejects(bad_id) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid media file ID"):
        check_file_id(bad_id)


def test_check_file_id_accepts_own_ids() -> None:
    own = file_id(b"data", "video/mp4")
    assert check_file_id(own) == own
