"""The command line's own surface: ``--version``, ``--help`` with examples, the peer's
address on a failed handshake, and SIGTERM while a client holds a connection open."""

from __future__ import annotations

import signal
import socket
import time

import pytest

import nodetls as tls

from .conftest import NODETLS, Background, NodetlsServer, nodetls


def test_version_is_the_package_version() -> None:
    done = nodetls("--version")
    assert done.returncode == 0
    assert done.stdout.decode().strip() == f"nodetls {tls.__version__}"
    assert tls.__version__ == "0.2.0"


@pytest.mark.parametrize(("args", "example"), [
    ((), "python -m nodetls fleet rotate --redis"),
    (("server",), "--workers 4"),
    (("client",), "python -m nodetls client localhost:8443 --ca cert.pem"),
    (("fleet",), "python -m nodetls fleet rotate --redis"),
])
def test_help_shows_examples(args: tuple[str, ...], example: str) -> None:
    done = nodetls(*args, "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    assert "examples:" in text or "example:" in text
    assert example in text


def test_rotating_keys_needs_redis() -> None:
    done = nodetls("server", "--port", "0", "--rotate-ticket-keys", "60")
    assert done.returncode == 2
    assert b"--rotate-ticket-keys needs --redis" in done.stderr


@pytest.mark.timeout(60)
def test_a_failed_handshake_is_logged_with_the_peer_address(
        nodetls_server: NodetlsServer) -> None:
    with socket.create_connection(("127.0.0.1", nodetls_server.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        host, port = sock.getsockname()[:2]
        line = nodetls_server.proc.expect(r"TLS error before the handshake completed").string
    assert line.startswith(f"[{host}:{port}] TLS error before the handshake completed: "
                           "ERR_SSL_HTTP_REQUEST"), line


@pytest.mark.timeout(60)
def test_sigterm_with_a_half_open_client_exits_within_the_deadline(
        background: list[Background]) -> None:
    """A client that connects and never finishes its handshake (or half-closes) cannot
    keep the server alive past ``--deadline``."""
    proc = Background([*NODETLS, "server", "--port", "0", "--deadline", "1"])
    background.append(proc)
    nodetls_server = NodetlsServer(proc)
    with socket.create_connection(("127.0.0.1", nodetls_server.port), timeout=10) as idle, \
            socket.create_connection(("127.0.0.1", nodetls_server.port), timeout=10) as half:
        half.shutdown(socket.SHUT_WR)
        idle.sendall(b"\x16\x03\x01")  # the first bytes of a ClientHello, then nothing
        started = time.monotonic()
        assert nodetls_server.proc.stop(signal.SIGTERM) == 0
        assert time.monotonic() - started < 8  # 1 s deadline, plus the interpreter's exit
    nodetls_server.proc.expect(r"^stopping$")
    nodetls_server.proc.expect(r"connection\(s\) still open after 1\.0 s, destroyed")
