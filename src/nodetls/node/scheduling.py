"""Node's task queues on the running asyncio loop: ``next_tick``, ``set_immediate``, timers.

Theory of operation
-------------------
Node runs three kinds of deferred work, and stream semantics depend on their order:

* ``process.nextTick`` callbacks run as soon as the current callback returns, all of them,
  including ticks queued by ticks, before any other I/O or timer callback.
* ``setImmediate`` callbacks run on a later turn of the loop (after pending I/O).
* timers run after their delay.

asyncio has one ready queue, so each loop gets one ``TickQueue``: a deque of pending ticks.
The queue is drained

1. at the end of every *callback scope*: I/O entry points (the protocol callbacks of our
   handles, immediates, timers) call ``enter_scope``/``exit_scope`` around their work, so the
   ticks they queue run before the loop looks at anything else, exactly as Node drains ticks
   after each native callback; and
2. otherwise (ticks queued from plain coroutine code) by a single ``loop.call_soon`` that is
   scheduled when the queue goes from empty to non-empty.

``set_immediate`` is ``loop.call_soon`` with the pending ticks drained first, so "every tick
queued before an immediate runs before it" holds as in Node.  Ordering across different
connections inside one loop iteration is asyncio's FIFO, which only approximates libuv's
phases; nothing in Node's documented contract depends on that.

An exception escaping a tick/immediate/timer would crash a Node process ('uncaughtException');
here it goes to the loop's exception handler (or a hook installed with
``set_uncaught_exception_hook``) and the queue carries on.  Node's ``ref``/``unref`` have no
asyncio equivalent (a loop does not exit by itself when idle), so they only record the flag.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = [
    "Immediate",
    "TickQueue",
    "Timeout",
    "call_in_scope",
    "clear_immediate",
    "clear_interval",
    "clear_timeout",
    "enter_scope",
    "exit_scope",
    "next_tick",
    "report_uncaught",
    "run_ticks",
    "set_immediate",
    "set_interval",
    "set_timeout",
    "set_uncaught_exception_hook",
    "tick_queue",
]

Callback = Callable[..., object]

TIMEOUT_MAX = 2**31 - 1

_uncaught_hook: Callable[[BaseException], None] | None = None


def set_uncaught_exception_hook(
    hook: Callable[[BaseException], None] | None,
) -> Callable[[BaseException], None] | None:
    """Install what receives exceptions escaping callbacks; returns the previous hook."""
    global _uncaught_hook
    previous, _uncaught_hook = _uncaught_hook, hook
    return previous


def report_uncaught(exc: BaseException, loop: asyncio.AbstractEventLoop | None = None, *,
                    context: dict[str, Any] | None = None) -> None:
    """Node's 'uncaughtException': hand ``exc`` to the hook or the loop's handler
    (``context`` adds to, or replaces the ``message`` of, the handler's context)."""
    if _uncaught_hook is not None:
        _uncaught_hook(exc)
        return
    if loop is None:
        loop = asyncio.get_running_loop()
    loop.call_exception_handler(
        {"message": "Unhandled exception in a nodetls callback", **(context or {}),
         "exception": exc}
    )


class TickQueue:
    """The ``process.nextTick`` queue of one event loop."""

    __slots__ = ("__weakref__", "depth", "items", "loop_ref", "running", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weak: ``_queues`` maps loops weakly to their queue, and a queue holding its loop
        # would keep every loop ever used alive (a leak found by the fuzz runs, which
        # use a fresh loop per input).
        self.loop_ref = weakref.ref(loop)
        self.items: deque[tuple[Callback, tuple[Any, ...]]] = deque()
        self.scheduled = False  # a call_soon(run) is pending
        self.running = False
        self.depth = 0  # nesting of callback scopes; ticks drain when it drops to 0

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self.loop_ref()
        if loop is None:
            raise RuntimeError("the event loop of this tick queue is gone")
        return loop

    def _scheduled_run(self) -> None:
        self.scheduled = False
        if not self.running:
            self.run()

    def run(self) -> None:
        """Drain every pending tick, including ticks queued while draining."""
        items = self.items
        self.running = True
        try:
            while items:
                callback, args = items.popleft()
                try:
                    callback(*args)
                except Exception as exc:
                    report_uncaught(exc, self.loop)
        finally:
            self.running = False
            if items and not self.scheduled:  # only after a BaseException
                self.scheduled = True
                self.loop.call_soon(self._scheduled_run)


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TickQueue] = (
    weakref.WeakKeyDictionary()
)
_last: TickQueue | None = None


def tick_queue(loop: asyncio.AbstractEventLoop | None = None) -> TickQueue:
    """The tick queue of ``loop`` (default: the running loop)."""
    global _last
    if loop is None:
        loop = asyncio.get_running_loop()
    last = _last
    if last is not None and last.loop_ref() is loop:
        return last
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = TickQueue(loop)
    _last = queue
    return queue


def next_tick(callback: Callback, *args: Any) -> None:
    """``process.nextTick(callback, ...args)``."""
    queue = _last  # tick_queue()'s fast path, inlined: several ticks per connection
    if queue is None or queue.loop_ref() is not asyncio.get_running_loop():
        queue = tick_queue()
    # Appended here, not by a TickQueue method: one tick per message read (maybe_read_more's).
    queue.items.append((callback, args))
    if not (queue.scheduled or queue.running or queue.depth):
        queue.scheduled = True
        queue.loop.call_soon(queue._scheduled_run)


def run_ticks() -> None:
    """Drain the running loop's tick queue now (no-op when already draining)."""
    queue = tick_queue()
    if queue.items and not queue.running:
        queue.run()


def enter_scope(queue: TickQueue) -> None:
    """Start a callback scope: ticks queued inside it run when the outermost scope exits."""
    queue.depth += 1


def exit_scope(queue: TickQueue) -> None:
    queue.depth -= 1
    if not queue.depth and queue.items and not queue.running:
        queue.run()


def call_in_scope(callback: Callback, *args: Any) -> None:
    """Run ``callback`` as a loop entry point: report its exception, then drain the ticks.

    For code that asyncio calls directly (tasks' continuations, protocol callbacks).
    """
    _run_scoped(tick_queue(), callback, args)


def _run_scoped(queue: TickQueue, callback: Callback, args: tuple[Any, ...]) -> None:
    queue.depth += 1
    try:
        if queue.items and not queue.running:
            queue.run()  # ticks queued before this callback was scheduled come first
        callback(*args)
    except Exception as exc:
        report_uncaught(exc, queue.loop)
    finally:
        exit_scope(queue)


class Immediate:
    """What ``set_immediate`` returns; ``clear_immediate`` cancels it."""

    __slots__ = ("_handle",)

    def __init__(self, handle: asyncio.Handle) -> None:
        self._handle = handle

    def cancel(self) -> None:
        self._handle.cancel()


def set_immediate(callback: Callback, *args: Any) -> Immediate:
    """``setImmediate(callback, ...args)``: run on a later loop turn, after pending ticks."""
    queue = tick_queue()
    return Immediate(queue.loop.call_soon(_run_scoped, queue, callback, args))


def clear_immediate(immediate: Immediate | None) -> None:
    if immediate is not None:
        immediate.cancel()


def _clamp_delay(delay_ms: float) -> float:
    if not 1 <= delay_ms <= TIMEOUT_MAX:  # Node: out of range (or NaN) means 1 ms
        return 1.0
    return float(delay_ms)


class Timeout:
    """Node's ``Timeout`` object: ``refresh()``, ``close()``, ``ref()``/``unref()``."""

    __slots__ = ("_args", "_callback", "_delay", "_handle", "_queue", "_ref", "_repeat")

    def __init__(
        self, callback: Callback, delay_ms: float, args: tuple[Any, ...], repeat: bool
    ) -> None:
        self._queue = tick_queue()
        self._callback = callback
        self._args = args
        self._delay = _clamp_delay(delay_ms)
        self._repeat = repeat
        self._ref = True
        self._handle: asyncio.TimerHandle | None = None
        self._schedule()

    def _schedule(self) -> None:
        self._handle = self._queue.loop.call_later(self._delay / 1000.0, self._fire)

    def _fire(self) -> None:
        self._handle = None
        if self._repeat:
            self._schedule()
        _run_scoped(self._queue, self._callback, self._args)

    def refresh(self) -> Timeout:
        """Restart the countdown with the same delay (even if it already fired)."""
        if self._handle is not None:
            self._handle.cancel()
        self._schedule()
        return self

    def close(self) -> Timeout:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        return self

    cancel = close

    @property
    def active(self) -> bool:
        return self._handle is not None

    def ref(self) -> Timeout:
        self._ref = True
        return self

    def unref(self) -> Timeout:
        self._ref = False
        return self

    def has_ref(self) -> bool:
        return self._ref


def set_timeout(callback: Callback, delay_ms: float = 1, *args: Any) -> Timeout:
    """``setTimeout(callback, delay, ...args)`` (milliseconds)."""
    return Timeout(callback, delay_ms, args, repeat=False)


def set_interval(callback: Callback, delay_ms: float = 1, *args: Any) -> Timeout:
    """``setInterval(callback, delay, ...args)`` (milliseconds)."""
    return Timeout(callback, delay_ms, args, repeat=True)


def clear_timeout(timeout: Timeout | None) -> None:
    if timeout is not None:
        timeout.close()


clear_interval = clear_timeout
