"""What the engine does when OpenSSL calls back: the ``_hook_*`` methods.

Theory of operation.  ``callbacks.py`` routes each OpenSSL callback to one method
here, on the engine that owns the ``SSL*``.  A hook may

* append an event (``_emit`` first flushes the plaintext the current read call has
  already produced, so a renegotiation's ``HandshakeDone`` sits between the data before
  and after it);
* pause the handshake for the application (ClientHello, cert callback): it moves the
  connection to ``HELLO_PAUSED``/``CERT_PAUSED`` and returns OpenSSL's retry value; the
  engine resumes when the application answers;
* hold back output (a server's new session, until ``new_session_done()``: Node's
  ``awaiting_new_session``; not for the renewal ticket of a resumed TLS 1.3 connection,
  which Node never issues, so never announces);
* answer OpenSSL synchronously from a user callable (ALPN, PSK), as Node does.

A hook that raises never lets the exception reach C: ``callbacks.py`` captures it and
the engine re-raises it from the method that drove OpenSSL.
"""

from __future__ import annotations

from collections.abc import Callable

from nodetls._openssl import CData, consume_errors, ffi, lib
from nodetls.engine import info
from nodetls.engine.errors import EngineError, TLSError
from nodetls.engine.events import (
    AppData,
    CertCallbackPaused,
    ClientHelloPaused,
    Event,
    HandshakeDone,
    HandshakeStarted,
    KeylogLine,
    NewSession,
    OCSPResponse,
)
from nodetls.engine.state import ConnectionState, Trigger, fire

T = Trigger

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_CERT_CALLBACK = T.CERT_CALLBACK
_CERT_PAUSED = ConnectionState.CERT_PAUSED
_CLIENT_HELLO = T.CLIENT_HELLO
_HANDSHAKE_DONE = T.HANDSHAKE_DONE

#: Server: ``callback(identity, max_psk_len) -> key | None``.
PskServerCallback = Callable[[str, int], "bytes | None"]
#: Client: ``callback(hint, max_psk_len, max_identity_len) -> (identity, key) | None``.
PskClientCallback = Callable[["str | None", int, int], "tuple[str, bytes] | None"]
#: Server: ``callback(servername, offered_protocols) -> protocol | None``.
AlpnCallback = Callable[["str | None", list[str]], "str | None"]


class EngineHooks:
    """The callback half of ``TLSEngine``: the state the hooks touch lives here."""

    __slots__ = (
        "_alpn_callback", "_events", "_flushed", "_is_server", "_ocsp_response",
        "_psk_callback", "_rbuf", "_sessions_awaited", "_slot", "_ssl", "_state",
    )

    _ssl: CData
    _slot: CData
    _state: ConnectionState
    _is_server: bool
    _events: list[Event]
    _rbuf: CData | None
    _flushed: int
    _sessions_awaited: int
    _ocsp_response: bytes | None
    _psk_callback: PskServerCallback | PskClientCallback | None
    _alpn_callback: AlpnCallback | None

    def _fire(self, trigger: Trigger) -> None:
        """The one way the state changes: the table of ``state.py``."""
        self._state = fire(self._state, trigger)

    def _emit(self, event: Event) -> None:
        buf = self._rbuf
        if buf is not None:  # keep wire order: plaintext read before this event first
            progress = self._slot.read_progress
            if progress > self._flushed:
                data: bytes = ffi.buffer(buf + self._flushed, progress - self._flushed)[:]
                self._events.append(AppData(data))
                self._flushed = progress
        self._events.append(event)

    def _hook_handshake(self, where: int) -> None:
        if where & lib.SSL_CB_HANDSHAKE_START:
            self._emit(HandshakeStarted())
        if where & lib.SSL_CB_HANDSHAKE_DONE:
            self._fire(_HANDSHAKE_DONE)
            self._emit(HandshakeDone())

    def _hook_keylog(self, line: bytes) -> None:
        self._emit(KeylogLine(line + b"\n"))

    def _hook_new_session(self, session: CData) -> None:
        if self._is_server and self._is_renewal_ticket():
            return
        session_id, der = info.session_info(session)
        if self._is_server:  # output waits for every pending new_session_done()
            self._sessions_awaited += 1
        self._emit(NewSession(session_id, der))

    def _is_renewal_ticket(self) -> bool:
        """The stateless ticket a resumed TLS 1.3 connection gets from our ticket
        callback's "renew" (a deliberate difference: Node's server sends none there).  It
        is not announced as a new session, so the events are Node's: Node emits no
        ``'newSession'`` on such a connection, and a stateless ticket carries its session
        in itself, so no session store needs it.  Stateful tickets (``SSL_OP_NO_TICKET``)
        are sessions to store and are announced."""
        ssl = self._ssl
        return bool(lib.SSL_session_reused(ssl)
                    and lib.SSL_version(ssl) == lib.TLS1_3_VERSION
                    and not lib.SSL_get_options(ssl) & lib.SSL_OP_NO_TICKET)

    def _hook_client_hello(self) -> int:
        servername, session_id, has_ticket = info.client_hello(self._ssl)
        self._fire(_CLIENT_HELLO)
        self._emit(ClientHelloPaused(servername, session_id, has_ticket))
        return int(lib.SSL_CLIENT_HELLO_RETRY)

    def _hook_cert(self) -> int:
        if self._state is not _CERT_PAUSED:  # OpenSSL asks again on retry
            ocsp = lib.SSL_get_tlsext_status_type(self._ssl) == lib.TLSEXT_STATUSTYPE_ocsp
            self._fire(_CERT_CALLBACK)
            self._emit(CertCallbackPaused(info.servername(self._ssl), ocsp))
        return -1  # SSL_ERROR_WANT_X509_LOOKUP until cert_cb_done()

    def _hook_status(self) -> int:
        if not self._is_server:
            self._emit(OCSPResponse(info.ocsp_response(self._ssl)))
            return 1  # accept; the application may destroy the connection itself
        response, self._ocsp_response = self._ocsp_response, None
        if response is None:
            return int(lib.SSL_TLSEXT_ERR_NOACK)
        if not lib.nodetls_engine_set_ocsp_response(self._ssl, response, len(response)):
            raise TLSError(consume_errors(), "SSL_set_tlsext_status_ocsp_resp")
        return int(lib.SSL_TLSEXT_ERR_OK)

    def _hook_alpn(self, out: CData, outlen: CData, offer: CData, offer_len: int) -> int:
        assert self._alpn_callback is not None
        offered = info.alpn_offer(offer, offer_len)
        choice = self._alpn_callback(info.servername(self._ssl),
                                     [p.decode("latin-1") for p in offered])
        if choice is None:
            return int(lib.SSL_TLSEXT_ERR_ALERT_FATAL)
        wanted, pos = choice.encode("latin-1"), 0
        for proto in offered:  # OpenSSL wants a pointer into the client's own list
            if proto == wanted:
                out[0], outlen[0] = offer + pos + 1, len(proto)
                return int(lib.SSL_TLSEXT_ERR_OK)
            pos += 1 + len(proto)
        raise EngineError(f"ALPN callback chose {choice!r}, which the client did not offer")

    def _hook_psk_server(self, identity: CData, psk: CData, max_psk_len: int) -> int:
        try:  # Node refuses identities that are not valid UTF-8
            name = ffi.string(identity).decode("utf-8")
        except UnicodeDecodeError:
            return 0
        callback: PskServerCallback = self._psk_callback  # type: ignore[assignment]
        key = callback(name, max_psk_len)
        if key is None or len(key) > max_psk_len:
            return 0
        ffi.memmove(psk, key, len(key))
        return len(key)

    def _hook_psk_client(self, hint: CData, identity: CData, max_identity_len: int,
                         psk: CData, max_psk_len: int) -> int:
        callback: PskClientCallback = self._psk_callback  # type: ignore[assignment]
        text = None if hint == ffi.NULL else ffi.string(hint).decode("utf-8", "replace")
        answer = callback(text, max_psk_len, max_identity_len)
        if answer is None:
            return 0
        name, key = answer[0].encode("utf-8"), answer[1]
        if len(key) > max_psk_len or len(name) > max_identity_len:
            return 0
        ffi.memmove(identity, name + b"\0", len(name) + 1)  # OpenSSL's buffer has room
        ffi.memmove(psk, key, len(key))
        return len(key)
