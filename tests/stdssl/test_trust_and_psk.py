"""CRLs, and PSK on the client side, through ``nodetls.SSLContext`` and asyncio, against
Python's ``ssl`` and Node servers."""

from __future__ import annotations

import asyncio
import os
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from nodetls import SSLContext
from tests import certlab
from tests.support.loops import run_on
from tests.support.node_batch import node_servers

from .stdutil import echo_server


def _revocable_server(tmp_path: Path) -> tuple[bytes, Any, ssl.SSLContext]:
    """(CA PEM, a CRL maker, a stdlib server context whose leaf has serial 4242)."""
    ca_key = certlab.ec_key()
    ca = certlab.issue(certlab.cn("CRL test CA"), ca_key, ca=True)
    leaf_key = certlab.ec_key()
    leaf = certlab.issue(certlab.cn("localhost"), leaf_key, issuer=ca, issuer_key=ca_key,
                         serial=4242, key_usage="leaf",
                         extensions=[x509.SubjectAlternativeName([x509.DNSName("localhost")])])
    (tmp_path / "leaf.pem").write_bytes(certlab.pem(leaf))
    (tmp_path / "leaf.key").write_bytes(certlab.key_pem(leaf_key))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    return certlab.pem(ca), lambda *serials: certlab.crl(ca, ca_key, serials), server


def test_crl_revokes_the_server_certificate(tmp_path: Path, loop_name: str) -> None:
    ca, make_crl, server = _revocable_server(tmp_path)

    async def main() -> None:
        async with echo_server(server) as port:
            fine = SSLContext(False, ca=[ca], crl=make_crl(1, 2))
            _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=fine,
                                                      server_hostname="localhost")
            assert writer.get_extra_info("ssl_object").authorized is True
            writer.close()
            revoked = SSLContext(False, ca=[ca], crl=make_crl(4242))
            with pytest.raises(ssl.SSLCertVerificationError) as info:
                await asyncio.open_connection("127.0.0.1", port, ssl=revoked,
                                              server_hostname="localhost")
            assert info.value.code == "CERT_REVOKED"  # type: ignore[attr-defined]
            assert info.value.verify_message == "certificate revoked"

    run_on(loop_name, main)


NODE_PSK_SERVER = r"""
const key = Buffer.from(E.KEY, 'hex');
serveAll([server('psk', {ciphers: 'PSK+HIGH', pskIdentityHint: 'node-hint',
                         pskCallback: (s, identity) => identity === 'py' ? key : null},
                 {secure: (s) => s.write('hello psk\n')})]);
"""


def test_psk_client_with_a_node_server(loop_name: str) -> None:
    key = os.urandom(32)
    hints: list[str | None] = []

    def psk(hint: str | None) -> dict[str, Any]:
        hints.append(hint)
        return {"psk": key, "identity": "py"}

    async def main() -> tuple[bytes, str]:
        # No certificate to check a name against: as in Node, PSK clients skip the check.
        client = SSLContext(False, ciphers="PSK+HIGH", max_version="TLSv1.2", psk_callback=psk,
                            check_server_identity=lambda host, cert: None)
        async with node_servers(NODE_PSK_SERVER, KEY=key.hex()) as node:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", node.ports["psk"], ssl=client, server_hostname="localhost")
            data = await reader.read()
            version = writer.get_extra_info("ssl_object").version()
            writer.close()
        assert node.results["psk"]["events"] == ["secureConnection"]
        return data, version

    assert run_on(loop_name, main) == (b"hello psk\n", "TLSv1.2")
    assert hints == ["node-hint"]
