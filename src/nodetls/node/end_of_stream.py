"""``finished(stream, callback)``: Node's ``stream.finished`` (``end-of-stream.js``).

Calls ``callback(None)`` once the stream is done in the directions asked for (readable:
``'end'``; writable: ``'finish'``), ``callback(err)`` on ``'error'``, and
``callback(ERR_STREAM_PREMATURE_CLOSE)`` on a ``'close'`` that comes first.  When the stream
will emit ``'close'`` anyway (auto-destroying, emit_close, and all its sides are watched) the
callback waits for ``'close'``, so that resources are released when it runs.  Returns a
function that removes the listeners.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import ERR_STREAM_PREMATURE_CLOSE
from .scheduling import next_tick
from .stream_base import Stream
from .stream_state import Life, ReadPhase, WritePhase

__all__ = ["finished"]

FinishedCallback = Callable[[BaseException | None], None]


def _readable_finished(stream: Stream) -> bool:
    r = stream._r
    return r is not None and (
        r.phase is ReadPhase.END_EMITTED or (r.phase is ReadPhase.ENDED and r.length == 0)
    )


def _writable_finished(stream: Stream) -> bool:
    w = stream._w
    return w is not None and (
        w.phase is WritePhase.FINISHED or (w.phase is not WritePhase.OPEN and w.length == 0)
    )


class _Finished:
    __slots__ = (
        "callback",
        "readable",
        "readable_done",
        "stream",
        "will_emit_close",
        "writable",
        "writable_done",
    )

    def __init__(
        self, stream: Stream, callback: FinishedCallback, readable: bool, writable: bool
    ) -> None:
        self.stream = stream
        self.callback: FinishedCallback | None = callback
        self.readable = readable
        self.writable = writable
        self.readable_done = _readable_finished(stream)
        self.writable_done = _writable_finished(stream)
        has_r = stream._r is not None and stream._r.enabled
        has_w = stream._w is not None and stream._w.enabled
        self.will_emit_close = (
            stream._auto_destroy
            and stream._emit_close
            and stream._life < Life.CLOSED
            and has_r == readable
            and has_w == writable
        )

    def call(self, err: BaseException | None = None) -> None:
        callback = self.callback
        if callback is not None:
            self.callback = None
            callback(err)

    def on_finish(self, *_args: object) -> None:
        self.writable_done = True
        if self.stream.destroyed:
            self.will_emit_close = False
        if self.will_emit_close and (not _is_readable(self.stream) or self.readable):
            return
        if not self.readable or self.readable_done:
            self.call()

    def on_end(self, *_args: object) -> None:
        self.readable_done = True
        if self.stream.destroyed:
            self.will_emit_close = False
        if self.will_emit_close and (not _is_writable(self.stream) or self.writable):
            return
        if not self.writable or self.writable_done:
            self.call()

    def on_error(self, err: BaseException) -> None:
        self.call(err)

    def on_close(self, *_args: object) -> None:
        stream = self.stream
        if stream.errored is not None:
            self.call(stream.errored)
        elif self._premature(stream):
            self.call(ERR_STREAM_PREMATURE_CLOSE())
        else:
            self.call()

    def _premature(self, stream: Stream) -> bool:
        if self.readable and not self.readable_done and not _readable_finished(stream):
            return True
        return self.writable and not self.writable_done and not _writable_finished(stream)

    def attach(self, error: bool) -> None:
        stream = self.stream
        stream.on("end", self.on_end)
        stream.on("finish", self.on_finish)
        if error:
            stream.on("error", self.on_error)
        stream.on("close", self.on_close)
        if stream._life >= Life.CLOSED:
            next_tick(self.on_close)
        elif stream._error_emitted:
            if not self.will_emit_close:
                next_tick(self.on_close)
        elif self._already_done(
            self.readable, self.writable_done, _is_readable, _is_writable
        ) or self._already_done(self.writable, self.readable_done, _is_writable, _is_readable):
            next_tick(self.on_close)

    def _already_done(
        self,
        watched: bool,
        other_done: bool,
        watched_open: Callable[[Stream], bool | None],
        other_open: Callable[[Stream], bool | None],
    ) -> bool:
        stream = self.stream
        return (
            not watched
            and (not self.will_emit_close or bool(watched_open(stream)))
            and (other_done or other_open(stream) is False)
        )

    def cleanup(self) -> None:
        stream = self.stream
        stream.remove_listener("end", self.on_end)
        stream.remove_listener("finish", self.on_finish)
        stream.remove_listener("error", self.on_error)
        stream.remove_listener("close", self.on_close)


def _is_readable(stream: Stream) -> bool | None:
    """Node's ``isReadable``: None for a stream without a readable side."""
    if stream._r is None:
        return None
    return bool(getattr(stream, "readable", False)) and not _readable_finished(stream)


def _is_writable(stream: Stream) -> bool | None:
    if stream._w is None:
        return None
    return bool(getattr(stream, "writable", False)) and not _writable_finished(stream)


def finished(
    stream: Stream,
    callback: FinishedCallback,
    *,
    readable: bool | None = None,
    writable: bool | None = None,
    error: bool = True,
) -> Callable[[], None]:
    """Call ``callback`` once ``stream`` has ended/finished/failed; returns a cleanup."""
    if readable is None:
        readable = stream._r is not None and stream._r.enabled
    if writable is None:
        writable = stream._w is not None and stream._w.enabled
    watcher = _Finished(stream, callback, readable, writable)
    watcher.attach(error)
    return watcher.cleanup
