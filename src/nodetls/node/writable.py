"""``Writable``: Node's writable stream algorithm (``lib/internal/streams/writable.js``).

Theory of operation
-------------------
``write(chunk)`` hands at most one chunk at a time to the subclass's ``_write(chunk, cb)``;
chunks written meanwhile (or while corked) wait in ``_w.buffered`` and are later handed over
together through ``_writev(chunks, cb)`` when the subclass has one.  ``_w.length`` counts
every accepted byte not yet completed, and ``write`` returns ``length < high_water_mark``;
after a False, ``'drain'`` is emitted once everything has completed.

User callbacks never run inside ``write``: a ``_write`` that completes synchronously has its
callback deferred to the next tick (and consecutive synchronous completions sharing one
callback are batched into one tick, as Node does).

``end()`` moves the side to ENDING; once nothing is pending, ``_final(cb)`` runs (if the
subclass has one), then ``'prefinish'``, and on a later tick ``'finish'`` followed, with
``auto_destroy``, by ``destroy()`` when the readable side (if any) has ended too.

Writing after ``end()`` fails with ``ERR_STREAM_WRITE_AFTER_END`` and destroys the stream;
after ``destroy()`` with ``ERR_STREAM_DESTROYED``.  ``destroy()`` fails every buffered write
and pending ``end`` callback with the stream's error (or ``ERR_STREAM_DESTROYED``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Self

from .errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_MULTIPLE_CALLBACK,
    ERR_STREAM_ALREADY_FINISHED,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_NULL_VALUES,
    ERR_STREAM_WRITE_AFTER_END,
)
from .scheduling import next_tick
from .stream_base import Stream
from .stream_state import AfterWriteInfo, Life, ReadPhase, WritableState, WritePhase, advance
from .string_decoder import encode_string

__all__ = ["Writable", "WriteCallback"]

# Enum members read per chunk, bound once: on Python 3.11 every ``Enum.MEMBER`` lookup
# goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_OPEN = WritePhase.OPEN
_ALIVE = Life.ALIVE
_ENDING = WritePhase.ENDING
_FINALIZING = WritePhase.FINALIZING
_FINISHED = WritePhase.FINISHED
_PREFINISHED = WritePhase.PREFINISHED
_R_END_EMITTED = ReadPhase.END_EMITTED

WriteCallback = Callable[[BaseException | None], None]
_CHUNK_TYPES = ("string", "Buffer", "TypedArray", "DataView")


def _nop(err: BaseException | None = None) -> None:
    return None


class Writable(Stream):
    """Node's ``stream.Writable``.  Subclasses implement ``_write`` (and optionally
    ``_writev``, ``_final``, ``_destroy``)."""

    __slots__ = ()

    # A Writable always has its state (only a plain Readable's ``_w`` is None); the
    # narrowed type lets the hot paths read ``self._w`` without the ``_ws`` property call.
    _w: WritableState

    _has_writev: ClassVar[bool] = False
    _has_final: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._has_writev = cls._writev is not Writable._writev
        cls._has_final = cls._final is not Writable._final

    def __init__(
        self,
        *,
        high_water_mark: int | None = None,
        object_mode: bool = False,
        default_encoding: str = "utf8",
        emit_close: bool = True,
        auto_destroy: bool = True,
    ) -> None:
        super().__init__(auto_destroy=auto_destroy, emit_close=emit_close)
        self._w = WritableState(high_water_mark, object_mode, enabled=True)
        self._w.default_encoding = default_encoding

    @property
    def _ws(self) -> WritableState:
        state = self._w
        assert state is not None
        return state

    # --- subclass hooks -----------------------------------------------------------------------

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        """Write one chunk, then call ``cb(None)`` or ``cb(err)`` (override)."""
        if self._has_writev:
            self._writev([chunk], cb)
            return
        raise ERR_METHOD_NOT_IMPLEMENTED("_write()")

    def _writev(self, chunks: list[Any], cb: WriteCallback) -> None:
        """Write several buffered chunks at once (optional override)."""
        raise ERR_METHOD_NOT_IMPLEMENTED("_writev()")

    def _final(self, cb: WriteCallback) -> None:
        """Called once after ``end()`` when all writes completed (optional override)."""
        cb(None)

    # --- write --------------------------------------------------------------------------------

    def write(
        self,
        chunk: Any,
        encoding: str | WriteCallback | None = None,
        cb: WriteCallback | None = None,
    ) -> bool:
        """Queue ``chunk``; False means "buffer full, wait for ``'drain'``".

        ``write(chunk, cb)`` and ``write(chunk, encoding, cb)`` are both accepted, as in
        Node; ``cb(err_or_None)`` is called once the chunk is handled.
        """
        if encoding is not None and not isinstance(encoding, str):
            cb, encoding = encoding, None
        w = self._w
        if (type(chunk) is bytes and not (w.writing or w.corked or w.object_mode)
                and w.phase is _OPEN and self._life is _ALIVE and self._errored is None):
            # _write_chunk + _write_or_buffer's "write now" branch, inlined: a bytes
            # write to an idle open stream (every message of an echo), two calls less.
            w.pending_cb += 1
            length = len(chunk)
            w.length += length
            w.write_len = length
            w.write_cb = cb or _nop
            w.writing = w.expect_write_cb = w.sync = True
            self._write(chunk, self._on_write)
            w.sync = False
            if w.length < w.high_water_mark:
                return self._life is _ALIVE and self._errored is None
            w.need_drain = True
            return False
        return self._write_chunk(chunk, encoding, cb) is True

    def _write_chunk(
        self, chunk: Any, encoding: str | None, cb: WriteCallback | None
    ) -> bool | BaseException:
        w = self._w
        if type(chunk) is not bytes and not w.object_mode:
            chunk = self._to_bytes(chunk, encoding or w.default_encoding)
        elif chunk is None:
            raise ERR_STREAM_NULL_VALUES()
        err: BaseException | None = None
        if w.phase is not _OPEN:
            err = ERR_STREAM_WRITE_AFTER_END()
        elif self._life is not _ALIVE:
            err = ERR_STREAM_DESTROYED("write")
        if err is not None:
            next_tick(cb or _nop, err)
            self._error_or_destroy(err, sync=True)
            return err
        w.pending_cb += 1
        return self._write_or_buffer(w, chunk, cb or _nop)

    @staticmethod
    def _to_bytes(chunk: Any, encoding: str) -> bytes:
        if isinstance(chunk, str):
            return encode_string(chunk, encoding)
        if isinstance(chunk, bytearray | memoryview):
            return bytes(chunk)  # we keep it: the caller may reuse their buffer
        if chunk is None:
            raise ERR_STREAM_NULL_VALUES()
        raise ERR_INVALID_ARG_TYPE("chunk", _CHUNK_TYPES, chunk)

    def _write_or_buffer(self, w: WritableState, chunk: Any, cb: WriteCallback) -> bool:
        length = 1 if w.object_mode else len(chunk)
        w.length += length
        if w.writing or w.corked or self._errored is not None:
            w.queue().append((chunk, cb))
        else:
            w.write_len = length
            w.write_cb = cb
            w.writing = w.expect_write_cb = w.sync = True
            self._write(chunk, self._on_write)
            w.sync = False
        ret = w.length < w.high_water_mark
        if not ret:
            w.need_drain = True
        # False once destroyed/errored, to break `while stream.write(...)` loops.
        return ret and self._life is _ALIVE and self._errored is None

    def _do_write(
        self, w: WritableState, writev: bool, length: int, chunk: Any, cb: WriteCallback
    ) -> None:
        w.write_len = length
        w.write_cb = cb
        w.writing = w.expect_write_cb = w.sync = True
        if self._life is not _ALIVE:
            self._on_write(ERR_STREAM_DESTROYED("write"))
        elif writev:
            self._writev(chunk, self._on_write)
        else:
            self._write(chunk, self._on_write)
        w.sync = False

    def _on_write(self, err: BaseException | None = None) -> None:
        """The callback given to ``_write``/``_writev`` (Node's ``onwrite``)."""
        w = self._w
        if not w.expect_write_cb:
            self._error_or_destroy(ERR_MULTIPLE_CALLBACK())
            return
        sync = w.sync
        cb = w.write_cb or _nop
        w.writing = w.expect_write_cb = False
        w.write_cb = None
        w.length -= w.write_len
        w.write_len = 0
        if err is not None:
            self._record_error(err)
            if sync:
                next_tick(self._on_write_error, err, cb)
            else:
                self._on_write_error(err, cb)
            return
        if w.buffered:
            self._clear_buffer(w)
        if not sync:
            if cb is _nop and not w.need_drain and w.phase is _OPEN and self._life is _ALIVE:
                w.pending_cb -= 1  # all _after_write would do (a write per message)
            else:
                self._after_write(1, cb)
        elif w.tick_info is not None and w.tick_info.cb is cb:
            w.tick_info.count += 1
        else:
            w.tick_info = info = AfterWriteInfo(cb)
            next_tick(self._after_write_tick, info)

    def _after_write_tick(self, info: AfterWriteInfo) -> None:
        w = self._w
        if w.tick_info is info:
            w.tick_info = None
        self._after_write(info.count, info.cb)

    def _after_write(self, count: int, cb: WriteCallback) -> None:
        w = self._w
        if (
            w.need_drain
            and w.length == 0
            and w.phase is _OPEN
            and self._life is _ALIVE
        ):
            w.need_drain = False
            self.emit("drain")
        if cb is _nop:  # no user callback (most writes): nothing to call back
            w.pending_cb -= count
        else:
            for _ in range(count):
                w.pending_cb -= 1
                cb(None)
        if self._life is not _ALIVE:
            self._error_buffer()
        if w.phase is not _OPEN:  # nothing to finish before end()
            self._finish_maybe(w)

    def _on_write_error(self, err: BaseException, cb: WriteCallback) -> None:
        self._w.pending_cb -= 1
        cb(err)
        # Fail the buffered writes even without auto_destroy; the error event comes after cb.
        self._error_buffer()
        self._error_or_destroy(err)

    def _error_buffer(self) -> None:
        """Fail every buffered write and pending ``end`` callback (Node's ``errorBuffer``)."""
        w = self._w
        if w.writing:
            return
        while w.buffered:
            chunk, cb = w.buffered.popleft()
            w.length -= 1 if w.object_mode else len(chunk)
            cb(self._errored or ERR_STREAM_DESTROYED("write"))
        self._call_finished_callbacks(self._errored or ERR_STREAM_DESTROYED("end"))

    def _clear_buffer(self, w: WritableState) -> None:
        if w.corked or self._life is not _ALIVE or w.buffer_processing or not w.buffered:
            return
        w.buffer_processing = True
        buffered = w.buffered
        if len(buffered) > 1 and self._has_writev:
            entries = list(buffered)
            buffered.clear()
            w.pending_cb -= len(entries) - 1
            callbacks = [cb for _, cb in entries if cb is not _nop]
            self._do_write(w, True, w.length, [c for c, _ in entries], _fan_out(callbacks))
        else:
            while buffered and not w.writing:
                chunk, cb = buffered.popleft()
                self._do_write(w, False, 1 if w.object_mode else len(chunk), chunk, cb)
        w.buffer_processing = False

    def cork(self) -> None:
        """Buffer writes until ``uncork()`` (then handed over together via ``_writev``)."""
        self._w.corked += 1

    def uncork(self) -> None:
        w = self._w
        if w.corked:
            w.corked -= 1
            if not w.writing:
                self._clear_buffer(w)

    def set_default_encoding(self, encoding: str) -> Self:
        from .validators import validate_encoding

        self._w.default_encoding = validate_encoding(encoding.lower())
        return self

    # --- end / finish -------------------------------------------------------------------------

    def end(
        self,
        chunk: Any = None,
        encoding: str | WriteCallback | None = None,
        cb: WriteCallback | None = None,
    ) -> Self:
        """Finish writing (optionally with a last ``chunk``); ``cb`` runs on ``'finish'``.

        Accepts ``end(cb)``, ``end(chunk, cb)`` and ``end(chunk, encoding, cb)`` as Node does.
        """
        if callable(chunk):
            cb, chunk, encoding = chunk, None, None
        elif encoding is not None and not isinstance(encoding, str):
            cb, encoding = encoding, None
        w = self._w
        err: BaseException | None = None
        if chunk is not None:
            ret = self._write_chunk(chunk, encoding, None)
            if isinstance(ret, BaseException):
                err = ret
        if w.corked:  # end() fully uncorks
            w.corked = 1
            self.uncork()
        if err is not None:
            pass
        elif w.phase is _OPEN and self._errored is None:
            w.phase = advance(w.phase, _ENDING)
            self._finish_maybe(w, sync=True)
        elif w.phase is _FINISHED:
            err = ERR_STREAM_ALREADY_FINISHED("end")
        elif self._life is not _ALIVE:
            err = ERR_STREAM_DESTROYED("end")
        if cb is not None:
            if err is not None or w.phase is _FINISHED:
                next_tick(cb, err)
            elif w.on_finished is None:
                w.on_finished = [cb]
            else:
                w.on_finished.append(cb)
        return self

    def _need_finish(self, w: WritableState) -> bool:
        return (
            _ENDING <= w.phase < _FINISHED
            and self._life is _ALIVE
            and w.length == 0
            and self._errored is None
            and not w.buffered
            and not w.writing
            and not self._error_emitted
        )

    def _finish_maybe(self, w: WritableState, sync: bool = False) -> None:
        if not self._need_finish(w):
            return
        self._prefinish(w)
        if w.pending_cb == 0:
            w.pending_cb += 1
            if sync:
                next_tick(self._finish_tick)
            elif self._need_finish(w):
                self._finish(w)
            else:
                w.pending_cb -= 1

    def _finish_tick(self) -> None:
        w = self._w
        if self._need_finish(w):
            self._finish(w)
        else:
            w.pending_cb -= 1

    def _prefinish(self, w: WritableState) -> None:
        if w.phase is not _ENDING:
            return  # _final already called, or prefinished
        if self._has_final and self._life is _ALIVE:
            w.phase = advance(w.phase, _FINALIZING)
            self._call_final(w)
        else:
            w.phase = advance(w.phase, _PREFINISHED)
            self.emit("prefinish")

    def _call_final(self, w: WritableState) -> None:
        done = _FinalDone(self)
        w.sync = True
        w.pending_cb += 1
        try:
            self._final(done)
        except Exception as exc:
            done(exc)
        w.sync = False

    def _on_final(self, err: BaseException | None) -> None:
        w = self._w
        w.pending_cb -= 1
        if err is not None:
            self._call_finished_callbacks(err)
            self._error_or_destroy(err, w.sync)
        elif self._need_finish(w):
            w.phase = advance(w.phase, _PREFINISHED)
            self.emit("prefinish")
            # Node: 'finish' always comes on a later tick than the _final callback.
            w.pending_cb += 1
            next_tick(self._finish, w)

    def _finish(self, w: WritableState) -> None:
        w.pending_cb -= 1
        w.phase = advance(w.phase, _FINISHED)
        self._call_finished_callbacks(None)
        self.emit("finish")
        if self._auto_destroy:
            r = self._r
            # A Duplex waits for its readable side to have ended (or be disabled).
            if r is None or not r.enabled or r.phase is _R_END_EMITTED:
                self.destroy()

    def _call_finished_callbacks(self, err: BaseException | None) -> None:
        w = self._w
        callbacks, w.on_finished = w.on_finished, None
        for cb in callbacks or ():
            cb(err)

    # --- destroy ------------------------------------------------------------------------------

    def destroy(self, err: BaseException | None = None, cb: Callable[..., None] | None = None) -> (
        Self
    ):
        w = self._w
        if w is not None and self._life is _ALIVE and (w.buffered or w.on_finished):
            next_tick(self._error_buffer)
        return super().destroy(err, cb)

    # --- properties ---------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        w = self._w
        return (
            w is not None
            and w.enabled
            and self._errored is None
            and w.phase is _OPEN
            and self._life is _ALIVE
        )

    @property
    def writable_ended(self) -> bool:
        return self._w is not None and self._w.phase is not _OPEN

    @property
    def writable_finished(self) -> bool:
        return self._w is not None and self._w.phase is _FINISHED

    @property
    def writable_length(self) -> int:
        return self._w.length

    @property
    def writable_high_water_mark(self) -> int:
        return self._w.high_water_mark

    @property
    def writable_need_drain(self) -> bool:
        w = self._w
        return w.need_drain and w.phase is _OPEN and self._life is _ALIVE

    @property
    def writable_corked(self) -> int:
        return self._w.corked

    @property
    def writable_object_mode(self) -> bool:
        return self._w.object_mode

    @property
    def writable_aborted(self) -> bool:
        w = self._w
        return w.enabled and self._broken() and w.phase is not _FINISHED


class _FinalDone:
    """The callback handed to ``_final``: a second call is ``ERR_MULTIPLE_CALLBACK``."""

    __slots__ = ("called", "stream")

    def __init__(self, stream: Writable) -> None:
        self.stream = stream
        self.called = False

    def __call__(self, err: BaseException | None = None) -> None:
        if self.called:
            self.stream._error_or_destroy(err or ERR_MULTIPLE_CALLBACK())
            return
        self.called = True
        self.stream._on_final(err)


def _fan_out(callbacks: list[WriteCallback]) -> WriteCallback:
    if not callbacks:
        return _nop

    def call_all(err: BaseException | None = None) -> None:
        for cb in callbacks:
            cb(err)

    return call_all
