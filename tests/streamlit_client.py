"""A minimal Streamlit websocket client that collects the media URLs an app emits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


@dataclass
class ScriptRun:
    """Media URLs and exceptions of one script run, in the order they arrived."""

    image_urls: list[str] = field(default_factory=list)
    audio_urls: list[str] = field(default_factory=list)
    video_urls: list[str] = field(default_factory=list)
    download_urls: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    markdown: list[str] = field(default_factory=list)


def _collect(message: ForwardMsg, run: ScriptRun) -> None:
    if not message.HasField("delta") or not message.delta.HasField("new_element"):
        return
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "imgs":
        run.image_urls.extend(image.url for image in element.imgs.imgs)
    elif kind == "audio":
        run.audio_urls.append(element.audio.url)
    elif kind == "video":
        run.video_urls.append(element.video.url)
    elif kind == "download_button":
        run.download_urls.append(element.download_button.url)
    elif kind == "exception":
        run.exceptions.append(element.exception.message)
    elif kind == "markdown":
        run.markdown.append(element.markdown.body)


def run_script(port: int, *, query_string: str = "", timeout: float = 30.0) -> ScriptRun:
    """Open a session on the Streamlit server at ``port``, run the script once.

    The session ends when this returns, as when a browser tab closes.
    """
    run = ScriptRun()
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    with connect(url, subprotocols=["streamlit"], open_timeout=timeout) as websocket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = query_string
        websocket.send(rerun.SerializeToString())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = ForwardMsg.FromString(websocket.recv(timeout=timeout))
            _collect(message, run)
            if message.HasField("script_finished"):
                return run
    raise TimeoutError(f"the script did not finish within {timeout} s")
