"""Every media kind in a real browser: shown, played, seeked and downloaded from S3.

The tests drive the system Chromium through Playwright. Everything they start
listens on 127.0.0.1: moto's S3 server, a proxy in front of it that counts
requests per object key, and ``s3-media run`` or ``s3-media demo``. Without
Chromium or Playwright the module is skipped with the install commands.

``UPDATE_DEMO_SCREENSHOT=1`` makes the demo screenshot test also copy its
screenshot to docs/demo.png, the picture in the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from browser_support import (
    WAIT_MILLISECONDS,
    CountingS3Proxy,
    LocalOnlyGuard,
    ProxiedRequest,
    colour_shares,
    image_state,
    launch_chromium,
    missing_browser_reason,
    play_for,
    screenshot_whole_app,
    seek_to_middle,
    wait_for_script_run,
    wait_until_playable,
    wait_until_still,
)
from conftest import APPS_DIR, TESTS_DIR, child_environment
from s3_media_storage.demo.media import mp4_video, wav_sound
from test_http import fetch

_MISSING_BROWSER = missing_browser_reason()
pytestmark = pytest.mark.skipif(
    _MISSING_BROWSER is not None, reason=_MISSING_BROWSER or ""
)

# The download in tests/apps/browser_app.py.
DOWNLOAD_NAME = "résumé – café.csv"
DOWNLOAD_DATA = "ville,visiteurs\nZürich,1200\nKraków,780\n".encode()
# The download in s3_media_storage/demo/app.py.
DEMO_DOWNLOAD_NAME = "résumé – café 2026.csv"
DEMO_DOWNLOAD_DATA = "city,visitors\nZürich,1200\nMontréal,950\nKraków,780\n".encode()

VIEWPORT = {"width": 1000, "height": 800}
ARTIFACTS_DIR = TESTS_DIR / "artifacts"
DOCS_SCREENSHOT = TESTS_DIR.parent / "docs" / "demo.png"
UPDATE_SCREENSHOT_VARIABLE = "UPDATE_DEMO_SCREENSHOT"

# The bundled video shows ffmpeg's testsrc2 pattern. These are its six colour
# bars, left to right, as 8-bit sRGB. Each covers about a sixth of the frame.
TEST_PATTERN_BARS = [
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (0, 0, 255),
    (255, 0, 255),
    (0, 255, 255),
]
# Allowed difference per channel, for H.264 compression and YUV to RGB rounding.
BAR_TOLERANCE = 40
# Minimum share of a video screenshot's pixels per bar colour. The timer box,
# the moving shapes and the rounded corners cover part of each bar.
MIN_BAR_SHARE = 0.05
# The same for a screenshot of the whole demo page, in which each bar covers
# about 3% of the pixels.
MIN_PAGE_BAR_SHARE = 0.01

IMAGE = '[data-testid="stImage"] img'


@dataclass
class BrowserTab:
    """A page in a fresh browser context, and the guard that keeps it on 127.0.0.1."""

    page: Any
    guard: LocalOnlyGuard


@dataclass
class MediaApp:
    """``s3-media run`` on tests/apps/browser_app.py, behind a counting S3 proxy."""

    url: str
    port: int
    object_url_prefix: str
    proxy: CountingS3Proxy


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[BrowserTab]:
    """A page in a new browser context, which may reach 127.0.0.1 only.

    Playwright turns off the HTTP cache of a context with routes (checked with
    Playwright 1.65), so every request that the page makes reaches the server.
    """
    context = browser.new_context(accept_downloads=True, viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MILLISECONDS)
    guard = LocalOnlyGuard().attach(context)
    yield BrowserTab(context.new_page(), guard)
    context.close()


@pytest.fixture
def media_app(start_app, moto_server, server_bucket) -> Iterator[MediaApp]:
    proxy = CountingS3Proxy(moto_server.endpoint_url).start()
    environment = child_environment(
        AWS_ENDPOINT_URL_S3=proxy.endpoint_url, S3_MEDIA_BUCKET=server_bucket
    )
    port = start_app(["run", str(APPS_DIR / "browser_app.py")], environment)
    yield MediaApp(
        url=f"http://127.0.0.1:{port}/",
        port=port,
        object_url_prefix=f"{proxy.endpoint_url}/{server_bucket}/media/",
        proxy=proxy,
    )
    proxy.stop()


@pytest.fixture
def media_page(tab: BrowserTab, media_app: MediaApp) -> Any:
    """The media app's page after its first script run."""
    tab.page.goto(media_app.url)
    tab.page.get_by_text("Script run 1").wait_for()
    wait_for_script_run(tab.page)
    return tab.page


@pytest.fixture
def demo_port(start_app) -> int:
    """The port of ``s3-media demo``, which starts its own S3 endpoint."""
    return start_app(["demo"], child_environment())


@pytest.fixture
def demo_page(tab: BrowserTab, demo_port: int) -> Any:
    """The demo's page after its first script run."""
    tab.page.goto(f"http://127.0.0.1:{demo_port}/")
    wait_for_script_run(tab.page)
    return tab.page


def object_key_path(url: str) -> str:
    return urlsplit(url).path


def get_requests(proxy: CountingS3Proxy, path: str) -> list[ProxiedRequest]:
    return [
        request
        for request in proxy.requests()
        if request.method == "GET" and request.path == path
    ]


def click_rerun(page: Any, expected_run: int) -> None:
    """Click the media app's Rerun button and wait until that run has finished."""
    page.get_by_role("button", name="Rerun", exact=True).click()
    page.get_by_text(f"Script run {expected_run}").wait_for()
    wait_for_script_run(page)


def download_by_click(page: Any, button_label: str) -> tuple[Any, bytes]:
    with page.expect_download() as download_info:
        page.get_by_role("button", name=button_label).click()
    download = download_info.value
    return download, Path(download.path()).read_bytes()


def test_image_loads_from_s3(media_page, media_app) -> None:
    image = image_state(media_page.locator(IMAGE))
    assert image["naturalWidth"] == 320
    assert image["naturalHeight"] == 180
    assert image["src"].startswith(media_app.object_url_prefix)
    assert urlsplit(image["src"]).port != media_app.port
    assert "X-Amz-Signature=" in image["src"]
    assert media_app.proxy.get_counts()[object_key_path(image["src"])] == 1


def test_audio_plays_and_seeks(media_page, media_app) -> None:
    audio = media_page.locator("audio")
    state = wait_until_playable(media_page, audio)
    assert state["error"] is None
    assert state["readyState"] >= 3
    assert state["src"].startswith(media_app.object_url_prefix)
    assert state["duration"] == pytest.approx(2.0, abs=0.01)
    assert state["seekable"] == [[0, pytest.approx(2.0, abs=0.01)]]
    assert play_for(audio, 0.2) >= 0.2
    assert seek_to_middle(audio)["currentTime"] == pytest.approx(1.0, abs=0.01)


def test_video_seeks_to_middle(media_page, media_app) -> None:
    video = media_page.locator("video")
    state = wait_until_playable(media_page, video)
    assert state["error"] is None
    assert state["readyState"] >= 3
    assert state["src"].startswith(media_app.object_url_prefix)
    assert state["videoWidth"] == 320
    assert state["videoHeight"] == 180
    assert state["duration"] == pytest.approx(4.0, abs=0.01)
    assert state["seekable"] == [[0, pytest.approx(4.0, abs=0.01)]]

    seek = seek_to_middle(video)
    assert seek["currentTime"] == pytest.approx(2.0, abs=0.01)
    # The frame that the compositor showed after the seek, at 30 frames per second.
    assert seek["frame"]["mediaTime"] == pytest.approx(2.0, abs=1 / 30)
    assert seek["frame"]["width"] == 320

    # Hidden controls leave the whole frame visible in the screenshot.
    video.evaluate("(element) => { element.controls = false; }")
    shares = colour_shares(
        media_page, video.screenshot(), TEST_PATTERN_BARS, BAR_TOLERANCE
    )
    for colour, share in zip(TEST_PATTERN_BARS, shares, strict=True):
        assert share >= MIN_BAR_SHARE, f"colour bar {colour} covers {share:.1%}"

    gets = get_requests(media_app.proxy, object_key_path(state["src"]))
    assert len(gets) >= 1
    assert [request.range is not None for request in gets] == [True] * len(gets)
    assert [request.status for request in gets] == [206] * len(gets)


def test_download_saves_file(media_page, media_app) -> None:
    download, data = download_by_click(media_page, "Download the report")
    assert download.failure() is None
    assert download.suggested_filename == DOWNLOAD_NAME
    assert data == DOWNLOAD_DATA
    assert download.url.startswith(media_app.object_url_prefix)


def test_rerun_keeps_image_url(media_page, media_app) -> None:
    # The context has no HTTP cache (see the tab fixture), so an unchanged GET
    # count means that the page did not request the image again, not that a
    # cache served the request.
    image = media_page.locator(IMAGE)
    before = image_state(image)
    path = object_key_path(before["src"])
    gets_before = media_app.proxy.get_counts()[path]

    click_rerun(media_page, 2)
    after = image_state(image)

    assert gets_before == 1
    assert after["src"] == before["src"]
    assert after["naturalWidth"] == 320
    assert media_app.proxy.get_counts()[path] == gets_before


def test_page_requests_stay_local(tab, media_page) -> None:
    play_for(media_page.locator("video"), 0.2)
    download_by_click(media_page, "Download the report")
    click_rerun(media_page, 2)
    assert tab.guard.blocked == []


def test_demo_media_load_from_s3(tab, demo_page, demo_port) -> None:
    image = image_state(demo_page.locator(IMAGE))
    assert image["naturalWidth"] == 480
    image_url = urlsplit(image["src"])
    assert image_url.hostname == "127.0.0.1"
    assert image_url.port != demo_port
    assert image_url.path.startswith("/s3-media-demo/media/")

    audio_element = demo_page.locator("audio")
    audio = wait_until_playable(demo_page, audio_element)
    assert audio["readyState"] >= 3
    assert urlsplit(audio["src"]).netloc == image_url.netloc
    assert play_for(audio_element, 0.2) >= 0.2
    assert seek_to_middle(audio_element)["currentTime"] == pytest.approx(1.0, abs=0.01)

    video_element = demo_page.locator("video")
    video = wait_until_playable(demo_page, video_element)
    assert video["readyState"] >= 3
    assert urlsplit(video["src"]).netloc == image_url.netloc
    assert play_for(video_element, 0.2) >= 0.2
    seek = seek_to_middle(video_element)
    assert seek["frame"]["mediaTime"] == pytest.approx(2.0, abs=1 / 30)

    # The same URLs outside the browser return the demo's media unchanged.
    _, _, audio_body = fetch(audio["src"])
    _, _, video_body = fetch(video["src"])
    assert audio_body == wav_sound()
    assert video_body == mp4_video()
    assert tab.guard.blocked == []


def test_demo_download_saves_file(demo_page) -> None:
    download, data = download_by_click(demo_page, "Download the visitor report")
    assert download.suggested_filename == DEMO_DOWNLOAD_NAME
    assert data == DEMO_DOWNLOAD_DATA


def test_demo_screenshot(demo_page) -> None:
    assert image_state(demo_page.locator(IMAGE))["naturalWidth"] == 480
    wait_until_playable(demo_page, demo_page.locator("audio"))
    video = demo_page.locator("video")
    wait_until_playable(demo_page, video)
    # A frame from the middle shows the timer and the moving shapes.
    seek_to_middle(video)
    wait_until_still(demo_page, video)
    png = screenshot_whole_app(demo_page)

    ARTIFACTS_DIR.mkdir(exist_ok=True)
    screenshot = ARTIFACTS_DIR / "demo.png"
    screenshot.write_bytes(png)
    if os.environ.get(UPDATE_SCREENSHOT_VARIABLE) == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)

    shares = colour_shares(demo_page, png, TEST_PATTERN_BARS, BAR_TOLERANCE)
    for colour, share in zip(TEST_PATTERN_BARS, shares, strict=True):
        assert share >= MIN_PAGE_BAR_SHARE, f"colour bar {colour} covers {share:.1%}"
    assert demo_page.get_by_role(
        "button", name="Download the visitor report"
    ).is_visible()
