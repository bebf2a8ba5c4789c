"""Node's ``EventEmitter``.

Theory of operation
-------------------
Listeners live in a dict ``event -> list``.  The lists are *copy-on-write*: adding or removing
a listener builds a new list and stores it, never mutating the one in the dict.  ``emit``
therefore iterates the list it looked up without copying it, and a listener removed (or
added) during an emit does not change that emit, which is Node's rule.  Adding and removing
are rare; ``emit`` runs for every data chunk, so this is the right trade.

Node's behaviours kept:

* listeners are called synchronously, in registration order, with the emitted arguments;
  ``emit`` returns whether there were listeners;
* a listener that takes fewer positional parameters than the event carries gets as many as
  it takes (JavaScript ignores extra arguments): ``on('tlsClientError', lambda err: ...)``.
  The count is read once, when the listener is added, and kept beside the list (a
  ``_Listeners``, with the smallest count of its listeners), so ``emit`` pays one
  comparison, and the per-listener path runs only when some listener takes fewer;
* ``'error'`` with no listener raises the error (a non-exception value is wrapped in
  ``ERR_UNHANDLED_ERROR``); listeners for ``error_monitor`` see errors first;
* ``'newListener'`` is emitted before a listener is added, ``'removeListener'`` after one is
  removed; ``once`` wrappers remove themselves before calling the listener;
* past ``get_max_listeners()`` listeners for one event (default 10, 0 = unlimited) a
  ``MaxListenersExceededWarning`` is issued once per event.

Python additions:

* ``on``/``once`` can be used as decorators: ``@emitter.on('data')``.
* A listener that is an ``async def`` function is called, and the coroutine it returns is
  scheduled as a task on the running loop; if it raises, the exception is routed to
  ``_on_listener_rejection`` (default: ``emit('error', exc)``; streams destroy themselves
  with it), like Node's ``captureRejections``.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import warnings
from collections.abc import Awaitable, Callable, Hashable, Sequence
from types import CodeType, FunctionType, MethodType
from typing import Any, ClassVar, Self, TypeVar, overload

from .errors import ERR_UNHANDLED_ERROR

__all__ = [
    "ANY_ARITY",
    "EventEmitter",
    "MaxListenersExceededWarning",
    "arity",
    "call_with_arity",
    "error_monitor",
    "is_once_wrapper",
    "once",
    "snapshot",
    "user_listener",
    "wait_for_event",
]

Listener = Callable[..., Any]
L = TypeVar("L", bound=Listener)


class _ErrorMonitor:
    __slots__ = ()

    def __repr__(self) -> str:
        return "events.error_monitor"


error_monitor: Hashable = _ErrorMonitor()
"""Listeners for this key see every ``'error'`` before the regular listeners (Node's
``events.errorMonitor``); they do not count as handling the error."""


class MaxListenersExceededWarning(RuntimeWarning):
    """Possible EventEmitter memory leak (Node's warning of the same name)."""


class _OnceWrapper:
    """Removes itself from ``emitter`` before calling ``listener`` (Node's ``_onceWrap``)."""

    __slots__ = ("emitter", "event", "fired", "listener")

    def __init__(self, emitter: EventEmitter, event: Hashable, listener: Listener) -> None:
        self.emitter = emitter
        self.event = event
        self.listener = listener
        self.fired = False

    def __call__(self, *args: Any) -> Any:
        if self.fired:
            return None
        self.fired = True
        self.emitter.remove_listener(self.event, self)
        return self.listener(*args)


class _AsyncListener:
    """Runs an ``async def`` listener as a task; its exception goes back to the emitter."""

    __slots__ = ("emitter", "listener")

    def __init__(self, emitter: EventEmitter, listener: Callable[..., Awaitable[Any]]) -> None:
        self.emitter = emitter
        self.listener = listener

    def __call__(self, *args: Any) -> None:
        task = asyncio.ensure_future(self.listener(*args))
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.emitter._on_listener_rejection(exc)


# ``inspect.iscoroutinefunction`` costs a few microseconds (it unwraps methods and
# partials, then probes other callables for a code object), and a server connection adds
# about a dozen listeners.  Plain functions, bound methods and our own wrappers, which
# are nearly all of them, are answered from the code flags here.  From Python 3.12 a
# plain function can also be marked (``inspect.markcoroutinefunction``): inspect decides.
_CO_COROUTINE = inspect.CO_COROUTINE
_CAN_MARK = hasattr(inspect, "markcoroutinefunction")


def _is_async_function(listener: Listener) -> bool:
    kind = type(listener)
    if kind is MethodType:
        function = listener.__func__  # type: ignore[attr-defined]
        if type(function) is FunctionType and not _CAN_MARK:
            return bool(function.__code__.co_flags & _CO_COROUTINE)
    elif kind is FunctionType:
        if listener.__code__.co_flags & _CO_COROUTINE:
            return True
        if not _CAN_MARK:
            return False
    elif kind is _OnceWrapper or kind is _AsyncListener:
        return False
    elif (not _CAN_MARK and type(kind.__dict__.get("__call__")) is FunctionType
          and not hasattr(listener, "__code__")):
        return False  # an object with a __call__ (net's 'end' listener): never, for inspect
    return inspect.iscoroutinefunction(listener)


def _unwrap(listener: Listener) -> Listener:
    while isinstance(listener, _OnceWrapper | _AsyncListener):
        listener = listener.listener
    return listener


_WRAPPERS = (_OnceWrapper, _AsyncListener)


def _matches(stored: Listener, listener: Listener) -> bool:
    # ``==`` rather than ``is``: bound methods are new objects on every attribute access.
    # Only wrappers need unwrapping (the exact type test spares a call per listener).
    return stored == listener or (type(stored) in _WRAPPERS and _unwrap(stored) == listener)


ANY_ARITY = sys.maxsize
"""The arity of a listener that takes any number of arguments (``*args``, or unknown)."""

_CO_VARARGS = inspect.CO_VARARGS
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _code_of(listener: Listener) -> CodeType | None:
    """The code object of a plain function, of a bound method's function, or of the
    ``__call__`` an object's class defines (``net``'s end-of-stream listener): read
    in nanoseconds, where ``inspect.signature`` costs microseconds per connection.  None
    for anything else, or for an object that declares its own ``__signature__``."""
    kind = type(listener)
    if kind is FunctionType:
        return listener.__code__
    if kind is MethodType:
        function = listener.__func__  # type: ignore[attr-defined]
    else:
        # Only a ``__call__`` defined in the class itself: in its ``__dict__`` a static or
        # class method is not a plain function, so those go to ``inspect``.
        function = kind.__dict__.get("__call__")
        if hasattr(listener, "__signature__") or hasattr(listener, "__wrapped__"):
            return None
    if type(function) is FunctionType:
        return function.__code__
    return None


def _fast_arity(listener: Listener) -> int:
    """``arity`` for what a connection adds (bound methods, plain functions, ``once``
    wrappers of those): read from the code object in one call instead of four."""
    kind = type(listener)
    if kind is _OnceWrapper:
        listener = listener.listener  # type: ignore[attr-defined]
        kind = type(listener)
    if kind is MethodType:
        function = listener.__func__  # type: ignore[attr-defined]
        if type(function) is FunctionType:
            code = function.__code__
            if code.co_flags & _CO_VARARGS:
                return ANY_ARITY
            return max(code.co_argcount - 1, 0)
    elif kind is FunctionType:
        code = listener.__code__
        return ANY_ARITY if code.co_flags & _CO_VARARGS else code.co_argcount
    return arity(listener)


def arity(listener: Listener) -> int:
    """How many positional arguments ``listener`` takes (``ANY_ARITY`` if unbounded).

    Plain functions, bound methods and objects whose class defines ``__call__`` are read
    from their code object; anything else (``functools.partial``, ...) through
    ``inspect.signature``.  A callable
    without a signature (some builtins) is given every argument, as before this rule.
    """
    listener = _unwrap(listener)
    code = _code_of(listener)
    if code is not None:
        if code.co_flags & _CO_VARARGS:
            return ANY_ARITY
        # A bound method, or an instance's ``__call__``, takes ``self`` first.
        return max(code.co_argcount - (type(listener) is not FunctionType), 0)
    try:
        parameters = inspect.signature(listener).parameters.values()
    except (TypeError, ValueError):
        return ANY_ARITY
    count = 0
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return ANY_ARITY
        count += parameter.kind in _POSITIONAL
    return count


def _call_each(listeners: _Listeners, args: tuple[Any, ...]) -> None:
    """Each listener with as many of ``args`` as it takes."""
    for listener, takes in zip(listeners, listeners.arities, strict=True):
        listener(*args[:takes])


def snapshot(emitter: EventEmitter, event: Hashable) -> tuple[Sequence[Listener], tuple[int, ...]]:
    """The listeners of ``event`` as stored (``once`` wrappers included), and how many
    arguments each takes: for code that emits by hand (``tls``'s user-code policy)
    without re-reading every arity.  The list is never mutated (copy-on-write)."""
    current = emitter._events.get(event)
    if not current:
        return (), ()
    return current, current.arities


def user_listener(listener: Listener) -> Listener:
    """The user's function behind a stored listener (``once`` and ``async def`` wrappers
    taken off)."""
    return _unwrap(listener)


def is_once_wrapper(listener: Listener) -> bool:
    """Whether ``listener`` is a stored ``once`` registration (``.listener`` is the user's)."""
    return type(listener) is _OnceWrapper


def call_with_arity(listener: Listener, args: tuple[Any, ...]) -> Any:
    """Call ``listener`` with as many of ``args`` as it takes (for rare, non-``emit`` calls)."""
    return listener(*args[: arity(listener)])


class _Listeners(list[Listener]):
    """An event's listeners (never mutated: copy-on-write), with each one's arity and the
    smallest of them, so that ``emit`` can tell in one comparison that every listener
    takes all the arguments."""

    __slots__ = ("arities", "least")

    arities: tuple[int, ...]
    least: int


def _listeners(listeners: list[Listener], arities: tuple[int, ...], least: int) -> _Listeners:
    # list's own (C) constructor, then the two slots: no __init__ frame, no super() call,
    # for the ten or so lists a connection's listeners build and drop.
    built = _Listeners(listeners)
    built.arities = arities
    built.least = least
    return built


_ONE_ARITY = {takes: (takes,) for takes in (*range(8), ANY_ARITY)}
"""Shared arities of a lone listener (most events): no tuple per event per connection."""

_NO_LISTENERS = _listeners([], (), ANY_ARITY)
"""What ``remove_listener`` searches when an event has no listeners (never stored)."""


def _without(current: _Listeners, index: int) -> _Listeners | None:
    if len(current) == 1:
        return None
    arities = current.arities[:index] + current.arities[index + 1:]
    return _listeners(current[:index] + current[index + 1:], arities, min(arities))


class EventEmitter:
    """Node's ``EventEmitter``, snake_case (``on``, ``once``, ``emit``, ``listener_count``...)."""

    __slots__ = ("_events", "_max_listeners", "_warned")

    default_max_listeners: ClassVar[int] = 10

    _hooked_events: ClassVar[frozenset[str]] = frozenset()
    """Events whose registration a subclass acts on (``_on_hooked_listener``), like Node's
    internal ``newListener`` hooks.  A class-level set: a per-registration override of
    ``_add`` would cost a call on every ``on()``."""

    def __init__(self) -> None:
        self._events: dict[Hashable, _Listeners] = {}
        self._max_listeners: int | None = None
        self._warned: set[Hashable] | None = None

    # --- emitting -----------------------------------------------------------------------------

    def emit(self, event: Hashable, *args: Any) -> bool:
        """Call every listener of ``event`` with ``args``; False if there were none."""
        listeners = self._events.get(event)
        if event == "error":
            return self._emit_error(listeners, args)
        if not listeners:
            return False
        if len(args) <= listeners.least:
            for listener in listeners:
                listener(*args)
        else:
            _call_each(listeners, args)
        return True

    def _emit_error(self, listeners: _Listeners | None, args: tuple[Any, ...]) -> bool:
        monitors = self._events.get(error_monitor)
        if monitors:
            _call_each(monitors, args)
        if not listeners:
            err = args[0] if args else None
            if isinstance(err, BaseException):
                raise err
            raise ERR_UNHANDLED_ERROR(err)
        _call_each(listeners, args)
        return True

    def _on_listener_rejection(self, exc: BaseException) -> None:
        """Where exceptions from ``async def`` listeners go (Node's captureRejections)."""
        self.emit("error", exc)

    # --- adding -------------------------------------------------------------------------------

    def _wrap_async(self, listener: Listener) -> Listener:
        if _is_async_function(listener):
            return _AsyncListener(self, listener)
        return listener

    def _add(self, event: Hashable, listener: Listener, prepend: bool) -> None:
        if not callable(listener):
            from .errors import ERR_INVALID_ARG_TYPE

            raise ERR_INVALID_ARG_TYPE("listener", "Function", listener)
        if event in self._hooked_events:
            self._on_hooked_listener(event)
        events = self._events
        if "newListener" in events:
            self.emit("newListener", event, _unwrap(listener))
        function = getattr(listener, "__func__", None) if type(listener) is MethodType else None
        if type(function) is FunctionType:  # a bound method (most listeners): inlined
            code = function.__code__
            takes = ANY_ARITY if code.co_flags & _CO_VARARGS else max(code.co_argcount - 1, 0)
        else:
            takes = _fast_arity(listener)
        current = events.get(event)
        if current is None:
            one = _ONE_ARITY.get(takes)
            events[event] = _listeners([listener], (takes,) if one is None else one, takes)
            return
        least = min(current.least, takes)
        if prepend:
            events[event] = _listeners([listener, *current], (takes, *current.arities), least)
        else:
            events[event] = _listeners([*current, listener], (*current.arities, takes), least)
        # get_max_listeners(), inlined: most events never pass the default limit.
        limit = self._max_listeners
        if limit is None:
            limit = EventEmitter.default_max_listeners
        if len(current) >= limit > 0:
            self._check_max(event, len(current) + 1)

    def _on_hooked_listener(self, event: Hashable) -> None:
        """A listener for one of ``_hooked_events`` is being added (override)."""

    _listening_hooks: ClassVar[frozenset[str]] = frozenset()
    """Events for which a subclass acts after ``on()`` adds a listener and after
    ``remove_listener()`` (Node's ``Readable`` overrides ``on`` and ``removeListener``
    for ``'data'`` and ``'readable'``); ``prepend_listener`` is not ``on``, as in Node.
    A class-level set, so that every other event pays one lookup, not a call."""

    def _on_listener_added(self, event: Hashable) -> None:
        """``on(event, ...)`` added a listener for one of ``_listening_hooks`` (override)."""

    def _on_listener_removed(self, event: Hashable) -> None:
        """``remove_listener(event, ...)`` ran for one of ``_listening_hooks`` (override)."""

    def _check_max(self, event: Hashable, count: int) -> None:
        limit = self.get_max_listeners()
        if limit <= 0 or count <= limit:
            return
        if self._warned is None:
            self._warned = set()
        if event in self._warned:
            return
        self._warned.add(event)
        warnings.warn(
            MaxListenersExceededWarning(
                f"Possible EventEmitter memory leak detected. {count} {event} listeners "
                f"added to [{type(self).__name__}]. MaxListeners is {limit}. "
                "Use emitter.set_max_listeners() to increase limit"
            ),
            stacklevel=4,
        )

    @overload
    def on(self, event: Hashable, listener: Listener) -> Self: ...
    @overload
    def on(self, event: Hashable, listener: None = None) -> Callable[[L], L]: ...
    def on(self, event: Hashable, listener: Listener | None = None) -> Self | Callable[[L], L]:
        """Add ``listener`` for ``event``; without ``listener``, a decorator that does it."""
        if listener is None:
            return self._decorator(self.on, event)
        # _wrap_async, inlined: on() runs per connection (a once-wrapper is wrapped inside).
        if type(listener) is not _OnceWrapper and _is_async_function(listener):
            listener = _AsyncListener(self, listener)
        self._add(event, listener, False)
        if event in self._listening_hooks:
            self._on_listener_added(event)
        return self

    def add_listener(self, event: Hashable, listener: Listener) -> Self:
        return self.on(event, listener)

    def prepend_listener(self, event: Hashable, listener: Listener) -> Self:
        self._add(event, self._wrap_async(listener), prepend=True)
        return self

    @overload
    def once(self, event: Hashable, listener: Listener) -> Self: ...
    @overload
    def once(self, event: Hashable, listener: None = None) -> Callable[[L], L]: ...
    def once(self, event: Hashable, listener: Listener | None = None) -> Self | Callable[[L], L]:
        """Add a listener that is removed before its first call."""
        if listener is None:
            return self._decorator(self.once, event)
        return self.on(event, _OnceWrapper(self, event, self._wrap_async(listener)))

    def prepend_once_listener(self, event: Hashable, listener: Listener) -> Self:
        return self.prepend_listener(event, _OnceWrapper(self, event, self._wrap_async(listener)))

    @staticmethod
    def _decorator(register: Callable[[Hashable, Listener], object], event: Hashable) -> (
        Callable[[L], L]
    ):
        def decorate(listener: L) -> L:
            register(event, listener)
            return listener

        return decorate

    # --- removing -----------------------------------------------------------------------------

    def remove_listener(self, event: Hashable, listener: Listener) -> Self:
        """Remove the most recently added registration of ``listener`` for ``event``."""
        current = self._events.get(event) or _NO_LISTENERS
        for index in range(len(current) - 1, -1, -1):
            removed = current[index]
            # _matches, inlined: a server connection removes about ten listeners.
            if removed == listener or (type(removed) in _WRAPPERS and _unwrap(removed) == listener):
                remaining = _without(current, index)
                if remaining is not None:
                    self._events[event] = remaining
                else:
                    del self._events[event]
                if "removeListener" in self._events:
                    self.emit("removeListener", event, _unwrap(removed))
                break
        if event in self._listening_hooks:  # found or not, as Node's Readable
            self._on_listener_removed(event)
        return self

    def off(self, event: Hashable, listener: Listener) -> Self:
        return self.remove_listener(event, listener)

    def remove_all_listeners(self, event: Hashable | None = None) -> Self:
        """Remove every listener of ``event`` (of every event when None)."""
        events = self._events
        if "removeListener" not in events:
            if event is None:
                events.clear()
            else:
                events.pop(event, None)
            return self
        names = [name for name in events if name != "removeListener"] if event is None else [event]
        for name in names:
            for listener in reversed(events.get(name, [])):
                self.remove_listener(name, listener)
        if event is None:
            events.pop("removeListener", None)
        return self

    # --- introspection ------------------------------------------------------------------------

    def listener_count(self, event: Hashable, listener: Listener | None = None) -> int:
        current = self._events.get(event)
        if not current:
            return 0
        if listener is None:
            return len(current)
        return sum(1 for stored in current if _matches(stored, listener))

    def listeners(self, event: Hashable) -> list[Listener]:
        """Copies of the listeners, once-wrappers unwrapped."""
        return [_unwrap(listener) for listener in self._events.get(event, ())]

    def raw_listeners(self, event: Hashable) -> list[Listener]:
        """Copies of the listeners including once-wrappers (which have ``.listener``)."""
        return [
            listener.listener if isinstance(listener, _AsyncListener) else listener
            for listener in self._events.get(event, ())
        ]

    def event_names(self) -> list[Hashable]:
        return list(self._events)

    def set_max_listeners(self, n: int) -> Self:
        """Warn past ``n`` listeners per event (0: never)."""
        from .validators import validate_number

        validate_number(n, "setMaxListeners", 0)
        self._max_listeners = n
        return self

    def get_max_listeners(self) -> int:
        if self._max_listeners is None:
            return EventEmitter.default_max_listeners
        return self._max_listeners


async def once(emitter: EventEmitter, event: Hashable) -> tuple[Any, ...]:
    """``events.once(emitter, name)``: wait for ``event``; raise if ``'error'`` comes first."""
    return await wait_for_event(emitter, event)


async def wait_for_event(
    emitter: EventEmitter,
    event: Hashable,
    *,
    errors: bool = True,
    close_error: Callable[[], BaseException] | None = None,
) -> tuple[Any, ...]:
    """Wait for ``event`` and return its arguments.

    With ``errors``, an ``'error'`` emitted first is raised instead; with ``close_error``, a
    ``'close'`` emitted first raises ``close_error()`` (so a stream that is destroyed without
    an error does not leave the waiter hanging).  Listeners are removed in every case.
    """
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_event(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    def on_error(err: BaseException) -> None:
        if not future.done():
            future.set_exception(err)

    def on_close(*_args: Any) -> None:
        if close_error is not None and not future.done():
            future.set_exception(close_error())

    emitter.on(event, on_event)
    if errors and event != "error":
        emitter.on("error", on_error)
    if close_error is not None:
        emitter.on("close", on_close)
    try:
        return await future
    finally:
        emitter.remove_listener(event, on_event)
        emitter.remove_listener("error", on_error)
        emitter.remove_listener("close", on_close)
