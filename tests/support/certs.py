"""Certificate material shared by the tiers, made at test time from trustme.

``Certs`` is the PEM bytes of the session's CA and its server and client leaves (the
``certs`` fixture of ``tests/conftest.py``).  Labs with richer needs build on
``tests/certlab.py`` (certificates of any shape) or ``tests/ocsp_pki.py`` (an
``openssl ca`` directory and responder).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import trustme


@dataclass(frozen=True)
class Certs:
    ca: bytes
    key: bytes
    cert: bytes
    client_key: bytes
    client_cert: bytes


def certs_of(ca: trustme.CA, server: trustme.LeafCert, client: trustme.LeafCert) -> Certs:
    return Certs(
        ca=ca.cert_pem.bytes(),
        key=server.private_key_pem.bytes(),
        cert=b"".join(p.bytes() for p in server.cert_chain_pems),
        client_key=client.private_key_pem.bytes(),
        client_cert=b"".join(p.bytes() for p in client.cert_chain_pems),
    )


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
