"""The handshake-time work of a server ``TLSSocket`` (``ServerHandshake``): Node's
``loadSNI``, ``requestOCSP``, ``onhandshakestart``; ``loadSession`` and ``onnewsession``
through ``sessions.SessionCache``; the ALPN and PSK callbacks (PSK for clients too).

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

Each answer is a single-use ``answers.Once`` callback.  An ``async def`` ``sni_callback`` (or
``'OCSPRequest'`` listener) may return its context (or response) instead of calling
``cb`` (API.md).  A hook that raises is handled by ``user_code``'s one policy
(reported to the loop, the connection destroyed, the server serving on).

Without such listeners a ``session_cache_size`` context resumes from OpenSSL's own
cache (``tls.hardening``); with them it is switched off for the connection.

A ``ServerHandshake`` holds what it needs (the socket's public face, its TLS handle
getter, its lifecycle, the server's SNI table); it never reaches into the socket.
Renegotiations are counted on ``HandshakeStarted`` against the live ``CLIENT_RENEG_LIMIT`` /
``CLIENT_RENEG_WINDOW``.  ALPN and PSK callbacks are synchronous, as in Node: their
errors destroy the socket and make the handshake fail.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nodetls.engine import CertCallbackPaused, ClientHelloPaused, NewSession, TLSEngine
from nodetls.engine.context import NativeSecureContext
from nodetls.engine.errors import TLSError
from nodetls.node.errors import ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE
from nodetls.node.events import arity, call_with_arity
from nodetls.node.scheduling import next_tick
from nodetls.node.validators import validate_buffer, validate_object, validate_string
from nodetls.tls.answers import Once, call_user
from nodetls.tls.constants import defaults
from nodetls.tls.errors import (
    ERR_TLS_ALPN_CALLBACK_INVALID_RESULT,
    ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED,
    ERR_TLS_RENEGOTIATION_DISABLED,
    ERR_TLS_SESSION_ATTACK,
)
from nodetls.tls.lifecycle import Lifecycle
from nodetls.tls.secure_context import SecureContext
from nodetls.tls.sessions import SessionCache
from nodetls.tls.socket_config import SocketConfig
from nodetls.tls.user_code import FAILED, emit_hook, guarded_now

if TYPE_CHECKING:
    from nodetls.tls.server import Server
    from nodetls.tls.tls_socket import TLSSocket

__all__ = ["ServerHandshake", "default_sni_callback", "init_psk", "sni_pattern"]


class ServerHandshake:
    """One server connection's handshake hooks, renegotiation count and session cache."""

    # The socket's _tls/_emit_tls_error/_finish_init are looked up when used, not bound
    # here: three bound methods are ~200 bytes on every idle server connection.
    __slots__ = ("_config", "_handshakes", "_last_handshake", "_lifecycle",
                 "_renegotiation_disabled", "_sessions", "_sock")

    def __init__(self, sock: TLSSocket, config: SocketConfig, lifecycle: Lifecycle) -> None:
        self._sock = sock
        self._config = config
        self._last_handshake = 0.0
        self._handshakes = 0
        self._renegotiation_disabled = False  # disable_renegotiation() was called
        self._lifecycle = lifecycle
        self._sessions: SessionCache | None = None  # made when a session event comes

    @property
    def sessions(self) -> SessionCache:
        """``'resumeSession'`` and ``'newSession'`` for this connection (made on first use:
        most servers have no session listeners, and a resumption by ticket needs none)."""
        if self._sessions is None:
            sock = self._sock
            self._sessions = SessionCache(sock, self._config.server, self._lifecycle,
                                          sock._tls, sock._finish_init)
        return self._sessions

    def init_engine(self, engine: TLSEngine) -> None:
        """Turn on the engine callbacks a server connection needs (Node's ``_init``)."""
        config = self._config
        if config.alpn_callback is not None:
            engine.set_alpn_callback(_alpn_callback(self._sock, config.alpn_callback))
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
                                or (server is not None and server.has_sni_contexts)):
            engine.enable_cert_callback()

    def load_session(self, hello: ClientHelloPaused) -> None:
        self.sessions.load_session(hello)

    def on_new_session(self, event: NewSession) -> None:
        self.sessions.on_new_session(event)

    # --- SNICallback and OCSPRequest -----------------------------------------------------------

    def load_sni(self, info: CertCallbackPaused) -> None:
        """Node's ``loadSNI``: the SNI callback picks the context, then ``requestOCSP``."""
        config = self._config
        callback = config.sni_callback
        if not info.servername or callback is None:
            self._request_ocsp(info, None)
            return

        def chosen(context: Any) -> None:
            self._request_ocsp(info, _native_context(context))

        cb = Once(self._sock, self._sock._tls, chosen)
        if callback is default_sni_callback:
            if config.server is not None:
                default_sni_callback(config.server, info.servername, cb)
            else:
                cb()
            return
        if arity(callback) <= 1:
            callback = _returning(callback)
        call_user("sni_callback", callback, (info.servername,), cb)

    def _request_ocsp(self, info: CertCallbackPaused,
                      sni_context: NativeSecureContext | None) -> None:
        config = self._config
        server = config.server
        if not info.ocsp_requested or server is None or not server.listener_count("OCSPRequest"):
            self._cert_cb_done(sni_context, None)
            return
        context = sni_context if sni_context is not None else server.serving_context.context

        def answered(response: Any) -> None:
            self._cert_cb_done(sni_context, bytes(response) if response else None)

        cb = Once(self._sock, self._sock._tls, answered)
        cert, issuer = context.get_certificate(), context.get_issuer()
        # an async def listener may return the response (API.md)
        cb.ask(lambda: emit_hook(self._sock, server, "OCSPRequest", (cert, issuer), cb))

    def _cert_cb_done(self, context: NativeSecureContext | None,
                      response: bytes | None) -> None:
        tls = self._sock._tls()
        if tls is None:
            return
        try:
            tls.drive(tls.engine.cert_cb_done, context, response)
        except Exception as exc:
            self._sock.destroy(exc)

    # --- renegotiation limits ----------------------------------------------------------------

    def disable_renegotiation(self) -> None:
        """A later renegotiation by the peer is ``ERR_TLS_RENEGOTIATION_DISABLED``."""
        self._renegotiation_disabled = True

    def on_handshake_start(self) -> None:
        """Node's ``onhandshakestart``: count client renegotiations in the window."""
        now = asyncio.get_running_loop().time() * 1000.0
        last, self._last_handshake = self._last_handshake, now
        if last == 0:
            return
        if now - last >= float(defaults.CLIENT_RENEG_WINDOW) * 1000.0:
            self._handshakes = 1
        else:
            self._handshakes += 1
        if self._handshakes > int(defaults.CLIENT_RENEG_LIMIT):
            self._sock._emit_tls_error(ERR_TLS_SESSION_ATTACK())
            return
        if self._renegotiation_disabled:
            self._sock._emit_tls_error(ERR_TLS_RENEGOTIATION_DISABLED())


def sni_pattern(servername: str) -> re.Pattern[str]:
    """Node's ``addContext`` pattern: ``*`` matches within one label."""
    escaped = re.sub(r"([.^$+?\-\\\[\]{}])", r"\\\1", servername).replace("*", "[^.]*")
    return re.compile(f"^{escaped}$")


def default_sni_callback(server: Server, servername: str,
                         cb: Callable[[BaseException | None, Any], None]) -> None:
    """Node's default ``SNICallback``: the last ``add_context`` entry that matches."""
    cb(None, server.sni_context(servername))


def _returning(fn: Callable[..., Any]) -> Callable[[str, Once], Any]:
    """Node v0.6's ``SNICallback(servername)``, which returns the ``SecureContext`` (or
    ``None``), as the ``(servername, cb)`` form.  A one-parameter callable is this form
    (Node's docs changed it without renaming it, so the parameter count tells them apart);
    an ``async def`` of one parameter returns its answer later, as the other forms may."""

    def call(servername: str, cb: Once) -> Any:
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


# --- ALPN and PSK callbacks ----------------------------------------------------------------


def init_psk(sock: TLSSocket, engine: TLSEngine, config: SocketConfig,
             on_tls_error: Callable[[BaseException], None]) -> None:
    """The PSK callback (either side) and the server's identity hint."""
    user = config.psk_callback
    assert user is not None
    if config.is_server:
        engine.set_psk_callback(_psk_server_callback(sock, user))
        if config.psk_identity_hint:
            try:
                engine.set_psk_identity_hint(config.psk_identity_hint)
            except TLSError:  # too long for OpenSSL: Node's onerror, from _init
                next_tick(on_tls_error, ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED())
    else:
        engine.set_psk_callback(_psk_client_callback(sock, user))


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
