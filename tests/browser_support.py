"""Helpers for the browser tests: Chromium, a counting S3 proxy, page checks."""

from __future__ import annotations

import base64
import http.client
import shutil
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import urlsplit

CHROMIUM_NAME: Final = "chromium"

INSTALL_HINT: Final = (
    "The browser tests need the system Chromium and Playwright's Python package:"
    " apt-get install chromium && pip install playwright. 'playwright install'"
    " is not needed, because the tests launch the system Chromium."
)

# Playwright 1.65 already passes --disable-background-networking,
# --disable-component-update, --disable-sync and --no-first-run among its own
# switches. They are repeated here so that the browser stays quiet whatever
# Playwright's defaults become. --host-resolver-rules makes every host name
# except 127.0.0.1 fail to resolve, so the browser process cannot reach
# another machine by name even outside a page. IP literals bypass the
# resolver, and LocalOnlyGuard aborts those for pages.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # play() from a test script is not a user gesture.
    "--autoplay-policy=no-user-gesture-required",
)

LOCAL_HOST: Final = "127.0.0.1"


def chromium_path() -> str | None:
    """Return the path of the system Chromium, or None if it is not installed."""
    return shutil.which(CHROMIUM_NAME)


def missing_browser_reason() -> str | None:
    """Return why the browser tests cannot run, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Playwright is not installed ({error}). {INSTALL_HINT}"
    if chromium_path() is None:
        return f"No '{CHROMIUM_NAME}' executable on PATH. {INSTALL_HINT}"
    return None


def launch_chromium(playwright: Any) -> Any:
    """Start the system Chromium headless through Playwright."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=list(CHROMIUM_ARGS)
    )


# --- Counting S3 proxy ---------------------------------------------------------

# HTTP/1.1 hop-by-hop headers, which apply to one connection only, so the
# proxy neither forwards nor returns them.
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_CHUNK_SIZE: Final = 64 * 1024


@dataclass(frozen=True)
class ProxiedRequest:
    """One request that passed the proxy. ``path`` excludes the query string."""

    method: str
    path: str
    range: str | None
    status: int


class CountingS3Proxy:
    """An HTTP proxy on 127.0.0.1 that forwards to an S3 endpoint and logs requests.

    Request and response bodies stream in 64 KiB chunks. Every header except
    the hop-by-hop ones passes unchanged, ``Host`` and ``Range`` included, so
    SigV4 signatures made for the proxy's address stay valid and range
    requests still get 206 Partial Content. A request body needs a
    ``Content-Length``, and a chunked one gets 501.
    """

    def __init__(self, upstream_url: str) -> None:
        upstream = urlsplit(upstream_url)
        if upstream.scheme != "http" or upstream.hostname != LOCAL_HOST:
            raise ValueError(
                f"Invalid upstream URL {upstream_url!r}: expected http://{LOCAL_HOST}:PORT"
            )
        self._upstream = (upstream.hostname, upstream.port or 80)
        self._requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOCAL_HOST, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="counting-s3-proxy", daemon=True
        )

    @property
    def endpoint_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CountingS3Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests(self) -> list[ProxiedRequest]:
        with self._lock:
            return list(self._requests)

    def get_counts(self) -> Counter[str]:
        """Return the number of GET requests per path."""
        return Counter(
            request.path for request in self.requests() if request.method == "GET"
        )

    def _record(self, request: ProxiedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(_ForwardingHandler):
            upstream = proxy._upstream
            record = staticmethod(proxy._record)

        return Handler


class _ForwardingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int]
    record: Any

    def do_GET(self) -> None:
        self._forward()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the per-request log line, because the proxy records requests itself."""

    def _forward(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(
                501, "Chunked request bodies are not supported: send a Content-Length"
            )
            return
        length = int(self.headers.get("Content-Length") or 0)
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP
        }
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.putrequest(
                self.command, self.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            self._copy_body(length, connection)
            response = connection.getresponse()
            self.record(
                ProxiedRequest(
                    method=self.command,
                    path=urlsplit(self.path).path,
                    range=self.headers.get("Range"),
                    status=response.status,
                )
            )
            self._send_response(response)
        finally:
            connection.close()

    def _copy_body(self, length: int, connection: http.client.HTTPConnection) -> None:
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, _CHUNK_SIZE))
            if not chunk:
                raise ConnectionError(
                    f"The client closed the connection with {remaining} request"
                    " body bytes not sent"
                )
            connection.send(chunk)
            remaining -= len(chunk)

    def _send_response(self, response: http.client.HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        if response.getheader("Content-Length") is None and self.command != "HEAD":
            # Without a length, the end of the body is the end of the connection.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            while chunk := response.read(_CHUNK_SIZE):
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # Browsers cancel a media request once they have buffered enough.
            self.close_connection = True


# --- Requests to other hosts ---------------------------------------------------


def is_external(url: str) -> bool:
    """Return whether ``url`` leads off 127.0.0.1.

    ``data:``, ``blob:`` and ``about:`` URLs stay inside the browser.
    """
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return False
    return parts.hostname != LOCAL_HOST


@dataclass
class LocalOnlyGuard:
    """Route handlers that abort every request of a browser context leaving 127.0.0.1.

    They cover HTTP requests and WebSockets of every page in the context, and
    ``blocked`` lists the URLs they aborted. Requests that Chromium sends
    outside a page (updates, metrics) never reach the context, and
    ``CHROMIUM_ARGS`` turns those off.
    """

    blocked: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> LocalOnlyGuard:
        context.route(is_external, self._abort_request)
        context.route_web_socket(is_external, self._close_web_socket)
        return self

    def _abort_request(self, route: Any) -> None:
        self.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def _close_web_socket(self, web_socket: Any) -> None:
        self.blocked.append(web_socket.url)
        web_socket.close()


# --- Page checks ---------------------------------------------------------------

# Each script runs in the page with Playwright's ``evaluate``. Scripts that
# wait reject after ``timeoutMs``, because ``evaluate`` itself has no timeout.

_IMAGE_STATE: Final = """
(img, timeoutMs) => new Promise((resolve, reject) => {
  const state = () => ({
    src: img.currentSrc,
    naturalWidth: img.naturalWidth,
    naturalHeight: img.naturalHeight,
  });
  if (img.complete) {
    resolve(state());
    return;
  }
  const timer = setTimeout(
    () => reject(new Error(`image neither loaded nor failed in ${timeoutMs} ms`)),
    timeoutMs,
  );
  const done = () => { clearTimeout(timer); resolve(state()); };
  img.addEventListener("load", done, { once: true });
  img.addEventListener("error", done, { once: true });
})
"""

_MEDIA_STATE: Final = """
(media) => ({
  src: media.currentSrc,
  readyState: media.readyState,
  error: media.error ? `${media.error.code} ${media.error.message}` : null,
  duration: media.duration,
  currentTime: media.currentTime,
  seekable: Array.from(
    { length: media.seekable.length },
    (_, i) => [media.seekable.start(i), media.seekable.end(i)],
  ),
  videoWidth: media.videoWidth ?? null,
  videoHeight: media.videoHeight ?? null,
})
"""

# HTMLMediaElement.readyState: 3 is HAVE_FUTURE_DATA, enough to start playing.
_PLAYABLE_OR_FAILED: Final = "(media) => media.readyState >= 3 || media.error !== null"

_PLAY: Final = """
async (media, [seconds, timeoutMs]) => {
  const timeout = new Promise((_, reject) => setTimeout(
    () => reject(new Error(`playback did not reach ${seconds} s in ${timeoutMs} ms`)),
    timeoutMs,
  ));
  const played = (async () => {
    await media.play();
    while (media.currentTime < seconds) {
      await new Promise((resolve) => media.addEventListener("timeupdate", resolve, { once: true }));
    }
    media.pause();
    return media.currentTime;
  })();
  return Promise.race([played, timeout]);
}
"""

# Seeks to the middle and resolves on the "seeked" event. For a video it also
# waits for requestVideoFrameCallback, which fires once the compositor shows
# a new frame, and returns that frame's metadata.
# NOTE: a video already showing the middle frame shows no new one, so this
# times out when called twice in a row.
_SEEK_TO_MIDDLE: Final = """
(media, timeoutMs) => new Promise((resolve, reject) => {
  const timer = setTimeout(
    () => reject(new Error(`no seeked event or new frame in ${timeoutMs} ms`)),
    timeoutMs,
  );
  const frame = media.requestVideoFrameCallback
    ? new Promise((done) => media.requestVideoFrameCallback((now, metadata) => done(metadata)))
    : Promise.resolve(null);
  const seeked = new Promise((done) => media.addEventListener("seeked", done, { once: true }));
  media.currentTime = media.duration / 2;
  Promise.all([seeked, frame]).then(([, metadata]) => {
    clearTimeout(timer);
    resolve({ currentTime: media.currentTime, frame: metadata });
  });
})
"""

# A canvas cannot read the pixels of the video itself: Streamlit's <video> has
# no crossorigin attribute, so a frame from another origin taints the canvas.
# A screenshot of the element, loaded as a data: URL, does not.
_COLOUR_SHARES: Final = """
async ([pngBase64, colours, tolerance]) => {
  const image = new Image();
  image.src = `data:image/png;base64,${pngBase64}`;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = colours.map(() => 0);
  for (let i = 0; i < pixels.length; i += 4) {
    colours.forEach(([r, g, b], index) => {
      if (Math.abs(pixels[i] - r) <= tolerance
          && Math.abs(pixels[i + 1] - g) <= tolerance
          && Math.abs(pixels[i + 2] - b) <= tolerance) {
        counts[index] += 1;
      }
    });
  }
  const total = pixels.length / 4;
  return counts.map((count) => count / total);
}
"""

WAIT_MILLISECONDS: Final = 20_000


def image_state(image: Any) -> dict[str, Any]:
    """Wait until an ``<img>`` loaded or failed; return its src and natural size."""
    return image.evaluate(_IMAGE_STATE, WAIT_MILLISECONDS)


def media_state(media: Any) -> dict[str, Any]:
    """Return the playback state of an ``<audio>`` or ``<video>`` element."""
    return media.evaluate(_MEDIA_STATE)


def wait_until_playable(page: Any, media: Any) -> dict[str, Any]:
    """Wait until a media element can play or has failed; return its state."""
    page.wait_for_function(
        _PLAYABLE_OR_FAILED, arg=media.element_handle(), timeout=WAIT_MILLISECONDS
    )
    return media_state(media)


def play_for(media: Any, seconds: float) -> float:
    """Play until ``currentTime`` reaches ``seconds``, pause, return ``currentTime``."""
    return media.evaluate(_PLAY, [seconds, WAIT_MILLISECONDS])


def seek_to_middle(media: Any) -> dict[str, Any]:
    """Seek to half the duration; return ``currentTime`` and, for a video, the frame shown."""
    return media.evaluate(_SEEK_TO_MIDDLE, WAIT_MILLISECONDS)


def colour_shares(
    page: Any, png: bytes, colours: list[tuple[int, int, int]], tolerance: int
) -> list[float]:
    """Return, per RGB colour, the share of the PNG's pixels within ``tolerance`` of it."""
    encoded = base64.b64encode(png).decode("ascii")
    return page.evaluate(_COLOUR_SHARES, [encoded, colours, tolerance])


def wait_for_script_run(page: Any) -> None:
    """Wait until the app's script is not running (its first run included)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=WAIT_MILLISECONDS
    )


def wait_until_still(page: Any, element: Any, interval_milliseconds: int = 250) -> None:
    """Wait until two screenshots of ``element`` taken ``interval_milliseconds`` apart match.

    After a seek, Chromium's video controls show a spinning loading indicator
    for up to about a second, even once the new frame is shown.
    """
    previous = None
    for _ in range(WAIT_MILLISECONDS // interval_milliseconds):
        current = element.screenshot()
        if current == previous:
            return
        previous = current
        page.wait_for_timeout(interval_milliseconds)
    raise TimeoutError(f"The element kept changing for {WAIT_MILLISECONDS} ms")


def screenshot_whole_app(page: Any) -> bytes:
    """Resize the viewport to the app's content height and return a PNG of it.

    Streamlit scrolls inside its main container rather than the document, so
    a full-page screenshot alone shows only the viewport.
    """
    height = page.evaluate(
        """() => {
          const main = document.querySelector('[data-testid="stMain"]');
          return Math.ceil(main.getBoundingClientRect().top + main.scrollHeight);
        }"""
    )
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": height})
    return page.screenshot(full_page=True)
