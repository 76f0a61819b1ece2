"""Settings: validation with actionable messages, and from_env()."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError

from s3_media_storage.settings import ENV_OPTIONS, StorageSettings, settings_from_env


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
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for option in ENV_OPTIONS:
        assert f"`{option.name}`" in readme, option.name
