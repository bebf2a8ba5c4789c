"""``AbortController`` and ``AbortSignal`` (the DOM's, as Node has them), and the
``signal`` option of sockets.

Theory of operation
-------------------
An ``AbortController`` owns one ``AbortSignal``; ``controller.abort(reason)`` marks the
signal ``aborted`` with ``reason`` (default: an ``AbortError`` "This operation was
aborted", Node's ``DOMException``) and emits ``'abort'`` once.  The signal is an
``EventEmitter`` (Node's is an ``EventTarget``: ``signal.on('abort', fn)`` plays
``addEventListener``).  ``AbortSignal.abort(reason)`` and ``AbortSignal.timeout(ms)``
make signals already aborted, or aborted after ``ms`` milliseconds.

:func:`add_abort_signal` is Node's ``addClientAbortSignalOption`` for sockets: an
aborted signal destroys the socket on the next tick with ``AbortError`` "The operation
was aborted" whose ``cause`` (and ``__cause__``) is the signal's reason; a later abort
destroys it then.  The listener is removed when the socket closes, so a long-lived
signal does not keep closed sockets alive.
"""

from __future__ import annotations

from typing import Any, Protocol, Self

from .errors import ERR_INVALID_ARG_TYPE, AbortError
from .events import EventEmitter
from .scheduling import next_tick, set_timeout

__all__ = ["AbortController", "AbortSignal", "abort_error", "add_abort_signal",
           "validate_abort_signal"]


class AbortSignal(EventEmitter):
    """The DOM's ``AbortSignal``: ``aborted``, ``reason``, ``'abort'``."""

    __slots__ = ("aborted", "reason")

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False
        self.reason: Any = None

    def throw_if_aborted(self) -> None:
        if self.aborted:
            raise self.reason if isinstance(self.reason, BaseException) else abort_error(self)

    @classmethod
    def abort(cls, reason: Any = None) -> Self:
        """A signal that is already aborted (``AbortSignal.abort(reason)``)."""
        signal = cls()
        signal._abort(reason)
        return signal

    @classmethod
    def timeout(cls, msecs: float) -> Self:
        """A signal aborted after ``msecs`` ms with a ``TimeoutError`` reason."""
        signal = cls()
        set_timeout(signal._abort, msecs, TimeoutError("The operation was aborted due to timeout"))
        return signal

    def _abort(self, reason: Any) -> None:
        if self.aborted:
            return
        self.aborted = True
        self.reason = AbortError("This operation was aborted") if reason is None else reason
        self.emit("abort")


class AbortController:
    """The DOM's ``AbortController``: ``signal`` and ``abort(reason=None)``."""

    __slots__ = ("signal",)

    def __init__(self) -> None:
        self.signal = AbortSignal()

    def abort(self, reason: Any = None) -> None:
        self.signal._abort(reason)


def validate_abort_signal(value: object, name: str = "signal") -> AbortSignal:
    if not isinstance(value, AbortSignal):
        raise ERR_INVALID_ARG_TYPE(name, "AbortSignal", value)
    return value


def abort_error(signal: AbortSignal) -> AbortError:
    """Node's ``new AbortError(undefined, {cause: signal.reason})``."""
    err = AbortError()
    err.cause = signal.reason  # type: ignore[attr-defined]
    if isinstance(signal.reason, BaseException):
        err.__cause__ = signal.reason
    return err


class _Destroyable(Protocol):
    @property
    def destroyed(self) -> bool: ...

    def destroy(self, err: BaseException | None = None) -> Any: ...

    def once(self, event: str, listener: Any) -> Any: ...


def add_abort_signal(signal: AbortSignal, stream: _Destroyable) -> None:
    """Destroy ``stream`` with an ``AbortError`` when ``signal`` aborts (Node's
    ``addClientAbortSignalOption``)."""

    def on_abort() -> None:
        if not stream.destroyed:
            stream.destroy(abort_error(signal))

    if signal.aborted:
        next_tick(on_abort)
        return
    signal.once("abort", on_abort)
    stream.once("close", lambda *_: signal.remove_listener("abort", on_abort))
