"""``TLSSocket`` itself: construction over any Duplex, getters, validation, renegotiation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import duplex_pair, net, next_tick, set_immediate
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.node import node_peer
from tests.tls.tlsutil import serving


def _pair(certs: Certs, **server_options: Any) -> tuple[tls.TLSSocket, tls.TLSSocket]:
    """A client (``tls.connect``) and a bare server ``TLSSocket`` over an in-memory pair."""
    x, y = duplex_pair()
    server = tls.TLSSocket(y, is_server=True, key=certs.key, cert=certs.cert, **server_options)
    client = tls.connect(socket=x, ca=certs.ca, servername="localhost")
    return client, server


async def test_over_duplex_pair(certs: Certs, uncaught: list[BaseException]) -> None:
    client, server = _pair(certs)
    server.on("data", lambda data: server.end(data[::-1]))
    await client
    assert await wait(server) is server
    assert server.get_protocol() == client.get_protocol() == "TLSv1.3"
    assert server.servername == "localhost"
    assert server.authorized is False and server.secure_connecting is True  # bare socket
    client.write(b"abc")
    assert await collect(client) == b"cba"


async def test_before_any_handshake() -> None:
    sock = tls.TLSSocket()
    assert sock.encrypted is True and sock.authorized is False
    assert sock.authorization_error is None and sock.secure_connecting is True
    assert sock.alpn_protocol is None and sock.servername is None
    assert sock.get_peer_certificate() == {} and sock.get_certificate() == {}
    assert sock.get_cipher() is None and sock.get_protocol() == "TLSv1.3"
    assert sock.get_finished() is None and sock.get_peer_finished() is None
    assert sock.get_session() is None and sock.get_tls_ticket() is None
    assert sock.is_session_reused() is False
    assert sock.get_ephemeral_key_info() == {} and sock.get_shared_sigalgs() == []
    assert sock.set_max_send_fragment(100) is False
    assert sock.set_max_send_fragment(512) is True and sock.set_max_send_fragment(16384) is True
    assert sock.address() == {} and sock.remote_address is None


async def test_argument_validation_matches_node() -> None:
    sock = tls.TLSSocket()
    cases: list[tuple[Any, str, str]] = [
        (lambda: sock.export_keying_material(10, "x"), "ERR_TLS_INVALID_STATE",
         "TLS socket connection must be securely established"),
        (lambda: sock.export_keying_material("a", "x"), "ERR_INVALID_ARG_TYPE",
         'The "length" argument must be of type number. Received type string (\'a\')'),
        (lambda: sock.export_keying_material(10, 5), "ERR_INVALID_ARG_TYPE",
         'The "label" argument must be of type string. Received type number (5)'),
        (lambda: sock.export_keying_material(-1, "x"), "ERR_OUT_OF_RANGE",
         'The value of "length" is out of range. It must be >= 1 && <= 4294967295. '
         "Received -1"),
        (lambda: sock.set_max_send_fragment("a"), "ERR_INVALID_ARG_TYPE",
         'The "size" argument must be of type number. Received type string (\'a\')'),
    ]
    for call, code, message in cases:
        with pytest.raises(Exception) as info:
            call()
        assert (info.value.code, str(info.value)) == (code, message)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="isServer"):
        tls.TLSSocket(None, isServer=True)
    with pytest.raises(TypeError) as bad_context:
        tls.TLSSocket(None, secure_context=object())
    assert bad_context.value.code == "ERR_TLS_INVALID_CONTEXT"  # type: ignore[attr-defined]
    with pytest.raises(TypeError) as bad_trace:
        tls.TLSSocket(None, enable_trace="yes")
    assert bad_trace.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]


async def test_set_servername_on_server_socket(certs: Certs) -> None:
    client, server = _pair(certs)
    with pytest.raises(Exception) as info:
        server.set_servername("x")
    assert info.value.code == "ERR_TLS_SNI_FROM_SERVER"  # type: ignore[attr-defined]
    assert str(info.value) == "Cannot issue SNI from a TLS server-side socket"
    client.destroy()
    server.destroy()


async def test_detailed_peer_certificate_links_to_root(certs: Certs) -> None:
    client, server = _pair(certs)
    await client
    leaf = client.get_peer_certificate(True)
    assert leaf is not None and "issuerCertificate" in leaf
    root = leaf["issuerCertificate"]
    assert root["issuerCertificate"] is root  # a self-signed root points at itself
    assert "issuerCertificate" not in (client.get_peer_certificate() or {})
    mine = server.get_certificate()
    assert mine is not None and mine["raw"] == leaf["raw"]
    client.destroy()
    server.destroy()


async def test_bare_client_starts_on_first_write(certs: Certs) -> None:
    """Node: ``new TLSSocket(sock)`` as a client handshakes once something is written."""
    x, y = duplex_pair()
    server = tls.TLSSocket(y, is_server=True, key=certs.key, cert=certs.cert)
    client = tls.TLSSocket(x, ca=certs.ca)
    assert client._reject_unauthorized is False  # Node's default for a bare TLSSocket
    server.on("data", lambda data: server.end(data + b"!"))
    client.write(b"hi")
    await wait(client)
    assert await collect(client) == b"hi!"


async def test_renegotiation_tls12_and_tls13(certs: Certs) -> None:
    client, server = _pair(certs, max_version="TLSv1.2")
    await client
    done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    assert client.renegotiate(done.set_result, request_cert=False) is True
    client.write(b"ping")  # data keeps flowing through the renegotiation
    assert (await wait(event(server, "data")))[0] == b"ping"
    server.write(b"pong")
    assert await wait(done) is None
    client.destroy()
    server.destroy()

    client13, server13 = _pair(certs)
    await client13
    failed: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
    assert client13.renegotiate(failed.set_result) is False
    err = await wait(failed)
    assert err is not None and err.code == "ERR_SSL_WRONG_SSL_VERSION"  # type: ignore[attr-defined]
    client13.destroy()
    server13.destroy()


async def test_disable_renegotiation(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, max_version="TLSv1.2") as (server, port):
        accepted = event(server, "secureConnection")
        client = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        (peer,) = await wait(accepted)
        peer.disable_renegotiation()
        errors = event(peer, "error")
        client.on("error", lambda err: None)
        client.renegotiate()
        (err,) = await wait(errors)
        assert err.code == "ERR_TLS_RENEGOTIATION_DISABLED"
        client.destroy()


async def test_async_iteration_and_half_open(certs: Certs) -> None:
    def on_secure(sock: tls.TLSSocket) -> None:
        chunks: list[bytes] = []
        sock.on("data", chunks.append)
        sock.on("end", lambda: sock.end(b"after end: " + b"".join(chunks)))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_half_open=True) as (_, port):
        client = await tls.connect(port, "127.0.0.1", ca=certs.ca, allow_half_open=True)
        client.end(b"request")
        received = [chunk async for chunk in client]  # until 'end'
        assert b"".join(received) == b"after end: request"


async def test_tls_over_tls(certs: Certs) -> None:
    """TLS inside TLS: the outer TLSSocket is the transport of the inner one."""
    inner_context = tls.create_secure_context(key=certs.key, cert=certs.cert)

    def on_outer(outer: tls.TLSSocket) -> None:
        inner = tls.TLSSocket(outer, is_server=True, secure_context=inner_context)
        inner.on("data", lambda data: inner.end(b"inner:" + data))

    async with serving(on_outer, key=certs.key, cert=certs.cert) as (_, port):
        outer = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        inner = await tls.connect(socket=outer, ca=certs.ca, servername="localhost")
        assert inner.authorized
        inner.write(b"deep")
        assert await collect(inner) == b"inner:deep"


async def test_wrapped_socket_queued_writes_go_first(certs: Certs) -> None:
    """Writes the wrapped socket queued before TLS took over reach the peer first."""
    context = tls.create_secure_context(key=certs.key, cert=certs.cert)
    got: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def on_connection(raw: net.Socket) -> None:
        raw.write(b"plain-before-tls\n")
        secure = tls.TLSSocket(raw, is_server=True, secure_context=context)
        secure.on("data", lambda data: got.set_result(data))

    plain = net.create_server(on_connection)
    await plain.listen(0, "127.0.0.1")
    raw = await net.connect(plain.address()["port"], "127.0.0.1")  # type: ignore[index]
    first = await wait(event(raw, "data"))
    assert first[0] == b"plain-before-tls\n"
    raw.pause()
    client = await tls.connect(socket=raw, ca=certs.ca, servername="localhost")
    client.write(b"secret")
    assert await wait(got) == b"secret"
    client.destroy()
    plain.close()
    await wait(plain.wait_closed())


async def test_wrapping_a_socket_that_is_still_connecting(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"hi"), key=certs.key, cert=certs.cert) as (_, port):
        raw = net.connect(port, "127.0.0.1")
        assert raw.connecting
        sock = tls.connect(socket=raw, ca=certs.ca)
        connects = event(sock, "connect")
        await wait(sock)
        assert await wait(connects) == ()
        assert sock.authorized and await collect(sock) == b"hi"


async def test_destroying_wrapped_socket_destroys_tls_socket(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        raw = await net.connect(port, "127.0.0.1")
        sock = await tls.connect(socket=raw, ca=certs.ca, servername="localhost")
        closed = event(sock, "close")
        raw.destroy()
        await wait(closed)
        assert sock.destroyed
        assert sock.get_peer_certificate() is None  # no handle any more


async def test_x509_certificate_matches_node(certs: Certs) -> None:
    client, server = _pair(certs)
    await client
    peer = client.get_peer_x509_certificate()
    mine = server.get_x509_certificate()
    assert peer is not None and mine == peer
    assert server.get_peer_x509_certificate() is None  # the client sent none
    script = r"""
    const {X509Certificate} = require('crypto');
    const c = new X509Certificate(process.env.PEM);
    console.log(JSON.stringify({subject: c.subject, issuer: c.issuer, san: c.subjectAltName,
      ca: c.ca, from: c.validFrom, to: c.validTo, serial: c.serialNumber,
      fp: c.fingerprint, fp256: c.fingerprint256, fp512: c.fingerprint512, ku: c.keyUsage,
      pem: c.toString()}));
    """
    node = await (await node_peer(script, PEM=peer.to_string())).result()
    assert node == {"subject": peer.subject, "issuer": peer.issuer, "san": peer.subject_alt_name,
                    "ca": peer.ca, "from": peer.valid_from, "to": peer.valid_to,
                    "serial": peer.serial_number, "fp": peer.fingerprint,
                    "fp256": peer.fingerprint256, "fp512": peer.fingerprint512,
                    "ku": peer.key_usage, "pem": peer.to_string()}
    assert peer.to_legacy_object()["raw"] == peer.raw
    client.destroy()
    server.destroy()


async def test_a_write_in_a_data_handler_completes_on_the_same_loop_turn(certs: Certs) -> None:
    """A write made while a read is delivered completes as Node's TLSWrap completes it
    (SetImmediate, a native immediate): after the handler's ticks, before the immediates
    the handler queued.  Node v20 (the same handler on a ``tls.createServer``) logs
    ``tick write-cb immediate-before immediate-after``."""
    log: list[str] = []
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_secure(sock: tls.TLSSocket) -> None:
        def on_data(data: bytes) -> None:
            set_immediate(log.append, "immediate-before")
            sock.write(data, lambda _err: log.append("write-cb"))
            set_immediate(log.append, "immediate-after")
            next_tick(log.append, "tick")
            set_immediate(done.set_result, None)

        sock.on("data", on_data)

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_server, port):
        client = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        client.write(b"hi")
        await wait(done, "the handler's last immediate")
        client.destroy()
    assert log == ["tick", "write-cb", "immediate-before", "immediate-after"]
