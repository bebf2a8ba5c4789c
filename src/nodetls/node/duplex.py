"""``Duplex``, ``Transform`` and ``PassThrough`` (``lib/internal/streams/{duplex,transform}.js``).

Theory of operation
-------------------
A ``Duplex`` is one object with both a readable and a writable side (``_r`` and ``_w``) that
share one destroy lifecycle.  Python's MRO (Duplex -> Readable -> Writable -> Stream) gives it
the methods of both; ``destroy`` resolves to ``Writable.destroy``, as in Node.

``allow_half_open`` (default True) lets one side end while the other stays open.  When it is
False, the writable side is ended automatically right after ``'end'`` (a socket answering a
FIN with its own FIN).  ``'close'`` comes after both sides are done, via ``auto_destroy``.

``Transform`` maps writes to pushes through ``_transform(chunk, cb)``; ``cb(err, data)``.  Its
write callback is held back while the readable buffer is full, which is what propagates
backpressure from the reader to the writer.  ``_flush(cb)`` runs at the end, before EOF is
pushed.  ``PassThrough`` is the identity transform.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ERR_METHOD_NOT_IMPLEMENTED
from .readable import Readable
from .scheduling import next_tick
from .stream_base import Stream
from .stream_state import ReadableState, ReadPhase, WritableState
from .writable import Writable, WriteCallback

__all__ = ["Duplex", "PassThrough", "Transform", "TransformCallback"]

TransformCallback = Callable[..., None]
"""``cb(err=None, data=None)`` as given to ``_transform`` and ``_flush``."""


class Duplex(Readable, Writable):
    """Node's ``stream.Duplex``: implement ``_read`` and ``_write`` (and friends)."""

    __slots__ = ()

    def __init__(
        self,
        *,
        allow_half_open: bool = True,
        readable: bool = True,
        writable: bool = True,
        high_water_mark: int | None = None,
        readable_high_water_mark: int | None = None,
        writable_high_water_mark: int | None = None,
        object_mode: bool = False,
        readable_object_mode: bool | None = None,
        writable_object_mode: bool | None = None,
        encoding: str | None = None,
        default_encoding: str = "utf8",
        emit_close: bool = True,
        auto_destroy: bool = True,
    ) -> None:
        Stream.__init__(self, auto_destroy=auto_destroy, emit_close=emit_close)
        r_object = object_mode if readable_object_mode is None else readable_object_mode
        w_object = object_mode if writable_object_mode is None else writable_object_mode
        r_hwm = high_water_mark if readable_high_water_mark is None else readable_high_water_mark
        w_hwm = high_water_mark if writable_high_water_mark is None else writable_high_water_mark
        self._r = ReadableState(r_hwm, r_object, enabled=readable)
        self._w = WritableState(w_hwm, w_object, enabled=writable)
        self._w.default_encoding = default_encoding
        self._allow_half_open = allow_half_open
        if encoding is not None:
            self.set_encoding(encoding)

    @property
    def allow_half_open(self) -> bool:
        return self._allow_half_open

    @allow_half_open.setter
    def allow_half_open(self, value: bool) -> None:
        self._allow_half_open = value


class Transform(Duplex):
    """Node's ``stream.Transform``: implement ``_transform(chunk, cb)``, optionally ``_flush``."""

    __slots__ = ("_pending_cb",)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._pending_cb: WriteCallback | None = None
        # Node: a transform's readable side is never "sync" from the reader's view.
        self._rs.sync = False

    def _transform(self, chunk: Any, cb: TransformCallback) -> None:
        """Turn ``chunk`` into output: ``push`` it and/or ``cb(None, data)`` (override)."""
        raise ERR_METHOD_NOT_IMPLEMENTED("_transform()")

    def _flush(self, cb: TransformCallback) -> None:
        """Emit any final output before EOF (optional override)."""
        cb()

    def _final(self, cb: WriteCallback) -> None:
        if self.destroyed:
            self.push(None)
            cb(None)
            return

        def flushed(err: BaseException | None = None, data: Any = None) -> None:
            if err is not None:
                cb(err)
                return
            if data is not None:
                self.push(data)
            self.push(None)
            cb(None)

        self._flush(flushed)

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        r = self._rs
        w = self._ws
        length = r.length

        def transformed(err: BaseException | None = None, data: Any = None) -> None:
            if err is not None:
                cb(err)
                return
            if data is not None:
                self.push(data)
            if r.phase is not ReadPhase.OPEN:
                next_tick(cb, None)  # the user pushed EOF: let the new state propagate
            elif w.ending or length == r.length or r.length < r.high_water_mark:
                cb(None)
            else:
                self._pending_cb = cb  # readable side full: released by _read

        self._transform(chunk, transformed)

    def _read(self, size: int) -> None:
        cb = self._pending_cb
        if cb is not None:
            self._pending_cb = None
            cb(None)


class PassThrough(Transform):
    """A ``Transform`` that passes every chunk through unchanged."""

    __slots__ = ()

    def _transform(self, chunk: Any, cb: TransformCallback) -> None:
        cb(None, chunk)

