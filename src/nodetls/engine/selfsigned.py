"""A fresh private key and a self-signed certificate for it, as PEM bytes.

Theory of operation.  This is ``openssl req -x509 -newkey ...`` done through our own
binding, for the command line's on-the-spot certificates and for tests: generate the
key (P-256 or RSA), fill in an ``X509`` (v3, a random positive 127-bit serial, the same
name as subject and issuer), add the extensions from their config-file text, sign it
with SHA-256 and print both as PEM.  The key is PKCS#8 (``BEGIN PRIVATE KEY``), which
Node, OpenSSL and Python's ``ssl`` all read.

The certificate is a leaf, not a CA (``basicConstraints=critical,CA:FALSE``) and has no
``keyUsage``: OpenSSL then still counts it as self-signed, so a client that does not
trust it fails with Node's clear ``DEPTH_ZERO_SELF_SIGNED_CERT`` rather than
``UNABLE_TO_VERIFY_LEAF_SIGNATURE``, and one that lists it in ``ca`` accepts it.  Its
extended key usage allows both TLS roles, so the same pair can serve as a client
certificate.  Each name becomes a subjectAltName entry: ``IP:`` when it parses as an
IPv4/IPv6 address, ``DNS:`` otherwise.

Like the rest of the engine this module has no clock: validity is given in seconds
since the epoch.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from enum import Enum

from nodetls._openssl import CData, clear_errors, ffi, lib, openssl_assert

__all__ = ["KeyType", "generate_self_signed", "subject_alt_name"]

_EC_CURVE = b"P-256"
_RSA_MIN_BITS = 2048  # OpenSSL's default security level 1 allows less; nobody should
_SERIAL_BYTES = 16


class KeyType(Enum):
    """The key algorithms offered; values are Node's ``generateKeyPair`` names."""

    EC = "ec"
    RSA = "rsa"


def generate_self_signed(
    *,
    hostnames: Sequence[str],
    common_name: str,
    key_type: KeyType,
    not_before: int,
    not_after: int,
    rsa_bits: int = _RSA_MIN_BITS,
) -> tuple[bytes, bytes]:
    """Return ``(key_pem, cert_pem)``; raises ``OpenSSLError`` if OpenSSL refuses."""
    san = subject_alt_name(hostnames)
    key = _generate_key(key_type, rsa_bits)
    cert = _new_certificate(key, common_name, not_before, not_after)
    for nid, value in _extensions(san):
        _add_extension(cert, nid, value)
    clear_errors()
    openssl_assert(lib.X509_sign(cert, key, lib.EVP_sha256()) > 0, "X509_sign")
    return _key_pem(key), _cert_pem(cert)


def subject_alt_name(hostnames: Sequence[str]) -> str:
    """The subjectAltName config text: ``DNS:localhost,IP:127.0.0.1,IP:::1``."""
    if not hostnames:
        raise ValueError("at least one hostname is needed")
    return ",".join(_general_name(name) for name in hostnames)


def _general_name(name: str) -> str:
    # The config syntax splits on ',' and trims blanks: such names cannot be said in it.
    if not name or "," in name or name != name.strip():
        raise ValueError(f"invalid hostname for a certificate: {name!r}")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return f"DNS:{name}"
    return f"IP:{name}"


def _extensions(san: str) -> list[tuple[int, str]]:
    return [
        (lib.NID_basic_constraints, "critical,CA:FALSE"),
        (lib.NID_subject_key_identifier, "hash"),
        (lib.NID_ext_key_usage, "serverAuth,clientAuth"),
        (lib.NID_subject_alt_name, san),
    ]


def _generate_key(key_type: KeyType, rsa_bits: int) -> CData:
    clear_errors()
    if key_type is KeyType.EC:
        key = lib.EVP_EC_gen(_EC_CURVE)
    else:
        if rsa_bits < _RSA_MIN_BITS:
            raise ValueError(f"rsa_bits must be at least {_RSA_MIN_BITS}, got {rsa_bits}")
        key = lib.EVP_RSA_gen(rsa_bits)
    openssl_assert(key != ffi.NULL, f"generating a {key_type.value} key")
    return ffi.gc(key, lib.EVP_PKEY_free)


def _new_certificate(key: CData, common_name: str, not_before: int, not_after: int) -> CData:
    if not_after <= not_before:
        raise ValueError("not_after must be later than not_before")
    cert = lib.X509_new()
    openssl_assert(cert != ffi.NULL, "X509_new")
    cert = ffi.gc(cert, lib.X509_free)
    clear_errors()
    openssl_assert(lib.X509_set_version(cert, 2) == 1, "X509_set_version")  # 2 means v3
    _set_serial(cert)
    _set_names(cert, common_name)
    validity = lib.nodetls_selfsigned_set_validity(cert, not_before, not_after)
    openssl_assert(validity == 1, "setting the validity period")
    openssl_assert(lib.X509_set_pubkey(cert, key) == 1, "X509_set_pubkey")
    return cert


def _set_serial(cert: CData) -> None:
    # RFC 5280: positive, at most 20 octets.  Top bit clear (positive), next bit set
    # (never zero, always the same length).
    raw = ffi.new("unsigned char[]", _SERIAL_BYTES)
    openssl_assert(lib.RAND_bytes(raw, _SERIAL_BYTES) == 1, "RAND_bytes")
    raw[0] = (raw[0] & 0x7F) | 0x40
    bn = lib.BN_bin2bn(raw, _SERIAL_BYTES, ffi.NULL)
    openssl_assert(bn != ffi.NULL, "BN_bin2bn")
    bn = ffi.gc(bn, lib.BN_free)
    serial = lib.BN_to_ASN1_INTEGER(bn, lib.X509_get_serialNumber(cert))
    openssl_assert(serial != ffi.NULL, "BN_to_ASN1_INTEGER")


def _set_names(cert: CData, common_name: str) -> None:
    subject = lib.X509_get_subject_name(cert)  # owned by cert, filled in place
    value = common_name.encode("utf-8")
    added = lib.X509_NAME_add_entry_by_txt(subject, b"CN", lib.MBSTRING_UTF8, value,
                                           len(value), -1, 0)
    openssl_assert(added == 1, f"setting the common name {common_name!r}")
    openssl_assert(lib.X509_set_issuer_name(cert, subject) == 1, "X509_set_issuer_name")


def _add_extension(cert: CData, nid: int, value: str) -> None:
    ctx = ffi.new("X509V3_CTX *")  # zeroed: no config database, as X509V3_set_ctx_nodb
    lib.X509V3_set_ctx(ctx, cert, cert, ffi.NULL, ffi.NULL, 0)
    clear_errors()
    ext = lib.X509V3_EXT_nconf_nid(ffi.NULL, ctx, nid, value.encode("utf-8"))
    openssl_assert(ext != ffi.NULL, f"extension {value!r}")
    try:
        openssl_assert(lib.X509_add_ext(cert, ext, -1) == 1, "X509_add_ext")
    finally:
        lib.X509_EXTENSION_free(ext)  # X509_add_ext stored a copy


def _key_pem(key: CData) -> bytes:
    bio = _mem_out()
    written = lib.PEM_write_bio_PrivateKey(bio, key, ffi.NULL, ffi.NULL, 0, ffi.NULL,
                                           ffi.NULL)
    openssl_assert(written == 1, "PEM_write_bio_PrivateKey")
    return _bio_bytes(bio)


def _cert_pem(cert: CData) -> bytes:
    bio = _mem_out()
    openssl_assert(lib.PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509")
    return _bio_bytes(bio)


def _mem_out() -> CData:
    bio = lib.BIO_new(lib.BIO_s_mem())
    openssl_assert(bio != ffi.NULL, "BIO_new")
    return ffi.gc(bio, lib.BIO_free)


def _bio_bytes(bio: CData) -> bytes:
    data = ffi.new("char **")
    size = lib.BIO_get_mem_data(bio, data)
    return bytes(ffi.buffer(data[0], size))
