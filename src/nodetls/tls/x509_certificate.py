"""``X509Certificate``: what ``get_peer_x509_certificate()`` / ``get_x509_certificate()``
return (Node's ``crypto.X509Certificate``, the read-only part).

Node builds its ``X509Certificate`` from the same OpenSSL object as the legacy
certificate object, so here it is a thin view over that object (``engine.certinfo``):
the DER bytes, the fingerprints, serial number and validity strings as they are,
``subject``/``issuer`` in Node's one-attribute-per-line form (``'O=Org\\nCN=name'``),
``subject_alt_name`` as OpenSSL prints it, ``key_usage`` (Node's ``keyUsage``: the
extended key usage OIDs), ``to_legacy_object()`` and ``to_string()`` (PEM).  Node's
signature and host checks (``verify``, ``check_host``, ...) are not provided.
"""

from __future__ import annotations

import base64
import textwrap
from collections.abc import Mapping
from typing import Any

__all__ = ["X509Certificate"]


def _name_lines(name: object) -> str:
    if not isinstance(name, Mapping):
        return ""
    lines: list[str] = []
    for key, value in name.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{key}={item}")
    return "\n".join(lines)


class X509Certificate:
    """One certificate, as Node's ``X509Certificate`` shows it."""

    __slots__ = ("_legacy",)

    def __init__(self, legacy: Mapping[str, Any]) -> None:
        if "raw" not in legacy:
            raise ValueError("not a certificate object")
        self._legacy = dict(legacy)
        self._legacy.pop("issuerCertificate", None)

    @property
    def raw(self) -> bytes:
        """The DER encoding."""
        return bytes(self._legacy["raw"])

    @property
    def subject(self) -> str:
        return _name_lines(self._legacy.get("subject"))

    @property
    def issuer(self) -> str:
        return _name_lines(self._legacy.get("issuer"))

    @property
    def subject_alt_name(self) -> str | None:
        value = self._legacy.get("subjectaltname")
        return value if isinstance(value, str) else None

    @property
    def ca(self) -> bool:
        return bool(self._legacy.get("ca"))

    @property
    def valid_from(self) -> str:
        return str(self._legacy.get("valid_from", ""))

    @property
    def valid_to(self) -> str:
        return str(self._legacy.get("valid_to", ""))

    @property
    def serial_number(self) -> str:
        return str(self._legacy.get("serialNumber", ""))

    @property
    def fingerprint(self) -> str:
        return str(self._legacy.get("fingerprint", ""))

    @property
    def fingerprint256(self) -> str:
        return str(self._legacy.get("fingerprint256", ""))

    @property
    def fingerprint512(self) -> str:
        return str(self._legacy.get("fingerprint512", ""))

    @property
    def key_usage(self) -> list[str] | None:
        value = self._legacy.get("ext_key_usage")
        return list(value) if isinstance(value, list) else None

    def to_legacy_object(self) -> dict[str, Any]:
        """The object ``get_peer_certificate()`` returns for this certificate."""
        return dict(self._legacy)

    def to_string(self) -> str:
        """PEM."""
        body = "\n".join(textwrap.wrap(base64.b64encode(self.raw).decode("ascii"), 64))
        return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"

    __str__ = to_string

    def __eq__(self, other: object) -> bool:
        return isinstance(other, X509Certificate) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"X509Certificate(subject={self.subject!r})"
