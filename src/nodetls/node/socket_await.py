"""``await socket`` and ``async with socket``: the ``AwaitableDuplex`` base of ``net.Socket``.

Theory of operation
-------------------
``await sock`` returns the socket once it is ready.  Two hooks, defined by the subclass,
say what ready means: ``_is_await_ready()`` (it already is: return at once) and
``_await_event`` (the event to wait for otherwise: ``'connect'`` for a ``net.Socket``).  A
socket that closes first fails the wait with its error (``ERR_SOCKET_CLOSED`` without one).
A cancelled wait (``task.cancel()``, ``asyncio.wait_for``) destroys the socket, so a
cancelled connect leaves no open socket behind; ``async with`` awaits the socket on entry
and destroys it on exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any, ClassVar, Self

from .duplex import Duplex
from .errors import ERR_SOCKET_CLOSED
from .events import wait_for_event

__all__ = ["AwaitableDuplex"]


class AwaitableDuplex(Duplex):
    """A Duplex that can be awaited until ready; subclasses define the two hooks."""

    __slots__ = ()

    _await_event: ClassVar[str]

    def _is_await_ready(self) -> bool:
        """True when ``await`` can return at once (hook; see ``_await_event``)."""
        raise NotImplementedError

    def __await__(self) -> Generator[Any, None, Self]:
        return self._wait_ready().__await__()

    async def _wait_ready(self) -> Self:
        if not self._is_await_ready():
            if self.destroyed:
                raise self.errored or ERR_SOCKET_CLOSED()
            try:
                await wait_for_event(
                    self, self._await_event, close_error=lambda: self.errored or ERR_SOCKET_CLOSED()
                )
            except asyncio.CancelledError:
                self.destroy()  # a cancelled connect leaves no open socket behind
                raise
        return self

    async def __aenter__(self) -> Self:
        """``async with net.connect(...) as sock``: the connected socket."""
        return await self

    async def __aexit__(self, *_exc: object) -> None:
        self.destroy()
