"""``EmitterFacade``: Node's ``EventEmitter`` methods on a class that cannot inherit them.

``ssl.SSLContext`` is a C type with its own instance layout, and ``EventEmitter`` has
``__slots__``: one class cannot have both as bases.  ``nodetls.SSLContext`` therefore
holds an ``EventEmitter`` (``events``) and forwards the emitter's methods to it; the
methods that return the emitter (for chaining) return the context instead.  The hooks
emit on ``events`` directly, so ``sessions.emit_hook`` and friends work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Self, TypeVar

from nodetls.node.events import EventEmitter

__all__ = ["EmitterFacade"]

Listener = Callable[..., Any]
L = TypeVar("L", bound=Listener)


class EmitterFacade:
    """The ``EventEmitter`` API, forwarded to ``self.events``."""

    events: EventEmitter

    def emit(self, event: Hashable, *args: Any) -> bool:
        return self.events.emit(event, *args)

    def on(self, event: Hashable, listener: Listener | None = None) -> Any:
        """Add ``listener`` for ``event``; without ``listener``, a decorator that does it."""
        if listener is None:
            return self.events.on(event)
        self.events.on(event, listener)
        return self

    add_listener = on

    def once(self, event: Hashable, listener: Listener | None = None) -> Any:
        if listener is None:
            return self.events.once(event)
        self.events.once(event, listener)
        return self

    def prepend_listener(self, event: Hashable, listener: Listener) -> Self:
        self.events.prepend_listener(event, listener)
        return self

    def prepend_once_listener(self, event: Hashable, listener: Listener) -> Self:
        self.events.prepend_once_listener(event, listener)
        return self

    def remove_listener(self, event: Hashable, listener: Listener) -> Self:
        self.events.remove_listener(event, listener)
        return self

    off = remove_listener

    def remove_all_listeners(self, event: Hashable | None = None) -> Self:
        self.events.remove_all_listeners(event)
        return self

    def listener_count(self, event: Hashable, listener: Listener | None = None) -> int:
        return self.events.listener_count(event, listener)

    def listeners(self, event: Hashable) -> list[Listener]:
        return self.events.listeners(event)

    def raw_listeners(self, event: Hashable) -> list[Listener]:
        return self.events.raw_listeners(event)

    def event_names(self) -> list[Hashable]:
        return self.events.event_names()

    def set_max_listeners(self, n: int) -> Self:
        self.events.set_max_listeners(n)
        return self

    def get_max_listeners(self) -> int:
        return self.events.get_max_listeners()
