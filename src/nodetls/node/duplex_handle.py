"""``DuplexHandle``: any Duplex stream as a ``StreamHandle`` (Node's ``JSStreamSocket``).

With it, ``Socket(handle=DuplexHandle(stream))`` is a ``net.Socket`` over an in-memory pair,
a pipe, another socket or a ``TLSSocket`` (TLS over TLS), and the TLS layer can wrap any
Duplex the same way it wraps a TCP connection.

Mapping: ``read_start``/``read_stop`` are ``resume()``/``pause()`` of the stream, whose
``'data'`` chunks become ``on_handle_read``, ``'end'`` ``on_handle_eof``, ``'error'``
``on_handle_error`` and ``'close'`` ``on_handle_close``.  ``write`` is ``stream.write`` (its
callback is never synchronous, as the handle contract needs), ``shutdown`` is ``stream.end``.
``close()`` destroys the stream and reports ``on_handle_close`` on a later turn.  The stream
must carry bytes: a ``str`` chunk (``set_encoding``) or object mode is ``ERR_STREAM_WRAP``.
"""

from __future__ import annotations

from typing import Any

from .duplex import Duplex
from .errors import ERR_STREAM_WRAP
from .handle import StreamHandle, WriteCallback
from .scheduling import set_immediate

__all__ = ["DuplexHandle"]


class DuplexHandle(StreamHandle):
    __slots__ = ("_closed", "stream")

    def __init__(self, stream: Duplex) -> None:
        self.listener = None
        self.stream = stream
        self._closed = False
        stream.pause()  # reading starts with read_start(), as for an OS handle
        stream.on("data", self._on_data)
        stream.once("end", self._on_end)
        stream.on("error", self._on_error)
        stream.once("close", self._on_close)

    # --- stream events -> listener ------------------------------------------------------------

    def _on_data(self, chunk: Any) -> None:
        if not isinstance(chunk, bytes) or self.stream.readable_object_mode:
            self.stream.pause()
            self.stream.remove_listener("data", self._on_data)
            self._on_error(ERR_STREAM_WRAP())
            return
        if self.listener is not None:
            self.listener.on_handle_read(chunk)

    def _on_end(self) -> None:
        if self.listener is not None:
            self.listener.on_handle_eof()

    def _on_error(self, err: BaseException) -> None:
        if self.listener is not None:
            self.listener.on_handle_error(err)

    def _on_close(self, *_args: Any) -> None:
        if self._closed:
            return
        self._closed = True
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.on_handle_close()

    # --- StreamHandle -------------------------------------------------------------------------

    def read_start(self) -> None:
        self.stream.resume()

    def read_stop(self) -> None:
        self.stream.pause()

    def write(self, data: bytes, cb: WriteCallback) -> None:
        self.stream.write(data, cb)

    def shutdown(self, cb: WriteCallback) -> None:
        self.stream.end(cb)

    def close(self) -> None:
        if self._closed:
            return
        stream = self.stream
        stream.remove_listener("data", self._on_data)
        stream.remove_listener("end", self._on_end)
        stream.remove_listener("close", self._on_close)
        # Keep swallowing errors of a stream we are destroying; nobody else listens now.
        stream.destroy()
        set_immediate(self._on_close)

    @property
    def write_queue_size(self) -> int:
        return self.stream.writable_length

    def _inner(self) -> StreamHandle | None:
        inner = getattr(self.stream, "handle", None)
        return inner if isinstance(inner, StreamHandle) else None

    def local_address(self) -> tuple[str, int] | str | None:
        inner = self._inner()
        return inner.local_address() if inner is not None else None

    def remote_address(self) -> tuple[str, int] | str | None:
        inner = self._inner()
        return inner.remote_address() if inner is not None else None

    def set_no_delay(self, enable: bool) -> None:
        inner = self._inner()
        if inner is not None:
            inner.set_no_delay(enable)

    def set_keep_alive(self, enable: bool, initial_delay_s: float) -> None:
        inner = self._inner()
        if inner is not None:
            inner.set_keep_alive(enable, initial_delay_s)
