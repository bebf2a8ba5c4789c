"""``IdleTimer``: the idle timeout behind ``socket.set_timeout(ms)``.

Node refreshes a socket's timer on every read, write and connect.  Re-scheduling an asyncio
timer per chunk would cost a heap operation per chunk, so activity only records the time
(``touch``); the single pending timer, when it fires, re-arms itself for the remainder if
there was activity meanwhile, and otherwise reports the timeout.  As in Node the timeout
fires once per idle period: the next activity arms it again.

Arming is what every connection pays (a TLS server arms its handshake timeout for each
one and clears it when the handshake is done), so a timer is first armed in its loop's
``_TimerList`` for its duration, as Node keeps one list per duration under one libuv
timer: a dict insert and a dict pop instead of an asyncio timer created, pushed on the
loop's heap and cancelled.  Timers of one duration expire in the order they were armed,
so the list needs only the first one's deadline.  A timer that saw activity meanwhile
is re-armed for the remainder on its own asyncio timer (``_fire``), which is exact.

The callback is the socket's bound method, so timer and socket form a reference cycle;
``close()`` (when the socket is destroyed) drops the callback, so that a closed socket
is freed by reference counting instead of waiting for the cycle collector.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections.abc import Callable

from .errors import ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE
from .scheduling import TIMEOUT_MAX, enter_scope, exit_scope, report_uncaught, tick_queue
from .validators import is_number

__all__ = ["IdleTimer"]


class _TimerList:
    """The armed timers of one duration on one loop, in arming order (so in deadline
    order), under one asyncio timer for the first of them."""

    __slots__ = ("__weakref__", "due", "handle", "loop_ref", "seconds", "timers")

    def __init__(self, loop: asyncio.AbstractEventLoop, msecs: float) -> None:
        self.loop_ref = weakref.ref(loop)
        self.seconds = msecs / 1000.0
        self.timers: dict[IdleTimer, float] = {}  # timer -> when it was armed
        # The asyncio timer and its deadline, kept here: uvloop's call_at returns a plain
        # Handle (no ``when()``) for a deadline already past.
        self.handle: asyncio.Handle | None = None
        self.due = 0.0

    def _arm(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        self.due = due
        self.handle = loop.call_at(due, self._expire)

    def add(self, timer: IdleTimer, loop: asyncio.AbstractEventLoop, now: float) -> None:
        self.timers[timer] = now
        if self.handle is None:
            self._arm(loop, now + self.seconds)

    def _expire(self) -> None:
        self.handle = None
        loop = self.loop_ref()
        timers = self.timers
        if loop is None:
            return
        # The loop runs a timer a clock tick early at most: what it ran is due.
        now = max(loop.time(), self.due)
        while timers:
            timer = next(iter(timers))
            due = timers[timer] + self.seconds
            if due > now:
                self._arm(loop, due)
                return
            del timers[timer]
            timer._list = None
            timer._fire(now)


# loop -> msecs -> its list; the last loop's dict is kept at hand (one loop per thread).
_lists: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _TimerList]] = (
    weakref.WeakKeyDictionary()
)
_last_lists: tuple[weakref.ref[asyncio.AbstractEventLoop], dict[float, _TimerList]] | None = None


def _timer_list(loop: asyncio.AbstractEventLoop, msecs: float) -> _TimerList:
    global _last_lists
    last = _last_lists
    if last is not None and last[0]() is loop:
        lists = last[1]
    else:
        lists = _lists.setdefault(loop, {})
        _last_lists = (weakref.ref(loop), lists)
    timer_list = lists.get(msecs)
    if timer_list is None:
        timer_list = lists[msecs] = _TimerList(loop, msecs)
    return timer_list


class IdleTimer:
    __slots__ = ("_callback", "_due", "_handle", "_last", "_list", "_loop", "msecs")

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback: Callable[[], None] | None = callback
        # Read-only outside (``set`` changes it); a plain attribute, not a property, so
        # that a socket's per-chunk ``if timer.msecs: timer.touch()`` makes no call.
        self.msecs: float | None = None
        self._handle: asyncio.Handle | None = None  # re-armed after activity
        self._due = 0.0  # when ``_handle`` was due
        self._list: _TimerList | None = None  # armed in its duration's list
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last = 0.0

    def set(self, msecs: float) -> None:
        """Start (``msecs`` > 0) or stop (0) the idle timeout."""
        if not is_number(msecs):
            raise ERR_INVALID_ARG_TYPE("msecs", "number", msecs)
        if not (math.isfinite(msecs) and msecs >= 0):
            raise ERR_OUT_OF_RANGE("msecs", "a non-negative finite number", msecs)
        if msecs > TIMEOUT_MAX:
            msecs = 1
        self.clear()
        self.msecs = msecs
        if msecs:
            self._loop = asyncio.get_running_loop()
            self.touch()

    def touch(self) -> None:
        """Record activity (cheap when no timeout is set)."""
        if not self.msecs:
            return
        loop = self._loop
        assert loop is not None
        self._last = now = loop.time()
        if self._handle is None and self._list is None and self._callback is not None:
            self._list = timer_list = _timer_list(loop, self.msecs)
            timer_list.add(self, loop, now)

    def clear(self) -> None:
        if self._list is not None:
            self._list.timers.pop(self, None)
            self._list = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        """Stop for good (the socket is destroyed); ``msecs`` keeps its value."""
        self.clear()
        self._callback = None

    def _fire(self, now: float | None = None) -> None:
        """Time is up (at ``now``, when its list says so): unless there was activity
        meanwhile, in which case it waits for the remainder."""
        own_timer, self._handle = self._handle is not None, None
        loop, callback = self._loop, self._callback
        if not self.msecs or loop is None or callback is None:
            return
        deadline = self._last + self.msecs / 1000.0
        if now is None:  # its own timer ran (a clock tick early at most: it is due)
            now = max(loop.time(), self._due) if own_timer else loop.time()
        if now < deadline:
            self._due = deadline
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
