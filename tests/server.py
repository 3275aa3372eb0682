"""A real HTTP server on 127.0.0.1 that plays a ministry's site for crawl tests.

It is an HTTP proxy: a crawl run with `https_proxy`/`http_proxy` pointing at it sends every request here, https
ones through CONNECT tunnels that the server ends with a self-signed certificate (Scrapy does not verify
certificates by default), so the spiders request the sites' real URLs and canonical URLs stay the real ones.
Pages are served from a `Site`: a URL → `Page` map that tests change between crawls, with conditional GET (ETag,
If-None-Match → 304), an optional delay, and a log of every request served. A URL may map to a list of pages,
served in turn (the last one from then on: "503, then the page"), and a page may carry a fault the server
injects (`Page.fault`): a reset connection, no answer before the client's timeout, a body cut short of its
Content-Length, a body sent a few bytes at a time.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Page:
    """A response: status, headers, body, and an ETag the server honours in conditional requests.

    `fault`: None (a normal answer), "reset" (the connection is reset, no answer), "stall" (nothing is sent for
    `seconds`, then the connection closes: the client times out), "truncate" (the headers announce twice the
    body's length, the body is sent, the connection closes), "drip" (the body is sent in 1 KB pieces over
    `seconds`).
    """

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html"})
    etag: str | None = None
    fault: str | None = None
    seconds: float = 0.0


@dataclass
class Served:
    """One request the server answered."""

    method: str
    url: str
    status: int
    headers: dict[str, str]


class Site:
    """The pages the server answers with, by absolute URL; anything else is a 404."""

    def __init__(self, delay: float = 0.0) -> None:
        self.pages: dict[str, Page | list[Page]] = {}
        self.delay = delay
        self.log: list[Served] = []
        self.lock = threading.Lock()

    def respond(self, method: str, url: str, headers: dict[str, str]) -> Page:
        with self.lock:
            entry = self.pages.get(url, Page(b"not found", 404))
            if isinstance(entry, list):
                page = entry.pop(0) if len(entry) > 1 else entry[0]
            else:
                page = entry
        if page.etag and headers.get("if-none-match") == page.etag:
            page = Page(b"", 304, {}, page.etag)
        with self.lock:
            self.log.append(Served(method, url, page.status, headers))
        return page

    def requested(self, pattern: str = "") -> list[str]:
        """URLs requested so far that contain `pattern`, in order."""
        with self.lock:
            return [served.url for served in self.log if pattern in served.url]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()


HOSTS = (
    "fmprc.gov.cn",
    "*.fmprc.gov.cn",
    "mfa.gov.cn",
    "*.mfa.gov.cn",
    "whitehouse.gov",
    "*.whitehouse.gov",
    "*.archives.gov",
    "*.kantei.go.jp",
    "mfa.gov.by",
    "*.example.com",
)
"""Host names the server's certificate names, so that Scrapy does not warn of a mismatch on every connection."""


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ministry statements test server")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in HOSTS]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _handler(site: Site, tls: ssl.SSLContext) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        tunnel_host: str | None = None

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002  # quiet test output
            pass

        def do_CONNECT(self) -> None:  # noqa: N802  # http.server's naming
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self.tunnel_host = self.path.split(":")[0]
            try:
                self.connection = tls.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                self.close_connection = True
                return
            self.rfile = self.connection.makefile("rb", buffering=0)
            self.wfile = self.connection.makefile("wb", buffering=0)
            self.close_connection = False

        def do_GET(self) -> None:  # noqa: N802
            if self.path.startswith("http://") or self.path.startswith("https://"):
                url = self.path
            else:
                url = f"https://{self.tunnel_host or self.headers.get('Host')}{self.path}"
            if site.delay:
                time.sleep(site.delay)
            page = site.respond("GET", url, {key.lower(): value for key, value in self.headers.items()})
            if page.fault == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if page.fault == "stall":
                time.sleep(page.seconds)
                self.close_connection = True
                return
            self.send_response(page.status)
            for name, value in page.headers.items():
                self.send_header(name, value)
            if page.etag:
                self.send_header("ETag", page.etag)
            length = len(page.body) * (2 if page.fault == "truncate" else 1)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            try:
                if page.fault == "drip":
                    pieces = [page.body[i : i + 1024] for i in range(0, len(page.body), 1024)]
                    for piece in pieces:
                        self.wfile.write(piece)
                        self.wfile.flush()
                        time.sleep(page.seconds / max(1, len(pieces)))
                else:
                    self.wfile.write(page.body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                self.close_connection = True
            if page.fault == "truncate":
                self.close_connection = True

    return Handler


@contextmanager
def serve(site: Site, directory: Path) -> Iterator[str]:
    """Run the server for `site` on a free port of 127.0.0.1 while the block runs; yields its proxy URL."""
    cert_path, key_path = _certificate(directory)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_path, key_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site, tls))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def proxy_environment(proxy: str) -> dict[str, str]:
    """Environment variables that send a crawl's requests through the test server."""
    return {
        "http_proxy": proxy,
        "https_proxy": proxy,
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "no_proxy": "",
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (for tests of refused connections)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
