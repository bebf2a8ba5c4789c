"""TLS 1.2 renegotiation in one process: ``renegotiate()`` (client and server side),
``'secure'`` after each, the server's client-renegotiation limit read live from the
module, ``disable_renegotiation()``, and TLS 1.3's refusal.

Node's behaviour was checked against ``node`` v20 on the same OpenSSL; the Node and
``openssl s_client`` peers are in ``tests/interop/test_renegotiation_interop.py``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import nodetls as tls
from nodetls.tls.constants import defaults
from tests.support.certs import Certs
from tests.support.events import event, wait
from tests.tls.tlsutil import serving

TLS12 = {"max_version": "TLSv1.2"}


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    yield
    defaults.reset()


class Pair:
    """A nodetls client and the server socket it talks to, counting 'secure' events."""

    def __init__(self, client: tls.TLSSocket, server_side: tls.TLSSocket) -> None:
        self.client = client
        self.server_side = server_side
        self.secure = {"client": 0, "server": 0}
        client.on("secure", lambda: self._count("client"))
        server_side.on("secure", lambda: self._count("server"))
        server_side.on("data", server_side.write)  # echo

    def _count(self, side: str) -> None:
        self.secure[side] += 1

    async def renegotiate(self, sock: tls.TLSSocket, **options: Any) -> BaseException | None:
        done: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        assert sock.renegotiate(done.set_result, **options) is True
        return await wait(done, "renegotiate callback")  # type: ignore[no-any-return]

    async def echo(self, data: bytes) -> bytes:
        received = event(self.client, "data")
        self.client.write(data)
        return (await wait(received, "echo"))[0]  # type: ignore[no-any-return]


async def _pair(port: int, certs: Certs, server: tls.Server, **options: Any) -> Pair:
    accepted = event(server, "secureConnection")
    client = await wait(tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                    **options))
    (server_side,) = await wait(accepted, "secureConnection")
    return Pair(client, server_side)


async def test_client_renegotiate(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, **TLS12) as (server, port):
        pair = await _pair(port, certs, server)
        assert await pair.echo(b"before") == b"before"
        for n in (1, 2):
            assert await pair.renegotiate(pair.client) is None
            assert await pair.echo(b"after %d" % n) == b"after %d" % n
        # 'secure' after each renegotiation; the server side's listener, added in
        # 'secureConnection', missed the first handshake's (as in Node).
        assert pair.secure == {"client": 2, "server": 2}
        pair.client.destroy()


async def test_renegotiate_on_tls13_fails_on_the_next_tick(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (server, port):
        pair = await _pair(port, certs, server)
        errors: list[BaseException | None] = []
        assert pair.client.renegotiate(errors.append) is False
        assert errors == []  # not synchronously
        await asyncio.sleep(0)
        (err,) = errors
        assert err is not None and err.code == "ERR_SSL_WRONG_SSL_VERSION"  # type: ignore[attr-defined]
        assert (err.library, err.reason) == ("SSL routines",  # type: ignore[attr-defined]
                                             "wrong ssl version")
        assert await pair.echo(b"still fine") == b"still fine"
        pair.client.destroy()


async def test_renegotiate_arguments(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, **TLS12) as (server, port):
        pair = await _pair(port, certs, server)
        with pytest.raises(TypeError, match="unexpected keyword argument 'requestCert'"):
            pair.client.renegotiate(requestCert=True)
        with pytest.raises(TypeError) as info:
            pair.client.renegotiate("not a function")  # type: ignore[arg-type]
        assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
        pair.client.destroy()
        assert pair.client.renegotiate() is None  # Node: undefined once destroyed


async def _attack(pair: Pair, limit: int) -> BaseException:
    """Renegotiate until the server reports an error; checks how many succeeded."""
    errors = event(pair.server_side, "error")
    for _ in range(limit):
        assert await pair.renegotiate(pair.client) is None
    closed = event(pair.client, "close")
    pair.client.renegotiate()
    (err,) = await wait(errors, "server 'error'")
    await wait(closed, "client close")
    return err  # type: ignore[no-any-return]


@pytest.mark.parametrize("limit", [0, 1, 2])
async def test_client_renegotiation_limit_read_live(certs: Certs, restore_defaults: None,
                                                    limit: int) -> None:
    """``nodetls.CLIENT_RENEG_LIMIT = L`` set after the server and the connection exist:
    L renegotiations pass, the next one is ERR_TLS_SESSION_ATTACK on the server socket."""
    async with serving(key=certs.key, cert=certs.cert, **TLS12) as (server, port):
        pair = await _pair(port, certs, server)
        pair.server_side.on("error", lambda err: pair.server_side.destroy())
        tls.CLIENT_RENEG_LIMIT = limit
        err = await _attack(pair, limit)
    assert err.code == "ERR_TLS_SESSION_ATTACK"  # type: ignore[attr-defined]
    assert str(err) == "TLS session renegotiation attack detected"
    assert pair.secure["server"] == limit  # none for the refused one


async def test_renegotiation_window_is_read_live(certs: Certs, restore_defaults: None) -> None:
    """Outside CLIENT_RENEG_WINDOW seconds the count starts again: with a window of 0 a
    limit of 1 never trips."""
    tls.CLIENT_RENEG_LIMIT = 1
    tls.CLIENT_RENEG_WINDOW = 0
    async with serving(key=certs.key, cert=certs.cert, **TLS12) as (server, port):
        pair = await _pair(port, certs, server)
        for _ in range(3):
            assert await pair.renegotiate(pair.client) is None
        assert pair.secure["server"] == 3
        pair.client.destroy()


async def test_disable_renegotiation(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, **TLS12) as (server, port):
        pair = await _pair(port, certs, server)
        pair.server_side.disable_renegotiation()
        pair.server_side.on("error", lambda err: pair.server_side.destroy())
        err = await _attack(pair, 0)
    assert err.code == "ERR_TLS_RENEGOTIATION_DISABLED"  # type: ignore[attr-defined]
    assert str(err) == "TLS session renegotiation disabled for this socket"


@pytest.mark.parametrize("with_cert", [True, False])
async def test_server_asks_for_a_certificate_after_the_handshake(certs: Certs,
                                                                 with_cert: bool) -> None:
    """``renegotiate(request_cert=True)`` on the server: the client's certificate arrives
    in a full handshake (the client's session is refused) and ``authorized`` follows."""
    identity = {"key": certs.client_key, "cert": certs.client_cert} if with_cert else {}
    async with serving(key=certs.key, cert=certs.cert, ca=certs.ca, **TLS12) as (server, port):
        pair = await _pair(port, certs, server, **identity)
        sock = pair.server_side
        assert (sock.authorized, sock.get_peer_certificate()) == (False, {})
        assert await pair.renegotiate(sock, request_cert=True, reject_unauthorized=False) is None
        assert sock.is_session_reused() is False
        if with_cert:
            assert sock.authorized is True and sock.authorization_error is None
            assert sock.get_peer_certificate()["subject"]["CN"] == "client"  # type: ignore[index]
        else:
            assert sock.authorized is False
            assert sock.authorization_error == "UNABLE_TO_GET_ISSUER_CERT"
        assert await pair.echo(b"after") == b"after"
        pair.client.destroy()
