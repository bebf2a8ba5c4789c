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
  when the handshake finished meanwhile (``SecureState.AWAITING_SESSION``).  Calling
  ``done`` twice is harmless, as in Node.

API.md lets an ``async def`` listener return its answer instead of calling ``cb``
(``return der`` / ``return None``; raising is ``cb(err)``): :func:`emit_hook` emits
with that extra rule.  Synchronous listeners behave exactly as with ``emit``.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Protocol

from nodetls.engine import ClientHelloPaused, NewSession
from nodetls.node.errors import ERR_SOCKET_CLOSED
from nodetls.node.events import EventEmitter, call_with_arity
from nodetls.tls._server_hooks import _Once, answer_later

if TYPE_CHECKING:
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["emit_hook", "load_session", "on_new_session"]


class Answer(Protocol):
    """A Node-style single-use callback that knows whether it was called."""

    called: bool

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None: ...


def emit_hook(emitter: EventEmitter, event: str, args: tuple[Any, ...], cb: Answer) -> bool:
    """``emitter.emit(event, *args, cb)``, except that a listener returning an awaitable
    answers with its result (or exception) unless it called ``cb`` itself."""
    raw = emitter.raw_listeners(event)
    if not raw:
        return False
    for stored, listener in zip(raw, emitter.listeners(event), strict=True):
        if stored is not listener:  # a once-wrapper: removed before the call, as in Node
            emitter.remove_listener(event, listener)
        result = call_with_arity(listener, (*args, cb))
        if inspect.isawaitable(result):
            answer_later(result, cb)
    return True


def load_session(sock: TLSSocket, hello: ClientHelloPaused) -> None:
    """Node's ``loadSession``: ask ``'resumeSession'`` for the session the client offers."""

    def resume(session: Any) -> None:
        tls = sock._tls()
        assert tls is not None
        der = bytes(session) if isinstance(session, bytes | bytearray | memoryview) else None
        tls.drive(tls.engine.resume_client_hello, None, der)

    cb = _Once(sock, resume)
    server = sock._config.server
    if (not hello.session_id or hello.has_ticket or server is None
            or not emit_hook(server, "resumeSession", (hello.session_id,), cb)):
        cb()


class _SessionDone:
    """The ``done`` of ``'newSession'``: releases the held output; later calls do nothing."""

    __slots__ = ("called", "sock")

    def __init__(self, sock: TLSSocket) -> None:
        self.sock = sock
        self.called = False

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None:
        if self.called:
            return
        self.called = True
        sock = self.sock
        tls = sock._tls()
        if tls is None:
            sock.destroy(ERR_SOCKET_CLOSED())
            return
        sock._session_pending = False
        from nodetls.tls.tls_socket import SecureState

        awaiting = sock._secure is SecureState.AWAITING_SESSION
        tls.drive(tls.engine.new_session_done)
        if awaiting:
            sock._finish_init()


def on_new_session(sock: TLSSocket, event: NewSession) -> None:
    """Node's ``onnewsession``: ``'newSession'(id, data, done)``; output and ``'secure'``
    wait for ``done``."""
    server = sock._config.server
    tls = sock._tls()
    if server is None or tls is None:
        if tls is not None:
            tls.drive(tls.engine.new_session_done)
        return
    done = _SessionDone(sock)
    sock._session_pending = True
    if not emit_hook(server, "newSession", (event.session_id, event.der), done):
        done()

