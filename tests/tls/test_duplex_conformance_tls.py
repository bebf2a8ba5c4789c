"""Layer 3's Duplex conformance suite, run over ``TLSSocket`` pairs.

Two kinds of pair: a client from ``tls.connect`` and the server's socket over TCP on
127.0.0.1, and a client ``TLSSocket`` and a server ``TLSSocket`` over an in-memory
``duplex_pair`` (no OS sockets at all).  Both ends must behave exactly like the
``net.Socket`` pairs the suite was written for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import trustme

import nodetls as tls
from nodetls.node import Duplex, duplex_pair
from tests.node.duplex_conformance import (
    ALL_CHECKS,
    Collector,
    PairFactory,
    check_end_finish_close_order,
)
from tests.support.events import wait

_CA = trustme.CA()
_LEAF = _CA.issue_cert("localhost", "127.0.0.1")
_SERVER_CONTEXT = tls.create_secure_context(key=_LEAF.private_key_pem.bytes(),
                                            cert=_LEAF.cert_chain_pems[0].bytes())
_CLIENT_CONTEXT = tls.create_secure_context(ca=_CA.cert_pem.bytes())


async def tls_over_tcp(*, allow_half_open: bool = False) -> tuple[Duplex, Duplex]:
    accepted: asyncio.Future[tls.TLSSocket] = asyncio.get_running_loop().create_future()
    server = tls.create_server(accepted.set_result, secure_context=_SERVER_CONTEXT,
                               key=_LEAF.private_key_pem.bytes(),
                               cert=_LEAF.cert_chain_pems[0].bytes(),
                               allow_half_open=allow_half_open)
    await server.listen(0, "127.0.0.1")
    port = server.address()["port"]  # type: ignore[index]
    client = await tls.connect(port, "127.0.0.1", secure_context=_CLIENT_CONTEXT,
                               allow_half_open=allow_half_open)
    remote = await accepted
    server.close()
    return client, remote


async def tls_over_memory(*, allow_half_open: bool = False) -> tuple[Duplex, Duplex]:
    x, y = duplex_pair(allow_half_open=allow_half_open)
    server = tls.TLSSocket(y, is_server=True, secure_context=_SERVER_CONTEXT)
    client = tls.connect(socket=x, secure_context=_CLIENT_CONTEXT, servername="localhost")
    server_secure = asyncio.ensure_future(server)
    await client
    await server_secure
    return client, server


@pytest.fixture(params=["tls-over-tcp", "tls-over-memory"])
def make_pair(request: pytest.FixtureRequest) -> PairFactory:
    return tls_over_tcp if request.param == "tls-over-tcp" else tls_over_memory  # type: ignore[return-value]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
async def test_conformance(make_pair: PairFactory,
                           check: Callable[[PairFactory], Awaitable[None]]) -> None:
    if make_pair is tls_over_memory and check is check_end_finish_close_order:
        await _end_finish_close_order_over_memory()
        return
    await check(make_pair)


async def _end_finish_close_order_over_memory() -> None:
    """Over an in-memory pair the ending side's shutdown completes only when the other
    end of the pair has seen 'end' (DuplexSocket's _final), by which time the peer's
    close_notify has arrived: 'end' comes before 'finish', exactly as Node gives
    (``tls.connect({socket})`` over its DuplexPair with allowHalfOpen false)."""
    a, b = await tls_over_memory()
    ca, cb = Collector(a).consume(), Collector(b).consume()
    a.write(b"last words")
    a.end()
    await wait(asyncio.gather(ca.closed, cb.closed), "'close' on both ends")
    assert cb.data == b"last words"
    assert cb.events == ["end", "finish", "close"], cb.events
    assert ca.events == ["end", "finish", "close"], ca.events
    assert ca.close_args == (False,) and cb.close_args == (False,)
