"""``S3MediaFileStorage``: Streamlit's media file storage protocol on S3."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError
from streamlit.runtime.media_file_storage import (
    MediaFileKind,
    MediaFileStorage,
    MediaFileStorageError,
)

from s3_media_storage import buckets, objects, sources, uploads
from s3_media_storage.client import build_client
from s3_media_storage.errors import storage_error
from s3_media_storage.headers import CACHE_CONTROL, content_disposition
from s3_media_storage.ids import check_file_id, file_id_for_chunks
from s3_media_storage.media_types import content_type_for
from s3_media_storage.s3_sources import SourceObjects
from s3_media_storage.environment import settings_from_env
from s3_media_storage.settings import StorageSettings
from s3_media_storage.urls import (
    CdnPublicUrls,
    CloudFrontSignedUrls,
    PresignedUrls,
    UrlBuilder,
)

__all__ = ["S3MediaFileStorage"]

_LOGGER: Final = logging.getLogger(__name__)

_S3_ERRORS: Final = (ClientError, BotoCoreError, S3UploadFailedError)


# The identity of a local file's content as the file system reports it:
# resolved path, inode, size and modification time in nanoseconds.
_FileStamp = tuple[str, int, int, int]


class S3MediaFileStorage(MediaFileStorage):
    """Media files stored as S3 objects and served from presigned or CDN URLs.

    Thread-safe: Streamlit calls it from every session's script thread.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "media/",
        client: Any = None,
        expires_in: int = 3600,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        """Validate the options and build the S3 client if none is given.

        ``options`` are the other fields of ``StorageSettings``, such as
        ``delete_files``. Sends no request: the bucket is checked on first use.
        """
        known = {field.name for field in dataclasses.fields(StorageSettings)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise MediaFileStorageError(
                f"Unknown option {unknown[0]!r}: expected one of"
                f" {', '.join(sorted(known - {'bucket'}))}."
            )
        self.settings = StorageSettings(
            bucket=bucket, prefix=prefix, expires_in=expires_in, **options
        )
        self._owns_client = client is None
        if client is not None:
            _check_signature_version(client)
        self._client = build_client(self.settings) if client is None else client
        self._clock = clock
        self._transfer_config = uploads.transfer_config(self.settings.multipart_threshold)
        self._id_secret = (
            self.settings.id_secret.encode() if self.settings.id_secret else None
        )
        self._urls = self._url_builder()
        self._sources = self._source_objects()
        # file ID -> clock time at which this process last saw the object
        # written: when it uploaded it, or S3's LastModified.
        self._stored: dict[str, float] = {}
        self._stored_lock = threading.Lock()
        # One lock per file ID being uploaded, so that concurrent calls with the
        # same content upload it once while different files upload in parallel.
        self._upload_locks: dict[str, threading.Lock] = {}
        self._path_ids: dict[tuple[_FileStamp, str, MediaFileKind, str | None], str] = {}
        self._bucket_checked = False
        self._bucket_check_lock = threading.Lock()
        if self.settings.url_mode == "cdn-public" and self._id_secret is None:
            _LOGGER.warning(
                "Public CDN URLs without S3_MEDIA_ID_SECRET: anyone holding a file"
                " can compute its URL and check whether this app serves it."
            )
        if self.settings.delete_files:
            _LOGGER.warning(
                "Deletion is on for bucket %r: objects are deleted when no session"
                " of this process uses them. Run a single replica only, or other"
                " replicas will show broken media.",
                bucket,
            )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        client: Any = None,
        clock: Callable[[], float] = time.time,
    ) -> S3MediaFileStorage:
        """Build a storage from the ``S3_MEDIA_*`` environment variables.

        Raises ``MediaFileStorageError`` naming the variable that is missing or
        invalid.
        """
        settings = settings_from_env(environ)
        options = dataclasses.asdict(settings)
        return cls(options.pop("bucket"), client=client, clock=clock, **options)

    def __repr__(self) -> str:
        return (
            f"S3MediaFileStorage(bucket={self.settings.bucket!r},"
            f" prefix={self.settings.prefix!r},"
            f" expires_in={self.settings.expires_in},"
            f" url_mode={self.settings.url_mode!r})"
        )

    @property
    def min_url_validity(self) -> int:
        """Seconds for which every URL stays valid after ``get_url`` returns it.

        Temporary credentials that expire sooner shorten presigned URLs below
        this; a WARNING is logged when they do.
        """
        return self._urls.min_validity

    def _url_builder(self) -> UrlBuilder:
        settings = self.settings
        if settings.url_mode == "cdn-public":
            assert settings.cdn_url is not None
            return CdnPublicUrls(settings.cdn_url, expires_in=settings.expires_in)
        if settings.url_mode == "cdn-signed":
            assert settings.cdn_url is not None
            assert settings.cloudfront_key_pair_id is not None
            assert settings.cloudfront_private_key is not None
            return CloudFrontSignedUrls(
                settings.cdn_url,
                key_pair_id=settings.cloudfront_key_pair_id,
                private_key=settings.cloudfront_private_key,
                expires_in=settings.expires_in,
                clock=self._clock,
            )
        return self._presigned_urls(settings.bucket)

    def _source_objects(self) -> SourceObjects:
        allowed = {self.settings.bucket, *self.settings.source_buckets}
        return SourceObjects(self._client, allowed, self._presigned_urls)

    def _presigned_urls(self, bucket: str) -> PresignedUrls:
        return PresignedUrls(
            self._client, bucket, expires_in=self.settings.expires_in, clock=self._clock
        )

    @property
    def client(self) -> Any:
        return self._client

    def object_key(self, file_id: str) -> str:
        """Return the object key of ``file_id``; raise if the ID is malformed."""
        return self.settings.prefix + check_file_id(file_id)

    # --- MediaFileStorage protocol -------------------------------------------

    def load_and_get_id(
        self,
        path_or_data: str | bytes,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None = None,
    ) -> str:
        """Store the bytes or the file at a path, and return its file ID.

        Sends nothing when this process already stored the same ID.
        """
        content_type = content_type_for(mimetype)
        extra_args = {
            "ContentType": content_type,
            "ContentDisposition": content_disposition(kind, filename, mimetype),
            "CacheControl": CACHE_CONTROL,
        }
        if isinstance(path_or_data, bytes | bytearray | memoryview):
            data = bytes(path_or_data)
            file_id = self._file_id([data], len(data), mimetype, kind, filename)
            if not self._is_stored(file_id):
                self._store(
                    file_id,
                    len(data),
                    lambda key: uploads.upload_bytes(
                        self._client,
                        self.settings.bucket,
                        key,
                        data,
                        extra_args,
                        self._transfer_config,
                    ),
                )
            return file_id
        # URI schemes are case-insensitive (RFC 3986), so S3:// is a source too.
        if isinstance(path_or_data, str) and path_or_data[:5].lower() == "s3://":
            return self._sources.load(path_or_data)
        if isinstance(path_or_data, str):
            return self._load_path(path_or_data, mimetype, kind, filename, extra_args)
        raise MediaFileStorageError(
            f"Invalid media of type {type(path_or_data).__name__}: expected bytes"
            " or the path of a local file as a string."
        )

    def get_url(self, file_id: str) -> str:
        """Return the URL the browser loads ``file_id`` from.

        Sends no request for an ID that this process stored or found before,
        unless the object must be refreshed before the lifecycle rule expires
        it. For another ID, one HeadObject confirms that the object exists.
        """
        if isinstance(file_id, str) and file_id.startswith("s3-"):
            return self._sources.url(file_id)
        key = self.object_key(file_id)
        written_at = self._stored.get(file_id)
        if written_at is None:
            self._check_bucket()
            written_at = self._confirm_exists(file_id, key)
        refresh_after = self.settings.refresh_after
        if refresh_after is not None and self._clock() - written_at >= refresh_after:
            self._refresh(file_id, key, refresh_after)
        try:
            return self._urls.url_for(key)
        except BotoCoreError as error:
            raise storage_error(
                error, bucket=self.settings.bucket, key=key, action="s3:GetObject"
            ) from error

    def delete_file(self, file_id: str) -> None:
        """Delete the object if deletion is on; otherwise keep it for other replicas.

        Deleting an unknown ID, or one ID twice, is not an error. Objects named
        by ``s3://`` sources are never deleted.
        """
        if isinstance(file_id, str) and file_id.startswith("s3-"):
            self._sources.location(file_id)
            return
        key = self.object_key(file_id)
        if not self.settings.delete_files:
            _LOGGER.debug("Keeping %s: deletion is off, other replicas may show it", file_id)
            return
        # Holding the upload lock keeps a concurrent upload of the same ID from
        # marking it stored after this delete removed the object.
        with self._upload_lock(file_id):
            with self._stored_lock:
                self._stored.pop(file_id, None)
            self._urls.forget(key)
            try:
                self._client.delete_object(Bucket=self.settings.bucket, Key=key)
            except _S3_ERRORS as error:
                _LOGGER.warning("Delete of s3://%s/%s failed: %s", self.settings.bucket, key, error)
                raise storage_error(
                    error, bucket=self.settings.bucket, key=key, action="s3:DeleteObject"
                ) from error
        _LOGGER.debug("Deleted %s from s3://%s/%s", file_id, self.settings.bucket, key)

    def get_file(self, file_id: str) -> Any:
        """Raise: the files are served from S3, not from Streamlit's /media route."""
        raise MediaFileStorageError(
            f"Media file {file_id!r} is stored in S3 and is not served from /media."
        )

    # --- Checks ----------------------------------------------------------------

    def check_bucket(self) -> None:
        """Check that the bucket exists and match the client to its region.

        Sends one HeadBucket. A client that this storage built is rebuilt for
        the bucket's region. A client passed in for another region raises
        ``MediaFileStorageError`` naming both regions.
        """
        region = buckets.bucket_region(self._client, self.settings.bucket)
        client_region = self._client.meta.region_name
        if region is not None and region != client_region:
            self._use_region(region, client_region)
        self._bucket_checked = True

    def _use_region(self, region: str, client_region: str) -> None:
        if not self._owns_client:
            raise buckets.region_mismatch_error(self.settings.bucket, region, client_region)
        _LOGGER.info(
            "Bucket %r is in region %s, not %s: signing for %s.",
            self.settings.bucket,
            region,
            client_region,
            region,
        )
        self._client = build_client(self.settings, region=region)
        self._urls = self._url_builder()
        self._sources = self._source_objects()

    def _check_bucket(self) -> None:
        if self._bucket_checked:
            return
        with self._bucket_check_lock:
            if not self._bucket_checked:
                self.check_bucket()

    # --- Helpers -----------------------------------------------------------------

    def _file_id(
        self,
        chunks: Iterable[bytes],
        size: int,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None,
    ) -> str:
        return file_id_for_chunks(
            chunks,
            size=size,
            mimetype=mimetype,
            kind=kind,
            filename=filename,
            secret=self._id_secret,
        )

    def _load_path(
        self,
        path: str,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None,
        extra_args: dict[str, str],
    ) -> str:
        local_file = sources.open_local_file(path)
        if local_file.size < self.settings.multipart_threshold:
            return self.load_and_get_id(
                sources.read_small_file(local_file), mimetype, kind, filename
            )
        stamp = _file_stamp(path)
        cache_key = (stamp, mimetype, kind, filename)
        file_id = self._path_ids.get(cache_key)
        if file_id is None:
            chunks = sources.iter_file_chunks(local_file)
            file_id = self._file_id(chunks, local_file.size, mimetype, kind, filename)
            self._path_ids[cache_key] = file_id
        if not self._is_stored(file_id):
            self._store(
                file_id,
                local_file.size,
                lambda key: uploads.upload_file(
                    self._client,
                    self.settings.bucket,
                    key,
                    path,
                    extra_args,
                    self._transfer_config,
                ),
                skip_if_exists=True,
            )
        return file_id

    def _is_stored(self, file_id: str) -> bool:
        return file_id in self._stored

    def _mark_stored(self, file_id: str, written_at: float | None = None) -> None:
        with self._stored_lock:
            self._stored[file_id] = self._clock() if written_at is None else written_at

    def _store(
        self,
        file_id: str,
        size: int,
        upload: Callable[[str], None],
        *,
        skip_if_exists: bool = False,
    ) -> None:
        """Upload once per process; with ``skip_if_exists``, not even once if S3 has it.

        A body at or above the multipart threshold is checked with HeadObject
        first, so that a large file that another replica uploaded is not sent
        again.
        """
        key = self.settings.prefix + file_id
        self._check_bucket()
        with self._upload_lock(file_id):
            if self._is_stored(file_id):
                return
            large = skip_if_exists or size >= self.settings.multipart_threshold
            existing = self._head(key) if large else None
            if existing is not None:
                _LOGGER.debug("Found %s at s3://%s/%s, not uploading", file_id, self.settings.bucket, key)
                self._mark_stored(file_id, existing["LastModified"].timestamp())
            else:
                self._upload(file_id, key, size, upload)
                self._mark_stored(file_id)

    def _upload_lock(self, file_id: str) -> threading.Lock:
        """Return the lock that serializes uploads and deletes of ``file_id``.

        Locks are kept, one per ID, like the IDs in ``_stored``: removing one
        while a thread waits on it would let a second thread upload the same ID
        at the same time under a new lock.
        """
        with self._stored_lock:
            return self._upload_locks.setdefault(file_id, threading.Lock())

    def _upload(self, file_id: str, key: str, size: int, upload: Callable[[str], None]) -> None:
        started = time.perf_counter()
        try:
            upload(key)
        except _S3_ERRORS as error:
            _LOGGER.warning(
                "Upload of %s to s3://%s/%s failed: %s", file_id, self.settings.bucket, key, error
            )
            raise storage_error(
                error, bucket=self.settings.bucket, key=key, action="s3:PutObject"
            ) from error
        _LOGGER.debug(
            "Uploaded %s (%d bytes) to s3://%s/%s in %.3f s",
            file_id,
            size,
            self.settings.bucket,
            key,
            time.perf_counter() - started,
        )

    def _head(self, key: str) -> dict[str, Any] | None:
        return objects.head_object(self._client, self.settings.bucket, key)

    def _confirm_exists(self, file_id: str, key: str) -> float:
        """Check that the object of a file ID from elsewhere exists; return its age base."""
        response = self._head(key)
        if response is None:
            raise MediaFileStorageError(
                f"Media file {file_id!r} not found at"
                f" s3://{self.settings.bucket}/{key}. It was never stored, or the"
                " bucket's lifecycle rule expired it: add the media again."
            )
        written_at = float(response["LastModified"].timestamp())
        self._mark_stored(file_id, written_at)
        return written_at

    def _refresh(self, file_id: str, key: str, refresh_after: float) -> None:
        """Rewrite an object that the lifecycle rule would soon expire.

        Holds the ID's upload lock, so that concurrent calls refresh it once and
        a delete or upload of the same ID waits. An object that already expired
        raises ``MediaFileStorageError``, and the next load uploads it again.
        """
        with self._upload_lock(file_id):
            written_at = self._stored.get(file_id)
            if written_at is not None and self._clock() - written_at < refresh_after:
                return
            response = self._head(key)
            if response is None:
                with self._stored_lock:
                    self._stored.pop(file_id, None)
                raise MediaFileStorageError(
                    f"Media file {file_id!r} expired at"
                    f" s3://{self.settings.bucket}/{key} under the bucket's lifecycle"
                    " rule before it could be refreshed: add the media again, and"
                    " check that S3_MEDIA_LIFECYCLE_DAYS matches the rule."
                )
            objects.refresh_object(
                self._client, self.settings.bucket, key, response, self._transfer_config
            )
            self._mark_stored(file_id)


def _check_signature_version(client: Any) -> None:
    """Reject a client that presigns with the legacy SigV2 signer.

    botocore still picks SigV2 for presigned URLs in some regions unless the
    client's config names ``s3v4``. Presigning is local, so this sends nothing.
    """
    try:
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": "probe", "Key": "probe"}, ExpiresIn=60
        )
    except BotoCoreError:
        return  # No credentials yet: the first real request reports that.
    if "X-Amz-Algorithm=AWS4-HMAC-SHA256" not in url:
        raise MediaFileStorageError(
            "The S3 client presigns URLs with the legacy SigV2 signer, which newer"
            " regions reject. Pass a client made with"
            " botocore.config.Config(signature_version='s3v4'), or pass none."
        )


def _file_stamp(path: str) -> _FileStamp:
    status = os.stat(path)
    return (os.path.realpath(path), status.st_ino, status.st_size, status.st_mtime_ns)
