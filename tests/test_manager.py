"""ConcurrentMediaFileManager: overlapping uploads, the stock manager's bookkeeping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError
from conftest import child_environment
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    SCRIPT_RUN_CONTEXT_ATTR_NAME,
)
from streamlit_client import run_script
from test_http import fetch

from s3_media_storage import S3MediaFileStorage
from s3_media_storage.manager import ConcurrentMediaFileManager, unsupported_reason
from s3_media_storage.streamlit_hook import use_concurrent_manager

SESSIONS = 8
IMAGES_PER_SESSION = 4
WAIT_SECONDS = 20


class GatedStorage(S3MediaFileStorage):
    """An S3 storage whose loads first call ``before_load``, to order threads."""

    before_load: Callable[[Any], object] = staticmethod(lambda data: None)

    def load_and_get_id(self, path_or_data: Any, *args: Any, **kwargs: Any) -> str:
        self.before_load(path_or_data)
        return super().load_and_get_id(path_or_data, *args, **kwargs)


def in_session(session_id: str, function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function`` in a thread that Streamlit's manager sees as ``session_id``'s.

    The manager reads only ``session_id`` from the thread's script run context.
    """
    thread = threading.current_thread()
    setattr(
        thread, SCRIPT_RUN_CONTEXT_ATTR_NAME, SimpleNamespace(session_id=session_id)
    )
    try:
        return function(*args)
    finally:
        delattr(thread, SCRIPT_RUN_CONTEXT_ATTR_NAME)


def image(session: int, index: int) -> bytes:
    return f"image {index} of session {session}".encode() * 1000


SHARED_IMAGE = b"an image that every session shows" * 1000


def add_session_files(manager: MediaFileManager, session: int) -> list[str]:
    """Add one session's images, a shared image and a download; return the URLs."""
    urls = [
        manager.add(image(session, index), "image/png", f"0.{index}")
        for index in range(IMAGES_PER_SESSION)
    ]
    urls.append(manager.add(SHARED_IMAGE, "image/png", "1.0"))
    urls.append(
        manager.add(
            b"a,b\n%d,2\n" % session,
            "text/csv",
            "2.0",
            file_name="report.csv",
            is_for_static_download=True,
        )
    )
    return urls


def run_sessions(
    manager: MediaFileManager, *, concurrently: bool
) -> dict[str, list[str]]:
    """Add every session's files, from one thread per session or one after another."""
    session_ids = [f"session-{number}" for number in range(SESSIONS)]
    if not concurrently:
        return {
            session_id: in_session(session_id, add_session_files, manager, number)
            for number, session_id in enumerate(session_ids)
        }
    with ThreadPoolExecutor(SESSIONS) as pool:
        futures = {
            session_id: pool.submit(
                in_session, session_id, add_session_files, manager, number
            )
            for number, session_id in enumerate(session_ids)
        }
        return {session_id: future.result() for session_id, future in futures.items()}


def manager_state(
    manager: MediaFileManager,
) -> tuple[dict[str, MediaFileKind], dict[str, dict[str, str]]]:
    """Return the file kinds by ID and the file IDs by session and coordinates."""
    kinds = {
        file_id: metadata.kind for file_id, metadata in manager._file_metadata.items()
    }
    coordinates = {
        session_id: dict(files)
        for session_id, files in manager._files_by_session_and_coord.items()
    }
    return kinds, coordinates


def stored_keys(client: Any, bucket: str, prefix: str) -> set[str]:
    response = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {entry["Key"].removeprefix(prefix) for entry in response.get("Contents", [])}


def object_exists(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return False
        raise
    return True


def file_id_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


@pytest.fixture
def managers(server_storage) -> tuple[MediaFileManager, ConcurrentMediaFileManager]:
    """A stock and a concurrent manager, each on its own prefix, with deletion on."""
    stock = MediaFileManager(server_storage(prefix="stock/", delete_files=True))
    concurrent = ConcurrentMediaFileManager(
        server_storage(prefix="concurrent/", delete_files=True)
    )
    return stock, concurrent


def test_concurrent_loads_overlap(server_storage, server_bucket) -> None:
    barrier = threading.Barrier(SESSIONS, timeout=WAIT_SECONDS)
    storage = GatedStorage(server_bucket)
    storage.before_load = lambda data: barrier.wait()
    manager = ConcurrentMediaFileManager(storage)
    with ThreadPoolExecutor(SESSIONS) as pool:
        futures = [
            pool.submit(
                in_session,
                f"s{number}",
                manager.add,
                image(number, 0),
                "image/png",
                "0",
            )
            for number in range(SESSIONS)
        ]
        urls = [future.result() for future in futures]
    assert len(set(urls)) == SESSIONS
    assert not barrier.broken


def test_stock_manager_loads_one_at_a_time(server_storage, server_bucket) -> None:
    barrier = threading.Barrier(2, timeout=0.5)
    storage = GatedStorage(server_bucket)
    storage.before_load = lambda data: barrier.wait()
    manager = MediaFileManager(storage)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(
                in_session,
                f"s{number}",
                manager.add,
                image(number, 0),
                "image/png",
                "0",
            )
            for number in range(2)
        ]
        errors = [future.exception() for future in futures]
    assert all(isinstance(error, threading.BrokenBarrierError) for error in errors)


def test_concurrent_state_matches_stock(managers, server_client) -> None:
    stock, concurrent = managers
    bucket = concurrent._storage.settings.bucket
    stock_urls = run_sessions(stock, concurrently=False)
    concurrent_urls = run_sessions(concurrent, concurrently=True)

    assert manager_state(concurrent) == manager_state(stock)
    kinds, coordinates = manager_state(concurrent)
    assert len(kinds) == SESSIONS * (IMAGES_PER_SESSION + 1) + 1
    assert sorted(coordinates) == [f"session-{number}" for number in range(SESSIONS)]
    assert stored_keys(server_client, bucket, "concurrent/") == set(kinds)
    for session_id, urls in concurrent_urls.items():
        file_ids = [file_id_of(url) for url in urls]
        assert file_ids == list(coordinates[session_id].values()), session_id
        assert len(urls) == len(stock_urls[session_id]), session_id
        for url in urls:
            assert urlsplit(url).path.startswith(f"/{bucket}/concurrent/"), url


def test_remove_orphaned_files_matches_stock(managers, server_client) -> None:
    stock, concurrent = managers
    bucket = concurrent._storage.settings.bucket
    run_sessions(stock, concurrently=False)
    run_sessions(concurrent, concurrently=True)

    def end_first_half(manager: MediaFileManager) -> None:
        for number in range(SESSIONS // 2):
            manager.clear_session_refs(f"session-{number}")

    def end_all(manager: MediaFileManager) -> None:
        for number in range(SESSIONS):
            manager.clear_session_refs(f"session-{number}")

    steps: list[Callable[[MediaFileManager], None]] = [
        # Half the sessions end: their own images go at once, their downloads
        # are only marked, and the shared image stays.
        end_first_half,
        MediaFileManager.remove_orphaned_files,
        end_all,
        MediaFileManager.remove_orphaned_files,
        # The second pass deletes the marked downloads.
        MediaFileManager.remove_orphaned_files,
    ]
    for number, step in enumerate(steps):
        step(stock)
        step(concurrent)
        assert manager_state(concurrent) == manager_state(stock), number
        kinds, _ = manager_state(concurrent)
        assert stored_keys(server_client, bucket, "concurrent/") == set(kinds), number
        assert stored_keys(server_client, bucket, "stock/") == set(kinds), number
    assert manager_state(concurrent) == ({}, {})


def add_old_files(manager: ConcurrentMediaFileManager) -> tuple[str, str]:
    """Add two images in a session that then ends; return their file IDs."""
    old = [
        in_session("old", manager.add, data, "image/png", f"0.{index}")
        for index, data in enumerate([b"kept" * 1000, b"orphan" * 1000])
    ]
    manager.clear_session_refs("old")
    return file_id_of(old[0]), file_id_of(old[1])


@pytest.fixture
def gated_manager(
    server_storage, server_bucket
) -> Iterator[tuple[ConcurrentMediaFileManager, SimpleNamespace]]:
    """A concurrent manager with deletion on, and its gate.

    Loads of the "kept" image from a "gated" thread set ``gate.entered``, then
    wait for ``gate.release``.
    """
    entered = threading.Event()
    release = threading.Event()
    storage = GatedStorage(server_bucket, delete_files=True)
    manager = ConcurrentMediaFileManager(storage)

    def wait_for_release(data: Any) -> None:
        if data == b"kept" * 1000 and threading.current_thread().name.startswith(
            "gated"
        ):
            entered.set()
            assert release.wait(WAIT_SECONDS)

    storage.before_load = wait_for_release
    yield manager, SimpleNamespace(entered=entered, release=release)
    release.set()


def test_deletion_waits_for_load_in_flight(gated_manager, server_client) -> None:
    manager, gate = gated_manager
    bucket = manager._storage.settings.bucket
    kept_id, orphan_id = add_old_files(manager)
    kept_key, orphan_key = f"media/{kept_id}", f"media/{orphan_id}"

    with ThreadPoolExecutor(1, thread_name_prefix="gated") as pool:
        future = pool.submit(
            in_session, "new", manager.add, b"kept" * 1000, "image/png", "0"
        )
        assert gate.entered.wait(WAIT_SECONDS)
        manager.remove_orphaned_files()
        # Both files are orphaned: the manager forgets them at once, as the
        # stock manager does, but the objects stay while the load runs.
        assert manager_state(manager)[0] == {}
        assert object_exists(server_client, bucket, kept_key)
        assert object_exists(server_client, bucket, orphan_key)
        # Another session's add meanwhile runs under the lock and succeeds.
        other_url = in_session("other", manager.add, b"other" * 1000, "image/png", "0")
        assert object_exists(server_client, bucket, orphan_key)
        gate.release.set()
        url = future.result(timeout=WAIT_SECONDS)

    assert urlsplit(url).path == f"/{bucket}/{kept_key}"
    assert object_exists(server_client, bucket, f"media/{file_id_of(other_url)}")
    kinds, coordinates = manager_state(manager)
    assert kept_id in kinds
    assert orphan_id not in kinds
    assert coordinates["new"] == {"0": kept_id}
    assert object_exists(server_client, bucket, kept_key)
    assert not object_exists(server_client, bucket, orphan_key)
    assert manager._postponed_deletions == set()
    assert manager._loads_in_flight == 0


def test_failed_load_sends_postponed_deletions(gated_manager, server_client) -> None:
    manager, gate = gated_manager
    bucket = manager._storage.settings.bucket
    kept_id, orphan_id = add_old_files(manager)
    storage = manager._storage
    wait_for_release = storage.before_load

    def fail_after_release(data: Any) -> None:
        wait_for_release(data)
        if data == b"kept" * 1000:
            raise MediaFileStorageError("upload failed")

    storage.before_load = fail_after_release
    with ThreadPoolExecutor(1, thread_name_prefix="gated") as pool:
        future = pool.submit(
            in_session, "new", manager.add, b"kept" * 1000, "image/png", "0"
        )
        assert gate.entered.wait(WAIT_SECONDS)
        manager.remove_orphaned_files()
        gate.release.set()
        with pytest.raises(MediaFileStorageError, match="upload failed"):
            future.result(timeout=WAIT_SECONDS)

    assert manager._loads_in_flight == 0
    assert manager._postponed_deletions == set()
    assert not object_exists(server_client, bucket, f"media/{kept_id}")
    assert not object_exists(server_client, bucket, f"media/{orphan_id}")


def test_deletion_off_is_not_postponed(server_storage, server_client) -> None:
    storage = server_storage()
    manager = ConcurrentMediaFileManager(storage)
    url = in_session("old", manager.add, b"data" * 1000, "image/png", "0")
    manager.clear_session_refs("old")
    manager._loads_in_flight = 1  # as if another session's upload were running
    manager.remove_orphaned_files()
    manager._loads_in_flight = 0
    file_id = file_id_of(url)
    assert manager_state(manager) == ({}, {})
    assert manager._postponed_deletions == set()
    assert object_exists(server_client, storage.settings.bucket, f"media/{file_id}")


def test_execute_deferred_matches_stock(managers) -> None:
    results = []
    for manager in managers:
        placeholder = in_session(
            "s", manager.add_deferred, lambda: "a,b\n1,2\n", None, "3.0", "report.csv"
        )
        url = manager.execute_deferred(placeholder)
        results.append((placeholder, url, manager_state(manager)))
    (stock_placeholder, _, stock_state), (placeholder, url, state) = results
    kinds, coordinates = state
    file_id = file_id_of(url)
    assert kinds == {file_id: MediaFileKind.DOWNLOADABLE}
    assert coordinates == {"s": {"3.0": placeholder}}
    assert stock_state == (kinds, {"s": {"3.0": stock_placeholder}})
    with pytest.raises(MediaFileStorageError, match="not found"):
        managers[1].execute_deferred("0" * 32)


def test_hook_uses_concurrent_manager(server_storage) -> None:
    storage = server_storage()
    runtime = SimpleNamespace(_media_file_mgr=MediaFileManager(storage))
    assert use_concurrent_manager(runtime, storage)
    assert type(runtime._media_file_mgr) is ConcurrentMediaFileManager
    assert runtime._media_file_mgr._storage is storage


def test_hook_keeps_manager_for_other_storage(caplog) -> None:
    storage = MemoryMediaFileStorage("/media")
    stock = MediaFileManager(storage)
    runtime = SimpleNamespace(_media_file_mgr=stock)
    with caplog.at_level(logging.INFO, logger="s3_media_storage"):
        assert not use_concurrent_manager(runtime, storage)
    assert runtime._media_file_mgr is stock
    assert "MemoryMediaFileStorage" in caplog.text


def test_hook_keeps_manager_without_internals(server_storage, caplog) -> None:
    storage = server_storage()
    stock = MediaFileManager(storage)
    del stock._deferred_callables
    runtime = SimpleNamespace(_media_file_mgr=stock)
    with caplog.at_level(logging.WARNING, logger="s3_media_storage"):
        assert not use_concurrent_manager(runtime, storage)
    assert runtime._media_file_mgr is stock
    assert "_deferred_callables" in caplog.text
    assert "one at a time" in caplog.text


def test_unsupported_reason_for_subclass(server_storage) -> None:
    class CustomManager(MediaFileManager):
        pass

    assert unsupported_reason(MediaFileManager(server_storage())) is None
    assert "CustomManager" in str(unsupported_reason(CustomManager(server_storage())))


_MANAGER_APP = """
import streamlit as st
from streamlit import runtime

from s3_media_storage.demo.media import png_image

st.write(type(runtime.get_instance().media_file_mgr).__name__)
st.image(png_image(16, 8))
"""


def test_run_uses_concurrent_manager(
    start_app,
    moto_server,
    server_bucket,
    tmp_path: Path,
) -> None:
    app = tmp_path / "manager_app.py"
    app.write_text(_MANAGER_APP)
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url, S3_MEDIA_BUCKET=server_bucket
    )
    port = start_app(["run", str(app)], environment)
    script_run = run_script(port)
    assert script_run.exceptions == []
    assert script_run.markdown == ["ConcurrentMediaFileManager"]
    assert len(script_run.image_urls) == 1
    status, headers, body = fetch(script_run.image_urls[0])
    assert status == 200
    assert headers["content-type"].startswith("image/")
    assert len(body) > 0
