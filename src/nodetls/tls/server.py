"""``tls.Server`` and ``tls.create_server``: a ``net.Server`` whose connections speak TLS.

Theory of operation
-------------------
As in Node, a ``tls.Server`` is a ``net.Server`` with its own ``'connection'`` listener,
which wraps each raw socket in a server-side ``TLSSocket``; ``server.emit('connection',
duplex)`` therefore serves any Duplex.  When nobody else listens to ``'connection'``,
an accepted connection skips the raw ``net.Socket`` altogether: the ``TLSSocket`` is
built straight over the accepted handle (``_on_accept``).  Nothing observable changes,
and a connection costs one socket object instead of two.

The secure context is built once per ``set_secure_context`` (Node's ``_sharedCreds``)
and shared by every connection, together with one frozen ``SocketConfig``; accepting a
connection parses no options.  ``set_secure_context`` swaps both for new connections;
open connections keep theirs.  Defaults are Node's: ``honor_cipher_order`` True, a
``session_id_context`` derived from the command line (the first 32 hex digits of
SHA-1 over it), ``handshake_timeout`` 120000 ms, ``reject_unauthorized`` True (it only
matters with ``request_cert``).

Before ``'secureConnection'`` a connection's errors go to ``'tlsClientError'`` (see
``tls_socket.py``); once its handshake is done and the client is authorized (or
``reject_unauthorized`` is off), ``'secureConnection'`` hands it to the user.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from re import Pattern
from typing import Any, ClassVar, Final

from typing_extensions import Unpack

from nodetls.engine.context import NativeSecureContext
from nodetls.node.handle import StreamHandle
from nodetls.node.jsvalues import truthy
from nodetls.node.net_server import Server as NetServer
from nodetls.node.transport_handle import TransportHandle
from nodetls.node.validators import (
    validate_boolean,
    validate_function,
    validate_number,
    validate_object,
    validate_string,
)
from nodetls.tls._deprecation import deprecate_once
from nodetls.tls._server_hooks import default_sni_callback, sni_pattern
from nodetls.tls.alpn import convert_alpn_protocols
from nodetls.tls.errors import (
    ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS,
    ERR_TLS_INVALID_CONTEXT,
    ERR_TLS_REQUIRED_SERVER_NAME,
)
from nodetls.tls.hardening import HARDENING_OPTIONS
from nodetls.tls.npn import convert_npn_protocols
from nodetls.tls.options import (
    ContextOptions,
    SecureContextOptions,
    ServerOptions,
)
from nodetls.tls.secure_context import SecureContext, secure_context_from_options
from nodetls.tls.socket_config import SocketConfig, check_options
from nodetls.tls.ticket_keys import ticket_key_ring
from nodetls.tls.tls_socket import TLSSocket, new_socket
from nodetls.tls.user_code import emit_user
from nodetls.tls.verification import Authorization

__all__ = ["Server", "create_server"]

DEFAULT_HANDSHAKE_TIMEOUT: Final = 120 * 1000

_NET_OPTIONS: Final = ("allow_half_open", "pause_on_connect", "no_delay", "keep_alive",
                       "keep_alive_initial_delay", "high_water_mark")

# The context options set_secure_context resets on every call (the others keep their value).
_RESET_OPTIONS: Final = (
    "pfx", "key", "passphrase", "cert", "client_cert_engine", "ca", "min_version",
    "max_version", "secure_protocol", "crl", "sigalgs", "ciphers", "ecdh_curve", "dhparam",
    "secure_options", "private_key_identifier", "private_key_engine",
    "allow_partial_trust_chain", "use_system_ca",
)
_KEPT_OPTIONS: Final = ("session_timeout", "ticket_keys")
# Beyond Node: kept across calls unless given (even as 0/False), so that a certificate
# rotation does not quietly undo the hardening.
_KEPT_UNLESS_GIVEN: Final = tuple(sorted(HARDENING_OPTIONS))

_session_id_context: str | None = None


def default_session_id_context() -> str:
    """Node's: ``sha1(process.argv.join(' ')).slice(0, 32)``; here over the interpreter
    and ``sys.argv``, so processes started alike share it."""
    global _session_id_context
    if _session_id_context is None:
        argv = " ".join([sys.executable, *sys.argv])
        _session_id_context = hashlib.sha1(argv.encode("utf-8")).hexdigest()[:32]
    return _session_id_context


class _ReadingHandle(TransportHandle):
    """An accepted connection that is read from the start.

    A ``TransportHandle`` starts stopped (as libuv handles do), so each accepted
    connection would cost a ``pause_reading`` and, one tick later, a
    ``resume_reading`` (two ``epoll_ctl`` calls and asyncio bookkeeping).  A TLS
    server reads every connection at once (Node's ``initRead``), and nothing can be
    read before ``connection_made`` returns, so it starts reading; a socket created
    with ``pause_on_connect`` stops it again (and, as in Node, starts it for the
    handshake anyway)."""

    __slots__ = ()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._reading = True
        super().connection_made(transport)


class Server(NetServer):
    """Node's ``tls.Server``.  ``Server(secure_connection_listener=None, **options)``."""

    __slots__ = (
        "_alpn_callback",
        "_alpn_wire",
        "_authorizer",
        "_config",
        "_context_options",
        "_contexts",
        "_enable_trace",
        "_handshake_timeout",
        "_npn_wire",
        "_psk_callback",
        "_psk_identity_hint",
        "_shared_context",
        "_sni_callback",
        "reject_unauthorized",
        "request_cert",
    )

    def __init__(self, secure_connection_listener: Callable[[TLSSocket], object] | None = None,
                 **options: Unpack[ServerOptions]) -> None:
        self._init(secure_connection_listener, options)

    def _init(self, secure_connection_listener: Callable[[TLSSocket], object] | None,
              options: Mapping[str, Any]) -> None:
        check_options(options, "create_server")
        NetServer.__init__(self, self._tls_connection_listener,
                           **{k: options[k] for k in _NET_OPTIONS if k in options})
        self._contexts: list[tuple[Pattern[str], NativeSecureContext]] = []
        self._authorizer = ServerAuthorizer(self)
        self.request_cert = options.get("request_cert") is True
        self.reject_unauthorized = options.get("reject_unauthorized") is not False
        self._alpn_callback = _callback_option(options, "alpn_callback")
        if self._alpn_callback is not None and options.get("alpn_protocols"):
            raise ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS()
        alpn = options.get("alpn_protocols")
        self._alpn_wire = convert_alpn_protocols(alpn) if alpn else None
        self._npn_wire = convert_npn_protocols(options.get("npn_protocols"))
        self._context_options: dict[str, Any] = {}
        self._config: SocketConfig | None = None
        self._set_secure_context(options)
        self._handshake_timeout = options.get("handshake_timeout") or DEFAULT_HANDSHAKE_TIMEOUT
        validate_number(self._handshake_timeout, "options.handshake_timeout")
        self._sni_callback = _callback_option(options, "sni_callback")
        self._psk_callback = _callback_option(options, "psk_callback")
        self._psk_identity_hint = options.get("psk_identity_hint") or None
        if self._psk_identity_hint is not None:
            validate_string(self._psk_identity_hint, "options.psk_identity_hint")
        self._enable_trace = options.get("enable_trace")
        if self._enable_trace is not None:  # Node checks it per connection, uncaught
            validate_boolean(self._enable_trace, "options.enable_trace")
        if secure_connection_listener is not None:
            self.on("secureConnection", secure_connection_listener)

    # --- the shared context -------------------------------------------------------------------

    def set_secure_context(self, **options: Unpack[ContextOptions]) -> None:
        """Build the context new connections use (open ones keep theirs), from the
        options, or take ``secure_context`` as it is."""
        check_options(options, "set_secure_context")
        self._set_secure_context(options)

    def _set_secure_context(self, options: Mapping[str, Any]) -> None:
        if options.get("secure_context") is not None:
            self._use_secure_context(options)
            return
        merged = {k: v for k, v in self._context_options.items()
                  if k in _KEPT_OPTIONS or k in _KEPT_UNLESS_GIVEN}
        for name in _RESET_OPTIONS + _KEPT_UNLESS_GIVEN:
            if name in options:
                merged[name] = options[name]
        for name in _KEPT_OPTIONS:
            if options.get(name):
                merged[name] = options[name]
        honor = options.get("honor_cipher_order")
        merged["honor_cipher_order"] = True if honor is None else bool(honor)
        merged["session_id_context"] = (options.get("session_id_context")
                                        or default_session_id_context())
        self._shared_context = secure_context_from_options(merged)
        self._context_options = merged
        self._config = None

    def _use_secure_context(self, options: Mapping[str, Any]) -> None:
        """Serve a context built beforehand, as it is.  Node's ``createServer`` ignores
        ``secureContext`` (and serves a context without a certificate unless ``key`` and
        ``cert`` are given too); nodetls honours it with the precedence Node's
        ``tls.connect`` and ``new TLSSocket`` give it: the context wins over the options
        that would build one."""
        context = options["secure_context"]
        if not isinstance(context, SecureContext):
            raise ERR_TLS_INVALID_CONTEXT("options.secure_context")
        self._shared_context = context
        self._context_options = {}
        self._config = None

    def _connection_config(self) -> SocketConfig:
        """The options every new connection gets (rebuilt only when they changed)."""
        config = self._config
        if (config is not None and config.request_cert == self.request_cert
                and config.reject_unauthorized == self.reject_unauthorized):
            return config
        self._config = config = SocketConfig(
            context=self._shared_context,
            is_server=True,
            server=self,
            request_cert=self.request_cert,
            reject_unauthorized=self.reject_unauthorized,
            alpn_wire=self._alpn_wire,
            alpn_callback=self._alpn_callback,
            npn_wire=self._npn_wire,
            sni_callback=self._sni_callback or default_sni_callback,
            psk_callback=self._psk_callback,
            psk_identity_hint=self._psk_identity_hint,
            enable_trace=bool(self._enable_trace),
            handshake_timeout=float(self._handshake_timeout),
            high_water_mark=self.high_water_mark,
            allow_half_open=self.allow_half_open,
            pause_on_connect=self.pause_on_connect,
            no_delay=self.no_delay,
            keep_alive=self.keep_alive,
            keep_alive_initial_delay=self.keep_alive_initial_delay,
        )
        return config

    def sni_context(self, servername: str) -> NativeSecureContext | None:
        """The last ``add_context`` entry matching ``servername`` (Node's default
        ``SNICallback``); None without one."""
        for pattern, context in reversed(self._contexts):
            if pattern.match(servername):
                return context
        return None

    @property
    def has_sni_contexts(self) -> bool:
        """Whether ``add_context`` was called."""
        return bool(self._contexts)

    @property
    def serving_context(self) -> SecureContext:
        """The context new connections get (Node's ``_sharedCreds``)."""
        return self._shared_context

    def get_ticket_keys(self) -> bytes:
        """The 48-byte key that encrypts new tickets (Node's layout; with a ring, its
        first key)."""
        return self._shared_context.context.get_ticket_keys()

    def set_ticket_keys(self, keys: bytes | Sequence[bytes]) -> None:
        """Replace the ticket keys: one 48-byte key (16 name, 16 HMAC-SHA256, 16
        AES-128-CBC), as Node, or a list of them, a ring (beyond Node).

        New tickets use the (first) key at once.  With one key, a ticket made under
        other keys is refused silently (a full handshake and a fresh ticket), as Node;
        with a ring every key still decrypts, and a ticket under an older key is
        renewed under the first.  A wrong length is ``ERR_INVALID_ARG_VALUE`` "must be
        exactly 48 bytes" (the ``ticket_keys`` option's error), where Node fails an
        internal assertion.
        """
        ring = ticket_key_ring(keys, "keys", buffer_name="buffer")  # Node's message: 'buffer'
        self._shared_context.context.set_ticket_keys(ring)

    def set_options(self, **options: Unpack[ServerOptions]) -> None:
        """Deprecated (``DEP0122``): use ``set_secure_context``.

        As in Node v20 it updates the server's own settings (``request_cert``,
        ``reject_unauthorized``, ALPN, PSK) for new connections but does not rebuild
        the shared context."""
        deprecate_once("DEP0122", "Server.prototype.setOptions() is deprecated")
        check_options(options, "set_options")
        self.request_cert = options.get("request_cert") is True
        self.reject_unauthorized = options.get("reject_unauthorized") is not False
        if options.get("alpn_protocols"):
            self._alpn_wire = convert_alpn_protocols(options["alpn_protocols"])
        if options.get("psk_callback"):
            self._psk_callback = options["psk_callback"]
        if options.get("psk_identity_hint"):
            self._psk_identity_hint = options["psk_identity_hint"]
        self._config = None

    def add_context(self, hostname: str,
                    context: SecureContext | SecureContextOptions) -> None:
        """Serve ``context`` to clients asking for ``hostname`` (``*`` matches one label)."""
        if not hostname:
            raise ERR_TLS_REQUIRED_SERVER_NAME()
        if not isinstance(context, SecureContext):
            validate_object(context, "options")  # Node: createSecureContext(context)
            context = secure_context_from_options(context)
        self._contexts.append((sni_pattern(hostname), context.context))

    @property
    def connections(self) -> int:
        """Deprecated (DEP0020): the number of open connections."""
        deprecate_once("DEP0020", "Server.connections property is deprecated. "
                                  "Use Server.getConnections method instead.")
        return self._connections

    # --- connections --------------------------------------------------------------------------

    def _tls_connection_listener(self, raw: Any) -> None:
        """Node's ``tlsConnectionListener``: a raw socket (or any Duplex) becomes TLS."""
        new_socket(self._connection_config(), raw, hook=self._authorizer)

    def _protocol_factory(self) -> TransportHandle:
        return _ReadingHandle(on_open=self._on_accept)

    def _on_accept(self, handle: StreamHandle) -> None:
        # Only our own 'connection' listener: no net.Socket is needed (a user listening
        # to 'connection' gets Node's path, with one).
        listeners = self.listeners("connection")
        if len(listeners) != 1 or listeners[0] != self._tls_connection_listener:
            super()._on_accept(handle)
            return
        if self.max_connections is not None and self._connections >= self.max_connections:
            self._drop(handle)
            return
        new_socket(self._connection_config(), handle=handle, hook=self._authorizer)
        self._connections += 1


def _callback_option(options: Mapping[str, Any], name: str) -> Callable[..., Any] | None:
    """Node's ``if (options.X) validateFunction(options.X)``, with JavaScript's truth
    test (an empty dict or list is an object, so it is checked and refused)."""
    value = options.get(name)
    if not truthy(value):
        return None
    validate_function(value, f"options.{name}")
    return value


class ServerAuthorizer:
    """A server's ``SecureHook`` (one for all its connections): Node's
    ``onServerSocketSecure``, which authorizes, then emits ``'secureConnection'``."""

    __slots__ = ("server",)

    awaited_event: ClassVar[str] = "secure"
    owns_errors: ClassVar[bool] = False  # the server's ('tlsClientError') until announced

    def __init__(self, server: Server) -> None:
        self.server = server

    def attach(self, sock: TLSSocket, auth: Authorization) -> None:
        pass

    def on_session(self, sock: TLSSocket, auth: Authorization, der: bytes) -> None:
        pass  # a server's sessions go to 'newSession'

    def on_secure(self, sock: TLSSocket, auth: Authorization) -> None:
        if auth.request_cert:
            error = auth.verify_error()
            if error is not None:
                auth.authorization_error = error.code
                if auth.reject_unauthorized:
                    sock.destroy()
            else:
                auth.grant()
        if not sock.destroyed and auth.lifecycle.announce():
            emit_user(sock, self.server, "secureConnection", (sock,))


def create_server(secure_connection_listener: Callable[[TLSSocket], object] | None = None,
                  **options: Unpack[ServerOptions]) -> Server:
    """``tls.createServer(options, secureConnectionListener)``: a ``Server``.

    ``secure_connection_listener`` is a ``'secureConnection'`` listener; the options are
    ``tls.ServerOptions`` (Node's, in snake_case).  A
    ``secure_context`` is served as it is (Node ignores it), in place of one built from
    the other options.
    """
    return Server(secure_connection_listener, **options)

