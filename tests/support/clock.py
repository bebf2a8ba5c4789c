"""A controllable clock for tests of timers: virtual time on a real asyncio loop.

``run_clocked(main)`` runs ``main(clock)`` on a ``ClockedLoop``: a selector loop whose
``time()`` is ``clock.now``, which stands still until the test calls
``await clock.advance(seconds)``.  Timers (``call_later``/``call_at``, hence nodetls's
``set_timeout`` and sockets' idle timeouts) fire exactly when the test moves time past
them, whatever the machine's load; real I/O (sockets on 127.0.0.1) still runs.  Only the
clock is virtual, so nothing in ``main`` may wait on a timeout (``wait_for``, ``sleep``)
without advancing it: the run is bounded in real time by a watchdog thread instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
REAL_TIMEOUT = 30.0
#: Loop turns after a jump: one to move the due timers to the ready queue, one to run
#: them, one for the ticks and immediates they schedule.
TURNS = 3


class Clock:
    def __init__(self) -> None:
        self.now = time.monotonic()

    async def advance(self, seconds: float) -> None:
        """Move time forward and let the loop run what came due."""
        self.now += seconds
        for _ in range(TURNS):
            await asyncio.sleep(0)


class ClockedLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def time(self) -> float:
        return self.clock.now


def run_clocked(main: Callable[[Clock], Coroutine[Any, Any, T]],
                timeout: float = REAL_TIMEOUT) -> T:
    """Run ``main(clock)`` on a ``ClockedLoop``; cancelled after ``timeout`` real seconds."""
    clock = Clock()
    with asyncio.Runner(loop_factory=lambda: ClockedLoop(clock)) as runner:
        loop = runner.get_loop()
        task = loop.create_task(main(clock))
        watchdog = threading.Timer(timeout, loop.call_soon_threadsafe, (task.cancel,))
        watchdog.start()
        try:
            return runner.run(_wait(task))
        finally:
            watchdog.cancel()


async def _wait(task: asyncio.Task[T]) -> T:
    try:
        return await task
    except asyncio.CancelledError:
        raise AssertionError("the clocked test ran out of real time") from None
