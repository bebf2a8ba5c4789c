"""The bundled root certificates and the process-wide stores built from them.

Node compiles Mozilla's CA list into the binary (``tls.rootCertificates``) and, the
first time a context without ``ca`` needs them, parses them once into one shared
``X509_STORE`` that every such context references (``X509_STORE_up_ref``).  A context
that later adds its own CA, CRL or PKCS#12 chain must not change what every other
context trusts, so it first swaps in a private store holding a copy of the roots
(Node's ``NewRootCertStore``); ``new_root_store`` makes that copy.

We take the same list from ``certifi`` (Mozilla's store, packaged for Python).  Parsing
is lazy and happens once per process, under a lock: contexts may be created from
several threads.  The shared store is never freed; it lives as long as the process,
as in Node.

The default store is the bundled roots plus ``NODE_EXTRA_CA_CERTS``'s certificates
(``ca_sources``), as Node's.  A context made with ``use_system_ca`` (Node's
``--use-system-ca``, per context here) uses a second shared store that also holds the
operating system's certificates; ``new_root_store(system)`` copies either.
"""

from __future__ import annotations

import re
import threading

import certifi

from nodetls._openssl import CData, OpenSSLError, clear_errors, ffi, lib
from nodetls.engine.ca_sources import extra_certificates, system_certificates
from nodetls.engine.x509 import x509_list_from_pem

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)

_lock = threading.Lock()
_pems: tuple[str, ...] | None = None
_certs: tuple[CData, ...] | None = None
_shared: dict[bool, CData] = {}


def root_pems() -> tuple[str, ...]:
    """Every bundled root as a PEM string without a trailing newline (Node's shape)."""
    global _pems
    with _lock:
        if _pems is None:
            _pems = tuple(m.group(0) for m in _PEM_BLOCK.finditer(certifi.contents()))
        return _pems


def _root_certs() -> tuple[CData, ...]:
    global _certs
    pems = root_pems()
    with _lock:
        if _certs is None:
            parsed: list[CData] = []
            for pem in pems:
                try:
                    parsed.extend(x509_list_from_pem(pem.encode("ascii")))
                except OpenSSLError:
                    # Node aborts on a bad built-in root; a broken certifi entry should
                    # not take TLS down with it, so it is skipped.
                    continue
            _certs = tuple(parsed)
        return _certs


def _store_with_roots(system: bool) -> CData:
    """A new ``X509_STORE*`` holding every default root (and the OS's with ``system``);
    the caller takes the reference."""
    certs = _root_certs() + extra_certificates().certs
    if system:
        certs += system_certificates().certs
    store = lib.X509_STORE_new()
    if store == ffi.NULL:
        raise MemoryError("X509_STORE_new")
    for cert in certs:
        lib.X509_STORE_add_cert(store, cert)  # takes its own reference to cert
    clear_errors()  # duplicate roots leave harmless "cert already in hash table" records
    return store


def shared_root_store(system: bool = False) -> CData:
    """The process-wide store of default roots, with the OS's too if ``system``
    (borrowed: ``up_ref`` before handing it on)."""
    shared = _shared.get(system)
    if shared is None:
        store = _store_with_roots(system)
        with _lock:
            shared = _shared.get(system)
            if shared is None:
                shared = _shared[system] = ffi.gc(store, lib.X509_STORE_free)
                store = None
        if store is not None:  # another thread won the race
            lib.X509_STORE_free(store)
    return shared


def new_root_store(system: bool = False) -> CData:
    """A private copy of the roots (Node's ``NewRootCertStore``), owned by the caller.

    The result is a raw pointer meant to be given straight to
    ``SSL_CTX_set_cert_store``, which takes ownership of it.
    """
    return _store_with_roots(system)
