"""The server's external session cache: Node's ``loadSession`` and ``onnewsession``.

Theory of operation
-------------------
Node's server keeps no session cache of its own (``SSL_SESS_CACHE_NO_INTERNAL``): with
tickets off, resumption goes through two server events, which the engine reaches only
when one of them has a listener at connection time (``enable_session_callbacks``):

* ``ClientHelloPaused``: the handshake waits at the ClientHello.  Without a session id,
  with a TLS 1.2 ticket, or without a listener it goes on at once; otherwise
  ``'resumeSession'(session_id, cb)``, and ``cb(None, der)`` hands the session to
  OpenSSL's get-session callback (``engine.resume_client_hello``), ``cb(None, None)``
  (or an unparsable ``der``) means a full handshake, ``cb(err)`` destroys the socket,
  a second call destroys it with ``ERR_MULTIPLE_CALLBACK``.  The id is the ClientHello's
  legacy session id, except on a ``SSL_OP_NO_TICKET`` server resumed by TLS 1.3: there
  it is the stateful ticket's identity from the pre_shared_key extension (see
  ``engine.info.client_hello``), so TLS 1.3 resumes from the cache too, which Node's
  own ClientHello parser cannot do (nodejs/node#60847).
* ``NewSession``: the engine holds its output (the handshake's last flight, tickets,
  anything written meanwhile) and ``'newSession'(session_id, der, done)`` is emitted;
  ``done()`` releases it, and ``'secure'`` (so ``'secureConnection'``) waits for it too
  when the handshake finished meanwhile (the lifecycle's SESSION_HELD, then
  AWAITING_SESSION).  Calling
  ``done`` twice is harmless, as in Node.

API.md lets an ``async def`` listener return its answer instead of calling ``cb``
(``return der`` / ``return None``): ``user_code.emit_hook`` emits with that extra rule.
A listener that raises (or whose coroutine raises) falls under ``user_code``'s policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodetls.engine import ClientHelloPaused, NewSession
from nodetls.node.errors import ERR_SOCKET_CLOSED
from nodetls.tls.answers import Once
from nodetls.tls.lifecycle import Lifecycle, TLSState, Trigger
from nodetls.tls.tls_handle import TLSHandle
from nodetls.tls.user_code import emit_hook

if TYPE_CHECKING:
    from nodetls.tls.server import Server
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["SessionCache"]


class SessionCache:
    """One server connection's ``'resumeSession'`` and ``'newSession'``."""

    __slots__ = ("_finish", "_lifecycle", "_server", "_sock", "_tls")

    def __init__(self, sock: TLSSocket, server: Server | None, lifecycle: Lifecycle,
                 tls: Callable[[], TLSHandle | None], finish: Callable[[], None]) -> None:
        self._sock = sock
        self._server = server
        self._lifecycle = lifecycle
        self._tls = tls
        self._finish = finish  # the socket's 'secure', which waited for done()

    def load_session(self, hello: ClientHelloPaused) -> None:
        """Node's ``loadSession``: ask ``'resumeSession'`` for the session offered."""
        tls_of = self._tls

        def resume(session: Any) -> None:
            tls = tls_of()
            assert tls is not None
            der = bytes(session) if isinstance(session, bytes | bytearray | memoryview) else None
            tls.drive(tls.engine.resume_client_hello, None, der)

        cb = Once(self._sock, tls_of, resume)
        server = self._server
        if (not hello.session_id or hello.has_ticket or server is None
                or not emit_hook(self._sock, server, "resumeSession", (hello.session_id,), cb)):
            cb()

    def on_new_session(self, event: NewSession) -> None:
        """Node's ``onnewsession``: ``'newSession'(id, data, done)``; output and
        ``'secure'`` wait for ``done``."""
        server = self._server
        tls = self._tls()
        if server is None or tls is None:
            if tls is not None:
                tls.drive(tls.engine.new_session_done)
            return
        done = _SessionDone(self)
        self._lifecycle.fire(Trigger.NEW_SESSION)
        if not emit_hook(self._sock, server, "newSession", (event.session_id, event.der), done):
            done()

    def session_done(self) -> None:
        """``done`` was called: release the output, then ``'secure'`` if it waited."""
        tls = self._tls()
        if tls is None:
            self._sock.destroy(ERR_SOCKET_CLOSED())
            return
        awaiting = self._lifecycle.state is TLSState.AWAITING_SESSION
        if not awaiting:  # else 'secure' makes the move
            self._lifecycle.fire(Trigger.SESSION_DONE)
        tls.drive(tls.engine.new_session_done)
        if awaiting:
            self._finish()


class _SessionDone:
    """The ``done`` of ``'newSession'``: releases the held output; later calls do nothing."""

    __slots__ = ("cache", "called")

    def __init__(self, cache: SessionCache) -> None:
        self.cache = cache
        self.called = False

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None:
        if self.called:
            return
        self.called = True
        self.cache.session_done()
