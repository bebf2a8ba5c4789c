"""``readable.pipe(dest)``: Node's pipe, as one small object per pipe.

Theory of operation
-------------------
The source is put in flowing mode; every ``'data'`` chunk is written to ``dest``.  When
``dest.write`` returns False the source is paused and ``dest`` recorded in the source's
``await_drain_writers``; ``dest``'s ``'drain'`` removes it again and resumes the source once
no destination is still waiting.  ``'end'`` on the source ends ``dest`` (unless ``end=False``).
An ``'error'``, ``'close'`` or ``'finish'`` on ``dest`` unpipes it; ``dest``'s error is still
re-emitted if the user has no listener of their own, as in Node (our listener is prepended
so it runs before theirs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .scheduling import next_tick
from .stream_state import ReadPhase

if TYPE_CHECKING:
    from .readable import Readable
    from .writable import Writable

__all__ = ["Pipe"]

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_END_EMITTED = ReadPhase.END_EMITTED


class Pipe:
    __slots__ = ("cleaned_up", "dest", "do_end", "drain_listening", "src")

    def __init__(self, src: Readable, dest: Writable, end: bool) -> None:
        self.src = src
        self.dest = dest
        self.do_end = end
        self.drain_listening = False
        self.cleaned_up = False

    def start(self) -> Writable:
        src, dest = self.src, self.dest
        r = src._r
        if len(r.pipes) == 1 and not r.multi_await_drain:
            r.multi_await_drain = True
            first = r.await_drain_writers
            r.await_drain_writers = set() if first is None or isinstance(first, set) else {first}
        r.pipes.append(dest)
        end_fn = self.on_end if self.do_end else self.unpipe
        if r.phase is _END_EMITTED:
            next_tick(end_fn)
        else:
            src.once("end", end_fn)
        dest.on("unpipe", self.on_unpipe)
        src.on("data", self.on_data)
        dest.prepend_listener("error", self.on_error)
        dest.once("close", self.on_close)
        dest.once("finish", self.on_finish)
        dest.emit("pipe", src)
        if dest.writable_need_drain:
            self.pause()
        elif not r.flowing:
            src.resume()
        return dest

    def on_data(self, chunk: Any) -> None:
        if self.dest.write(chunk) is False:
            self.pause()

    def pause(self) -> None:
        src, dest = self.src, self.dest
        r = src._r
        # After an unpipe during dest.write(), pausing would stall the source for good.
        if not self.cleaned_up:
            if len(r.pipes) == 1 and r.pipes[0] is dest:
                r.await_drain_writers = dest
                r.multi_await_drain = False
            elif len(r.pipes) > 1 and dest in r.pipes:
                writers = r.await_drain_writers
                if isinstance(writers, set):
                    writers.add(dest)
            src.pause()
        if not self.drain_listening:
            self.drain_listening = True
            dest.on("drain", self.on_drain)

    def on_drain(self) -> None:
        r = self.src._r
        writers = r.await_drain_writers
        if writers is self.dest:
            r.await_drain_writers = None
        elif r.multi_await_drain and isinstance(writers, set):
            writers.discard(self.dest)
        writers = r.await_drain_writers
        empty = writers is None or (isinstance(writers, set) and not writers)
        if empty and r.data_listening:
            self.src.resume()

    def on_error(self, err: BaseException) -> None:
        dest = self.dest
        self.unpipe()
        dest.remove_listener("error", self.on_error)
        if dest.listener_count("error") == 0:
            if not dest._error_emitted:
                dest._error_or_destroy(err)  # the user emitted 'error' by hand
            else:
                dest.emit("error", err)

    def on_close(self) -> None:
        self.dest.remove_listener("finish", self.on_finish)
        self.unpipe()

    def on_finish(self) -> None:
        self.dest.remove_listener("close", self.on_close)
        self.unpipe()

    def on_end(self) -> None:
        self.dest.end()

    def unpipe(self) -> None:
        self.src.unpipe(self.dest)

    def on_unpipe(self, readable: Readable, info: dict[str, bool]) -> None:
        if readable is self.src and info.get("has_unpiped") is False:
            info["has_unpiped"] = True
            self.cleanup()

    def cleanup(self) -> None:
        src, dest = self.src, self.dest
        dest.remove_listener("close", self.on_close)
        dest.remove_listener("finish", self.on_finish)
        if self.drain_listening:
            dest.remove_listener("drain", self.on_drain)
        dest.remove_listener("error", self.on_error)
        dest.remove_listener("unpipe", self.on_unpipe)
        src.remove_listener("end", self.on_end)
        src.remove_listener("end", self.unpipe)
        src.remove_listener("data", self.on_data)
        self.cleaned_up = True
        # If the source waits for a drain from this dest, it would never flow again.
        w = dest._w
        if (
            self.drain_listening
            and src._r.await_drain_writers is not None
            and (w is None or w.need_drain)
        ):
            self.on_drain()
