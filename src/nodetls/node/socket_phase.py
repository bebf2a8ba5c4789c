"""A ``net.Socket``'s lifecycle: ``SocketPhase`` and its transition table.

Theory of operation
-------------------
A socket is in exactly one phase; ``Socket._transition`` moves it, only along the edges of
``SOCKET_TRANSITIONS`` (anything else is a bug, raised as ``AssertionError``)::

    IDLE --connect()--> CONNECTING --connected--> CONNECTED
    IDLE (constructed with a handle) --> CONNECTED
    any --destroy()--> DESTROYED
"""

from __future__ import annotations

from enum import Enum

__all__ = ["SOCKET_TRANSITIONS", "SocketPhase"]


class SocketPhase(Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DESTROYED = "destroyed"

    # Identity hashing in C: a table lookup per transition, several per connection.
    __hash__ = object.__hash__


SOCKET_TRANSITIONS: dict[SocketPhase, tuple[SocketPhase, ...]] = {
    SocketPhase.IDLE: (SocketPhase.CONNECTING, SocketPhase.CONNECTED, SocketPhase.DESTROYED),
    SocketPhase.CONNECTING: (SocketPhase.CONNECTED, SocketPhase.DESTROYED),
    SocketPhase.CONNECTED: (SocketPhase.DESTROYED,),
    SocketPhase.DESTROYED: (),
}
