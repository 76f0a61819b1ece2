"""The storages compared with s3-media-storage, each behind Streamlit's protocol.

``PlainBoto3Storage`` is the implementation a user would write with boto3:
a PutObject on every ``load_and_get_id`` and a new presigned URL on every
``get_url``. ``DjangoS3Storage`` does the same through django-storages'
``S3Storage`` (``save`` and ``url``). Both name an object after the SHA-256
of its content, as the protocol needs the same ID for the same file.
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any

import boto3.session
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorage

from bench.environment import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

EXPIRES_IN = 3600


def _object_name(digest: str, mimetype: str) -> str:
    return digest + (mimetypes.guess_extension(mimetype) or "")


def _file_digest(path: str) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class PlainBoto3Storage(MediaFileStorage):
    """Media files in S3 through a default boto3 client, with no caching."""

    def __init__(self, bucket: str, prefix: str) -> None:
        self._client = boto3.session.Session().client("s3")
        self._bucket = bucket
        self._prefix = prefix

    def warm_up(self) -> None:
        self._client.head_bucket(Bucket=self._bucket)

    def load_and_get_id(
        self,
        path_or_data: str | bytes,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None = None,
    ) -> str:
        extra_args = {"ContentType": mimetype}
        if isinstance(path_or_data, str):
            file_id = _object_name(_file_digest(path_or_data), mimetype)
            self._client.upload_file(
                path_or_data, self._bucket, self._prefix + file_id, ExtraArgs=extra_args
            )
            return file_id
        file_id = _object_name(hashlib.sha256(path_or_data).hexdigest(), mimetype)
        self._client.put_object(
            Bucket=self._bucket,
            Key=self._prefix + file_id,
            Body=path_or_data,
            **extra_args,
        )
        return file_id

    def get_url(self, file_id: str) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self._bucket, "Key": self._prefix + file_id},
                ExpiresIn=EXPIRES_IN,
            )
        )

    def delete_file(self, file_id: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=self._prefix + file_id)


def django_storages_available() -> bool:
    try:
        import django  # noqa: F401
        import storages.backends.s3  # noqa: F401
    except ImportError:
        return False
    return True


class DjangoS3Storage(MediaFileStorage):
    """Media files in S3 through django-storages' ``S3Storage``.

    Configures Django's settings in this process with no options, the
    minimum that ``S3Storage`` needs; the storage's own options name the
    endpoint, credentials and ``querystring_auth=True`` (presigned URLs).
    """

    def __init__(self, bucket: str, prefix: str, endpoint_url: str) -> None:
        from django.conf import settings

        if not settings.configured:
            settings.configure()
        from storages.backends.s3 import S3Storage

        self._storage = S3Storage(
            bucket_name=bucket,
            location=prefix.rstrip("/"),
            endpoint_url=endpoint_url,
            region_name=REGION,
            access_key=ACCESS_KEY_ID,
            secret_key=SECRET_ACCESS_KEY,
            querystring_auth=True,
            querystring_expire=EXPIRES_IN,
            signature_version="s3v4",
            addressing_style="path",
            file_overwrite=True,
            default_acl=None,
        )
        self._bucket = bucket

    def warm_up(self) -> None:
        self._storage.connection.meta.client.head_bucket(Bucket=self._bucket)

    def load_and_get_id(
        self,
        path_or_data: str | bytes,
        mimetype: str,
        kind: MediaFileKind,
        filename: str | None = None,
    ) -> str:
        from django.core.files import File
        from django.core.files.base import ContentFile

        if isinstance(path_or_data, str):
            name = _object_name(_file_digest(path_or_data), mimetype)
            with open(path_or_data, "rb") as stream:
                return str(self._storage.save(name, File(stream)))
        name = _object_name(hashlib.sha256(path_or_data).hexdigest(), mimetype)
        return str(self._storage.save(name, ContentFile(path_or_data)))

    def get_url(self, file_id: str) -> str:
        return str(self._storage.url(file_id))

    def delete_file(self, file_id: str) -> None:
        self._storage.delete(file_id)


def warm_up(storage: Any) -> None:
    """Open the storage's connection before timing, where it has one."""
    if hasattr(storage, "warm_up"):
        storage.warm_up()
    elif hasattr(storage, "check_bucket"):
        storage.check_bucket()
