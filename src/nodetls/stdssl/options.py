"""``ContextConfig``: the options of a ``nodetls.SSLContext``, validated as Node does.

Theory of operation.  A server context takes the options of ``create_server``, a
client context those of ``connect``, minus what belongs to a connection rather than a
context (``port``, ``host``, ``socket``, ``timeout``...: the library that opens the
connection owns those).  They are validated by the code that validates them for
``create_server``/``connect``: ``secure_context_from_options`` builds the secure
context, ``socket_config`` checks the per-connection options (ALPN, SNI, PSK
callbacks...), and the defaults are Node's (a server's ``honor_cipher_order`` and
``session_id_context``, a client's ``reject_unauthorized`` and
``check_server_identity``).  An unknown keyword is a ``TypeError`` naming it.

The result is one frozen ``ContextConfig``, rebuilt whenever a stdlib setter
(``load_cert_chain``, ``verify_mode``...) changes an option; connections already made
keep the one they started with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from nodetls.node.validators import validate_boolean, validate_function, validate_number
from nodetls.tls.connect import DEFAULT_MIN_DH_SIZE, allow_unauthorized
from nodetls.tls.errors import ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS
from nodetls.tls.identity import check_server_identity
from nodetls.tls.secure_context import SECURE_CONTEXT_OPTIONS, TLS_OPTIONS, SecureContext
from nodetls.tls.server import default_session_id_context
from nodetls.tls.socket_config import SocketConfig, socket_config

__all__ = ["CLIENT_OPTIONS", "SERVER_OPTIONS", "ContextConfig", "context_config"]

_BOTH: Final = frozenset({"alpn_protocols", "enable_trace", "npn_protocols", "psk_callback",
                          "reject_unauthorized", "secure_context"})
#: What ``SSLContext(server_side=True, ...)`` accepts: ``create_server``'s TLS options.
SERVER_OPTIONS: Final = _BOTH | frozenset({
    "alpn_callback", "psk_identity_hint", "request_cert", "sni_callback",
})
#: What ``SSLContext(server_side=False, ...)`` accepts: ``connect``'s TLS options.
CLIENT_OPTIONS: Final = _BOTH | frozenset({
    "check_server_identity", "min_dh_size", "request_ocsp", "servername", "session",
})


@dataclass(frozen=True, slots=True)
class ContextConfig:
    """Everything a connection of one ``SSLContext`` is set up from."""

    server_side: bool
    socket: SocketConfig
    check_server_identity: Callable[[str, Any], BaseException | None] = check_server_identity
    servername: str | None = None
    min_dh_size: float = DEFAULT_MIN_DH_SIZE

    @property
    def context(self) -> SecureContext:
        return self.socket.context


def _check_names(options: Mapping[str, object], server_side: bool) -> None:
    allowed = SECURE_CONTEXT_OPTIONS | (SERVER_OPTIONS if server_side else CLIENT_OPTIONS)
    for name in options:
        if name in allowed:
            continue
        if name in TLS_OPTIONS:
            side = "server" if server_side else "client"
            raise TypeError(f"SSLContext() got an unexpected keyword argument {name!r}: not an "
                            f"option of a {side} context (give connection options to the "
                            "library that opens the connection)")
        raise TypeError(f"SSLContext() got an unexpected keyword argument {name!r}")


def context_config(server_side: bool, options: Mapping[str, Any]) -> ContextConfig:
    """Validate ``options`` for one side into a ``ContextConfig`` (Node's errors)."""
    validate_boolean(server_side, "server_side")
    _check_names(options, server_side)
    if server_side:
        return _server_config(options)
    return _client_config(options)


def _server_config(options: Mapping[str, Any]) -> ContextConfig:
    if options.get("alpn_callback") and options.get("alpn_protocols"):
        raise ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS()
    opts: dict[str, Any] = {
        **options,
        "honor_cipher_order": options.get("honor_cipher_order", True) is not False,
        "session_id_context": options.get("session_id_context") or default_session_id_context(),
        "is_server": True,
        "request_cert": options.get("request_cert") is True,
        "reject_unauthorized": options.get("reject_unauthorized") is not False,
    }
    return ContextConfig(server_side=True, socket=socket_config(opts))


def _client_config(options: Mapping[str, Any]) -> ContextConfig:
    identity = options.get("check_server_identity", check_server_identity)
    validate_function(identity, "options.check_server_identity")
    min_dh_size = options.get("min_dh_size", DEFAULT_MIN_DH_SIZE)
    validate_number(min_dh_size, "options.min_dh_size", 1)
    reject = options.get("reject_unauthorized", not allow_unauthorized()) is not False
    opts: dict[str, Any] = {**options, "is_server": False, "request_cert": True,
                            "reject_unauthorized": reject}
    servername = options.get("servername")
    return ContextConfig(server_side=False, socket=socket_config(opts),
                         check_server_identity=identity, servername=servername or None,
                         min_dh_size=float(min_dh_size))
