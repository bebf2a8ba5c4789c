"""Stream handles: what a ``net.Socket`` reads from and writes to.

Node's ``net.Socket`` never touches the OS directly: it drives a *handle* (libuv's TCP
or pipe wrap, or a ``JSStreamSocket`` around any Duplex), and ``TLSSocket`` works by
putting a TLS handle (``TLSWrap``) between the socket and the original handle.  We keep
that shape because it is what makes STARTTLS, TLS over any Duplex, TLS over TLS, and
``server.emit('connection', duplex)`` fall out of one mechanism:

    net.Socket  --write/shutdown/read_start-->  StreamHandle
    net.Socket  <--on_handle_read/eof/error--   (its HandleListener)

Rules:

* A handle has exactly one listener at a time (``handle.listener``); a wrapping handle
  (TLS) makes itself the listener of the handle it wraps.
* ``write(data, cb)`` takes ownership of ``data`` (bytes-like) and calls ``cb(None)``
  once the bytes are handed to the layer below and that layer is not asking for
  backpressure, or ``cb(exc)`` on failure.  ``cb`` is never called synchronously from
  inside ``write`` (Node completes synchronous writes on ``setImmediate``), so a stream
  can rely on ordering.  ``cb`` may be ``no_callback``, which need not be called.
* ``shutdown(cb)`` half-closes the write side after every earlier write (TCP FIN, or
  close_notify for TLS) and then calls ``cb``.
* ``close()`` releases the resource at once; no callback of the listener fires after
  ``on_handle_close``.
* Reads flow only between ``read_start()`` and ``read_stop()``.  Each chunk arrives as
  ``on_handle_read(bytes)``; the end of the stream as ``on_handle_eof()`` once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Protocol

WriteCallback = Callable[[BaseException | None], None]


def no_callback(err: BaseException | None) -> None:
    """The ``WriteCallback`` of a write nobody waits for (a TLS handle's handshake
    flights and alerts): a handle may skip scheduling its completion, which would cost
    a loop callback per write for nothing."""


class HandleListener(Protocol):
    """What a handle reports to (the owning socket, or a wrapping handle)."""

    def on_handle_read(self, data: bytes) -> None: ...

    def on_handle_eof(self) -> None: ...

    def on_handle_error(self, exc: BaseException) -> None: ...

    def on_handle_close(self) -> None: ...


class StreamHandle(ABC):
    """A byte stream that a socket drives (TCP, unix socket, any Duplex, or TLS)."""

    # Subclasses declare slots too (and set ``listener`` in ``__init__``): one handle per
    # connection, and a __dict__ would cost ~300 B and a GC-tracked object.
    __slots__ = ("listener",)

    listener: HandleListener | None

    @abstractmethod
    def read_start(self) -> None: ...

    @abstractmethod
    def read_stop(self) -> None: ...

    @abstractmethod
    def write(self, data: bytes, cb: WriteCallback) -> None: ...

    @abstractmethod
    def shutdown(self, cb: WriteCallback) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    def write_queue_size(self) -> int:
        """Bytes accepted by ``write`` and not yet passed on (Node's ``writeQueueSize``)."""
        return 0

    # Address and socket options: meaningful for OS sockets; wrappers delegate inward.
    def local_address(self) -> tuple[str, int] | str | None:
        return None

    def remote_address(self) -> tuple[str, int] | str | None:
        return None

    def set_no_delay(self, enable: bool) -> None:
        return None

    def set_keep_alive(self, enable: bool, initial_delay_s: float) -> None:
        return None
