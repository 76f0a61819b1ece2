"""The doctor's checks of the bucket's settings: lifecycle, public access, CORS.

Reading them needs permissions that the app's role may lack, so a denied read
is a warning, not a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from s3_media_storage.doctor.report import FAIL, PASS, WARN, CheckResult
from s3_media_storage.errors import error_code, is_access_denied

__all__ = ["check_cors", "check_lifecycle", "check_public_access"]

_PUBLIC_ACCESS_FLAGS: Final = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def _read_setting(
    storage: Any, name: str, read: Callable[[], Any], action: str, missing_code: str
) -> tuple[Any, CheckResult | None]:
    """Call ``read`` and return its response, or None and the result for a failure.

    A missing setting (``missing_code``) returns ``(None, None)``.
    """
    try:
        return read(), None
    except ClientError as error:
        code = error_code(error)
        if code == missing_code:
            return None, None
        if is_access_denied(error):
            return None, CheckResult(
                name,
                WARN,
                f"could not read it: {action} denied",
                f"Grant {action} on bucket {storage.settings.bucket!r} to the role"
                " that runs the doctor (the app itself does not need it).",
            )
        return None, CheckResult(name, WARN, f"could not read it: S3 returned {code}")
    except BotoCoreError as error:
        return None, CheckResult(name, WARN, f"could not read it: {error}")


def _rule_prefix(rule: Mapping[str, Any]) -> str | None:
    """Return the key prefix a rule applies to, or None if it also filters on more.

    A rule that filters on tags or object size covers only some objects.
    """
    if "Filter" not in rule:
        return str(rule.get("Prefix", ""))
    rule_filter = rule["Filter"]
    if "And" in rule_filter:
        conditions = rule_filter["And"]
        if set(conditions) - {"Prefix"}:
            return None
        return str(conditions.get("Prefix", ""))
    if set(rule_filter) - {"Prefix"}:
        return None
    return str(rule_filter.get("Prefix", ""))


def _covering_rules(
    storage: Any, response: Mapping[str, Any] | None
) -> list[tuple[int, str]]:
    """Return (days, rule ID) of the rules that expire all objects under the prefix."""
    prefix = storage.settings.prefix
    covering = []
    for rule in (response or {}).get("Rules", []):
        rule_prefix = _rule_prefix(rule)
        expiration = rule.get("Expiration", {})
        if (
            rule.get("Status") != "Enabled"
            or rule_prefix is None
            or "Days" not in expiration
        ):
            continue
        if prefix.startswith(rule_prefix):
            covering.append((int(expiration["Days"]), str(rule.get("ID", "(no ID)"))))
    return covering


def check_lifecycle(storage: Any) -> CheckResult:
    bucket = storage.settings.bucket
    prefix = storage.settings.prefix
    response, problem = _read_setting(
        storage,
        "lifecycle",
        lambda: storage.client.get_bucket_lifecycle_configuration(Bucket=bucket),
        "s3:GetLifecycleConfiguration",
        "NoSuchLifecycleConfiguration",
    )
    if problem is not None:
        return problem
    covering = _covering_rules(storage, response)
    if not covering:
        return CheckResult(
            "lifecycle",
            WARN,
            f"no enabled rule expires objects under {prefix!r}",
            f"Add a lifecycle rule with the prefix filter {prefix!r} and an"
            " expiration in days (terraform/ creates one), or the bucket keeps"
            " every media file forever.",
        )
    days, rule_id = min(covering)
    detail = f"rule {rule_id!r} expires objects under {prefix!r} after {days} days"
    configured = storage.settings.lifecycle_days
    if configured is None:
        return CheckResult(
            "lifecycle",
            WARN,
            detail,
            f"Set S3_MEDIA_LIFECYCLE_DAYS={days}, so that a long-running replica"
            " rewrites the objects it still hands out before the rule expires them.",
        )
    if configured > days:
        return CheckResult(
            "lifecycle",
            FAIL,
            f"{detail}, but S3_MEDIA_LIFECYCLE_DAYS={configured}",
            f"Set S3_MEDIA_LIFECYCLE_DAYS={days}: objects expire before the storage"
            " rewrites them, and their URLs break.",
        )
    if configured < days:
        return CheckResult(
            "lifecycle",
            WARN,
            f"{detail}, but S3_MEDIA_LIFECYCLE_DAYS={configured}",
            f"Set S3_MEDIA_LIFECYCLE_DAYS={days}: the storage rewrites objects"
            " that it still hands out long before the rule would expire them,"
            " with one CopyObject each time.",
        )
    return CheckResult(
        "lifecycle", PASS, f"{detail}; S3_MEDIA_LIFECYCLE_DAYS={configured}"
    )


def check_public_access(storage: Any) -> CheckResult:
    bucket = storage.settings.bucket
    response, problem = _read_setting(
        storage,
        "public access",
        lambda: storage.client.get_public_access_block(Bucket=bucket),
        "s3:GetBucketPublicAccessBlock",
        "NoSuchPublicAccessBlockConfiguration",
    )
    if problem is not None:
        return problem
    fix = (
        "Turn on all four settings of the bucket's public access block: presigned"
        " and CloudFront URLs work without public access."
    )
    if response is None:
        return CheckResult(
            "public access",
            WARN,
            "no public access block on the bucket (one on the account may still apply)",
            fix,
        )
    configuration = response.get("PublicAccessBlockConfiguration", {})
    off = [flag for flag in _PUBLIC_ACCESS_FLAGS if not configuration.get(flag)]
    if off:
        return CheckResult("public access", WARN, f"off: {', '.join(off)}", fix)
    return CheckResult(
        "public access", PASS, "all four settings of the public access block are on"
    )


def check_cors(storage: Any) -> CheckResult:
    bucket = storage.settings.bucket
    response, problem = _read_setting(
        storage,
        "cors",
        lambda: storage.client.get_bucket_cors(Bucket=bucket),
        "s3:GetBucketCORS",
        "NoSuchCORSConfiguration",
    )
    if problem is not None:
        return problem
    if response is None:
        return CheckResult(
            "cors",
            PASS,
            "no CORS rules: media elements and download links load without CORS"
            " (terraform/README.md explains the one fetch that needs it)",
        )
    origins = sorted(
        {
            origin
            for rule in response.get("CORSRules", [])
            for origin in rule.get("AllowedOrigins", [])
        }
    )
    rule_count = len(response.get("CORSRules", []))
    allowed = ", ".join(origins) or "no origin"
    return CheckResult("cors", PASS, f"{rule_count} rule(s) for {allowed}")
