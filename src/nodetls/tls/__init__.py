"""Layer 4: Node's ``tls`` module for Python (naming rules: ``docs/guides/porting.md``).

This package is the public surface; ``nodetls`` re-exports it.  ``DEFAULT_CIPHERS``,
``DEFAULT_ECDH_CURVE``, ``DEFAULT_MIN_VERSION``, ``DEFAULT_MAX_VERSION``,
``CLIENT_RENEG_LIMIT`` and ``CLIENT_RENEG_WINDOW`` are live: assigning one here or on
``nodetls`` changes what later contexts and sockets use, as in Node
(``constants.LiveModule``).  ``root_certificates`` is built on first read.
"""

from nodetls.node.abort import AbortController, AbortSignal
from nodetls.node.errors import AbortError
from nodetls.tls.alpn import convert_alpn_protocols
from nodetls.tls.ca_certificates import get_ca_certificates
from nodetls.tls.ciphers import get_ciphers
from nodetls.tls.connect import connect
from nodetls.tls.constants import (
    SSL_OP_ALL,
    SSL_OP_ALLOW_NO_DHE_KEX,
    SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION,
    SSL_OP_CIPHER_SERVER_PREFERENCE,
    SSL_OP_CISCO_ANYCONNECT,
    SSL_OP_COOKIE_EXCHANGE,
    SSL_OP_CRYPTOPRO_TLSEXT_BUG,
    SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS,
    SSL_OP_LEGACY_SERVER_CONNECT,
    SSL_OP_NO_COMPRESSION,
    SSL_OP_NO_ENCRYPT_THEN_MAC,
    SSL_OP_NO_QUERY_MTU,
    SSL_OP_NO_RENEGOTIATION,
    SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION,
    SSL_OP_NO_TICKET,
    SSL_OP_PRIORITIZE_CHACHA,
    SSL_OP_TLS_ROLLBACK_BUG,
    SSL_OP_NO_SSLv2,
    SSL_OP_NO_SSLv3,
    SSL_OP_NO_TLSv1,
    SSL_OP_NO_TLSv1_1,
    SSL_OP_NO_TLSv1_2,
    SSL_OP_NO_TLSv1_3,
    install_live_module,
)
from nodetls.tls.errors import CryptoError, SecurityWarning, TLSCertVerificationError, TLSError
from nodetls.tls.identity import check_server_identity
from nodetls.tls.ocsp_stapler import OCSPStapler
from nodetls.tls.options import (
    ConnectOptions,
    SecureContextOptions,
    ServerOptions,
    TLSSocketOptions,
)
from nodetls.tls.secure_context import SecureContext, create_secure_context
from nodetls.tls.secure_pair import SecurePair, create_secure_pair
from nodetls.tls.selfsigned import generate_self_signed
from nodetls.tls.server import Server, create_server
from nodetls.tls.tls_socket import TLSSocket

# Live module attributes (served by constants.LiveModule; declared for type checkers).
CLIENT_RENEG_LIMIT: int
CLIENT_RENEG_WINDOW: int
DEFAULT_CIPHERS: str
DEFAULT_ECDH_CURVE: str
DEFAULT_MAX_VERSION: str
DEFAULT_MIN_VERSION: str
root_certificates: tuple[str, ...]

__all__ = [
    "CLIENT_RENEG_LIMIT",
    "CLIENT_RENEG_WINDOW",
    "DEFAULT_CIPHERS",
    "DEFAULT_ECDH_CURVE",
    "DEFAULT_MAX_VERSION",
    "DEFAULT_MIN_VERSION",
    "SSL_OP_ALL",
    "SSL_OP_ALLOW_NO_DHE_KEX",
    "SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION",
    "SSL_OP_CIPHER_SERVER_PREFERENCE",
    "SSL_OP_CISCO_ANYCONNECT",
    "SSL_OP_COOKIE_EXCHANGE",
    "SSL_OP_CRYPTOPRO_TLSEXT_BUG",
    "SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS",
    "SSL_OP_LEGACY_SERVER_CONNECT",
    "SSL_OP_NO_COMPRESSION",
    "SSL_OP_NO_ENCRYPT_THEN_MAC",
    "SSL_OP_NO_QUERY_MTU",
    "SSL_OP_NO_RENEGOTIATION",
    "SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION",
    "SSL_OP_NO_TICKET",
    "SSL_OP_PRIORITIZE_CHACHA",
    "SSL_OP_TLS_ROLLBACK_BUG",
    "AbortController",
    "AbortError",
    "AbortSignal",
    "ConnectOptions",
    "CryptoError",
    "OCSPStapler",
    "SSL_OP_NO_SSLv2",
    "SSL_OP_NO_SSLv3",
    "SSL_OP_NO_TLSv1",
    "SSL_OP_NO_TLSv1_1",
    "SSL_OP_NO_TLSv1_2",
    "SSL_OP_NO_TLSv1_3",
    "SecureContext",
    "SecureContextOptions",
    "SecurePair",
    "SecurityWarning",
    "Server",
    "ServerOptions",
    "TLSCertVerificationError",
    "TLSError",
    "TLSSocket",
    "TLSSocketOptions",
    "check_server_identity",
    "connect",
    "convert_alpn_protocols",
    "create_secure_context",
    "create_secure_pair",
    "create_server",
    "generate_self_signed",
    "get_ca_certificates",
    "get_ciphers",
    "root_certificates",
]

install_live_module(__name__)
