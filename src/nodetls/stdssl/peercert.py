"""``getpeercert()``'s dict, in the stdlib's shape, from Node's certificate object.

Theory of operation.  The engine already turns a certificate into Node's object
(``engine.certinfo``); the stdlib wants the same facts shaped differently:

* ``subject``/``issuer``: a tuple of RDNs, each a tuple of ``(long name, value)``
  pairs (``(('commonName', 'localhost'),)``), names as OpenSSL's long names;
* ``subjectAltName``: ``(('DNS', 'localhost'), ('IP Address', '127.0.0.1'))``, parsed
  from Node's ``subjectaltname`` text with ``tls.identity``'s own splitter;
* ``version`` (from the DER), ``serialNumber`` (upper-case hex), ``notBefore`` /
  ``notAfter`` (OpenSSL's printed time, identical in both), ``OCSP`` / ``caIssuers``.

Node's object keeps one entry per attribute name (repeats collected in a list), so a
multi-valued RDN comes back as consecutive single-valued ones: the values and their
order are the same.
"""

from __future__ import annotations

from typing import Any

from nodetls.engine.stdlib_info import long_name
from nodetls.tls.identity import split_altnames

__all__ = ["stdlib_certificate"]

_ACCESS_KEYS = (("OCSP - URI", "OCSP"), ("CA Issuers - URI", "caIssuers"))


def _rdns(name: dict[str, str | list[str]] | None) -> tuple[tuple[tuple[str, str]], ...]:
    rdns: list[tuple[tuple[str, str]]] = []
    for short, values in (name or {}).items():
        for value in values if isinstance(values, list) else [values]:
            rdns.append(((long_name(short), value),))
    return tuple(rdns)


def _alt_names(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for entry in split_altnames(text):
        kind, _, value = entry.partition(":")
        pairs.append((kind, value))
    return tuple(pairs)


def _der_version(der: bytes) -> int:
    """X.509 version (1-3) from the DER: ``tbsCertificate``'s optional ``[0]`` tag."""
    pos = 0
    for _ in range(2):  # into Certificate, then into tbsCertificate
        pos += 1
        length = der[pos]
        pos += 1 + (length & 0x7F if length & 0x80 else 0)
    if der[pos] != 0xA0:
        return 1
    return der[pos + 4] + 1  # [0] { INTEGER v }: a0 03 02 01 v


def stdlib_certificate(node_cert: dict[str, Any]) -> dict[str, Any]:
    """The stdlib's ``getpeercert()`` dict for Node's certificate object."""
    cert: dict[str, Any] = {
        "subject": _rdns(node_cert.get("subject")),
        "issuer": _rdns(node_cert.get("issuer")),
        "version": _der_version(node_cert["raw"]),
        "serialNumber": node_cert.get("serialNumber", ""),
        "notBefore": node_cert.get("valid_from", ""),
        "notAfter": node_cert.get("valid_to", ""),
    }
    altnames = node_cert.get("subjectaltname")
    if altnames:
        cert["subjectAltName"] = _alt_names(altnames)
    access = node_cert.get("infoAccess") or {}
    for node_key, key in _ACCESS_KEYS:
        if access.get(node_key):
            cert[key] = tuple(access[node_key])
    return cert
