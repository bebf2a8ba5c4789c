"""``duplex_pair()``: two in-memory Duplex ends wired to each other (Node's ``DuplexPair``).

What one end writes, the other reads.  A write completes once the peer has consumed the chunk
(immediately if the peer's buffer was empty, else when the peer next asks for data via
``_read``), so backpressure crosses the pair exactly as through a socket.  ``end()`` pushes EOF
to the peer and ``'finish'`` follows the peer's ``'end'``.

Two additions to Node's internal helper, so that a pair behaves like a connected socket
pair: destroying one end delivers EOF to the other and completes the writes in flight in
both directions (so neither end waits forever on a reader that is gone); and an end whose
peer closes without reaching ``'end'`` still finishes.
"""

from __future__ import annotations

from typing import Any

from .duplex import Duplex
from .scheduling import next_tick
from .stream_state import ReadPhase
from .writable import WriteCallback

__all__ = ["DuplexSocket", "duplex_pair"]


class DuplexSocket(Duplex):
    """One end of a ``duplex_pair``."""

    __slots__ = ("_other", "_pending")

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._pending: WriteCallback | None = None  # the peer's write waiting for our _read
        self._other: DuplexSocket | None = None

    def _peer(self) -> DuplexSocket:
        other = self._other
        assert other is not None, "DuplexSocket used outside duplex_pair()"
        return other

    def _read(self, size: int) -> None:
        self._release_pending()

    def _release_pending(self) -> None:
        callback = self._pending
        if callback is not None:
            self._pending = None
            callback(None)

    def _write(self, chunk: Any, cb: WriteCallback) -> None:
        other = self._peer()
        other.push(chunk)
        if not other._rs.length:
            next_tick(cb, None)
        else:
            other._pending = cb

    def _final(self, cb: WriteCallback) -> None:
        other = self._peer()
        done = _Once(cb)
        other.once("end", done)
        other.once("close", done)
        other.push(None)

    def _destroy(self, err: BaseException | None, cb: WriteCallback) -> None:
        other = self._other
        if other is not None:
            if not other.destroyed and other._rs.phase is ReadPhase.OPEN:
                other.push(None)  # like a socket peer seeing FIN
            other._release_pending()  # our own write in flight: it will never be read now
        self._release_pending()  # the peer's write waiting for us to read
        cb(err)


class _Once:
    __slots__ = ("cb",)

    def __init__(self, cb: WriteCallback) -> None:
        self.cb: WriteCallback | None = cb

    def __call__(self, *_args: Any) -> None:
        cb = self.cb
        if cb is not None:
            self.cb = None
            cb(None)


def duplex_pair(**options: Any) -> tuple[DuplexSocket, DuplexSocket]:
    """Two connected in-memory Duplex ends; ``options`` go to both constructors."""
    a = DuplexSocket(**options)
    b = DuplexSocket(**options)
    a._other = b
    b._other = a
    return a, b
