"""Certificate workshop for the certificate-object, identity and verification tests.

* Node is the oracle: ``run_encoded(script, payload)`` runs one ``node -e`` process that reads
  a JSON payload on stdin and prints one JSON document; every test batches its cases
  into one such run.  ``NODE_ENCODE`` (JavaScript) and ``encode`` (Python) turn
  certificate objects into the same comparable JSON: objects as ordered key/value pairs
  (so key order is compared too), Buffers / ``bytes`` as hex, and cycles
  (``issuerCertificate`` of a root) as ``{"$ref": distance}`` up the current path.
* Certificates are built at test time with ``cryptography`` (installed with trustme),
  which lets a test set any validity window, extension or serial number.  Odd
  encodings that no builder would write come from ``der`` helpers (raw extension values)
  or from patching bytes of a signed certificate (``patch``): the certificate object
  never checks signatures, and the verification tests want broken ones anyway.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from tests.support.node import run_node

NODE_ENCODE = r"""
function encode(v, seen = []) {
  if (Buffer.isBuffer(v)) return { $bytes: v.toString('hex') };
  if (Array.isArray(v)) return { $array: v.map((x) => encode(x, seen)) };
  if (v !== null && typeof v === 'object') {
    const i = seen.indexOf(v);
    if (i >= 0) return { $ref: seen.length - 1 - i };
    seen.push(v);
    const out = { $object: Object.keys(v).map((k) => [k, encode(v[k], seen)]) };
    seen.pop();
    return out;
  }
  if (v === undefined) return { $undefined: true };
  return v;
}
function readInput() {
  return JSON.parse(require('fs').readFileSync(0, 'utf8'));
}
"""


def run_encoded(script: str, payload: object, timeout: float = 20.0) -> Any:
    """``run_node`` of ``NODE_ENCODE + script``: Node's values come back ``encode``d."""
    return run_node(NODE_ENCODE + script, payload, timeout)


def encode(value: Any, seen: tuple[Any, ...] = ()) -> Any:
    """The Python twin of ``NODE_ENCODE``."""
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, list):
        return {"$array": [encode(v, seen) for v in value]}
    if isinstance(value, dict):
        for distance, outer in enumerate(reversed(seen)):
            if outer is value:
                return {"$ref": distance}
        inner = (*seen, value)
        return {"$object": [[k, encode(v, inner)] for k, v in value.items()]}
    return value


# -- DER by hand -------------------------------------------------------------------------

def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def oid(dotted: str) -> bytes:
    """The content octets of an OBJECT IDENTIFIER."""
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


class GN:
    """GeneralName encodings (the implicit [n] tags of RFC 5280)."""

    @staticmethod
    def other(type_oid: str, value: bytes) -> bytes:
        return tlv(0xA0, tlv(0x06, oid(type_oid)) + tlv(0xA0, value))

    @staticmethod
    def email(v: bytes) -> bytes:
        return tlv(0x81, v)

    @staticmethod
    def dns(v: bytes) -> bytes:
        return tlv(0x82, v)

    @staticmethod
    def x400() -> bytes:
        return tlv(0xA3, b"")

    @staticmethod
    def dirname(name: x509.Name) -> bytes:
        return tlv(0xA4, name.public_bytes())

    @staticmethod
    def edi_party(party: str) -> bytes:
        return tlv(0xA5, tlv(0xA1, tlv(0x0C, party.encode())))

    @staticmethod
    def uri(v: bytes) -> bytes:
        return tlv(0x86, v)

    @staticmethod
    def ip(v: bytes) -> bytes:
        return tlv(0x87, v)

    @staticmethod
    def rid(dotted: str) -> bytes:
        return tlv(0x88, oid(dotted))


def utf8(s: str | bytes) -> bytes:
    return tlv(0x0C, s.encode() if isinstance(s, str) else s)


def ia5(s: str | bytes) -> bytes:
    return tlv(0x16, s.encode() if isinstance(s, str) else s)


def raw_extension(dotted: str, value: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(dotted), value)


SAN_OID = "2.5.29.17"
AIA_OID = "1.3.6.1.5.5.7.1.1"
EKU_OID = "2.5.29.37"


# -- keys and certificates ---------------------------------------------------------------

Key = Any  # a cryptography private key


def ec_key(curve: ec.EllipticCurve | None = None) -> Key:
    return ec.generate_private_key(curve or ec.SECP256R1())


def rsa_key(bits: int = 2048, exponent: int = 65537) -> Key:
    return rsa.generate_private_key(public_exponent=exponent, key_size=bits)


def ed25519_key() -> Key:
    return ed25519.Ed25519PrivateKey.generate()


def ed448_key() -> Key:
    return ed448.Ed448PrivateKey.generate()


def name(*attrs: tuple[Any, ...] | list[tuple[Any, ...]]) -> x509.Name:
    """``name((NameOID.CN, 'x'), [(OU, 'a'), (OU, 'b')], ...)``: a list is one multi-valued RDN;
    a third tuple item picks the ASN.1 string type."""
    rdns = []
    for attr in attrs:
        group = attr if isinstance(attr, list) else [attr]
        rdns.append(x509.RelativeDistinguishedName(
            [x509.NameAttribute(*a) for a in group]))
    return x509.Name(rdns)


def cn(common_name: str) -> x509.Name:
    return name((NameOID.COMMON_NAME, common_name))


UTC = datetime.UTC
NOW = datetime.datetime.now(UTC).replace(microsecond=0)


def days(n: float) -> datetime.datetime:
    return NOW + datetime.timedelta(days=n)


def issue(subject: x509.Name, key: Key, *, issuer: x509.Certificate | None = None,
          issuer_key: Key | None = None, serial: int | None = None,
          not_before: datetime.datetime | None = None,
          not_after: datetime.datetime | None = None,
          extensions: Iterable[x509.ExtensionType | tuple[x509.ExtensionType, bool]] = (),
          ca: bool | None = None, path_length: int | None = None,
          key_usage: str | None = None) -> x509.Certificate:
    """A certificate for ``key``; self-signed unless ``issuer``/``issuer_key`` are given.

    ``ca=True`` adds critical basicConstraints CA:TRUE (with ``path_length``) and, unless
    ``key_usage`` says otherwise, keyUsage keyCertSign+cRLSign.  ``key_usage`` is
    ``'ca'``, ``'leaf'`` (digitalSignature) or ``'none'``.
    """
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.subject if issuer is not None else subject)
               .public_key(key.public_key())
               .serial_number(serial if serial is not None else x509.random_serial_number())
               .not_valid_before(not_before or days(-1))
               .not_valid_after(not_after or days(30)))
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
    usage = key_usage or ("ca" if ca else "none")
    if usage != "none":
        builder = builder.add_extension(_key_usage(usage == "ca"), critical=True)
    for ext in extensions:
        value, critical = ext if isinstance(ext, tuple) else (ext, False)
        builder = builder.add_extension(value, critical=critical)
    signer = issuer_key if issuer_key is not None else key
    algorithm = None if isinstance(signer, (ed25519.Ed25519PrivateKey,
                                            ed448.Ed448PrivateKey)) else hashes.SHA256()
    return builder.sign(signer, algorithm)


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def chain_pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(pem(c) for c in certs)


def key_pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def patch(cert: x509.Certificate, old: bytes, new: bytes) -> bytes:
    """The DER of ``cert`` with one occurrence of ``old`` replaced (same length), as PEM."""
    assert len(old) == len(new)
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(old) == 1, f"{old!r} occurs {der.count(old)} times"
    return der_to_pem(der.replace(old, new))


def der_to_pem(der: bytes) -> bytes:
    """PEM by hand: the DER may be something ``cryptography`` refuses to load."""
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines)
            + "\n-----END CERTIFICATE-----\n").encode()


def crl(issuer: x509.Certificate, issuer_key: Key, revoked: Sequence[int] = (), *,
        last_update: datetime.datetime | None = None,
        next_update: datetime.datetime | None = None) -> bytes:
    """A PEM CRL from ``issuer`` listing the ``revoked`` serial numbers."""
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(issuer.subject)
               .last_update(last_update or days(-1))
               .next_update(next_update or days(30)))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial)
            .revocation_date(days(-1)).build())
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
