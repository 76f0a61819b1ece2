"""Streamlit media files stored in S3 and served from presigned URLs.

Vocabulary: Streamlit's terms at the protocol edge (``file_id``, ``mimetype``,
``filename``, ``kind``) and boto3's inside (``bucket``, ``key``, ``prefix``,
``expires_in`` in seconds).
"""

from s3_media_storage.permissions import S3_ACTIONS
from s3_media_storage.storage import S3MediaFileStorage
from s3_media_storage.streamlit_hook import install

__all__ = ["S3_ACTIONS", "S3MediaFileStorage", "install"]
