"""The doctor's report: one result per check, the redaction of secrets, the table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

__all__ = ["FAIL", "PASS", "SKIP", "WARN", "CheckResult", "Redactor", "format_report"]

PASS: Final = "pass"
WARN: Final = "warn"
FAIL: Final = "fail"
SKIP: Final = "skip"


@dataclass(frozen=True)
class CheckResult:
    """One row of the report: the check, its status, what it found and the fix."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class Redactor:
    """Replaces secrets and URL query strings in text that is about to be printed."""

    secrets: set[str] = field(default_factory=set)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self.secrets.add(value)

    def __call__(self, text: str) -> str:
        # A query string may carry a signature, a credential or a token.
        text = re.sub(r"(https?://[^\s?'\"]*)\?[^\s'\"]*", r"\1?(query hidden)", text)
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, "(hidden)")
        return text


def format_report(results: list[CheckResult], redactor: Redactor) -> str:
    """Return the table of checks, then one fix line per warning and failure."""
    width = max(len(result.name) for result in results)
    lines = [f"{'check':<{width}}  status  detail"]
    for result in results:
        lines.append(
            f"{result.name:<{width}}  {result.status:<6}  {redactor(result.detail)}"
        )
    fixes = [
        result for result in results if result.fix and result.status in (WARN, FAIL)
    ]
    if fixes:
        lines += ["", "Fixes:"]
        for result in fixes:
            lines.append(f"  {result.name} ({result.status}): {redactor(result.fix)}")
    failed = sum(result.status == FAIL for result in results)
    warned = sum(result.status == WARN for result in results)
    warnings = "warning" if warned == 1 else "warnings"
    lines += ["", f"{failed} failed, {warned} {warnings}."]
    return "\n".join(lines)
