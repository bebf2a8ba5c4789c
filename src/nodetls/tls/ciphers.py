"""``tls.getCiphers()``: the names of the cipher suites OpenSSL supports, Node's way.

Node lists the ciphers of a fresh ``TLS_method`` connection (OpenSSL's default list,
so PSK and SRP suites appear even though ``DEFAULT_CIPHERS`` removes them), adds the
five TLS 1.3 suite names (``GetSSLCiphers`` in src/crypto/crypto_util.cc), then
lower-cases, removes duplicates and sorts (``filterDuplicateStrings``).  The result is
computed once; each call returns a new list, as Node returns a copy of its cache.
"""

from __future__ import annotations

import functools

from nodetls.engine.context import default_cipher_names

__all__ = ["get_ciphers"]

_TLS13_SUITES = (
    "tls_aes_256_gcm_sha384",
    "tls_chacha20_poly1305_sha256",
    "tls_aes_128_gcm_sha256",
    "tls_aes_128_ccm_8_sha256",
    "tls_aes_128_ccm_sha256",
)


@functools.cache
def _cipher_names() -> tuple[str, ...]:
    names = {name.lower() for name in default_cipher_names()}
    return tuple(sorted(names.union(_TLS13_SUITES)))


def get_ciphers() -> list[str]:
    """Every supported cipher name, lower-case and sorted (``tls.getCiphers()``)."""
    return list(_cipher_names())
