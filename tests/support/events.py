"""Waiting for events, always with a bound.

A test never sleeps for a fixed time: it awaits an event (``event`` + ``wait``), or, for
a state no event announces, polls a predicate with a deadline (``until``).  Every wait
fails with an ``AssertionError`` naming what it waited for, after ``EVENT_TIMEOUT``
seconds unless told otherwise: a hang is a failure with a message, not a killed run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from nodetls.node.events import EventEmitter

EVENT_TIMEOUT = 10.0


def event(emitter: EventEmitter, name: str) -> asyncio.Future[tuple[Any, ...]]:
    """A future resolved with the arguments of the next ``name`` event of ``emitter``."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def listener(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    emitter.once(name, listener)
    return future


async def wait(awaitable: Awaitable[Any], what: str = "event",
               timeout: float = EVENT_TIMEOUT) -> Any:
    """``await awaitable``, failing the test after ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def until(predicate: Callable[[], bool], what: str,
                timeout: float = EVENT_TIMEOUT) -> None:
    """Poll a condition (for states no event announces), bounded by ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.001)


async def collect(sock: EventEmitter) -> bytes:
    """All data until 'end' (or 'close')."""
    chunks: list[bytes] = []
    sock.on("data", chunks.append)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finished(*_: Any) -> None:
        if not done.done():
            done.set_result(None)

    for name in ("end", "close"):
        sock.once(name, finished)
    await wait(done, "'end'")
    return b"".join(chunks)
