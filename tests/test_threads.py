"""Thread safety: 32 threads share one storage, as Streamlit's script threads do.

Each thread loads, gets URLs for and deletes files with overlapping IDs against
moto's server for a few seconds. Uploads are counted per key with botocore's
``provide-client-params`` event, which fires once per API call (retries of the
same call are not counted again).

How many uploads the design admits, from ``S3MediaFileStorage._store``: one
lock per file ID serializes uploads and deletes of that ID, and an upload
first checks whether the ID is already stored. So, within one process:

- with deletion off, each ID is uploaded exactly once (a failed upload is the
  only exception, and these tests inject none);
- with deletion on, each ID is uploaded at most once more than it is deleted,
  because a delete removes the ID from the stored ones and the next load
  uploads it again.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from test_http import fetch

THREADS = 32
DURATION = 3.0
# Bounds each thread's loop even when S3 responds faster than expected.
MAX_ITERATIONS = 5_000
CONTENTS = [b"shared content %d" % number for number in range(8)]


class KeyCounter:
    """Calls per object key of one S3 operation, counted across threads."""

    def __init__(self, client: Any, operation: str) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        client.meta.events.register(
            f"provide-client-params.s3.{operation}", self._count
        )

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.counts[params["Key"]] += 1


def hammer(storage: Any, *, seed: int, errors: list[str]) -> None:
    """Load, get URLs for and delete random shared contents until the deadline."""
    rng = random.Random(seed)
    deadline = time.monotonic() + DURATION
    for _ in range(MAX_ITERATIONS):
        if time.monotonic() >= deadline:
            return
        data = rng.choice(CONTENTS)
        operation = "load_and_get_id"
        try:
            file_id = storage.load_and_get_id(data, "image/png", MediaFileKind.MEDIA)
            draw = rng.random()
            if draw < 0.5:
                operation = "get_url"
                storage.get_url(file_id)
            elif draw < 0.7:
                operation = "delete_file"
                storage.delete_file(file_id)
        except Exception as error:  # noqa: BLE001 - every failure is recorded and asserted on
            errors.append(f"{operation}: {type(error).__name__}: {error}")


def run_threads(storage: Any) -> list[str]:
    """Run ``THREADS`` threads of ``hammer`` and return their errors."""
    errors: list[str] = []
    threads = [
        threading.Thread(
            target=hammer, args=(storage,), kwargs={"seed": seed, "errors": errors}
        )
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 60)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert stuck == []
    return errors


@pytest.fixture
def storage_factory(server_storage):
    def build(**options: Any) -> Any:
        storage = server_storage(**options)
        storage.check_bucket()
        return storage

    return build


def test_threads_upload_each_id_once(
    storage_factory, server_client, server_bucket
) -> None:
    storage = storage_factory()
    puts = KeyCounter(storage.client, "PutObject")
    deletes = KeyCounter(storage.client, "DeleteObject")
    errors = run_threads(storage)
    assert errors == []
    keys = {
        storage.object_key(
            storage.load_and_get_id(data, "image/png", MediaFileKind.MEDIA)
        ): data
        for data in CONTENTS
    }
    assert set(puts.counts) == set(keys)
    for key in keys:
        assert puts.counts[key] == 1, key
    assert sum(deletes.counts.values()) == 0
    for key, data in keys.items():
        stored = server_client.get_object(Bucket=server_bucket, Key=key)["Body"].read()
        assert stored == data, key


def test_threads_with_deletion(storage_factory) -> None:
    storage = storage_factory(delete_files=True)
    puts = KeyCounter(storage.client, "PutObject")
    deletes = KeyCounter(storage.client, "DeleteObject")
    errors = run_threads(storage)
    # A thread may ask for the URL of an ID that another thread has just
    # deleted: that is "not found" by design. Nothing else may fail.
    unexpected = [
        error
        for error in errors
        if not (error.startswith("get_url:") and "not found" in error)
    ]
    assert unexpected == []
    assert sum(deletes.counts.values()) > 0
    for key, uploads in puts.counts.items():
        assert uploads <= deletes.counts[key] + 1, key
    # Quiet again: every content loads, and its URL serves it.
    for data in CONTENTS:
        file_id = storage.load_and_get_id(data, "image/png", MediaFileKind.MEDIA)
        status, _, body = fetch(storage.get_url(file_id))
        assert status == 200, file_id
        assert body == data, file_id


def test_threads_replica_get_url(storage_factory) -> None:
    writer = storage_factory()
    file_ids = [
        writer.load_and_get_id(data, "image/png", MediaFileKind.MEDIA)
        for data in CONTENTS
    ]
    reader = storage_factory()
    urls: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(THREADS, timeout=30)

    def read_all() -> None:
        barrier.wait()
        for file_id in file_ids:
            try:
                urls.append(reader.get_url(file_id))
            except MediaFileStorageError as error:
                errors.append(str(error))

    threads = [threading.Thread(target=read_all) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(urls) == THREADS * len(file_ids)
    for url in set(urls):
        status, _, _ = fetch(url)
        assert status == 200, url


def test_client_pool_fits_sessions(server_storage) -> None:
    # Every session may upload at once through ConcurrentMediaFileManager, and
    # a multipart upload sends 10 parts at a time.
    storage = server_storage()
    assert storage.client.meta.config.max_pool_connections == 50
