"""The handshake-time hooks of a ``TLSSocket``: Node's ``loadSession``, ``loadSNI``,
``requestOCSP``, ``onnewsession``, ``onhandshakestart``, ALPN and PSK callbacks.

Theory of operation
-------------------
The engine pauses a server handshake at two points and waits for an answer:

* ``ClientHelloPaused`` (session callbacks on: the server has ``'resumeSession'`` or
  ``'newSession'`` listeners): ``'resumeSession'``, in ``sessions.py`` with
  ``'newSession'`` (Node's ``loadSession``/``onnewsession``).
* ``CertCallbackPaused`` (an ``sni_callback``, ``add_context`` entries, or an
  ``'OCSPRequest'`` listener): ``sni_callback(servername, cb)`` (or v0.6's
  ``sni_callback(servername)`` returning it) picks a context, then
  ``'OCSPRequest'(cert, issuer, cb)`` may give a response to staple, then
  ``engine.cert_cb_done(context, ocsp_response)`` (Node's ``loadSNI`` -> ``requestOCSP``
  -> ``certCbDone``).

Each answer is a single-use ``_Once`` callback: a second call destroys the socket with
``ERR_MULTIPLE_CALLBACK``, an answer after the socket is gone with ``ERR_SOCKET_CLOSED``,
an error answer destroys the socket with it.  An ``async def`` ``sni_callback`` (or
``'OCSPRequest'`` listener) may return its context (or response) instead of calling
``cb`` (API.md).  A hook that raises is handled by ``user_code``'s one policy
(reported to the loop, the connection destroyed, the server serving on).

Without such listeners a ``session_cache_size`` context resumes from OpenSSL's own
cache (``tls.hardening``); with them it is switched off for the connection.

Renegotiations are counted on ``HandshakeStarted`` against the live ``CLIENT_RENEG_LIMIT`` /
``CLIENT_RENEG_WINDOW``.  ALPN and PSK callbacks are synchronous, as in Node: their
errors destroy the socket and make the handshake fail.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nodetls.engine import CertCallbackPaused, TLSEngine
from nodetls.engine.errors import TLSError
from nodetls.node.errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_MULTIPLE_CALLBACK,
    ERR_SOCKET_CLOSED,
)
from nodetls.node.events import arity, call_with_arity
from nodetls.node.scheduling import next_tick
from nodetls.node.validators import validate_buffer, validate_object, validate_string
from nodetls.tls.constants import defaults
from nodetls.tls.errors import (
    ERR_TLS_ALPN_CALLBACK_INVALID_RESULT,
    ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED,
    ERR_TLS_RENEGOTIATION_DISABLED,
    ERR_TLS_SESSION_ATTACK,
)
from nodetls.tls.secure_context import SecureContext
from nodetls.tls.user_code import FAILED, emit_hook, guarded, guarded_now, later

if TYPE_CHECKING:
    from nodetls.engine.context import NativeSecureContext
    from nodetls.tls.server import Server
    from nodetls.tls.socket_config import SocketConfig
    from nodetls.tls.tls_socket import TLSSocket

__all__ = [
    "default_sni_callback",
    "init_psk",
    "init_server_engine",
    "load_sni",
    "on_handshake_start",
    "sni_pattern",
]


# --- setup ---------------------------------------------------------------------------------


def init_server_engine(sock: TLSSocket, engine: TLSEngine, config: SocketConfig) -> None:
    """Turn on the engine callbacks a server connection needs (Node's ``_init``)."""
    if config.alpn_callback is not None:
        engine.set_alpn_callback(_alpn_callback(sock, config.alpn_callback))
    server = config.server
    if server is not None:
        own_cache = bool(server.listener_count("resumeSession")
                         or server.listener_count("newSession"))
        if own_cache:
            engine.enable_session_callbacks()
        # session_cache_size serves only servers without a cache of their own
        config.context.context.use_session_cache(not own_cache)
        if server.listener_count("OCSPRequest"):
            engine.enable_cert_callback()
        if server.listener_count("keylog"):
            engine.enable_keylog()
    sni = config.sni_callback
    if sni is not None and (sni is not default_sni_callback
                            or (server is not None and server._contexts)):
        engine.enable_cert_callback()


def init_psk(sock: TLSSocket, engine: TLSEngine, config: SocketConfig) -> None:
    user = config.psk_callback
    assert user is not None
    if config.is_server:
        engine.set_psk_callback(_psk_server_callback(sock, user))
        if config.psk_identity_hint:
            try:
                engine.set_psk_identity_hint(config.psk_identity_hint)
            except TLSError:  # too long for OpenSSL: Node's onerror, from _init
                next_tick(sock._on_tls_error, ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED())
    else:
        engine.set_psk_callback(_psk_client_callback(sock, user))


# --- single-use answers ------------------------------------------------------------------------


class _Once:
    """A Node-style ``cb(err, value)`` that may be called once, maybe later.

    An answer given while the question is still being asked (``cb`` called from inside
    the user's callback) takes effect when that callback returns, as Node's ``Cycle()``
    runs no deeper than once: a second synchronous call destroys the socket before any
    of the handshake goes out.
    """

    __slots__ = ("answer", "asking", "called", "done", "sock")

    def __init__(self, sock: TLSSocket, done: Callable[[Any], None]) -> None:
        self.sock = sock
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
        if sock._tls() is None:
            sock.destroy(ERR_SOCKET_CLOSED())
            return
        try:
            self.done(value)
        except Exception as exc:
            sock.destroy(exc)


def _call_user(what: str, fn: Callable[..., Any], args: Sequence[Any], cb: _Once) -> None:
    """Call ``fn(*args, cb)``; an ``async def`` may return its answer instead."""
    def answer(value: Any) -> None:
        if not cb.called:
            cb(None, value)

    result = cb.ask(lambda: guarded(cb.sock, what, fn, *args, cb))
    if result is not FAILED and inspect.isawaitable(result):
        later(cb.sock, what, result, answer)


# --- SNICallback and OCSPRequest ---------------------------------------------------------------


def sni_pattern(servername: str) -> re.Pattern[str]:
    """Node's ``addContext`` pattern: ``*`` matches within one label."""
    escaped = re.sub(r"([.^$+?\-\\\[\]{}])", r"\\\1", servername).replace("*", "[^.]*")
    return re.compile(f"^{escaped}$")


def default_sni_callback(server: Server, servername: str,
                         cb: Callable[[BaseException | None, Any], None]) -> None:
    """Node's default ``SNICallback``: the last ``add_context`` entry that matches."""
    for pattern, context in reversed(server._contexts):
        if pattern.match(servername):
            cb(None, context)
            return
    cb(None, None)


def load_sni(sock: TLSSocket, info: CertCallbackPaused) -> None:
    """Node's ``loadSNI``: the SNI callback picks the context, then ``requestOCSP``."""
    config = sock._config
    callback = config.sni_callback
    if not info.servername or callback is None:
        _request_ocsp(sock, info, None)
        return

    def chosen(context: Any) -> None:
        native = _native_context(context)
        _request_ocsp(sock, info, native)

    cb = _Once(sock, chosen)
    if callback is default_sni_callback:
        if config.server is not None:
            default_sni_callback(config.server, info.servername, cb)
        else:
            cb()
        return
    if arity(callback) <= 1:
        callback = _returning(callback)
    _call_user("sni_callback", callback, (info.servername,), cb)


def _returning(fn: Callable[..., Any]) -> Callable[[str, _Once], Any]:
    """Node v0.6's ``SNICallback(servername)``, which returns the ``SecureContext`` (or
    ``None``), as the ``(servername, cb)`` form.  A one-parameter callable is this form
    (Node's docs changed it without renaming it, so the parameter count tells them apart);
    an ``async def`` of one parameter returns its answer later, as the other forms may."""

    def call(servername: str, cb: _Once) -> Any:
        result = call_with_arity(fn, (servername,))
        if inspect.isawaitable(result):
            return result
        cb(None, result)
        return None

    return call


def _native_context(context: Any) -> NativeSecureContext | None:
    """Node's ``sni_context = context.context || context`` then ``CertCbDone``: a falsy
    answer or a primitive (string, number: not a JS object) keeps the default context,
    any other non-``SecureContext`` object is a ``TypeError``."""
    if not context or isinstance(context, str | int | float):
        return None
    if isinstance(context, SecureContext):
        return context.context
    if hasattr(context, "ctx") and hasattr(context, "callbacks_installed"):
        return context  # type: ignore[no-any-return]
    raise TypeError("Invalid SNI context")


def _request_ocsp(sock: TLSSocket, info: CertCallbackPaused,
                  sni_context: NativeSecureContext | None) -> None:
    server = sock._config.server
    if not info.ocsp_requested or server is None or not server.listener_count("OCSPRequest"):
        _cert_cb_done(sock, sni_context, None)
        return
    context = sni_context if sni_context is not None else server._shared_context.context

    def answered(response: Any) -> None:
        _cert_cb_done(sock, sni_context, bytes(response) if response else None)

    cb = _Once(sock, answered)
    cert, issuer = context.get_certificate(), context.get_issuer()
    # an async def listener may return the response (API.md)
    cb.ask(lambda: emit_hook(sock, server, "OCSPRequest", (cert, issuer), cb))


def _cert_cb_done(sock: TLSSocket, context: NativeSecureContext | None,
                  response: bytes | None) -> None:
    tls = sock._tls()
    if tls is None:
        return
    try:
        tls.drive(tls.engine.cert_cb_done, context, response)
    except Exception as exc:
        sock.destroy(exc)


# --- renegotiation limits ------------------------------------------------------------------


def on_handshake_start(sock: TLSSocket) -> None:
    """Node's ``onhandshakestart``: count client renegotiations in the window."""
    now = asyncio.get_running_loop().time() * 1000.0
    last = sock._last_handshake
    sock._last_handshake = now
    if last == 0:
        return
    if now - last >= float(defaults.CLIENT_RENEG_WINDOW) * 1000.0:
        sock._handshakes = 1
    else:
        sock._handshakes += 1
    if sock._handshakes > int(defaults.CLIENT_RENEG_LIMIT):
        sock._emit_tls_error(ERR_TLS_SESSION_ATTACK())
        return
    if sock._renegotiation_disabled:
        sock._emit_tls_error(ERR_TLS_RENEGOTIATION_DISABLED())


# --- ALPN and PSK callbacks ----------------------------------------------------------------


def _alpn_callback(
    sock: TLSSocket, user: Callable[[dict[str, Any]], Any]
) -> Callable[[str | None, list[str]], str | None]:
    """Node's ``callALPNCallback``: ``user({'servername', 'protocols'})`` picks one."""

    def select(servername: str | None, protocols: list[str]) -> str | None:
        choice = guarded_now(sock, "alpn_callback", user,
                         {"servername": servername or False, "protocols": protocols})
        if choice is None or choice is FAILED:
            return None
        if choice not in protocols:
            sock.destroy(ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(choice, protocols))
            return None
        return str(choice)

    return select


def _psk_server_callback(sock: TLSSocket,
                         user: Callable[..., Any]) -> Callable[[str, int], bytes | None]:
    """Node's ``onPskServerCallback``: ``user(socket, identity)`` -> key or ``{'psk'}``."""

    def answer(identity: str, max_psk_len: int) -> bytes | None:
        ret = guarded_now(sock, "psk_callback", user, sock, identity)
        if ret is None or ret is FAILED:
            return None
        try:
            psk: object = ret
            if not isinstance(ret, bytes | bytearray | memoryview):
                if not isinstance(ret, dict):
                    raise ERR_INVALID_ARG_TYPE("ret", ["Object", "Buffer", "TypedArray",
                                                       "DataView"], ret)
                psk = ret.get("psk")
                validate_buffer(psk, "psk")
            assert isinstance(psk, bytes | bytearray | memoryview)
            if len(psk) > max_psk_len:
                raise ERR_INVALID_ARG_VALUE("psk", psk,
                                            f"Pre-shared key exceeds {max_psk_len} bytes")
            return bytes(psk)
        except Exception as exc:
            sock.destroy(exc)
            return None

    return answer


def _psk_client_callback(
    sock: TLSSocket, user: Callable[..., Any]
) -> Callable[[str | None, int, int], tuple[str, bytes] | None]:
    """Node's ``onPskClientCallback``: ``user(hint)`` -> ``{'psk', 'identity'}``."""

    def answer(hint: str | None, max_psk_len: int, max_identity_len: int) -> (
        tuple[str, bytes] | None
    ):
        ret = guarded_now(sock, "psk_callback", user, hint)
        if ret is None or ret is FAILED:
            return None
        try:
            validate_object(ret, "ret")
            psk, identity = ret.get("psk"), ret.get("identity")
            validate_buffer(psk, "psk")
            assert isinstance(psk, bytes | bytearray | memoryview)
            if len(psk) > max_psk_len:
                raise ERR_INVALID_ARG_VALUE("psk", psk,
                                            f"Pre-shared key exceeds {max_psk_len} bytes")
            validate_string(identity, "identity")
            assert isinstance(identity, str)
            if len(identity.encode("utf-8")) > max_identity_len:
                raise ERR_INVALID_ARG_VALUE("identity", identity,
                                            f"PSK identity exceeds {max_identity_len} bytes")
            return identity, bytes(psk)
        except Exception as exc:
            sock.destroy(exc)
            return None

    return answer
