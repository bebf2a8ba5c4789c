"""``net.Server``: accepts connections and emits them as ``net.Socket``s (Node's net.Server).

Theory of operation
-------------------
``listen()`` binds and listens synchronously when it can (numeric host, unix path), so
``address()`` works as soon as it returns, as in Node; a host name is resolved first.
``'listening'`` (or ``'error'``, e.g. EADDRINUSE) follows on the next tick.  ``acceptor.py``
then serves the listening socket; every accepted connection becomes a ``TransportHandle``
whose ``connection_made`` calls ``_on_accept``, which wraps it in a ``Socket``
(``_make_socket``), counts it and emits ``'connection'``.  ``tls.Server`` subclasses this
and listens for ``'connection'`` itself, exactly like Node's; a user may also
``emit('connection', socket)``.

``close()`` stops accepting; ``'close'`` is emitted once no connection is left (each socket's
destroy decrements the count and calls ``_emit_close_if_drained``).

Lifecycle: one ``ServerPhase``, moved only by ``_transition``::

    IDLE --listen(host name)--> RESOLVING --bound--> BOUND --'listening'--> LISTENING
    IDLE --listen(address/path)--> BOUND
    RESOLVING, BOUND, LISTENING --close() (or listen error)--> IDLE

A server is awaitable: ``await server.listen(0)`` returns it once listening, or raises the
listen error, however late the ``await`` comes (the error is kept until the next
``listen()``).  A listen error that nobody listens to nor awaits is reported to the loop's
exception handler when the server is collected, as asyncio reports a Future's exception
that was never retrieved (Node would throw it at once).  Cancelling the wait closes the
server; ``async with`` closes it and waits for ``'close'`` on exit.  ``ref``/``unref``
are no-ops (asyncio has no loop refcount).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable, Generator
from enum import Enum
from typing import Any, Self

from .acceptor import Acceptor, serve
from .errors import ERR_SERVER_ALREADY_LISTEN, ERR_SERVER_NOT_RUNNING, dns_exception
from .events import EventEmitter, wait_for_event
from .handle import StreamHandle
from .net_socket import Socket
from .os_sockets import AddressInfo, address_info, bind_tcp, bind_unix, ip_version
from .scheduling import call_in_scope, next_tick, report_uncaught
from .transport_handle import TransportHandle
from .validators import validate_port

__all__ = ["Server", "ServerPhase"]


class ServerPhase(Enum):
    IDLE = "idle"
    RESOLVING = "resolving"
    BOUND = "bound"  # listening, 'listening' not emitted yet
    LISTENING = "listening"


_ALLOWED = {
    ServerPhase.IDLE: (ServerPhase.RESOLVING, ServerPhase.BOUND),
    ServerPhase.RESOLVING: (ServerPhase.BOUND, ServerPhase.IDLE),
    ServerPhase.BOUND: (ServerPhase.LISTENING, ServerPhase.IDLE),
    ServerPhase.LISTENING: (ServerPhase.IDLE,),
}

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_BOUND = ServerPhase.BOUND
_IDLE = ServerPhase.IDLE
_LISTENING = ServerPhase.LISTENING
_RESOLVING = ServerPhase.RESOLVING

ConnectionListener = Callable[[Socket], object]


class Server(EventEmitter):
    """Node's ``net.Server``.  Options are Node's, in snake_case."""

    __slots__ = (
        "_aserver",
        "_connections",
        "_listen_error",
        "_path",
        "_phase",
        "_sock",
        "_task",
        "_unretrieved",
        "allow_half_open",
        "high_water_mark",
        "keep_alive",
        "keep_alive_initial_delay",
        "max_connections",
        "no_delay",
        "pause_on_connect",
    )

    def __init__(
        self,
        connection_listener: ConnectionListener | None = None,
        *,
        allow_half_open: bool = False,
        pause_on_connect: bool = False,
        no_delay: bool = False,
        keep_alive: bool = False,
        keep_alive_initial_delay: float = 0,
        high_water_mark: int | None = None,
    ) -> None:
        super().__init__()
        self.allow_half_open = allow_half_open
        self.pause_on_connect = pause_on_connect
        self.no_delay = no_delay
        self.keep_alive = keep_alive
        self.keep_alive_initial_delay = keep_alive_initial_delay
        self.high_water_mark = high_water_mark
        self.max_connections: int | None = None
        self._phase = _IDLE
        self._connections = 0
        self._sock: socket.socket | None = None
        self._path: str | None = None
        self._aserver: Acceptor | asyncio.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._listen_error: BaseException | None = None
        self._unretrieved: tuple[BaseException, asyncio.AbstractEventLoop] | None = None
        if connection_listener is not None:
            self.on("connection", connection_listener)

    def _transition(self, to: ServerPhase) -> None:
        if to not in _ALLOWED[self._phase]:
            raise AssertionError(f"Server: illegal transition {self._phase} -> {to}")
        self._phase = to

    # --- listen -------------------------------------------------------------------------------

    def listen(
        self,
        port: int | str | Callable[[], object] | None = 0,
        host: str | Callable[[], object] | None = None,
        backlog: int | Callable[[], object] | None = None,
        callback: Callable[[], object] | None = None,
        *,
        path: str | None = None,
        ipv6_only: bool = False,
        reuse_port: bool = False,
    ) -> Self:
        """Start accepting on ``port``/``host`` (or the unix ``path``); returns the server.

        ``reuse_port`` is Node's ``reusePort`` (``SO_REUSEPORT``): processes listening
        on the same port share its connections."""
        if callable(port):
            callback, port = port, 0
        if callable(host):
            callback, host = host, None
        if callable(backlog):
            callback, backlog = backlog, None
        if isinstance(port, str) and path is None and not port.strip().isdigit():
            path, port = port, 0
        if self._phase is not _IDLE:
            raise ERR_SERVER_ALREADY_LISTEN()
        self._listen_error = self._unretrieved = None
        if callback is not None:
            self.once("listening", callback)
        if path is not None:
            self._bind(lambda: bind_unix(path, backlog), path)
        else:
            number = validate_port(port if port is not None else 0, "options.port")
            if host is None or ip_version(host):
                self._bind(lambda: bind_tcp(host, number, backlog, ipv6_only, reuse_port), None)
            else:
                self._transition(_RESOLVING)
                self._task = asyncio.ensure_future(
                    self._resolve_and_bind(host, number, backlog, ipv6_only, reuse_port)
                )
        return self

    def _bind(self, bind: Callable[[], socket.socket], path: str | None) -> None:
        try:
            sock = bind()
        except OSError as exc:
            if self._phase is _RESOLVING:
                self._transition(_IDLE)
            self._keep_listen_error(exc)
            next_tick(self._emit_listen_error, exc)
            return
        self._transition(_BOUND)
        self._sock = sock
        self._path = path
        self._task = asyncio.ensure_future(self._serve(sock, path))
        next_tick(self._emit_listening)

    def _emit_listening(self) -> None:
        if self._phase is _BOUND:
            self._transition(_LISTENING)
            self.emit("listening")

    async def _resolve_and_bind(
        self, host: str, port: int, backlog: int | None, ipv6_only: bool, reuse_port: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            err = dns_exception(exc, host)
            call_in_scope(self._fail_resolve, err)
            return
        if self._phase is not _RESOLVING:
            return  # closed meanwhile
        address = str(infos[0][4][0])
        call_in_scope(
            self._bind, lambda: bind_tcp(address, port, backlog, ipv6_only, reuse_port), None)

    def _fail_resolve(self, err: BaseException) -> None:
        if self._phase is _RESOLVING:
            self._transition(_IDLE)
            self._keep_listen_error(err)
            self._emit_listen_error(err)

    def _keep_listen_error(self, err: BaseException) -> None:
        """Keep ``err`` for later awaits; unretrieved until a listener or an await has it."""
        self._listen_error = err
        self._unretrieved = (err, asyncio.get_running_loop())

    def _emit_listen_error(self, err: BaseException) -> None:
        """``'error'`` to its listeners; without any, the error waits for an ``await``."""
        if self.listener_count("error"):
            self._unretrieved = None
            self.emit("error", err)

    def __del__(self) -> None:
        unretrieved = getattr(self, "_unretrieved", None)
        if unretrieved is not None:  # nobody listened, nobody awaited
            report_uncaught(unretrieved[0], unretrieved[1])

    async def _serve(self, sock: socket.socket, path: str | None) -> None:
        loop = asyncio.get_running_loop()
        factory = self._protocol_factory
        try:
            aserver = await serve(sock, factory, unix=path is not None)
        except Exception as exc:
            sock.close()
            report_uncaught(exc, loop)
            return
        if self._sock is not sock:  # closed while starting
            aserver.close()
            return
        self._aserver = aserver

    def _protocol_factory(self) -> TransportHandle:
        return TransportHandle(on_open=self._on_accept)

    # --- connections --------------------------------------------------------------------------

    def _on_accept(self, handle: StreamHandle) -> None:
        """A connection arrived: refuse it over ``max_connections``, else emit it."""
        if self.max_connections is not None and self._connections >= self.max_connections:
            self._drop(handle)
            return
        socket_ = self._make_socket(handle)
        socket_._server = self
        self._connections += 1
        self.emit("connection", socket_)

    def _make_socket(self, handle: StreamHandle) -> Socket:
        """The ``Socket`` for an accepted connection (override for another socket class)."""
        return Socket(
            handle=handle,
            allow_half_open=self.allow_half_open,
            pause_on_create=self.pause_on_connect,
            high_water_mark=self.high_water_mark,
            no_delay=self.no_delay,
            keep_alive=self.keep_alive,
            keep_alive_initial_delay=self.keep_alive_initial_delay,
        )

    def _drop(self, handle: StreamHandle) -> None:
        if self.listener_count("drop"):
            local = address_info(handle.local_address())
            remote = address_info(handle.remote_address())
            self.emit(
                "drop",
                {
                    "localAddress": local.get("address"),
                    "localPort": local.get("port"),
                    "localFamily": local.get("family"),
                    "remoteAddress": remote.get("address"),
                    "remotePort": remote.get("port"),
                    "remoteFamily": remote.get("family"),
                },
            )
        handle.close()

    def get_connections(self, cb: Callable[[BaseException | None, int], object]) -> Self:
        next_tick(cb, None, self._connections)
        return self

    # --- close --------------------------------------------------------------------------------

    def close(self, cb: Callable[[BaseException | None], object] | None = None) -> Self:
        """Stop accepting; ``'close'`` (and ``cb(None)``) once every connection has ended."""
        running = self._phase is not _IDLE
        if cb is not None:
            if running:
                self.once("close", lambda: cb(None))
            else:
                self.once("close", lambda: cb(ERR_SERVER_NOT_RUNNING()))
        if running:
            self._stop_listening()
        self._emit_close_if_drained()
        return self

    def _stop_listening(self) -> None:
        self._transition(_IDLE)
        task, self._task = self._task, None
        aserver, self._aserver = self._aserver, None
        sock, self._sock = self._sock, None
        if aserver is not None:
            aserver.close()
        elif (task is None or task.done()) and sock is not None:
            sock.close()
        # Otherwise _serve (or _resolve_and_bind) is still starting; it sees the change and stops.
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)  # libuv removes the socket file on close
            self._path = None

    def _emit_close_if_drained(self) -> None:
        if self._phase is not _IDLE or self._connections:
            return
        next_tick(self.emit, "close")

    async def wait_closed(self) -> None:
        """Wait until ``'close'`` (returns at once if not listening and no connections)."""
        if self._phase is not _IDLE or self._connections:
            await wait_for_event(self, "close", errors=False)

    # --- state --------------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._phase in (_BOUND, _LISTENING)

    def address(self) -> AddressInfo | str | None:
        """``{'address', 'family', 'port'}``, the unix path, or None when not listening."""
        if not self.listening or self._sock is None:
            return None
        if self._path is not None:
            return self._path
        return address_info(_sockname(self._sock))

    def ref(self) -> Self:
        return self

    def unref(self) -> Self:
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self._wait_listening().__await__()

    async def _wait_listening(self) -> Self:
        if self._phase is _LISTENING:
            return self
        err = self._listen_error
        if err is not None and self._phase is _IDLE:
            self._unretrieved = None
            raise err
        try:
            await wait_for_event(self, "listening")
        except asyncio.CancelledError:
            self.close()  # a cancelled listen leaves no listening socket behind
            raise
        return self

    async def __aenter__(self) -> Self:
        """``async with create_server(...) as server``; awaits a ``listen()`` already made."""
        if self._phase is _IDLE and self._listen_error is None:
            return self
        return await self

    async def __aexit__(self, *_exc: object) -> None:
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_close(*_args: object) -> None:
            if not closed.done():
                closed.set_result(None)

        self.once("close", on_close)
        self.close()
        await closed  # 'close' itself: every connection has ended


def _sockname(sock: socket.socket) -> tuple[str, int] | None:
    name = sock.getsockname()
    if isinstance(name, tuple):
        return (str(name[0]), int(name[1]))
    return None
