"""A closed server connection is freed by reference counting, not by the cycle collector.

Reference cycles (a socket's timer callback, its own 'end' listener, asyncio's transport
holding a bound method of itself) would leave every closed connection to the cycle
collector, whose runs cost server CPU per handshake.  The test runs real connections
with the collector disabled and checks that nothing of the server side is left over.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect, wait

CONNECTIONS = 3


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _leftover_server_sockets() -> list[tls.TLSSocket]:
    return [o for o in gc.get_objects()
            if isinstance(o, tls.TLSSocket) and o._config.is_server]


def _leftover_transports(port: int) -> list[asyncio.Transport]:
    """Server-side transports of ``port`` still alive (their socket's local port)."""
    found = []
    for o in gc.get_objects():
        if isinstance(o, asyncio.Transport):
            sockname = o.get_extra_info("sockname")
            if isinstance(sockname, tuple) and sockname[1] == port:
                found.append(o)
    return found


async def test_closed_echo_connections_are_freed_without_gc(
        certs: Certs, no_cycle_collector: None) -> None:
    closed: asyncio.Queue[None] = asyncio.Queue()

    def on_secure(sock: tls.TLSSocket) -> None:  # the benchmark's echo server
        sock.on("error", lambda err: None)
        sock.on("close", lambda *_: closed.put_nowait(None))
        sock.pipe(sock)

    server = tls.create_server(on_secure, key=certs.key, cert=certs.cert)
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    port = int(address["port"])
    try:
        for _ in range(CONNECTIONS):
            client = await tls.connect(port, "127.0.0.1", ca=certs.ca)
            client.end(b"x")
            assert await collect(client) == b"x"
            await wait(closed.get(), "server socket 'close'")
        await asyncio.sleep(0)  # the loop drops the handle that emitted 'close'
        assert _leftover_server_sockets() == []
        assert _leftover_transports(port) == []
    finally:
        server.close()
        await wait(server.wait_closed(), "server close")
