"""``Acceptor``: a listening socket served on asyncio's selector loop without a task per
connection.

Theory of operation
-------------------
``loop.create_server`` accepts each connection in a new ``Task`` running a coroutine that
builds the transport and then awaits a future the transport resolves one turn later (it is
only needed for TLS in asyncio, not here): per connection a task, a coroutine, a future and
three extra turns of the loop.  Node's (libuv's) accept is one callback that makes the
handle and calls ``onconnection``.  On asyncio's own selector loop the acceptor does the
same: one reader callback on the listening socket accepts up to ``MAX_ACCEPTS`` connections
(as asyncio does per wake-up, until ``EAGAIN``) and makes each transport directly, with the
loop's own transport factory, so the transport is exactly the one ``create_server`` makes
(``connection_made`` comes on the next turn, reading starts after it).

Accept failures are handled as asyncio handles them: out of file descriptors or memory
(``EMFILE``, ``ENFILE``, ``ENOBUFS``, ``ENOMEM``), the error goes to the loop's exception
handler and accepting pauses for a second; any other error is the reader callback's, which
the loop logs.  Any other loop (uvloop) has no such factory: ``serve`` falls back to
``create_server`` there.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from asyncio.selector_events import BaseSelectorEventLoop
from collections.abc import Callable

__all__ = ["MAX_ACCEPTS", "Acceptor", "serve"]

MAX_ACCEPTS = 100
"""Connections accepted per wake-up at most (asyncio's default ``backlog`` does the same)."""

RETRY_DELAY = 1.0
"""Seconds without accepting after the system ran out of resources (asyncio's delay)."""

_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

Factory = Callable[[], asyncio.BaseProtocol]


class Acceptor:
    """Accepts on ``sock`` (already listening) until ``close()``."""

    __slots__ = ("_factory", "_fd", "_kind", "_loop", "_retry", "_sock")

    def __init__(self, loop: BaseSelectorEventLoop, sock: socket.socket, factory: Factory) -> None:
        self._loop = loop
        self._sock: socket.socket | None = sock
        self._fd = sock.fileno()
        # What socket.accept() reads (as enums, through Python properties) per connection.
        self._kind = (int(sock.family), int(sock.type), sock.proto)
        self._factory = factory
        self._retry: asyncio.TimerHandle | None = None
        sock.setblocking(False)  # as create_server does: accept() must never block the loop
        loop.add_reader(self._fd, self._accept)

    def _accept(self) -> None:
        sock, loop, factory = self._sock, self._loop, self._factory
        if sock is None:
            return
        family, kind, proto = self._kind
        for _ in range(MAX_ACCEPTS):
            try:
                # socket.accept() without its per-call enum lookups (its own first line).
                fd, address = sock._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno not in _OUT_OF_RESOURCES:
                    raise  # the loop logs it, as asyncio's own accept does
                self._pause(exc)
                return
            conn = socket.socket(family, kind, proto, fileno=fd)
            try:
                conn.setblocking(False)
                # asyncio's transport factory, as create_server's per-connection task calls it.
                loop._make_socket_transport(  # type: ignore[attr-defined]
                    conn, factory(), extra={"peername": address})
            except OSError:
                conn.close()  # gone before it could be set up: dropped, as asyncio drops it

    def _pause(self, exc: OSError) -> None:
        self._loop.call_exception_handler({
            "message": "socket.accept() out of system resource",
            "exception": exc,
            "socket": self._sock,
        })
        self._loop.remove_reader(self._fd)
        self._retry = self._loop.call_later(RETRY_DELAY, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if self._sock is not None:
            self._loop.add_reader(self._fd, self._accept)

    def close(self) -> None:
        """Stop accepting and close the listening socket (accepted ones stay open)."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._loop.remove_reader(self._fd)
        sock.close()


async def serve(sock: socket.socket, factory: Factory, unix: bool) -> Acceptor | asyncio.Server:
    """Accept on ``sock``: an ``Acceptor`` on asyncio's selector loop, else the loop's own
    server.  Either has ``close()``."""
    loop = asyncio.get_running_loop()
    if isinstance(loop, BaseSelectorEventLoop) and hasattr(loop, "_make_socket_transport"):
        return Acceptor(loop, sock, factory)
    if unix:
        return await loop.create_unix_server(factory, sock=sock)
    return await loop.create_server(factory, sock=sock)
