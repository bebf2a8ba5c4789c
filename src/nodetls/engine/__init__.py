"""Layer 2: sans-I/O TLS.  Bytes in, bytes and frozen events out; no sockets, no clock.

``TLSEngine`` is one connection (Node's ``TLSWrap`` without the stream); the events it
returns are in ``events``, its errors in ``errors``, its lifecycle in ``state``.
"""

from nodetls.engine.engine import READ_CHUNK, EngineContext, TLSEngine
from nodetls.engine.errors import (
    EngineError,
    EngineStateError,
    TLSError,
    node_crypto_code,
    node_ssl_code,
)
from nodetls.engine.events import (
    AppData,
    CertCallbackPaused,
    ClientHelloPaused,
    CloseNotify,
    Event,
    HandshakeDone,
    HandshakeStarted,
    KeylogLine,
    NewSession,
    OCSPResponse,
    TLSFailure,
)
from nodetls.engine.state import ConnectionState, IllegalTransition

__all__ = [
    "READ_CHUNK",
    "AppData",
    "CertCallbackPaused",
    "ClientHelloPaused",
    "CloseNotify",
    "ConnectionState",
    "EngineContext",
    "EngineError",
    "EngineStateError",
    "Event",
    "HandshakeDone",
    "HandshakeStarted",
    "IllegalTransition",
    "KeylogLine",
    "NewSession",
    "OCSPResponse",
    "TLSEngine",
    "TLSError",
    "TLSFailure",
    "node_crypto_code",
    "node_ssl_code",
]
