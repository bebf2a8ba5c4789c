"""``TLSSocket``: Node's ``tls.TLSSocket``, a ``net.Socket`` whose handle speaks TLS.

Theory of operation
-------------------
A ``TLSSocket`` is a plain ``net.Socket`` driving a ``TLSHandle`` (``tls_handle.py``)
instead of a transport handle; the ``TLSHandle`` wraps whatever carries the ciphertext:

* ``tls.connect()``: the ``TransportHandle`` that ``net.Socket.connect`` creates
  (``_wrap_handle``);
* ``TLSSocket(net_socket)`` (STARTTLS, ``server.emit('connection', sock)``): the handle
  of that socket.  It is shared, not taken: the old socket can still finish its queued
  writes (TLS output waits for them), and destroying either socket closes it;
* ``TLSSocket(duplex)``: a ``DuplexHandle`` around any Duplex (Node's ``JSStreamSocket``);
* a ``tls.Server`` connection: the accepted ``TransportHandle`` itself, with no
  intermediate ``net.Socket`` unless someone listens to ``'connection'``.

The engine's events arrive through ``_on_tls_event`` and ``_on_tls_error``.  The rest
is Node's ``lib/_tls_wrap.js`` state, kept small:

* ``_secure`` (one ``SecureState``): HANDSHAKING, then SECURE once the handshake is done
  and ``'secure'`` is emitted.  A server with a pending ``newSession`` callback waits in
  AWAITING_SESSION (Node's ``_securePending``);
* control: until ``_release_control()`` (``tls.connect`` releases at once, a server at
  ``'secureConnection'``) TLS errors are not the socket's ``'error'`` but go to the
  server's ``'tlsClientError'`` (at most once per socket) or are dropped, exactly as
  Node's ``_tlsError`` listener does;
* server sockets never raise an unhandled ``'error'``: Node keeps its
  ``onSocketTLSError`` listener for the socket's whole life.

What ``tls.connect`` and ``tls.Server`` add when the handshake completes (identity
check, ``'secureConnect'``; authorization, ``'secureConnection'``) is a function they put
in ``_on_secure``, called before the user's ``'secure'`` listeners, as Node's listener is
registered first (listeners added meanwhile miss that first ``'secure'``, as in Node).
The server-side asynchronous hooks (SNICallback, OCSPRequest, ALPN and PSK callbacks,
renegotiation limits) are in ``_server_hooks.py``, the session cache (resumeSession,
newSession) in ``sessions.py``; the getters are in ``tls_socket_info.py``.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Generator, Hashable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Self

from typing_extensions import Unpack

from nodetls.engine import (
    CertCallbackPaused,
    ClientHelloPaused,
    Event,
    HandshakeDone,
    HandshakeStarted,
    KeylogLine,
    NewSession,
    OCSPResponse,
    TLSEngine,
)
from nodetls.node.abort import add_abort_signal, validate_abort_signal
from nodetls.node.duplex import Duplex
from nodetls.node.duplex_handle import DuplexHandle
from nodetls.node.errors import ERR_SOCKET_CLOSED, NodeConnectionResetError
from nodetls.node.handle import StreamHandle
from nodetls.node.net_socket import Socket, SocketPhase
from nodetls.node.onread import OnRead
from nodetls.node.scheduling import next_tick, set_immediate
from nodetls.node.validators import validate_function
from nodetls.tls import _server_hooks as hooks
from nodetls.tls import sessions
from nodetls.tls.errors import (
    ERR_TLS_HANDSHAKE_TIMEOUT,
    is_missing_client_certificate,
    translate_openssl_error,
)
from nodetls.tls.npn import negotiated_npn_protocol
from nodetls.tls.options import RenegotiateOptions, TLSSocketOptions
from nodetls.tls.socket_config import SocketConfig, check_options, socket_config
from nodetls.tls.tls_handle import TLSHandle
from nodetls.tls.tls_socket_info import TLSSocketInfo
from nodetls.tls.user_code import emit_user, user_failed

if TYPE_CHECKING:
    from nodetls.tls.server import Server

__all__ = ["SecureState", "TLSSocket", "conn_reset"]

_RENEGOTIATE_OPTIONS = frozenset({"reject_unauthorized", "request_cert"})


class SecureState(Enum):
    HANDSHAKING = "handshaking"
    AWAITING_SESSION = "awaiting-session"  # handshake done, newSession callback pending
    SECURE = "secure"


_ALLOWED = {
    SecureState.HANDSHAKING: (SecureState.AWAITING_SESSION, SecureState.SECURE),
    SecureState.AWAITING_SESSION: (SecureState.SECURE,),
    SecureState.SECURE: (SecureState.SECURE,),  # a renegotiation finishes again
}


def conn_reset(message: str) -> NodeConnectionResetError:
    """Node's ``ConnResetException``: code ``ECONNRESET``, no syscall."""
    return NodeConnectionResetError(errno.ECONNRESET, "", message)


class TLSSocket(TLSSocketInfo, Socket):
    """Node's ``tls.TLSSocket``.  ``TLSSocket(socket=None, **options)``.

    Awaitable: ``await sock`` returns the socket after ``'secureConnect'`` (a socket
    made by ``tls.connect``) or ``'secure'``, or raises the error that was emitted.
    """

    __slots__ = (
        "_config",
        "_connect_options",
        "_control_released",
        "_error_reported",
        "_had_error",
        "_handshakes",
        "_hs_timeout_armed",
        "_last_handshake",
        "_on_secure",
        "_parent",
        "_pending_session",
        "_reject_unauthorized",
        "_renegotiation_disabled",
        "_request_cert",
        "_secure",
        "_session_pending",
        "_unwrapped_engine",
        "_verified",
        "alpn_protocol",
        "authorization_error",
        "authorized",
        "npn_protocol",
        "secure_connecting",
        "servername",
    )

    encrypted: ClassVar[bool] = True
    """Node's documented marker telling secure sockets from plain ones."""

    def __init__(self, socket: Duplex | None = None, **options: Unpack[TLSSocketOptions]) -> None:
        check_options(options, "TLSSocket")
        self._setup(socket, None, socket_config(options))
        self._stream_options(options)

    def _stream_options(self, options: Mapping[str, Any]) -> None:
        """``onread`` and ``signal``, which Node's TLSSocket hands to ``net.Socket``."""
        if options.get("onread") is not None:  # decrypted reads into the user's buffer
            self._onread = OnRead(options["onread"])
        if options.get("signal") is not None:
            add_abort_signal(validate_abort_signal(options["signal"]), self)

    @classmethod
    def _accept(cls, handle: StreamHandle, config: SocketConfig, server: Server) -> TLSSocket:
        """A server connection straight over an accepted handle (no ``net.Socket``)."""
        sock = cls.__new__(cls)
        sock._setup(None, handle, config)
        return sock

    # --- construction -----------------------------------------------------------------------

    def _setup(self, socket: Duplex | None, handle: StreamHandle | None,
               config: SocketConfig) -> None:
        self._config = config
        self._secure = SecureState.HANDSHAKING
        self._control_released = False
        self._error_reported = False
        self._had_error = False
        self._session_pending = False
        self._verified = False
        self._pending_session: bytes | None = None
        self._renegotiation_disabled = False
        self._last_handshake = 0.0
        self._handshakes = 0
        self._hs_timeout_armed = False
        self._connect_options: dict[str, Any] | None = None
        self._on_secure: Callable[[TLSSocket], None] | None = None
        self._parent: Socket | None = None
        self._request_cert = config.request_cert or not config.is_server
        self._reject_unauthorized = config.reject_unauthorized
        self.secure_connecting = True
        self.servername: str | bool | None = None
        self.alpn_protocol: str | bool | None = None
        self.npn_protocol: str | bool | None = None
        self.authorized = False
        self.authorization_error: str | None = None
        inner, connecting, held = self._inner_handle(socket, handle)
        engine = TLSEngine(config.context.context, is_server=config.is_server)
        tls = TLSHandle(inner, engine, self) if inner is not None else None
        # Without a socket the engine waits for connect() (_wrap_handle); Node's handle
        # exists from the start, so the getters work before connecting.
        self._unwrapped_engine = engine if tls is None else None
        allow_half_open = config.allow_half_open
        if socket is not None:
            allow_half_open = socket.allow_half_open
        elif allow_half_open is None and config.server is not None:
            allow_half_open = config.server.allow_half_open
        Socket.__init__(
            self,
            handle=tls if not connecting else None,
            allow_half_open=bool(allow_half_open),
            pause_on_create=config.pause_on_connect,
            manual_start=True,
            high_water_mark=config.high_water_mark,
            no_delay=config.no_delay,
            keep_alive=config.keep_alive,
            keep_alive_initial_delay=config.keep_alive_initial_delay,
        )
        if tls is not None and connecting:
            self._attach_handle(tls)
            self._transition(SocketPhase.CONNECTING)
        self._init_engine(engine, config)
        if isinstance(socket, Socket):
            self._adopt(socket, connecting, held)
        next_tick(self._init_read, socket)

    def _inner_handle(self, socket: Duplex | None,
                      handle: StreamHandle | None) -> tuple[StreamHandle | None, bool, bool]:
        """The handle to wrap, whether it is still connecting, and whether the socket it
        belongs to still has writes queued (TLS output must wait for them)."""
        if handle is not None or socket is None:
            return handle, False, False
        if isinstance(socket, Socket) and socket.handle is not None:
            return socket.handle, socket.connecting, socket.writable_length > 0
        return DuplexHandle(socket), False, False

    def _adopt(self, socket: Socket, connecting: bool, held: bool) -> None:
        """Node's ``_init`` for a wrapped ``net.Socket``: its close and errors are ours."""
        self._parent = socket
        socket.on("close", lambda *_: self.destroy())
        socket.on("error", self._emit_tls_error)
        if connecting:
            socket.once("connect", self._after_connect)
        tls = self._tls()
        if held and tls is not None:
            tls.hold_output()

            def written(err: BaseException | None = None) -> None:
                if err is not None:
                    self.destroy(err)
                elif self._tls() is tls:
                    tls.release_output()

            socket.write(b"", written)

    def _wrap_handle(self, raw: StreamHandle) -> StreamHandle:
        """``tls.connect``: the new TCP/unix handle gets a TLS handle around it."""
        engine, self._unwrapped_engine = self._unwrapped_engine, None
        if engine is None:  # connecting a second time: a fresh engine
            engine = TLSEngine(self._config.context.context, is_server=self._config.is_server)
            self._init_engine(engine, self._config)
        return TLSHandle(raw, engine, self)

    def _init_engine(self, engine: TLSEngine, config: SocketConfig) -> None:
        """Node's ``TLSSocket.prototype._init``: configure the engine for this socket."""
        request_cert = config.request_cert or not config.is_server
        self._request_cert = request_cert
        self._reject_unauthorized = config.reject_unauthorized
        if config.is_server:
            engine.set_verify_mode(request_cert, config.reject_unauthorized)
            hooks.init_server_engine(self, engine, config)
        elif config.session is not None:
            engine.set_session(config.session)
        if config.alpn_wire is not None:
            engine.set_alpn_protocols(config.alpn_wire)
        if config.npn_wire is not None:
            engine.set_npn_protocols(config.npn_wire)
        if config.psk_callback is not None:
            hooks.init_psk(self, engine, config)
        if config.enable_trace:
            engine.enable_trace()
        if config.handshake_timeout > 0:
            self._hs_timeout_armed = True
            self._timer.set(config.handshake_timeout)

    def _init_read(self, socket: Duplex | None) -> None:
        """Node's ``initRead``: replay what the wrapped socket had buffered, then read."""
        tls = self._tls()
        if tls is None:
            return
        if isinstance(socket, Socket) and socket.readable_length:
            while (chunk := socket.read()) is not None:
                tls.on_handle_read(chunk)
        self.read(0)

    def _tls(self) -> TLSHandle | None:
        handle = self._handle
        return handle if isinstance(handle, TLSHandle) else None

    # --- events from the engine ---------------------------------------------------------------

    def _on_tls_event(self, event: Event) -> None:
        kind = type(event)
        if kind is HandshakeDone:
            self._on_handshake_done()
        elif kind is HandshakeStarted:
            if self._config.is_server:
                hooks.on_handshake_start(self)
        elif kind is KeylogLine:
            self._on_keylog(event.line)  # type: ignore[union-attr]
        elif kind is NewSession:
            self._on_new_session(event)  # type: ignore[arg-type]
        elif kind is OCSPResponse:
            self.emit("OCSPResponse", event.data)  # type: ignore[union-attr]
        elif kind is ClientHelloPaused:
            sessions.load_session(self, event)  # type: ignore[arg-type]
        elif kind is CertCallbackPaused:
            hooks.load_sni(self, event)  # type: ignore[arg-type]

    def _on_handshake_done(self) -> None:
        if self._session_pending and self._secure is SecureState.HANDSHAKING:
            self._set_secure(SecureState.AWAITING_SESSION)  # Node's _securePending
            return
        self._finish_init()

    def _set_secure(self, state: SecureState) -> None:
        if state not in _ALLOWED[self._secure]:
            raise AssertionError(f"TLSSocket: illegal transition {self._secure} -> {state}")
        self._secure = state

    def _finish_init(self) -> None:
        """Node's ``_finishInit``: the handshake is done; ``'secure'``."""
        tls = self._tls()
        if tls is None or self.destroyed:  # Node: no handle after destroy(), no 'secure'
            return
        engine = tls.engine
        self.alpn_protocol = engine.alpn_protocol() or False
        self.npn_protocol = negotiated_npn_protocol(engine)
        if self.servername is None:
            self.servername = engine.servername() or False
        self._set_secure(SecureState.SECURE)
        if self._hs_timeout_armed:
            self._hs_timeout_armed = False
            self._timer.set(0)
        on_secure = self._on_secure
        if on_secure is None:
            self.emit("secure")
            return
        # Node's on_secure is itself the first 'secure' listener: a listener added while
        # it runs (in 'secureConnection'/'secureConnect') misses this emit and only sees
        # the renegotiations' 'secure'.  Listener lists are copy-on-write: a snapshot.
        listeners = self._events.get("secure")
        on_secure(self)
        if self.destroyed:  # refused, or a 'secureConnection' listener raised
            return
        for listener in listeners or ():
            listener()

    def _on_keylog(self, line: bytes) -> None:
        emit_user(self, self, "keylog", (line,))
        server = self._config.server
        if server is not None and not self.destroyed:
            emit_user(self, server, "keylog", (line, self))

    def _on_new_session(self, event: NewSession) -> None:
        if self._config.is_server:
            sessions.on_new_session(self, event)
        elif self._verified:
            self.emit("session", event.der)
        else:
            self._pending_session = event.der  # emitted after 'secureConnect'

    def _on_tls_error(self, err: BaseException) -> None:
        """Node's ``onerror``: a TLS failure (or a callback that raised)."""
        if self._had_error:
            return
        self._had_error = True
        if self._secure is not SecureState.SECURE:
            self.destroy(err)
        elif (self._config.is_server and self._reject_unauthorized
              and is_missing_client_certificate(err)):
            self.destroy()  # the server refused a client without a certificate
        else:
            self._emit_tls_error(err)

    def _on_callback_error(self, exc: BaseException) -> None:
        """A user listener raised while the handle delivered an event: Node would crash
        with 'uncaughtException'; the one policy of ``user_code`` applies."""
        user_failed(self, exc, "listener")

    def _on_timeout(self) -> None:
        if self._hs_timeout_armed and self._secure is not SecureState.SECURE:
            self._hs_timeout_armed = False
            self._emit_tls_error(ERR_TLS_HANDSHAKE_TIMEOUT())  # reported, not destroyed
        super()._on_timeout()

    # --- who gets the errors ------------------------------------------------------------------

    def _release_control(self) -> bool:
        """From now on TLS errors are this socket's ``'error'`` (Node's ``_releaseControl``)."""
        if self._control_released:
            return False
        self._control_released = True
        return True

    def _emit_tls_error(self, err: BaseException) -> None:
        """Node's ``_emitTLSError``."""
        if self._control_released:
            self._emit_socket_error(err)
        else:
            self._report_to_server(err)

    def _emit_socket_error(self, err: BaseException) -> None:
        if self._config.server is not None and not self.listener_count("error"):
            return  # Node's server sockets keep a no-op 'error' listener
        self.emit("error", err)

    def _report_to_server(self, err: BaseException) -> None:
        """Node's ``onSocketTLSError``: ``'tlsClientError'``, once, before control is
        released (the legacy ``'clientError'`` too, when someone listens)."""
        server = self._config.server
        if server is None or self._error_reported:
            return
        self._error_reported = True
        server.emit("tlsClientError", err, self)
        if server.listener_count("clientError"):
            server.emit("clientError", err, self)

    def _emit_error_tick(self, err: BaseException) -> None:
        """How ``destroy(err)`` reports ``err``; before control is released it goes to the
        server (and to the socket's own listeners, if any), never unhandled."""
        if self._control_released:
            if not self._error_emitted:
                self._error_emitted = True
                self._emit_socket_error(err)
            return
        if self._error_emitted:
            return
        self._error_emitted = True
        self._report_to_server(err)
        if self.listener_count("error"):
            self.emit("error", err)

    def _destroy(self, err: BaseException | None, cb: Callable[[BaseException | None], None]) -> (
        None
    ):
        if err is None and self._config.server is not None and not self._control_released:
            set_immediate(self._hang_up)  # runs just before 'close'
        self._unwrapped_engine = None
        super()._destroy(err, cb)
        parent = self._parent
        if parent is not None and not parent.destroyed:
            parent.destroy()

    def _hang_up(self) -> None:
        """Node's ``onSocketClose``: a server connection closed before the handshake."""
        if not self._control_released and not self._error_reported:
            self._report_to_server(conn_reset("socket hang up"))

    def _on_connect_end(self) -> None:
        """``tls.connect``: the peer ended before the handshake finished (Node's
        ``onConnectEnd``): ``ECONNRESET`` with the connection's host, port and path."""
        if self._had_error:
            return
        self._had_error = True
        options = self._connect_options or {}
        error = conn_reset("Client network socket disconnected before secure TLS "
                           "connection was established")
        error.path = options.get("path")  # type: ignore[attr-defined]
        error.host = options.get("host")  # type: ignore[attr-defined]
        error.port = options.get("port")
        error.local_address = options.get("local_address")  # type: ignore[attr-defined]
        self.destroy(error)

    # --- starting -----------------------------------------------------------------------------

    def _start(self) -> None:
        """Client: send the ClientHello once connected (Node's ``_start``)."""
        if self.connecting:
            self.once("connect", self._start)
            return
        tls = self._tls()
        if tls is None:
            return
        if self._config.request_ocsp:
            tls.engine.request_ocsp()
        try:
            tls.start()
        except Exception as exc:
            self._on_tls_error(exc)

    _hooked_events: ClassVar[frozenset[str]] = frozenset({"keylog", "session"})

    def _on_hooked_listener(self, event: Hashable) -> None:
        """Node turns on the engine's keylog and session callbacks only when someone
        listens (its ``newListener`` hooks)."""
        engine = self._engine()  # also before connect(): the engine already exists
        if engine is not None:
            if event == "keylog":
                engine.enable_keylog()
            elif not self._config.is_server:
                engine.enable_session_callbacks()

    def disable_renegotiation(self) -> None:
        """A later renegotiation by the peer is ``ERR_TLS_RENEGOTIATION_DISABLED``."""
        self._renegotiation_disabled = True

    def renegotiate(self, callback: Callable[[BaseException | None], object] | None = None,
                    **options: Unpack[RenegotiateOptions]) -> bool | None:
        """Start a renegotiation (TLS 1.2); ``callback(err)`` once it is done.

        Returns False (and ``callback`` gets ``ERR_SSL_WRONG_SSL_VERSION``) on TLS 1.3."""
        for name in options:
            if name not in _RENEGOTIATE_OPTIONS:
                raise TypeError(f"renegotiate() got an unexpected keyword argument {name!r}")
        if callback is not None:
            validate_function(callback, "callback")
        tls = self._tls()
        if self.destroyed or tls is None:
            return None
        request_cert = bool(options.get("request_cert", self._request_cert))
        reject = bool(options.get("reject_unauthorized", self._reject_unauthorized))
        if (request_cert, reject) != (self._request_cert, self._reject_unauthorized):
            tls.engine.set_verify_mode(request_cert, reject)
            self._request_cert, self._reject_unauthorized = request_cert, reject
        self.write(b"")
        # A server asking for a certificate refuses the session the client offers: a
        # resumed handshake has no certificate exchange.  (Node lets the client resume
        # with its ticket, so renegotiate({requestCert: true}) never gets a certificate.)
        full = self._config.is_server and request_cert
        try:
            tls.drive(lambda: tls.engine.renegotiate(full_handshake=full))
        except Exception as exc:
            if callback is not None:
                next_tick(callback, translate_openssl_error(exc))
            return False
        self.write(b"")
        if callback is not None:
            self.once("secure", lambda: callback(None))
        return True

    # --- awaiting -----------------------------------------------------------------------------

    def _is_await_ready(self) -> bool:
        if self._secure is not SecureState.SECURE:
            return False
        return self._connect_options is None or not self.secure_connecting

    def __await__(self) -> Generator[Any, None, Self]:
        return self._wait_secure().__await__()

    async def _wait_secure(self) -> Self:
        if self._is_await_ready():
            return self
        if self.destroyed:
            raise self.errored or ERR_SOCKET_CLOSED()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        event = "secureConnect" if self._connect_options is not None else "secure"

        def on_ready(*_args: Any) -> None:
            if not future.done():
                future.set_result(None)

        def on_error(err: BaseException) -> None:
            if not future.done():
                future.set_exception(err)

        def on_close(*_args: Any) -> None:
            if not future.done():
                future.set_exception(self.errored or ERR_SOCKET_CLOSED())

        self.once(event, on_ready)
        self.once("error", on_error)
        self.once("close", on_close)
        try:
            await future
        except asyncio.CancelledError:
            self.destroy()  # a cancelled connect leaves no open socket behind
            raise
        finally:
            self.remove_listener(event, on_ready)
            self.remove_listener("error", on_error)
            self.remove_listener("close", on_close)
        return self

