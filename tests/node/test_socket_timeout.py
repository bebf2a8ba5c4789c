"""``IdleTimer`` (sockets' ``set_timeout`` and TLS's handshake timeout) on a controllable
clock: timers of one duration share one list, and each still fires exactly when its
socket has been idle for the duration, in deadline order, never when cleared."""

from __future__ import annotations

import asyncio

from nodetls.node.socket_timeout import IdleTimer
from tests.support.clock import Clock, run_clocked


def test_timers_of_one_duration_fire_in_deadline_order() -> None:
    async def main(clock: Clock) -> None:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        start = loop.time()

        def timer(name: str) -> IdleTimer:
            return IdleTimer(lambda: fired.append((name, round(loop.time() - start, 3))))

        busy, idle, cleared, other = timer("busy"), timer("idle"), timer("cleared"), timer("30")
        busy.set(20)
        await clock.advance(0.005)
        idle.set(20)
        cleared.set(20)
        other.set(30)
        await clock.advance(0.005)
        busy.touch()  # armed first, but active since: due at 0.030
        cleared.set(0)
        await clock.advance(0.014)
        assert fired == []
        await clock.advance(0.001)
        assert fired == [("idle", 0.025)]
        await clock.advance(0.005)
        assert fired == [("idle", 0.025), ("busy", 0.030)]
        await clock.advance(0.005)
        assert fired == [("idle", 0.025), ("busy", 0.030), ("30", 0.035)]
        await clock.advance(0.1)
        assert [name for name, _ in fired] == ["idle", "busy", "30"], "each fires once"
        idle.touch()  # the next activity arms it again
        await clock.advance(0.02)
        assert fired[-1] == ("idle", 0.155)

    run_clocked(main)


def test_a_closed_timer_never_fires_and_a_new_duration_replaces_the_old() -> None:
    async def main(clock: Clock) -> None:
        fired: list[str] = []
        closed = IdleTimer(lambda: fired.append("closed"))
        moved = IdleTimer(lambda: fired.append("moved"))
        closed.set(10)
        moved.set(10)
        closed.close()
        moved.set(40)
        await clock.advance(0.03)
        assert fired == []
        assert closed.msecs == 10 and moved.msecs == 40
        await clock.advance(0.01)
        assert fired == ["moved"]

    run_clocked(main)
