"""Expiry of the temporary credentials that sign presigned URLs."""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["client_credentials", "credential_expiry"]


def client_credentials(client: Any) -> Any:
    """Return the botocore credentials object that ``client`` signs with, or None."""
    # NOTE: botocore has no public accessor for a client's credentials. The
    # request signer's attribute has been stable since botocore 1.x; if it goes
    # away, URLs are no longer capped by credential expiry.
    signer = getattr(client, "_request_signer", None)
    return getattr(signer, "_credentials", None)


def credential_expiry(credentials: Any) -> float | None:
    """Return when ``credentials`` expire, in seconds since the epoch (UTC).

    Long-term access keys never expire and return None. Refreshable ones (an
    assumed role, an instance or container role, SSO) are first refreshed if
    botocore would refresh them before signing, so the expiry is that of the
    credentials the next URL is signed with.
    """
    if credentials is None:
        return None
    freeze = getattr(credentials, "get_frozen_credentials", None)
    if freeze is not None:
        freeze()
    expiry = getattr(credentials, "_expiry_time", None)
    if not isinstance(expiry, datetime.datetime):
        return None
    if expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=datetime.timezone.utc)
    return expiry.timestamp()
