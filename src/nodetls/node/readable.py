"""``Readable``: Node's readable stream algorithm (``lib/internal/streams/readable.js``).

Theory of operation
-------------------
A producer calls ``push(chunk)`` (``push(None)`` for EOF); a consumer takes data either in
*flowing* mode (``'data'`` events; started by adding a ``'data'`` listener, ``resume()`` or
``pipe()``) or in *paused* mode (``'readable'`` events and ``read(n)``).  Chunks wait in
``_r.buffer`` (a deque, made on first use) and ``_r.length`` counts their bytes (characters
once an encoding is set, items in object mode).

* The fast path: a chunk pushed asynchronously into an empty buffer of a flowing stream is
  emitted as ``'data'`` at once, without touching the buffer.
* Backpressure: ``push`` returns False once ``length >= high_water_mark``; the producer is
  asked for more only through ``_read(size)``, called when the buffer is below the mark.
* ``'end'`` is emitted on a later tick, once EOF was pushed *and* the buffer is empty, so
  a listener added in the same tick still sees it.  After ``'end'``, a Duplex that does not
  allow half-open ends its writable side, and with ``auto_destroy`` the stream destroys
  itself once both sides are done.

The method bodies follow Node's functions one for one (same names in snake_case), so the
port can be checked against the source; the flag soup of Node's ``kState`` is replaced by
``ReadPhase`` for the lifecycle and a few named latches (see ``stream_state``).
How much a ``read(n)`` takes from the buffer, and taking it, is ``read_buffer.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Hashable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from .errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_METHOD_NOT_IMPLEMENTED,
    ERR_STREAM_PUSH_AFTER_EOF,
    ERR_STREAM_UNSHIFT_AFTER_END_EVENT,
)
from .pipe import Pipe
from .read_buffer import compute_new_high_water_mark, from_list, how_much_to_read
from .scheduling import next_tick
from .stream_base import Stream
from .stream_state import Life, ReadableState, ReadPhase, WritePhase, advance
from .string_decoder import StringDecoder, encode_string
from .validators import validate_encoding

if TYPE_CHECKING:
    from .writable import Writable

__all__ = ["Readable"]

# Enum members read per chunk, bound once: on Python 3.11 every ``Enum.MEMBER`` lookup
# goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_OPEN = ReadPhase.OPEN
_ALIVE = Life.ALIVE
_CLOSE_EMITTED = Life.CLOSE_EMITTED
_ENDED = ReadPhase.ENDED
_END_EMITTED = ReadPhase.END_EMITTED
_W_FINISHED = WritePhase.FINISHED
_W_OPEN = WritePhase.OPEN

_CHUNK_TYPES = ("string", "Buffer", "TypedArray", "DataView")


class Readable(Stream):
    """Node's ``stream.Readable``.  Subclasses implement ``_read(size)`` and call ``push``."""

    __slots__ = ()

    # A Readable always has its state (only a plain Writable's ``_r`` is None); the
    # narrowed type lets the hot paths read ``self._r`` without the ``_rs`` property call.
    _r: ReadableState

    def __init__(
        self,
        *,
        high_water_mark: int | None = None,
        object_mode: bool = False,
        encoding: str | None = None,
        emit_close: bool = True,
        auto_destroy: bool = True,
    ) -> None:
        super().__init__(auto_destroy=auto_destroy, emit_close=emit_close)
        self._r = ReadableState(high_water_mark, object_mode, enabled=True)
        if encoding is not None:
            self.set_encoding(encoding)

    @property
    def _rs(self) -> ReadableState:
        state = self._r
        assert state is not None
        return state

    # --- producer side ------------------------------------------------------------------------

    def _read(self, size: int) -> None:
        """Ask the producer for about ``size`` more bytes, delivered via ``push`` (override)."""
        raise ERR_METHOD_NOT_IMPLEMENTED("_read()")

    def push(self, chunk: Any, encoding: str | None = None) -> bool:
        """Add ``chunk`` to the read queue (``None`` = EOF).  False means: stop pushing."""
        r = self._r
        if (type(chunk) is bytes and chunk and r.flowing and r.length == 0 and not r.sync
                and r.data_listening and r.decoder is None and not r.object_mode
                and r.phase is _OPEN and self._life is _ALIVE
                and self._errored is None):
            # addChunk's fast path, inlined (one call per chunk read, not five): a
            # flowing stream with an empty buffer emits the chunk at once.
            r.reading = False
            if r.multi_await_drain:
                self._reset_await_drain(r)
            else:
                r.await_drain_writers = None
            r.data_emitted = True
            self.emit("data", chunk)
            if not r.reading_more:  # _maybe_read_more
                r.reading_more = True
                next_tick(self._maybe_read_more_tick)
            return r.phase is _OPEN and (r.length < r.high_water_mark or r.length == 0)
        if chunk is None:
            r.reading = False
            self._on_eof_chunk(r)
            return False
        if r.object_mode:
            return self._push_value(r, chunk)
        if type(chunk) is not bytes:
            chunk, encoding = self._normalize_chunk(r, chunk, encoding)
            if chunk is None:
                return False
        else:
            encoding = None
        if not chunk:
            r.reading = False
            self._maybe_read_more(r)
            return self._can_push_more(r)
        decoder = r.decoder
        if decoder is not None and encoding is None and r.phase is _OPEN:
            if self._broken():
                return False
            chunk = decoder.write(chunk)
            if not chunk:
                r.reading = False
                self._maybe_read_more(r)
                return self._can_push_more(r)
        return self._push_value(r, chunk)

    def _normalize_chunk(
        self, r: ReadableState, chunk: Any, encoding: str | None
    ) -> tuple[Any, str | None]:
        if isinstance(chunk, str):
            encoding = validate_encoding(encoding) if encoding else "utf8"
            if r.encoding != encoding:
                return encode_string(chunk, encoding), None
            return chunk, encoding
        if isinstance(chunk, bytearray | memoryview):
            return bytes(chunk), None
        self._error_or_destroy(ERR_INVALID_ARG_TYPE("chunk", _CHUNK_TYPES, chunk))
        return None, None

    def _push_value(self, r: ReadableState, chunk: Any) -> bool:
        if r.phase is not _OPEN:
            self._error_or_destroy(ERR_STREAM_PUSH_AFTER_EOF())
            return False
        if self._broken():
            return False
        r.reading = False
        self._add_chunk(r, chunk, False)
        return self._can_push_more(r)

    def unshift(self, chunk: Any, encoding: str | None = None) -> bool:
        """Put ``chunk`` back at the front of the read queue."""
        r = self._r
        if chunk is None:
            r.reading = False
            self._on_eof_chunk(r)
            return False
        if not r.object_mode and not isinstance(chunk, bytes):
            if isinstance(chunk, str) and r.encoding is None:
                chunk = encode_string(chunk, encoding)
            elif not isinstance(chunk, str):
                chunk, _ = self._normalize_chunk(r, chunk, encoding)
                if chunk is None:
                    return False
        if not r.object_mode and not chunk:
            return self._can_push_more(r)
        if r.phase is _END_EMITTED:
            self._error_or_destroy(ERR_STREAM_UNSHIFT_AFTER_END_EVENT())
        elif not self._broken():
            self._add_chunk(r, chunk, True)
        return self._can_push_more(r)

    @staticmethod
    def _can_push_more(r: ReadableState) -> bool:
        return r.phase is _OPEN and (r.length < r.high_water_mark or r.length == 0)

    def _add_chunk(self, r: ReadableState, chunk: Any, front: bool) -> None:
        if r.flowing and r.length == 0 and not r.sync and r.data_listening:
            self._reset_await_drain(r)
            r.data_emitted = True
            self.emit("data", chunk)
        else:
            r.length += 1 if r.object_mode else len(chunk)
            if front:
                r.chunks().appendleft(chunk)
            else:
                r.chunks().append(chunk)
            if r.need_readable:
                self._emit_readable(r)
        self._maybe_read_more(r)

    @staticmethod
    def _reset_await_drain(r: ReadableState) -> None:
        if r.multi_await_drain:
            assert isinstance(r.await_drain_writers, set)
            r.await_drain_writers.clear()
        else:
            r.await_drain_writers = None

    def _on_eof_chunk(self, r: ReadableState) -> None:
        if r.phase is not _OPEN:
            return
        if r.decoder is not None:
            tail = r.decoder.end()
            if tail:
                r.chunks().append(tail)
                r.length += 1 if r.object_mode else len(tail)
        r.phase = advance(r.phase, _ENDED)
        if r.sync:
            # Wait for the next tick: emitting now could re-enter the flow() in progress.
            self._emit_readable(r)
        else:
            r.need_readable = False
            r.emitted_readable = True
            self._emit_readable_tick()

    # --- consumer side ------------------------------------------------------------------------

    def read(self, n: int | None = None) -> Any:
        """Take up to ``n`` bytes (everything buffered when None) or None if not available."""
        r = self._r
        if (n == 0 and not r.length and not r.reading and r.phase is _OPEN
                and self._life is _ALIVE and self._errored is None):
            # read(0) on an empty open stream (maybe_read_more's, after every chunk): the
            # general path below reduces to "ask the producer for more".
            r.reading = r.sync = r.need_readable = True
            try:
                self._read(r.high_water_mark)
            except Exception as exc:
                self._error_or_destroy(exc)
            r.sync = False
            if r.length <= r.high_water_mark:
                r.need_readable = True
            return None
        n_orig = n
        if n is not None and n > r.high_water_mark:
            r.high_water_mark = compute_new_high_water_mark(n)
        if n != 0:
            r.emitted_readable = False
        ended = r.phase is not _OPEN
        if n == 0 and r.need_readable and (
            (r.length >= r.high_water_mark if r.high_water_mark else r.length > 0) or ended
        ):
            if r.length == 0 and ended:
                self._end_readable(r)
            else:
                self._emit_readable(r)
            return None
        n = how_much_to_read(r, n)
        if n == 0 and ended:
            if r.length == 0:
                self._end_readable(r)
            return None
        do_read = r.need_readable or r.length == 0 or r.length - n < r.high_water_mark
        if r.reading or ended or self._broken():
            do_read = False
        elif do_read:
            r.reading = True
            r.sync = True
            if r.length == 0:
                r.need_readable = True
            try:
                self._read(r.high_water_mark)
            except Exception as exc:
                self._error_or_destroy(exc)
            r.sync = False
            if not r.reading:  # _read pushed synchronously: re-evaluate
                n = how_much_to_read(r, n_orig)
        ret = from_list(r, n) if n > 0 else None
        if ret is None:
            if r.length <= r.high_water_mark:
                r.need_readable = True
            n = 0
        else:
            r.length -= n
            self._reset_await_drain(r)
        if r.length == 0:
            if r.phase is _OPEN:
                r.need_readable = True
            elif n_orig != n:  # read past EOF: 'end' on the next tick
                self._end_readable(r)
        if ret is not None and not self._error_emitted and self._life is not _CLOSE_EMITTED:
            r.data_emitted = True
            self.emit("data", ret)
        return ret

    def _emit_readable(self, r: ReadableState) -> None:
        r.need_readable = False
        if not r.emitted_readable:
            r.emitted_readable = True
            next_tick(self._emit_readable_tick)

    def _emit_readable_tick(self) -> None:
        r = self._r
        if not self._broken() and (r.length or r.phase is not _OPEN):
            self.emit("readable")
            r.emitted_readable = False
        # Another 'readable' is needed unless flowing (flow() takes over) or ended.
        if not r.flowing and r.phase is _OPEN and r.length <= r.high_water_mark:
            r.need_readable = True
        self._flow(r)

    def _flow(self, r: ReadableState) -> None:
        while r.flowing and self.read() is not None:
            pass

    def _maybe_read_more(self, r: ReadableState) -> None:
        if not r.reading_more:
            r.reading_more = True
            next_tick(self._maybe_read_more_tick)

    def _maybe_read_more_tick(self) -> None:
        r = self._r
        # Fill the buffer up to the mark, or keep a flowing stream fed.
        while (
            not r.reading
            and r.phase is _OPEN
            and (r.length < r.high_water_mark or (r.flowing and r.length == 0))
        ):
            length = r.length
            self.read(0)
            if length == r.length:
                break
        r.reading_more = False

    def _end_readable(self, r: ReadableState) -> None:
        if r.phase is not _END_EMITTED:
            if r.phase is _OPEN:
                r.phase = advance(r.phase, _ENDED)
            next_tick(self._end_readable_tick)

    def _end_readable_tick(self) -> None:
        r = self._r
        if (
            self._errored is not None
            or self._life is _CLOSE_EMITTED
            or r.phase is _END_EMITTED
        ):
            return
        if r.length:
            return  # one last unshift()
        r.phase = advance(r.phase, _END_EMITTED)
        self.emit("end")
        w = self._w
        if w is not None and self._writable_open() and not self._allow_half_open:
            next_tick(self._end_writable_tick)
        elif self._auto_destroy and (
            w is None or w.phase is _W_FINISHED or not w.enabled
        ):
            self.destroy()

    def _writable_open(self) -> bool:
        w = self._w
        return (
            w is not None
            and w.enabled
            and w.phase is _W_OPEN
            and not self._broken()
        )

    def _end_writable_tick(self) -> None:
        if self._writable_open():
            self.end()  # type: ignore[attr-defined]

    # --- flow control -------------------------------------------------------------------------

    def is_paused(self) -> bool:
        r = self._r
        return r.paused is True or r.flowing is False

    def pause(self) -> Self:
        """Stop ``'data'`` events (switch to paused mode)."""
        r = self._r
        if r.flowing is not False:
            r.flowing = False
            self.emit("pause")
        r.paused = True
        return self

    def resume(self) -> Self:
        """Start or restart ``'data'`` events (flowing mode), on the next tick."""
        r = self._r
        if not r.flowing:
            # With a 'readable' listener, resume() does not flow (Node's rule).
            r.flowing = not r.readable_listening
            if not r.resume_scheduled:
                r.resume_scheduled = True
                next_tick(self._resume_tick)
        r.paused = False
        return self

    def _resume_tick(self) -> None:
        r = self._r
        if not r.reading:
            self.read(0)
        r.resume_scheduled = False
        self.emit("resume")
        self._flow(r)
        if r.flowing and not r.reading:
            self.read(0)

    def set_encoding(self, encoding: str) -> Self:
        """Emit ``str`` instead of ``bytes``, decoding multi-byte characters across chunks."""
        r = self._r
        decoder = StringDecoder(encoding)
        r.decoder = decoder
        r.encoding = decoder.encoding
        content = "".join(
            decoder.write(item) if isinstance(item, bytes) else item for item in r.buffer or ()
        )
        r.buffer = deque([content]) if content else None
        r.length = len(content)
        return self

    def pipe(self, dest: Writable, *, end: bool = True) -> Writable:
        """Write everything read from this stream into ``dest``, with backpressure."""
        return Pipe(self, dest, end).start()

    def unpipe(self, dest: Writable | None = None) -> Self:
        r = self._r
        if not r.pipes:
            return self
        if dest is None:
            dests, r.pipes = r.pipes, []
            self.pause()
            for each in dests:
                each.emit("unpipe", self, {"has_unpiped": False})
            return self
        if dest not in r.pipes:
            return self
        r.pipes.remove(dest)
        if not r.pipes:
            self.pause()
        dest.emit("unpipe", self, {"has_unpiped": False})
        return self

    # --- listeners that switch modes ----------------------------------------------------------

    _listening_hooks: ClassVar[frozenset[str]] = frozenset({"data", "readable"})

    def _on_listener_added(self, event: Hashable) -> None:
        """Node's ``Readable.prototype.on``: a ``'data'`` listener starts flowing mode
        (unless paused), a ``'readable'`` listener switches to paused mode."""
        r = self._r
        if event == "data":
            r.data_listening = True
            if self.listener_count("readable") > 0:
                r.readable_listening = True
            if r.flowing is not False:  # start flowing unless explicitly paused
                self.resume()
        else:
            self._on_readable_listener(r)

    def _on_readable_listener(self, r: ReadableState) -> None:
        if r.phase is _END_EMITTED or r.readable_listening:
            return
        r.readable_listening = r.need_readable = True
        r.flowing = False
        r.emitted_readable = False
        if r.length:
            self._emit_readable(r)
        elif not r.reading:
            next_tick(self.read, 0)

    def _on_listener_removed(self, event: Hashable) -> None:
        """Node's ``Readable.prototype.removeListener``."""
        if event == "readable":
            # After this tick, so once('readable') cycles keep working (Node).
            next_tick(self._update_readable_listening)
        elif "data" not in self._events:  # no 'data' listener left
            self._r.data_listening = False

    def remove_all_listeners(self, event: Hashable | None = None) -> Self:
        super().remove_all_listeners(event)
        if event in ("readable", None):
            next_tick(self._update_readable_listening)
        if event in ("data", None):
            self._r.data_listening = False
        return self

    def _update_readable_listening(self) -> None:
        r = self._r
        r.readable_listening = self.listener_count("readable") > 0
        if r.resume_scheduled and r.paused is False:
            r.flowing = True  # the pending resume must flow
        elif r.data_listening:
            self.resume()
        elif not r.readable_listening:
            r.flowing = None

    # --- async iteration ----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Any]:
        """``async for chunk in stream``: chunks until ``'end'``; raises the stream's error.

        As in Node, leaving the loop early (``break``) or finishing it destroys the stream.
        """
        from .async_iterator import iterate

        return iterate(self)

    def iterator(self, *, destroy_on_return: bool = True) -> AsyncIterator[Any]:
        """Node's ``readable.iterator({destroyOnReturn})``: with False, leaving the loop
        early leaves the stream alive (errors still destroy it)."""
        from .async_iterator import iterate

        return iterate(self, destroy_on_return)

    # --- properties ---------------------------------------------------------------------------

    @property
    def readable(self) -> bool:
        r = self._r
        return (
            r is not None
            and r.enabled
            and self._life is _ALIVE
            and not self._error_emitted
            and r.phase is not _END_EMITTED
        )

    @property
    def readable_ended(self) -> bool:
        return self._r is not None and self._r.phase is _END_EMITTED

    @property
    def readable_length(self) -> int:
        return self._r.length

    @property
    def readable_flowing(self) -> bool | None:
        return self._r.flowing

    @readable_flowing.setter
    def readable_flowing(self, value: bool | None) -> None:
        self._r.flowing = value

    @property
    def readable_high_water_mark(self) -> int:
        return self._r.high_water_mark

    @property
    def readable_encoding(self) -> str | None:
        return self._r.encoding

    @property
    def readable_object_mode(self) -> bool:
        return self._r.object_mode

    @property
    def readable_did_read(self) -> bool:
        return self._r.data_emitted

    @property
    def readable_aborted(self) -> bool:
        r = self._r
        return (
            r.enabled
            and self._broken()
            and r.phase is not _END_EMITTED
        )

