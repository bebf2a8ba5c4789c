"""NPN, Node v0.x-v9's ``NPNProtocols``/``npnProtocol`` (issue #4, item 3).

Node 20 has no NPN, so the real peers are ``openssl s_client -nextprotoneg`` and
``openssl s_server -nextprotoneg``.  Between nodetls peers the results are Node v8's
(its test-tls-npn-server-client and test-tls-alpn-server-client): the server's
preference, False without overlap (the server then sees the client's first choice),
ALPN taking precedence, nothing on TLS 1.3.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect
from tests.support.openssl import OPENSSL
from tests.support.procs import Peer, process_peer
from tests.tls.tlsutil import serving

pytestmark = pytest.mark.timeout(10)


def ending(record: Callable[[tls.TLSSocket], object]) -> Callable[[tls.TLSSocket], None]:
    """A 'secureConnection' listener: ``record(socket)``, then end the socket."""

    def listener(sock: tls.TLSSocket) -> None:
        record(sock)
        sock.end()

    return listener


async def negotiate(certs: Certs, server: dict[str, Any],
                    client: dict[str, Any]) -> tuple[object, object, object, object]:
    """(server npn, client npn, server alpn, client alpn) of one TLS 1.2 connection."""
    seen: list[tuple[object, object]] = []
    async with serving(ending(lambda s: seen.append((s.npn_protocol, s.alpn_protocol))),
                       key=certs.key, cert=certs.cert, max_version="TLSv1.2",
                       **server) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, **client)
        result = (sock.npn_protocol, sock.alpn_protocol)
        await collect(sock)
    [(server_npn, server_alpn)] = seen
    return server_npn, result[0], server_alpn, result[1]


ABC = ["a", "b", "c"]
CBE = ["c", "b", "e"]
FIRST = ["first-priority-unsupported", "x", "y"]


@pytest.mark.parametrize(("server", "client", "expected"), [
    # Node v8 "Server: NPN, Client: NPN"
    ({"npn_protocols": ABC}, {"npn_protocols": ABC}, ("a", "a", False, False)),
    ({"npn_protocols": ABC}, {"npn_protocols": CBE}, ("b", "b", False, False)),
    ({"npn_protocols": ABC}, {"npn_protocols": FIRST},
     ("first-priority-unsupported", False, False, False)),
    # "Server: ALPN/NPN, Client: ALPN/NPN": ALPN wins, the client never sees NPN
    ({"npn_protocols": ABC, "alpn_protocols": ABC},
     {"npn_protocols": ABC, "alpn_protocols": ABC}, (False, None, "a", "a")),
    ({"npn_protocols": ABC, "alpn_protocols": ABC},
     {"npn_protocols": CBE, "alpn_protocols": CBE}, (False, None, "b", "b")),
    # "Server: NPN, Client: ALPN/NPN": NPN where ALPN is not answered
    ({"npn_protocols": ABC}, {"npn_protocols": CBE, "alpn_protocols": CBE},
     ("b", "b", False, False)),
    # wire format and bytes names
    ({"npn_protocols": b"\x02h2\x08http/1.1"}, {"npn_protocols": [b"http/1.1", "h2"]},
     ("h2", "h2", False, False)),
    # a side without NPN: not used at all (Node v20's behaviour; see tls/npn.py)
    ({}, {"npn_protocols": ABC}, (False, None, False, False)),
    ({"npn_protocols": ABC}, {}, (False, None, False, False)),
])
async def test_npn_matrix(certs: Certs, server: dict[str, Any], client: dict[str, Any],
                          expected: tuple[object, ...]) -> None:
    assert await negotiate(certs, server, client) == expected


async def test_no_npn_in_tls13(certs: Certs) -> None:
    seen: list[object] = []
    async with serving(ending(lambda s: seen.append(s.npn_protocol)), key=certs.key,
                       cert=certs.cert, npn_protocols=ABC) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, npn_protocols=ABC)
        assert sock.get_protocol() == "TLSv1.3" and sock.npn_protocol is None
        await collect(sock)
    assert seen == [False]
    assert tls.TLSSocket().npn_protocol is None  # before any handshake


async def test_client_context_keeps_offering_npn(certs: Certs) -> None:
    # The NPN callbacks belong to the SSL_CTX: a client context once used with NPN makes
    # every client on it offer NPN, choosing 'http/1.1' without a list (Node v8's
    # "Server: NPN, Client: Nothing").
    context = tls.create_secure_context(ca=certs.ca)
    seen: list[object] = []
    async with serving(ending(lambda s: seen.append(s.npn_protocol)), key=certs.key,
                       cert=certs.cert, max_version="TLSv1.2", npn_protocols=ABC) as (_, port):
        first = await tls.connect(port, "127.0.0.1", secure_context=context,
                                  npn_protocols=CBE)
        assert first.npn_protocol == "b"
        await collect(first)
        second = await tls.connect(port, "127.0.0.1", secure_context=context)
        assert second.npn_protocol is False
        await collect(second)
    assert seen == ["b", "http/1.1"]


async def _s_server(certs: Certs, tmp: Any, protocols: str) -> tuple[Peer, int]:
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    key.write_bytes(certs.key)
    cert.write_bytes(certs.cert)
    peer = await process_peer(OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-key", str(key),
                              "-cert", str(cert), "-nextprotoneg", protocols, "-naccept", "1",
                              stdin=True)
    assert peer.proc.stdout is not None
    while True:  # the ACCEPT line is the readiness event
        line = await asyncio.wait_for(peer.proc.stdout.readline(), 5)
        if not line:
            raise AssertionError("s_server exited")
        match = re.match(rb"ACCEPT .*:(\d+)", line)
        if match:
            return peer, int(match.group(1))


@pytest.mark.parametrize(("offer", "expected", "server_sees"), [
    (["x", "b"], "b", "b"), (["x", "y"], False, "x")])
async def test_nodetls_client_against_openssl_s_server(certs: Certs, tmp_path: Any,
                                                       offer: list[str], expected: object,
                                                       server_sees: str) -> None:
    peer, port = await _s_server(certs, tmp_path, "a,b,c")
    try:
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                 npn_protocols=offer, max_version="TLSv1.2")
        assert sock.npn_protocol == expected
        sock.destroy()
        out, _ = await peer.output(timeout=5, stdin=b"")
    finally:
        await peer.stop()
    assert f"NEXTPROTO is {server_sees}\n" in out.decode()


@pytest.mark.parametrize(("offer", "status"), [("x,b", "(1) b"), ("x,y", "(2) x")])
async def test_openssl_s_client_against_nodetls_server(certs: Certs, offer: str,
                                                       status: str) -> None:
    seen: list[object] = []
    async with serving(ending(lambda s: seen.append(s.npn_protocol)), key=certs.key,
                       cert=certs.cert, npn_protocols=ABC) as (_, port):
        peer = await process_peer(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
                                  "-nextprotoneg", offer, "-tls1_2", stdin=True)
        try:
            out, _ = await peer.output(timeout=5, stdin=b"")
        finally:
            await peer.stop()
    assert f"Next protocol: {status}" in out.decode()
    assert seen == [status.split()[-1] if status.startswith("(1)") else "x"]
