"""The uncaught-exception guard.

Node reports an exception escaping a callback (a tick, an immediate, a timer, an event
listener) as ``'uncaughtException'``; nodetls hands it to
``scheduling.set_uncaught_exception_hook``.  ``guarded()`` collects them for the length of
a test and fails it if any are left: ``tests/conftest.py`` makes that an autouse fixture
(``uncaught``) in every tier.  A test that provokes one on purpose asks for the fixture,
asserts on the list and clears it.

``loop_errors()`` is for tests of the path an application sees: for the block, the hook
is lifted, so nodetls hands such exceptions to the loop's exception handler, which
collects every context it receives; the test asserts on exactly that list.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from nodetls.node import scheduling


@contextlib.contextmanager
def guarded() -> Iterator[list[BaseException]]:
    caught: list[BaseException] = []
    previous = scheduling.set_uncaught_exception_hook(caught.append)
    try:
        yield caught
    finally:
        scheduling.set_uncaught_exception_hook(previous)
    assert not caught, f"uncaught exceptions in callbacks: {caught!r}"


@contextlib.contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """Everything handed to the running loop's exception handler meanwhile."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    hook = scheduling.set_uncaught_exception_hook(None)
    try:
        yield seen
    finally:
        scheduling.set_uncaught_exception_hook(hook)
        loop.set_exception_handler(previous)
