"""next_tick / set_immediate / timers: Node's ordering on the asyncio loop."""

from __future__ import annotations

import asyncio

from nodetls.node import (
    clear_immediate,
    clear_timeout,
    next_tick,
    set_immediate,
    set_interval,
    set_timeout,
)
from nodetls.node.scheduling import run_ticks
from tests.support.clock import Clock, run_clocked
from tests.support.events import until


async def test_ticks_run_before_immediates_and_in_order() -> None:
    order: list[str] = []
    set_immediate(order.append, "immediate 1")
    next_tick(order.append, "tick 1")

    def tick_that_queues() -> None:
        order.append("tick 2")
        next_tick(order.append, "tick 3 (queued by a tick)")
        set_immediate(order.append, "immediate 2")

    next_tick(tick_that_queues)
    asyncio.get_running_loop().call_soon(order.append, "call_soon")
    await until(lambda: len(order) == 6, "all callbacks")
    assert order[:3] == ["tick 1", "tick 2", "tick 3 (queued by a tick)"]
    assert order.index("immediate 1") < order.index("immediate 2")


async def test_ticks_queued_by_an_immediate_run_right_after_it() -> None:
    order: list[str] = []

    def first() -> None:
        order.append("immediate 1")
        next_tick(order.append, "tick from immediate 1")

    set_immediate(first)
    set_immediate(order.append, "immediate 2")
    await until(lambda: len(order) == 3, "all callbacks")
    assert order == ["immediate 1", "tick from immediate 1", "immediate 2"]


async def test_run_ticks_drains_now() -> None:
    order: list[str] = []
    next_tick(order.append, "tick")
    run_ticks()
    assert order == ["tick"]


async def test_exceptions_are_reported_and_the_queue_continues(
    uncaught: list[BaseException],
) -> None:
    order: list[str] = []

    def boom() -> None:
        raise RuntimeError("tick failed")

    next_tick(boom)
    next_tick(order.append, "after")
    await until(lambda: order == ["after"], "the next tick")
    assert [str(e) for e in uncaught] == ["tick failed"]
    uncaught.clear()


def test_timers() -> None:
    """On a controllable clock: each timer fires when time passes its delay, not before."""

    async def main(clock: Clock) -> None:
        loop = asyncio.get_running_loop()
        fired: list[str] = []
        start = loop.time()
        timeout = set_timeout(fired.append, 20, "timeout")
        cancelled = set_timeout(fired.append, 5, "cancelled")
        clear_timeout(cancelled)
        immediate = set_immediate(fired.append, "cleared immediate")
        clear_immediate(immediate)
        await clock.advance(0.019)
        assert fired == [] and timeout.active
        await clock.advance(0.001)
        assert fired == ["timeout"]
        assert loop.time() - start >= 0.019
        assert not timeout.active
        ticks: list[int] = []
        interval = set_interval(lambda: ticks.append(1), 5)
        for _ in range(3):
            await clock.advance(0.005)
        assert len(ticks) >= 3
        interval.close()
        count = len(ticks)
        await clock.advance(0.02)
        assert len(ticks) == count

    run_clocked(main)


def test_refresh_restarts_a_timer() -> None:
    async def main(clock: Clock) -> None:
        loop = asyncio.get_running_loop()
        fired: list[float] = []
        start = loop.time()
        timer = set_timeout(lambda: fired.append(loop.time() - start), 30)
        await clock.advance(0.02)
        timer.refresh()
        assert timer.unref().has_ref() is False and timer.ref().has_ref()
        await clock.advance(0.02)
        assert not fired, "refresh() restarted the 30 ms countdown"
        await clock.advance(0.01)
        assert fired, "the refreshed timer"
        assert fired[0] >= 0.049

    run_clocked(main)
