"""A fault-injecting HTTP proxy on 127.0.0.1 in front of an S3 server.

The proxy forwards every request to the upstream server (moto's server or
s3rver) and records it. Tests script faults per S3 operation: an error
response such as 503 SlowDown, a connection reset in the middle of the request
body, or a response delayed past the client's read timeout. ``outage`` applies
one fault to every request until it is set back to ``None``.

S3 operations are recognised from path-style requests (``/bucket/key``), which
the storage sends to any endpoint other than AWS.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.client
import ipaddress
import socket
import ssl
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Delay",
    "ErrorResponse",
    "FaultProxy",
    "RecordedRequest",
    "ResetMidBody",
    "closed_port_url",
    "self_signed_certificate",
]

# Headers that describe one hop of a connection, never forwarded as they are.
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "upgrade",
    }
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the proxy received it, before any fault."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def operation(self) -> str:
        return s3_operation(self.method, self.path, self.query, self.headers)


def s3_operation(
    method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
) -> str:
    """Return the S3 operation name of a path-style request, such as ``PutObject``."""
    has_key = len(path.lstrip("/").split("/", 1)) == 2
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        if "partNumber" in query:
            return "UploadPart"
        if "x-amz-copy-source" in headers:
            return "CopyObject"
        return "PutObject" if has_key else "PutBucket"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        if "delete" in query:
            return "DeleteObjects"
        return "PostObject"
    if method == "DELETE":
        if "uploadId" in query:
            return "AbortMultipartUpload"
        return "DeleteObject" if has_key else "DeleteBucket"
    if method == "GET" and has_key:
        return "GetObject"
    bucket_reads = {
        "lifecycle": "GetBucketLifecycleConfiguration",
        "publicAccessBlock": "GetPublicAccessBlock",
        "cors": "GetBucketCors",
        "uploads": "ListMultipartUploads",
        "location": "GetBucketLocation",
    }
    for name, operation in bucket_reads.items():
        if name in query:
            return operation
    return "ListObjects" if method == "GET" else method


@dataclass(frozen=True)
class ErrorResponse:
    """An S3 error response: status, error code and an XML body (none for HEAD)."""

    status: int
    code: str
    message: str = "Injected by the test proxy."


@dataclass(frozen=True)
class ResetMidBody:
    """Read half of the request body, then reset the connection (TCP RST)."""


@dataclass(frozen=True)
class Delay:
    """Hold the request for ``seconds`` with no response, then close the connection."""

    seconds: float


Fault = ErrorResponse | ResetMidBody | Delay


@dataclass
class _Rule:
    operation: str | Callable[[RecordedRequest], bool]
    fault: Fault
    remaining: int | None

    def matches(self, request: RecordedRequest) -> bool:
        if self.remaining == 0:
            return False
        if isinstance(self.operation, str):
            return request.operation == self.operation
        return self.operation(request)


@dataclass
class FaultProxy:
    """A threaded proxy on 127.0.0.1. Clients connect to ``endpoint_url``.

    With ``certificate`` (a certificate and key file pair) it speaks HTTPS to
    clients and still plain HTTP to the upstream server.
    """

    upstream_url: str
    certificate: tuple[Path, Path] | None = None
    outage: Fault | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    _rules: list[_Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _connections: set[socket.socket] = field(default_factory=set)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if self.certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.certificate)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        """Stop listening and close open connections, so clients get refused."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # Already closed by its handler.

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "start() the proxy first"
        scheme = "https" if self.certificate is not None else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def add_fault(
        self,
        operation: str | Callable[[RecordedRequest], bool],
        fault: Fault,
        *,
        times: int | None = None,
    ) -> None:
        """Apply ``fault`` to the next ``times`` matching requests (all if ``None``).

        ``operation`` is an S3 operation name or a predicate on the request.
        The rule added first wins when several match.
        """
        with self._lock:
            self._rules.append(_Rule(operation, fault, times))

    def clear(self) -> None:
        """Forget the recorded requests and the faults, and end the outage."""
        with self._lock:
            self.requests.clear()
            self._rules.clear()
            self.outage = None

    def operations(self) -> Counter[str]:
        with self._lock:
            return Counter(request.operation for request in self.requests)

    def recorded(self, operation: str) -> list[RecordedRequest]:
        with self._lock:
            return [
                request for request in self.requests if request.operation == operation
            ]

    def _take_fault(self, request: RecordedRequest) -> Fault | None:
        """Return the fault for ``request`` and use up one of its rule's times."""
        with self._lock:
            if self.outage is not None:
                return self.outage
            for rule in self._rules:
                if rule.matches(request):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def _append(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with self.owner._lock:
            self.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.owner._lock:
            self.owner._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass  # The connection was reset by a fault or by stop().

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._handle()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=b"",
        )
        # The fault is chosen from the request line and headers, before the body.
        fault = self.owner._take_fault(request)
        length = int(headers.get("content-length") or 0)
        if isinstance(fault, ResetMidBody):
            self.owner._append(request)
            self.rfile.read(length // 2)
            self._reset()
            return
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:
            body = self.rfile.read(length)
        request = dataclasses.replace(request, body=body)
        self.owner._append(request)
        if isinstance(fault, ErrorResponse):
            self._send_error(fault)
        elif isinstance(fault, Delay):
            self.owner._stopping.wait(fault.seconds)
            self.close_connection = True
        else:
            self._forward(request)

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        self.close_connection = True
        self.connection.close()

    def _send_error(self, fault: ErrorResponse) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{fault.code}</Code><Message>{fault.message}</Message>"
            "<RequestId>test-proxy</RequestId></Error>"
        ).encode()
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, request: RecordedRequest) -> None:
        upstream = urlsplit(self.owner.upstream_url)
        connection = http.client.HTTPConnection(upstream.netloc, timeout=60)
        try:
            forwarded = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in _HOP_BY_HOP
            }
            if "content-length" not in request.headers and request.body:
                forwarded["Content-Length"] = str(len(request.body))
            connection.request(
                self.command, self.path, body=request.body or None, headers=forwarded
            )
            response = connection.getresponse()
            payload = response.read()
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            length = response.getheader("Content-Length")
            if self.command == "HEAD" and length is not None:
                self.send_header("Content-Length", length)
            else:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        finally:
            connection.close()


def closed_port_url() -> str:
    """Return an ``http://127.0.0.1:PORT`` URL on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key, and return both paths.

    The certificate is its own CA, so a client trusts it through
    ``AWS_CA_BUNDLE`` pointing at the certificate file.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "proxy-cert.pem"
    key_path = directory / "proxy-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path
