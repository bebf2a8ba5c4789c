"""``tls.connect``: a client ``TLSSocket``, connected and verified as Node does it.

Theory of operation
-------------------
``connect(port=None, host=None, callback=None, **options)`` is Node's
``tls.connect([port][, host][, options][, callback])``.  It builds the options with
Node's defaults (``reject_unauthorized`` True unless ``NODE_TLS_REJECT_UNAUTHORIZED=0``,
``check_server_identity=tls.check_server_identity``, ``min_dh_size`` 1024), a new secure
context unless ``secure_context`` is given, and a client ``TLSSocket``.  Without
``socket`` it opens the TCP (or unix ``path``) connection and starts the handshake once
connected; with ``socket`` (any connected Duplex: STARTTLS) it starts at once.
Its ``ClientVerifier`` owns the socket's errors from the start, so every error is the
socket's ``'error'``.

SNI is sent only when ``servername`` is given (an IP address there is deprecated:
``DEP0123``, warned once).  When the handshake is done, ``ClientVerifier.on_secure``
runs before the user's ``'secure'`` listeners: the server's DH size against ``min_dh_size``
(``ERR_TLS_DH_PARAM_SIZE``), the chain verification result, then, unless the session was
resumed, ``check_server_identity(servername or host or 'localhost', cert)`` (an
``async def`` one is awaited; one that raises falls under ``user_code``'s policy).  A failure
destroys the socket with that error (``DEPTH_ZERO_SELF_SIGNED_CERT``,
``ERR_TLS_CERT_ALTNAME_INVALID``, ...) unless ``reject_unauthorized`` is False, in which
case it becomes ``authorization_error``.  Then ``'secureConnect'``, and the ``'session'``
that arrived before it.  An ``'end'`` before all that is ``ECONNRESET`` "Client network
socket disconnected before secure TLS connection was established".
"""

from __future__ import annotations

import functools
import inspect
import os
import warnings
from collections.abc import Callable
from typing import Any, ClassVar, Final

from typing_extensions import Unpack

from nodetls.node.errors import ERR_UNHANDLED_ERROR
from nodetls.node.os_sockets import ip_version
from nodetls.node.validators import validate_function, validate_number
from nodetls.tls._deprecation import deprecate_once
from nodetls.tls.errors import ERR_TLS_DH_PARAM_SIZE
from nodetls.tls.identity import check_server_identity
from nodetls.tls.options import ConnectOptions
from nodetls.tls.secure_context import secure_context_from_options
from nodetls.tls.socket_config import check_options, socket_config
from nodetls.tls.tls_socket import TLSSocket, conn_reset, new_socket, start_handshake
from nodetls.tls.user_code import FAILED, guarded, later
from nodetls.tls.verification import Authorization

__all__ = ["allow_unauthorized", "connect"]

DEFAULT_MIN_DH_SIZE: Final = 1024

_SOCKET_OPTIONS: Final = ("session", "alpn_protocols", "npn_protocols", "request_ocsp",
                          "enable_trace", "psk_callback", "high_water_mark",
                          "allow_half_open")
_CONNECT_OPTIONS: Final = ("local_address", "local_port", "family", "no_delay", "keep_alive",
                           "keep_alive_initial_delay", "lookup", "hints", "fd",
                           "auto_select_family", "auto_select_family_attempt_timeout")

_warned_unauthorized = False


def allow_unauthorized() -> bool:
    """Node's ``getAllowUnauthorized``: ``NODE_TLS_REJECT_UNAUTHORIZED=0`` (warned once)."""
    global _warned_unauthorized
    allow = os.environ.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0"
    if allow and not _warned_unauthorized:
        _warned_unauthorized = True
        warnings.warn(
            "Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS "
            "connections and HTTPS requests insecure by disabling certificate verification.",
            stacklevel=3,
        )
    return allow


def connect(port: int | str | None = None, host: str | None = None,
            callback: Callable[[], object] | None = None,
            **options: Unpack[ConnectOptions]) -> TLSSocket:
    """Open a TLS connection; returns the ``TLSSocket`` (awaitable: ``await`` it for the
    socket after ``'secureConnect'``).  ``callback`` is a ``'secureConnect'`` listener.

    The options are ``tls.ConnectOptions`` (Node's, in snake_case).
    """
    if callable(host):
        callback, host = host, None
    if callable(port):
        callback, port = port, None
    check_options(options, "connect")
    opts: dict[str, Any] = {
        "reject_unauthorized": not allow_unauthorized(),
        "check_server_identity": check_server_identity,
        "min_dh_size": DEFAULT_MIN_DH_SIZE,
    }
    if port is not None:
        opts["port"] = port
    if host is not None:
        opts["host"] = host
    opts.update(options)
    validate_function(opts["check_server_identity"], "options.check_server_identity")
    validate_number(opts["min_dh_size"], "options.min_dh_size", 1)
    opts["reject_unauthorized"] = opts["reject_unauthorized"] is not False

    context = opts.get("secure_context") or secure_context_from_options(opts)
    socket_options: dict[str, Any] = {name: opts[name] for name in _SOCKET_OPTIONS if name in opts}
    verifier = ClientVerifier(opts)
    config = socket_config({**socket_options, "secure_context": context, "is_server": False,
                            "request_cert": True,
                            "reject_unauthorized": opts["reject_unauthorized"]})
    raw = opts.get("socket")
    sock = new_socket(config, raw, hook=verifier, stream_options=opts)
    if callback is not None:
        sock.once("secureConnect", callback)
    if raw is None:
        if opts.get("timeout"):
            sock.set_timeout(opts["timeout"])
        extra = {name: opts[name] for name in _CONNECT_OPTIONS if name in opts}
        sock.connect(opts.get("port"), opts.get("host"), lambda: start_handshake(sock),
                     path=opts.get("path"), **extra)
    servername = opts.get("servername")
    if servername:
        if ip_version(servername):
            deprecate_once("DEP0123", "Setting the TLS ServerName to an IP address is not "
                                      "permitted by RFC 6066. This will be ignored in a future "
                                      "version.")
        sock.set_servername(servername)
    if raw is not None:
        start_handshake(sock)
    if verifier.end_listener is not None:
        sock.prepend_listener("end", verifier.end_listener)
    return sock


def _identity_error(answer: object) -> BaseException | None:
    """Node tests ``check_server_identity``'s answer for truth: ``False``, ``''``, ``0``
    pass as ``None`` does.  A truthy non-exception rejects, as in Node, where it is the
    ``'error'`` value itself; Python raises only exceptions, so it is wrapped as Node wraps
    a non-error ``'error'`` (``ERR_UNHANDLED_ERROR``, the value as ``.context``)."""
    if not answer:
        return None
    if isinstance(answer, BaseException):
        return answer
    return ERR_UNHANDLED_ERROR(answer)


class ClientVerifier:
    """``tls.connect``'s ``SecureHook``: Node's ``onConnectSecure`` and ``onConnectEnd``,
    and the ``'session'`` that waits for ``'secureConnect'``."""

    __slots__ = ("_pending_session", "end_listener", "options")

    awaited_event: ClassVar[str] = "secureConnect"
    owns_errors: ClassVar[bool] = True

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self._pending_session: bytes | None = None
        # the 'end' listener until 'secureConnect'; it refers to the socket, so it is
        # dropped then (a connected socket is freed by reference counting)
        self.end_listener: Callable[[], None] | None = None

    def attach(self, sock: TLSSocket, auth: Authorization) -> None:
        self.end_listener = functools.partial(self._on_end, sock, auth)

    def on_session(self, sock: TLSSocket, auth: Authorization, der: bytes) -> None:
        if auth.lifecycle.announced:
            sock.emit("session", der)
        else:
            self._pending_session = der  # emitted after 'secureConnect'

    def _on_end(self, sock: TLSSocket, auth: Authorization) -> None:
        """The peer ended before ``'secureConnect'`` (Node's ``onConnectEnd``):
        ``ECONNRESET`` with the connection's host, port and path."""
        if auth.lifecycle.fail() is None:
            return
        options = self.options
        error = conn_reset("Client network socket disconnected before secure TLS "
                           "connection was established")
        error.path = options.get("path")  # type: ignore[attr-defined]
        error.host = options.get("host")  # type: ignore[attr-defined]
        error.port = options.get("port")
        error.local_address = options.get("local_address")  # type: ignore[attr-defined]
        sock.destroy(error)

    def on_secure(self, sock: TLSSocket, auth: Authorization) -> None:
        """Node's ``onConnectSecure``: DH size, verification, identity;
        ``'secureConnect'``."""
        options = self.options
        key = sock.get_ephemeral_key_info() or {}
        size = key.get("size")
        if key.get("type") == "DH" and isinstance(size, int) and size < options["min_dh_size"]:
            sock.emit("error", ERR_TLS_DH_PARAM_SIZE(size))
            sock.destroy()
            return
        error: Any = auth.verify_error()
        if error is None and not sock.is_session_reused():
            hostname = options.get("servername") or options.get("host") or "localhost"
            error = guarded(sock, "check_server_identity", options["check_server_identity"],
                            hostname, sock.get_peer_certificate(True))
            if error is FAILED:
                return
            if inspect.isawaitable(error):  # an async def: 'secureConnect' waits for it
                later(sock, "check_server_identity", error,
                      lambda value: self._authorize(sock, auth, _identity_error(value)))
                return
        self._authorize(sock, auth, _identity_error(error))

    def _authorize(self, sock: TLSSocket, auth: Authorization, error: Any) -> None:
        """The verdict: destroy (or note ``authorization_error``), else
        ``'secureConnect'``."""
        if error is not None:
            auth.refuse(None if isinstance(error, ERR_UNHANDLED_ERROR)  # as Node
                        else getattr(error, "code", None) or str(error))
            if self.options["reject_unauthorized"]:
                sock.destroy(error)
                return
        else:
            auth.grant()
        auth.lifecycle.announce()
        sock.emit("secureConnect")
        session, self._pending_session = self._pending_session, None
        if session is not None:
            sock.emit("session", session)
        listener, self.end_listener = self.end_listener, None
        if listener is not None:
            sock.remove_listener("end", listener)
