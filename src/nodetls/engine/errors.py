"""Engine errors: one small hierarchy, each with Node's ``.code``.

* :class:`TLSError` is OpenSSL saying no: a fatal alert received or sent, a protocol
  error, a failed operation.  It carries the drained error queue, root cause first, and
  Node's fields: ``library``, ``reason`` and ``code`` (``ERR_SSL_`` plus the reason in
  upper case with ``_`` for spaces, exactly how Node's ``TLSWrap::ClearOut`` names it).
* :class:`EngineStateError` is the caller asking for something the connection's state
  does not allow (Node's ``ERR_TLS_INVALID_STATE``).

The ``tls`` layer turns these into Node's error objects; it decides on ``code`` and
the records, never on message text.
"""

from __future__ import annotations

from nodetls._openssl import ErrorRecord


class EngineError(Exception):
    """Base of the engine's errors."""

    code: str = "ERR_TLS_ENGINE"


class TLSError(EngineError):
    """OpenSSL failed; ``records`` is the error queue, root cause first."""

    def __init__(self, records: list[ErrorRecord], context: str = "") -> None:
        self.records = records
        first = records[0] if records else None
        self.library = first.library if first else ""
        self.reason = first.reason if first else ""
        self.code = node_ssl_code(self.reason) if first else "ERR_SSL_UNKNOWN"
        super().__init__(first.message if first else f"{context or 'TLS'} failed")


class EngineStateError(EngineError):
    """The call is not allowed in the connection's current state."""

    code = "ERR_TLS_INVALID_STATE"


def node_ssl_code(reason: str) -> str:
    """``'wrong version number'`` -> ``'ERR_SSL_WRONG_VERSION_NUMBER'`` (Node's rule)."""
    return "ERR_SSL_" + reason.upper().replace(" ", "_")
