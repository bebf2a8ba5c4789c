"""The state a stream carries, and its three small lifecycle machines.

Theory of operation
-------------------
Node keeps a stream's state as ~40 bit flags.  Most of them are really three independent,
forward-only lifecycles, which we write down as enums; every move goes through ``advance``,
which refuses to go backwards or stay put:

``Life`` (whole stream)::

    ALIVE --destroy()--> DESTROYED --_destroy cb--> CLOSED --'close' tick--> CLOSE_EMITTED

``ReadPhase`` (readable side)::

    OPEN --push(None)--> ENDED --buffer drained, 'end' emitted--> END_EMITTED

``WritePhase`` (writable side)::

    OPEN --end()--> ENDING --_final() called--> FINALIZING --cb--> PREFINISHED --> FINISHED
    (ENDING goes straight to PREFINISHED when the stream has no ``_final``; 'finish' is
    emitted on entering FINISHED)

A side constructed disabled (``Duplex(readable=False)``) starts in its final phase, as in
Node.  What remains as plain booleans are the *scheduling* bits of the read and write
algorithms (``reading``, ``need_readable``, ``sync``, ``writing``, ...): each is a latch used by
one step of Node's algorithm, not a lifecycle, and naming them one by one keeps the port
checkable line by line against ``lib/internal/streams``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .string_decoder import StringDecoder
    from .writable import Writable

__all__ = [
    "DEFAULT_HIGH_WATER_MARK",
    "DEFAULT_OBJECT_HIGH_WATER_MARK",
    "AfterWriteInfo",
    "Life",
    "ReadPhase",
    "ReadableState",
    "WritableState",
    "WritePhase",
    "advance",
]

DEFAULT_HIGH_WATER_MARK = 16 * 1024  # Node v20's getDefaultHighWaterMark(false)
DEFAULT_OBJECT_HIGH_WATER_MARK = 16

WriteCallback = Callable[[BaseException | None], None]


class Life(IntEnum):
    ALIVE = 0
    DESTROYED = 1
    CLOSED = 2
    CLOSE_EMITTED = 3


class ReadPhase(IntEnum):
    OPEN = 0
    ENDED = 1
    END_EMITTED = 2


class WritePhase(IntEnum):
    OPEN = 0
    ENDING = 1
    FINALIZING = 2
    PREFINISHED = 3
    FINISHED = 4


P = TypeVar("P", Life, ReadPhase, WritePhase)


def advance(current: P, to: P) -> P:
    """The only way a lifecycle moves: strictly forward."""
    if to <= current:
        raise AssertionError(f"illegal stream transition {current.name} -> {to.name}")
    return to


def _hwm(value: int | None, object_mode: bool) -> int:
    if value is None:
        return DEFAULT_OBJECT_HIGH_WATER_MARK if object_mode else DEFAULT_HIGH_WATER_MARK
    from .validators import validate_integer

    validate_integer(value, "options.highWaterMark", 0)
    return value


class ReadableState:
    """Node's ``ReadableState``: buffer, flow mode and read-algorithm latches."""

    __slots__ = (
        "await_drain_writers",
        "buffer",
        "data_emitted",
        "data_listening",
        "decoder",
        "emitted_readable",
        "enabled",
        "encoding",
        "flowing",
        "high_water_mark",
        "length",
        "multi_await_drain",
        "need_readable",
        "object_mode",
        "paused",
        "phase",
        "pipes",
        "readable_listening",
        "reading",
        "reading_more",
        "resume_scheduled",
        "sync",
    )

    def __init__(self, high_water_mark: int | None, object_mode: bool, enabled: bool) -> None:
        self.object_mode = object_mode
        self.high_water_mark = _hwm(high_water_mark, object_mode)
        # Made on the first buffered chunk: an empty deque costs ~600 bytes, and most
        # streams (flowing, or idle) never buffer anything.
        self.buffer: deque[Any] | None = None
        self.length = 0
        self.pipes: list[Writable] = []
        self.phase = ReadPhase.OPEN if enabled else ReadPhase.END_EMITTED
        self.enabled = enabled
        # flowing: None = no consumer yet, True = 'data' mode, False = paused/'readable' mode.
        self.flowing: bool | None = None
        self.paused: bool | None = None  # Node's kHasPaused/kPaused pair, for is_paused()
        # Node starts with sync set: "anything before the first read() is synchronous".
        self.sync = True
        self.reading = False
        self.need_readable = False
        self.emitted_readable = False
        self.readable_listening = False
        self.resume_scheduled = False
        self.data_emitted = False
        self.data_listening = False
        self.reading_more = False
        self.multi_await_drain = False
        self.await_drain_writers: Writable | set[Writable] | None = None
        self.decoder: StringDecoder | None = None
        self.encoding: str | None = None

    @property
    def ended(self) -> bool:
        return self.phase is not ReadPhase.OPEN

    def chunks(self) -> deque[Any]:
        """The buffer, made on first use."""
        buf = self.buffer
        if buf is None:
            buf = self.buffer = deque()
        return buf


class AfterWriteInfo:
    """Pending synchronous write completions that share one callback."""

    __slots__ = ("cb", "count")

    def __init__(self, cb: WriteCallback) -> None:
        self.cb = cb
        self.count = 1


class WritableState:
    """Node's ``WritableState``: the write queue, corking, and write-algorithm latches."""

    __slots__ = (
        "buffer_processing",
        "buffered",
        "corked",
        "default_encoding",
        "enabled",
        "expect_write_cb",
        "high_water_mark",
        "length",
        "need_drain",
        "object_mode",
        "on_finished",
        "pending_cb",
        "phase",
        "sync",
        "tick_info",
        "write_cb",
        "write_len",
        "writing",
    )

    def __init__(self, high_water_mark: int | None, object_mode: bool, enabled: bool) -> None:
        self.object_mode = object_mode
        self.high_water_mark = _hwm(high_water_mark, object_mode)
        self.phase = WritePhase.OPEN if enabled else WritePhase.FINISHED
        self.enabled = enabled
        self.default_encoding = "utf8"
        self.length = 0  # bytes (or objects) accepted by write() and not yet completed
        self.buffered: deque[tuple[Any, WriteCallback]] | None = None  # made on first use
        self.buffer_processing = False
        self.corked = 0
        self.writing = False
        self.expect_write_cb = False
        self.sync = True
        self.write_cb: WriteCallback | None = None
        self.write_len = 0
        self.pending_cb = 0  # writes (and the finish step) whose callbacks are outstanding
        self.need_drain = False
        # Node's afterWriteTickInfo: synchronous completions sharing one callback are batched
        # into a single tick that calls it ``count`` times.
        self.tick_info: AfterWriteInfo | None = None
        self.on_finished: list[WriteCallback] | None = None  # end() callbacks, made on first use

    @property
    def ending(self) -> bool:
        return self.phase is not WritePhase.OPEN

    def queue(self) -> deque[tuple[Any, WriteCallback]]:
        """The queue of buffered writes, made on first use (see ``ReadableState.buffer``)."""
        buf = self.buffered
        if buf is None:
            buf = self.buffered = deque()
        return buf
