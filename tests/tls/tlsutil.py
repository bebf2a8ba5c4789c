"""A listening ``tls.Server`` for the TLSSocket / Server / connect tests.

``serving(listener, **options)`` listens on 127.0.0.1 and yields ``(server, port)``; at
exit it closes the server, destroys the connections it accepted and waits (bounded) for
the close.  Events, peers and certificates come from ``tests.support``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import nodetls as tls
from tests.support.events import wait


@contextlib.asynccontextmanager
async def serving(listener: Any = None, **options: Any) -> AsyncIterator[tuple[tls.Server, int]]:
    """A listening ``tls.Server`` on 127.0.0.1; closed (connections destroyed) at exit."""
    server = tls.create_server(listener, **options)
    sockets: list[Any] = []
    server.on("secureConnection", sockets.append)
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    try:
        yield server, int(address["port"])  # type: ignore[arg-type]
    finally:
        server.close()
        for sock in sockets:
            sock.destroy()
        await wait(server.wait_closed(), "server close")
