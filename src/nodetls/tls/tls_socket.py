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

The engine's events arrive through ``_on_tls_event`` and ``_on_tls_error``.  The TLS
phase (Node's ``_secureEstablished``, ``_securePending``, ``secureConnecting``,
``_hadError``, ``_controlReleased``) is one ``Lifecycle`` (``lifecycle.py``): which state
the socket is in, which error goes where.  Until control is released (``tls.connect``
at once, a server at ``'secureConnection'``) TLS errors are not the socket's ``'error'``
but go to the server's ``'tlsClientError'`` (at most once per socket) or are dropped,
exactly as Node's ``_tlsError`` listener does; server sockets never raise an unhandled
``'error'``: Node keeps its ``onSocketTLSError`` listener for the socket's whole life.

What ``tls.connect``, ``tls.Server`` and ``SecurePair`` add when a handshake completes
(identity check, ``'secureConnect'``; authorization, ``'secureConnection'``) is their
``SecureHook`` (``verification.py``), given to ``new_socket`` and called before
the user's ``'secure'`` listeners, as Node's listener is registered first (listeners
added meanwhile miss that first ``'secure'``, as in Node).  The server side's
handshake work (SNICallback, OCSPRequest, session cache, renegotiation limits) is a
``ServerHandshake`` (``_server_hooks.py``); the getters are in ``tls_socket_info.py``.
``new_socket`` and ``start_handshake`` are how the makers build and start one.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Generator, Hashable, Mapping
from typing import Any, ClassVar, Self

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
from nodetls.tls._server_hooks import ServerHandshake, init_psk
from nodetls.tls.errors import (
    ERR_TLS_HANDSHAKE_TIMEOUT,
    is_missing_client_certificate,
    translate_openssl_error,
)
from nodetls.tls.lifecycle import HANDSHAKE_STATES, Lifecycle, TLSState, Trigger
from nodetls.tls.npn import negotiated_npn_protocol
from nodetls.tls.options import RenegotiateOptions, TLSSocketOptions
from nodetls.tls.socket_config import SocketConfig, check_options, socket_config
from nodetls.tls.tls_handle import TLSHandle
from nodetls.tls.tls_socket_info import TLSSocketInfo
from nodetls.tls.user_code import emit_user, user_failed
from nodetls.tls.verification import Authorization, SecureHook

__all__ = ["TLSSocket", "conn_reset", "new_socket", "start_handshake"]

_RENEGOTIATE_OPTIONS = frozenset({"reject_unauthorized", "request_cert"})

# Enum members read per connection, bound once: on Python 3.11 every ``Enum.MEMBER``
# lookup goes through ``EnumType.__getattr__`` (about five times a plain attribute).
_AWAITING_SESSION = TLSState.AWAITING_SESSION
_CONNECTING = SocketPhase.CONNECTING
_HANDSHAKE_DONE = Trigger.HANDSHAKE_DONE
_SESSION_DONE = Trigger.SESSION_DONE
_SESSION_HELD = TLSState.SESSION_HELD


def conn_reset(message: str) -> NodeConnectionResetError:
    """Node's ``ConnResetException``: code ``ECONNRESET``, no syscall."""
    return NodeConnectionResetError(errno.ECONNRESET, "", message)


class TLSSocket(TLSSocketInfo, Socket):
    """Node's ``tls.TLSSocket``.  ``TLSSocket(socket=None, **options)``.

    Awaitable: ``await sock`` returns the socket after ``'secureConnect'`` (a socket
    made by ``tls.connect``) or ``'secure'``, or raises the error that was emitted.
    """

    __slots__ = (
        "_auth",
        "_config",
        "_hook",
        "_lifecycle",
        "_parent",
        "_server_side",
        "_unwrapped_engine",
        "alpn_protocol",
        "npn_protocol",
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

    # --- Node's public attributes, read from the lifecycle and the verdict --------------------

    @property
    def secure_connecting(self) -> bool:
        """True until ``'secureConnect'`` / ``'secureConnection'`` (a bare socket: always)."""
        return not self._lifecycle.announced

    @property
    def authorized(self) -> bool:
        """Whether the peer's certificate was verified (and, client side, its identity)."""
        return self._auth.authorized

    @authorized.setter
    def authorized(self, value: bool) -> None:
        self._auth.authorized = value

    @property
    def authorization_error(self) -> str | None:
        """Why the peer is not authorized (``'DEPTH_ZERO_SELF_SIGNED_CERT'``, ...)."""
        return self._auth.authorization_error

    @authorization_error.setter
    def authorization_error(self, value: str | None) -> None:
        self._auth.authorization_error = value

    @property
    def _reject_unauthorized(self) -> bool:
        return self._auth.reject_unauthorized

    # --- construction -----------------------------------------------------------------------

    def _setup(self, socket: Duplex | None, handle: StreamHandle | None,
               config: SocketConfig, hook: SecureHook | None = None) -> None:
        self._config = config
        self._hook = hook
        self._lifecycle = lifecycle = Lifecycle(hook is not None and hook.owns_errors, 0)
        self._auth = Authorization(lifecycle, config.request_cert or not config.is_server,
                                   config.reject_unauthorized)
        self._server_side = (ServerHandshake(self, config, lifecycle)
                             if config.is_server else None)
        self._parent: Socket | None = None
        self.servername: str | bool | None = None
        self.alpn_protocol: str | bool | None = None
        self.npn_protocol: str | bool | None = None
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
            self._transition(_CONNECTING)
        self._init_engine(engine, config)
        if isinstance(socket, Socket):
            self._adopt(socket, connecting, held)
        if hook is not None:
            hook.attach(self, self._auth)
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
        self._auth.set_policy(request_cert, config.reject_unauthorized)
        if self._server_side is not None:
            engine.set_verify_mode(request_cert, config.reject_unauthorized)
            self._server_side.init_engine(engine)
        elif config.session is not None:
            engine.set_session(config.session)
        if config.alpn_wire is not None:
            engine.set_alpn_protocols(config.alpn_wire)
        if config.npn_wire is not None:
            engine.set_npn_protocols(config.npn_wire)
        if config.psk_callback is not None:
            init_psk(self, engine, config, self._on_tls_error)
        if config.enable_trace:
            engine.enable_trace()
        if config.handshake_timeout > 0:
            self._lifecycle.arm_handshake_timeout(config.handshake_timeout)
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
        side = self._server_side
        match event:
            case HandshakeDone():
                self._on_handshake_done()
            case HandshakeStarted() if side is not None:
                side.on_handshake_start()
            case KeylogLine(line=line):
                self._on_keylog(line)
            case NewSession():
                self._on_new_session(event)
            case OCSPResponse(data=data):
                self.emit("OCSPResponse", data)
            case ClientHelloPaused() if side is not None:
                side.load_session(event)
            case CertCallbackPaused() if side is not None:
                side.load_sni(event)

    def _on_handshake_done(self) -> None:
        if self._lifecycle.state is _SESSION_HELD:
            self._lifecycle.fire(_HANDSHAKE_DONE)  # 'secure' waits for done()
            return
        self._finish_init()

    def _finish_init(self) -> None:
        """Node's ``_finishInit``: the handshake is done; ``'secure'``."""
        tls = self._tls()
        if tls is None or self.destroyed:  # Node: no handle after destroy(), no 'secure'
            return
        engine = tls.engine
        config = self._config
        # Nothing to ask OpenSSL when this side offered no protocols (per connection).
        self.alpn_protocol = (engine.alpn_protocol() or False
                              if config.alpn_wire is not None or config.alpn_callback is not None
                              else False)
        self.npn_protocol = (False if config.is_server and config.npn_wire is None
                             else negotiated_npn_protocol(engine))
        if self.servername is None:
            self.servername = engine.servername() or False
        lifecycle = self._lifecycle
        lifecycle.fire(_SESSION_DONE if lifecycle.state is _AWAITING_SESSION
                       else _HANDSHAKE_DONE)
        if lifecycle.disarm_handshake_timeout():
            self._timer.set(0)
        hook = self._hook
        if hook is None:
            self.emit("secure")
            return
        # Node's on_secure is itself the first 'secure' listener: a listener added while
        # it runs (in 'secureConnection'/'secureConnect') misses this emit and only sees
        # the renegotiations' 'secure'.  Listener lists are copy-on-write: a snapshot.
        listeners = self._events.get("secure")
        self._auth.handshake_done(engine.verify_result())
        hook.on_secure(self, self._auth)
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
        hook = self._hook
        if self._server_side is not None:
            self._server_side.on_new_session(event)
        elif hook is not None:  # a bare client socket emits no 'session' (as Node)
            hook.on_session(self, self._auth, event.der)

    def _on_tls_error(self, err: BaseException) -> None:
        """Node's ``onerror``: a TLS failure (or a callback that raised); the first only."""
        came_in = self._lifecycle.fail()
        if came_in is None:
            return
        if came_in in HANDSHAKE_STATES:
            self.destroy(err)
        elif (self._config.is_server and self._auth.reject_unauthorized
              and is_missing_client_certificate(err)):
            self.destroy()  # the server refused a client without a certificate
        else:
            self._emit_tls_error(err)

    def _on_callback_error(self, exc: BaseException) -> None:
        """A user listener raised while the handle delivered an event: Node would crash
        with 'uncaughtException'; the one policy of ``user_code`` applies."""
        user_failed(self, exc, "listener")

    def _on_timeout(self) -> None:
        if self._lifecycle.take_handshake_timeout():
            self._emit_tls_error(ERR_TLS_HANDSHAKE_TIMEOUT())  # reported, not destroyed
        super()._on_timeout()

    # --- who gets the errors ------------------------------------------------------------------

    def _emit_tls_error(self, err: BaseException) -> None:
        """Node's ``_emitTLSError``."""
        if self._lifecycle.owns_errors:
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
        if server is None or not self._lifecycle.tell_server(err):
            return
        server.emit("tlsClientError", err, self)
        if server.listener_count("clientError"):
            server.emit("clientError", err, self)

    def _emit_error_tick(self, err: BaseException) -> None:
        """How ``destroy(err)`` reports ``err``; before control is released it goes to the
        server (and to the socket's own listeners, if any), never unhandled."""
        if self._lifecycle.owns_errors:
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
        if err is None and self._config.server is not None and not self._lifecycle.owns_errors:
            set_immediate(self._hang_up)  # runs just before 'close'
        self._unwrapped_engine = None
        self._server_side = None  # it refers back to the socket: freed by refcounting
        super()._destroy(err, cb)
        parent = self._parent
        if parent is not None and not parent.destroyed:
            parent.destroy()

    def _hang_up(self) -> None:
        """Node's ``onSocketClose``: a server connection closed before the handshake."""
        if self._lifecycle.server_may_hear:
            self._report_to_server(conn_reset("socket hang up"))

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
        if self._server_side is not None:  # Node counts the server's handshakes only
            self._server_side.disable_renegotiation()

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
        auth = self._auth
        request_cert = bool(options.get("request_cert", auth.request_cert))
        reject = bool(options.get("reject_unauthorized", auth.reject_unauthorized))
        if auth.set_policy(request_cert, reject):
            tls.engine.set_verify_mode(request_cert, reject)
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

    def _awaited_event(self) -> str:
        hook = self._hook
        return hook.awaited_event if hook is not None else "secure"

    def _is_await_ready(self) -> bool:
        if self._awaited_event() == "secureConnect":
            return self._lifecycle.announced
        return self._lifecycle.handshake_done

    def __await__(self) -> Generator[Any, None, Self]:
        return self._wait_secure().__await__()

    async def _wait_secure(self) -> Self:
        if self._is_await_ready():
            return self
        if self.destroyed:
            raise self.errored or ERR_SOCKET_CLOSED()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        event = self._awaited_event()

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



def new_socket(config: SocketConfig, socket: Duplex | None = None,
               handle: StreamHandle | None = None, hook: SecureHook | None = None,
               stream_options: Mapping[str, Any] | None = None) -> TLSSocket:
    """A ``TLSSocket`` made by ``tls.connect``, a ``tls.Server`` (over an accepted
    ``handle``: no ``net.Socket``) or a ``SecurePair``, from their ``config``, with
    their ``hook``."""
    sock = TLSSocket.__new__(TLSSocket)
    sock._setup(socket, handle, config, hook)
    if handle is not None:
        sock._server = config.server
    if stream_options is not None:
        sock._stream_options(stream_options)
    return sock


def start_handshake(sock: TLSSocket) -> None:
    """A client's ClientHello, once connected (Node's ``_start``)."""
    sock._start()
