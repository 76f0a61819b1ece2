"""Everything a caller can pass, in one table.

Each case is either stored correctly, which the test checks by fetching the
object's presigned URL from moto's server over HTTP (bytes and headers), or
rejected with a ``MediaFileStorageError`` raised from this package's own code
before any request. Requests are counted with botocore's before-call event.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from api_calls import ApiCalls
from conftest import make_client, unique_bucket_name
from s3_media_storage import S3MediaFileStorage
from s3_media_storage.ids import source_id
from test_headers import parse_filename
from test_http import fetch

MEDIA = MediaFileKind.MEDIA
DOWNLOADABLE = MediaFileKind.DOWNLOADABLE
NOBODY = 65534
UNKNOWN_ID = "0" * 64 + ".png"


@dataclass(frozen=True)
class Stored:
    """Expected object: its bytes, Content-Type and Content-Disposition."""

    body: bytes
    content_type: str
    disposition: str
    filename: str | None = None


@dataclass(frozen=True)
class Rejected:
    """Expected ``MediaFileStorageError`` whose message matches ``pattern``."""

    pattern: str


Arguments = tuple[object, object, object, object]


@dataclass(frozen=True)
class Case:
    """``make`` returns the load_and_get_id arguments, given a temporary folder."""

    make: Callable[[Path], Arguments]
    expected: Stored | Rejected


def data(
    path_or_data: object,
    mimetype: object = "image/png",
    kind: object = MEDIA,
    filename: object = None,
) -> Callable[[Path], Arguments]:
    return lambda _: (path_or_data, mimetype, kind, filename)


def named(filename: object) -> Callable[[Path], Arguments]:
    return data(b"a,b\n", "text/csv", DOWNLOADABLE, filename)


def file_at(name: str, content: bytes = b"file bytes") -> Callable[[Path], Arguments]:
    def make(folder: Path) -> Arguments:
        path = folder / name
        path.write_bytes(content)
        return str(path), "image/png", MEDIA, None

    return make


def symlink_to(target: str) -> Callable[[Path], Arguments]:
    def make(folder: Path) -> Arguments:
        if target == "file":
            (folder / "target.png").write_bytes(b"target bytes")
        if target == "folder":
            (folder / "target.png").mkdir()
        link = folder / "link.png"
        link.symlink_to(folder / "target.png")
        return str(link), "image/png", MEDIA, None

    return make


def fifo(folder: Path) -> Arguments:
    path = folder / "pipe.png"
    os.mkfifo(path)
    return str(path), "image/png", MEDIA, None


def unix_socket(folder: Path) -> Arguments:
    path = folder / "s"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()
    return str(path), "image/png", MEDIA, None


def in_folder(relative: str) -> Callable[[Path], Arguments]:
    return lambda folder: (str(folder / relative), "image/png", MEDIA, None)


def csv_of(filename: str | None) -> Stored:
    return Stored(b"a,b\n", "text/csv", "attachment", filename)


PNG = Stored(b"png", "image/png", "inline")

CASES: dict[str, Case] = {
    # Bytes.
    "empty bytes": Case(data(b""), Stored(b"", "image/png", "inline")),
    "bytearray": Case(data(bytearray(b"png")), PNG),
    "memoryview": Case(data(memoryview(b"png")), PNG),
    "none": Case(data(None), Rejected("Invalid media of type NoneType")),
    "int": Case(data(12345), Rejected("Invalid media of type int")),
    "pathlib path": Case(
        data(Path("x.png")), Rejected("Invalid media of type PosixPath")
    ),
    # File names of downloads.
    "plain name": Case(named("report.csv"), csv_of("report.csv")),
    "non-ascii name": Case(
        named("résumé – café 日本.csv"), csv_of("résumé – café 日本.csv")
    ),
    "emoji name": Case(named("emoji 🎉.csv"), csv_of("emoji 🎉.csv")),
    "quotes name": Case(named("say \"hi\" 'now'.csv"), csv_of("say \"hi\" 'now'.csv")),
    "backslash name": Case(named("back\\slash.csv"), csv_of("back\\slash.csv")),
    "crlf name": Case(
        named("a\r\nX-Injected: yes.csv"), csv_of("a\r\nX-Injected: yes.csv")
    ),
    "tab name": Case(named("tab\there.csv"), csv_of("tab\there.csv")),
    "nul name": Case(named("nul\x00.csv"), csv_of("nul\x00.csv")),
    "slashes name": Case(named("dir/sub/file.csv"), csv_of("dir/sub/file.csv")),
    "dotdot name": Case(named("../../etc/passwd"), csv_of("../../etc/passwd")),
    "dots name": Case(named(".."), csv_of("..")),
    "spaces name": Case(named("  padded  "), csv_of("  padded  ")),
    "1000 char name": Case(named("x" * 1000), csv_of("x" * 1000)),
    "empty name": Case(named(""), csv_of("streamlit_download.csv")),
    "no name": Case(named(None), csv_of("streamlit_download.csv")),
    "huge encoded name": Case(named("日" * 1000), Rejected("Filename too long")),
    "5000 char name": Case(named("x" * 5000), Rejected("Filename too long")),
    "surrogate name": Case(named("bad\udc80.csv"), Rejected("Invalid filename")),
    "int name": Case(named(7), Rejected("Invalid filename 7")),
    "media name": Case(
        data(b"png", "image/png", MEDIA, "a.png"),
        Stored(b"png", "image/png", "inline", "a.png"),
    ),
    # Mimetypes.
    "charset mimetype": Case(
        data(b"a,b\n", "text/csv; charset=utf-8", DOWNLOADABLE, "t.csv"),
        Stored(b"a,b\n", "text/csv; charset=utf-8", "attachment", "t.csv"),
    ),
    "unknown mimetype": Case(
        data(b"?", "application/x-made-up"),
        Stored(b"?", "application/x-made-up", "inline"),
    ),
    "upper mimetype": Case(
        data(b"png", "IMAGE/PNG"), Stored(b"png", "IMAGE/PNG", "inline")
    ),
    "empty mimetype": Case(
        data(b"png", ""), Stored(b"png", "application/octet-stream", "inline")
    ),
    "no subtype": Case(data(b"x", "image"), Rejected("Invalid mimetype 'image'")),
    "crlf mimetype": Case(
        data(b"x", "image/png\r\nX-Injected: 1"), Rejected("Invalid mimetype")
    ),
    "non-ascii mimetype": Case(data(b"x", "ïmage/png"), Rejected("Invalid mimetype")),
    "space mimetype": Case(data(b"x", "a b/c"), Rejected("Invalid mimetype")),
    "trailing semicolon": Case(data(b"x", "text/csv;"), Rejected("Invalid mimetype")),
    "parameter no value": Case(
        data(b"x", "text/csv; charset"), Rejected("Invalid mimetype")
    ),
    "none mimetype": Case(data(b"x", None), Rejected("Invalid mimetype None")),
    "huge mimetype": Case(
        data(b"x", "text/" + "x" * 2000), Rejected("over the limit of 1024")
    ),
    "string kind": Case(
        data(b"x", "image/png", "media"), Rejected("Invalid kind 'media'")
    ),
    # Paths.
    "file path": Case(
        file_at("clip.png"), Stored(b"file bytes", "image/png", "inline")
    ),
    "empty file": Case(file_at("empty.png", b""), Stored(b"", "image/png", "inline")),
    "odd path": Case(
        file_at("résumé \"1\" 日本 'x'.png"),
        Stored(b"file bytes", "image/png", "inline"),
    ),
    "missing path": Case(in_folder("missing.png"), Rejected("no such file")),
    "directory": Case(in_folder("."), Rejected("it is a directory")),
    "symlink": Case(symlink_to("file"), Stored(b"target bytes", "image/png", "inline")),
    "dangling symlink": Case(symlink_to("nothing"), Rejected("no such file")),
    "folder symlink": Case(symlink_to("folder"), Rejected("it is a directory")),
    "fifo": Case(fifo, Rejected("not a regular file")),
    "unix socket": Case(unix_socket, Rejected("not a regular file")),
    "device": Case(data("/dev/null"), Rejected("not a regular file")),
    "nul in path": Case(data("a\x00b.png"), Rejected("NUL character")),
    "empty path": Case(data(""), Rejected("no such file")),
    "dotdot path": Case(
        in_folder("../../../../../../nonexistent/x.png"), Rejected("no such file")
    ),
    "long path": Case(data("/" + "a" * 5000), Rejected("Cannot load media file")),
    "http url": Case(
        data("http://example.invalid/x.png"), Rejected("URLs cannot be stored")
    ),
    "https url": Case(
        data("https://example.invalid/x.png"), Rejected("URLs cannot be stored")
    ),
    "upper url": Case(
        data("HTTPS://example.invalid/x.png"), Rejected("URLs cannot be stored")
    ),
    "file url": Case(
        data("file:///etc/hostname"), Rejected("file:// URLs are not paths")
    ),
    "ftp url": Case(
        data("ftp://example.invalid/x.png"), Rejected("ftp:// URLs cannot be stored")
    ),
    "upper s3 uri": Case(
        data("S3://other-bucket/key.png"), Rejected("not an allowed source")
    ),
    "other bucket uri": Case(
        data("s3://other-bucket/key.png"), Rejected("not an allowed source")
    ),
    "empty key uri": Case(data("s3://other-bucket/"), Rejected("Invalid S3 URI")),
}


_prefix_numbers = iter(range(1_000_000))


@pytest.fixture(scope="module")
def shared_client(moto_server) -> Any:
    """One client for the table: building a client costs more than a case."""
    return make_client(moto_server.endpoint_url)


@pytest.fixture(scope="module")
def shared_bucket(shared_client) -> str:
    name = unique_bucket_name("bad-input")
    shared_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def checked_storage(shared_client, shared_bucket) -> Callable[..., Any]:
    """Build storages on the shared client, each under a prefix of its own."""

    def build(**options: Any) -> Any:
        options.setdefault("prefix", f"case-{next(_prefix_numbers)}/")
        storage = S3MediaFileStorage(shared_bucket, client=shared_client, **options)
        storage.check_bucket()
        return storage

    return build


@pytest.fixture
def count_calls(shared_client) -> Iterator[Callable[[], ApiCalls]]:
    """Count the requests from now on until the end of the test."""
    counters: list[ApiCalls] = []

    def start() -> ApiCalls:
        counters.append(ApiCalls(shared_client))
        return counters[-1]

    yield start
    for counter in counters:
        shared_client.meta.events.unregister("before-call.s3.*", counter._count)


def innermost_file(error: BaseException) -> str:
    return traceback.extract_tb(error.__traceback__)[-1].filename


@pytest.mark.parametrize("name", CASES)
def test_load_input(name: str, checked_storage, count_calls, tmp_path: Path) -> None:
    case = CASES[name]
    storage = checked_storage()
    calls = count_calls()
    arguments = case.make(tmp_path)
    expected = case.expected

    if isinstance(expected, Rejected):
        with pytest.raises(MediaFileStorageError, match=expected.pattern) as caught:
            storage.load_and_get_id(*arguments)
        assert calls.total() == 0
        assert f"{os.sep}s3_media_storage{os.sep}" in innermost_file(caught.value)
        return

    file_id = storage.load_and_get_id(*arguments)
    assert calls == {"PutObject": 1}
    status, headers, body = fetch(storage.get_url(file_id))
    assert status == 200
    assert body == expected.body
    assert headers["content-type"] == expected.content_type
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    disposition = headers["content-disposition"]
    assert re.fullmatch(r"[\x20-\x7e]+", disposition)
    assert disposition.split(";")[0] == expected.disposition
    if expected.filename is None:
        assert disposition == expected.disposition
    else:
        assert parse_filename(disposition) == expected.filename
    assert "x-injected" not in headers


def test_buffer_types_share_id(checked_storage, count_calls) -> None:
    storage = checked_storage()
    calls = count_calls()
    file_ids = {
        storage.load_and_get_id(buffer, "text/plain", DOWNLOADABLE, "")
        for buffer in (b"", bytearray(), memoryview(b""))
    }
    assert len(file_ids) == 1
    assert calls == {"PutObject": 1}


OUTSIDE_IDS: dict[str, object] = {
    "empty": "",
    "dotdot": "../x",
    "dotdot after id": UNKNOWN_ID + "/../x",
    "other prefix": "other/" + "0" * 64,
    "with prefix": "media/" + UNKNOWN_ID,
    "absolute": "/" + UNKNOWN_ID,
    "upper hex": "A" * 64 + ".png",
    "upper extension": "0" * 64 + ".PNG",
    "short hex": "0" * 63,
    "crlf": UNKNOWN_ID + "\r\nX-Injected: 1",
    "space": UNKNOWN_ID + " ",
    "query": UNKNOWN_ID + "?x=1",
    "none": None,
    "int": 5,
    "bad source id": "s3-../x",
    "other bucket source": source_id("other-bucket", "secret.png"),
}


@pytest.mark.parametrize("name", OUTSIDE_IDS)
def test_outside_id_rejected(name: str, checked_storage, count_calls) -> None:
    storage = checked_storage(delete_files=True)
    calls = count_calls()
    file_id = OUTSIDE_IDS[name]
    with pytest.raises(MediaFileStorageError) as from_get_url:
        storage.get_url(file_id)  # type: ignore[arg-type]
    with pytest.raises(MediaFileStorageError) as from_delete:
        storage.delete_file(file_id)  # type: ignore[arg-type]
    assert calls.total() == 0
    assert "media file" in str(from_get_url.value).lower()
    assert "media file" in str(from_delete.value).lower()


def test_long_id_shortened_in_message(checked_storage, count_calls) -> None:
    storage = checked_storage()
    calls = count_calls()
    with pytest.raises(MediaFileStorageError) as caught:
        storage.get_url("x" * 100_000)
    message = str(caught.value)
    assert calls.total() == 0
    assert "(100000 characters)" in message
    assert len(message) < 400


def test_unknown_id_not_found(checked_storage, count_calls) -> None:
    storage = checked_storage(delete_files=True)
    calls = count_calls()
    with pytest.raises(MediaFileStorageError) as caught:
        storage.get_url(UNKNOWN_ID)
    assert f"s3://{storage.settings.bucket}/{storage.object_key(UNKNOWN_ID)}" in str(
        caught.value
    )
    assert calls == {"HeadObject": 1}
    # Deleting an ID that does not exist is not an error: S3 returns 204.
    storage.delete_file(UNKNOWN_ID)
    assert calls == {"HeadObject": 1, "DeleteObject": 1}


def load_as_nobody(storage: Any, path: str, calls: ApiCalls) -> dict[str, Any]:
    """Call load_and_get_id in a forked child that runs as uid ``NOBODY``.

    A fork, not a new interpreter: the interpreter may live under a folder
    that ``nobody`` cannot read. The child reports the error message and its
    request count as JSON on a pipe, and always exits with ``os._exit``.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            result: dict[str, Any] = {"uid": os.getuid()}
            try:
                storage.load_and_get_id(path, "image/png", MEDIA)
                result["error"] = None
            except MediaFileStorageError as error:
                result["error"] = str(error)
            except BaseException as error:  # noqa: BLE001 - reported to the parent
                result["error"] = f"unexpected {type(error).__name__}: {error}"
            result["requests"] = calls.total()
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(
                "the child running as nobody did not finish within 30 s"
            )
        time.sleep(0.02)
    with os.fdopen(read_end, "rb") as reader:
        return json.loads(reader.read() or b"{}")


@pytest.mark.parametrize("layout", ["unreadable file", "closed folder"])
def test_unreadable_path(layout: str, checked_storage, count_calls) -> None:
    storage = checked_storage()
    # A folder of its own under the system temporary folder, because pytest's
    # tmp_path is private to root.
    folder = Path(tempfile.mkdtemp(prefix="s3-media-unreadable-"))
    try:
        path = folder / "secret.png"
        path.write_bytes(b"secret")
        if layout == "unreadable file":
            folder.chmod(0o755)
            path.chmod(0o000)
        else:
            folder.chmod(0o700)
        if os.geteuid() == 0:
            result = load_as_nobody(storage, str(path), count_calls())
        else:
            calls = count_calls()
            try:
                storage.load_and_get_id(str(path), "image/png", MEDIA)
                result = {"error": None, "requests": calls.total()}
            except MediaFileStorageError as error:
                result = {"error": str(error), "requests": calls.total()}
    finally:
        folder.chmod(0o700)
        path.chmod(0o600)
        path.unlink()
        folder.rmdir()
    assert result.get("uid", NOBODY) == NOBODY
    assert result["error"] is not None
    assert result["error"].startswith(f"Cannot load media file {str(path)!r}: ")
    assert "permission denied" in result["error"].lower()
    assert result["requests"] == 0


@pytest.mark.parametrize(
    "source",
    [
        "x" * 100_000,
        "s3://" + "b" * 100_000 + "/k",
        "s3://bucket/" + "k" * 100_000,
        "ftp://" + "h" * 100_000,
    ],
    ids=["path", "s3 bucket", "s3 key", "ftp url"],
)
def test_long_source_shortened(source: str, checked_storage, count_calls) -> None:
    storage = checked_storage()
    calls = count_calls()
    with pytest.raises(MediaFileStorageError) as caught:
        storage.load_and_get_id(source, "image/png", MediaFileKind.MEDIA)
    assert calls.total() == 0
    assert len(str(caught.value)) < 600
