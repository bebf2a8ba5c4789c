"""Two ``net.Server.listen`` details the fleet relies on: ``reuse_port`` (Node's
``reusePort``, ``SO_REUSEPORT``) lets several servers listen on one port, and a socket
keeps its peer's address after it is destroyed (Node caches ``_peername``), so a
``'tlsClientError'`` listener can still say who it was."""

from __future__ import annotations

import asyncio

import pytest

from nodetls.node import net
from nodetls.node.errors import NodeSystemError
from tests.support.events import event


async def test_reuse_port_lets_two_servers_share_a_port() -> None:
    first = await net.create_server().listen(0, "127.0.0.1", reuse_port=True)
    address = first.address()
    assert isinstance(address, dict)
    port = address["port"]
    second = await net.create_server().listen(port, "127.0.0.1", reuse_port=True)
    without = net.create_server()
    try:
        assert second.address() == address
        with pytest.raises(NodeSystemError) as info:
            await without.listen(port, "127.0.0.1")
        assert info.value.code == "EADDRINUSE"  # type: ignore[attr-defined]
    finally:
        for server in (first, second):
            server.close()
            await server.wait_closed()


async def test_the_peer_address_survives_destroy() -> None:
    accepted: asyncio.Future[net.Socket] = asyncio.get_running_loop().create_future()
    server = await net.create_server(accepted.set_result).listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    client = net.connect(address["port"], "127.0.0.1")
    try:
        await event(client, "connect")
        sock = await asyncio.wait_for(accepted, 5)
        sock.destroy()
        await event(sock, "close")
        assert (sock.remote_address, sock.remote_port) == ("127.0.0.1", client.local_port)
        assert sock.local_address is None  # Node keeps only the peer's
    finally:
        client.destroy()
        server.close()
        await server.wait_closed()
