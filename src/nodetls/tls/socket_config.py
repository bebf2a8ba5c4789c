"""``SocketConfig``: the per-socket TLS options, validated once and then shared.

Node gives every ``TLSSocket`` a fresh ``_tlsOptions`` object; a ``tls.Server`` builds
one for each accepted connection.  Here the options are parsed and validated once into
a frozen ``SocketConfig``: ``new TLSSocket(socket, options)`` makes one, and a
``tls.Server`` makes one per ``set_secure_context`` and hands the same object to every
connection, so accepting a connection parses nothing.

Validation follows Node's ``TLSSocket`` constructor and ``_init`` (``enableTrace`` must be
a boolean, ``SNICallback``/``ALPNCallback``/``pskCallback`` functions,
``pskIdentityHint`` a string); ``ALPNProtocols`` is converted to the wire format here.
A ``secure_context`` that is not a ``SecureContext`` is ``ERR_TLS_INVALID_CONTEXT``;
without one, a context is created from the same options (``createSecureContext``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nodetls.node.errors import ERR_INVALID_ARG_VALUE, NodeTypeError
from nodetls.node.jsvalues import truthy
from nodetls.node.validators import validate_boolean, validate_function, validate_string
from nodetls.tls.alpn import convert_alpn_protocols
from nodetls.tls.errors import ERR_TLS_INVALID_CONTEXT
from nodetls.tls.npn import convert_npn_protocols
from nodetls.tls.options import TLS_OPTIONS
from nodetls.tls.secure_context import SecureContext, secure_context_from_options

if TYPE_CHECKING:
    from nodetls.tls.server import Server

__all__ = ["SocketConfig", "check_options", "socket_config"]


@dataclass(frozen=True, slots=True)
class SocketConfig:
    """What a ``TLSSocket`` needs to set up its engine (Node's ``_tlsOptions``)."""

    context: SecureContext
    is_server: bool = False
    server: Server | None = None
    request_cert: bool = False
    reject_unauthorized: bool = False
    alpn_wire: bytes | None = None
    alpn_callback: Callable[[dict[str, Any]], Any] | None = None
    npn_wire: bytes | None = None
    sni_callback: Callable[..., Any] | None = None
    psk_callback: Callable[..., Any] | None = None
    psk_identity_hint: str | None = None
    session: bytes | None = None
    request_ocsp: bool = False
    enable_trace: bool = False
    handshake_timeout: float = 0
    high_water_mark: int | None = None
    allow_half_open: bool | None = None
    pause_on_connect: bool = False
    no_delay: bool = False
    keep_alive: bool = False
    keep_alive_initial_delay: float = 0


def check_options(options: Mapping[str, object], api: str) -> None:
    """An unknown keyword is a ``TypeError`` that names it (API.md)."""
    for name in options:
        if name not in TLS_OPTIONS:
            raise TypeError(f"{api}() got an unexpected keyword argument {name!r}")


def session_buffer(session: object) -> bytes:
    """Node's ``SetSession`` check: the option (and ``set_session``, after turning a
    string into latin-1 bytes) takes a buffer; anything else is ``ERR_INVALID_ARG_TYPE``
    "Session must be a buffer".  (An int must not reach ``bytes()``: ``bytes(2**40)``
    would try to allocate a zeroed terabyte.)"""
    if not isinstance(session, bytes | bytearray | memoryview):
        raise NodeTypeError("Session must be a buffer", "ERR_INVALID_ARG_TYPE")
    return bytes(session)


def _valid_alpn_wire(wire: bytes) -> bool:
    """Length-prefixed names, each 1 to 255 bytes, ending exactly at the end."""
    at = 0
    while at < len(wire):
        if wire[at] == 0:
            return False
        at += 1 + wire[at]
    return at == len(wire)


def socket_config(options: Mapping[str, Any]) -> SocketConfig:
    """Validate ``TLSSocket`` options (Node's names, snake_case) into a ``SocketConfig``."""
    enable_trace = options.get("enable_trace")
    if enable_trace is not None:
        validate_boolean(enable_trace, "options.enable_trace")
    context = options.get("secure_context") or secure_context_from_options(options)
    if not isinstance(context, SecureContext):
        raise ERR_TLS_INVALID_CONTEXT("context")
    alpn = options.get("alpn_protocols")
    alpn_wire = convert_alpn_protocols(alpn) if truthy(alpn) else None
    if alpn_wire and not options.get("is_server") and not _valid_alpn_wire(alpn_wire):
        # Node passes the buffer to SSL_set_alpn_protos and aborts the process when
        # OpenSSL refuses it (an empty name, or a length past the end).
        raise ERR_INVALID_ARG_VALUE("options.alpn_protocols", alpn,
                                    "is not a valid list of ALPN protocol names")
    for name in ("alpn_callback", "sni_callback", "psk_callback"):
        if truthy(options.get(name)):
            validate_function(options[name], f"options.{name}")
    hint = options.get("psk_identity_hint")
    if truthy(hint):
        validate_string(hint, "options.psk_identity_hint")
    session = options.get("session")
    timeout = options.get("handshake_timeout")
    return SocketConfig(
        context=context,
        is_server=bool(options.get("is_server")),
        server=options.get("server"),
        request_cert=truthy(options.get("request_cert")),
        reject_unauthorized=truthy(options.get("reject_unauthorized")),
        alpn_wire=alpn_wire,
        alpn_callback=options.get("alpn_callback") or None,
        npn_wire=convert_npn_protocols(options.get("npn_protocols")),
        sni_callback=options.get("sni_callback") or None,
        psk_callback=options.get("psk_callback") or None,
        psk_identity_hint=hint or None,
        session=session_buffer(session) if truthy(session) else None,
        request_ocsp=truthy(options.get("request_ocsp")),
        enable_trace=bool(enable_trace),
        handshake_timeout=float(timeout) if isinstance(timeout, int | float) else 0,
        high_water_mark=options.get("high_water_mark"),
        allow_half_open=options.get("allow_half_open"),
        pause_on_connect=bool(options.get("pause_on_connect")),
        no_delay=bool(options.get("no_delay")),
        keep_alive=bool(options.get("keep_alive")),
        keep_alive_initial_delay=float(options.get("keep_alive_initial_delay") or 0),
    )
