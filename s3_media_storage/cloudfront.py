"""CloudFront signed URLs with a canned policy, signed with an RSA key."""

from __future__ import annotations

import datetime
import os
from typing import Any

from botocore.signers import CloudFrontSigner
from streamlit.runtime.media_file_storage import MediaFileStorageError

__all__ = ["load_private_key", "make_signer"]


def _key_bytes(private_key: str) -> bytes:
    """Return the PEM bytes of ``private_key``, given as PEM text or a file path."""
    if "-----BEGIN" in private_key:
        return private_key.encode()
    try:
        with open(os.path.expanduser(private_key), "rb") as stream:
            return stream.read()
    except OSError as error:
        raise MediaFileStorageError(
            "Cannot read the CloudFront private key: it is not PEM text, and"
            f" opening it as a file failed ({error.strerror}). Set"
            " S3_MEDIA_CLOUDFRONT_PRIVATE_KEY to the PEM text or to the path of a"
            " PEM file."
        ) from None


def load_private_key(private_key: str) -> Any:
    """Load an unencrypted RSA private key; the message never shows the key."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError as error:
        raise MediaFileStorageError(
            "CloudFront signed URLs need the cryptography package: pip install"
            " 's3-media-storage[cloudfront]'."
        ) from error
    try:
        key = load_pem_private_key(_key_bytes(private_key), password=None)
    except (ValueError, TypeError) as error:
        raise MediaFileStorageError(
            "Invalid CloudFront private key: it is not an unencrypted PEM private"
            f" key ({type(error).__name__}). Give the private half of the key pair"
            " whose public key is in the distribution's trusted key group."
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise MediaFileStorageError(
            "Invalid CloudFront private key: CloudFront signs with RSA keys, and"
            f" this is a {type(key).__name__}."
        )
    return key


def make_signer(key_pair_id: str, private_key: str) -> CloudFrontSigner:
    """Return botocore's CloudFront signer, signing with RSA-SHA1 as CloudFront requires."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = load_private_key(private_key)

    def rsa_signer(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront's canned policy signature is RSA-SHA1

    return CloudFrontSigner(key_pair_id, rsa_signer)


def utc_datetime(timestamp: float) -> datetime.datetime:
    """Return an aware UTC datetime, so no local time zone enters the policy."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
