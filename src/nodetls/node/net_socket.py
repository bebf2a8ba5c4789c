"""``net.Socket``: a Duplex over a ``StreamHandle`` (Node's ``lib/net.js`` Socket).

Theory of operation
-------------------
The socket never touches the OS: it drives a handle (``handle.py``) and is that handle's
listener.  Reads: ``on_handle_read(data)`` pushes the chunk; when ``push`` says the buffer is
full the socket calls ``read_stop()``, and the stream's ``_read`` calls ``read_start()`` again
once the consumer has caught up.  Writes: ``_write``/``_writev`` pass bytes to
``handle.write`` and complete when the handle does.  ``end()`` becomes ``_final`` ->
``handle.shutdown`` (a FIN; half-close).  ``destroy()`` closes the handle and emits
``'close'`` (with ``had_error``) on a later loop turn, after ``'error'``.  ``connect()``
hands the opening of its handle to a ``ConnectAttempt`` (``socket_connect.py``);
``noDelay``/``keepAlive`` wait for the connection in ``SocketOptions`` (``socket_options.py``).

Lifecycle: one ``SocketPhase`` (``socket_phase.py``), moved only by ``_transition``::

    IDLE --connect()--> CONNECTING --connected--> CONNECTED
    IDLE (constructed with a handle) --> CONNECTED
    any --destroy()--> DESTROYED

Hooks for subclasses (this is how ``TLSSocket`` layers on top, like Node's TLSWrap):

* ``_wrap_handle(raw)``: called by ``connect()`` with the fresh, not yet connected
  ``TransportHandle``; return the handle the socket should drive (a TLS handle whose inner
  handle is ``raw``).  A socket that will ``connect()`` must not be given ``handle=``.
* ``_attach_handle(handle)`` / ``_detach_handle()``: install a handle (the socket becomes its
  listener) or take it away without closing it (to wrap the handle of an existing, e.g.
  accepted, socket).  A socket whose handle was taken should still be ``destroy()``-ed when
  the wrapper closes: that is what decrements its server's connection count and emits its
  ``'close'``.
* ``_on_connected()``: runs when the connection is up, before anything user-visible; the
  default emits ``'connect'`` and ``'ready'`` and starts reading.  An override (start a
  handshake) must still end up emitting ``'connect'``: writes and ``end()`` issued while
  connecting wait for it.
* ``manual_start=True`` (constructor): do not start reading a given handle; the subclass
  calls ``read(0)`` (or ``handle.read_start()``) itself.
* ``_await_event`` and ``_is_await_ready()``: what ``await socket`` (``socket_await.py``) waits for
  (``'connect'``; a TLSSocket would use ``'secureConnect'``).  A cancelled wait
  (``task.cancel()``, ``asyncio.wait_for``) destroys the socket; ``async with``
  destroys it on exit.
* The read path ``on_handle_read -> push -> read_stop`` and ``_read -> read_start``.

Deviations from Node: ``ref``/``unref`` are no-ops (asyncio has no loop refcount); a
destroyed socket cannot ``connect()`` again; ``'close'`` always carries ``had_error``;
TCP_NODELAY is on by default (asyncio's default) rather than Nagle; a write callback runs
one loop turn after the handle took the bytes (libuv completes a write the kernel accepted
at once, before later ticks).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from .abort import AbortSignal, add_abort_signal, validate_abort_signal
from .errors import (
    ERR_SOCKET_CLOSED,
    ERR_SOCKET_CLOSED_BEFORE_CONNECTION,
    NodeBrokenPipeError,
)
from .handle import StreamHandle
from .onread import OnRead
from .os_sockets import AddressInfo, address_info, connect_target
from .scheduling import next_tick, set_immediate
from .socket_await import AwaitableDuplex
from .socket_connect import ConnectAttempt
from .socket_options import SocketOptions
from .socket_phase import SOCKET_TRANSITIONS, SocketPhase
from .socket_timeout import IdleTimer
from .stream_state import Life
from .transport_handle import TransportHandle
from .writable import WriteCallback

if TYPE_CHECKING:
    from .net_server import Server

__all__ = ["Socket", "SocketPhase"]

# Enum members read per chunk or per connection, bound once: on Python 3.11 every
# ``Enum.MEMBER`` lookup goes through ``EnumType.__getattr__`` (about five times a plain
# attribute).
_CONNECTING = SocketPhase.CONNECTING
_CONNECTED = SocketPhase.CONNECTED
_DESTROYED = SocketPhase.DESTROYED
_IDLE = SocketPhase.IDLE
_ALIVE = Life.ALIVE


class _ReadableStreamEnd:
    """Node's ``onReadableStreamEnd`` listener: a FIN ends our side too, unless
    half-open.  Not a bound method, so that ``destroy()`` can drop its reference to the
    socket (``socket -> listeners -> socket`` is a cycle only the collector would free)."""

    __slots__ = ("socket",)

    def __init__(self, socket: Socket) -> None:
        self.socket: Socket | None = socket

    def __call__(self) -> None:
        if self.socket is not None:
            self.socket._on_readable_end()


class Socket(AwaitableDuplex):
    """Node's ``net.Socket``.  Also awaitable: ``await sock`` waits for ``'connect'``."""

    __slots__ = (
        "_bytes_dispatched",
        "_bytes_read",
        "_connect",
        "_end_listener",
        "_fin_received",
        "_handle",
        "_handle_reading",
        "_onread",
        "_options",
        "_peername",
        "_pending_data",
        "_phase",
        "_reset_on_close",
        "_server",
        "_timer",
    )

    _await_event: ClassVar[str] = "connect"

    def __init__(
        self,
        *,
        handle: StreamHandle | None = None,
        allow_half_open: bool = False,
        readable: bool = True,
        writable: bool = True,
        high_water_mark: int | None = None,
        pause_on_create: bool = False,
        manual_start: bool = False,
        no_delay: bool = False,
        keep_alive: bool = False,
        keep_alive_initial_delay: float = 0,
        onread: object = None,
        signal: AbortSignal | None = None,
    ) -> None:
        """Node's ``new net.Socket(options)``.

        Args:
            handle: an already connected handle to drive (accepted connection, a
                ``DuplexHandle``); without it, call ``connect()``.
            allow_half_open: keep our side open after the peer's FIN (default: answer it).
            readable, writable: False disables that side.
            high_water_mark: buffer limit of both sides (default 16 KiB).
            pause_on_create: with ``handle``, start paused (``Server(pause_on_connect=)``).
            manual_start: with ``handle``, do not start reading (for wrapping subclasses).
            no_delay, keep_alive, keep_alive_initial_delay: socket options applied once
                connected (``keep_alive_initial_delay`` in milliseconds).
            onread: ``{'buffer', 'callback'}``: reads go there instead of ``'data'``
                (``onread.py``).
            signal: an ``AbortSignal`` whose abort destroys the socket (``abort.py``).
        """
        # Node: sockets emit 'close' themselves (with had_error), after the handle closes.
        super().__init__(
            allow_half_open=allow_half_open,
            readable=readable,
            writable=writable,
            high_water_mark=high_water_mark,
            emit_close=False,
        )
        self._phase = _IDLE
        self._handle: StreamHandle | None = None
        self._handle_reading = False
        self._connect: ConnectAttempt | None = None  # kept after the end: its addresses
        self._server: Server | None = None
        self._bytes_read = 0
        self._bytes_dispatched = 0
        self._pending_data: Any = None
        self._fin_received = False
        self._reset_on_close = False
        self._options = SocketOptions(no_delay, keep_alive, keep_alive_initial_delay)
        self._timer = IdleTimer(self._on_timeout)
        self._peername: AddressInfo | None = None  # Node's cache: kept after destroy
        self._end_listener = _ReadableStreamEnd(self)
        self.on("end", self._end_listener)
        self._onread = OnRead(onread) if onread is not None else None
        if signal is not None:
            add_abort_signal(validate_abort_signal(signal), self)
        if handle is not None:
            self._attach_handle(handle)
            self._transition(_CONNECTED)
            self._options.apply(self._handle)
            self._start_reading(readable, pause_on_create, manual_start)

    def _transition(self, to: SocketPhase) -> None:
        if to not in SOCKET_TRANSITIONS[self._phase]:
            raise AssertionError(f"Socket: illegal transition {self._phase} -> {to}")
        self._phase = to

    def _start_reading(self, readable: bool, pause_on_create: bool, manual_start: bool) -> None:
        if not readable or self._handle is None:
            return
        if pause_on_create:
            self._handle_reading = False
            self._handle.read_stop()
            self.readable_flowing = False
        elif not manual_start:
            self.read(0)

    # --- handle management (hooks for wrapping layers) ----------------------------------------

    @property
    def handle(self) -> StreamHandle | None:
        """The handle this socket drives (None before connect and after destroy)."""
        return self._handle

    def _attach_handle(self, handle: StreamHandle) -> None:
        """Drive ``handle`` from now on; this socket becomes its listener."""
        handle.listener = self
        self._handle = handle
        self._handle_reading = False

    def _detach_handle(self) -> StreamHandle | None:
        """Take the handle away without closing it (its listener is cleared)."""
        handle, self._handle = self._handle, None
        if handle is not None and self._peername is None:
            self._peername = address_info(handle.remote_address())
        if handle is not None and handle.listener is self:
            handle.listener = None
        self._handle_reading = False
        return handle

    def _wrap_handle(self, raw: StreamHandle) -> StreamHandle:
        """Return the handle to drive for the raw connection ``raw`` (override to wrap)."""
        return raw

    # --- HandleListener -----------------------------------------------------------------------

    def on_handle_read(self, data: bytes) -> None:
        handle = self._handle
        if handle is None:
            return
        self._bytes_read += len(data)
        if self._timer.msecs:  # touch() only when a timeout is set: per chunk
            self._timer.touch()
        if self._onread is not None:
            if not self._onread.deliver(data):
                self.pause()
            return
        if not self.push(data) and self._handle_reading:
            self._handle_reading = False
            handle.read_stop()

    def on_handle_eof(self) -> None:
        if self._handle is None:
            return
        if not self.readable_ended:
            self.push(None)
            self.read(0)

    def on_handle_error(self, exc: BaseException) -> None:
        self.destroy(exc)

    def on_handle_close(self) -> None:
        if self._handle is not None:  # the handle went away under us
            self.destroy()

    # With ``onread`` no data goes through the stream: pause/resume drive the handle
    # directly, as Node's Socket.prototype.pause/resume do for their kBuffer mode.
    def pause(self) -> Self:
        if self._onread is not None and self._handle is not None and self._handle_reading:
            self._handle_reading = False
            self._handle.read_stop()
        return super().pause()

    def resume(self) -> Self:
        handle = self._handle
        if (self._onread is not None and handle is not None and not self._handle_reading
                and self._phase is _CONNECTED):
            self._handle_reading = True
            handle.read_start()
        return super().resume()

    def _read(self, size: int) -> None:
        if self._phase is _CONNECTING or self._handle is None:
            self.once("connect", lambda: self._read(size))
        elif not self._handle_reading:
            self._handle_reading = True
            self._handle.read_start()

    # --- writing ------------------------------------------------------------------------------

    def write(
        self,
        chunk: Any,
        encoding: str | WriteCallback | None = None,
        cb: WriteCallback | None = None,
    ) -> bool:
        if self._fin_received and self.writable_ended:
            return self._write_after_fin(encoding, cb)
        return super().write(chunk, encoding, cb)

    def _write_after_fin(self, encoding: str | WriteCallback | None, cb: WriteCallback | None) -> (
        bool
    ):
        # Node's writeAfterFIN: the peer ended, we ended (no half-open): EPIPE.
        if cb is None and callable(encoding):
            cb = encoding
        err = NodeBrokenPipeError(
            errno.EPIPE, "write", "This socket has been ended by the other party"
        )
        if cb is not None:
            next_tick(cb, err)
        self.destroy(err)
        return False

    def _writev(self, chunks: list[bytes], cb: WriteCallback) -> None:
        self._write_generic(b"".join(chunks), cb)

    def _write_generic(self, chunk: bytes, cb: WriteCallback) -> None:
        if self._phase is _CONNECTING:
            self._pending_data = chunk
            self._defer_until_connected(lambda: self._write_generic(chunk, cb), cb)
            return
        self._pending_data = None
        if self._timer.msecs:
            self._timer.touch()
        handle = self._handle
        if handle is None:
            cb(ERR_SOCKET_CLOSED())
            return
        self._bytes_dispatched += len(chunk)

        # Node's afterWrite, built here (every write: no extra call to make it).
        def done(err: BaseException | None) -> None:
            if self._life is not _ALIVE:  # self.destroyed, without the property call
                cb(None)  # Node: a write finishing after destroy() is not an error
                return
            if err is None and self._timer.msecs:
                self._timer.touch()
            cb(err)

        handle.write(chunk, done)

    _write = _write_generic  # one call less per write (nothing overrides _write_generic)

    def _defer_until_connected(self, action: Callable[[], None], cb: WriteCallback) -> None:
        def on_connect() -> None:
            self.remove_listener("close", on_close)
            action()

        def on_close(*_args: Any) -> None:
            cb(ERR_SOCKET_CLOSED_BEFORE_CONNECTION())

        self.once("connect", on_connect)
        self.once("close", on_close)

    def _final(self, cb: WriteCallback) -> None:
        if self.pending:
            self.once("connect", lambda: self._final(cb))
            return
        handle = self._handle
        if handle is None:
            cb(None)
            return
        # Node's afterShutdown ignores the status: a failed FIN still finishes.
        handle.shutdown(lambda _err: cb(None))

    def _on_readable_end(self) -> None:
        if not self._allow_half_open:
            self._fin_received = True

    # --- destroy ------------------------------------------------------------------------------

    def _destroy(self, err: BaseException | None, cb: WriteCallback) -> None:
        self._transition(_DESTROYED)
        if self._connect is not None:
            self._connect.cancel()
        # The timer's callback and the 'end' listener refer back to the socket: drop
        # those references, so a closed socket is freed by reference counting.
        self._timer.close()
        self._end_listener.socket = None
        handle = self._detach_handle()
        if handle is not None:
            reset = getattr(handle, "reset", None)
            if self._reset_on_close and callable(reset):
                reset()
            else:
                handle.close()
            cb(err)
            set_immediate(self.emit, "close", err is not None)
        else:
            cb(err)
            next_tick(self.emit, "close", err is not None)
        server = self._server
        if server is not None:
            server._connections -= 1
            server._emit_close_if_drained()

    def destroy_soon(self) -> None:
        """End, then destroy once everything written is flushed."""
        if self.writable:
            self.end()
        if self.writable_finished:
            self.destroy()
        else:
            self.once("finish", self.destroy)

    def reset_and_destroy(self) -> Self:
        """Close with a TCP RST instead of a FIN."""
        if self._handle is None:
            self.destroy(ERR_SOCKET_CLOSED())
        elif self.connecting:
            self.once("connect", self._reset)
        else:
            self._reset()
        return self

    def _reset(self) -> None:
        self._reset_on_close = True
        self.destroy()

    # --- connecting ---------------------------------------------------------------------------

    def connect(
        self,
        port: int | str | None = None,
        host: str | Callable[[], object] | None = None,
        connect_listener: Callable[[], object] | None = None,
        *,
        path: str | None = None,
        local_address: str | None = None,
        local_port: int | None = None,
        family: int = 0,
        no_delay: bool | None = None,
        keep_alive: bool | None = None,
        keep_alive_initial_delay: float = 0,
        fd: int | None = None,
        **lookup: Any,
    ) -> Self:
        """Open the connection (TCP ``port``/``host``, unix ``path``, or adopt the
        connected ``fd``); ``'connect'`` follows.  ``lookup``: Node's ``lookup``,
        ``hints``, ``auto_select_family``, ``auto_select_family_attempt_timeout``."""
        if callable(host):
            connect_listener, host = host, None
        if isinstance(port, str) and path is None and not port.strip().isdigit():
            path, port = port, None
        target = connect_target(port, host, path=path, fd=fd, local_address=local_address,
                                local_port=local_port, family=family, **lookup)
        if self.destroyed:
            raise ERR_SOCKET_CLOSED()
        self._options.update(no_delay, keep_alive, keep_alive_initial_delay)
        if connect_listener is not None:
            self.once("connect", connect_listener)
        raw = TransportHandle()
        self._attach_handle(self._wrap_handle(raw))
        self._transition(_CONNECTING)
        self._timer.touch()
        self._connect = ConnectAttempt(target, raw, self.emit, self._after_connect, self.destroy)
        return self

    @property
    def auto_select_family_attempted_addresses(self) -> list[str] | None:
        """The ``"address:port"`` tried by ``auto_select_family`` (None with one address)."""
        attempted = self._connect.attempted if self._connect is not None else None
        return list(attempted) if attempted else None

    def _after_connect(self) -> None:
        if self.destroyed:
            return
        self._transition(_CONNECTED)
        self._timer.touch()
        self._options.apply(self._handle)
        self._on_connected()

    def _on_connected(self) -> None:
        """The connection is up: emit ``'connect'`` and ``'ready'``, start reading (hook)."""
        self.emit("connect")
        self.emit("ready")
        if self.readable and not self.is_paused():
            self.read(0)

    # --- awaiting -----------------------------------------------------------------------------

    def _is_await_ready(self) -> bool:
        """True when ``await socket`` can return at once (override with ``_await_event``)."""
        return self._phase is _CONNECTED

    # --- timeouts and options -----------------------------------------------------------------

    def set_timeout(self, msecs: float, callback: Callable[[], object] | None = None) -> Self:
        """Emit ``'timeout'`` after ``msecs`` ms without reads or writes (0 disables)."""
        if self.destroyed:
            return self
        self._timer.set(msecs)
        if callback is not None:
            if msecs == 0:
                self.remove_listener("timeout", callback)
            else:
                self.once("timeout", callback)
        return self

    def _on_timeout(self) -> None:
        self.emit("timeout")

    @property
    def timeout(self) -> float | None:
        return self._timer.msecs

    def set_no_delay(self, no_delay: bool = True) -> Self:
        self._options.set_no_delay(self._handle, no_delay)
        return self

    def set_keep_alive(self, enable: bool = False, initial_delay: float = 0) -> Self:
        """``initial_delay`` in milliseconds, as in Node."""
        self._options.set_keep_alive(self._handle, enable, initial_delay)
        return self

    def ref(self) -> Self:
        return self

    def unref(self) -> Self:
        return self

    # --- addresses and counters ---------------------------------------------------------------

    def address(self) -> AddressInfo:
        """``{'address', 'family', 'port'}`` of the local end (``{}`` if unknown)."""
        return address_info(self._handle.local_address() if self._handle else None)

    def _endpoint(self, remote: bool) -> AddressInfo:
        handle = self._handle
        if handle is None:
            return (self._peername or {}) if remote else {}
        return address_info(handle.remote_address() if remote else handle.local_address())

    # Node's remoteAddress & co.: None (undefined) when unknown, e.g. on unix sockets.
    @property
    def remote_address(self) -> str | None:
        return self._endpoint(True).get("address")

    @property
    def remote_port(self) -> int | None:
        return self._endpoint(True).get("port")

    @property
    def remote_family(self) -> str | None:
        return self._endpoint(True).get("family")

    @property
    def local_address(self) -> str | None:
        return self._endpoint(False).get("address")

    @property
    def local_port(self) -> int | None:
        return self._endpoint(False).get("port")

    @property
    def local_family(self) -> str | None:
        return self._endpoint(False).get("family")

    @property
    def bytes_read(self) -> int:
        return self._bytes_read

    @property
    def bytes_written(self) -> int:
        w = self._ws
        pending = len(self._pending_data) if self._pending_data is not None else 0
        return self._bytes_dispatched + sum(len(c) for c, _ in w.buffered or ()) + pending

    @property
    def buffer_size(self) -> int | None:
        return self.writable_length if self._handle is not None else None

    @property
    def connecting(self) -> bool:
        return self._phase is _CONNECTING

    @property
    def pending(self) -> bool:
        return self._handle is None or self._phase is _CONNECTING

    @property
    def ready_state(self) -> str:
        if self.connecting:
            return "opening"
        if self.readable and self.writable:
            return "open"
        if self.readable:
            return "readOnly"
        if self.writable:
            return "writeOnly"
        return "closed"

    @property
    def server(self) -> Server | None:
        return self._server

