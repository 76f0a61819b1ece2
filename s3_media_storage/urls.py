"""Presigned URLs, reused within a window so that reruns see the same URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["PresignedUrlCache"]


class PresignedUrlCache:
    """SigV4 presigned GET URLs, each reused while enough validity remains.

    A URL is handed out again until less than ``min_validity`` seconds of its
    ``expires_in`` remain, then a new one is signed. So each URL stays valid for
    at least ``min_validity`` seconds after ``url_for`` returns it, and a
    browser sees the same URL across reruns instead of fetching it again.
    Signing is local: ``url_for`` never sends a request.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        expires_in: int,
        clock: Callable[[], float],
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._expires_in = expires_in
        self._clock = clock
        self.min_validity = expires_in // 2
        self._urls: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def url_for(self, key: str) -> str:
        now = self._clock()
        with self._lock:
            cached = self._urls.get(key)
        if cached is not None and cached[1] - now >= self.min_validity:
            return cached[0]
        url = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=self._expires_in,
        )
        with self._lock:
            self._urls[key] = (url, now + self._expires_in)
        return url

    def forget(self, key: str) -> None:
        with self._lock:
            self._urls.pop(key, None)
