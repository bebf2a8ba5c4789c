"""One policy for exceptions raised by user code that runs for a connection.

Theory of operation
-------------------
Hooks and listeners run on behalf of one connection: ``sni_callback``, ``alpn_callback``,
``psk_callback``, ``check_server_identity``, and the ``'keylog'``, ``'OCSPRequest'``,
``'newSession'``, ``'resumeSession'`` and ``'secureConnection'`` listeners.  In Node an
exception there is an ``'uncaughtException'`` that ends the process.  Here, whatever
raises, synchronously or (an ``async def``) when its coroutine finishes:

* the exception goes to the loop's exception handler (``loop.call_exception_handler``,
  through ``scheduling.report_uncaught``), so an application's handler sees it;
* the connection it belongs to is destroyed at once with it: before
  ``'secureConnection'`` that is the server's ``'tlsClientError'`` with that very
  exception, afterwards the socket's ``'error'``;
* the server goes on serving.

Every call site goes through :func:`guarded` (:func:`guarded_now` for the ALPN and PSK
callbacks, which OpenSSL waits on and so cannot be ``async def``), :func:`later` or
:func:`emit_user`, which
all end in :func:`user_failed`; no other code catches a user's exception.  An error a
hook *answers* with (``cb(err)``) is not an exception: it only destroys the connection.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

from nodetls.node.events import EventEmitter, is_once_wrapper, snapshot, user_listener
from nodetls.node.scheduling import call_in_scope, report_uncaught

if TYPE_CHECKING:
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["FAILED", "Answer", "emit_hook", "emit_user", "guarded", "guarded_now", "later",
           "user_failed"]


class _Failed:
    __slots__ = ()

    def __repr__(self) -> str:
        return "FAILED"


FAILED: Final = _Failed()
"""What :func:`guarded` returns when the call raised (already reported and handled)."""


class Answer(Protocol):
    """A Node-style single-use callback that knows whether it was called."""

    called: bool

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None: ...


def user_failed(sock: TLSSocket, exc: BaseException, what: str) -> None:
    """The policy: report ``exc`` to the loop's handler, destroy ``sock`` with it."""
    report_uncaught(exc, context={"message": f"Exception in nodetls {what}", "socket": sock})
    if not sock.destroyed:
        sock.destroy(exc)


def guarded(sock: TLSSocket, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``; :data:`FAILED` if it raised.  An awaitable result is returned as
    it is (hand it to :func:`later`)."""
    try:
        return fn(*args)
    except Exception as exc:
        user_failed(sock, exc, what)
        return FAILED


def guarded_now(sock: TLSSocket, what: str, fn: Callable[..., Any], *args: Any) -> Any:
    """:func:`guarded` for a hook OpenSSL waits on inside its own callback (ALPN, PSK):
    an awaitable answer cannot be waited for, so an ``async def`` there is refused
    (a ``TypeError`` under the policy) instead of leaving a coroutine never awaited."""
    result = guarded(sock, what, fn, *args)
    if result is FAILED or not inspect.isawaitable(result):
        return result
    close = getattr(result, "close", None)
    if callable(close):
        close()
    user_failed(sock, TypeError(f"{what} must answer synchronously, not be an async def"),
                what)
    return FAILED


_pending: set[asyncio.Future[None]] = set()


def later(sock: TLSSocket, what: str, result: Awaitable[Any],
          then: Callable[[Any], object] | None = None) -> None:
    """Await an ``async def``'s ``result`` in a task: its exception is :func:`user_failed`,
    its value goes to ``then`` (unless the socket is gone meanwhile)."""
    task = asyncio.ensure_future(_settle(sock, what, result, then))
    _pending.add(task)  # keep a reference until it is done
    task.add_done_callback(_pending.discard)


async def _settle(sock: TLSSocket, what: str, result: Awaitable[Any],
                  then: Callable[[Any], object] | None) -> None:
    try:
        value = await result
    except Exception as exc:
        call_in_scope(user_failed, sock, exc, what)
        return
    if then is not None and not sock.destroyed:
        call_in_scope(then, value)


def emit_user(sock: TLSSocket, emitter: EventEmitter, event: str, args: tuple[Any, ...],
              then: Callable[[Any], object] | None = None) -> bool:
    """``emitter.emit(event, *args)`` for ``sock``'s connection, under the policy: a
    listener that raises stops the emit; an ``async def`` listener's coroutine is
    awaited by :func:`later` (its value to ``then``)."""
    stored_listeners, arities = snapshot(emitter, event)
    if not stored_listeners:
        return False
    # guarded(), inlined: 'secureConnection' runs this once per connection.
    for stored, takes in zip(stored_listeners, arities, strict=True):
        listener = user_listener(stored)  # an async def's coroutine goes to later()
        if is_once_wrapper(stored):  # removed before the call, as in Node
            emitter.remove_listener(event, listener)
        try:
            result = listener(*args[:takes])
        except Exception as exc:
            user_failed(sock, exc, f"{event!r} listener")
            break
        if result is not None and inspect.isawaitable(result):
            later(sock, f"{event!r} listener", result, then)
    return True


def emit_hook(sock: TLSSocket, emitter: EventEmitter, event: str, args: tuple[Any, ...],
              cb: Answer) -> bool:
    """``emit(event, *args, cb)`` where an ``async def`` listener may instead return its
    answer (API.md): its value answers ``cb`` unless it called ``cb`` itself."""

    def answer(value: Any) -> None:
        if not cb.called:
            cb(None, value)

    return emit_user(sock, emitter, event, (*args, cb), answer)
