"""Settings: validation with actionable messages, and from_env()."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from streamlit.runtime.media_file_storage import MediaFileKind, MediaFileStorageError

from s3_media_storage import S3MediaFileStorage
from s3_media_storage.environment import ENV_OPTIONS, settings_from_env
from s3_media_storage.settings import InvalidSettingError, StorageSettings

CDN = "https://d111111abcdef8.cloudfront.net"
# A stand-in for a PEM key, which no message may contain.
PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----"
)


def test_settings_defaults() -> None:
    settings = StorageSettings(bucket="my-media")
    assert settings.prefix == "media/"
    assert settings.expires_in == 3600
    assert settings.delete_files is False


@pytest.mark.parametrize("expires_in", [0, -1, 604_801, 1.5e9, True, "60"])
def test_settings_reject_expires_in(expires_in) -> None:
    with pytest.raises(MediaFileStorageError, match=r"expires_in .*from 1 to 604800 seconds"):
        StorageSettings(bucket="my-media", expires_in=expires_in)


@pytest.mark.parametrize("expires_in", [1, 604_800])
def test_settings_accept_expires_in_bounds(expires_in: int) -> None:
    assert StorageSettings(bucket="my-media", expires_in=expires_in).expires_in == expires_in


@pytest.mark.parametrize("bucket", ["", "ab", "Upper", "has space", "-start", "a" * 64, "x/y"])
def test_settings_reject_bucket(bucket: str) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid bucket"):
        StorageSettings(bucket=bucket)


@pytest.mark.parametrize(
    ("prefix", "normalized"),
    [("media/", "media/"), ("media", "media/"), ("", ""), ("a b/ü/", "a b/ü/")],
)
def test_settings_normalize_prefix(prefix: str, normalized: str) -> None:
    assert StorageSettings(bucket="my-media", prefix=prefix).prefix == normalized


@pytest.mark.parametrize("prefix", ["/abs/", "a/../b/", "..", "line\nbreak/"])
def test_settings_reject_prefix(prefix: str) -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid prefix"):
        StorageSettings(bucket="my-media", prefix=prefix)


def test_from_env_reads_variables() -> None:
    settings = settings_from_env(
        {
            "S3_MEDIA_BUCKET": "env-bucket",
            "S3_MEDIA_PREFIX": "app/media/",
            "S3_MEDIA_EXPIRES_IN": "900",
            "S3_MEDIA_DELETE_FILES": "true",
        }
    )
    assert settings.bucket == "env-bucket"
    assert settings.prefix == "app/media/"
    assert settings.expires_in == 900
    assert settings.delete_files is True


def test_from_env_missing_bucket() -> None:
    with pytest.raises(MediaFileStorageError) as caught:
        settings_from_env({})
    assert "Missing S3_MEDIA_BUCKET" in str(caught.value)
    assert "s3-media demo" in str(caught.value)


def test_from_env_names_bad_variable() -> None:
    with pytest.raises(MediaFileStorageError) as caught:
        settings_from_env({"S3_MEDIA_BUCKET": "b-1", "S3_MEDIA_EXPIRES_IN": "999999"})
    assert "S3_MEDIA_EXPIRES_IN='999999'" in str(caught.value)
    assert "604800" in str(caught.value)


def test_from_env_rejects_non_number() -> None:
    with pytest.raises(MediaFileStorageError, match="Invalid S3_MEDIA_EXPIRES_IN='soon'"):
        settings_from_env({"S3_MEDIA_BUCKET": "b-1", "S3_MEDIA_EXPIRES_IN": "soon"})


def test_from_env_rejects_bad_bool() -> None:
    with pytest.raises(MediaFileStorageError, match="S3_MEDIA_DELETE_FILES='maybe'"):
        settings_from_env({"S3_MEDIA_BUCKET": "b-1", "S3_MEDIA_DELETE_FILES": "maybe"})


def test_env_options_cover_every_setting() -> None:
    fields = {option.field for option in ENV_OPTIONS}
    assert fields == set(StorageSettings.__dataclass_fields__)


def test_readme_documents_every_variable() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for option in ENV_OPTIONS:
        assert f"`{option.name}`" in readme, option.name


def env_error(**variables: str) -> str:
    """Return the message that settings_from_env raises for the variables."""
    with pytest.raises(MediaFileStorageError) as caught:
        settings_from_env({"S3_MEDIA_BUCKET": "my-media", **variables})
    return str(caught.value)


def keyword_error(**options: object) -> str:
    """Return the message that StorageSettings raises for the keyword arguments."""
    with pytest.raises(InvalidSettingError) as caught:
        StorageSettings(bucket="my-media", **options)  # type: ignore[arg-type]
    return str(caught.value)


# Keyword arguments of the wrong Python type


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"delete_files": "false"},
            "Invalid delete_files 'false': expected a bool (True or False), not str.",
        ),
        (
            {"delete_files": 1},
            "Invalid delete_files 1: expected a bool (True or False), not int.",
        ),
        (
            {"expires_in": 60.5},
            (
                "Invalid expires_in 60.5: expected an int from 1 to 604800 seconds,"
                " not float."
            ),
        ),
        (
            {"multipart_threshold": 8388608.0},
            (
                "Invalid multipart_threshold 8388608.0: expected an int from 5242880 to"
                " 5368709120 bytes (5 MiB to 5 GiB), not float."
            ),
        ),
        (
            {"max_attempts": True},
            "Invalid max_attempts True: expected an int from 1 to 20, not bool.",
        ),
        (
            {"lifecycle_days": 7.0},
            (
                "Invalid lifecycle_days 7.0: expected an int from 1 to 36500 days,"
                " not float."
            ),
        ),
        (
            {"connect_timeout": "5"},
            (
                "Invalid connect_timeout '5': expected an int or float from 0.1 to 300"
                " seconds, not str."
            ),
        ),
        (
            {"read_timeout": False},
            (
                "Invalid read_timeout False: expected an int or float from 0.1 to 3600"
                " seconds, not bool."
            ),
        ),
        ({"retry_mode": 1}, "Invalid retry_mode 1: expected a str, not int."),
        (
            {"prefix": 5},
            "Invalid prefix 5: expected a str such as 'media/', not int.",
        ),
        ({"url_mode": 1}, "Invalid url_mode 1: expected a str or None, not int."),
        (
            {"cdn_url": b"https://cdn.example.com"},
            (
                "Invalid cdn_url b'https://cdn.example.com': expected a str or None,"
                " not bytes."
            ),
        ),
        (
            {"cloudfront_key_pair_id": 42},
            "Invalid cloudfront_key_pair_id 42: expected a str or None, not int.",
        ),
        (
            {"cloudfront_private_key": 42},
            "Invalid cloudfront_private_key (hidden): expected a str or None, not int.",
        ),
    ],
)
def test_keyword_wrong_type_rejected(options: dict[str, object], message: str) -> None:
    assert keyword_error(**options) == message


def test_bucket_wrong_type_rejected() -> None:
    with pytest.raises(InvalidSettingError) as caught:
        StorageSettings(bucket=5)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Invalid bucket 5: expected a str such as 'my-app-media', not int."
    )
    assert caught.value.field == "bucket"


def test_storage_rejects_string_delete_files() -> None:
    # Validation runs before the client is built, so this sends no request.
    with pytest.raises(MediaFileStorageError, match="expected a bool"):
        S3MediaFileStorage("my-media", delete_files="false")


@pytest.mark.parametrize(
    ("options", "field", "value"),
    [
        ({"connect_timeout": 5}, "connect_timeout", 5),
        ({"read_timeout": 2.5}, "read_timeout", 2.5),
        ({"delete_files": True}, "delete_files", True),
        ({"lifecycle_days": 7}, "lifecycle_days", 7),
    ],
)
def test_keyword_right_type_accepted(
    options: dict[str, object], field: str, value: object
) -> None:
    settings = StorageSettings(bucket="my-media", **options)  # type: ignore[arg-type]
    assert getattr(settings, field) == value


# The ID secret as str or bytes


def test_id_secret_bytes_decoded() -> None:
    settings = StorageSettings(
        bucket="my-media", id_secret="sécret-of-16-bytes".encode()
    )
    assert settings.id_secret == "sécret-of-16-bytes"


def test_id_secret_bytes_same_ids(server_storage) -> None:
    secret = "sécret-shared-by-all-replicas"
    as_text = server_storage(id_secret=secret)
    as_bytes = server_storage(id_secret=secret.encode())
    plain = server_storage()
    text_id = as_text.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    bytes_id = as_bytes.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    plain_id = plain.load_and_get_id(b"img", "image/png", MediaFileKind.MEDIA)
    assert bytes_id == text_id
    assert plain_id != text_id


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (b"short", "Invalid id_secret (hidden): expected at least 16 bytes of secret."),
        (
            b"\xff\xfe-not-utf-8-secret",
            (
                "Invalid id_secret (hidden): expected UTF-8 text, but the bytes do not"
                " decode as UTF-8."
            ),
        ),
        (
            "lone-surrogate-\udc80-secret",
            (
                "Invalid id_secret (hidden): expected text that encodes as UTF-8,"
                " without lone surrogates."
            ),
        ),
        (
            12345678901234567890,
            (
                "Invalid id_secret (hidden): expected a str or bytes of at least 16"
                " bytes, not int."
            ),
        ),
    ],
)
def test_id_secret_unusable_rejected(secret: object, message: str) -> None:
    error = keyword_error(id_secret=secret)
    assert error.startswith(message)
    assert "not-utf-8-secret" not in error
    assert "lone-surrogate" not in error
    assert "12345678901234567890" not in error


def test_prefix_lone_surrogate_rejected() -> None:
    # os.environ decodes bytes that are not UTF-8 to lone surrogates.
    assert "at most 512 bytes of UTF-8" in keyword_error(prefix="bad-\udc80/")


# Numbers in variables


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "S3_MEDIA_EXPIRES_IN",
            "1h",
            (
                "Invalid S3_MEDIA_EXPIRES_IN='1h': expected a whole number from 1 to"
                " 604800 seconds."
            ),
        ),
        (
            "S3_MEDIA_MULTIPART_THRESHOLD",
            "8MB",
            (
                "Invalid S3_MEDIA_MULTIPART_THRESHOLD='8MB': expected a whole number"
                " from 5242880 to 5368709120 bytes (5 MiB to 5 GiB)."
            ),
        ),
        (
            "S3_MEDIA_LIFECYCLE_DAYS",
            "7d",
            (
                "Invalid S3_MEDIA_LIFECYCLE_DAYS='7d': expected a whole number from 1"
                " to 36500 days."
            ),
        ),
        (
            "S3_MEDIA_MAX_ATTEMPTS",
            "2.5",
            (
                "Invalid S3_MEDIA_MAX_ATTEMPTS='2.5': expected a whole number from 1"
                " to 20."
            ),
        ),
        (
            "S3_MEDIA_CONNECT_TIMEOUT",
            "5s",
            (
                "Invalid S3_MEDIA_CONNECT_TIMEOUT='5s': expected a number from 0.1 to"
                " 300 seconds."
            ),
        ),
        (
            "S3_MEDIA_READ_TIMEOUT",
            "1m",
            (
                "Invalid S3_MEDIA_READ_TIMEOUT='1m': expected a number from 0.1 to"
                " 3600 seconds."
            ),
        ),
        (
            "S3_MEDIA_DELETE_FILES",
            "maybe",
            (
                "Invalid S3_MEDIA_DELETE_FILES='maybe': expected true or false (or 1"
                " or 0, yes or no, on or off)."
            ),
        ),
    ],
)
def test_from_env_unparsable_value_rejected(name: str, text: str, message: str) -> None:
    assert env_error(**{name: text}) == message


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "S3_MEDIA_MULTIPART_THRESHOLD",
            "1024",
            (
                "Invalid S3_MEDIA_MULTIPART_THRESHOLD='1024': expected a whole number"
                " from 5242880 to 5368709120 bytes (5 MiB to 5 GiB)."
            ),
        ),
        (
            "S3_MEDIA_MAX_ATTEMPTS",
            "21",
            "Invalid S3_MEDIA_MAX_ATTEMPTS='21': expected a whole number from 1 to 20.",
        ),
        (
            "S3_MEDIA_READ_TIMEOUT",
            "0",
            (
                "Invalid S3_MEDIA_READ_TIMEOUT='0': expected a number from 0.1 to"
                " 3600 seconds."
            ),
        ),
        (
            "S3_MEDIA_EXPIRES_IN",
            "604801",
            (
                "Invalid S3_MEDIA_EXPIRES_IN='604801': expected a whole number from 1"
                " to 604800 seconds."
            ),
        ),
    ],
)
def test_from_env_number_out_of_range(name: str, text: str, message: str) -> None:
    assert env_error(**{name: text}) == message


# Messages name variables or keywords, whichever the caller used


def test_lifecycle_error_names_keywords() -> None:
    message = keyword_error(lifecycle_days=1, expires_in=604_800)
    assert message.startswith("Invalid lifecycle_days 1: ")
    assert "expected at least 15 days for expires_in=604800" in message
    assert "or lower expires_in." in message


def test_lifecycle_error_names_variables() -> None:
    message = env_error(S3_MEDIA_LIFECYCLE_DAYS="1", S3_MEDIA_EXPIRES_IN="604800")
    assert message.startswith("Invalid S3_MEDIA_LIFECYCLE_DAYS='1': ")
    assert "expected at least 15 days for S3_MEDIA_EXPIRES_IN=604800" in message
    assert "or lower S3_MEDIA_EXPIRES_IN." in message
    assert "expires_in" not in message


def test_lifecycle_minimum_accepted() -> None:
    settings = StorageSettings(bucket="my-media", lifecycle_days=15, expires_in=604_800)
    assert settings.lifecycle_days == 15


def test_cdn_without_mode_names_variables() -> None:
    message = env_error(S3_MEDIA_CDN_URL=CDN)
    assert message.startswith("Missing S3_MEDIA_URL_MODE: a CDN URL needs a URL mode.")
    assert "Set S3_MEDIA_URL_MODE to 'cdn-signed'" in message
    assert "url_mode" not in message


def test_cdn_without_mode_names_keywords() -> None:
    message = keyword_error(cdn_url=CDN)
    assert message.startswith("Missing url_mode: a CDN URL needs a URL mode.")
    assert "Set url_mode to 'cdn-signed'" in message
    assert "S3_MEDIA_" not in message


def test_from_env_override_named_as_keyword() -> None:
    with pytest.raises(MediaFileStorageError) as caught:
        settings_from_env(
            {"S3_MEDIA_BUCKET": "my-media", "S3_MEDIA_CDN_URL": CDN},
            url_mode="cdn-signed",
        )
    message = str(caught.value)
    assert message.startswith("Missing S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID: ")
    assert "url_mode='cdn-signed' needs both" in message
    assert "S3_MEDIA_URL_MODE" not in message


def test_storage_from_env_names_variables() -> None:
    with pytest.raises(MediaFileStorageError) as caught:
        S3MediaFileStorage.from_env(
            {"S3_MEDIA_BUCKET": "my-media", "S3_MEDIA_URL_MODE": "cdn-public"}
        )
    assert str(caught.value).startswith("Missing S3_MEDIA_CDN_URL: ")


# CDN settings blame the option that is missing


def test_key_without_cdn_url_rejected() -> None:
    message = env_error(
        S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F",
        S3_MEDIA_CLOUDFRONT_PRIVATE_KEY=PRIVATE_KEY,
    )
    assert message.startswith("Missing S3_MEDIA_CDN_URL: ")
    assert "Set S3_MEDIA_CDN_URL to the distribution's URL" in message
    assert (
        "or unset S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID and"
        " S3_MEDIA_CLOUDFRONT_PRIVATE_KEY to use presigned S3 URLs." in message
    )
    assert "presigned'" not in message
    assert "secret-key-material" not in message


def test_signed_mode_missing_private_key() -> None:
    message = env_error(
        S3_MEDIA_URL_MODE="cdn-signed",
        S3_MEDIA_CDN_URL=CDN,
        S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID="K2JCJMDEHXQW5F",
    )
    assert message == (
        "Missing S3_MEDIA_CLOUDFRONT_PRIVATE_KEY: S3_MEDIA_URL_MODE='cdn-signed'"
        " needs both a CloudFront key pair ID and its RSA private key. Set"
        " S3_MEDIA_CLOUDFRONT_PRIVATE_KEY."
    )


def test_inferred_signed_missing_key_pair_id() -> None:
    message = env_error(
        S3_MEDIA_CDN_URL=CDN, S3_MEDIA_CLOUDFRONT_PRIVATE_KEY=PRIVATE_KEY
    )
    assert message.startswith("Missing S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID: ")
    assert (
        "chosen because S3_MEDIA_CDN_URL and S3_MEDIA_CLOUDFRONT_PRIVATE_KEY" in message
    )
    assert "set S3_MEDIA_URL_MODE to 'cdn-public'" in message
    assert "secret-key-material" not in message


def test_signed_mode_alone_lists_missing() -> None:
    message = env_error(S3_MEDIA_URL_MODE="cdn-signed")
    assert message.startswith(
        "Missing S3_MEDIA_CDN_URL: S3_MEDIA_URL_MODE='cdn-signed' needs the CDN's"
        " base URL"
    )
    assert (
        "Set S3_MEDIA_CDN_URL, S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID and"
        " S3_MEDIA_CLOUDFRONT_PRIVATE_KEY." in message
    )
    assert "None" not in message


def test_public_mode_alone_needs_cdn_url() -> None:
    message = env_error(S3_MEDIA_URL_MODE="cdn-public")
    assert message == (
        "Missing S3_MEDIA_CDN_URL: S3_MEDIA_URL_MODE='cdn-public' needs the CDN's"
        f" base URL, such as '{CDN}'."
    )


def test_public_mode_key_hidden() -> None:
    message = env_error(
        S3_MEDIA_URL_MODE="cdn-public",
        S3_MEDIA_CDN_URL=CDN,
        S3_MEDIA_CLOUDFRONT_PRIVATE_KEY=PRIVATE_KEY,
    )
    assert "never signed" in message
    assert "unset S3_MEDIA_CLOUDFRONT_PRIVATE_KEY." in message
    assert "secret-key-material" not in message


def test_presigned_mode_names_conflicts() -> None:
    message = keyword_error(url_mode="presigned", cloudfront_key_pair_id="K1")
    assert message.startswith("Invalid url_mode 'presigned': ")
    assert "Unset cloudfront_key_pair_id, or choose" in message


# Bucket names that S3 forbids


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("a..b", "S3 bucket names cannot contain two adjacent dots."),
        ("192.168.1.1", "S3 bucket names cannot have the form of an IP address."),
        (
            "xn--media",
            "S3 reserves the prefix 'xn--', so no bucket name starts with it.",
        ),
        (
            "sthree-media",
            "S3 reserves the prefix 'sthree-', so no bucket name starts with it.",
        ),
        (
            "amzn-s3-demo-media",
            "S3 reserves the prefix 'amzn-s3-demo-', so no bucket name starts with it.",
        ),
        (
            "media-s3alias",
            (
                "S3 reserves the suffix '-s3alias' for access points, so no bucket name"
                " ends with it."
            ),
        ),
        (
            "media--ol-s3",
            (
                "S3 reserves the suffix '--ol-s3' for access points, so no bucket name"
                " ends with it."
            ),
        ),
        (
            "media.mrap",
            (
                "S3 reserves the suffix '.mrap' for access points, so no bucket name"
                " ends with it."
            ),
        ),
    ],
)
def test_settings_reject_reserved_bucket(bucket: str, reason: str) -> None:
    with pytest.raises(InvalidSettingError) as caught:
        StorageSettings(bucket=bucket)
    assert str(caught.value) == f"Invalid bucket {bucket!r}: {reason}"


@pytest.mark.parametrize(
    "bucket", ["my_media", "media.example.com", "192.168.1", "media--usw2-az1--x-s3"]
)
def test_settings_accept_unusual_bucket(bucket: str) -> None:
    assert StorageSettings(bucket=bucket).bucket == bucket


def test_source_bucket_reason_given() -> None:
    message = keyword_error(source_buckets=["library", "a..b"])
    assert "'a..b' is not a bucket name: S3 bucket names cannot contain two" in message


def test_from_env_bucket_reason_given() -> None:
    with pytest.raises(MediaFileStorageError) as caught:
        settings_from_env({"S3_MEDIA_BUCKET": "192.168.1.1"})
    assert str(caught.value) == (
        "Invalid S3_MEDIA_BUCKET='192.168.1.1': S3 bucket names cannot have the"
        " form of an IP address."
    )


# Empty variables and the prefix


def test_from_env_empty_prefix_unset() -> None:
    settings = settings_from_env({"S3_MEDIA_BUCKET": "my-media", "S3_MEDIA_PREFIX": ""})
    assert settings.prefix == "media/"


def test_from_env_slash_prefix_top() -> None:
    settings = settings_from_env(
        {"S3_MEDIA_BUCKET": "my-media", "S3_MEDIA_PREFIX": "/"}
    )
    assert settings.prefix == ""


def test_from_env_empty_values_unset() -> None:
    environ = {option.name: "" for option in ENV_OPTIONS}
    environ["S3_MEDIA_BUCKET"] = "my-media"
    assert settings_from_env(environ) == StorageSettings(bucket="my-media")


# Unknown variables


def test_from_env_warns_unknown_variable(caplog) -> None:
    environ = {
        "S3_MEDIA_BUCKET": "my-media",
        "S3_MEDIA_EXPIRE_IN": "value-never-logged",
        "S3_MEDIA_COLOUR": "value-never-logged",
        "OTHER_VARIABLE": "1",
    }
    with caplog.at_level(logging.WARNING, logger="s3_media_storage.environment"):
        settings = settings_from_env(environ)
    assert settings.expires_in == 3600
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelno == logging.WARNING
    assert record.name == "s3_media_storage.environment"
    message = record.getMessage()
    assert "S3_MEDIA_EXPIRE_IN (did you mean S3_MEDIA_EXPIRES_IN?)" in message
    assert "S3_MEDIA_COLOUR" in message
    assert "S3_MEDIA_COLOUR (did you mean" not in message
    assert "OTHER_VARIABLE" not in message
    assert "value-never-logged" not in message


def test_from_env_lowercase_name_suggested(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="s3_media_storage.environment"):
        settings_from_env({"S3_MEDIA_BUCKET": "my-media", "s3_media_prefix": "x/"})
    assert "s3_media_prefix (did you mean S3_MEDIA_PREFIX?)" in caplog.text


def test_from_env_known_variables_quiet(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="s3_media_storage.environment"):
        settings_from_env({"S3_MEDIA_BUCKET": "my-media", "S3_MEDIA_EXPIRES_IN": "60"})
    assert caplog.records == []


def test_readme_states_enforced_ranges() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for text in ("1 to 20", "0.1 to 300", "0.1 to 3600", "1 to 36500", "5242880"):
        assert text in readme, text


@pytest.mark.parametrize(
    "cdn_url",
    [
        "https://user:hunter2@cdn.example",
        "http://localhost:x@cdn.example",
        "https://cdn.example:99999",
        "http://cdn.example",
    ],
)
def test_cdn_url_rejected(cdn_url: str) -> None:
    with pytest.raises(InvalidSettingError) as caught:
        StorageSettings(bucket="my-media", cdn_url=cdn_url, url_mode="cdn-public")
    assert "hunter2" not in str(caught.value)
    assert "Invalid cdn_url" in str(caught.value)


@pytest.mark.parametrize(
    "cdn_url", ["http://localhost:8080", "http://127.0.0.1", "http://[::1]:8080"]
)
def test_cdn_url_local_http(cdn_url: str) -> None:
    settings = StorageSettings(bucket="my-media", cdn_url=cdn_url, url_mode="cdn-public")
    assert settings.cdn_url == cdn_url
