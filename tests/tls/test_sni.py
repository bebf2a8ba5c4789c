"""SNI between nodetls peers (issue #4, item 1; Node peers: ``interop/test_node_sni.py``).

``servername`` on clients, ``socket.servername`` on servers, ``add_context`` (wildcards,
last-added first, validation), ``sni_callback`` answered at once, later, by an
``async def``, with an error, twice, or after the client left; a bare server
``TLSSocket`` with an ``sni_callback`` and no ``tls.Server``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import trustme

import nodetls as tls
from nodetls.node import duplex_pair
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.openssl import OPENSSL, openssl
from tests.support.procs import process_peer
from tests.tls.tlsutil import serving

Answer = Callable[..., Any]


def ending(record: Callable[[tls.TLSSocket], object]) -> Callable[[tls.TLSSocket], None]:
    """A 'secureConnection' listener: ``record(socket)``, then end the socket."""

    def listener(sock: tls.TLSSocket) -> None:
        record(sock)
        sock.end()

    return listener


@pytest.fixture(scope="module")
def other(ec_ca: trustme.CA) -> dict[str, bytes]:
    leaf = ec_ca.issue_cert("*.sni.test")
    return {"key": leaf.private_key_pem.bytes(), "cert": leaf.cert_chain_pems[0].bytes(),
            "ca": ec_ca.cert_pem.bytes()}


def context_of(other: dict[str, bytes]) -> tls.SecureContext:
    return tls.create_secure_context(key=other["key"], cert=other["cert"])


def san(sock: tls.TLSSocket) -> str:
    cert = sock.get_peer_certificate()
    assert cert is not None
    return str(cert["subjectaltname"])


@pytest.mark.parametrize("bad", ["fhqwhgads", 42, {}, []])
def test_sni_callback_must_be_a_function(bad: object) -> None:
    # Node's snicallback-error test; JavaScript's truth test ({} and [] are objects).
    for make in (lambda: tls.create_server(sni_callback=bad),
                 lambda: tls.TLSSocket(None, is_server=True, sni_callback=bad)):
        with pytest.raises(TypeError) as info:
            make()
        assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]


def test_add_context_validation(certs: Certs) -> None:
    server = tls.create_server(key=certs.key, cert=certs.cert)
    with pytest.raises(Exception) as info:
        server.add_context("", {})
    assert info.value.code == "ERR_TLS_REQUIRED_SERVER_NAME"  # type: ignore[attr-defined]
    assert str(info.value) == '"servername" is required parameter for Server.addContext'
    with pytest.raises(TypeError) as type_info:
        server.add_context("x.test", 5)  # type: ignore[arg-type]
    assert type_info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
    assert str(type_info.value).startswith('The "options" argument must be of type object')


async def test_add_context_wildcards_and_order(certs: Certs, other: dict[str, bytes]) -> None:
    names: list[object] = []
    async with serving(ending(lambda s: names.append(s.servername)), key=certs.key,
                       cert=certs.cert) as (server, port):
        server.add_context("*.sni.test", {"key": other["key"], "cert": other["cert"]})
        got: dict[str, str] = {}
        for name in ("a.sni.test", "a.b.sni.test", "A.SNI.TEST", None):
            options: dict[str, Any] = {"servername": name} if name else {}
            sock = await tls.connect(port, "127.0.0.1", reject_unauthorized=False, **options)
            got[str(name)] = san(sock)
            await collect(sock)
        # An exact name added later wins over the earlier wildcard (last-added first).
        server.add_context("a.sni.test", tls.create_secure_context(key=certs.key,
                                                                   cert=certs.cert))
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="a.sni.test",
                                 check_server_identity=lambda host, cert: None)
        assert sock.authorized and san(sock).startswith("DNS:localhost")
        await collect(sock)
    default = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    assert got == {"a.sni.test": "DNS:*.sni.test", "a.b.sni.test": default,
                   "A.SNI.TEST": default, "None": default}
    assert names == ["a.sni.test", "a.b.sni.test", "A.SNI.TEST", False, "a.sni.test"]


async def test_callback_answered_later_and_by_async_def(certs: Certs,
                                                        other: dict[str, bytes]) -> None:
    context = context_of(other)
    asked: list[str] = []

    def later(servername: str, cb: Answer) -> None:
        asked.append(servername)
        asyncio.get_running_loop().call_later(0.05, cb, None, context)

    async def async_def(servername: str, cb: Answer) -> tls.SecureContext | None:
        asked.append(servername)
        answer: asyncio.Future[tls.SecureContext | None] = (
            asyncio.get_running_loop().create_future())
        asyncio.get_running_loop().call_later(0.05, answer.set_result,
                                              context if servername == "a.sni.test" else None)
        return await answer

    for callback in (later, async_def):
        async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                           sni_callback=callback) as (_, port):
            sock = await tls.connect(port, "127.0.0.1", ca=other["ca"], servername="a.sni.test")
            assert sock.authorized and san(sock) == "DNS:*.sni.test"
            await collect(sock)
            plain = await tls.connect(port, "127.0.0.1", ca=certs.ca)
            assert plain.authorized  # no SNI: the callback is not even asked
            await collect(plain)
    assert asked == ["a.sni.test", "a.sni.test"]


async def test_default_context_when_answer_is_none(certs: Certs) -> None:
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert,
                       sni_callback=lambda name, cb: cb(None, None)) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="x.test",
                                 check_server_identity=lambda host, cert: None)
        assert sock.authorized and sock.servername == "x.test"
        await collect(sock)


async def _refused(certs: Certs, sni_callback: Answer) -> tuple[BaseException, BaseException]:
    """(the server's tlsClientError, the client's error)."""
    async with serving(key=certs.key, cert=certs.cert, sni_callback=sni_callback) as (server,
                                                                                     port):
        reported = event(server, "tlsClientError")
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="x.test")
        with pytest.raises(OSError) as info:
            await sock
        err, socket = await wait(reported, "'tlsClientError'")
        assert isinstance(socket, tls.TLSSocket) and socket.destroyed
        return err, info.value


async def test_errors_destroy_and_reach_tls_client_error(
        certs: Certs, uncaught: list[BaseException]) -> None:
    def twice(name: str, cb: Answer) -> None:
        cb(None, None)
        cb(None, None)  # before any of the handshake went out, as in Node

    async def raises(name: str, cb: Answer) -> None:
        await asyncio.sleep(0)
        raise LookupError("async refusal")

    boom = ValueError("refused")
    cases: list[tuple[Answer, Callable[[BaseException], bool]]] = [
        (lambda n, cb: asyncio.get_running_loop().call_later(0.02, cb, boom),
         lambda err: err is boom),
        (lambda n, cb: cb(None, object()),
         lambda err: type(err) is TypeError and str(err) == "Invalid SNI context"),
        (twice, lambda err: getattr(err, "code", None) == "ERR_MULTIPLE_CALLBACK"),
        (raises, lambda err: type(err) is LookupError),
        (lambda n, cb: 1 / 0, lambda err: type(err) is ZeroDivisionError),
    ]
    for callback, expected in cases:
        err, client_err = await _refused(certs, callback)
        assert expected(err), err
        assert client_err.code == "ECONNRESET"  # type: ignore[attr-defined]
        assert str(client_err) == ("Client network socket disconnected before secure TLS "
                                   "connection was established")
    # User code that raised is also reported as uncaught (the user-code policy).
    assert [repr(e) for e in uncaught] == ["LookupError('async refusal')",
                                           "ZeroDivisionError('division by zero')"]
    uncaught.clear()


async def test_answer_after_the_client_left(certs: Certs, uncaught: list[BaseException]) -> (
    None
):
    answers: asyncio.Queue[Answer] = asyncio.Queue()
    async with serving(key=certs.key, cert=certs.cert,
                       sni_callback=lambda n, cb: answers.put_nowait(cb)) as (server, port):
        reported = event(server, "tlsClientError")
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="x.test")
        cb = await wait(answers.get(), "the SNI question")
        sock.destroy()
        err, server_sock = await wait(reported, "'tlsClientError'")
        assert err.code == "ECONNRESET"
        if not server_sock.closed:
            await wait(event(server_sock, "close"))
        cb(None, None)  # nothing left to answer: quietly ignored (Node: ERR_SOCKET_CLOSED)
        assert sock.destroyed


async def test_bare_server_socket_with_sni_callback(certs: Certs, other: dict[str, bytes]) -> (
    None
):
    # Node's socket-snicallback-without-server: no tls.Server, the callback still runs.
    asked: list[str] = []

    def pick(servername: str, cb: Answer) -> None:
        asked.append(servername)
        asyncio.get_running_loop().call_soon(cb, None, context_of(other))

    x, y = duplex_pair()
    server = tls.TLSSocket(y, is_server=True, key=certs.key, cert=certs.cert, sni_callback=pick)
    client = tls.connect(socket=x, ca=other["ca"], servername="b.sni.test")
    await wait(client, "'secureConnect'")
    assert client.authorized and san(client) == "DNS:*.sni.test"
    assert await wait(server) is server and server.servername == "b.sni.test"
    assert asked == ["b.sni.test"]
    client.destroy()
    server.destroy()


async def test_sni_context_brings_its_ca_list(certs: Certs, other: dict[str, bytes]) -> None:
    # Node's SetCACerts: the SNI context's CAs verify client certificates and are the
    # names the CertificateRequest lists (seen here by openssl s_client).
    context = tls.create_secure_context(key=other["key"], cert=other["cert"], ca=other["ca"])
    names: dict[str, str] = {}
    async with serving(lambda s: s.end(), key=certs.key, cert=certs.cert, ca=certs.ca,
                       request_cert=True, reject_unauthorized=False,
                       sni_callback=lambda n, cb: cb(None, context if n == "a.sni.test"
                                                     else None)) as (_, port):
        for servername in ("a.sni.test", "other.test"):
            peer = await process_peer(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}",
                                      "-servername", servername, stdin=True)
            try:
                out, _ = await peer.output(timeout=5, stdin=b"")
            finally:
                await peer.stop()
            text = out.decode()
            start = text.index("Acceptable client certificate CA names\n") + 39
            names[servername] = text[start:text.index("\n", start)]
    assert names["a.sni.test"] == _subject(other["ca"])
    assert names["other.test"] == _subject(certs.ca)


def _subject(pem: bytes) -> str:
    out = openssl("x509", "-noout", "-subject", "-nameopt", "oneline", input=pem)
    return out.strip().removeprefix("subject=")
