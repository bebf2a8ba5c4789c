"""``TLSHandle``: the TLS ``StreamHandle``, Node's ``TLSWrap`` in Python.

Theory of operation
-------------------
A ``TLSSocket`` is a ``net.Socket`` whose handle is a ``TLSHandle``; the ``TLSHandle``
wraps the handle of the transport (TCP, unix socket, a Duplex, another TLS handle)
exactly as Node's ``TLSWrap`` wraps a libuv or JS stream::

    TLSSocket --write/shutdown/read_start--> TLSHandle --write/shutdown--> inner handle
    TLSSocket <--on_handle_read(plaintext)-- TLSHandle <--on_handle_read(ciphertext)--

It makes itself the inner handle's listener, and it is the only place where bytes meet
the ``TLSEngine``:

* ciphertext in: ``on_handle_read`` -> ``engine.receive`` -> the events, in wire order:
  ``AppData`` goes up as ``on_handle_read``, ``CloseNotify`` as ``on_handle_eof``, a
  ``TLSFailure`` (after flushing the alert OpenSSL queued, so the peer sees it) as the
  owner's ``_on_tls_error``, everything else (handshake start/done, sessions, keylog,
  OCSP, the server's ClientHello/certificate pauses) to the owner's ``_on_tls_event``;
* cleartext out: ``write`` -> ``engine.send`` -> one ``inner.write`` of everything the
  engine has pending.  The write's callback rides on that inner write, so backpressure
  of the transport reaches the socket.  Writes made before the handshake is done are
  queued inside the engine (Node's ``pending_cleartext_input_``) and their callbacks
  wait here until the engine has taken the bytes;
* every engine step (``start``, ``receive``, ``send``, ``shutdown``, the answers to a
  server's pauses) runs through one function, ``_run`` (unrolled in ``on_handle_read``
  and ``write``, which run for every chunk): the step, then its events to
  ``_dispatch`` (the one place that switches on their type), then one ``_flush``: a
  single ``inner.write`` of all the ciphertext the engine produced (handshake flights,
  records, alerts), never one per record.  What happens when the step raises is the
  caller's ``OnError`` policy;
* ``shutdown`` sends close_notify, then shuts the inner handle's write side down (TCP
  FIN), as Node's ``DoShutdown``; ``close`` closes the inner handle, whose
  ``on_handle_close`` is passed up.

An exception raised by a user callback inside the engine (an ALPN or PSK callback) is
reported like a TLS failure: the owner destroys the socket with it.  An exception
raised by a listener while an event is delivered (``'data'``, ``'secureConnection'``)
goes to the owner's ``_on_callback_error`` instead of unwinding into asyncio.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from nodetls.engine import AppData, CloseNotify, ConnectionState, Event, TLSEngine, TLSFailure
from nodetls.engine.errors import EngineStateError
from nodetls.node.errors import ERR_STREAM_WRITE_AFTER_END, errno_exception
from nodetls.node.handle import HandleListener, StreamHandle, WriteCallback, no_callback
from nodetls.node.scheduling import set_immediate
from nodetls.tls.errors import translate_openssl_error

__all__ = ["OnError", "TLSHandle", "TLSHandleOwner"]

# Enum members read per chunk, bound once: on Python 3.11 every ``Enum.MEMBER`` lookup
# goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_NEW = ConnectionState.NEW
_FAILED = ConnectionState.FAILED

_CLOSE_SENT = frozenset({ConnectionState.SENT_CLOSE, ConnectionState.CLOSED})


class TLSHandleOwner(Protocol):
    """What a ``TLSHandle`` reports to besides its listener (the ``TLSSocket``)."""

    def _on_tls_event(self, event: Event) -> None: ...

    def _on_tls_error(self, err: BaseException) -> None: ...

    def _on_callback_error(self, exc: BaseException) -> None: ...


class OnError(Enum):
    """What ``TLSHandle._run`` does when the engine step raises."""

    #: The caller asked for the step (``start``, ``resume_client_hello``, ...): it sees
    #: the exception.
    RAISE = "raise"
    #: The step failed the connection (a user callback raised inside OpenSSL): the
    #: alert is flushed and the owner destroys the socket; the caller's callback, if
    #: any, fails with the same error.
    FAIL = "fail"
    #: A write: as ``FAIL``, except that a write the engine's state refuses only fails
    #: its callback (EPROTO after a fatal error, a write after end after close_notify),
    #: as Node's does.
    WRITE = "write"
    #: Ciphertext from the peer: as ``FAIL``; and a listener that raises while the
    #: events are delivered goes to the owner's ``_on_callback_error``, never into
    #: the event loop.
    PEER = "peer"


_ON_FAIL = OnError.FAIL
_ON_PEER = OnError.PEER
_ON_RAISE = OnError.RAISE
_ON_WRITE = OnError.WRITE


class _AllDone:
    """One inner-write callback completing several socket writes."""

    __slots__ = ("callbacks",)

    def __init__(self, callbacks: list[WriteCallback]) -> None:
        self.callbacks = callbacks

    def __call__(self, err: BaseException | None) -> None:
        for cb in self.callbacks:
            cb(err)


class TLSHandle(StreamHandle):
    """A ``StreamHandle`` that encrypts into, and decrypts from, another one."""

    # One handle per connection: slots keep it from carrying a __dict__.
    __slots__ = ("_blocked", "_closed", "_eof", "_held", "_held_shutdown", "_may_start",
                 "engine", "inner", "owner")

    def __init__(self, inner: StreamHandle, engine: TLSEngine, owner: TLSHandleOwner) -> None:
        self.listener: HandleListener | None = None
        self.inner = inner
        self.engine = engine
        self.owner = owner
        self._blocked: list[WriteCallback] | None = None  # writes waiting for the handshake
        self._held = False  # output held until the previous owner's writes are done
        self._held_shutdown: WriteCallback | None = None
        self._eof = False  # on_handle_eof passed up
        self._closed = False
        self._may_start = True  # write() may still have to start a client's handshake
        inner.listener = self

    # --- driving the engine ---------------------------------------------------------------

    def drive(self, step: Callable[..., list[Event]], *args: object) -> None:
        """Run one engine operation (``start``, ``resume_client_hello``, ...), deliver its
        events and flush its output.  Exceptions from ``step`` propagate."""
        self._run(_ON_RAISE, step, *args)
        if self._held_shutdown is not None and not self._held and not self.engine.output_held:
            cb, self._held_shutdown = self._held_shutdown, None  # the held flight is out
            self.inner.shutdown(cb)

    def _run(self, on_error: OnError, step: Callable[..., list[Event]], *args: object,
             cb: WriteCallback | None = None) -> bool:
        """The one drive path: run ``step``, dispatch its events, flush once.

        ``cb`` is the caller's callback: it fails with the step's error; a write's
        (``OnError.WRITE``) rides on the flush of what it wrote.  False if the step
        failed (and was handled as ``on_error`` says).
        """
        try:
            events = step(*args)
        except Exception as exc:
            if on_error is _ON_RAISE:
                raise
            self._step_failed(on_error, exc, cb)
            return False
        flush_cb = cb if on_error is _ON_WRITE else None
        if on_error is not _ON_PEER:
            self._dispatch(events)
            self._flush(flush_cb)
            return True
        try:
            self._dispatch(events)
            self._flush(flush_cb)
        except Exception as exc:  # a listener of the socket raised
            self.owner._on_callback_error(exc)
        return True

    def _step_failed(self, on_error: OnError, exc: Exception, cb: WriteCallback | None) -> None:
        if on_error is _ON_WRITE and cb is not None and isinstance(exc, EngineStateError):
            # After a fatal TLS error Node's write fails with EPROTO; after close_notify
            # it is a write after end.
            failed = self.engine.state is _FAILED
            set_immediate(cb, errno_exception(errno.EPROTO, "write") if failed
                          else ERR_STREAM_WRITE_AFTER_END())
            return
        if cb is not None:
            set_immediate(cb, exc)
        self._flush()  # the alert first, so the peer learns why
        self.owner._on_tls_error(translate_openssl_error(exc))

    def _dispatch(self, events: list[Event]) -> None:
        """Deliver events in wire order: the one switch on their type."""
        for event in events:
            if self._closed:
                return
            match event:
                case AppData(data=data):
                    listener = self.listener
                    if listener is not None:
                        listener.on_handle_read(data)
                case CloseNotify():
                    self._deliver_eof()
                case TLSFailure(error=error):
                    self._flush()  # the alert first, so the peer learns why
                    self.owner._on_tls_error(translate_openssl_error(error))
                    return
                case _:
                    self.owner._on_tls_event(event)

    def _flush(self, cb: WriteCallback | None = None) -> None:
        """One inner write of all pending ciphertext; completes ``cb`` and any writes that
        waited for the handshake once the inner handle has taken it.  While the engine
        still queues cleartext (the handshake runs), ``cb`` waits with them."""
        engine = self.engine
        if (self._blocked is None and not (self._held or self._closed)
                and (cb is None or not engine.pending_cleartext_size())):
            # The common case (every chunk read, every write once the handshake is done):
            # nothing waits, so one inner write carries ``cb``, if anything is to go.
            out = engine.data_to_send()
            if out:
                self.inner.write(out, cb or no_callback)
            elif cb is not None:
                self.inner.write(b"", cb)  # completes in order with earlier inner writes
            return
        if cb is not None and engine.pending_cleartext_size():
            self._block(cb)
            cb = None
        if self._closed:
            if cb is not None:
                set_immediate(cb, errno_exception(errno.EBADF, "write"))
            return
        if self._held:
            if cb is not None:
                self._block(cb)
            return
        out = engine.data_to_send()
        blocked = self._blocked
        if blocked is not None and not engine.pending_cleartext_size():
            self._blocked = None
            if cb is not None:
                blocked.append(cb)
            cb = blocked[0] if len(blocked) == 1 else _AllDone(blocked)
        if out:
            self.inner.write(out, cb or no_callback)
        elif cb is not None:
            self.inner.write(b"", cb)  # completes in order with earlier inner writes

    def _block(self, cb: WriteCallback) -> None:
        if self._blocked is None:
            self._blocked = [cb]
        else:
            self._blocked.append(cb)

    def hold_output(self) -> None:
        """Keep ciphertext back until ``release_output`` (Node's
        ``wrapHasActiveWriteFromPrevOwner``: the wrapped socket still has writes queued)."""
        self._held = True

    def release_output(self) -> None:
        self._held = False
        self._flush()
        cb, self._held_shutdown = self._held_shutdown, None
        if cb is not None:
            self.shutdown(cb)

    # --- the inner handle's listener ------------------------------------------------------

    def on_handle_read(self, data: bytes | memoryview) -> None:
        # ``_run(OnError.PEER, engine.receive, data)`` unrolled, with the common case (one
        # AppData) delivered without the dispatch loop: this runs for every chunk read.
        try:
            events = self.engine.receive(data)
        except Exception as exc:
            self._step_failed(_ON_PEER, exc, None)
            return
        try:
            if len(events) == 1 and type(event := events[0]) is AppData and not self._closed:
                listener = self.listener
                if listener is not None:
                    listener.on_handle_read(event.data)
            else:
                self._dispatch(events)
            self._flush()
        except Exception as exc:  # a listener of the socket raised
            self.owner._on_callback_error(exc)

    # The engine copies ciphertext into OpenSSL's BIO at once, so the transport may hand
    # us a view of its read buffer instead of a copy (TransportHandle's opt-in).
    on_handle_read_view = on_handle_read

    def on_handle_eof(self) -> None:
        self.engine.receive_eof()
        try:
            self._deliver_eof()
        except Exception as exc:
            self.owner._on_callback_error(exc)

    def _deliver_eof(self) -> None:
        if self._eof:
            return
        self._eof = True
        listener = self.listener
        if listener is not None:
            listener.on_handle_eof()

    def on_handle_error(self, exc: BaseException) -> None:
        if self._eof and self.engine.state in _CLOSE_SENT:
            # Both directions are over: the peer's EOF was read and our close_notify went
            # out.  A connection error now can only be that close_notify's write (EPIPE:
            # the peer closed and reset), which Node drops (a TLSWrap write with no user
            # request behind it), or a reset Node never reads (it stops reading at EOF).
            # The socket just closes (on_handle_close follows), as Node's does.
            return
        listener = self.listener
        if listener is not None:
            listener.on_handle_error(exc)

    def on_handle_close(self) -> None:
        self._closed = True
        blocked, self._blocked = self._blocked, None
        if blocked:
            err = errno_exception(errno.ECANCELED, "write")
            for cb in blocked:
                cb(err)
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.on_handle_close()

    # --- StreamHandle -----------------------------------------------------------------------

    def start(self) -> None:
        """Client: send the ClientHello."""
        self.drive(self.engine.start)

    def read_start(self) -> None:
        self.inner.read_start()

    def read_stop(self) -> None:
        self.inner.read_stop()

    def write(self, data: bytes, cb: WriteCallback) -> None:
        if self._closed:
            set_immediate(cb, errno_exception(errno.EBADF, "write"))
            return
        engine = self.engine
        if self._may_start:  # the state is read until the engine has left NEW
            if engine.state is _NEW and not engine.is_server:
                self.start()  # Node: a client's first write starts its handshake
            else:
                self._may_start = False
        # ``_run(OnError.WRITE, engine.send, data, cb=cb)`` unrolled (every write).
        try:
            events = engine.send(data)
        except Exception as exc:
            self._step_failed(_ON_WRITE, exc, cb)
            return
        if events:
            self._dispatch(events)
        self._flush(cb)

    def shutdown(self, cb: WriteCallback) -> None:
        if self._closed:
            set_immediate(cb, errno_exception(errno.ENOTCONN, "shutdown"))
            return
        if self._held:
            self._held_shutdown = cb
            return
        if not self._run(_ON_FAIL, self.engine.shutdown, cb=cb):
            return
        if self.engine.output_held:
            # A newSession callback holds the server's output (TLS 1.3 tickets, data,
            # close_notify): the FIN follows it (drive).  Node sends the FIN first and
            # the client loses all of it.
            self._held_shutdown = cb
            return
        self.inner.shutdown(cb)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.inner.close()

    @property
    def write_queue_size(self) -> int:
        return self.engine.pending_cleartext_size() + self.inner.write_queue_size

    def local_address(self) -> tuple[str, int] | str | None:
        return self.inner.local_address()

    def remote_address(self) -> tuple[str, int] | str | None:
        return self.inner.remote_address()

    def set_no_delay(self, enable: bool) -> None:
        self.inner.set_no_delay(enable)

    def set_keep_alive(self, enable: bool, initial_delay_s: float) -> None:
        self.inner.set_keep_alive(enable, initial_delay_s)
