"""Serving until SIGTERM, then closing within a deadline.

Theory of operation.  ``serve_until_stopped`` listens (``SO_REUSEPORT`` when asked, so
several worker processes share the port), then waits for SIGTERM or SIGINT.  A signal
stops accepting at once (``server.close()``), calls ``on_stop()`` (where the
application asks its connections to finish, e.g. ``sock.end()``; by default nothing:
they end when they end), and waits for them until ``deadline`` seconds have passed.  Whatever is
still open then is destroyed, so a client that holds a connection half-open, or never
completes its handshake, cannot keep the process alive.  The server's connections are
the sockets of its ``'connection'`` event, tracked until their ``'close'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import nodetls as tls

__all__ = ["DEFAULT_DEADLINE", "ConnectionTracker", "serve_until_stopped", "stop_signals"]

log = logging.getLogger("nodetls.fleet")

DEFAULT_DEADLINE: Final = 10.0
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class ConnectionTracker:
    """The open connections of a server (its ``'connection'`` sockets)."""

    def __init__(self, server: tls.Server) -> None:
        self.sockets: set[Any] = set()
        server.on("connection", self._add)

    def _add(self, sock: Any) -> None:
        self.sockets.add(sock)
        sock.once("close", lambda *_: self.sockets.discard(sock))

    def destroy_all(self) -> int:
        left = list(self.sockets)
        for sock in left:
            sock.destroy()
        return len(left)


@contextlib.asynccontextmanager
async def stop_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


async def serve_until_stopped(
    server: tls.Server, port: int, host: str | None = None, *,
    reuse_port: bool = False, deadline: float = DEFAULT_DEADLINE,
    on_listening: Callable[[tls.Server], object] | None = None,
    on_stop: Callable[[], object] | None = None,
) -> None:
    """Listen, serve until SIGTERM/SIGINT, then close within ``deadline`` seconds."""
    tracker = ConnectionTracker(server)
    async with stop_signals() as stop:  # installed before anyone learns we listen
        await server.listen(port, host, reuse_port=reuse_port)
        if on_listening is not None:
            on_listening(server)
        await stop.wait()
    await close_within(server, tracker, deadline, on_stop)


async def close_within(server: tls.Server, tracker: ConnectionTracker, deadline: float,
                       on_stop: Callable[[], object] | None = None) -> None:
    """Stop accepting, let connections finish for ``deadline`` seconds, destroy the rest."""
    server.close()
    if on_stop is not None:
        on_stop()
    try:
        async with asyncio.timeout(deadline):
            await server.wait_closed()
    except TimeoutError:
        log.warning("closing: %d connection(s) still open after %.1f s, destroyed",
                    tracker.destroy_all(), deadline)
        await server.wait_closed()
