"""URLs for objects: SigV4 presigned, public on a CDN, or CloudFront signed.

Every rerun of a Streamlit script requests each URL again. The builders here
return the same URL for a file for a while, so that the browser and any CDN
cache it, and guarantee that a URL stays valid for at least
``min_validity`` seconds after it is returned. None of them sends a request.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any, Final, Protocol
from urllib.parse import quote

from s3_media_storage.cloudfront import make_signer, utc_datetime
from s3_media_storage.credentials import client_credentials, credential_expiry

__all__ = [
    "CdnPublicUrls",
    "CloudFrontSignedUrls",
    "PresignedUrls",
    "UrlBuilder",
    "quote_key",
]

_LOGGER: Final = logging.getLogger(__name__)

# Cached URLs are swept for expired entries each time this many were added.
_SWEEP_EVERY: Final = 4096


class UrlBuilder(Protocol):
    """Builds the URL the browser loads an object from."""

    min_validity: int

    def url_for(self, key: str) -> str: ...

    def forget(self, key: str) -> None: ...


def quote_key(key: str) -> str:
    """Percent-encode an object key once for a URL path, keeping its slashes."""
    return quote(key, safe="/~")


class _UrlCache:
    """URLs by key, each with the clock time until which it may be handed out."""

    def __init__(self) -> None:
        self._urls: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._added = 0

    def get(self, key: str, now: float) -> str | None:
        entry = self._urls.get(key)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

    def put(self, key: str, url: str, reuse_until: float, now: float) -> None:
        with self._lock:
            self._urls[key] = (url, reuse_until)
            self._added += 1
            if self._added % _SWEEP_EVERY == 0:
                expired = [k for k, (_, until) in self._urls.items() if until <= now]
                for expired_key in expired:
                    del self._urls[expired_key]

    def pop(self, key: str) -> None:
        with self._lock:
            self._urls.pop(key, None)


class PresignedUrls:
    """SigV4 presigned GET URLs for one bucket.

    A URL is handed out again until less than half of its lifetime remains.
    Its lifetime is ``expires_in``, cut short to the expiry of temporary
    credentials, because a presigned URL stops working when the credentials
    that signed it expire, whatever ``X-Amz-Expires`` states.
    """

    def __init__(
        self, client: Any, bucket: str, *, expires_in: int, clock: Callable[[], float]
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._expires_in = expires_in
        self._clock = clock
        self._cache = _UrlCache()
        self._warned_expiry: float | None = None
        self.min_validity = expires_in // 2

    def url_for(self, key: str) -> str:
        now = self._clock()
        url = self._cache.get(key, now)
        if url is not None:
            return url
        lifetime = self._lifetime(now)
        url = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=lifetime,
        )
        self._cache.put(key, url, now + lifetime - lifetime // 2, now)
        return url

    def forget(self, key: str) -> None:
        self._cache.pop(key)

    def _lifetime(self, now: float) -> int:
        expiry = credential_expiry(client_credentials(self._client))
        if expiry is None or expiry - now >= self._expires_in:
            return self._expires_in
        lifetime = max(1, math.floor(expiry - now))
        if self._warned_expiry != expiry:
            self._warned_expiry = expiry
            _LOGGER.warning(
                "Presigned URLs of bucket %r last %d s instead of the configured %d s,"
                " because the temporary credentials that sign them expire at %s."
                " Use credentials that live longer than S3_MEDIA_EXPIRES_IN.",
                self._bucket,
                lifetime,
                self._expires_in,
                utc_datetime(expiry).isoformat(),
            )
        return lifetime


class CdnPublicUrls:
    """Unsigned URLs ``BASE/KEY`` on a CDN that may serve every object."""

    def __init__(self, cdn_url: str, *, expires_in: int) -> None:
        self._cdn_url = cdn_url
        # These URLs never expire, but the object behind them may be refreshed
        # or expired by the lifecycle rule, which is sized by expires_in.
        self.min_validity = expires_in

    def url_for(self, key: str) -> str:
        return f"{self._cdn_url}/{quote_key(key)}"

    def forget(self, key: str) -> None:
        return None


class CloudFrontSignedUrls:
    """CloudFront signed URLs with a canned policy.

    Expiry times fall on a grid of ``expires_in // 2`` seconds, so that every
    replica emits the same URL for a file during the same interval and the
    CDN and browsers can cache it. Each URL stays valid for at least half of
    ``expires_in`` after it is returned.
    """

    def __init__(
        self,
        cdn_url: str,
        *,
        key_pair_id: str,
        private_key: str,
        expires_in: int,
        clock: Callable[[], float],
    ) -> None:
        self._cdn_url = cdn_url
        self._signer = make_signer(key_pair_id, private_key)
        self._expires_in = expires_in
        self._interval = max(1, expires_in // 2)
        self._clock = clock
        self._cache = _UrlCache()
        self.min_validity = expires_in - self._interval

    def url_for(self, key: str) -> str:
        now = self._clock()
        url = self._cache.get(key, now)
        if url is not None:
            return url
        interval_start = math.floor(now / self._interval) * self._interval
        expires_at = interval_start + self._expires_in
        url = self._signer.generate_presigned_url(
            f"{self._cdn_url}/{quote_key(key)}",
            date_less_than=utc_datetime(expires_at),
        )
        self._cache.put(key, url, interval_start + self._interval, now)
        return url

    def forget(self, key: str) -> None:
        self._cache.pop(key)


