"""The ``tls`` module's errors, and the one table from OpenSSL's error queue to Node's.

Node builds an OpenSSL error in two ways, and users see the difference:

* **Context setup** (``createSecureContext``, ``ThrowCryptoError`` in
  src/crypto/crypto_util.cc): the message is OpenSSL's one-line text for the oldest
  record (``error:1C800064:Provider routines::bad decrypt``), the remaining records go to
  ``opensslErrorStack`` (newest first), and the code names the library when it is one of
  the classic libraries: ``ERR_OSSL_X509_KEY_VALUES_MISMATCH``,
  ``ERR_OSSL_PEM_NO_START_LINE``; ``ERR_SSL_NO_CIPHER_MATCH`` for libssl (never
  ``ERR_OSSL_SSL_``); and no library part for the rest (providers, decoders):
  ``ERR_OSSL_BAD_DECRYPT``, ``ERR_OSSL_UNSUPPORTED``.  An empty queue gives OpenSSL's
  text for code 0 (``error:00000000:lib(0)::reason(0)``) unless the call site supplies
  a message.
* **Connections** (``TLSWrap::GetSSLError``): the code is always ``ERR_SSL_`` plus the
  reason (``ERR_SSL_WRONG_VERSION_NUMBER``, even for records of other libraries) and
  the message is the printed queue.

Both carry ``library`` and ``reason`` from the first record.  Codes are computed from
the record's library number and reason text, never by matching messages.
:func:`translate_openssl_error` is the entry point for the rest of the package.

The classes follow ``nodetls.node.errors`` (``NodeError`` for Node's ``Error``,
``NodeTypeError``, ``NodeRangeError``) and Python's ``ssl`` module at once, so that both
``except err.code`` habits and ``except ssl.SSLError`` work:

    TLSError(NodeError, ssl.SSLError)         every TLS failure (hence an OSError)
      CryptoError                             decorated from OpenSSL's queue
      TLSCertVerificationError(..., ssl.SSLCertVerificationError)
        ERR_TLS_CERT_ALTNAME_INVALID          the identity check
      ERR_TLS_HANDSHAKE_TIMEOUT (also TimeoutError), ERR_TLS_SESSION_ATTACK, ...

As Python's own ``SSLError``, ``errno`` is ``ssl.SSL_ERROR_SSL`` and ``strerror`` the
message; ``str(err)`` is Node's message, ``err.code`` Node's code, None where Node's
error has none (a PKCS#12 failure, an engine that cannot be loaded, bad ``sigalgs``).
Argument errors stay ``TypeError``/``ValueError``.
"""

from __future__ import annotations

import json
import math
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Final

from nodetls.engine.errors import TLSError as EngineTLSError
from nodetls.engine.errors import node_crypto_code, node_ssl_code
from nodetls.engine.openssl_errors import (
    PEER_DID_NOT_RETURN_A_CERTIFICATE,
    ErrorRecord,
    OpenSSLError,
    error_string,
)
from nodetls.node.errors import (
    ERR_INVALID_ARG_TYPE,
    ERR_INVALID_ARG_VALUE,
    ERR_OUT_OF_RANGE,
    NodeError,
    NodeRangeError,
    NodeTypeError,
)

__all__ = [
    "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED",
    "ERR_CRYPTO_ENGINE_UNKNOWN",
    "ERR_CRYPTO_OPERATION_FAILED",
    "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT",
    "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS",
    "ERR_TLS_CERT_ALTNAME_FORMAT",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "ERR_TLS_DH_PARAM_SIZE",
    "ERR_TLS_HANDSHAKE_TIMEOUT",
    "ERR_TLS_INVALID_CONTEXT",
    "ERR_TLS_INVALID_PROTOCOL_METHOD",
    "ERR_TLS_INVALID_PROTOCOL_VERSION",
    "ERR_TLS_INVALID_STATE",
    "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
    "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED",
    "ERR_TLS_RENEGOTIATION_DISABLED",
    "ERR_TLS_REQUIRED_SERVER_NAME",
    "ERR_TLS_SESSION_ATTACK",
    "ERR_TLS_SNI_FROM_SERVER",
    "CryptoError",
    "SecurityWarning",
    "TLSCertVerificationError",
    "TLSError",
    "crypto_error",
    "error_list_error",
    "invalid_arg_type_message",
    "invalid_arg_value_message",
    "is_missing_client_certificate",
    "node_crypto_code",
    "openssl_codes",
    "out_of_range",
    "reason_only_error",
    "ssl_error",
    "translate_openssl_error",
]


class SecurityWarning(UserWarning):
    """Node's ``SecurityWarning`` (``process.emitWarning(msg, 'SecurityWarning')``)."""


_SSL_ERROR_SSL: Final = int(ssl.SSL_ERROR_SSL)


class TLSError(NodeError, ssl.SSLError):
    """Every TLS failure: Node's ``code`` and message, and an ``ssl.SSLError``.

    Attributes:
        library, reason: Node's fields from OpenSSL's first error record, or None.
    """

    # None where Node leaves them undefined (typeshed says ``ssl`` always sets a str).
    library: str | None = None  # type: ignore[assignment]
    reason: str | None = None  # type: ignore[assignment]

    def __init__(self, message: str, code: str | None = None) -> None:
        # OSError's (errno, strerror), as ssl raises them: args == (SSL_ERROR_SSL, message).
        ssl.SSLError.__init__(self, _SSL_ERROR_SSL, message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.__dict__)


def _rebuild(cls: type[TLSError], state: dict[str, Any]) -> TLSError:
    """Unpickle without calling a subclass's own ``__init__`` signature."""
    err = cls.__new__(cls)
    ssl.SSLError.__init__(err, _SSL_ERROR_SSL, state.get("message", ""))
    err.__dict__.update(state)
    return err


class TLSCertVerificationError(TLSError, ssl.SSLCertVerificationError):
    """The peer's certificate was not accepted (``DEPTH_ZERO_SELF_SIGNED_CERT``,
    ``ERR_TLS_CERT_ALTNAME_INVALID``, ...); an ``ssl.SSLCertVerificationError``.

    ``verify_code`` is OpenSSL's ``X509_V_ERR_*`` number and ``verify_message`` its
    text, as ``ssl`` gives them.
    """

    def __init__(self, message: str, code: str | None = None, *, verify_code: int = 0,
                 verify_message: str | None = None) -> None:
        super().__init__(message, code)
        self.verify_code = verify_code
        self.verify_message = message if verify_message is None else verify_message


class CryptoError(TLSError):
    """Node's plain ``Error`` decorated from OpenSSL's error queue.

    Attributes:
        library: OpenSSL's library text of the first record (``'SSL routines'``), or None.
        reason: its reason text (``'wrong version number'``), or None.
        openssl_error_stack: Node's ``opensslErrorStack``: the other records' texts,
            newest first (empty where Node sets none).
    """

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        library: str | None = None,
        reason: str | None = None,
        openssl_error_stack: Sequence[str] = (),
    ) -> None:
        super().__init__(message, code)
        self.library = library
        self.reason = reason
        self.openssl_error_stack = list(openssl_error_stack)


# -- the translation table ---------------------------------------------------------------


X509_V_ERR_HOSTNAME_MISMATCH: Final = 62
"""OpenSSL's number for a name mismatch (what ``ssl`` reports as ``verify_code``)."""



def _decorated(message: str, code: str | None, first: ErrorRecord | None,
               stack: Sequence[str]) -> CryptoError:
    return CryptoError(
        message,
        code,
        library=(first.library or None) if first else None,
        reason=(first.reason or None) if first else None,
        openssl_error_stack=stack,
    )


def crypto_error(records: Sequence[ErrorRecord], default_message: str | None = None) -> (
    CryptoError
):
    """Node's ``ThrowCryptoError(env, ERR_get_error(), default_message)``."""
    first = records[0] if records else None
    if first is not None:
        message = first.message[:127]  # Node formats into a 128-byte buffer
    else:
        message = default_message if default_message is not None else error_string(0)
    stack = [record.message for record in reversed(records[1:])]
    return _decorated(message, node_crypto_code(first) if first else None, first, stack)


def ssl_error(records: Sequence[ErrorRecord]) -> CryptoError:
    """Node's ``TLSWrap::GetSSLError``: an error while reading or handshaking.

    OpenSSL's one-line text of the first record stands in for Node's message (the
    printed queue).
    """
    first = records[0] if records else None
    code = node_ssl_code(first.reason) if first and first.reason else None
    message = first.message if first else error_string(0)
    return _decorated(message, code, first, ())


def error_list_error(records: Sequence[ErrorRecord]) -> CryptoError:
    """Node's ``CryptoErrorList`` exception (an engine that cannot be loaded): the
    oldest record's text as the message, the rest newest first, and no code."""
    if not records:
        raise ValueError("error_list_error needs at least one record")
    stack = [record.message for record in reversed(records[1:])]
    return CryptoError(records[0].message, openssl_error_stack=stack)


def reason_only_error(records: Sequence[ErrorRecord]) -> CryptoError:
    """Node's PKCS#12 failure: a plain ``Error`` whose message is the first reason."""
    reason = records[0].reason if records and records[0].reason else "Unknown error"
    return CryptoError(reason)


def translate_openssl_error(exc: BaseException, default_message: str | None = None) -> (
    BaseException
):
    """The Node error for an exception from the engine layer.

    the engine's ``TLSError`` (a connection failed) becomes an ``ERR_SSL_*`` error as
    ``TLSWrap`` reports it; ``OpenSSLError`` (a setup call failed) becomes what
    ``ThrowCryptoError`` reports, ``default_message`` standing in for an empty queue.
    Anything else is returned unchanged.
    """
    if isinstance(exc, EngineTLSError):
        made: BaseException = ssl_error(exc.records)
    elif isinstance(exc, OpenSSLError):
        made = crypto_error(exc.records, default_message)
    else:
        return exc
    made.__cause__ = exc
    return made


def openssl_codes(err: BaseException) -> tuple[int, int] | None:
    """OpenSSL's ``(library, reason)`` numbers behind ``err`` (a translated error's
    cause, or the engine's error itself), None for other errors: what the ``tls``
    layer decides on, instead of the reason text."""
    for exc in (err, err.__cause__):
        if isinstance(exc, OpenSSLError):
            return exc.codes
    return None


def is_missing_client_certificate(err: BaseException) -> bool:
    """The server required a client certificate and the client sent none."""
    return openssl_codes(err) == PEER_DID_NOT_RETURN_A_CERTIFICATE


# -- Node's ERR_TLS_* and ERR_CRYPTO_* errors used by the tls module ---------------------


def _json(value: object) -> str:
    """JavaScript's ``%j`` (``JSON.stringify``) for the values these messages show."""
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return "undefined" if value is None else str(value)


class ERR_CRYPTO_OPERATION_FAILED(TLSError):
    code = "ERR_CRYPTO_OPERATION_FAILED"


class ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED(TLSError):
    code = "ERR_CRYPTO_CUSTOM_ENGINE_NOT_SUPPORTED"

    def __init__(self) -> None:
        super().__init__("Custom engines not supported by this OpenSSL")


class ERR_CRYPTO_ENGINE_UNKNOWN(TLSError):
    code = "ERR_CRYPTO_ENGINE_UNKNOWN"

    def __init__(self, engine_id: str) -> None:
        super().__init__(f'Engine "{engine_id}" was not found')


class ERR_TLS_INVALID_PROTOCOL_VERSION(NodeTypeError):
    code = "ERR_TLS_INVALID_PROTOCOL_VERSION"

    def __init__(self, protocol: object, which: str) -> None:
        super().__init__(f"{_json(protocol)} is not a valid {which} TLS protocol version")


class ERR_TLS_PROTOCOL_VERSION_CONFLICT(NodeTypeError):
    code = "ERR_TLS_PROTOCOL_VERSION_CONFLICT"

    def __init__(self, protocol: object, method: object) -> None:
        super().__init__(
            f"TLS protocol version {_json(protocol)} conflicts with secure_protocol {_json(method)}"
        )


class ERR_TLS_INVALID_PROTOCOL_METHOD(NodeTypeError):
    code = "ERR_TLS_INVALID_PROTOCOL_METHOD"


class ERR_TLS_INVALID_CONTEXT(NodeTypeError):
    code = "ERR_TLS_INVALID_CONTEXT"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} must be a SecureContext")


class ERR_TLS_INVALID_STATE(TLSError):
    code = "ERR_TLS_INVALID_STATE"

    def __init__(self) -> None:
        super().__init__("TLS socket connection must be securely established")


class ERR_TLS_HANDSHAKE_TIMEOUT(TLSError, TimeoutError):
    code = "ERR_TLS_HANDSHAKE_TIMEOUT"

    def __init__(self) -> None:
        super().__init__("TLS handshake timeout")


class ERR_TLS_SESSION_ATTACK(TLSError):
    code = "ERR_TLS_SESSION_ATTACK"

    def __init__(self) -> None:
        super().__init__("TLS session renegotiation attack detected")


class ERR_TLS_RENEGOTIATION_DISABLED(TLSError):
    code = "ERR_TLS_RENEGOTIATION_DISABLED"

    def __init__(self) -> None:
        super().__init__("TLS session renegotiation disabled for this socket")


class ERR_TLS_REQUIRED_SERVER_NAME(NodeError, ValueError):
    code = "ERR_TLS_REQUIRED_SERVER_NAME"

    def __init__(self) -> None:
        super().__init__('"servername" is required parameter for Server.addContext')


class ERR_TLS_SNI_FROM_SERVER(TLSError):
    code = "ERR_TLS_SNI_FROM_SERVER"

    def __init__(self) -> None:
        super().__init__("Cannot issue SNI from a TLS server-side socket")


class ERR_TLS_CERT_ALTNAME_INVALID(TLSCertVerificationError):
    """The peer's certificate does not cover the host: ``check_server_identity``'s result."""

    code = "ERR_TLS_CERT_ALTNAME_INVALID"

    def __init__(self, reason: str, host: str, cert: Mapping[str, Any]) -> None:
        super().__init__(f"Hostname/IP does not match certificate's altnames: {reason}",
                         verify_code=X509_V_ERR_HOSTNAME_MISMATCH, verify_message=reason)
        self.reason = reason
        self.host = host
        self.cert = cert


class ERR_TLS_CERT_ALTNAME_FORMAT(NodeError, ValueError):
    """A badly escaped quoted ``subjectaltname`` (Node throws a ``SyntaxError``)."""

    code = "ERR_TLS_CERT_ALTNAME_FORMAT"

    def __init__(self) -> None:
        super().__init__("Invalid subject alternative name string")


class ERR_TLS_DH_PARAM_SIZE(TLSError):
    code = "ERR_TLS_DH_PARAM_SIZE"

    def __init__(self, size: int) -> None:
        super().__init__(f"DH parameter size {size} is less than 2048")


class ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS(NodeTypeError):
    code = "ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS"

    def __init__(self) -> None:
        super().__init__("The ALPNCallback and ALPNProtocols TLS options are mutually exclusive")


class ERR_TLS_ALPN_CALLBACK_INVALID_RESULT(NodeTypeError):
    code = "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"

    def __init__(self, value: object, protocols: Sequence[str]) -> None:
        super().__init__(
            f"ALPN callback returned a value ({value}) that did not match any of the "
            f"client's offered protocols ({', '.join(protocols)})"
        )


class ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED(TLSError):
    """OpenSSL refused the ``psk_identity_hint`` (too long); Node's spelling kept."""

    code = "ERR_TLS_PSK_SET_IDENTIY_HINT_FAILED"

    def __init__(self) -> None:
        super().__init__("Failed to set PSK identity hint")


class _InvalidArgTypeWithMessage(ERR_INVALID_ARG_TYPE):
    def __init__(self, message: str) -> None:
        NodeTypeError.__init__(self, message)


def _named_as(cls: type, name: str) -> None:
    """Show a bare-message variant under its Node code in tracebacks."""
    cls.__name__ = cls.__qualname__ = name


def invalid_arg_type_message(message: str) -> ERR_INVALID_ARG_TYPE:
    """``ERR_INVALID_ARG_TYPE`` thrown from Node's C++ with a bare message
    (``Pass phrase must be a buffer``)."""
    return _InvalidArgTypeWithMessage(message)


class _InvalidArgValueWithMessage(ERR_INVALID_ARG_VALUE):
    def __init__(self, message: str) -> None:
        NodeTypeError.__init__(self, message)


def invalid_arg_value_message(message: str) -> ERR_INVALID_ARG_VALUE:
    """``ERR_INVALID_ARG_VALUE`` thrown from Node's C++ with a bare message
    (``DH parameter is less than 1024 bits``)."""
    return _InvalidArgValueWithMessage(message)


class _OutOfRangeWithMessage(ERR_OUT_OF_RANGE):
    def __init__(self, message: str, range_text: str, received: object) -> None:
        NodeRangeError.__init__(self, f"{message} It must be {range_text}. Received {received}")


def out_of_range(message: str, range_text: str, received: object) -> ERR_OUT_OF_RANGE:
    """``ERR_OUT_OF_RANGE`` with Node's ``replaceDefaultBoolean``: ``message`` replaces
    the usual 'The value of "x" is out of range.' opening."""
    return _OutOfRangeWithMessage(message, range_text, received)


_named_as(_InvalidArgTypeWithMessage, "ERR_INVALID_ARG_TYPE")
_named_as(_InvalidArgValueWithMessage, "ERR_INVALID_ARG_VALUE")
_named_as(_OutOfRangeWithMessage, "ERR_OUT_OF_RANGE")
