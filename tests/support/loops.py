"""Running a coroutine on a chosen event loop, bounded in time.

``run_on("asyncio" | "uvloop", main, timeout)`` runs ``main()`` on a fresh loop inside
``asyncio.wait_for``, so a hang fails with the awaiting task's traceback instead of a
killed process.  ``tests/conftest.py`` runs every ``async def`` test this way on the loop
``NODETLS_TEST_LOOP`` names; the ``nodetls.SSLContext`` tests call it with both loops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import uvloop

T = TypeVar("T")
TIMEOUT = 20.0


def run_on(loop_name: str, main: Callable[[], Awaitable[T]], timeout: float = TIMEOUT) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(main(), timeout)

    if loop_name == "uvloop":
        return uvloop.run(bounded())
    return asyncio.run(bounded())
