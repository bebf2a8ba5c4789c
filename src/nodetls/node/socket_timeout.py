"""``IdleTimer``: the idle timeout behind ``socket.set_timeout(ms)``.

Node refreshes a socket's timer on every read, write and connect.  Re-scheduling an asyncio
timer per chunk would cost a heap operation per chunk, so activity only records the time
(``touch``); the single pending timer, when it fires, re-arms itself for the remainder if
there was activity meanwhile, and otherwise reports the timeout.  As in Node the timeout
fires once per idle period: the next activity arms it again.

The callback is the socket's bound method, so timer and socket form a reference cycle;
``close()`` (when the socket is destroyed) drops the callback, so that a closed socket
is freed by reference counting instead of waiting for the cycle collector.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

from .errors import ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
from .scheduling import TIMEOUT_MAX, enter_scope, exit_scope, report_uncaught, tick_queue
from .validators import is_number

__all__ = ["IdleTimer"]


class IdleTimer:
    __slots__ = ("_callback", "_handle", "_last", "_loop", "_msecs")

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback: Callable[[], None] | None = callback
        self._msecs: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last = 0.0

    @property
    def msecs(self) -> float | None:
        return self._msecs

    def set(self, msecs: float) -> None:
        """Start (``msecs`` > 0) or stop (0) the idle timeout."""
        if not is_number(msecs):
            raise ERR_INVALID_ARG_TYPE("msecs", "number", msecs)
        if not (math.isfinite(msecs) and msecs >= 0):
            raise ERR_OUT_OF_RANGE("msecs", "a non-negative finite number", msecs)
        if msecs > TIMEOUT_MAX:
            msecs = 1
        self.clear()
        self._msecs = msecs
        if msecs:
            self._loop = asyncio.get_running_loop()
            self.touch()

    def touch(self) -> None:
        """Record activity (cheap when no timeout is set)."""
        if not self._msecs:
            return
        loop = self._loop
        assert loop is not None
        self._last = loop.time()
        if self._handle is None and self._callback is not None:
            self._handle = loop.call_at(self._last + self._msecs / 1000.0, self._fire)

    def clear(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        """Stop for good (the socket is destroyed); ``msecs`` keeps its value."""
        self.clear()
        self._callback = None

    def _fire(self) -> None:
        self._handle = None
        loop, callback = self._loop, self._callback
        if not self._msecs or loop is None or callback is None:
            return
        deadline = self._last + self._msecs / 1000.0
        if loop.time() < deadline:
            self._handle = loop.call_at(deadline, self._fire)
            return
        ticks = tick_queue(loop)
        enter_scope(ticks)
        try:
            callback()
        except Exception as exc:
            report_uncaught(exc, loop)
        finally:
            exit_scope(ticks)
