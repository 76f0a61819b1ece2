"""A local S3 endpoint for the demo: moto's server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from typing import Final

__all__ = ["LocalS3", "start_local_s3"]

_LOGGER: Final = logging.getLogger(__name__)

# moto accepts any credentials, so these fixed values are no secret. They keep
# boto3 from looking for real ones.
DEMO_ACCESS_KEY_ID: Final = "demo"
DEMO_SECRET_ACCESS_KEY: Final = "demo-secret"
DEMO_REGION: Final = "us-east-1"


class LocalS3:
    """A running moto server; ``endpoint_url`` is where it listens."""

    def __init__(self, server: object, endpoint_url: str) -> None:
        self._server = server
        self.endpoint_url = endpoint_url

    def stop(self) -> None:
        self._server.stop()  # type: ignore[attr-defined]


def _check_port_free(port: int) -> None:
    """Raise ``OSError`` if ``port`` on 127.0.0.1 cannot be bound.

    moto's threaded server waits forever for a server that failed to bind,
    so the port is tried first.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # werkzeug's server sets SO_REUSEADDR too, so a port in TIME_WAIT passes.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(error.errno, f"port {port} is in use ({error.strerror})") from None


def start_local_s3(port: int = 0) -> LocalS3:
    """Start moto's S3 server on 127.0.0.1 in a thread of this process.

    ``port=0`` picks a free port. Raises ``RuntimeError`` with the install
    command when moto's server extra is missing, and ``OSError`` when
    ``port`` is in use.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        raise RuntimeError(
            "The local S3 endpoint needs moto's server: pip install 'moto[server]'"
            f" ({error})."
        ) from error
    if port:
        _check_port_free(port)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    _LOGGER.info("Started moto's S3 server at %s", endpoint_url)
    return LocalS3(server, endpoint_url)
