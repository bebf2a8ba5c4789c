"""``SSLSession``: what ``SSLObject.session`` returns, and ``wrap_bio(session=)`` takes.

The stdlib's ``ssl.SSLSession`` wraps an ``SSL_SESSION*`` of CPython's ``_ssl`` and
cannot be built from outside it; this frozen value carries the same fields, read from
the session's DER, plus the DER itself (Node's ``get_session()``), which is what
resumes a session here and in Node (``session=`` of ``connect``).
"""

from __future__ import annotations

from dataclasses import dataclass

from nodetls.engine.stdlib_info import session_fields

__all__ = ["SSLSession"]


@dataclass(frozen=True, slots=True)
class SSLSession:
    """A TLS session to resume: ``ssl.SSLSession``'s fields and the DER."""

    der: bytes
    id: bytes
    time: int
    timeout: int
    ticket_lifetime_hint: int
    has_ticket: bool

    @classmethod
    def from_der(cls, der: bytes) -> SSLSession | None:
        """None when OpenSSL cannot parse ``der``."""
        fields = session_fields(der)
        if fields is None:
            return None
        return cls(der, fields.id, fields.time, fields.timeout, fields.ticket_lifetime_hint,
                   fields.has_ticket)
