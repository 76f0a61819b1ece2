"""The five benchmark cases. Each returns the rows and checks it measured."""

from __future__ import annotations

import functools
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorage
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.scriptrunner_utils.script_run_context import (
    SCRIPT_RUN_CONTEXT_ATTR_NAME,
)

from bench import products
from bench.environment import endpoint
from bench.results import Check, Results, Row, Target
from s3_media_storage import S3MediaFileStorage
from s3_media_storage.manager import ConcurrentMediaFileManager

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

MEMORY = "in-memory (Streamlit)"
PLAIN = "plain boto3"
DJANGO = "django-storages"
PRODUCT = "s3-media-storage"
# The file ID of s3-media-storage alone: SHA-256 over the file, no upload.
HASH_ONLY = "sha256"
MIMETYPE = "image/png"


@dataclass(frozen=True)
class Sizes:
    """Input sizes and repeats of one run. Sizes are in bytes, times in seconds."""

    rerun_images: int
    upload_objects: int
    small_file: int
    large_file: int
    # Minimum time of one repeat of case 4, which sets its number of calls.
    url_seconds: float
    session_threads: int
    session_images: int
    # Delay per request of the endpoint of case 5.
    latency: float
    repeats: int
    large_repeats: int


FULL = Sizes(
    rerun_images=100,
    upload_objects=200,
    small_file=100 * KIB,
    large_file=GIB,
    url_seconds=0.2,
    session_threads=8,
    session_images=25,
    latency=0.020,
    repeats=5,
    large_repeats=5,
)
QUICK = Sizes(
    rerun_images=10,
    upload_objects=10,
    small_file=100 * KIB,
    large_file=16 * MIB,
    url_seconds=0.01,
    session_threads=8,
    session_images=2,
    latency=0.020,
    repeats=3,
    large_repeats=1,
)


@dataclass
class Context:
    """The bucket, the endpoints, whether django-storages runs, and a progress log."""

    bucket: str
    endpoint_url: str
    delayed_endpoint_url: str
    with_django: bool
    log: Callable[[str], None]

    def protocol_storages(self, prefix: str) -> dict[str, MediaFileStorage]:
        """Build and connect each implementation of Streamlit's protocol.

        Each one stores its objects under its own key prefix.
        """
        storages: dict[str, MediaFileStorage] = {
            MEMORY: MemoryMediaFileStorage("/media"),
            PLAIN: products.PlainBoto3Storage(self.bucket, f"{prefix}plain/"),
        }
        if self.with_django:
            storages[DJANGO] = products.DjangoS3Storage(
                self.bucket, f"{prefix}django/", self.endpoint_url
            )
        storages[PRODUCT] = S3MediaFileStorage(self.bucket, prefix=f"{prefix}product/")
        for storage in storages.values():
            products.warm_up(storage)
        return storages


def random_bytes(size: int, *seed: object) -> bytes:
    return random.Random(repr(seed)).randbytes(size)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the garbage collector, as timeit does, so that no cycle collection
    lands in one product's time. The run collects once before each case."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _time(function: Callable[..., object], *args: Any) -> float:
    """Return the seconds that ``function(*args)`` takes, with garbage collection paused."""
    with _gc_paused():
        started = time.perf_counter()
        function(*args)
        return time.perf_counter() - started


def _call_repeatedly(function: Callable[[], object], calls: int) -> None:
    for _ in range(calls):
        function()


def _rotated(names: list[str], repeat: int) -> list[str]:
    """Return ``names`` in a different order on each repeat, to spread drift."""
    shift = repeat % len(names)
    return names[shift:] + names[:shift]


# --- Case 1 ------------------------------------------------------------------------


def rerun_small_files(context: Context, sizes: Sizes) -> Results:
    """Case 1: a rerun adds images that are already stored and gets their URLs."""
    case = (
        f"1 rerun, {sizes.rerun_images} stored images of {sizes.small_file // KIB} KiB"
    )
    images = [
        random_bytes(sizes.small_file, "rerun", index)
        for index in range(sizes.rerun_images)
    ]
    storages = context.protocol_storages("case1/")

    def rerun(storage: MediaFileStorage) -> None:
        for data in images:
            storage.get_url(
                storage.load_and_get_id(data, MIMETYPE, MediaFileKind.MEDIA)
            )

    for storage in storages.values():
        rerun(storage)
    rows = {name: Row(case, name, "per image") for name in storages}
    for repeat in range(sizes.repeats):
        for name in _rotated(list(storages), repeat):
            rows[name].seconds.append(_time(rerun, storages[name]) / len(images))
    results = Results()
    results.rows.append(rows.pop(MEMORY))
    product_row = rows.pop(PRODUCT)
    for row in rows.values():
        row.reference = MEMORY
        results.rows.append(row)
    results.rows.append(
        Row(
            case,
            PRODUCT,
            "per image",
            product_row.seconds,
            MEMORY,
            Target(1.0, "no slower"),
        )
    )
    results.rows.append(
        Row(
            case,
            PRODUCT,
            "per image",
            product_row.seconds,
            PLAIN,
            Target(1 / 20, "20x faster"),
        )
    )
    return results


# --- Case 2 ------------------------------------------------------------------------


def _put_all(client: Any, bucket: str, bodies: list[bytes], repeat: int) -> None:
    for index, body in enumerate(bodies):
        client.put_object(
            Bucket=bucket,
            Key=f"case2/raw/{repeat}-{index}.png",
            Body=body,
            ContentType=MIMETYPE,
        )


def _load_all(storage: MediaFileStorage, bodies: list[bytes]) -> None:
    for body in bodies:
        storage.load_and_get_id(body, MIMETYPE, MediaFileKind.MEDIA)


def first_upload_small_files(context: Context, sizes: Sizes) -> Results:
    """Case 2: distinct small files, each uploaded for the first time.

    Every repeat uploads new bodies, so that no product finds them stored.
    """
    case = f"2 first upload, {sizes.upload_objects} objects of {sizes.small_file // KIB} KiB"
    raw = "boto3 put_object"
    storages = context.protocol_storages("case2/")
    # The product's own client and configuration, so that the ratio shows the
    # product's own work.
    client = S3MediaFileStorage(context.bucket).client
    client.head_bucket(Bucket=context.bucket)
    rows = {name: Row(case, name, "per object") for name in [raw, *storages]}
    for repeat in range(sizes.repeats):
        bodies = [
            random_bytes(sizes.small_file, "upload", repeat, index)
            for index in range(sizes.upload_objects)
        ]

        for name in _rotated(list(rows), repeat):
            if name == raw:
                seconds = _time(_put_all, client, context.bucket, bodies, repeat)
            else:
                seconds = _time(_load_all, storages[name], bodies)
            rows[name].seconds.append(seconds / len(bodies))
    results = Results()
    results.rows.append(rows.pop(raw))
    for name, row in rows.items():
        row.reference = raw
        if name == PRODUCT:
            row.target = Target(1 / 0.9, "0.9x the throughput")
        results.rows.append(row)
    return results


# --- Case 3 ------------------------------------------------------------------------


def _write_random_file(path: str, size: int) -> None:
    """Write ``size`` random bytes and flush them to disk.

    Without the flush, the kernel would write the file back during the first
    timed upload and slow that one down.
    """
    block = 64 * MIB
    with open(path, "wb") as stream:
        remaining = size
        while remaining > 0:
            stream.write(os.urandom(min(block, remaining)))
            remaining -= block
        stream.flush()
        os.fsync(stream.fileno())


def _run_child(product: str, path: str, bucket: str, prefix: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.large_upload", product, path, bucket, prefix],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"The {product} upload of {path} failed: {result.stderr.strip()}"
        )
    measured: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return measured


def _delete_prefix(client: Any, bucket: str, prefix: str) -> None:
    """Delete every object under ``prefix``, so that the S3 server frees their space."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=entry["Key"])


def large_file(context: Context, sizes: Sizes) -> Results:
    """Case 3: one large file given by its path, each upload in a child process."""
    size_text = (
        f"{sizes.large_file // GIB} GiB"
        if sizes.large_file >= GIB
        else f"{sizes.large_file // MIB} MiB"
    )
    case = f"3 large file from a path, {size_text}"
    raw = "boto3 upload_file"
    names = [raw, PRODUCT, PLAIN, MEMORY, HASH_ONLY]
    if context.with_django:
        names.insert(3, DJANGO)
    client = S3MediaFileStorage(context.bucket).client
    rows: dict[str, Row] = {}
    growth: dict[str, Check] = {}
    with tempfile.TemporaryDirectory(prefix="s3-media-bench-") as directory:
        path = os.path.join(directory, "large.mp4")
        context.log(f"writing a {size_text} file of random bytes")
        _write_random_file(path, sizes.large_file)
        # One untimed upload first, which also reads the file into the page
        # cache, so that no product pays for the first upload of the run.
        context.log("case 3, warm-up: boto3 upload_file")
        _run_child(raw, path, context.bucket, "case3/warm-up/")
        _delete_prefix(client, context.bucket, "case3/warm-up/")
        for repeat in range(sizes.large_repeats):
            for name in _rotated(names, repeat):
                prefix = f"case3/{repeat}/{names.index(name)}/"
                context.log(f"case 3, repeat {repeat + 1}: {name}")
                measured = _run_child(name, path, context.bucket, prefix)
                _delete_prefix(client, context.bucket, prefix)
                rows.setdefault(name, Row(case, name, "per file")).seconds.append(
                    measured["seconds"]
                )
                limit = 100.0 if name == PRODUCT else None
                check = growth.setdefault(
                    name, Check(case, name, "peak memory growth", "MiB", limit=limit)
                )
                check.values.append(measured["growth_kib"] / KIB)
    results = Results()
    upload = rows.pop(raw)
    results.rows.append(upload)
    hashing = rows.pop(HASH_ONLY)
    for name, row in rows.items():
        row.reference = raw
        if name == PRODUCT:
            row.target = Target(1 / 0.9, "0.9x the throughput")
        results.rows.append(row)
    hashing.reference = raw
    results.rows.append(hashing)
    results.checks.extend(check for name, check in growth.items() if name != HASH_ONLY)
    # Both lists are in repeat order, so each hash time meets the upload time
    # of its own repeat.
    share = [
        hash_seconds / upload_seconds * 100
        for hash_seconds, upload_seconds in zip(
            hashing.seconds, upload.seconds, strict=True
        )
    ]
    results.checks.append(
        Check(case, PRODUCT, "SHA-256 time / boto3 upload time", "%", share, 15.0)
    )
    return results


# --- Case 4 ------------------------------------------------------------------------


def _calls_per_repeat(function: Callable[[], object], seconds: float) -> int:
    """Return how many calls of ``function`` take about ``seconds``."""
    calls = 10
    elapsed = _time(_call_repeatedly, function, calls)
    return max(calls, int(seconds / max(elapsed / calls, 1e-9)))


def get_url_cached(context: Context, sizes: Sizes) -> Results:
    """Case 4: ``get_url`` of a file whose URL was handed out in this window."""
    case = "4 get_url of a URL handed out before"
    presign = "boto3 generate_presigned_url"
    storages = context.protocol_storages("case4/")
    data = random_bytes(sizes.small_file, "url")
    functions: dict[str, Callable[[], object]] = {}
    for name, storage in storages.items():
        file_id = storage.load_and_get_id(data, MIMETYPE, MediaFileKind.MEDIA)
        storage.get_url(file_id)
        functions[name] = functools.partial(storage.get_url, file_id)
    product = storages[PRODUCT]
    assert isinstance(product, S3MediaFileStorage)
    key = product.object_key(
        product.load_and_get_id(data, MIMETYPE, MediaFileKind.MEDIA)
    )

    def generate_presigned_url() -> object:
        return product.client.generate_presigned_url(
            "get_object", Params={"Bucket": context.bucket, "Key": key}, ExpiresIn=3600
        )

    functions[presign] = generate_presigned_url
    calls = {
        name: _calls_per_repeat(function, sizes.url_seconds)
        for name, function in functions.items()
    }
    rows = {name: Row(case, name, "per call") for name in functions}
    for repeat in range(sizes.repeats):
        for name in _rotated(list(functions), repeat):
            seconds = _time(_call_repeatedly, functions[name], calls[name])
            rows[name].seconds.append(seconds / calls[name])
    results = Results()
    results.rows.append(rows.pop(presign))
    for name, row in rows.items():
        row.reference = presign
        if name == PRODUCT:
            row.target = Target(1 / 50, "50x faster")
        results.rows.append(row)
    return results


# --- Case 5 ------------------------------------------------------------------------


def _add_images(
    manager: MediaFileManager,
    session_id: str,
    images: list[bytes],
    start: threading.Barrier,
) -> None:
    """Add ``images`` as the session ``session_id``'s script thread would.

    Streamlit's manager reads only ``session_id`` from the thread's script
    run context, so a stand-in with that attribute is enough.
    """
    thread = threading.current_thread()
    setattr(
        thread, SCRIPT_RUN_CONTEXT_ATTR_NAME, SimpleNamespace(session_id=session_id)
    )
    start.wait()
    for index, data in enumerate(images):
        manager.add(data, MIMETYPE, f"0.{index}")


def _run_sessions(manager: MediaFileManager, images: list[list[bytes]]) -> float:
    """Run one thread per session, all starting together; return the wall time."""
    start = threading.Barrier(len(images) + 1)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            _add_images(manager, f"session-{number}", images[number], start)
        except BaseException as error:
            errors.append(error)
            raise

    threads = [
        threading.Thread(target=run, args=(number,)) for number in range(len(images))
    ]
    for thread in threads:
        thread.start()
    with _gc_paused():
        start.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(
            f"A session failed to add its images: {errors[0]!r}"
        ) from errors[0]
    return elapsed


def concurrent_sessions(context: Context, sizes: Sizes) -> Results:
    """Case 5: sessions add distinct images at once through Streamlit's manager.

    Every repeat adds new images through new managers, so that no product
    finds them stored.
    """
    threads, per_thread = sizes.session_threads, sizes.session_images
    case = (
        f"5 {threads} sessions x {per_thread} images of {sizes.small_file // KIB} KiB,"
        f" {sizes.latency * 1000:g} ms per request"
    )
    stock = f"stock manager + {PRODUCT}"
    concurrent = f"concurrent manager + {PRODUCT}"
    with endpoint(context.delayed_endpoint_url):
        storages: dict[str, MediaFileStorage] = {
            f"stock manager + {MEMORY}": MemoryMediaFileStorage("/media"),
            f"stock manager + {PLAIN}": products.PlainBoto3Storage(
                context.bucket, "case5/plain/"
            ),
            stock: S3MediaFileStorage(context.bucket, prefix="case5/stock/"),
        }
        concurrent_storage = S3MediaFileStorage(
            context.bucket, prefix="case5/concurrent/"
        )
        storages[concurrent] = concurrent_storage
    for storage in storages.values():
        products.warm_up(storage)
    rows = {name: Row(case, name, "per image") for name in storages}
    for repeat in range(sizes.repeats):
        images = [
            [
                random_bytes(sizes.small_file, "sessions", repeat, thread, index)
                for index in range(per_thread)
            ]
            for thread in range(threads)
        ]
        for name in _rotated(list(storages), repeat):
            if name == concurrent:
                manager: MediaFileManager = ConcurrentMediaFileManager(
                    concurrent_storage
                )
            else:
                manager = MediaFileManager(storages[name])
            seconds = _run_sessions(manager, images)
            rows[name].seconds.append(seconds / (threads * per_thread))
    results = Results()
    results.rows.append(rows.pop(stock))
    for name, row in rows.items():
        row.reference = stock
        if name == concurrent:
            row.target = Target(1 / 4, "4x the throughput")
        results.rows.append(row)
    return results


CASES: dict[str, Callable[[Context, Sizes], Results]] = {
    "1": rerun_small_files,
    "2": first_upload_small_files,
    "3": large_file,
    "4": get_url_cached,
    "5": concurrent_sessions,
}
