"""``TransportHandle``: a ``StreamHandle`` over an asyncio transport (TCP or unix socket).

Theory of operation
-------------------
The handle *is* the transport's protocol (an ``asyncio.BufferedProtocol``), so a connection
costs one Python object here.  Its lifecycle is one enum, moved by ``_transition`` only::

    PENDING --connection_made--> OPEN --close() / connection_lost--> CLOSED
    PENDING --close()--> CLOSED

Reading.  asyncio reads into the buffer ``get_buffer`` returns; ``buffer_updated(n)`` copies
the ``n`` bytes out (one ``bytes`` per chunk, the only allocation on the read path) and hands
them to ``listener.on_handle_read``.  The buffer is one 256 KiB bytearray per thread, shared by
every handle: asyncio (and uvloop) call ``buffer_updated`` right after filling it, and we copy
before returning, so no handle ever needs its own.  ``read_stop``/``read_start`` map onto
``pause_reading``/``resume_reading``; a handle starts stopped, as libuv handles do.
uvloop reads what is already waiting on a new connection before a ``pause_reading``
from ``connection_made`` holds: bytes read while stopped are kept (with an EOF behind
them) and handed over, in order, one loop turn after ``read_start``.
``eof_received`` reports EOF and returns True, keeping the write side open (half-close).
A listener that has an ``on_handle_read_view`` method (the TLS handle, which feeds the bytes
straight into OpenSSL) gets a ``memoryview`` of the shared buffer instead of a copy; it must
not keep it past the call.

Writing.  ``write`` passes the bytes to ``transport.write`` at once.  The transport's
write-buffer limits are zero, so ``pause_writing`` means "bytes wait in user space" and
``resume_writing`` "the kernel has taken them all".  A write completes as libuv's does, once
the kernel has its bytes: a write the kernel took at once completes when the read callback
it was made in returns (after its ticks, on the same loop turn: Node's TLSWrap completes
with SetImmediate, before the loop polls again) or, made elsewhere, on one later loop turn
(callbacks collected and called together); a write that had to wait completes at
``resume_writing``.  So ``writable_length`` counts every byte still in this process, and a
peer that stops reading holds the sender to ``high_water_mark`` plus one write.
``shutdown`` calls ``write_eof`` (asyncio sends the FIN after the buffer drains) and
completes once the buffer is empty.

Closing.  ``close()`` aborts the transport: like ``uv_close``, it drops what is still queued
in user space (data already in the kernel is still delivered), and never waits for a peer that
does not read.  The listener gets ``on_handle_close`` once, when the transport is gone,
whoever closed it; a lost connection reports ``on_handle_error`` (``read ECONNRESET``) first.

Every protocol callback runs inside a tick scope (``scheduling.enter_scope``), so the
``next_tick`` work it causes runs before asyncio moves on, as after a libuv callback.  An
exception escaping a listener is reported like any uncaught callback exception
(``scheduling.report_uncaught``) instead of reaching asyncio, which would kill the transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
import threading
from collections.abc import Callable
from enum import Enum
from typing import TypeVar, cast

from .errors import errno_exception, system_error_from_os_error
from .handle import StreamHandle, WriteCallback, no_callback
from .scheduling import TickQueue, report_uncaught, tick_queue

__all__ = ["READ_BUFFER_SIZE", "HandleState", "TransportHandle"]

READ_BUFFER_SIZE = 256 * 1024
T = TypeVar("T")

_local = threading.local()


def _read_buffer() -> memoryview:
    view: memoryview | None = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(READ_BUFFER_SIZE))
    return view


class HandleState(Enum):
    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"

    # Identity hashing in C: a table lookup per transition, several per connection.
    __hash__ = object.__hash__


# Enum members read per chunk, bound once: on Python 3.11 every ``Enum.MEMBER`` lookup
# goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_OPEN = HandleState.OPEN

_ALLOWED = {
    HandleState.PENDING: (HandleState.OPEN, HandleState.CLOSED),
    HandleState.OPEN: (HandleState.CLOSED,),
    HandleState.CLOSED: (),
}
_CLOSED = HandleState.CLOSED
_PENDING = HandleState.PENDING


class TransportHandle(StreamHandle, asyncio.BufferedProtocol):
    """A TCP or unix-socket connection, driven by a ``net.Socket`` (or a wrapping handle)."""

    __slots__ = ("_done", "_done_read", "_early", "_early_eof", "_on_open", "_reading",
                 "_shutdown_cb", "_ticks", "_transport", "_view", "_waiting", "_write_paused",
                 "state")

    def __init__(self, on_open: Callable[[TransportHandle], None] | None = None) -> None:
        self.listener = None
        self.state = _PENDING
        self._on_open = on_open
        self._transport: asyncio.Transport | None = None
        self._ticks: TickQueue | None = None
        self._view = _read_buffer()
        self._reading = False
        self._write_paused = False
        self._waiting: list[WriteCallback] = []  # completions held by backpressure
        self._done: list[WriteCallback] = []  # completions due on the next turn
        self._done_read: list[WriteCallback] | None = None  # due when the read returns
        self._shutdown_cb: WriteCallback | None = None
        self._early: bytes | None = None  # read while stopped (uvloop), not yet delivered
        self._early_eof = False

    def _transition(self, to: HandleState) -> None:
        if to not in _ALLOWED[self.state]:
            raise AssertionError(f"TransportHandle: illegal transition {self.state} -> {to}")
        self.state = to

    # --- asyncio protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though not always an ``asyncio.Transport`` instance: uvloop's
        # TCP and pipe transports implement the interface without subclassing it.
        transport = cast(asyncio.Transport, transport)
        self._ticks = tick_queue()
        if self.state is _CLOSED:  # closed while connecting
            transport.abort()
            return
        self._transport = transport
        self._transition(_OPEN)
        # Limits of zero: pause_writing means "bytes are waiting in user space" and
        # resume_writing "the kernel has them all", so a write completes only then (libuv's).
        transport.set_write_buffer_limits(high=0, low=0)
        if not self._reading:
            transport.pause_reading()
        on_open = self._on_open
        if on_open is not None:
            self._on_open = None  # called once: an idle connection need not keep it (64 B)
            self._scoped(on_open, self)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        listener = self.listener
        if listener is None:
            return
        if not self._reading:
            self._keep_early(bytes(self._view[:nbytes]))
            return
        ticks = self._ticks
        assert ticks is not None
        ticks.depth += 1  # enter_scope, inlined: this runs for every chunk read
        self._done_read = []  # also the marker "delivering a read" (see write)
        try:
            read_view = getattr(listener, "on_handle_read_view", None)
            if read_view is not None:  # consumes the bytes before returning: no copy
                read_view(self._view[:nbytes])
            else:
                listener.on_handle_read(bytes(self._view[:nbytes]))
        except Exception as exc:  # a listener's bug must not kill the transport
            report_uncaught(exc, ticks.loop)
        finally:
            ticks.depth -= 1  # exit_scope, inlined: ticks drain here (maybe_read_more's)
            if not ticks.depth and ticks.items and not ticks.running:
                ticks.run()
        done, self._done_read = self._done_read, None
        if done:  # writes made while reading complete now (see write), in a scope of
            ticks.depth += 1  # their own (``_scoped``, inlined: a write per message)
            try:
                for cb in done:
                    cb(None)
            except Exception as exc:
                report_uncaught(exc, ticks.loop)
            finally:
                ticks.depth -= 1
                if not ticks.depth and ticks.items and not ticks.running:
                    ticks.run()

    def eof_received(self) -> bool:
        if self._early is not None:  # after the bytes kept back
            self._early_eof = True
            return True
        listener = self.listener
        if listener is not None:
            self._scoped(lambda _: listener.on_handle_eof(), None)
        return True  # keep the write side open: half-close is the listener's decision

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiting, self._waiting = self._waiting, []
        shutdown_cb, self._shutdown_cb = self._shutdown_cb, None
        if waiting or shutdown_cb is not None:
            self._scoped(_call_all, (waiting, shutdown_cb, None))

    def connection_lost(self, exc: Exception | None) -> None:
        _break_read_cycle(self._transport)
        was_open = self.state is _OPEN
        if was_open:
            self._transition(_CLOSED)
        self._scoped(self._report_lost, exc if was_open else None)

    def _report_lost(self, exc: Exception | None) -> None:
        waiting, self._waiting = self._waiting + self._done + (self._done_read or []), []
        self._done = []
        self._done_read = None
        shutdown_cb, self._shutdown_cb = self._shutdown_cb, None
        # Writes still waiting fail: with the connection's error, or as cancelled by close()
        # (built only when some are: a connection closed in good order has none).
        err = None
        if waiting or shutdown_cb is not None:
            err = (
                system_error_from_os_error(exc, "write")
                if exc is not None
                else errno_exception(errno.ECANCELED, "write")
            )
        listener, self.listener = self.listener, None
        if listener is not None and exc is not None:
            # The reader learns first, so the socket fails with Node's 'read ECONNRESET'
            # (asyncio does not say which call failed; EPIPE can only come from a send).
            syscall = "write" if getattr(exc, "errno", None) == errno.EPIPE else "read"
            listener.on_handle_error(system_error_from_os_error(exc, syscall))
        _call_all((waiting, shutdown_cb, err))
        if listener is not None:
            listener.on_handle_close()

    def _scoped(self, fn: Callable[[T], object], arg: T) -> None:
        """Run a callback as a loop entry point (exceptions reported, then ticks drained)."""
        ticks = self._ticks or tick_queue()
        ticks.depth += 1  # enter_scope, inlined (several scopes per connection)
        try:
            fn(arg)
        except Exception as exc:
            report_uncaught(exc, ticks.loop)
        finally:
            ticks.depth -= 1  # exit_scope, inlined (a write completion per message)
            if not ticks.depth and ticks.items and not ticks.running:
                ticks.run()

    # --- StreamHandle -------------------------------------------------------------------------

    def read_start(self) -> None:
        if not self._reading:
            self._reading = True
            if self._early is not None:
                asyncio.get_running_loop().call_soon(self._release_early)
            elif self._transport is not None and self.state is _OPEN:
                self._transport.resume_reading()

    def _keep_early(self, data: bytes) -> None:
        self._early = data if self._early is None else self._early + data
        if self._transport is not None and self.state is _OPEN:
            self._transport.pause_reading()

    def _release_early(self) -> None:
        """Deliver what was read while stopped, then read on."""
        if not self._reading or self._early is None:
            return
        data, self._early = self._early, None
        eof, self._early_eof = self._early_eof, False
        listener = self.listener
        if listener is not None:
            self._scoped(listener.on_handle_read, data)
        listener = self.listener
        if eof and listener is not None:
            self._scoped(lambda _: listener.on_handle_eof(), None)
        elif self._reading and self._transport is not None and self.state is _OPEN:
            self._transport.resume_reading()

    def read_stop(self) -> None:
        if self._reading:
            self._reading = False
            if self._transport is not None and self.state is _OPEN:
                self._transport.pause_reading()

    def write(self, data: bytes, cb: WriteCallback) -> None:
        transport = self._transport
        if self.state is not _OPEN or transport is None:
            self._complete_soon(cb, errno_exception(errno.EBADF, "write"))
            return
        transport.write(data)
        if cb is no_callback:  # nobody waits: no loop callback (see handle.no_callback)
            return
        if self._write_paused:
            self._waiting.append(cb)
        elif self._done_read is not None and not self._done:
            # Made while the loop delivers our read: the kernel has the bytes, and the
            # completion runs when that callback (and its ticks) returns, on the same loop
            # turn, as Node's TLSWrap completes a synchronous write with SetImmediate (its
            # check phase, before the loop polls again).  No extra turn per message.
            # (Behind completions already due on the next turn, it waits with them.)
            self._done_read.append(cb)
        else:
            self._complete_soon(cb)

    def _complete_soon(self, cb: WriteCallback, err: BaseException | None = None) -> None:
        if err is not None:
            asyncio.get_running_loop().call_soon(self._scoped, cb, err)
            return
        done = self._done
        done.append(cb)
        if len(done) == 1:
            asyncio.get_running_loop().call_soon(self._flush_done)

    def _flush_done(self) -> None:
        done, self._done = self._done, []
        if done:
            self._scoped(_call_all, (done, None, None))

    def shutdown(self, cb: WriteCallback) -> None:
        transport = self._transport
        if self.state is not _OPEN or transport is None:
            self._complete_soon(cb, errno_exception(errno.ENOTCONN, "shutdown"))
            return
        if transport.can_write_eof():
            # The peer may already be gone (ENOTCONN after a reset).  Node's afterShutdown
            # ignores the status too: the read side reports the loss, not the FIN.
            with contextlib.suppress(OSError):
                transport.write_eof()
        if transport.get_write_buffer_size() == 0:
            self._complete_soon(cb)
            return
        self._shutdown_cb = cb  # resume_writing: the buffer is empty

    def close(self) -> None:
        if self.state is _CLOSED:
            return
        was_pending = self.state is _PENDING
        self._transition(_CLOSED)
        if self._transport is not None:
            self._transport.abort()  # connection_lost reports on_handle_close
        elif was_pending:
            asyncio.get_running_loop().call_soon(self._scoped, self._report_lost, None)

    def reset(self) -> None:
        """Close with a TCP RST (``SO_LINGER`` 0), for ``Socket.reset_and_destroy``."""
        sock = self._socket()
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    @property
    def write_queue_size(self) -> int:
        transport = self._transport
        if transport is None or self.state is not _OPEN:
            return 0
        return transport.get_write_buffer_size()

    # --- addresses and options ----------------------------------------------------------------

    def _socket(self) -> socket.socket | None:
        if self._transport is None:
            return None
        sock: socket.socket | None = self._transport.get_extra_info("socket")
        return sock

    def _address(self, key: str) -> tuple[str, int] | str | None:
        if self._transport is None:
            return None
        value = self._transport.get_extra_info(key)
        if isinstance(value, tuple) and len(value) >= 2:
            return (str(value[0]), int(value[1]))
        if isinstance(value, str | bytes):
            return value.decode() if isinstance(value, bytes) else value
        return None

    def local_address(self) -> tuple[str, int] | str | None:
        return self._address("sockname")

    def remote_address(self) -> tuple[str, int] | str | None:
        return self._address("peername")

    def set_no_delay(self, enable: bool) -> None:
        sock = self._socket()
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(enable))

    def set_keep_alive(self, enable: bool, initial_delay_s: float) -> None:
        sock = self._socket()
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(enable))
        if enable and initial_delay_s > 0 and hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(initial_delay_s))


def _no_read() -> None:
    return None


def _break_read_cycle(transport: asyncio.Transport | None) -> None:
    """asyncio's selector transport keeps a bound method of itself (``_read_ready_cb``):
    a reference cycle, so every closed connection (transport, socket object, extra-info
    dict) would wait for the cycle collector.  Once ``connection_lost`` runs the transport
    has stopped reading for good (its reader was removed when it closed), so the method
    is replaced by a no-op and the transport is freed by reference counting.  Other
    transports (uvloop's) have no such attribute and are left alone."""
    if transport is not None and getattr(transport, "_read_ready_cb", None) is not None:
        transport._read_ready_cb = _no_read  # type: ignore[attr-defined]


def _call_all(
    args: tuple[list[WriteCallback], WriteCallback | None, BaseException | None],
) -> None:
    callbacks, last, err = args
    for cb in callbacks:
        cb(err)
    if last is not None:
        last(err)
