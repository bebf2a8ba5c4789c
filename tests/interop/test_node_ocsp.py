"""OCSP stapling against real Node peers, both directions (issue #4, item 4).

nodetls servers answer ``'OCSPRequest'(cert, issuer, cb)`` later, with nothing, or with
an error; Node clients with ``requestOCSP`` report ``'OCSPResponse'`` and its order
relative to ``'secureConnect'``.  nodetls clients with ``request_ocsp`` against Node
servers likewise; ``nodetls.OCSPStapler`` wired to a server staples a real (offline
``openssl ocsp``) response for a Node client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.ocsp_pki import MiniCA, leaf_extensions, respond
from tests.support.node_batch import listening, node_clients, node_servers

pytestmark = pytest.mark.timeout(10)

RESET = "ECONNRESET"
OCSPCallback = Callable[[BaseException | None, bytes | None], Any]


def der(pem: bytes) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.decode())


class Pki:
    def __init__(self, ca: trustme.CA, server: trustme.LeafCert) -> None:
        self.ca = ca.cert_pem.bytes()
        self.key = server.private_key_pem.bytes()
        self.cert = server.cert_chain_pems[0].bytes()
        ca2 = trustme.CA()
        leaf2 = ca2.issue_cert("localhost")
        self.ca2 = ca2.cert_pem.bytes()
        self.key2 = leaf2.private_key_pem.bytes()
        self.cert2 = leaf2.cert_chain_pems[0].bytes()

    def env(self) -> dict[str, str]:
        return {"CA": self.ca.decode(), "KEY": self.key.decode(), "CERT": self.cert.decode(),
                "CA2": self.ca2.decode()}


@pytest.fixture(scope="module")
def pki(ca: trustme.CA, server_cert: trustme.LeafCert) -> Pki:
    return Pki(ca, server_cert)


@contextlib.asynccontextmanager
async def ocsp_servers(pki: Pki, requests: dict[str, list[tuple[bytes, bytes | None]]],
                       errors: dict[str, list[BaseException]],
                       **variants: tuple[dict[str, Any], Callable[[OCSPCallback], None] | None],
                       ) -> AsyncIterator[dict[str, int]]:
    """A nodetls server per variant: (extra options, how its listener answers ``cb``)."""
    made: dict[str, tls.Server] = {}
    for name, (options, answer) in variants.items():
        server = tls.create_server(lambda s: s.end(), key=pki.key, cert=pki.cert, **options)
        asked = requests.setdefault(name, [])
        failed = errors.setdefault(name, [])
        if answer is not None:
            def listener(cert: bytes, issuer: bytes | None, cb: OCSPCallback,
                         asked: list[Any] = asked,
                         answer: Callable[[OCSPCallback], None] = answer) -> None:
                asked.append((cert, issuer))
                answer(cb)

            server.on("OCSPRequest", listener)
        server.on("tlsClientError", lambda err, s, failed=failed: failed.append(err))
        made[name] = server
    async with listening(made) as ports:
        yield ports


def later(delay: float, cb: OCSPCallback, err: BaseException | None,
          response: bytes | None) -> None:
    asyncio.get_running_loop().call_later(delay, cb, err, response)


NODE_OCSP_CLIENTS = r"""
const P = JSON.parse(E.PORTS);
const listen = (s, r) => s.on('OCSPResponse', (b) => r.events.push('OCSPResponse:' + hex(b)));
(async () => {
  for (const [name, port, options] of [
      ['later', 'later', {requestOCSP: true}],
      ['later-12', 'later', {requestOCSP: true, maxVersion: 'TLSv1.2'}],
      ['not-asked', 'later', {}],
      ['none', 'none', {requestOCSP: true}],
      ['no-listener', 'no_listener', {requestOCSP: true}],
      ['with-ca', 'with_ca', {requestOCSP: true}],
      ['sni', 'sni', {requestOCSP: true, servername: 'localhost', ca: E.CA2}],
      ['error', 'error', {requestOCSP: true}]]) {
    await client(name, {port: P[port], ca: E.CA, ...options}, {setup: listen});
  }
  done();
})();
"""


async def test_node_clients_against_nodetls_ocsp(pki: Pki) -> None:
    requests: dict[str, list[tuple[bytes, bytes | None]]] = {}
    errors: dict[str, list[BaseException]] = {}
    refusal = RuntimeError("no OCSP for you")
    other = tls.create_secure_context(key=pki.key2, cert=pki.cert2, ca=pki.ca2)
    async with ocsp_servers(
        pki, requests, errors,
        later=({}, lambda cb: later(0.05, cb, None, b"stapled later")),
        none=({}, lambda cb: cb(None, None)),
        no_listener=({}, None),
        with_ca=({"ca": pki.ca}, lambda cb: cb(None, b"with issuer")),
        sni=({"sni_callback": lambda n, cb: asyncio.get_running_loop().call_later(
            0.02, cb, None, other)},
             lambda cb: cb(None, b"sni context")),
        error=({}, lambda cb: later(0.02, cb, refusal, None)),
    ) as ports:
        got = await node_clients(NODE_OCSP_CLIENTS, PORTS=json.dumps(ports), **pki.env())

    # The response (or null) arrives before 'secureConnect'; not at all unless asked.
    staple = "OCSPResponse:" + b"stapled later".hex()
    assert got["later"]["events"] == [staple, "secureConnect"]
    assert got["later-12"]["events"] == [staple, "secureConnect"]
    assert got["not-asked"]["events"] == ["secureConnect"]
    assert got["none"]["events"] == ["OCSPResponse:null", "secureConnect"]
    assert got["no-listener"]["events"] == ["OCSPResponse:null", "secureConnect"]
    assert got["with-ca"]["events"] == ["OCSPResponse:" + b"with issuer".hex(), "secureConnect"]
    assert got["sni"]["events"] == ["OCSPResponse:" + b"sni context".hex(), "secureConnect"]
    # The listener is called only when the client asked, with the DER certificate of
    # the context in use and its issuer when the context knows it (else None).
    assert requests["later"] == [(der(pki.cert), None)] * 2
    assert requests["none"] == [(der(pki.cert), None)]
    assert requests["with_ca"] == [(der(pki.cert), der(pki.ca))]
    assert requests["sni"] == [(der(pki.cert2), der(pki.ca2))]
    # cb(err) destroys the connection with that error; the client sees a reset.
    assert got["error"]["events"] == [] and got["error"]["error"]["code"] == RESET
    assert errors["error"] == [refusal]
    assert all(not errors[name] for name in ("later", "none", "with_ca", "sni"))


NODE_OCSP_SERVERS = r"""
const base = {key: E.KEY, cert: E.CERT};
const answer = (how) => (srv, r) => srv.on('OCSPRequest', (cert, issuer, cb) => {
  r.events.push('OCSPRequest'); how(cb); });
serveAll([
  server('later', base, {keep: true, setup: answer((cb) =>
    setTimeout(() => cb(null, Buffer.from('from node')), 50))}),
  server('none', base, {setup: answer((cb) => cb(null, null))}),
  server('no_listener', base),
]);
"""


async def test_nodetls_clients_against_node_ocsp(pki: Pki) -> None:
    async def connect(port: int, **options: Any) -> list[object]:
        events: list[object] = []
        sock = tls.connect(port, "127.0.0.1", ca=pki.ca, **options)
        sock.on("OCSPResponse", lambda data: events.append(data))
        sock.on("secureConnect", lambda: events.append("secureConnect"))
        await sock
        sock.destroy()
        return events

    async with node_servers(NODE_OCSP_SERVERS, **pki.env()) as node:
        ports = node.ports
        assert await connect(ports["later"], request_ocsp=True) == [b"from node",
                                                                   "secureConnect"]
        assert await connect(ports["later"], request_ocsp=True, max_version="TLSv1.2") == [
            b"from node", "secureConnect"]
        assert await connect(ports["later"]) == ["secureConnect"]  # not asked: no event
        assert await connect(ports["none"], request_ocsp=True) == [None, "secureConnect"]
        assert await connect(ports["no_listener"], request_ocsp=True) == [None,
                                                                         "secureConnect"]
    assert node.results["later"]["events"] == ["OCSPRequest", "secureConnection"] * 2 + [
        "secureConnection"]  # Node asks its listener only when the client asked


NODE_STAPLE_CLIENT = r"""
(async () => {
  await client('staple', {port: +E.PORT, ca: E.CA, servername: 'localhost', requestOCSP: true},
               {setup: (s, r) => s.on('OCSPResponse', (b) => { r.staple = hex(b); })});
  done();
})();
"""


async def test_ocsp_stapler_exported_and_wired_for_a_node_client(tmp_path: Path) -> None:
    ca = MiniCA(tmp_path, "ca")
    leaf = ca.issue("good", leaf_extensions("http://127.0.0.1:9/"))  # never fetched
    response = respond(ca, leaf, tmp_path)
    fetched: list[str] = []

    async def fetch(url: str, body: bytes, timeout: float) -> bytes:
        fetched.append(url)
        return response

    stapler = tls.OCSPStapler(leaf.pem, ca.pem, fetch=fetch)
    await stapler.start()
    server = tls.create_server(lambda s: s.end(), key=leaf.key.read_bytes(),
                               cert=leaf.pem + ca.pem)
    server.on("OCSPRequest", stapler.listener)
    await server.listen(0, "127.0.0.1")
    try:
        port = server.address()["port"]  # type: ignore[index]
        got = await node_clients(NODE_STAPLE_CLIENT, PORT=str(port), CA=ca.pem.decode())
    finally:
        server.close()
        await server.wait_closed()
        stapler.close()
    assert fetched == ["http://127.0.0.1:9/"]
    assert got["staple"]["authorized"] is True
    assert got["staple"]["staple"] == response.hex()
