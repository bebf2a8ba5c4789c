"""Certificates and the other PEM/DER material, as owned OpenSSL objects.

Every pointer handed out here is owned by exactly one ``ffi.gc`` wrapper.  Borrowed
pointers (``get0``, stack members) are ``up_ref``'d before they are wrapped, so the
Python object can outlive the structure it came from (pyopenssl#273 was a segfault
from forgetting this).
"""

from __future__ import annotations

from nodetls._openssl import (
    CData,
    OpenSSLError,
    clear_errors,
    consume_errors,
    ffi,
    lib,
    openssl_assert,
)


def mem_bio(data: bytes) -> CData:
    """A read-only memory BIO over ``data`` (the caller keeps ``data`` alive)."""
    bio = lib.BIO_new_mem_buf(data, len(data))
    openssl_assert(bio != ffi.NULL, "BIO_new_mem_buf")
    return ffi.gc(bio, lib.BIO_free)


def own_x509(ptr: CData, *, borrowed: bool) -> CData:
    """Wrap an ``X509*`` for garbage collection; up_ref it first if it is borrowed."""
    if borrowed:
        lib.X509_up_ref(ptr)
    return ffi.gc(ptr, lib.X509_free)


def x509_from_der(der: bytes) -> CData:
    buf = ffi.new("unsigned char[]", der)
    pp = ffi.new("const unsigned char **", buf)
    clear_errors()
    cert = lib.d2i_X509(ffi.NULL, pp, len(der))
    openssl_assert(cert != ffi.NULL, "d2i_X509")
    return ffi.gc(cert, lib.X509_free)


def x509_to_der(cert: CData) -> bytes:
    out = ffi.new("unsigned char **")
    n = lib.i2d_X509(cert, out)
    openssl_assert(n > 0, "i2d_X509")
    try:
        return bytes(ffi.buffer(out[0], n))
    finally:
        lib.OPENSSL_free(out[0])


def x509_list_from_pem(pem: bytes) -> list[CData]:
    """Every certificate in a PEM blob, in order (several may be concatenated).

    Raises ``OpenSSLError`` (``PEM routines::no start line``) when there is none,
    as Node does for a ``cert``/``ca`` value that holds no certificate.
    """
    bio = mem_bio(pem)
    certs: list[CData] = []
    clear_errors()
    while True:
        cert = lib.PEM_read_bio_X509_AUX(bio, ffi.NULL, ffi.NULL, ffi.NULL)
        if cert == ffi.NULL:
            break
        certs.append(ffi.gc(cert, lib.X509_free))
    records = consume_errors()
    # Reaching the end of the input after at least one certificate is the normal exit;
    # OpenSSL reports it as "no start line", which is only an error if nothing was read.
    if not certs:
        raise OpenSSLError(records, "PEM_read_bio_X509")
    return certs


def x509_stack_to_list(stack: CData) -> list[CData]:
    """Own a copy of every certificate on a borrowed ``STACK_OF(X509)``."""
    if stack == ffi.NULL:
        return []
    return [own_x509(lib.sk_X509_value(stack, i), borrowed=True)
            for i in range(lib.sk_X509_num(stack))]
