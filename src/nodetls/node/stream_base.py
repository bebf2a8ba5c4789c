"""``Stream``: what Readable and Writable share, above all ``destroy()``.

Theory of operation
-------------------
``destroy(err)`` is Node's ``lib/internal/streams/destroy.js``:

1. Idempotent: a second call only calls its ``cb``.
2. Records ``err`` as the stream's ``errored`` value and moves ``Life`` to DESTROYED *before*
   anything else runs, so callbacks that re-enter ``destroy`` see it done.
3. Calls the subclass hook ``_destroy(err, cb)``; when that calls back the stream is CLOSED
   and, on the next tick, ``'error'`` (once per stream, only if there is an error) and then
   ``'close'`` (only if ``emit_close``) are emitted.

``_error_or_destroy(err)`` is how the algorithms report failures: with ``auto_destroy`` (the
default) it destroys the stream; without, it only records and emits the error.

A Duplex shares one Life, one ``errored`` value and one "error emitted" latch between its
two sides; Node keeps copies on both side states but always sets them together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Self

from .events import EventEmitter
from .scheduling import next_tick
from .stream_state import Life, advance

if TYPE_CHECKING:
    from .stream_state import ReadableState, WritableState

__all__ = ["Stream"]

# Enum members read per chunk, bound once: on Python 3.11 every ``Enum.MEMBER`` lookup
# goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_ALIVE = Life.ALIVE
_CLOSED = Life.CLOSED
_CLOSE_EMITTED = Life.CLOSE_EMITTED
_DESTROYED = Life.DESTROYED

DestroyCallback = Callable[[BaseException | None], None]


class Stream(EventEmitter):
    """Base of all streams (Node's legacy ``Stream`` plus the shared destroy machinery)."""

    __slots__ = (
        "_allow_half_open",
        "_auto_destroy",
        "_emit_close",
        "_error_emitted",
        "_errored",
        "_life",
        "_r",
        "_w",
    )

    def __init__(self, *, auto_destroy: bool = True, emit_close: bool = True) -> None:
        super().__init__()
        self._r: ReadableState | None = None
        self._w: WritableState | None = None
        self._life = _ALIVE
        self._errored: BaseException | None = None
        self._error_emitted = False
        self._auto_destroy = auto_destroy
        self._emit_close = emit_close
        self._allow_half_open = True

    # --- shared state -------------------------------------------------------------------------

    @property
    def destroyed(self) -> bool:
        return self._life is not _ALIVE

    @property
    def closed(self) -> bool:
        """True once ``_destroy`` has called back."""
        return self._life >= _CLOSED

    @property
    def errored(self) -> BaseException | None:
        """The error the stream was destroyed or failed with, if any."""
        return self._errored

    def _broken(self) -> bool:
        """Destroyed or errored: the algorithms stop moving data."""
        return self._life is not _ALIVE or self._errored is not None

    # --- destroy ------------------------------------------------------------------------------

    def destroy(self, err: BaseException | None = None, cb: DestroyCallback | None = None) -> Self:
        """Destroy the stream: ``'error'`` (if ``err``) then ``'close'`` on the next tick."""
        if self._life is not _ALIVE:
            if cb is not None:
                cb(None)
            return self
        self._record_error(err)
        self._life = advance(self._life, _DESTROYED)
        done = _DestroyDone(self, cb)
        try:
            self._destroy(err, done)
        except Exception as exc:
            done(exc)
        return self

    def _destroy(self, err: BaseException | None, cb: DestroyCallback) -> None:
        """Release resources, then call ``cb(err)`` (override; the default just calls back)."""
        cb(err)

    def _record_error(self, err: BaseException | None) -> None:
        if err is not None and self._errored is None:
            self._errored = err

    def _after_destroy(self, err: BaseException | None, cb: DestroyCallback | None) -> None:
        self._record_error(err)
        if self._life < _CLOSED:
            self._life = advance(self._life, _CLOSED)
        if cb is not None:
            cb(err)
        if err is not None:
            next_tick(self._emit_error_close, err)
        else:
            next_tick(self._emit_close_tick)

    def _emit_error_close(self, err: BaseException) -> None:
        try:
            self._emit_error_tick(err)
        finally:
            self._emit_close_tick()

    def _emit_error_tick(self, err: BaseException) -> None:
        if self._error_emitted:
            return
        self._error_emitted = True
        self.emit("error", err)

    def _emit_close_tick(self) -> None:
        if self._life is _CLOSE_EMITTED:
            return
        self._life = advance(self._life, _CLOSE_EMITTED)
        if self._emit_close:
            self.emit("close")

    def _error_or_destroy(self, err: BaseException, sync: bool = False) -> None:
        """Report a failure of the stream algorithms (Node's ``errorOrDestroy``)."""
        if self._life is not _ALIVE:
            return
        if self._auto_destroy:
            self.destroy(err)
            return
        self._record_error(err)
        if sync:
            next_tick(self._emit_error_tick, err)
        else:
            self._emit_error_tick(err)

    def _on_listener_rejection(self, exc: BaseException) -> None:
        # Node: Stream.prototype[captureRejectionSymbol] = destroy(err)
        self.destroy(exc)


class _DestroyDone:
    """The single-use callback handed to ``_destroy`` (later calls are ignored, as in Node)."""

    __slots__ = ("cb", "stream")

    def __init__(self, stream: Stream, cb: DestroyCallback | None) -> None:
        self.stream: Stream | None = stream
        self.cb = cb

    def __call__(self, err: BaseException | None = None) -> None:
        stream = self.stream
        if stream is None:
            return
        self.stream = None
        stream._after_destroy(err, self.cb)
