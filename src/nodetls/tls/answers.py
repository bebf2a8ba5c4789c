"""Single-use answers: the ``cb`` a server hook (``resumeSession``, ``SNICallback``,
``OCSPRequest``) must call once to let a paused handshake go on.

Theory of operation
-------------------
``Once`` is a Node-style ``cb(err, value)``.  A second call destroys the socket with
``ERR_MULTIPLE_CALLBACK``, an answer after the socket lost its TLS handle with
``ERR_SOCKET_CLOSED``, an error answer destroys the socket with it.  An answer given
while the question is still being asked (``cb`` called from inside the user's callback)
takes effect when that callback returns, as Node's ``Cycle()`` runs no deeper than once:
a second synchronous call destroys the socket before any of the handshake goes out.
``call_user`` asks a user function, whose ``async def`` may return its answer instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nodetls.node.errors import ERR_MULTIPLE_CALLBACK, ERR_SOCKET_CLOSED
from nodetls.tls.tls_handle import TLSHandle
from nodetls.tls.user_code import FAILED, guarded, later

if TYPE_CHECKING:
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["Once", "call_user"]


class Once:
    """A Node-style ``cb(err, value)`` that may be called once, maybe later."""

    __slots__ = ("_tls", "answer", "asking", "called", "done", "sock")

    def __init__(self, sock: TLSSocket, tls: Callable[[], TLSHandle | None],
                 done: Callable[[Any], None]) -> None:
        self.sock = sock
        self._tls = tls
        self.done = done
        self.called = False
        self.asking = False
        self.answer: tuple[Any] | None = None

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None:
        sock = self.sock
        if self.called:
            sock.destroy(ERR_MULTIPLE_CALLBACK())
            return
        self.called = True
        if err is not None:
            sock.destroy(err)
        elif self.asking:
            self.answer = (value,)
        else:
            self._proceed(value)

    def ask(self, question: Callable[[], Any]) -> Any:
        """Run ``question`` (which may call back at once); proceed after it returns."""
        self.asking = True
        try:
            return question()
        finally:
            self.asking = False
            answer, self.answer = self.answer, None
            if answer is not None and not self.sock.destroyed:
                self._proceed(answer[0])

    def _proceed(self, value: Any) -> None:
        sock = self.sock
        if self._tls() is None:
            sock.destroy(ERR_SOCKET_CLOSED())
            return
        try:
            self.done(value)
        except Exception as exc:
            sock.destroy(exc)


def call_user(what: str, fn: Callable[..., Any], args: Sequence[Any], cb: Once) -> None:
    """Call ``fn(*args, cb)``; an ``async def`` may return its answer instead."""
    def answer(value: Any) -> None:
        if not cb.called:
            cb(None, value)

    result = cb.ask(lambda: guarded(cb.sock, what, fn, *args, cb))
    if result is not FAILED and inspect.isawaitable(result):
        later(cb.sock, what, result, answer)
