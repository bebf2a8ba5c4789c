"""Certificates as the plain objects Node's ``getPeerCertificate()`` returns.

Node builds them in two steps, and so do we:

1. ``X509ToObject`` (C++, ``src/crypto/crypto_common.cc`` in v20) reads one ``X509`` into
   an object whose keys appear in a fixed order::

       subject, issuer, subjectaltname, infoAccess, ca,
       modulus, bits, exponent, pubkey          (RSA keys)
       bits, pubkey, asn1Curve, nistCurve       (EC keys; nothing for other key types)
       valid_from, valid_to, fingerprint, fingerprint256, fingerprint512,
       ext_key_usage, serialNumber, raw

   A getter that yields ``undefined`` leaves its key out; one that yields ``null``
   (an extension that is present but does not parse) stores ``None``.
2. ``translatePeerCertificate`` (``lib/_tls_common.js``) turns the ``infoAccess`` text
   into a dict of lists.  We apply it while building, which gives the same keys in the
   same order.

With ``detailed``, ``GetPeerCert`` then links ``issuerCertificate`` objects: first
through the certificates the peer sent (``X509_check_issued``), then through the local
trust store; a self-signed last certificate points at itself (a cycle, as in Node).

The fiddly printers (subjectaltname quoting, infoAccess lines, legacy RSA/EC views) are
C helpers in ``_openssl/csrc/x509.c``; this module only assembles Python values:
``Buffer`` -> ``bytes``, numbers -> ``int``, null-prototype objects -> ``dict``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from nodetls._openssl import CData, clear_errors, ffi, lib
from nodetls.engine.x509 import own_x509, x509_stack_to_list, x509_to_der

CertObject = dict[str, Any]

_NAME_KEY_LEN = 80  # Node's buffer for dotted OIDs of unknown attribute types
_KEY_RSA, _KEY_EC = 1, 2
_X509_V_OK = 0

# translatePeerCertificate's pattern: "<key>:<value>" per line, key up to the first ':'.
_INFO_ACCESS_LINE = re.compile(r"([^\n:]*):([^\n]*)(?:\n|\Z)")


class _TextSink:
    """One memory BIO reused by the printers, as ``X509ToObject`` reuses one."""

    __slots__ = ("bio",)

    def __init__(self) -> None:
        bio = lib.BIO_new(lib.BIO_s_mem())
        if bio == ffi.NULL:
            raise MemoryError("BIO_new")
        self.bio = ffi.gc(bio, lib.BIO_free)

    def take(self) -> str:
        """The text written so far (UTF-8, invalid bytes replaced as V8 does); then empty."""
        out = ffi.new("char **")
        n = lib.BIO_get_mem_data(self.bio, out)
        text = bytes(ffi.buffer(out[0], n)).decode("utf-8", "replace") if n > 0 else ""
        lib.BIO_reset(self.bio)
        return text


def _take_malloced(ptr_holder: CData, n: int) -> bytes | None:
    """Copy and free a buffer that OpenSSL allocated for us."""
    ptr = ptr_holder[0]
    try:
        return bytes(ffi.buffer(ptr, n)) if n >= 0 and ptr != ffi.NULL else None
    finally:
        if ptr != ffi.NULL:
            lib.OPENSSL_free(ptr)


# -- subject / issuer -------------------------------------------------------------------

def _name_object(cert: CData, issuer: bool) -> dict[str, str | list[str]] | None:
    """Attribute short names to values; a repeated name collects a list in order.

    ``None`` (key absent) when a value does not convert to UTF-8, as in Node.
    """
    result: dict[str, str | list[str]] = {}
    key = ffi.new("char[]", _NAME_KEY_LEN)
    value = ffi.new("unsigned char **")
    length = ffi.new("int *")
    i = 0
    while (rc := lib.nodetls_certinfo_name_entry(cert, issuer, i, key, _NAME_KEY_LEN,
                                                 value, length)) != -1:
        if rc == -2:
            return None
        text = (_take_malloced(value, length[0]) or b"").decode("utf-8", "replace")
        name = ffi.string(key).decode("utf-8", "replace")
        previous = result.get(name)
        if previous is None:
            result[name] = text
        elif isinstance(previous, list):
            previous.append(text)
        else:
            result[name] = [previous, text]
        i += 1
    return result


# -- extensions ---------------------------------------------------------------------------

_Absent = object()  # a getter's "undefined": the key is left out


def _extension_text(print_fn: Callable[[CData, CData], int], cert: CData,
                    sink: _TextSink) -> object:
    rc = print_fn(cert, sink.bio)
    text = sink.take()
    if rc < 0:
        return _Absent
    return text if rc == 1 else None


def _info_access_object(text: str) -> dict[str, list[str]]:
    """translatePeerCertificate: ``"OCSP - URI:http://x"`` lines -> ``{"OCSP - URI": [...]}``.

    A value that starts with a quote is one of Node's JSON string literals.
    """
    result: dict[str, list[str]] = {}
    for match in _INFO_ACCESS_LINE.finditer(text):
        key, value = match.group(1), match.group(2)
        if value.startswith('"'):
            value = json.loads(value)
        result.setdefault(key, []).append(value)
    return result


def _ext_key_usage(cert: CData, sink: _TextSink) -> list[str] | None:
    count = lib.nodetls_certinfo_ext_key_usage(cert, sink.bio)
    text = sink.take()
    if count < 0:
        return None
    return text.split("\n") if count else []


# -- public key ---------------------------------------------------------------------------

def _rsa_fields(cert: CData, sink: _TextSink, obj: CertObject) -> None:
    lib.nodetls_certinfo_rsa_modulus(cert, sink.bio)
    obj["modulus"] = sink.take()
    obj["bits"] = lib.nodetls_certinfo_rsa_bits(cert)
    lib.nodetls_certinfo_rsa_exponent(cert, sink.bio)
    obj["exponent"] = sink.take()
    der = ffi.new("unsigned char **")
    obj["pubkey"] = _take_malloced(der, lib.nodetls_certinfo_rsa_pubkey(cert, der))


def _ec_fields(cert: CData, obj: CertObject) -> None:
    bits = lib.nodetls_certinfo_ec_bits(cert)
    if bits > 0:
        obj["bits"] = bits
    point = ffi.new("unsigned char **")
    pubkey = _take_malloced(point, lib.nodetls_certinfo_ec_pubkey(cert, point))
    if pubkey is not None:
        obj["pubkey"] = pubkey
    nid = lib.nodetls_certinfo_ec_curve_nid(cert)
    if nid == 0:
        return  # explicit curve parameters: Node prints no names
    for key, name in (("asn1Curve", lib.OBJ_nid2sn(nid)),
                      ("nistCurve", lib.nodetls_certinfo_nist_name(nid))):
        if name != ffi.NULL:
            obj[key] = ffi.string(name).decode("ascii")


# -- the rest -----------------------------------------------------------------------------

def _fingerprint(cert: CData, md: CData) -> str | None:
    buf = ffi.new("unsigned char[]", 64)
    size = ffi.new("unsigned int *")
    if lib.X509_digest(cert, md, buf, size) != 1:
        return None
    return ":".join(f"{b:02X}" for b in bytes(ffi.buffer(buf, size[0])))


def _serial_number(cert: CData) -> str | None:
    hex_ptr = lib.nodetls_certinfo_serial(cert)
    if hex_ptr == ffi.NULL:
        return None
    try:
        return str(ffi.string(hex_ptr).decode("ascii"))
    finally:
        lib.OPENSSL_free(hex_ptr)


def x509_to_object(cert: CData) -> CertObject:
    """Node's ``X509ToObject`` followed by ``translatePeerCertificate``, for one cert."""
    sink = _TextSink()
    obj: CertObject = {}
    for key, issuer in (("subject", False), ("issuer", True)):
        name = _name_object(cert, issuer)
        if name is not None:
            obj[key] = name
    san = _extension_text(lib.nodetls_certinfo_subjectaltname, cert, sink)
    if san is not _Absent:
        obj["subjectaltname"] = san
    info = _extension_text(lib.nodetls_certinfo_info_access, cert, sink)
    if info is not _Absent:
        obj["infoAccess"] = _info_access_object(info) if isinstance(info, str) else None
    obj["ca"] = lib.X509_check_ca(cert) == 1
    kind = lib.nodetls_certinfo_key_kind(cert)
    if kind == _KEY_RSA:
        _rsa_fields(cert, sink, obj)
    elif kind == _KEY_EC:
        _ec_fields(cert, obj)
    for key, not_after in (("valid_from", False), ("valid_to", True)):
        lib.nodetls_certinfo_validity(cert, not_after, sink.bio)
        obj[key] = sink.take()
    for key, md in (("fingerprint", lib.EVP_sha1()), ("fingerprint256", lib.EVP_sha256()),
                    ("fingerprint512", lib.EVP_sha512())):
        fingerprint = _fingerprint(cert, md)
        if fingerprint is not None:
            obj[key] = fingerprint
    eku = _ext_key_usage(cert, sink)
    if eku is not None:
        obj["ext_key_usage"] = eku
    serial = _serial_number(cert)
    if serial is not None:
        obj["serialNumber"] = serial
    obj["raw"] = x509_to_der(cert)
    clear_errors()  # Node's ClearErrorOnReturn: printers may leave records behind
    return obj


# -- issuer chains ------------------------------------------------------------------------

def _issued(issuer: CData, subject: CData) -> bool:
    return bool(lib.X509_check_issued(issuer, subject) == _X509_V_OK)


def store_issuer(store: CData, cert: CData) -> CData | None:
    """Node's ``SSL_CTX_get_issuer``: the issuer of ``cert`` in a trust store, owned."""
    ctx = lib.X509_STORE_CTX_new()
    if ctx == ffi.NULL:
        raise MemoryError("X509_STORE_CTX_new")
    ctx = ffi.gc(ctx, lib.X509_STORE_CTX_free)
    if lib.X509_STORE_CTX_init(ctx, store, ffi.NULL, ffi.NULL) != 1:
        return None
    out = ffi.new("X509 **")
    if lib.X509_STORE_CTX_get1_issuer(out, ctx, cert) != 1:
        return None
    return ffi.gc(out[0], lib.X509_free)


def peer_certificate_object(leaf: CData | None, chain: Sequence[CData],
                            store: CData | None, detailed: bool) -> CertObject:
    """Node's ``GetPeerCert`` + ``translatePeerCertificate``; ``{}`` when there is no cert.

    ``leaf`` is ``SSL_get1_peer_certificate`` on a server (OpenSSL leaves the leaf out
    of the server-side chain) and ``None`` on a client, where ``chain`` (from
    ``SSL_get_peer_cert_chain``) starts with the leaf.  ``store`` is the context's
    ``X509_STORE`` (``None``: no local lookup).
    """
    certs = ([leaf] if leaf is not None else []) + list(chain)
    if not certs:
        return {}
    result = x509_to_object(certs[0])
    if not detailed:
        return result
    cert, tail = _link_presented(certs[0], certs[1:], result)
    cert, tail = _link_store(cert, tail, store)
    if _issued(cert, cert):
        tail["issuerCertificate"] = tail  # a self-signed root is its own issuer
    # Node's ClearErrorOnReturn: X509_check_issued leaves a record when a key does not
    # decode (found by fuzzing: a mangled key algorithm OID).
    clear_errors()
    return result


def _link_presented(cert: CData, rest: list[CData],
                    obj: CertObject) -> tuple[CData, CertObject]:
    """AddIssuerChainToObject: follow issuers among the certificates the peer sent."""
    while True:
        for i, candidate in enumerate(rest):
            if _issued(candidate, cert):
                issuer = x509_to_object(candidate)
                obj["issuerCertificate"] = issuer
                obj, cert = issuer, rest.pop(i)
                break
        else:
            return cert, obj


def _link_store(cert: CData, obj: CertObject,
                store: CData | None) -> tuple[CData, CertObject]:
    """GetLastIssuedCert: continue through the local trust store until a self-signed cert.

    A self-signed store cert without keyCertSign fails ``X509_check_issued`` yet is found
    as its own issuer; Node stops when the store hands back the very same object.
    """
    from_store = False
    while store is not None and not _issued(cert, cert):
        issuer_cert = store_issuer(store, cert)
        if issuer_cert is None:
            break
        issuer = x509_to_object(issuer_cert)
        obj["issuerCertificate"] = issuer
        obj = issuer
        if from_store and issuer_cert == cert:
            break
        cert, from_store = issuer_cert, True
    clear_errors()
    return cert, obj


# -- on a live connection -----------------------------------------------------------------

def ssl_peer_certificate(ssl: CData, detailed: bool) -> CertObject:
    """``getPeerCertificate(detailed)`` of a connection (``{}`` without a peer cert).

    Issuers missing from the peer's chain are looked up in the store of the ``SSL``'s
    current ``SSL_CTX`` (after an SNI switch, the new one), as Node does.
    """
    leaf = None
    if lib.SSL_is_server(ssl):  # a server-side chain leaves the leaf out
        cert = lib.SSL_get1_peer_certificate(ssl)
        leaf = None if cert == ffi.NULL else own_x509(cert, borrowed=False)
    chain = x509_stack_to_list(lib.SSL_get_peer_cert_chain(ssl))
    store = lib.SSL_CTX_get_cert_store(lib.SSL_get_SSL_CTX(ssl))
    return peer_certificate_object(leaf, chain, None if store == ffi.NULL else store, detailed)


def ssl_certificate(ssl: CData) -> CertObject:
    """``getCertificate()``: the local certificate of a connection, or ``{}``."""
    cert = lib.SSL_get_certificate(ssl)
    return {} if cert == ffi.NULL else x509_to_object(cert)
