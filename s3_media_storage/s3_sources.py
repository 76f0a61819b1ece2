"""Objects that are already in S3, named by ``s3://bucket/key``.

Streamlit passes a path it cannot open to the storage, because the storage
"may have access to files that Streamlit does not". Such an object is served
through a presigned URL, never downloaded or copied, and only from the
storage's own bucket or buckets on an allow-list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.ids import parse_s3_uri, parse_source_id, source_id
from s3_media_storage.objects import head_object
from s3_media_storage.urls import PresignedUrls

__all__ = ["SourceObjects"]


class SourceObjects:
    """The ``s3://`` objects a storage serves, with one URL builder per bucket."""

    def __init__(
        self,
        client: Any,
        allowed_buckets: set[str],
        presigned_urls: Callable[[str], PresignedUrls],
    ) -> None:
        self._client = client
        self._allowed_buckets = allowed_buckets
        self._presigned_urls = presigned_urls
        self._known: set[str] = set()
        self._urls: dict[str, PresignedUrls] = {}
        self._lock = threading.Lock()

    def load(self, uri: str) -> str:
        """Return the file ID of the object at ``uri`` after checking it exists."""
        bucket, key = parse_s3_uri(uri)
        self._check_bucket(bucket, uri)
        file_id = source_id(bucket, key)
        self._confirm(file_id, bucket, key)
        return file_id

    def url(self, file_id: str) -> str:
        """Return a presigned URL for a source ID, from this or another replica."""
        bucket, key = self.location(file_id)
        self._confirm(file_id, bucket, key)
        with self._lock:
            urls = self._urls.get(bucket)
            if urls is None:
                urls = self._urls[bucket] = self._presigned_urls(bucket)
        return urls.url_for(key)

    def location(self, file_id: str) -> tuple[str, str]:
        """Return the bucket and key of a source ID, or raise if it is not allowed."""
        location = parse_source_id(file_id)
        if location is None:
            raise MediaFileStorageError(
                f"Invalid media file ID {file_id!r}: not an ID returned by"
                " load_and_get_id."
            )
        self._check_bucket(location[0], f"media file {file_id!r}")
        return location

    def _confirm(self, file_id: str, bucket: str, key: str) -> None:
        """Send HeadObject once per process for each source."""
        if file_id in self._known:
            return
        if head_object(self._client, bucket, key) is None:
            raise MediaFileStorageError(
                f"Media file s3://{bucket}/{key} not found: check the bucket and key,"
                " and that the app may read it."
            )
        with self._lock:
            self._known.add(file_id)

    def _check_bucket(self, bucket: str, what: str) -> None:
        if bucket not in self._allowed_buckets:
            raise MediaFileStorageError(
                f"Cannot serve {what} from bucket {bucket!r}: it is not an allowed"
                " source bucket. Add it to S3_MEDIA_SOURCE_BUCKETS (the"
                " source_buckets option) and grant the app s3:GetObject on it."
            )
