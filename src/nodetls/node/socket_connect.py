"""One ``net.Socket.connect()`` in flight: a ``ConnectAttempt``.

Theory of operation
-------------------
``Socket.connect()`` checks its arguments into a ``ConnectTarget`` (``os_sockets.py``),
installs the handle it will drive, and hands the opening of the fresh ``TransportHandle`` to
a ``ConnectAttempt``.  The attempt runs ``target.open`` in a task, reports what happens on
the way through the ``emit`` it was given (``'lookup'``; ``'connectionAttempt'`` and its
outcomes, each as a loop entry point), and keeps the ``"address:port"`` list that
``auto_select_family`` tried.  When the task ends it calls exactly one of its two outcomes,
``on_connected()`` or ``on_failed(exc)``, in a loop-entry scope; ``cancel()`` (the socket
was destroyed first) stops the task and calls neither.  The attempt knows nothing of the
socket beyond those callables, and drops them once it is over, cancelled or not: the
socket keeps the attempt after the end (for ``autoSelectFamilyAttemptedAddresses``), and a
closed socket must still be freed by reference counting, with no cycle through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from .os_sockets import ConnectTarget
from .scheduling import call_in_scope
from .transport_handle import TransportHandle

__all__ = ["ConnectAttempt"]


def _ignore(*_args: object) -> None:
    """What an attempt that is over calls instead of its socket's callables."""


class ConnectAttempt:
    """Open ``raw`` to ``target`` in a task; report events and the outcome."""

    __slots__ = ("_emit", "_on_connected", "_on_failed", "_task", "attempted")

    def __init__(
        self,
        target: ConnectTarget,
        raw: TransportHandle,
        emit: Callable[..., object],
        on_connected: Callable[[], object],
        on_failed: Callable[[BaseException], object],
    ) -> None:
        self._emit = emit
        self._on_connected = on_connected
        self._on_failed = on_failed
        self.attempted: list[str] | None = [] if target.is_tcp else None
        # A factory, not a coroutine: a socket destroyed before the task starts (an
        # aborted signal) leaves no never-awaited coroutine behind.
        opening = partial(target.open, raw, self._on_lookup, self._on_event, self.attempted)
        self._task: asyncio.Task[None] | None = asyncio.ensure_future(self._run(opening))

    def cancel(self) -> None:
        """Stop a connect still in flight; neither outcome will be called."""
        task = self._task
        self._finish()
        if task is not None and not task.done():
            task.cancel()  # it stops at its next await: no event, no outcome after this

    def _finish(self) -> None:
        self._task = None
        self._emit = self._on_connected = self._on_failed = _ignore

    def _on_lookup(
        self, err: BaseException | None, address: str | None, family: int | None, host: str
    ) -> None:
        self._emit("lookup", err, address, family, host)

    def _on_event(self, event: str, *args: Any) -> None:
        """``'connectionAttempt'`` and its outcomes, as a loop entry point."""
        call_in_scope(self._emit, event, *args)

    async def _run(self, opening: Callable[[], Awaitable[None]]) -> None:
        try:
            await opening()
        except asyncio.CancelledError:
            self._finish()
            return
        except Exception as exc:
            on_failed = self._on_failed
            self._finish()
            call_in_scope(on_failed, exc)
            return
        on_connected = self._on_connected
        self._finish()
        call_in_scope(on_connected)
