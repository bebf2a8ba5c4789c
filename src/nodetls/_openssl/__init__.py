"""Layer 1: the only package that touches cffi's ``ffi`` and ``lib``.

The compiled module ``_binding`` is built at install time by ``_build.py`` against the
system OpenSSL 3.  Everything above this package sees Python values only; the engine
layer is the one user of the pointers handed out here.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from nodetls._openssl._binding import ffi, lib
from nodetls._openssl.errors import (
    ErrorRecord,
    OpenSSLError,
    clear_errors,
    consume_errors,
    openssl_assert,
)

#: A cffi pointer (``SSL*``, ``X509*``, ...).  cffi ships no types, so it is ``Any`` to
#: mypy; the name says what a value is.  Only the engine layer holds one.
CData: TypeAlias = Any

__all__ = [
    "CData",
    "ErrorRecord",
    "OpenSSLError",
    "clear_errors",
    "consume_errors",
    "ffi",
    "lib",
    "openssl_assert",
]
