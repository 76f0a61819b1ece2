"""Bucket names that S3 accepts."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["bucket_name_problem"]

# Bucket names as S3 allows them (3 to 63 lowercase letters, digits, dots and
# hyphens), plus underscores, which some self-hosted S3 servers accept.
_BUCKET_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
_IP_ADDRESS_PATTERN: Final = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")

# Prefixes and suffixes that S3 reserves, from "General purpose bucket naming
# rules" in the Amazon S3 user guide. The suffix "--x-s3" is left out, because
# it ends the names of directory buckets (S3 Express One Zone).
_RESERVED_BUCKET_PREFIXES: Final = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES: Final = ("-s3alias", "--ol-s3", ".mrap")


def bucket_name_problem(name: str) -> str | None:
    """Return why S3 rejects ``name`` as a bucket name, or None if it accepts it."""
    if not _BUCKET_PATTERN.fullmatch(name):
        return (
            "expected an S3 bucket name of 3 to 63 lowercase letters, digits,"
            " dots and hyphens, such as 'my-app-media'."
        )
    if ".." in name:
        return "S3 bucket names cannot contain two adjacent dots."
    if _IP_ADDRESS_PATTERN.fullmatch(name):
        return "S3 bucket names cannot have the form of an IP address."
    for prefix in _RESERVED_BUCKET_PREFIXES:
        if name.startswith(prefix):
            return (
                f"S3 reserves the prefix {prefix!r}, so no bucket name starts with it."
            )
    for suffix in _RESERVED_BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return (
                f"S3 reserves the suffix {suffix!r} for access points, so no bucket"
                " name ends with it."
            )
    return None
