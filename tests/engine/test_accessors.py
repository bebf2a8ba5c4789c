"""Every accessor the ``tls`` layer reads, before and after the handshake.

Expected shapes were taken from Node v20.20.2 on the same OpenSSL; the shared
signature algorithms are compared with a live ``node`` run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from nodetls._openssl import ffi, lib
from nodetls.engine import ConnectionState, TLSEngine
from nodetls.engine.certinfo import x509_to_object
from nodetls.engine.x509 import x509_list_from_pem, x509_to_der
from tests.support.node import run_node

from .conftest import leaf_material
from .pair import Pair

S = ConnectionState


def test_before_handshake(client_ctx, server_ctx) -> None:
    for engine in (TLSEngine(client_ctx(), is_server=False),
                   TLSEngine(server_ctx(), is_server=True)):
        assert engine.protocol == "TLSv1.3"  # the method's maximum, as Node
        assert engine.cipher() is None
        assert engine.finished() is None and engine.peer_finished() is None
        assert engine.session() is None and engine.tls_ticket() is None
        assert engine.is_session_reused() is False
        assert engine.alpn_protocol() is None and engine.servername() is None
        assert engine.peer_certificate_der() is None and engine.peer_chain_der() == []
        assert engine.shared_sigalgs() == []
    client = TLSEngine(client_ctx(), is_server=False)
    assert client.ephemeral_key_info() == {}
    assert TLSEngine(server_ctx(), is_server=True).ephemeral_key_info() is None


@pytest.mark.parametrize(("client", "server", "cipher", "key"), [
    ({}, {}, {"name": "TLS_AES_256_GCM_SHA384", "standardName": "TLS_AES_256_GCM_SHA384",
              "version": "TLSv1.3"}, {"type": "ECDH", "name": "X25519", "size": 253}),
    ({"max_version": "TLSv1.2"}, {"groups": "P-256"},
     {"name": "ECDHE-ECDSA-AES128-GCM-SHA256",
      "standardName": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "version": "TLSv1.2"},
     {"type": "ECDH", "name": "prime256v1", "size": 256}),
])
def test_cipher_and_ephemeral_key(client_ctx, server_ctx, client, server,
                                  cipher, key) -> None:
    pair = Pair(client_ctx(ciphers="ECDHE-ECDSA-AES128-GCM-SHA256", **client),
                server_ctx(**server))
    pair.handshake()
    assert pair.client.cipher() == pair.server.cipher() == cipher
    assert pair.client.ephemeral_key_info() == key
    assert pair.server.ephemeral_key_info() is None
    assert pair.client.peer_dh_bits() is None


def test_dhe_and_rsa_key_exchange(client_ctx, rsa_server_ctx) -> None:
    dhe = Pair(client_ctx(max_version="TLSv1.2", ciphers="DHE-RSA-AES128-GCM-SHA256"),
               rsa_server_ctx(dh_auto=True))
    dhe.handshake()
    assert dhe.client.ephemeral_key_info() == {"type": "DH", "size": 2048}
    assert dhe.client.peer_dh_bits() == 2048
    plain = Pair(client_ctx(max_version="TLSv1.2", ciphers="AES128-SHA"), rsa_server_ctx())
    plain.handshake()
    assert plain.client.ephemeral_key_info() == {}
    assert plain.client.cipher() == {"name": "AES128-SHA",
                                     "standardName": "TLS_RSA_WITH_AES_128_CBC_SHA",
                                     "version": "SSLv3"}


@pytest.mark.parametrize(("version", "size"), [("TLSv1.2", 12), ("TLSv1.3", 48)])
def test_finished_messages(client_ctx, server_ctx, version: str, size: int) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    client_finished = pair.client.finished()
    assert client_finished is not None and len(client_finished) == size
    assert pair.client.peer_finished() == pair.server.finished()
    assert pair.server.peer_finished() == client_finished
    assert pair.client.finished() != pair.server.finished()


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
def test_export_keying_material(client_ctx, server_ctx, version: str) -> None:
    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    one = pair.client.export_keying_material(32, "EXPORTER-test")
    assert len(one) == 32
    assert one == pair.server.export_keying_material(32, b"EXPORTER-test")
    with_ctx = pair.client.export_keying_material(32, "EXPORTER-test", b"ctx")
    assert with_ctx == pair.server.export_keying_material(32, "EXPORTER-test", b"ctx")
    assert with_ctx != one


def test_servername_and_alpn(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.client.set_servername("example.test")
    pair.client.set_alpn_protocols(b"\x02h2\x08http/1.1")
    pair.server.set_alpn_protocols(b"\x08http/1.1\x02h2")
    pair.handshake()
    assert pair.server.servername() == "example.test"
    assert pair.client.servername() == "example.test"
    # The server's preference wins (Node: server ['http/1.1','h2'] picks 'http/1.1').
    assert pair.client.alpn_protocol() == pair.server.alpn_protocol() == "http/1.1"


def test_no_sni_and_no_alpn(client_ctx, server_ctx) -> None:
    one_sided = Pair(client_ctx(), server_ctx())
    one_sided.client.set_alpn_protocols(b"\x02h2")
    one_sided.handshake()
    assert one_sided.server.servername() is None
    assert one_sided.client.alpn_protocol() is None is one_sided.server.alpn_protocol()


def test_max_send_fragment(client_ctx, server_ctx) -> None:
    engine = TLSEngine(client_ctx(), is_server=False)
    assert [engine.set_max_send_fragment(n) for n in (100, 511, 512, 16384, 16385)] == [
        False, False, True, True, False]
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    assert pair.server.set_max_send_fragment(512)
    pair.server.send(b"x" * 4096)
    wire = pair.server.data_to_send()
    assert len(wire) >= 8 * (512 + 5 + 16)  # eight records instead of one
    assert b"".join(e.data for e in pair.client.receive(wire)) == b"x" * 4096


def test_certificates_as_der(client_ctx, server_ctx, server_cert: trustme.LeafCert,
                              ca: trustme.CA) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.handshake()
    leaf_der = x509_to_der(x509_list_from_pem(server_cert.cert_chain_pems[0].bytes())[0])
    peer = pair.client.peer_certificate_der()
    assert peer is not None and peer == leaf_der
    own = pair.server.certificate_der()
    assert own is not None and own == leaf_der
    chain = pair.client.peer_chain_der()
    assert chain == [leaf_der]  # a client's chain starts with the leaf
    with_root = Pair(client_ctx(), server_ctx(ca=[ca.cert_pem.bytes()]))
    with_root.handshake()  # Node clears NO_AUTO_CHAIN: the server adds its store's root
    root_der = x509_to_der(x509_list_from_pem(ca.cert_pem.bytes())[0])
    assert with_root.client.peer_chain_der() == [leaf_der, root_der]
    assert pair.client.certificate_der() is None
    assert lib.SSL_CTX_get_cert_store(lib.SSL_get_SSL_CTX(pair.client._ssl)) != ffi.NULL


def test_enable_trace(client_ctx, server_ctx, capfd: pytest.CaptureFixture[str]) -> None:
    pair = Pair(client_ctx(), server_ctx())
    pair.client.enable_trace()
    pair.handshake()
    err = capfd.readouterr().err
    assert "ClientHello" in err and "Sent Record" in err and "Received Record" in err
    assert len(err.splitlines()) > 50


NODE_SIGALGS = r"""
const tls = require('tls');
const {key, cert, maxVersion} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const server = tls.createServer({key, cert, maxVersion}, (s) => {
  console.log(JSON.stringify(s.getSharedSigalgs())); s.end(); server.close();
});
server.listen(0, () => {
  const c = tls.connect({port: server.address().port, rejectUnauthorized: false, maxVersion},
                        () => c.end());
});
"""


@pytest.mark.parametrize("version", ["TLSv1.2", "TLSv1.3"])
@pytest.mark.parametrize("which", ["ecdsa", "rsa"])
def test_shared_sigalgs_match_node(client_ctx, server_ctx_of, server_cert, rsa_server_cert,
                                   version: str, which: str, tmp_path: Path) -> None:
    leaf = server_cert if which == "ecdsa" else rsa_server_cert
    material = leaf_material(leaf)
    payload = {"key": material["key"].decode(), "cert": material["cert"][0].decode(),
               "maxVersion": version}
    expected = run_node(NODE_SIGALGS, payload, timeout=30)
    pair = Pair(client_ctx(max_version=version),
                server_ctx_of("ecdsa-ca" if which == "ecdsa" else "rsa")())
    pair.handshake()
    assert pair.server.shared_sigalgs() == expected
    assert "Ed25519+UNDEF" in expected
    assert pair.client.shared_sigalgs() == ([] if version == "TLSv1.3" else
                                            pair.client.shared_sigalgs())


def test_npn_tls12(client_ctx, server_ctx) -> None:
    pair = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    pair.client.set_npn_protocols(b"\x02h2\x08http/1.1")
    pair.server.set_npn_protocols(b"\x08http/1.1\x02h2")
    pair.handshake()
    assert pair.client.npn_protocol() == pair.server.npn_protocol() == "http/1.1"
    assert pair.client.alpn_protocol() is None

    no_list = Pair(client_ctx(max_version="TLSv1.2"), server_ctx())
    no_list.server.set_npn_protocols(b"\x03foo")
    no_list.handshake()
    assert no_list.client.npn_protocol() is None  # this client's context never asked

    tls13 = Pair(client_ctx(), server_ctx())
    tls13.client.set_npn_protocols(b"\x02h2")
    tls13.server.set_npn_protocols(b"\x02h2")
    tls13.handshake()
    assert tls13.client.npn_protocol() is None  # NPN does not exist in TLS 1.3


def test_certificate_objects(client_ctx, server_ctx, server_cert: trustme.LeafCert,
                             client_cert: trustme.LeafCert, ca: trustme.CA) -> None:
    """``peer_certificate``/``certificate`` give Node's plain objects, never a pointer."""
    fresh = TLSEngine(client_ctx(), is_server=False)
    assert fresh.peer_certificate() == {} and fresh.peer_certificate(True) == {}
    assert fresh.certificate() == {}
    pair = Pair(client_ctx(**leaf_material(client_cert)),
                server_ctx(ca=[ca.cert_pem.bytes()]))
    pair.server.set_verify_mode(request_cert=True, reject_unauthorized=True)
    pair.handshake()
    server_leaf = x509_to_object(x509_list_from_pem(server_cert.cert_chain_pems[0].bytes())[0])
    client_leaf = x509_to_object(x509_list_from_pem(client_cert.cert_chain_pems[0].bytes())[0])
    root = x509_to_object(x509_list_from_pem(ca.cert_pem.bytes())[0])
    assert pair.client.peer_certificate() == server_leaf == pair.server.certificate()
    # A server's peer chain leaves the leaf out; the object still starts with it.
    assert pair.server.peer_certificate() == client_leaf == pair.client.certificate()
    detailed = pair.client.peer_certificate(detailed=True)
    assert detailed["fingerprint256"] == server_leaf["fingerprint256"]
    issuer = detailed["issuerCertificate"]
    assert issuer["fingerprint256"] == root["fingerprint256"]
    assert issuer["issuerCertificate"] is issuer  # a self-signed root is its own issuer
    assert "issuerCertificate" not in pair.client.peer_certificate()
