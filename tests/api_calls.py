"""Counting the S3 operations a client sends, in the spirit of an API-call assertion."""

from __future__ import annotations

from collections import Counter
from typing import Any


class ApiCalls(Counter[str]):
    """Operation name -> number of requests, filled by botocore's before-call event."""

    def __init__(self, client: Any) -> None:
        super().__init__()
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self[model.name] += 1

    def total(self) -> int:
        return sum(self.values())
