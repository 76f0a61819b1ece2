"""A settable clock for the storage and botocore's SigV4 signer together."""

from __future__ import annotations

import datetime

import pytest


class FakeClock:
    """Seconds since the epoch, advanced only by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def install_fake_clock(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Make botocore sign at the fake clock's time, so X-Amz-Date follows it."""
    import types

    import botocore.auth

    def current_datetime(remove_tzinfo: bool = True) -> datetime.datetime:
        now = datetime.datetime.fromtimestamp(clock.now, tz=datetime.timezone.utc)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    if hasattr(botocore.auth, "get_current_datetime"):
        monkeypatch.setattr(botocore.auth, "get_current_datetime", current_datetime)
        return

    # botocore before 1.37 reads datetime.datetime.utcnow() in botocore.auth.
    class FakeDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls) -> datetime.datetime:  # type: ignore[override]
            return current_datetime()

    fake_module = types.SimpleNamespace(**vars(datetime))
    fake_module.datetime = FakeDatetime
    monkeypatch.setattr(botocore.auth, "datetime", fake_module)
