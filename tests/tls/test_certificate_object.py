"""``getPeerCertificate([detailed])`` / ``getCertificate()`` objects against Node over TLS.

For each scenario Node runs a real TLS connection (a server with a certificate chain,
a client with its ``ca`` list, optionally a client certificate) and reports, encoded
with cycles and key order: the client's ``getPeerCertificate(true)``,
``getPeerCertificate()`` and ``getCertificate()``, and the server's
``getPeerCertificate(true)`` and ``getCertificate()``.  We build the same objects with
``peer_certificate_object`` from the same certificates: on the client the peer chain
starts with the leaf; on the server OpenSSL leaves the leaf out of the chain, so it
is passed separately.  The ``issuerCertificate`` links are the point: found among
the certificates the peer sent (in any order), then in the local trust store, ending
in a self-signed certificate that points at itself, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography import x509

from nodetls._openssl import ffi, lib
from nodetls.engine.certinfo import (
    peer_certificate_object,
    ssl_certificate,
    ssl_peer_certificate,
    x509_to_object,
)
from nodetls.engine.x509 import mem_bio, x509_list_from_pem
from tests import certlab as lab


@dataclass
class Scenario:
    server_chain: list[x509.Certificate]
    server_key: Any
    client_ca: list[x509.Certificate] = field(default_factory=list)
    client_chain: list[x509.Certificate] = field(default_factory=list)
    client_key: Any = None
    server_ca: list[x509.Certificate] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cert": lab.chain_pem(self.server_chain).decode(),
            "key": lab.key_pem(self.server_key).decode(),
            "ca": [lab.pem(c).decode() for c in self.client_ca],
            "serverCa": [lab.pem(c).decode() for c in self.server_ca],
        }
        if self.client_chain:
            out["clientCert"] = lab.chain_pem(self.client_chain).decode()
            out["clientKey"] = lab.key_pem(self.client_key).decode()
        return out


def _scenarios() -> dict[str, Scenario]:
    root_key, inter_key, leaf_key = lab.ec_key(), lab.ec_key(), lab.rsa_key(2048)
    root = lab.issue(lab.cn("Root CA"), root_key, ca=True)
    inter = lab.issue(lab.cn("Intermediate CA"), inter_key, issuer=root, issuer_key=root_key,
                      ca=True)
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        x509.oid.AuthorityInformationAccessOID.OCSP,
        x509.UniformResourceIdentifier("http://ocsp.example/"))])
    leaf = lab.issue(lab.name((x509.NameOID.COMMON_NAME, "localhost"),
                              (x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "a"),
                              (x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "b")),
                     leaf_key, issuer=inter, issuer_key=inter_key, ca=False, key_usage="leaf",
                     extensions=[x509.SubjectAlternativeName([x509.DNSName("localhost")]), aia])
    other_key = lab.ec_key()
    other = lab.issue(lab.cn("Other Root"), other_key, ca=True)
    self_key = lab.ec_key()
    self_signed = lab.issue(lab.cn("self"), self_key)
    # keyUsage without keyCertSign: not its own issuer for X509_check_issued, so no link.
    self_signed_ku = lab.issue(lab.cn("self ku"), self_key, ca=False, key_usage="leaf")
    # A self-signed CA whose keyUsage lacks keyCertSign: X509_check_issued(root, root)
    # fails, yet the store hands the root back as its own issuer.
    odd_root_key = lab.ec_key()
    odd_root = lab.issue(lab.cn("Odd Root"), odd_root_key, ca=True, key_usage="leaf")
    odd_leaf = lab.issue(lab.cn("odd leaf"), leaf_key, issuer=odd_root,
                         issuer_key=odd_root_key, ca=False, key_usage="leaf")
    client_key = lab.ec_key()
    client = lab.issue(lab.cn("client"), client_key, issuer=inter, issuer_key=inter_key,
                       ca=False, key_usage="leaf")
    return {
        "chain_sent_root_in_store": Scenario([leaf, inter], leaf_key, [root]),
        "full_chain_sent": Scenario([leaf, inter, root], leaf_key, [root]),
        "chain_sent_out_of_order": Scenario([leaf, root, inter], leaf_key, [root]),
        "leaf_only_rest_in_store": Scenario([leaf], leaf_key, [inter, root]),
        "untrusted_chain": Scenario([leaf, inter], leaf_key, [other]),
        "self_signed_leaf": Scenario([self_signed], self_key, []),
        "self_signed_leaf_with_key_usage": Scenario([self_signed_ku], self_key, []),
        "odd_root_in_store": Scenario([odd_leaf], leaf_key, [odd_root]),
        "odd_root_sent_and_in_store": Scenario([odd_leaf, odd_root], leaf_key, [odd_root]),
        "client_certificate": Scenario([leaf, inter], leaf_key, [root],
                                       client_chain=[client, inter], client_key=client_key,
                                       server_ca=[root]),
        "client_without_certificate": Scenario([leaf, inter], leaf_key, [root],
                                               server_ca=[root]),
    }


NODE_SCRIPT = r"""
const tls = require('tls');
async function run(sc) {
  const serverOpts = { key: sc.key, cert: sc.cert };
  if (sc.serverCa.length) Object.assign(serverOpts, { requestCert: true, ca: sc.serverCa,
                                                       rejectUnauthorized: false });
  const server = tls.createServer(serverOpts);
  const serverSide = new Promise((resolve) => server.on('secureConnection', (s) => {
    resolve({ peerDetailed: encode(s.getPeerCertificate(true)),
              local: encode(s.getCertificate()) });
  }));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clientSide = new Promise((resolve, reject) => {
    const opts = { port: server.address().port, host: '127.0.0.1', ca: sc.ca,
                   rejectUnauthorized: false, checkServerIdentity: () => undefined };
    if (sc.clientCert) Object.assign(opts, { cert: sc.clientCert, key: sc.clientKey });
    const sock = tls.connect(opts, () => {
      resolve({ sock, result: { peerDetailed: encode(sock.getPeerCertificate(true)),
                                peer: encode(sock.getPeerCertificate()),
                                local: encode(sock.getCertificate()) } });
    });
    sock.on('error', reject);
  });
  const [client, serverResult] = await Promise.all([clientSide, serverSide]);
  client.sock.destroy();
  server.close();
  return { client: client.result, server: serverResult };
}
(async () => {
  const out = {};
  for (const [name, sc] of Object.entries(readInput())) out[name] = await run(sc);
  process.stdout.write(JSON.stringify(out));
})();
"""


def _store(certs: Sequence[x509.Certificate]) -> Any:
    store = ffi.gc(lib.X509_STORE_new(), lib.X509_STORE_free)
    for cert in certs:
        assert lib.X509_STORE_add_cert(store, x509_list_from_pem(lab.pem(cert))[0]) == 1
    return store


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    return _scenarios()


@pytest.fixture(scope="module")
def node_results(scenarios: dict[str, Scenario]) -> dict[str, Any]:
    result: dict[str, Any] = lab.run_encoded(
        NODE_SCRIPT, {name: sc.payload() for name, sc in scenarios.items()}, timeout=30)
    return result


NAMES = [
    "chain_sent_root_in_store", "full_chain_sent", "chain_sent_out_of_order",
    "leaf_only_rest_in_store", "untrusted_chain", "self_signed_leaf",
    "self_signed_leaf_with_key_usage", "odd_root_in_store",
    "odd_root_sent_and_in_store", "client_certificate", "client_without_certificate",
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", NAMES)
def test_client_side_objects(name: str, scenarios: dict[str, Scenario],
                             node_results: dict[str, Any]) -> None:
    sc = scenarios[name]
    received = x509_list_from_pem(lab.chain_pem(sc.server_chain))
    store = _store(sc.client_ca)
    theirs = node_results[name]["client"]
    assert lab.encode(peer_certificate_object(None, received, store, True)) \
        == theirs["peerDetailed"]
    assert lab.encode(peer_certificate_object(None, received, store, False)) == theirs["peer"]
    local = (x509_to_object(x509_list_from_pem(lab.pem(sc.client_chain[0]))[0])
             if sc.client_chain else {})
    assert lab.encode(local) == theirs["local"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["client_certificate", "client_without_certificate"])
def test_server_side_objects(name: str, scenarios: dict[str, Scenario],
                             node_results: dict[str, Any]) -> None:
    sc = scenarios[name]
    sent = x509_list_from_pem(lab.chain_pem(sc.client_chain)) if sc.client_chain else []
    leaf, chain = (sent[0], sent[1:]) if sent else (None, [])
    theirs = node_results[name]["server"]
    ours = peer_certificate_object(leaf, chain, _store(sc.server_ca), True)
    assert lab.encode(ours) == theirs["peerDetailed"]
    local = x509_to_object(x509_list_from_pem(lab.pem(sc.server_chain[0]))[0])
    assert lab.encode(local) == theirs["local"]


# -- the same objects from live OpenSSL connections -------------------------------------

def _context(chain: Sequence[x509.Certificate], key: Any, ca: Sequence[x509.Certificate],
             verify_peer: bool) -> Any:
    ctx = ffi.gc(lib.SSL_CTX_new(lib.TLS_method()), lib.SSL_CTX_free)
    if chain:
        certs = x509_list_from_pem(lab.chain_pem(chain))
        assert lib.SSL_CTX_use_certificate(ctx, certs[0]) == 1
        for extra in certs[1:]:
            assert lib.SSL_CTX_add1_chain_cert(ctx, extra) == 1
        key_bytes = lab.key_pem(key)  # mem_bio reads it in place: keep it alive
        pkey = lib.PEM_read_bio_PrivateKey(mem_bio(key_bytes), ffi.NULL, ffi.NULL, ffi.NULL)
        assert lib.SSL_CTX_use_PrivateKey(ctx, ffi.gc(pkey, lib.EVP_PKEY_free)) == 1
    store = lib.SSL_CTX_get_cert_store(ctx)
    for cert in ca:
        assert lib.X509_STORE_add_cert(store, x509_list_from_pem(lab.pem(cert))[0]) == 1
    mode = lib.SSL_VERIFY_PEER if verify_peer else lib.SSL_VERIFY_NONE
    lib.SSL_CTX_set_verify(ctx, mode, ffi.NULL)
    return ctx


def _move(src: Any, dst: Any) -> None:
    pending = lib.BIO_ctrl_pending(src)
    if pending:
        buf = ffi.new("char[]", pending)
        n = lib.BIO_read(src, buf, pending)
        assert lib.BIO_write(dst, buf, n) == n


def _handshake(sc: Scenario) -> tuple[Any, Any, list[Any]]:
    """A client and a server ``SSL`` that completed a handshake through memory BIOs."""
    client_ctx = _context(sc.client_chain, sc.client_key, sc.client_ca, False)
    server_ctx = _context(sc.server_chain, sc.server_key, sc.server_ca, bool(sc.server_ca))
    client = ffi.gc(lib.SSL_new(client_ctx), lib.SSL_free)
    server = ffi.gc(lib.SSL_new(server_ctx), lib.SSL_free)
    bios = [lib.BIO_new(lib.BIO_s_mem()) for _ in range(4)]  # owned by the SSLs below
    lib.SSL_set_bio(client, bios[0], bios[1])
    lib.SSL_set_bio(server, bios[2], bios[3])
    lib.SSL_set_connect_state(client)
    lib.SSL_set_accept_state(server)
    for _ in range(10):
        done = lib.SSL_do_handshake(client) == 1
        _move(bios[1], bios[2])
        done = lib.SSL_do_handshake(server) == 1 and done
        _move(bios[3], bios[0])
        if done:
            return client, server, [client_ctx, server_ctx]
    raise AssertionError("handshake did not complete")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", NAMES)
def test_live_connection_objects(name: str, scenarios: dict[str, Scenario],
                                 node_results: dict[str, Any]) -> None:
    """``ssl_peer_certificate``/``ssl_certificate`` on real ``SSL`` objects, both sides."""
    client, server, _keep = _handshake(scenarios[name])
    theirs = node_results[name]
    assert lab.encode(ssl_peer_certificate(client, True)) == theirs["client"]["peerDetailed"]
    assert lab.encode(ssl_peer_certificate(client, False)) == theirs["client"]["peer"]
    assert lab.encode(ssl_certificate(client)) == theirs["client"]["local"]
    assert lab.encode(ssl_peer_certificate(server, True)) == theirs["server"]["peerDetailed"]
    assert lab.encode(ssl_certificate(server)) == theirs["server"]["local"]


def _depth(obj: dict[str, Any]) -> list[str]:
    """Subject CNs along the issuerCertificate links, '^' marking a self-link."""
    names = []
    while True:
        names.append(obj["subject"]["CN"])
        nxt = obj.get("issuerCertificate")
        if nxt is None:
            return names
        if nxt is obj:
            return [*names, "^"]
        obj = nxt


@pytest.mark.parametrize(("name", "expected"), [
    ("chain_sent_root_in_store", ["localhost", "Intermediate CA", "Root CA", "^"]),
    ("chain_sent_out_of_order", ["localhost", "Intermediate CA", "Root CA", "^"]),
    ("leaf_only_rest_in_store", ["localhost", "Intermediate CA", "Root CA", "^"]),
    ("untrusted_chain", ["localhost", "Intermediate CA"]),
    ("self_signed_leaf", ["self", "^"]),
    ("self_signed_leaf_with_key_usage", ["self ku"]),
    # The store returns the same X509 for the root as its own issuer: one more copy, then
    # Node stops.  The root the peer sent cannot sign (X509_check_issued), so it is skipped.
    ("odd_root_in_store", ["odd leaf", "Odd Root", "Odd Root"]),
    ("odd_root_sent_and_in_store", ["odd leaf", "Odd Root", "Odd Root"]),
])
def test_chain_shapes(name: str, expected: list[str], scenarios: dict[str, Scenario]) -> None:
    """The links themselves, readable (the Node comparison above is the authority)."""
    sc = scenarios[name]
    obj = peer_certificate_object(None, x509_list_from_pem(lab.chain_pem(sc.server_chain)),
                                  _store(sc.client_ca), True)
    assert _depth(obj) == expected


def test_no_certificate_is_an_empty_object() -> None:
    assert peer_certificate_object(None, [], None, True) == {}
    assert peer_certificate_object(None, [], None, False) == {}


def test_not_detailed_has_no_issuer_link(scenarios: dict[str, Scenario]) -> None:
    sc = scenarios["full_chain_sent"]
    obj = peer_certificate_object(None, x509_list_from_pem(lab.chain_pem(sc.server_chain)),
                                  _store(sc.client_ca), False)
    assert "issuerCertificate" not in obj
    assert list(obj)[-1] == "raw"
