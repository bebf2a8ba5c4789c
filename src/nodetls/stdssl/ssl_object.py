"""``nodetls.SSLObject``: the stdlib's BIO-pair protocol over one ``TLSEngine``.

Theory of operation
-------------------
asyncio's ``SSLProtocol`` (and uvloop's, trio's ``SSLStream``, anyio's ``TLSStream``)
owns two ``ssl.MemoryBIO``: it writes the ciphertext it received into ``incoming``
(and ``write_eof()`` when the transport ends), calls ``do_handshake``/``read``/
``write``/``unwrap``, and sends whatever appeared in ``outgoing``.  An operation
that needs more bytes raises ``ssl.SSLWantReadError``; the caller retries when bytes
arrive.  This class speaks that protocol and nothing else:

* every operation first moves ``incoming`` into the engine (``_pull``), handles the
  events in wire order (plaintext into ``_plain``, close_notify, the handshake's end,
  the hooks of ``hooks.py``), and ends by moving the engine's output into
  ``outgoing`` (``_flush``), so alerts and handshake flights always go out;
* ``read`` serves ``_plain`` first; with nothing buffered it returns ``b''`` after the
  peer's close_notify (as CPython does), raises ``SSLEOFError`` after a transport EOF
  without one, ``SSLWantReadError`` otherwise;
* verification is Node's: the handshake itself never fails on the chain; when it is
  done the verify result, then ``check_server_identity``, decide, and a refusal is an
  ``SSLCertVerificationError`` (``reject_unauthorized``) or ``authorization_error``;
* a failure is sticky: the same exception is raised by every later operation.

The connection's state is two enums: ``Phase`` (handshaking, open, failed) and
``ReadEnd`` (open, close_notify received, transport EOF).  Node's getters come from
``TLSSocketInfo`` (``get_peer_certificate``, ``export_keying_material``, ...).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from nodetls.engine import (
    AppData,
    CertCallbackPaused,
    ClientHelloPaused,
    CloseNotify,
    Event,
    HandshakeDone,
    KeylogLine,
    NewSession,
    OCSPResponse,
    TLSEngine,
    TLSFailure,
)
from nodetls.engine.errors import EngineStateError
from nodetls.engine.state import WRITABLE_STATES, ConnectionState
from nodetls.engine.stdlib_info import cipher_tuple, connection_ciphers
from nodetls.engine.verify import verify_failure
from nodetls.node.os_sockets import ip_version
from nodetls.stdssl import errors, hooks
from nodetls.stdssl.peercert import stdlib_certificate
from nodetls.stdssl.session import SSLSession
from nodetls.tls.errors import ERR_TLS_DH_PARAM_SIZE, translate_openssl_error
from nodetls.tls.lifecycle import Lifecycle, Trigger
from nodetls.tls.tls_socket_info import TLSSocketInfo

if TYPE_CHECKING:
    from nodetls.stdssl.context import SSLContext

__all__ = ["Phase", "ReadEnd", "SSLObject"]


class Phase(Enum):
    HANDSHAKING = "handshaking"
    OPEN = "open"
    FAILED = "failed"


_HANDSHAKING: Final = Phase.HANDSHAKING  # read/write test these on every call
_OPEN: Final = Phase.OPEN


class ReadEnd(Enum):
    OPEN = "open"
    CLOSE_NOTIFY = "close-notify"  # the peer closed cleanly: read() returns b''
    EOF = "eof"  # the transport ended first: SSLEOFError


class SSLObject(TLSSocketInfo, ssl.SSLObject):
    """One TLS connection over two ``ssl.MemoryBIO``, on the nodetls engine."""

    def __init__(self, context: SSLContext, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
                 *, server_side: bool, server_hostname: str | None,
                 session: SSLSession | bytes | None = None) -> None:
        config = context.config
        self._context = context
        self._settings = config
        self._config = config.socket  # what TLSSocketInfo reads
        self._incoming = incoming
        self._outgoing = outgoing
        self._server_side = server_side
        self._server_hostname = server_hostname
        self._tls_engine = TLSEngine(config.context.context, is_server=server_side)
        self._plain = bytearray()
        self._phase = Phase.HANDSHAKING
        self._read_end = ReadEnd.OPEN
        self._error: ssl.SSLError | None = None
        self._lifecycle = Lifecycle(True, 0)  # what TLSSocketInfo reads: handshake done?
        self._sni_context: object = None
        self._unwrapped_engine = None
        self.authorized = False
        self.authorization_error: str | None = None
        self.alpn_protocol: str | bool | None = None
        self._setup(session)

    @classmethod
    def _create(cls, *args: Any, **kwargs: Any) -> SSLObject:
        raise TypeError("use nodetls.SSLContext.wrap_bio() to make an SSLObject")

    # --- setup --------------------------------------------------------------------------

    def _setup(self, session: SSLSession | bytes | None) -> None:
        engine, config, context = self._tls_engine, self._settings.socket, self._context
        engine.keep_buffers()  # asyncio's SSLProtocol costs far more per connection anyway
        if self._server_side:
            engine.set_verify_mode(config.request_cert, config.reject_unauthorized)
            if config.alpn_callback is not None:
                engine.set_alpn_callback(hooks.alpn_callback(config.alpn_callback))
            if context.listener_count("resumeSession") or context.listener_count("newSession"):
                engine.enable_session_callbacks()
            if (context.listener_count("OCSPRequest") or config.sni_callback is not None
                    or context.stdlib_sni_callback is not None):
                engine.enable_cert_callback()
        else:
            der = session.der if isinstance(session, SSLSession) else session or config.session
            if der:
                engine.set_session(der)
            sni = self._server_hostname or self._settings.servername
            if sni and not ip_version(sni):
                engine.set_servername(sni)
            if config.request_ocsp:
                engine.request_ocsp()
        if context.wants_keylog():
            engine.enable_keylog()
        if config.alpn_wire is not None:
            engine.set_alpn_protocols(config.alpn_wire)
        if config.npn_wire is not None:
            engine.set_npn_protocols(config.npn_wire)
        if config.psk_callback is not None:
            engine.set_psk_callback(hooks.psk_callback(self, config.psk_callback,
                                                       self._server_side))
            if self._server_side and config.psk_identity_hint:
                engine.set_psk_identity_hint(config.psk_identity_hint)
        if config.enable_trace:
            engine.enable_trace()

    def _engine(self) -> TLSEngine:
        return self._tls_engine

    # --- driving ------------------------------------------------------------------------

    def _pull(self) -> None:
        """Give the engine what arrived, handle what it produced, send what it wrote."""
        chunk = self._pull_chunk()
        if chunk is not None:
            self._plain += chunk

    def _pull_chunk(self) -> bytes | None:
        """``_pull``, except that plaintext arriving as one chunk with nothing else (a
        record of application data: the hot path) is returned instead of buffered."""
        incoming = self._incoming
        data = incoming.read()
        chunk = None
        if data:
            if self._error is None:
                try:
                    events = self._tls_engine.receive(data)
                    if events.__len__() == 1 and type(events[0]) is AppData:
                        chunk = events[0].data
                    elif events:
                        self._dispatch(events)
                except Exception as exc:  # a TLS failure, a refused peer, a callback
                    self._fail(exc)
            out = self._tls_engine.data_to_send()  # _flush(), inlined: once per record
            if out:
                self._outgoing.write(out)
        if incoming.eof and self._read_end is ReadEnd.OPEN:
            self._tls_engine.receive_eof()
            self._read_end = ReadEnd.EOF
        return chunk

    def _run(self, step: Callable[..., list[Event]], *args: Any) -> None:
        if self._error is not None:
            return
        try:
            self._dispatch(step(*args))
        except Exception as exc:  # a TLS failure, a refused peer, a callback that raised
            self._fail(exc)

    def _flush(self) -> None:
        out = self._tls_engine.data_to_send()
        if out:
            self._outgoing.write(out)

    def _fail(self, exc: BaseException) -> None:
        self._error = errors.from_exception(translate_openssl_error(exc))
        self._phase = Phase.FAILED
        self._flush()  # the alert OpenSSL queued, so the peer learns why

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            more = self._on_event(event)
            if more:
                self._dispatch(more)

    def _on_event(self, event: Event) -> list[Event] | None:
        kind = type(event)
        if kind is AppData:
            self._plain += event.data  # type: ignore[union-attr,arg-type]
        elif kind is CloseNotify:
            self._read_end = ReadEnd.CLOSE_NOTIFY
        elif kind is TLSFailure:
            raise event.error  # type: ignore[union-attr]
        elif kind is HandshakeDone:
            if self._phase is Phase.HANDSHAKING:
                self._on_handshake_done()
        elif kind is KeylogLine:
            self._context.on_keylog(event.line, self)  # type: ignore[union-attr]
        elif kind is OCSPResponse:
            self._context.emit("OCSPResponse", event.data, self)  # type: ignore[union-attr]
        elif kind is ClientHelloPaused:
            return hooks.load_session(self._context, self._tls_engine, event)  # type: ignore[arg-type]
        elif kind is CertCallbackPaused:
            return hooks.load_cert(self._context, self, self._tls_engine, event)  # type: ignore[arg-type]
        elif kind is NewSession and self._server_side:
            return hooks.new_session(self._context, self._tls_engine, event)  # type: ignore[arg-type]
        return None

    # --- the handshake's end: Node's onConnectSecure / onServerSocketSecure -------------

    def _on_handshake_done(self) -> None:
        self._phase = Phase.OPEN
        self._lifecycle.fire(Trigger.HANDSHAKE_DONE)
        self.alpn_protocol = self._tls_engine.alpn_protocol() or False
        if self._server_side:
            self._authorize_client()
        else:
            self._verify_server()

    def _authorize_client(self) -> None:
        config = self._settings.socket
        if not config.request_cert:
            return
        failure = verify_failure(self._tls_engine.verify_result())
        if failure is None:
            self.authorized = True
            return
        self.authorization_error = failure.code
        if config.reject_unauthorized:
            raise errors.SSLCertVerificationError.from_failure(failure)

    def _verify_server(self) -> None:
        engine = self._tls_engine
        key = engine.ephemeral_key_info() or {}
        size = key.get("size")
        if key.get("type") == "DH" and isinstance(size, int) and size < self._settings.min_dh_size:
            raise ERR_TLS_DH_PARAM_SIZE(size)
        failure = verify_failure(engine.verify_result())
        error = errors.SSLCertVerificationError.from_failure(failure) if failure else None
        if error is None and not engine.is_session_reused():
            host = self._server_hostname or self._settings.servername or "localhost"
            refusal = self._settings.check_server_identity(host, self.get_peer_certificate(True))
            if refusal is not None:
                error = errors.SSLCertVerificationError.from_identity(refusal)
        if error is None:
            self.authorized = True
            return
        self.authorization_error = error.code
        if self._settings.socket.reject_unauthorized:
            raise error

    # --- the ssl.SSLObject protocol ---------------------------------------------------------

    def do_handshake(self) -> None:
        """Advance the handshake; ``SSLWantReadError`` until the peer's bytes arrive."""
        if self._phase is Phase.HANDSHAKING:
            engine = self._tls_engine
            if not self._server_side and engine.state is ConnectionState.NEW:
                self._run(engine.start)
                self._flush()  # the ClientHello
            self._pull()
        self._raise_error()
        if self._phase is Phase.HANDSHAKING:
            if self._read_end is ReadEnd.EOF:
                raise errors.eof_error()
            raise errors.want_read()

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        """Up to ``len`` bytes (or, with ``buffer``, their count written into it)."""
        plain = self._plain
        if not plain:
            if self._phase is _HANDSHAKING:
                self.do_handshake()
            incoming = self._incoming
            if incoming.pending or incoming.eof:
                chunk = self._pull_chunk()
                if chunk is not None:
                    if buffer is None and len >= chunk.__len__():
                        return chunk  # no copy: asyncio's data_received gets the record
                    plain += chunk
            if not plain:  # asyncio reads until this: keep it short
                return self._nothing_to_read(buffer)
        available = plain.__len__()
        if buffer is None:
            if len >= available:
                chunk = bytes(plain)
                plain.clear()
                return chunk
            chunk = bytes(plain[:len])
            del plain[:len]
            return chunk
        view = buffer if type(buffer) is bytearray else memoryview(buffer).cast("B")
        size = view.__len__()
        if len <= 0 or len > size:
            len = size
        if len >= available:
            view[:available] = plain
            plain.clear()
            return available
        view[:len] = plain[:len]
        del plain[:len]
        return len

    def _nothing_to_read(self, buffer: Any) -> Any:
        self._raise_error()
        if self._read_end is ReadEnd.CLOSE_NOTIFY:
            return 0 if buffer is not None else b""
        if self._read_end is ReadEnd.EOF:
            raise errors.eof_error()
        raise errors.want_read()

    def write(self, data: Any) -> int:
        """Encrypt ``data`` into ``outgoing``; returns its length."""
        if self._phase is not _OPEN:
            self.do_handshake()  # raises unless it finishes now
        self._raise_error()
        engine = self._tls_engine
        try:
            events = engine.send(data)
            if events:
                self._dispatch(events)
        except EngineStateError:
            raise errors.SSLError("cannot write: this side closed the connection",
                                  "ERR_STREAM_WRITE_AFTER_END",
                                  reason="PROTOCOL_IS_SHUTDOWN") from None
        except Exception as exc:
            self._fail(exc)
            self._raise_error()
        out = engine.data_to_send()
        if out:
            self._outgoing.write(out)
        return memoryview(data).nbytes

    def pending(self) -> int:
        """Decrypted bytes ready for ``read`` without more input."""
        return self._plain.__len__()

    def unwrap(self) -> None:
        """Send close_notify; ``SSLWantReadError`` until the peer's arrives (as CPython)."""
        engine = self._tls_engine
        self._pull()
        if engine.state in WRITABLE_STATES or self._phase is Phase.HANDSHAKING:
            self._run(engine.shutdown)
            self._flush()
        self._raise_error()
        if self._read_end is ReadEnd.CLOSE_NOTIFY or self._phase is Phase.HANDSHAKING:
            return
        if self._read_end is ReadEnd.EOF:
            raise errors.eof_error()
        raise errors.want_read()

    def verify_client_post_handshake(self) -> None:
        raise NotImplementedError("post-handshake authentication is not supported: use "
                                  "request_cert=True (a certificate in the handshake)")

    # --- getters ------------------------------------------------------------------------

    @property  # type: ignore[override]  # always a nodetls.SSLContext
    def context(self) -> SSLContext:
        return self._context

    @context.setter
    def context(self, value: SSLContext) -> None:
        """From a stdlib-style ``sni_callback``: serve this context's certificate."""
        native = getattr(value, "native_context", None)
        if not callable(native):
            raise TypeError("SSLObject.context must be a nodetls.SSLContext")
        self._sni_context = value
        self._context = value

    def take_sni_context(self) -> object:
        value, self._sni_context = self._sni_context, None
        return value

    @property
    def server_side(self) -> bool:
        return self._server_side

    @property
    def server_hostname(self) -> str | None:
        return self._server_hostname

    @property
    def servername(self) -> str | bool:
        """Node's ``servername``: the SNI name sent or received, False without one."""
        return self._tls_engine.servername() or False

    @property  # type: ignore[override]  # nodetls's SSLSession (DER inside)
    def session(self) -> SSLSession | None:
        der = self._tls_engine.session()
        return SSLSession.from_der(der) if der else None

    @session.setter  # type: ignore[override]
    def session(self, value: SSLSession | bytes) -> None:
        if self._server_side or self._tls_engine.state is not ConnectionState.NEW:
            raise ValueError("a session can be set only on a client before its handshake")
        self._tls_engine.set_session(value.der if isinstance(value, SSLSession) else value)

    @property
    def session_reused(self) -> bool:
        return self._tls_engine.is_session_reused()

    def _handshake_done(self) -> None:
        if self._phase is Phase.HANDSHAKING:
            raise ValueError("handshake not done yet")

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The stdlib's dict (``{}`` when this side does not verify), or the DER."""
        self._handshake_done()
        node_cert = self.get_peer_certificate()
        if not node_cert:
            return None
        if binary_form:
            return node_cert["raw"]
        if not self._settings.socket.request_cert:
            return {}
        return stdlib_certificate(node_cert)

    def cipher(self) -> tuple[str, str, int] | None:
        return cipher_tuple(self._tls_engine) if self._phase is not Phase.HANDSHAKING else None

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        if not self._server_side or self._phase is Phase.HANDSHAKING:
            return None
        return connection_ciphers(self._tls_engine)

    def version(self) -> str | None:
        return self._tls_engine.protocol if self._phase is not Phase.HANDSHAKING else None

    def selected_alpn_protocol(self) -> str | None:
        return self._tls_engine.alpn_protocol()

    def selected_npn_protocol(self) -> str | None:
        return self._tls_engine.npn_protocol()

    def compression(self) -> None:
        return None  # OpenSSL 3 builds have no TLS compression

    def get_channel_binding(self, cb_type: str = "tls-unique") -> bytes | None:
        """RFC 5929 ``tls-unique``: the first Finished message, as CPython picks it."""
        if cb_type != "tls-unique":
            raise ValueError(f"{cb_type} channel binding type not implemented")
        engine = self._tls_engine
        if engine.is_session_reused() ^ (not self._server_side):
            return engine.finished()
        return engine.peer_finished()
