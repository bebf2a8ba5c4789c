"""The exceptions of ``nodetls.SSLObject``: the stdlib's classes, with Node's ``.code``.

Theory of operation.  asyncio, uvloop, trio and anyio catch ``ssl.SSLError`` and its
subclasses by class (``SSLWantReadError`` means "feed me more bytes",
``SSLEOFError`` a ragged end, ``SSLCertVerificationError`` a refused peer), and some
read ``errno``/``strerror``/``reason``.  So every error this package raises is one of
those classes, built with the stdlib's ``(errno, strerror)`` arguments and
attributes, and, where Node has one, carries Node's ``code`` too:

* ``SSLCertVerificationError``: the chain did not verify (``code`` is Node's
  ``UNABLE_TO_VERIFY_LEAF_SIGNATURE``, ...; ``verify_code``/``verify_message`` are
  OpenSSL's) or ``check_server_identity`` refused the name
  (``ERR_TLS_CERT_ALTNAME_INVALID``, ``verify_code`` 62 as the stdlib reports it);
* ``SSLError``: a TLS failure (``ERR_SSL_*`` from the alert or OpenSSL's reason), an
  exception raised by a user callback during the handshake (``__cause__``), or a hook
  listener that did not answer in time (``ERR_NODETLS_HOOK_NOT_ANSWERED``).
"""

from __future__ import annotations

import ssl
from typing import Final

from nodetls.engine.verify import VerifyFailure

__all__ = [
    "ERR_NODETLS_HOOK_NOT_ANSWERED",
    "SSLCertVerificationError",
    "SSLError",
    "eof_error",
    "from_exception",
    "want_read",
    "zero_return",
]

#: CPython's verify code for a name mismatch (``X509_V_ERR_HOSTNAME_MISMATCH``).
HOSTNAME_MISMATCH: Final = 62


def _decorate(exc: ssl.SSLError, reason: str | None, library: str | None) -> None:
    exc.reason = reason  # type: ignore[assignment]  # _ssl sets None too
    exc.library = library  # type: ignore[assignment]


class SSLError(ssl.SSLError):
    """An ``ssl.SSLError`` that carries Node's ``code``."""

    code: str | None = None

    def __init__(self, message: str, code: str | None = None, *,
                 reason: str | None = None, library: str | None = "SSL") -> None:
        super().__init__(ssl.SSL_ERROR_SSL, message)
        if code is not None:
            self.code = code
        _decorate(self, reason, library)

    def __str__(self) -> str:
        return str(self.strerror)


class SSLCertVerificationError(ssl.SSLCertVerificationError):
    """The peer's certificate was refused, as Node refuses it (``code``), with the
    stdlib's ``verify_code`` and ``verify_message``."""

    def __init__(self, code: str, verify_code: int, verify_message: str,
                 node_error: BaseException | None = None) -> None:
        message = f"certificate verify failed: {verify_message}"
        super().__init__(ssl.SSL_ERROR_SSL, message)
        self.code = code
        self.verify_code = verify_code
        self.verify_message = verify_message
        _decorate(self, "CERTIFICATE_VERIFY_FAILED", "SSL")
        if node_error is not None:
            self.__cause__ = node_error

    def __str__(self) -> str:
        return str(self.strerror)

    @classmethod
    def from_failure(cls, failure: VerifyFailure) -> SSLCertVerificationError:
        return cls(failure.code, failure.value, failure.message)

    @classmethod
    def from_identity(cls, error: BaseException) -> SSLCertVerificationError:
        """``check_server_identity``'s error (``ERR_TLS_CERT_ALTNAME_INVALID``)."""
        code = getattr(error, "code", None) or "ERR_TLS_CERT_ALTNAME_INVALID"
        return cls(str(code), HOSTNAME_MISMATCH, str(error), error)


class ERR_NODETLS_HOOK_NOT_ANSWERED(SSLError):
    """A hook listener returned without calling its ``cb``."""

    def __init__(self, hook: str) -> None:
        super().__init__(
            f"{hook} did not call cb before returning: a handshake run through "
            "nodetls.SSLContext goes on only when bytes arrive, so its hooks must answer "
            "synchronously; use nodetls.create_server to answer them asynchronously",
            "ERR_NODETLS_HOOK_NOT_ANSWERED", reason="HOOK_NOT_ANSWERED", library="nodetls")


def from_exception(exc: BaseException) -> ssl.SSLError:
    """An ``ssl.SSLError`` for a failure met while driving the engine.

    Node's errors (``ERR_SSL_*`` from ``translate_openssl_error``, a callback's own
    ``ERR_*``) keep their code and message; the original is the ``__cause__``.
    """
    if isinstance(exc, ssl.SSLError):
        return exc
    made = SSLError(str(exc) or type(exc).__name__, _text(exc, "code"),
                    reason=_text(exc, "reason"), library=_text(exc, "library") or "SSL")
    made.__cause__ = exc
    return made


def _text(exc: BaseException, name: str) -> str | None:
    value = getattr(exc, name, None)
    return value if isinstance(value, str) else None


_WANT_READ: Final = ssl.SSL_ERROR_WANT_READ


def want_read() -> ssl.SSLWantReadError:
    """Raised on every read that finds nothing: kept to one constructor call."""
    return ssl.SSLWantReadError(_WANT_READ, "The operation did not complete (read)")


def zero_return() -> ssl.SSLZeroReturnError:
    exc = ssl.SSLZeroReturnError(ssl.SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed")
    _decorate(exc, None, None)
    return exc


def eof_error() -> ssl.SSLEOFError:
    """The transport ended without the peer's close_notify (a ragged EOF)."""
    exc = ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")
    _decorate(exc, "UNEXPECTED_EOF_WHILE_READING", "SSL")
    return exc
