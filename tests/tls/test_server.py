"""``tls.Server``: listening, authorization, timeouts, contexts, 'connection' injection."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
import trustme

import nodetls as tls
from nodetls.node import duplex_pair, net
from nodetls.tls._deprecation import NodeDeprecationWarning
from nodetls.tls.server import default_session_id_context
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.tls.tlsutil import serving


async def test_listen_address_close(certs: Certs, uncaught: list[BaseException]) -> None:
    server = tls.create_server(key=certs.key, cert=certs.cert)
    assert isinstance(server, tls.Server) and isinstance(server, net.Server)
    assert await server.listen(0, "127.0.0.1") is server
    address = server.address()
    assert isinstance(address, dict) and address["family"] == "IPv4"
    server.close()
    await wait(server.wait_closed())
    assert server.address() is None


async def test_shared_context_built_once(certs: Certs) -> None:
    contexts: list[object] = []
    async with serving(lambda s: (contexts.append(s._config.context), s.end()), key=certs.key,
                       cert=certs.cert) as (server, port):
        for _ in range(3):
            await collect(await tls.connect(port, "127.0.0.1", ca=certs.ca))
        assert len(contexts) == 3
        assert all(c is server._shared_context for c in contexts)


async def test_request_cert_authorization(certs: Certs) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert, ca=certs.ca,
                       request_cert=True) as (server, port):
        errors = event(server, "tlsClientError")
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, key=certs.client_key,
                                 cert=certs.client_cert)
        await collect(sock)
        anonymous = tls.connect(port, "127.0.0.1", ca=certs.ca)
        anonymous.on("error", lambda err: None)
        await wait(event(anonymous, "close"))
        err, _ = await wait(errors, "tlsClientError")
        assert err.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
        assert err.library == "SSL routines"


async def test_handshake_timeout(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, handshake_timeout=200) as (server, port):
        errors = event(server, "tlsClientError")
        loop = asyncio.get_running_loop()
        started = loop.time()
        raw = await net.connect(port, "127.0.0.1")
        err, sock = await wait(errors, "tlsClientError")
        elapsed = loop.time() - started
        assert err.code == "ERR_TLS_HANDSHAKE_TIMEOUT" and str(err) == "TLS handshake timeout"
        assert 0.15 < elapsed < 2.0
        assert isinstance(sock, tls.TLSSocket)
        assert sock.destroyed is False  # Node reports the timeout; the listener decides
        sock.destroy()
        raw.destroy()


def test_handshake_timeout_default_and_validation(certs: Certs) -> None:
    server = tls.Server(key=certs.key, cert=certs.cert)
    assert server._handshake_timeout == 120000
    with pytest.raises(TypeError) as info:
        tls.Server(key=certs.key, cert=certs.cert, handshake_timeout="1")
    assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]


async def test_set_secure_context_new_connections_only(certs: Certs, ec_ca: trustme.CA) -> None:
    other = ec_ca.issue_cert("localhost", "127.0.0.1")
    held: list[tls.TLSSocket] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        held.append(sock)
        sock.on("data", lambda data: sock.write(data.upper()))

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (server, port):
        first = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        server.set_secure_context(key=other.private_key_pem.bytes(),
                                  cert=other.cert_chain_pems[0].bytes())
        second = await tls.connect(port, "127.0.0.1", ca=ec_ca.cert_pem.bytes())
        issuers = [s.get_peer_certificate()["issuer"] for s in (first, second)]
        assert issuers[0] != issuers[1]
        first.write(b"still here")
        assert (await wait(event(first, "data")))[0] == b"STILL HERE"
        first.destroy()
        second.destroy()


async def test_honor_cipher_order_default(certs: Certs) -> None:
    server_order = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"
    client_order = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert, ciphers=server_order,
                       max_version="TLSv1.2") as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, ciphers=client_order)
        assert sock.get_cipher()["name"] == "ECDHE-ECDSA-AES256-GCM-SHA384"  # type: ignore[index]
        await collect(sock)
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert, ciphers=server_order,
                       max_version="TLSv1.2", honor_cipher_order=False) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, ciphers=client_order)
        assert sock.get_cipher()["name"] == "ECDHE-ECDSA-AES128-GCM-SHA256"  # type: ignore[index]
        await collect(sock)


def test_default_session_id_context() -> None:
    value = default_session_id_context()
    assert len(value) == 32 and int(value, 16) >= 0


async def test_emit_connection_with_any_duplex(certs: Certs) -> None:
    server = tls.create_server(lambda s: s.end(b"over memory"), key=certs.key, cert=certs.cert)
    a, b = duplex_pair()
    server.emit("connection", b)
    sock = await tls.connect(socket=a, ca=certs.ca, servername="localhost")
    assert await collect(sock) == b"over memory"


async def test_user_connection_listener_sees_raw_socket(certs: Certs) -> None:
    raws: list[object] = []
    async with serving(lambda s: s.end(b"hi"), key=certs.key, cert=certs.cert) as (server, port):
        server.on("connection", raws.append)
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        assert await collect(sock) == b"hi"
    assert len(raws) == 1 and type(raws[0]) is net.Socket


async def test_max_connections(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        server.max_connections = 1
        first = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        second = tls.connect(port, "127.0.0.1", ca=certs.ca)
        with pytest.raises(OSError) as info:
            await second
        assert info.value.code == "ECONNRESET"  # type: ignore[attr-defined]
        first.destroy()


async def test_keylog_on_server(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        lines: list[tuple[bytes, Any]] = []
        server.on("keylog", lambda line, sock: lines.append((line, sock)))
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        sock.destroy()
        await wait(event(sock, "close"))
    assert len(lines) == 5 and all(isinstance(s, tls.TLSSocket) for _, s in lines)


async def test_servername_and_add_context(certs: Certs, ec_ca: trustme.CA) -> None:
    other = ec_ca.issue_cert("*.example.test")
    names: list[object] = []
    async with serving(lambda s: (names.append(s.servername), s.end()), key=certs.key,
                       cert=certs.cert) as (server, port):
        server.add_context("*.example.test", {"key": other.private_key_pem.bytes(),
                                              "cert": other.cert_chain_pems[0].bytes()})
        sock = await tls.connect(port, "127.0.0.1", ca=ec_ca.cert_pem.bytes(),
                                 servername="a.example.test")
        assert sock.authorized
        await collect(sock)
        plain = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost")
        await collect(plain)
        with pytest.raises(Exception) as info:
            server.add_context("", {})
        assert info.value.code == "ERR_TLS_REQUIRED_SERVER_NAME"  # type: ignore[attr-defined]
    assert names == ["a.example.test", "localhost"]


async def test_async_sni_callback(certs: Certs, ec_ca: trustme.CA) -> None:
    other = ec_ca.issue_cert("sni.test")
    context = tls.create_secure_context(key=other.private_key_pem.bytes(),
                                        cert=other.cert_chain_pems[0].bytes())

    async def pick(servername: str, cb: Any) -> Any:
        await asyncio.sleep(0)
        return context if servername == "sni.test" else None

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       sni_callback=pick) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=ec_ca.cert_pem.bytes(),
                                 servername="sni.test")
        assert sock.get_peer_certificate()["subjectaltname"] == "DNS:sni.test"
        await collect(sock)


async def test_sni_callback_error_goes_to_tls_client_error(certs: Certs) -> None:
    def refuse(servername: str, cb: Any) -> None:
        cb(ValueError("no such name"))

    async with serving(key=certs.key, cert=certs.cert, sni_callback=refuse) as (server, port):
        errors = event(server, "tlsClientError")
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="x.test")
        with pytest.raises(OSError):
            await sock
        err, _ = await wait(errors)
        assert str(err) == "no such name"


def test_deprecated_connections_property(certs: Certs) -> None:
    server = tls.Server(key=certs.key, cert=certs.cert)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert server.connections == 0
    codes = [w.message.code for w in caught if isinstance(w.message, NodeDeprecationWarning)]
    assert codes in (["DEP0020"], [])


def test_alpn_callback_with_protocols_conflict(certs: Certs) -> None:
    with pytest.raises(TypeError) as info:
        tls.create_server(key=certs.key, cert=certs.cert, alpn_callback=lambda o: None,
                          alpn_protocols=["h2"])
    assert info.value.code == "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"  # type: ignore[attr-defined]


async def test_alpn_callback(certs: Certs) -> None:
    offers: list[dict[str, Any]] = []

    def choose(offer: dict[str, Any]) -> str:
        offers.append(offer)
        return "b"

    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       alpn_callback=choose) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, alpn_protocols=["a", "b"])
        assert sock.alpn_protocol == "b"
        await collect(sock)
    assert offers == [{"servername": False, "protocols": ["a", "b"]}]


async def test_session_callbacks(certs: Certs) -> None:
    store: dict[bytes, bytes] = {}
    resumed: list[bytes] = []

    def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        store[session_id] = data
        asyncio.get_running_loop().call_soon(cb)  # the handshake waits for it

    def resume_session(session_id: bytes, cb: Any) -> None:
        resumed.append(session_id)
        cb(None, store.get(session_id))

    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       max_version="TLSv1.2", secure_options=tls.SSL_OP_NO_TICKET) as (server,
                                                                                       port):
        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)
        first = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        session = first.get_session()
        await collect(first)
        assert len(store) == 1 and session is not None
        again = await tls.connect(port, "127.0.0.1", ca=certs.ca, session=session)
        assert again.is_session_reused() is True
        await collect(again)
        # Every ClientHello carries an id (TLS 1.3 clients send a random one), so
        # resumeSession fires on the first connection too, as in Node.
        assert resumed[-1] in store and len(resumed) == 2


async def test_pause_on_connect_still_handshakes(certs: Certs) -> None:
    """Node: ``pauseOnConnect`` pauses the raw socket, yet the TLS handshake runs."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       pause_on_connect=True) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca)
        assert await collect(sock) == b"x"


async def test_deprecated_set_options(certs: Certs) -> None:
    async with serving(lambda s: (s.end()), key=certs.key, cert=certs.cert,
                       ca=certs.ca) as (server, port):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            server.set_options(request_cert=True, reject_unauthorized=False)
        codes = [w.message.code for w in caught if isinstance(w.message, NodeDeprecationWarning)]
        assert codes in (["DEP0122"], [])
        assert server.request_cert is True and server.reject_unauthorized is False
        peers: list[object] = []
        server.on("secureConnection", lambda s: peers.append(s.get_peer_certificate()))
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, key=certs.client_key,
                                 cert=certs.client_cert)
        await collect(sock)
        assert peers and peers[0]["subject"]["CN"] == "client"  # type: ignore[index]
