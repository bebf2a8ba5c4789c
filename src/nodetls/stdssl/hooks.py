"""The handshake hooks of a ``nodetls.SSLObject``, answered before the listener returns.

Theory of operation
-------------------
A ``TLSSocket`` may answer a paused handshake later: the engine waits, and the answer
drives it on.  An ``SSLObject`` is driven by its caller (asyncio's ``SSLProtocol``,
trio's ``SSLStream``) only when bytes arrive, so nothing would resume a handshake
answered later.  Here every hook is therefore asked synchronously: the listener gets a
``cb`` and must call it before it returns (``_SyncAnswer``); a listener that returns
first (an ``async def`` one, or one that keeps ``cb`` for later) fails that handshake
with ``ERR_NODETLS_HOOK_NOT_ANSWERED``, whose message names ``create_server`` as the
way to answer asynchronously.

The hooks are Node's, in Node's order, with the context as the emitter:

* ``ClientHelloPaused``: ``'resumeSession'(session_id, cb)`` -> ``cb(None, der)``;
* ``CertCallbackPaused``: ``sni_callback(servername, cb)`` (or the stdlib's
  ``sni_callback(ssl_object, servername, context)``), then
  ``'OCSPRequest'(cert, issuer, cb)`` -> ``cb(None, response)``;
* ``NewSession`` (server): ``'newSession'(session_id, der, cb)``;
* ALPN and PSK callbacks, synchronous in Node too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodetls.engine import CertCallbackPaused, ClientHelloPaused, Event, NewSession, TLSEngine
from nodetls.engine.context import NativeSecureContext
from nodetls.node.errors import ERR_INVALID_ARG_VALUE, ERR_MULTIPLE_CALLBACK
from nodetls.node.events import EventEmitter
from nodetls.node.validators import validate_buffer, validate_object, validate_string
from nodetls.stdssl.errors import ERR_NODETLS_HOOK_NOT_ANSWERED, SSLError
from nodetls.tls.errors import ERR_TLS_ALPN_CALLBACK_INVALID_RESULT
from nodetls.tls.secure_context import SecureContext

if TYPE_CHECKING:
    from nodetls.stdssl.context import SSLContext
    from nodetls.stdssl.ssl_object import SSLObject

__all__ = ["alpn_callback", "load_cert", "load_session", "new_session", "psk_callback"]


class _SyncAnswer:
    """A Node-style ``cb(err, value)`` whose answer is read when the listener returns."""

    __slots__ = ("called", "error", "value")

    def __init__(self) -> None:
        self.called = 0
        self.error: BaseException | None = None
        self.value: Any = None

    def __call__(self, err: BaseException | None = None, value: Any = None) -> None:
        self.called += 1
        if self.called == 1:
            self.error, self.value = err, value


def _result(hook: str, cb: _SyncAnswer) -> Any:
    if not cb.called:
        raise ERR_NODETLS_HOOK_NOT_ANSWERED(hook)
    if cb.called > 1:
        raise ERR_MULTIPLE_CALLBACK()
    if cb.error is not None:
        raise cb.error
    return cb.value


def _returned(result: object) -> None:
    """An ``async def`` listener cannot answer in time: drop its coroutine quietly."""
    if inspect.iscoroutine(result):
        result.close()


def _ask(hook: str, call: Callable[[_SyncAnswer], object]) -> Any:
    cb = _SyncAnswer()
    _returned(call(cb))
    return _result(hook, cb)


def _emit(events: EventEmitter, event: str, args: tuple[Any, ...]) -> tuple[bool, Any]:
    """``emit(event, *args, cb)`` answered synchronously: (had listeners, answer)."""
    if not events.listener_count(event):
        return False, None
    cb = _SyncAnswer()
    for stored, listener in zip(events.raw_listeners(event), events.listeners(event),
                                strict=True):
        if stored is not listener:  # a once-wrapper: removed before the call, as in Node
            events.remove_listener(event, listener)
        _returned(listener(*args, cb))
    return True, _result(f"an {event!r} listener", cb)


# --- resumeSession / newSession -------------------------------------------------------------


def load_session(context: SSLContext, engine: TLSEngine, hello: ClientHelloPaused) -> (
    list[Event]
):
    """Node's ``loadSession``: ``'resumeSession'`` gives the session to resume, or None."""
    der = None
    if hello.session_id and not hello.has_ticket:
        _, session = _emit(context.events, "resumeSession", (hello.session_id,))
        if isinstance(session, bytes | bytearray | memoryview):
            der = bytes(session)
    return engine.resume_client_hello(None, der)


def new_session(context: SSLContext, engine: TLSEngine, event: NewSession) -> list[Event]:
    """Node's ``onnewsession``: the server's output waits for ``'newSession'``'s ``cb``."""
    _emit(context.events, "newSession", (event.session_id, event.der))
    return engine.new_session_done()


# --- SNI and OCSP ------------------------------------------------------------------------------


def _native(value: Any) -> NativeSecureContext | None:
    """An SNI answer as a native context: Node's rules, plus a ``nodetls.SSLContext``."""
    from_ssl_context = getattr(value, "native_context", None)
    if callable(from_ssl_context):
        native = from_ssl_context()
        assert isinstance(native, NativeSecureContext)
        return native
    if not value or isinstance(value, str | int | float):
        return None
    if isinstance(value, SecureContext):
        return value.context
    if isinstance(value, NativeSecureContext):
        return value
    raise TypeError("Invalid SNI context")


def _sni(context: SSLContext, obj: SSLObject, servername: str) -> NativeSecureContext | None:
    node_callback = context.config.socket.sni_callback
    if node_callback is not None:
        return _native(_ask("sni_callback", lambda cb: node_callback(servername, cb)))
    stdlib_callback = context.stdlib_sni_callback
    if stdlib_callback is None:
        return None
    alert = stdlib_callback(obj, servername, context)
    if alert is not None:
        raise SSLError(f"sni_callback refused {servername!r} with alert {alert}",
                       "ERR_SSL_SNI_CALLBACK_REFUSED", reason="SNI_CALLBACK_REFUSED")
    return _native(obj.take_sni_context())


def load_cert(context: SSLContext, obj: SSLObject, engine: TLSEngine,
              paused: CertCallbackPaused) -> list[Event]:
    """Node's ``loadSNI`` then ``requestOCSP``, then ``certCbDone``."""
    native = _sni(context, obj, paused.servername) if paused.servername else None
    response = None
    if paused.ocsp_requested and context.listener_count("OCSPRequest"):
        source = native if native is not None else context.native_context()
        _, answer = _emit(context.events, "OCSPRequest",
                          (source.get_certificate(), source.get_issuer()))
        response = bytes(answer) if answer else None
    return engine.cert_cb_done(native, response)


# --- ALPN and PSK (synchronous in Node too) ---------------------------------------------------


def alpn_callback(user: Callable[[dict[str, Any]], Any]) -> Callable[[str | None, list[str]],
                                                                       str | None]:
    """Node's ``callALPNCallback``: ``user({'servername', 'protocols'})`` picks one; a
    choice the client did not offer is ``ERR_TLS_ALPN_CALLBACK_INVALID_RESULT``."""

    def select(servername: str | None, protocols: list[str]) -> str | None:
        choice = user({"servername": servername or False, "protocols": protocols})
        if choice is None:
            return None
        if choice not in protocols:
            raise ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(choice, protocols)
        return str(choice)

    return select


def psk_callback(obj: SSLObject, user: Callable[..., Any], server: bool) -> Callable[..., Any]:
    """Node's PSK callbacks: a server's ``user(ssl_object, identity)`` returns the key
    (or ``{'psk'}``); a client's ``user(hint)`` returns ``{'psk', 'identity'}``."""

    def server_answer(identity: str, max_psk_len: int) -> bytes | None:
        ret = user(obj, identity)
        if ret is None:
            return None
        psk = ret.get("psk") if isinstance(ret, dict) else ret
        validate_buffer(psk, "psk")
        assert isinstance(psk, bytes | bytearray | memoryview)
        return _fits(bytes(psk), max_psk_len, "Pre-shared key", "psk")

    def client_answer(hint: str | None, max_psk_len: int, max_identity_len: int) -> (
        tuple[str, bytes] | None
    ):
        ret = user(hint)
        if ret is None:
            return None
        validate_object(ret, "ret")
        psk, identity = ret.get("psk"), ret.get("identity")
        validate_buffer(psk, "psk")
        validate_string(identity, "identity")
        _fits(str(identity).encode("utf-8"), max_identity_len, "PSK identity", "identity")
        return str(identity), _fits(bytes(psk), max_psk_len, "Pre-shared key", "psk")

    return server_answer if server else client_answer


def _fits(value: bytes, limit: int, what: str, name: str) -> bytes:
    if len(value) > limit:
        raise ERR_INVALID_ARG_VALUE(name, value, f"{what} exceeds {limit} bytes")
    return value
