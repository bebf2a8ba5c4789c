"""Engine errors: one small hierarchy, each with Node's ``.code``, and Node's codes.

* :class:`TLSError` is a connection's failure: a fatal alert received or sent, a
  protocol error, a failed operation on the ``SSL``.  It is the ``OpenSSLError`` of
  layer 1 (the drained error queue, root cause first, ``library``, ``reason``,
  ``codes``) plus Node's ``code``: ``ERR_SSL_`` and the reason, exactly how Node's
  ``TLSWrap::ClearOut`` names it.  A plain ``OpenSSLError`` is a setup call that failed.
* :class:`EngineStateError` is the caller asking for something the connection's state
  does not allow (Node's ``ERR_TLS_INVALID_STATE``).

Node's codes for OpenSSL records are computed here only: :func:`node_ssl_code` for a
connection, :func:`node_crypto_code` for context setup (``ThrowCryptoError``).  The
``tls`` layer turns these errors into Node's error objects; it decides on ``code`` and
``codes``, never on message text.
"""

from __future__ import annotations

from nodetls._openssl import ErrorRecord, OpenSSLError
from nodetls.engine.openssl_errors import LIBRARY_SHORT_NAMES


class EngineError(Exception):
    """Base of the engine's errors."""

    code: str = "ERR_TLS_ENGINE"


class TLSError(OpenSSLError, EngineError):
    """A connection failed; ``records`` is the error queue, root cause first."""

    def __init__(self, records: list[ErrorRecord], context: str = "") -> None:
        super().__init__(records, context or "TLS")
        self.code = node_ssl_code(self.reason) if records else "ERR_SSL_UNKNOWN"


class EngineStateError(EngineError):
    """The call is not allowed in the connection's current state."""

    code = "ERR_TLS_INVALID_STATE"


def _constant(reason: str) -> str:
    return reason.upper().replace(" ", "_")


def node_ssl_code(reason: str) -> str:
    """``'wrong version number'`` -> ``'ERR_SSL_WRONG_VERSION_NUMBER'`` (Node's rule for
    every record of a connection, whatever its library)."""
    return "ERR_SSL_" + _constant(reason)


def node_crypto_code(record: ErrorRecord) -> str | None:
    """The code ``ThrowCryptoError`` gives a record, or None when it has no reason text:
    ``ERR_SSL_<REASON>`` for libssl, ``ERR_OSSL_<LIB>_<REASON>`` for the libraries Node
    names, ``ERR_OSSL_<REASON>`` for the others (providers, decoders)."""
    if not record.reason:
        return None
    library = LIBRARY_SHORT_NAMES.get(record.lib_code)
    if library == "SSL":
        return node_ssl_code(record.reason)
    prefix = f"{library}_" if library else ""
    return f"ERR_OSSL_{prefix}{_constant(record.reason)}"
