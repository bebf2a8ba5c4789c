"""``wrap_socket``'s blocking ``nodetls.SSLSocket`` under ``http.client``, urllib3 and
requests, against an HTTPS server on Python's own ``ssl`` (in a thread)."""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import requests
import requests.adapters
import urllib3

from nodetls import SSLContext, SSLSocket
from tests.support.certs import Certs

from .stdutil import (
    client_context,
    server_context,
    stdlib_client_context,
    stdlib_server_context,
)

TIMEOUT = 10.0


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "tls": self.connection.version()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_port(certs: Certs) -> Iterator[int]:
    """An HTTPS server on the stdlib's ``ssl``, serving from a thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = stdlib_server_context(certs).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def test_http_client(certs: Certs, https_port: int) -> None:
    conn = http.client.HTTPSConnection("localhost", https_port, context=client_context(certs),
                                       timeout=TIMEOUT)
    try:
        for path in ("/one", "/two"):  # one keep-alive connection, two requests
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200
            assert json.loads(response.read()) == {"path": path, "tls": "TLSv1.3"}
        assert isinstance(conn.sock, SSLSocket) and isinstance(conn.sock, socket.socket)
        assert conn.sock.version() == "TLSv1.3"
        assert conn.sock.getpeercert()["subjectAltName"][0] == ("DNS", "localhost")
    finally:
        conn.close()


def test_urllib3_pool_manager(certs: Certs, https_port: int) -> None:
    with urllib3.PoolManager(ssl_context=client_context(certs), timeout=TIMEOUT) as pool:
        response = pool.request("GET", f"https://localhost:{https_port}/urllib3")
        assert response.status == 200
        assert response.json() == {"path": "/urllib3", "tls": "TLSv1.3"}


def test_urllib3_refuses_an_unknown_issuer(https_port: int) -> None:
    pool = urllib3.PoolManager(ssl_context=SSLContext(False), timeout=TIMEOUT, retries=False)
    with pool, pytest.raises(urllib3.exceptions.SSLError) as info:
        pool.request("GET", f"https://localhost:{https_port}/")
    cause = info.value.__context__ or info.value.__cause__
    while cause is not None and not isinstance(cause, ssl.SSLCertVerificationError):
        cause = cause.__context__ or cause.__cause__
    assert cause is not None and cause.code == "UNABLE_TO_VERIFY_LEAF_SIGNATURE"  # type: ignore[attr-defined]


class NodetlsAdapter(requests.adapters.HTTPAdapter):
    """requests with a given ``ssl_context`` (its documented extension point)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["ssl_context"] = self.context
        super().init_poolmanager(*args, **kwargs)  # type: ignore[no-untyped-call]


def test_requests_through_an_adapter(certs: Certs, https_port: int) -> None:
    with requests.Session() as session:
        session.mount("https://", NodetlsAdapter(client_context(certs)))
        response = session.get(f"https://localhost:{https_port}/requests", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {"path": "/requests", "tls": "TLSv1.3"}


def test_wrap_socket_raw(certs: Certs, https_port: int) -> None:
    raw = socket.create_connection(("127.0.0.1", https_port), timeout=TIMEOUT)
    with client_context(certs).wrap_socket(raw, server_hostname="localhost") as sock:
        assert raw.fileno() == -1  # detached, as the stdlib's wrap_socket does
        sock.sendall(b"GET /raw HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        with sock.makefile("rb") as stream:
            head = stream.readline()
            assert head == b"HTTP/1.1 200 OK\r\n"
            assert stream.read().endswith(b'{"path": "/raw", "tls": "TLSv1.3"}')
        assert sock.selected_alpn_protocol() is None and sock.cipher() is not None


def test_blocking_server_and_connect_after_wrap(certs: Certs) -> None:
    """``wrap_socket`` on a listening socket (``accept``), and on an unconnected one that
    connects afterwards; Python's ``ssl`` on the other end of each."""
    listener = server_context(certs).wrap_socket(socket.create_server(("127.0.0.1", 0)),
                                                 server_side=True)
    listener.settimeout(TIMEOUT)
    port = listener.getsockname()[1]
    served: list[object] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            served.append((type(conn).__name__, conn.version()))
            conn.sendall(conn.recv(100).upper())

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        with stdlib_client_context(certs).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"blocking")
            assert tls.recv(100) == b"BLOCKING"
    finally:
        thread.join(TIMEOUT)
        listener.close()
    assert served == [("SSLSocket", "TLSv1.3")]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = stdlib_server_context(certs).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sock = client_context(certs).wrap_socket(socket.socket(), server_hostname="localhost")
        sock.settimeout(TIMEOUT)
        with sock:
            sock.connect(("127.0.0.1", server.server_address[1]))  # the handshake runs here
            assert sock.version() == "TLSv1.3" and sock.ssl_object is not None
            assert sock.ssl_object.authorized is True
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
