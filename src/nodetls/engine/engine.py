"""``TLSEngine``: one TLS connection, sans I/O, driven the way Node's ``TLSWrap`` is.

Theory of operation.  The engine owns one ``SSL*`` joined to two memory BIOs:
ciphertext from the network goes in with :meth:`TLSEngine.receive`, ciphertext for the
network comes out of :meth:`TLSEngine.data_to_send`.  Every method that drives OpenSSL
runs Node's ``Cycle()``: *ClearOut* (``SSL_read`` until OpenSSL wants more bytes; this
also advances the handshake) then *ClearIn* (cleartext that :meth:`send` had to queue
while the handshake ran: Node's ``pending_cleartext_input_``), and returns the list of
events that happened, in wire order.  The read loop is one C call that decrypts every
record available into a shared scratch buffer; Python sees one ``AppData`` per call,
not per record.

OpenSSL's callbacks reach the ``_hook_*`` methods (``hooks.py``) through
``callbacks.py``; a hook appends events (after flushing the plaintext read before it,
so order is kept), pauses the handshake (``HELLO_PAUSED``/``CERT_PAUSED``) until the
application answers, or holds back output (a server's new session, until
``new_session_done()``).  An exception in a hook, or in the user callable it calls,
is re-raised from the driving method and leaves the engine ``FAILED``.  A fatal TLS
error is not an exception but a ``TLSFailure`` event; the alert OpenSSL wrote is still
in ``data_to_send()``.

Verification follows Node: the handshake never fails on certificate errors (the
verify callback accepts everything); :meth:`verify_result` is read afterwards.  The
read-only accessors (protocol, cipher, session, certificates as plain values) are the
``EngineAccessors`` base (``accessors.py``); the state changes only through the cause
table of ``state.py``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any, Final, Protocol

from nodetls._openssl import CData, clear_errors, consume_errors, ffi, lib
from nodetls.engine import callbacks as _callbacks  # noqa: F401 - registers def_extern
from nodetls.engine import info
from nodetls.engine.accessors import EngineAccessors
from nodetls.engine.errors import EngineStateError, TLSError
from nodetls.engine.events import AppData, CloseNotify, Event, TLSFailure
from nodetls.engine.hooks import AlpnCallback, EngineHooks, PskClientCallback, PskServerCallback
from nodetls.engine.state import (
    HANDSHAKE_STATES,
    READABLE_STATES,
    TERMINAL_STATES,
    WRITABLE_STATES,
    ConnectionState,
    Trigger,
)

S = ConnectionState
T = Trigger

#: Plaintext decrypted per C call; also the largest ``AppData`` chunk.
READ_CHUNK: Final = 256 * 1024
#: Per-thread staging buffer for ``data_to_send()``; larger outputs get their own.
_OUT_CHUNK: Final = 4 * 1024 * 1024

_NONE: Final[int] = lib.SSL_ERROR_NONE
_ZERO_RETURN: Final[int] = lib.SSL_ERROR_ZERO_RETURN
_NO_INPUT: Final = ffi.new("unsigned char[]", 0)
_RETRY_CODES: Final = frozenset({
    lib.SSL_ERROR_WANT_READ, lib.SSL_ERROR_WANT_WRITE, lib.SSL_ERROR_WANT_X509_LOOKUP,
    lib.SSL_ERROR_WANT_CLIENT_HELLO_CB,
})
_raw_alloc = ffi.new_allocator(should_clear_after_alloc=False)
_OPEN: Final = S.OPEN

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_CERT_PAUSED: Final = S.CERT_PAUSED
_CLOSE_NOTIFY: Final = T.CLOSE_NOTIFY
_EOF: Final = T.EOF
_FAIL: Final = T.FAIL
_FAILED: Final = S.FAILED
_HELLO_PAUSED: Final = S.HELLO_PAUSED
_NEW: Final = S.NEW
_RAISED: Final = T.RAISED
_RESUME: Final = T.RESUME
_SENT_CLOSE: Final = S.SENT_CLOSE
_SHUTDOWN: Final = T.SHUTDOWN
_START: Final = T.START


# _released: ``receive`` gives the caller's buffer back (``ffi.release``) before it
# returns.  An exception raised by a user callback during the read keeps the frames of
# this call alive through its traceback (and their callers' through ``f_back``), with the
# ``from_buffer`` cdata in them; if the buffer is a ``memoryview`` (the transport lends
# its read buffer as a view) still exported when the garbage collector breaks that
# cycle, CPython crashes in ``memory_dealloc``.


class EngineContext(Protocol):
    """What the engine needs from a secure context (``NativeSecureContext``)."""

    ctx: CData
    callbacks_installed: bool


class _Scratch(threading.local):
    """Per-thread buffers: idle connections hold no I/O buffer of their own."""

    def __init__(self) -> None:
        self.buf = _raw_alloc("unsigned char[]", READ_CHUNK)
        self.out = _raw_alloc("unsigned char[]", _OUT_CHUNK)
        self.busy = False


_scratch = _Scratch()


class TLSEngine(EngineHooks, EngineAccessors):
    """One TLS connection: bytes in, bytes and events out.  Not thread-safe."""

    __slots__ = (
        "__weakref__", "_busy", "_context", "_exc", "_handle", "_keep", "_pending", "_rbio",
        "_wbio",
    )

    def __init__(self, context: EngineContext, *, is_server: bool) -> None:
        if not context.callbacks_installed:
            lib.nodetls_engine_install_ctx(context.ctx)
            context.callbacks_installed = True
        clear_errors()
        ssl = lib.nodetls_engine_new(context.ctx, 1 if is_server else 0)
        if ssl == ffi.NULL:
            raise TLSError(consume_errors(), "SSL_new")
        self._ssl = ffi.gc(ssl, lib.nodetls_engine_free)
        self._slot = lib.nodetls_engine_slot_of(ssl)
        self._handle = ffi.new_handle(weakref.ref(self))
        self._slot.handle = self._handle
        self._rbio = lib.nodetls_engine_rbio(ssl)
        self._wbio = lib.nodetls_engine_wbio(ssl)
        self._context = context
        self._is_server = is_server
        self._state = _NEW
        self._pending: bytearray | None = None
        self._events: list[Event] = []
        self._exc: BaseException | None = None
        self._busy = False
        self._rbuf: CData | None = None
        self._flushed = 0
        self._sessions_awaited = 0
        self._ocsp_response: bytes | None = None
        self._psk_callback: PskServerCallback | PskClientCallback | None = None
        self._alpn_callback: AlpnCallback | None = None
        self._keep: list[object] | None = None  # contexts whose pointers OpenSSL holds

    # ------------------------------------------------------------------ state
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def is_server(self) -> bool:
        return self._is_server

    def _expect(self, *states: ConnectionState) -> None:
        if self._state not in states:
            raise EngineStateError(f"not allowed while {self._state.value}")

    # ------------------------------------------------------------ driving
    def start(self) -> list[Event]:
        """Client: produce the ClientHello (fetch it with ``data_to_send()``)."""
        if self._is_server:
            raise EngineStateError("start() is for clients; a server starts on receive()")
        self._expect(_NEW)
        self._fire(_START)
        return self._drive(self._cycle)

    def receive(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Feed ciphertext from the network; returns what it produced.

        Bytes arriving after the peer's close_notify, after EOF, or after a failure
        are ignored, as Node ignores them.
        """
        if self._state is not _OPEN or self._busy or self._pending is not None:
            return self._receive_slow(data)
        self._busy = True  # the hot path: one C call, as in _drive()
        events: list[Event] = []
        self._events = events
        buf = ffi.from_buffer(data)
        try:
            self._read(buf)
        finally:
            self._busy = False
            ffi.release(buf)  # see _released
        return events

    def _receive_slow(self, data: bytes | bytearray | memoryview) -> list[Event]:
        state = self._state
        if state is _NEW:
            if not self._is_server:
                raise EngineStateError("client must start() before receive()")
            self._fire(_START)
        elif state in (_HELLO_PAUSED, _CERT_PAUSED):
            # Kept in the BIO until the application answers.
            self._feed(ffi.from_buffer(data))
            return []
        elif state not in READABLE_STATES:
            return []
        buf = ffi.from_buffer(data)
        try:
            return self._drive(self._cycle, buf)
        finally:
            ffi.release(buf)  # see _released

    def receive_eof(self) -> list[Event]:
        """The transport closed its read side (no more bytes will come)."""
        self._fire(_EOF)
        return []

    def send(self, data: bytes | bytearray | memoryview) -> list[Event]:
        """Encrypt cleartext; before the handshake is done it is queued (Node's
        ``pending_cleartext_input_``) and written as soon as possible."""
        if self._state is not _OPEN or self._busy or self._pending is not None:
            return self._send_slow(data)
        self._busy = True  # the hot path: one C call, as in _drive()
        events: list[Event] = []
        self._events = events
        buf = ffi.from_buffer(data)
        try:  # _write, inlined (every message)
            err = lib.nodetls_engine_write(self._ssl, buf, len(buf))
            if self._exc is not None:
                self._reraise()
            if err != _NONE:
                self._write_stalled(err, bytearray(ffi.buffer(buf)[self._slot.io_len:]))
        finally:
            self._busy = False
        return events

    def _send_slow(self, data: bytes | bytearray | memoryview) -> list[Event]:
        state = self._state
        if state in WRITABLE_STATES and self._pending is None:
            return self._drive(self._write, ffi.from_buffer(data))
        if state in TERMINAL_STATES or state is _SENT_CLOSE:
            raise EngineStateError(f"write after {'end' if state is not _FAILED else 'failure'}")
        if len(data):
            if self._pending is None:
                self._pending = bytearray(data)
            else:
                self._pending += data
        if state in WRITABLE_STATES:
            return self._drive(self._clear_in)
        return []

    def shutdown(self) -> list[Event]:
        """Send close_notify (Node's ``DoShutdown``).  Before the handshake is done
        there is nothing to close: the connection just becomes ``CLOSED``."""
        state = self._state
        if state in HANDSHAKE_STATES:
            self._fire(_SHUTDOWN)
            return []
        if state not in WRITABLE_STATES:
            return []
        return self._drive(self._shutdown)

    def renegotiate(self, *, full_handshake: bool = False) -> list[Event]:
        """Start a renegotiation (TLS 1.2); raises ``TLSError`` ('wrong ssl version')
        on TLS 1.3.  ``full_handshake`` (server): refuse the session the client offers,
        so the renegotiation really runs the certificate exchange again."""
        self._expect(_OPEN)
        if full_handshake:
            lib.SSL_set_options(self._ssl, lib.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION)
        clear_errors()
        if lib.SSL_renegotiate(self._ssl) != 1:
            raise TLSError(consume_errors(), "SSL_renegotiate")
        return self._drive(self._cycle)

    def new_session_done(self) -> list[Event]:
        """Server: a ``newSession`` callback finished; the held output goes out once
        every new session is done (TLS 1.3 servers make two: an answer to the first
        must not release the ticket of the second before it is stored)."""
        self._sessions_awaited = max(0, self._sessions_awaited - 1)
        if self._state in READABLE_STATES or self._state in WRITABLE_STATES:
            return self._drive(self._cycle)
        return []

    def resume_client_hello(self, context: EngineContext | None = None,
                            session_der: bytes | None = None) -> list[Event]:
        """Answer a ``ClientHelloPaused``: optionally a session to resume (the
        ``resumeSession`` result) and a context to use instead of the default."""
        self._expect(_HELLO_PAUSED)
        if context is not None:
            self.use_context(context)
        session = info.session_from_der(session_der) if session_der else None
        if session is not None:
            lib.nodetls_engine_set_next_session(self._ssl, session)
        self._slot.flags &= ~lib.NODETLS_ENGINE_HELLO_CB
        self._fire(_RESUME)
        return self._drive(self._cycle)

    def cert_cb_done(self, context: EngineContext | None = None,
                     ocsp_response: bytes | None = None) -> list[Event]:
        """Answer a ``CertCallbackPaused``: the SNI context (Node's ``certCbDone``
        after ``SNICallback``) and the OCSP response to staple."""
        self._expect(_CERT_PAUSED)
        if context is not None:
            self.use_context(context)
        if ocsp_response is not None:
            self._ocsp_response = bytes(ocsp_response)
        self._slot.flags &= ~lib.NODETLS_ENGINE_CERT_CB
        self._fire(_RESUME)
        return self._drive(self._cycle)

    def _drive(self, step: Callable[..., None], *args: Any) -> list[Event]:
        if self._busy:
            raise EngineStateError("engine re-entered from one of its own callbacks")
        self._busy = True
        events: list[Event] = []
        self._events = events
        try:
            step(*args)
        finally:
            self._busy = False
        return events

    def _cycle(self, data: CData = _NO_INPUT) -> None:
        """Node's ``Cycle()``: ClearOut (read, which also drives the handshake), then
        ClearIn (cleartext queued while it could not be written)."""
        if self._state in READABLE_STATES:
            self._read(data)
        if self._pending is not None and self._state in WRITABLE_STATES:
            self._clear_in()

    def _feed(self, data: CData) -> None:
        if len(data) and not lib.nodetls_engine_feed(self._rbio, data, len(data)):
            raise TLSError(consume_errors(), "BIO_write")

    def _read(self, data: CData) -> None:
        """Feed ``data``, then decrypt everything available (Node's ClearOut)."""
        scratch = _scratch
        shared = not scratch.busy  # busy: another engine reads on this thread (callback)
        if shared:
            buf = scratch.buf
            scratch.busy = True
        else:
            buf = _raw_alloc("unsigned char[]", READ_CHUNK)
        slot = self._slot
        try:
            while True:
                self._rbuf, self._flushed = buf, 0
                err = lib.nodetls_engine_receive(self._ssl, data, len(data), buf, READ_CHUNK)
                self._rbuf = None
                if err < 0:
                    raise TLSError(consume_errors(), "BIO_write")
                n = slot.io_len
                flushed = self._flushed
                if n > flushed:  # (a slice: no pointer cdata made for buf + flushed)
                    chunk: bytes = ffi.buffer(buf, n)[flushed:]
                    self._events.append(AppData(chunk))
                if self._exc is not None:
                    self._reraise()
                if err != _NONE or self._state not in READABLE_STATES:
                    break
                data = _NO_INPUT  # the buffer filled up: read the rest
        finally:
            self._rbuf = None
            if shared:
                scratch.busy = False
        if err != _NONE and err not in _RETRY_CODES:
            self._after_read(err)

    def _after_read(self, err: int) -> None:
        if err == _ZERO_RETURN:
            self._events.append(CloseNotify())
            self._fire(_CLOSE_NOTIFY)
        else:
            self._fail(TLSError(consume_errors(), "SSL_read"))

    def _write(self, data: CData) -> None:
        err = lib.nodetls_engine_write(self._ssl, data, len(data))
        if self._exc is not None:
            self._reraise()
        if err != _NONE:
            self._write_stalled(err, bytearray(ffi.buffer(data)[self._slot.io_len:]))

    def _clear_in(self) -> None:
        pending, self._pending = self._pending, None
        if pending:
            self._write(ffi.from_buffer(pending))

    def _write_stalled(self, err: int, rest: bytearray) -> None:
        if err in _RETRY_CODES:  # e.g. WANT_READ while a renegotiation runs
            self._pending = rest if self._pending is None else rest + self._pending
        else:
            self._fail(TLSError(consume_errors(), "SSL_write"))

    def _shutdown(self) -> None:
        lib.nodetls_engine_shutdown(self._ssl)
        self._reraise()
        clear_errors()  # a failed close_notify is not worth failing the connection for
        self._fire(_SHUTDOWN)

    def _fail(self, error: TLSError) -> None:
        self._events.append(TLSFailure(error))
        self._fire(_FAIL)

    def _capture(self, exc: BaseException) -> None:
        if self._exc is None:
            self._exc = exc
        self._slot.flags |= lib.NODETLS_ENGINE_STOP

    def _reraise(self) -> None:
        exc = self._exc
        if exc is None:
            return
        self._exc = None
        self._slot.flags &= ~lib.NODETLS_ENGINE_STOP
        clear_errors()
        self._fire(_RAISED)
        raise exc

    # ------------------------------------------------------------- output
    def data_to_send(self) -> bytes:
        """All pending ciphertext (empty while a server waits for ``newSession``)."""
        if self._sessions_awaited and self._state is not _FAILED:
            return b""
        n = lib.BIO_ctrl_pending(self._wbio)
        if not n:
            return b""
        buf = _scratch.out if n <= _OUT_CHUNK else _raw_alloc("unsigned char[]", n)
        data: bytes = ffi.buffer(buf, lib.nodetls_engine_drain(self._ssl, buf, n))[:]
        return data

    def data_to_send_into(self, buffer: bytearray | memoryview) -> int:
        """Copy up to ``len(buffer)`` bytes of pending ciphertext into ``buffer``."""
        if self._sessions_awaited and self._state is not _FAILED:
            return 0
        target = ffi.from_buffer(buffer, require_writable=True)
        return int(lib.nodetls_engine_drain(self._ssl, target, len(target)))

    @property
    def output_held(self) -> bool:
        """A server waits for ``new_session_done()``: ``data_to_send()`` gives nothing."""
        return bool(self._sessions_awaited) and self._state is not _FAILED

    def pending_output_size(self) -> int:
        """Ciphertext waiting in the output BIO (Node's ``writeQueueSize``)."""
        return int(lib.BIO_ctrl_pending(self._wbio))

    def pending_cleartext_size(self) -> int:
        """Cleartext queued by ``send()`` that OpenSSL has not taken yet."""
        return len(self._pending) if self._pending is not None else 0

    # --------------------------------------------------- configuration
    def set_servername(self, name: str) -> None:
        """Client, before ``start()``: the SNI name to send."""
        self._expect_client_before_start()
        clear_errors()
        if lib.SSL_set_tlsext_host_name(self._ssl, name.encode("utf-8")) != 1:
            raise TLSError(consume_errors(), "SSL_set_tlsext_host_name")

    def set_session(self, der: bytes) -> bool:
        """Client: offer a session for resumption; False if the DER is unusable."""
        session = info.session_from_der(der)
        if session is None:
            return False
        clear_errors()
        if lib.SSL_set_session(self._ssl, session) != 1:
            raise TLSError(consume_errors(), "SSL_set_session")
        return True

    def set_alpn_protocols(self, wire: bytes) -> None:
        """ALPN list in wire format: offered by a client, chosen from by a server."""
        clear_errors()
        if self._is_server:
            ok = lib.nodetls_engine_set_alpn(self._ssl, wire, len(wire)) == 1
        else:
            ok = lib.SSL_set_alpn_protos(self._ssl, wire, len(wire)) == 0
        if not ok:
            raise TLSError(consume_errors(), "set_alpn_protocols")

    def set_npn_protocols(self, wire: bytes) -> None:
        """NPN list in wire format (TLS <= 1.2; Node v0.x-v9's ``NPNProtocols``).

        The NPN callbacks are per context: once one client engine of a context sets a
        list, every client of that context offers NPN (and picks 'http/1.1' if it
        has no list), as Node 0.10 clients did.
        """
        clear_errors()
        if not lib.nodetls_engine_set_npn(self._ssl, wire, len(wire)):
            raise TLSError(consume_errors(), "set_npn_protocols")

    def set_alpn_callback(self, callback: AlpnCallback | None) -> None:
        """Server: ``callback(servername, protocols) -> protocol | None`` (Node's
        ``ALPNCallback``; None refuses with a fatal no_application_protocol alert)."""
        self._alpn_callback = callback
        if callback is None:
            self._slot.flags &= ~lib.NODETLS_ENGINE_ALPN_CB
        else:
            self._slot.flags |= lib.NODETLS_ENGINE_ALPN_CB

    def set_psk_callback(self, callback: PskServerCallback | PskClientCallback) -> None:
        """PSK, synchronous as in Node.  Server: ``callback(identity, max_psk_len) ->
        key | None``; client: ``callback(hint, max_psk_len, max_identity_len) ->
        (identity, key) | None``."""
        self._psk_callback = callback
        lib.nodetls_engine_enable_psk(self._ssl)

    def set_psk_identity_hint(self, hint: str) -> None:
        clear_errors()
        if lib.SSL_use_psk_identity_hint(self._ssl, hint.encode("utf-8")) != 1:
            raise TLSError(consume_errors(), "SSL_use_psk_identity_hint")

    def set_verify_mode(self, request_cert: bool, reject_unauthorized: bool) -> None:
        """Node's ``SetVerifyMode``: servers ask for a certificate when ``request_cert``
        and fail the handshake without one when also ``reject_unauthorized``."""
        mode = lib.SSL_VERIFY_NONE
        if self._is_server and request_cert:
            mode = lib.SSL_VERIFY_PEER
            if reject_unauthorized:
                mode |= lib.SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        lib.nodetls_engine_set_verify(self._ssl, mode)

    def request_ocsp(self) -> None:
        """Client: ask the server to staple an OCSP response (``OCSPResponse`` event)."""
        lib.SSL_set_tlsext_status_type(self._ssl, lib.TLSEXT_STATUSTYPE_ocsp)

    def set_ocsp_response(self, response: bytes) -> None:
        """Server: the OCSP response to staple if the client asks."""
        self._ocsp_response = bytes(response)

    def set_max_send_fragment(self, size: int) -> bool:
        """True if OpenSSL accepted the size (512..16384)."""
        clear_errors()
        ok = bool(lib.SSL_set_max_send_fragment(self._ssl, size) == 1)
        clear_errors()
        return ok

    def keep_buffers(self) -> None:
        """Keep OpenSSL's record buffers between calls (drop ``RELEASE_BUFFERS``): about
        1 us less per small record each way, for ~34 KiB more per idle connection, as
        CPython's ``_ssl`` keeps them (``nodetls.SSLObject`` under asyncio's plumbing)."""
        lib.SSL_clear_mode(self._ssl, lib.SSL_MODE_RELEASE_BUFFERS)

    def use_context(self, context: EngineContext) -> None:
        """Node's ``UseSNIContext`` + ``SetCACerts``: take certificate, key, chain,
        verify store and client-CA list from another context.  Like Node, the ``SSL_CTX``
        itself is not switched (``SSL_set_SSL_CTX`` would also drop the cert callback)."""
        clear_errors()
        if not lib.nodetls_engine_use_context(self._ssl, context.ctx):
            raise TLSError(consume_errors(), "use_context")
        if self._keep is None:
            self._keep = []
        self._keep.append(context)

    def enable_session_callbacks(self) -> None:
        """Report ``NewSession``; on a server also pause at every ClientHello
        (``ClientHelloPaused``) and hold output for each new session (Node's
        ``enableSessionCallbacks``)."""
        flags = lib.NODETLS_ENGINE_SESSION_CB
        if self._is_server:
            flags |= lib.NODETLS_ENGINE_HELLO_CB
        self._slot.flags |= flags

    def enable_cert_callback(self) -> None:
        """Server: pause with ``CertCallbackPaused`` before the certificate is chosen."""
        self._slot.flags |= lib.NODETLS_ENGINE_CERT_CB

    def enable_keylog(self) -> None:
        """Report ``KeylogLine`` events (installs the context's keylog callback)."""
        lib.nodetls_engine_enable_keylog(self._context.ctx)
        self._slot.flags |= lib.NODETLS_ENGINE_KEYLOG

    def enable_trace(self) -> None:
        """Print OpenSSL's ``SSL_trace`` of this connection to stderr (fd 2)."""
        if not lib.nodetls_engine_enable_trace(self._ssl):
            raise TLSError(consume_errors(), "enable_trace")

    def _expect_client_before_start(self) -> None:
        if self._is_server:
            raise EngineStateError("only a client can do this")
        self._expect(_NEW)
