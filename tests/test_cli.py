"""The s3-media command: a real Streamlit server whose media come from S3."""

from __future__ import annotations

import socket
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from conftest import APPS_DIR, child_environment, s3_media_command
from s3_media_storage.demo.media import mp4_video, wav_sound
from streamlit_client import run_script
from test_http import fetch


def test_run_serves_media_from_s3(start_app, moto_server, server_bucket) -> None:
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url, S3_MEDIA_BUCKET=server_bucket
    )
    port = start_app(["run", str(APPS_DIR / "media_app.py")], environment)
    script_run = run_script(port)
    assert script_run.exceptions == []
    media = {
        "image": script_run.image_urls,
        "audio": script_run.audio_urls,
        "video": script_run.video_urls,
        "download": script_run.download_urls,
    }
    for kind, urls in media.items():
        assert len(urls) == 1, kind
        assert urls[0].startswith(f"{moto_server.endpoint_url}/{server_bucket}/media/"), kind
        assert "X-Amz-Signature=" in urls[0], kind
    _, _, audio = fetch(script_run.audio_urls[0])
    _, _, video = fetch(script_run.video_urls[0])
    status, headers, download = fetch(script_run.download_urls[0])
    assert audio == wav_sound(seconds=0.5)
    assert video == mp4_video()
    assert status == 200
    assert download == b"a,b\n1,2\n"
    assert headers["content-disposition"] == (
        "attachment; filename=\"naive _report_.csv\"; filename*=UTF-8''na%C3%AFve%20%22report%22.csv"
    )
    status, headers, image = fetch(script_run.image_urls[0])
    assert status == 200
    assert headers["content-type"].startswith("image/")
    assert len(image) > 0


@pytest.mark.skipif(
    not hasattr(__import__("streamlit"), "App"), reason="this Streamlit has no st.App"
)
def test_run_serves_st_app(start_app, moto_server, server_bucket) -> None:
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url, S3_MEDIA_BUCKET=server_bucket
    )
    port = start_app(["run", str(APPS_DIR / "asgi_app.py")], environment)
    script_run = run_script(port)
    assert script_run.exceptions == []
    assert len(script_run.audio_urls) == 1
    url = script_run.audio_urls[0]
    assert urlsplit(url).path.startswith(f"/{server_bucket}/media/")
    _, _, audio = fetch(url)
    assert audio == wav_sound(seconds=0.25)


def test_demo_serves_media_from_local_s3(start_app) -> None:
    port = start_app(["demo"], child_environment())
    script_run = run_script(port)
    assert script_run.exceptions == []
    urls = [
        *script_run.image_urls,
        *script_run.audio_urls,
        *script_run.video_urls,
        *script_run.download_urls,
    ]
    assert len(urls) == 4
    hosts = {urlsplit(url).hostname for url in urls}
    assert hosts == {"127.0.0.1"}
    assert {urlsplit(url).port for url in urls} != {port}
    for url in urls:
        status, _, body = fetch(url)
        assert status == 200, url
        assert len(body) > 0, url
    _, headers, _ = fetch(script_run.download_urls[0])
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9" in headers["content-disposition"]


def test_run_without_bucket_stops_early() -> None:
    result = subprocess.run(
        s3_media_command("run", str(APPS_DIR / "media_app.py")),
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "S3_MEDIA_BUCKET" in result.stderr
    assert "s3-media demo" in result.stderr
    assert "You can now view" not in result.stdout


def test_run_with_missing_bucket_stops_early(moto_server) -> None:
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url, S3_MEDIA_BUCKET="missing-bucket-x"
    )
    result = subprocess.run(
        s3_media_command("run", str(APPS_DIR / "media_app.py")),
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "HeadBucket failed for bucket 'missing-bucket-x'" in result.stderr
    assert "does not exist" in result.stderr


def test_help_describes_commands() -> None:
    result = subprocess.run(
        s3_media_command("--help"), capture_output=True, text=True, timeout=60, check=True
    )
    assert "run" in result.stdout
    assert "demo" in result.stdout
    demo_help = subprocess.run(
        s3_media_command("demo", "--help"), capture_output=True, text=True, timeout=60, check=True
    )
    assert "--s3-port" in demo_help.stdout
    assert "127.0.0.1" in demo_help.stdout


def test_install_rejects_running_runtime(monkeypatch) -> None:
    from streamlit.runtime.runtime import Runtime

    from s3_media_storage import install

    monkeypatch.setattr(Runtime, "_instance", object())
    with pytest.raises(MediaFileStorageError, match="before Streamlit starts"):
        install(MemoryMediaFileStorage("/media"))


def test_install_rejects_non_storage() -> None:
    from s3_media_storage import install

    with pytest.raises(MediaFileStorageError, match="Invalid storage object"):
        install(object())  # type: ignore[arg-type]


def run_command(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        s3_media_command(*arguments),
        env=child_environment(**variables),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_missing_script_stops_early(moto_server, server_bucket) -> None:
    result = run_command(
        "run",
        "missing_app.py",
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url,
        S3_MEDIA_BUCKET=server_bucket,
    )
    assert result.returncode == 2
    assert "file not found: 'missing_app.py'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_streamlit_usage_error(moto_server, server_bucket) -> None:
    result = run_command(
        "run",
        str(APPS_DIR / "media_app.py"),
        "--no.such.option",
        "1",
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url,
        S3_MEDIA_BUCKET=server_bucket,
    )
    assert result.returncode == 2
    assert "No such option '--no.such.option'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("endpoint", ["ftp://127.0.0.1:1", "http://127.0.0.1:99999"])
def test_run_unusable_endpoint(endpoint: str) -> None:
    result = run_command(
        "run",
        str(APPS_DIR / "media_app.py"),
        AWS_ENDPOINT_URL_S3=endpoint,
        S3_MEDIA_BUCKET="some-bucket",
    )
    assert result.returncode == 2
    assert f"Invalid S3 endpoint URL '{endpoint}'" in result.stderr
    assert "AWS_ENDPOINT_URL_S3" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_malformed_endpoint() -> None:
    result = run_command(
        "run",
        str(APPS_DIR / "media_app.py"),
        AWS_ENDPOINT_URL_S3="not-a-url",
        S3_MEDIA_BUCKET="some-bucket",
    )
    assert result.returncode == 2
    assert "Invalid endpoint: not-a-url" in result.stderr
    assert "AWS_ENDPOINT_URL_S3" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "abc"])
def test_demo_rejects_bad_s3_port(port: str) -> None:
    result = run_command("demo", "--s3-port", port)
    assert result.returncode == 2
    assert f"invalid port {port}" in result.stderr.replace("'", "")


def test_demo_s3_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_command("demo", "--s3-port", str(port))
    assert result.returncode == 2
    assert f"could not start the local S3 endpoint on 127.0.0.1:{port}" in result.stderr
    assert "is in use" in result.stderr


def test_version_printed() -> None:
    result = run_command("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"s3-media {metadata.version('s3-media-storage')}"


def test_console_script_installed() -> None:
    script = Path(sys.executable).parent / "s3-media"
    assert script.exists()
