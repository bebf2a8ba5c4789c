"""Failures on the wire, reported as Node reports them (codes, messages, which event)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import net
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


async def test_peer_closes_before_handshake_client_side(uncaught: list[BaseException]) -> None:
    plain = net.create_server(lambda raw: raw.destroy())
    await plain.listen(0, "127.0.0.1")
    port = plain.address()["port"]  # type: ignore[index]
    with pytest.raises(OSError) as info:
        await tls.connect(port, "127.0.0.1")
    err: Any = info.value
    assert err.code == "ECONNRESET"
    assert str(err) == ("Client network socket disconnected before secure TLS connection "
                        "was established")
    assert (err.host, err.port, err.local_address) == ("127.0.0.1", port, None)
    plain.close()
    await wait(plain.wait_closed())


async def test_client_closes_before_handshake_server_side(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        errors = event(server, "tlsClientError")
        raw = await net.connect(port, "127.0.0.1")
        closed = event(raw, "close")
        raw.end()
        err, sock = await wait(errors, "tlsClientError")
        assert err.code == "ECONNRESET" and str(err) == "socket hang up"
        assert isinstance(sock, tls.TLSSocket)
        await wait(closed)


async def test_http_request_to_tls_port(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"ok"), key=certs.key, cert=certs.cert) as (server, port):
        errors = event(server, "tlsClientError")
        raw = await net.connect(port, "127.0.0.1")
        received: list[bytes] = []
        raw.on("data", received.append)
        raw.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        err, _ = await wait(errors, "tlsClientError")
        assert err.code == "ERR_SSL_HTTP_REQUEST"
        assert err.library == "SSL routines" and err.reason == "http request"
        await wait(event(raw, "close"))
        assert received == []  # nothing written back
        # the server goes on serving
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        assert await collect(sock) == b"ok"


async def test_junk_bytes(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        errors = event(server, "tlsClientError")
        raw = await net.connect(port, "127.0.0.1")
        raw.write(os.urandom(3) + b"\x16\x09\x09" + b"\x00" * 64)
        err, _ = await wait(errors, "tlsClientError")
        assert err.code.startswith("ERR_SSL_")
        raw.destroy()


async def test_protocol_version_mismatch(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, max_version="TLSv1.2") as (server, port):
        errors = event(server, "tlsClientError")
        with pytest.raises(Exception) as info:
            await tls.connect(port, "127.0.0.1", ca=certs.ca, min_version="TLSv1.3")
        assert info.value.code == "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"  # type: ignore[attr-defined]
        err, _ = await wait(errors, "tlsClientError")
        assert err.code == "ERR_SSL_UNSUPPORTED_PROTOCOL"


async def test_tls_client_error_at_most_once(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        reported: list[str] = []
        legacy: list[str] = []
        server.on("tlsClientError", lambda err, sock: reported.append(err.code))
        server.on("clientError", lambda err, sock: legacy.append(err.code))
        raw = await net.connect(port, "127.0.0.1")
        raw.write(b"GET / HTTP/1.0\r\n\r\n")
        await wait(event(raw, "close"))
        await asyncio.sleep(0.05)  # let any second report (hang up on close) arrive
        assert reported == ["ERR_SSL_HTTP_REQUEST"] and legacy == reported


async def test_listener_that_raises_is_reported_and_server_goes_on(
    certs: Certs, uncaught: list[BaseException]
) -> None:
    calls = 0

    def on_secure(sock: tls.TLSSocket) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("bug in a listener")
        sock.end(b"fine")

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        first = tls.connect(port, "127.0.0.1", ca=certs.ca)
        first.on("error", lambda err: None)
        await wait(event(first, "close"))
        second = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        assert await collect(second) == b"fine"
    assert [str(e) for e in uncaught] == ["bug in a listener"]
    uncaught.clear()


async def test_no_data_lost_before_end(certs: Certs) -> None:
    payload = os.urandom(4 * 1024 * 1024 + 123)
    closes: list[bool] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("close", closes.append)
        sock.write(payload[: len(payload) // 2])
        sock.end(payload[len(payload) // 2:])

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        client_close = event(sock, "close")
        data = await collect(sock)
        assert hashlib.sha256(data).digest() == hashlib.sha256(payload).digest()
        assert (await wait(client_close))[0] is False
        await asyncio.sleep(0)
    assert closes in ([False], [])


async def test_error_after_release_is_socket_error(certs: Certs) -> None:
    """A TLS failure after the handshake is the client socket's 'error'."""
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        accepted = event(server, "secureConnection")
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        (peer,) = await wait(accepted)
        errors = event(sock, "error")
        # Corrupt the record layer: write raw garbage under the server's TLS handle.
        peer.handle.inner.write(b"\x17\x03\x03\x00\x20" + b"\x00" * 32, lambda err: None)
        (err,) = await wait(errors)
        assert err.code == "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
