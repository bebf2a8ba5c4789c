"""A ``net.Socket``'s TCP options: ``SocketOptions``.

Theory of operation
-------------------
``noDelay`` and ``keepAlive`` can be set before there is a connected handle (constructor,
``connect()`` options, ``setNoDelay``/``setKeepAlive`` while connecting).  ``SocketOptions``
remembers them and ``apply(handle)`` sets them once the connection is up; with a handle
already there the setters pass the change straight to it.  Keep-alive delays are in
milliseconds, as in Node; handles take seconds.
"""

from __future__ import annotations

from .handle import StreamHandle

__all__ = ["SocketOptions"]


class SocketOptions:
    """TCP_NODELAY and keep-alive of one socket, applied to its handle."""

    __slots__ = ("keep_alive", "no_delay")

    def __init__(self, no_delay: bool, keep_alive: bool, keep_alive_initial_delay: float) -> None:
        self.no_delay = no_delay
        self.keep_alive: tuple[bool, float] | None = (
            (True, keep_alive_initial_delay) if keep_alive else None
        )

    def update(self, no_delay: bool | None, keep_alive: bool | None, initial_delay: float) -> None:
        """``connect()``'s options: a given ``no_delay``, a true ``keep_alive``, win."""
        if no_delay is not None:
            self.no_delay = no_delay
        if keep_alive:
            self.keep_alive = (True, initial_delay)

    def apply(self, handle: StreamHandle | None) -> None:
        """The connection is up: set what was asked for on ``handle``."""
        if handle is None:
            return
        if self.no_delay:
            handle.set_no_delay(True)
        if self.keep_alive is not None:
            handle.set_keep_alive(self.keep_alive[0], self.keep_alive[1] / 1000.0)

    def set_no_delay(self, handle: StreamHandle | None, no_delay: bool) -> None:
        if handle is None:
            self.no_delay = no_delay
        elif no_delay != self.no_delay:
            self.no_delay = no_delay
            handle.set_no_delay(no_delay)

    def set_keep_alive(self, handle: StreamHandle | None, enable: bool, delay: float) -> None:
        self.keep_alive = (enable, delay)
        if handle is not None:
            handle.set_keep_alive(enable, delay / 1000.0)
