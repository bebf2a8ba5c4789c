"""Layer 1: the only package that touches cffi's ``ffi`` and ``lib``.

The compiled module ``_binding`` is built at install time by ``_build.py`` against the
system OpenSSL 3.  Everything above this package sees Python values only; the engine
layer is the one user of the pointers handed out here.
"""

from __future__ import annotations

from nodetls._openssl._binding import ffi, lib
from nodetls._openssl.errors import (
    ErrorRecord,
    OpenSSLError,
    clear_errors,
    consume_errors,
    openssl_assert,
)

__all__ = [
    "ErrorRecord",
    "OpenSSLError",
    "clear_errors",
    "consume_errors",
    "ffi",
    "lib",
    "openssl_assert",
]
