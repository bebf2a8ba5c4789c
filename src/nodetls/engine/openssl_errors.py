"""OpenSSL failures as the layers above the binding see them.

The ``tls`` layer never imports the binding, yet it owns the one table that turns
OpenSSL error records into Node errors (``nodetls.tls.errors``).  This module hands
it what that table needs: the exception and record types of the binding, the short
library names Node uses in its codes (``ERR_OSSL_<LIB>_<REASON>``), keyed by OpenSSL's
library number, OpenSSL's one-line text for a packed error code, and the
``(library, reason)`` numbers the ``tls`` layer decides on (``OpenSSLError.codes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from nodetls._openssl import ErrorRecord, OpenSSLError, ffi, lib

__all__ = [
    "LIBRARY_SHORT_NAMES",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE",
    "ErrorRecord",
    "OpenSSLError",
    "error_string",
]

# The libraries Node names in its codes (``OSSL_ERROR_CODES_MAP`` in
# src/crypto/crypto_util.cc), in Node's order.  A record from any other library
# (providers, decoders, ...) gets a code without a library part:
# "error:1C800064:Provider routines::bad decrypt" -> ERR_OSSL_BAD_DECRYPT.
_NODE_LIBRARIES = (
    "SYS", "BN", "RSA", "DH", "EVP", "BUF", "OBJ", "PEM", "DSA", "X509", "ASN1", "CONF",
    "CRYPTO", "EC", "SSL", "BIO", "PKCS7", "X509V3", "PKCS12", "RAND", "DSO", "ENGINE",
    "OCSP", "UI", "COMP", "ECDSA", "ECDH", "OSSL_STORE", "FIPS", "CMS", "TS", "HMAC", "CT",
    "ASYNC", "KDF", "SM2", "USER",
)

LIBRARY_SHORT_NAMES: Mapping[int, str] = MappingProxyType(
    {int(getattr(lib, f"ERR_LIB_{name}")): name for name in _NODE_LIBRARIES}
)


#: A server that requires a client certificate got none (the handshake fails).
PEER_DID_NOT_RETURN_A_CERTIFICATE: Final = (int(lib.ERR_LIB_SSL),
                                            int(lib.SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE))


def error_string(packed: int) -> str:
    """``ERR_error_string_n``: ``error:00000000:lib(0)::reason(0)`` for code 0."""
    buf = ffi.new("char[]", 256)
    lib.ERR_error_string_n(packed, buf, 256)
    return str(ffi.string(buf).decode("utf-8", "replace"))

