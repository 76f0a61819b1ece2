"""The S3 endpoints of a benchmark run, in a process of their own.

Run as ``python -m bench.s3_server DELAY_SECONDS``. It starts moto's S3 server
on 127.0.0.1 with ``s3_media_storage.local_s3.start_local_s3``, and a second
server on 127.0.0.1 that serves the same moto backend but sleeps
DELAY_SECONDS before every request. It prints one JSON line with both
endpoint URLs and runs until its standard input closes.

A process of its own keeps the server's Python threads from competing with
the measured client for the GIL, and keeps the stored objects out of the
client's memory.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from s3_media_storage.local_s3 import start_local_s3


def delayed(
    app: Callable[..., Iterable[bytes]], delay: float
) -> Callable[..., Iterable[bytes]]:
    """Wrap a WSGI application so that it sleeps ``delay`` seconds per request."""

    def delayed_app(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        time.sleep(delay)
        return app(environ, start_response)

    return delayed_app


def start_delayed_s3(delay: float) -> str:
    """Start a threaded server on 127.0.0.1 for moto's S3 with ``delay`` per request.

    Returns its endpoint URL. moto keeps its backends per process, so this
    server and the one of ``start_local_s3`` see the same buckets.
    """
    from moto.server import MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    # moto's S3 application alone, without the dispatcher that start_local_s3
    # puts in front of every service. The dispatcher works out the service of
    # each request under one lock and scans moto's package directory for it,
    # which costs milliseconds of CPU per request and would make this server,
    # not the latency, the limit of concurrent uploads.
    app = create_backend_app("s3")
    server = make_server(
        "127.0.0.1",
        0,
        delayed(app, delay),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    delay = float(sys.argv[1])
    # werkzeug logs every request at INFO when no handler is configured.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    local_s3 = start_local_s3()
    endpoints = {
        "endpoint_url": local_s3.endpoint_url,
        "delayed_endpoint_url": start_delayed_s3(delay),
    }
    print(json.dumps(endpoints), flush=True)
    sys.stdin.read()
    local_s3.stop()


if __name__ == "__main__":
    main()
