"""Certificate verification results, named as Node names them.

OpenSSL reports a failed chain as an ``X509_V_ERR_*`` number.  Node turns it into
``authorizationError`` / ``err.code`` with ``X509ErrorCode`` (``src/crypto/
crypto_common.cc``), a fixed list of 28 names; every other number, however specific,
becomes ``'UNSPECIFIED'``.  The message is OpenSSL's own
``X509_verify_cert_error_string`` (``'self-signed certificate'``, ...).

The table is compiled from OpenSSL's constants in the binding (``nodetls_verify_code_entry``)
rather than copied as numbers, so it cannot drift from the headers we build against.

``verify_chain`` runs the same ``X509_verify_cert`` the TLS handshake runs (purpose
``ssl_server`` for a client checking its server), for tests and for callers that hold
a chain outside a handshake.  Like Node's handshake it uses a verify callback that
accepts every error, so verification runs to the end and the result is the *last*
error found: a lone leaf with an unknown issuer is ``UNABLE_TO_VERIFY_LEAF_SIGNATURE``
(the first error would have been ``UNABLE_TO_GET_ISSUER_CERT_LOCALLY``), an issuer
that is not a CA ends as ``INVALID_PURPOSE``.  The engine's ``SSL_CTX_set_verify`` must
install such a callback too, or ``SSL_get_verify_result`` will not match Node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from nodetls._openssl import CData, clear_errors, ffi, lib

__all__ = [
    "UNSPECIFIED",
    "VERIFY_ERROR_CODES",
    "VerifyFailure",
    "verify_chain",
    "verify_error_code",
    "verify_error_message",
    "verify_failure",
]

UNSPECIFIED = "UNSPECIFIED"


def _load_table() -> Mapping[int, str]:
    table: dict[int, str] = {}
    code = ffi.new("long *")
    name = ffi.new("const char **")
    i = 0
    while lib.nodetls_verify_code_entry(i, code, name):
        table[int(code[0])] = ffi.string(name[0]).decode("ascii")
        i += 1
    return MappingProxyType(table)


VERIFY_ERROR_CODES: Mapping[int, str] = _load_table()
"""OpenSSL ``X509_V_ERR_*`` number -> Node's code string (``X509ErrorCode``)."""


def verify_error_code(value: int) -> str:
    """Node's name for a verify result, ``'UNSPECIFIED'`` for numbers outside its list."""
    return VERIFY_ERROR_CODES.get(value, UNSPECIFIED)


def verify_error_message(value: int) -> str:
    """OpenSSL's text for a verify result (``X509_verify_cert_error_string``)."""
    return str(ffi.string(lib.X509_verify_cert_error_string(value)).decode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class VerifyFailure:
    """A failed verification as Node reports it: ``err.code`` and ``err.message``."""

    value: int  # OpenSSL's X509_V_ERR_* number
    code: str
    message: str


def verify_failure(value: int) -> VerifyFailure | None:
    """``None`` for ``X509_V_OK`` (Node's ``verifyError()`` is then undefined)."""
    if value == 0:
        return None
    return VerifyFailure(value, verify_error_code(value), verify_error_message(value))


def verify_chain(store: CData, leaf: CData, untrusted: Sequence[CData] = (), *,
                 purpose: str = "ssl_server") -> int:
    """``X509_verify_cert`` of ``leaf`` against ``store``; the ``X509_V_*`` result.

    ``untrusted`` are the other certificates the peer sent.  The store's flags (CRL
    checking, as Node's ``crl`` option sets) apply.
    """
    stack = lib.sk_X509_new_null()
    if stack == ffi.NULL:
        raise MemoryError("sk_X509_new_null")
    stack = ffi.gc(stack, lib.sk_X509_free)  # borrows the certs: no pop_free
    for cert in untrusted:
        if lib.sk_X509_push(stack, cert) <= 0:
            raise MemoryError("sk_X509_push")
    clear_errors()
    result = lib.nodetls_verify_chain(store, leaf, stack, purpose.encode("ascii"))
    clear_errors()
    if result < 0:
        raise MemoryError("X509_STORE_CTX setup failed")
    return int(result)
