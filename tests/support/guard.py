"""The uncaught-exception guard.

Node reports an exception escaping a callback (a tick, an immediate, a timer, an event
listener) as ``'uncaughtException'``; nodetls hands it to
``scheduling.set_uncaught_exception_hook``.  ``guarded()`` collects them for the length of
a test and fails it if any are left: ``tests/conftest.py`` makes that an autouse fixture
(``uncaught``) in every tier.  A test that provokes one on purpose asks for the fixture,
asserts on the list and clears it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
