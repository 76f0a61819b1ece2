"""Two real Streamlit replicas on one bucket, and s3:// sources in a running app."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

from conftest import APPS_DIR, child_environment
from s3_media_storage.demo.media import mp4_video, png_image
from streamlit_client import run_script
from test_http import fetch

APP = str(APPS_DIR / "replica_app.py")


def wait_for_line(log: Path, pattern: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text(errors="replace"))
        if match:
            return match.group(0)
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} not logged within {timeout} s:\n{log.read_text()}")


def test_two_replicas_share_media(start_app, moto_server, server_bucket, tmp_path) -> None:
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url, S3_MEDIA_BUCKET=server_bucket
    )
    port_a = start_app(["run", APP], environment)
    # Replica B drops a session as soon as it disconnects, so its manager
    # orphans and deletes that session's files at once.
    port_b = start_app(
        ["--log-level", "DEBUG", "run", APP, "--server.disconnectedSessionTTL=0"],
        environment,
    )
    log_b = tmp_path / f"s3-media-{port_b}.log"

    url_a = run_script(port_a).image_urls[0]
    file_id = urlsplit(url_a).path.rsplit("/", 1)[1]

    # B has never uploaded this ID, and builds a working URL for it.
    markdown = run_script(port_b, query_string=f"file_id={quote(file_id)}").markdown
    url_from_b = markdown[0].removeprefix("url=")
    assert urlsplit(url_from_b).path == urlsplit(url_a).path
    status, _, foreign_body = fetch(url_from_b)
    assert status == 200

    # Both replicas emit the same ID and an equivalent URL for the same media.
    url_b = run_script(port_b).image_urls[0]
    assert urlsplit(url_b).path == urlsplit(url_a).path
    status_a, _, body_a = fetch(url_a)
    status_b, _, body_b = fetch(url_b)
    assert status_a == 200
    assert status_b == 200
    assert body_a == body_b
    assert foreign_body == body_a

    # B's session has ended. Streamlit removes orphaned files when a script
    # run ends, so one more run on B makes its manager ask the storage to
    # delete the file, which it keeps by default: A's URL still works.
    run_script(port_b, query_string=f"file_id={quote(file_id)}")
    wait_for_line(log_b, rf"Keeping {re.escape(file_id)}: deletion is off")
    status, _, body = fetch(url_a)
    assert status == 200
    assert body == body_a


def test_s3_sources_in_running_app(start_app, moto_server, server_bucket, server_client) -> None:
    picture = png_image(32, 16)
    server_client.put_object(
        Bucket=server_bucket, Key="library/picture.png", Body=picture, ContentType="image/png"
    )
    server_client.put_object(
        Bucket=server_bucket, Key="library/clip.mp4", Body=mp4_video(), ContentType="video/mp4"
    )
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=moto_server.endpoint_url,
        S3_MEDIA_BUCKET=server_bucket,
        REPLICA_APP_SOURCE_PREFIX=f"s3://{server_bucket}/library",
    )
    port = start_app(["run", APP], environment)
    script_run = run_script(port)
    assert script_run.exceptions == []
    image_url = script_run.image_urls[0]
    video_url = script_run.video_urls[0]
    assert urlsplit(image_url).path == f"/{server_bucket}/library/picture.png"
    assert urlsplit(video_url).path == f"/{server_bucket}/library/clip.mp4"
    _, _, image = fetch(image_url)
    _, _, video = fetch(video_url)
    assert image == picture
    assert video == mp4_video()
    listed = server_client.list_objects_v2(Bucket=server_bucket)
    assert sorted(item["Key"] for item in listed["Contents"]) == [
        "library/clip.mp4",
        "library/picture.png",
    ]
