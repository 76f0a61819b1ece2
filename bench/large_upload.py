"""One upload of a large local file, measured in a process of its own.

Run as ``python -m bench.large_upload PRODUCT PATH BUCKET PREFIX``. It prints
one JSON line: ``seconds`` of the upload and ``growth_kib``, the growth of the
peak resident size during it. Writing "5" to /proc/self/clear_refs resets the
peak (VmHWM) to the current resident size first, so the growth is the
upload's own. PRODUCT is one of ``PRODUCTS``; ``sha256`` only computes the
file ID the way s3-media-storage does, without uploading.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

from streamlit.runtime.media_file_storage import MediaFileKind

MIMETYPE = "video/mp4"
PRODUCTS = (
    "boto3 upload_file",
    "s3-media-storage",
    "plain boto3",
    "django-storages",
    "in-memory (Streamlit)",
    "sha256",
)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _prepare(product: str, path: str, bucket: str, prefix: str) -> Callable[[], object]:
    """Build the product's client and open its connection; return the upload to time."""
    from s3_media_storage import S3MediaFileStorage

    if product == "boto3 upload_file":
        from s3_media_storage.uploads import transfer_config

        storage = S3MediaFileStorage(bucket, prefix=prefix)
        client = storage.client
        client.head_bucket(Bucket=bucket)
        config = transfer_config(storage.settings.multipart_threshold)
        return lambda: client.upload_file(
            path,
            bucket,
            prefix + "upload_file.mp4",
            ExtraArgs={"ContentType": MIMETYPE},
            Config=config,
        )
    if product == "s3-media-storage":
        storage = S3MediaFileStorage(bucket, prefix=prefix)
        storage.check_bucket()
        return lambda: storage.load_and_get_id(path, MIMETYPE, MediaFileKind.MEDIA)
    if product == "plain boto3":
        from bench.products import PlainBoto3Storage

        plain = PlainBoto3Storage(bucket, prefix)
        plain.warm_up()
        return lambda: plain.load_and_get_id(path, MIMETYPE, MediaFileKind.MEDIA)
    if product == "django-storages":
        from bench.products import DjangoS3Storage

        django_storage = DjangoS3Storage(
            bucket, prefix, os.environ["AWS_ENDPOINT_URL_S3"]
        )
        django_storage.warm_up()
        return lambda: django_storage.load_and_get_id(
            path, MIMETYPE, MediaFileKind.MEDIA
        )
    if product == "in-memory (Streamlit)":
        from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

        memory = MemoryMediaFileStorage("/media")
        return lambda: memory.load_and_get_id(path, MIMETYPE, MediaFileKind.MEDIA)
    if product == "sha256":
        from s3_media_storage.ids import file_id_for_chunks
        from s3_media_storage.sources import iter_file_chunks, open_local_file

        def file_id() -> str:
            local_file = open_local_file(path)
            return file_id_for_chunks(
                iter_file_chunks(local_file),
                size=local_file.size,
                mimetype=MIMETYPE,
                kind=MediaFileKind.MEDIA,
                filename=None,
            )

        return file_id
    raise SystemExit(
        f"Unknown product {product!r}: expected one of {', '.join(PRODUCTS)}"
    )


def main() -> None:
    product, path, bucket, prefix = sys.argv[1:5]
    upload = _prepare(product, path, bucket, prefix)
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    upload()
    seconds = time.perf_counter() - started
    growth = _status_kib("VmHWM") - before
    print(json.dumps({"seconds": seconds, "growth_kib": growth}))


if __name__ == "__main__":
    main()
