"""ALPN against real Node peers, both directions (issue #4, item 2).

Server preference, one side without ALPN, the wire format, the fatal
no_application_protocol alert with Node's codes on both ends (TLS 1.3 and 1.2), and
``alpn_callback`` choosing, refusing, returning a protocol that was not offered, or
raising.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.node_batch import listening, node_clients, node_servers

pytestmark = pytest.mark.timeout(10)

RESET = {"code": "ECONNRESET", "name": "Error", "message":
         "Client network socket disconnected before secure TLS connection was established"}


@pytest.fixture(scope="module")
def env(ca: trustme.CA, server_cert: trustme.LeafCert) -> dict[str, str]:
    return {"CA": ca.cert_pem.bytes().decode(),
            "KEY": server_cert.private_key_pem.bytes().decode(),
            "CERT": server_cert.cert_chain_pems[0].bytes().decode()}


@contextlib.asynccontextmanager
async def nodetls_servers(env: dict[str, str], seen: dict[str, list[Any]],
                          **variants: dict[str, Any]) -> AsyncIterator[dict[str, int]]:
    """A nodetls server per variant; ``seen[name]`` gets each connection's
    ``alpn_protocol`` or its ``tlsClientError``."""
    made: dict[str, tls.Server] = {}
    for name, options in variants.items():
        records = seen.setdefault(name, [])
        server = tls.create_server(key=env["KEY"], cert=env["CERT"], **options)
        server.on("secureConnection", lambda s, r=records: (r.append(s.alpn_protocol),
                                                            s.end()))
        server.on("tlsClientError", lambda err, s, r=records: r.append(err))
        made[name] = server
    async with listening(made) as ports:
        yield ports


NODE_ALPN_CLIENTS = r"""
const P = JSON.parse(E.PORTS);
(async () => {
  for (const [name, port, options] of [
      ['pref', 'pref', {ALPNProtocols: ['h2', 'http/1.1']}],
      ['xyc', 'abc', {ALPNProtocols: ['x', 'y', 'c']}],
      ['server-only', 'abc', {}],
      ['client-only', 'none', {ALPNProtocols: ['a']}],
      ['wire', 'wire', {ALPNProtocols: Buffer.from('\x03foo\x03bar')}],
      ['no-overlap-13', 'abc', {ALPNProtocols: ['q']}],
      ['no-overlap-12', 'abc', {ALPNProtocols: ['q'], maxVersion: 'TLSv1.2'}],
      ['cb', 'cb', {ALPNProtocols: ['a', 'b'], servername: 'localhost'}],
      ['cb-nosni', 'cb', {ALPNProtocols: ['a', 'b', 'c']}],
      ['cb-no-alpn', 'cb', {}],
      ['cb-reject', 'reject', {ALPNProtocols: ['a', 'b']}],
      ['cb-invalid', 'invalid', {ALPNProtocols: ['a', 'b']}],
      ['cb-throws', 'throws', {ALPNProtocols: ['a', 'b']}]]) {
    await client(name, {port: P[port], ca: E.CA, ...options});
  }
  done();
})();
"""


async def test_node_clients_against_nodetls_alpn(
        env: dict[str, str], uncaught: list[BaseException]) -> None:
    offers: list[dict[str, Any]] = []
    seen: dict[str, list[Any]] = {}

    def second(offer: dict[str, Any]) -> str:
        offers.append(offer)
        return str(offer["protocols"][1])

    def throws(offer: dict[str, Any]) -> str:
        raise RuntimeError("alpn callback failed")

    async with nodetls_servers(
        env, seen,
        pref={"alpn_protocols": ["http/1.1", "h2"]},
        abc={"alpn_protocols": ["a", "b", "c"]},
        none={},
        wire={"alpn_protocols": b"\x02h2\x03bar\x03foo"},
        cb={"alpn_callback": second},
        reject={"alpn_callback": lambda offer: None},
        invalid={"alpn_callback": lambda offer: "http/5"},
        throws={"alpn_callback": throws},
    ) as ports:
        got = await node_clients(NODE_ALPN_CLIENTS, PORTS=json.dumps(ports), **env)

    expected = {"pref": "http/1.1", "xyc": "c", "server-only": False, "client-only": False,
                "wire": "bar", "cb": "b", "cb-nosni": "b", "cb-no-alpn": False}
    for name, protocol in expected.items():
        assert got[name]["events"] == ["secureConnect"], (name, got[name])
        assert got[name]["alpn"] == protocol, name
    assert seen["pref"] == ["http/1.1"] and seen["wire"] == ["bar"]
    assert seen["abc"][:2] == ["c", False] and seen["none"] == [False]
    assert seen["cb"] == ["b", "b", False]
    assert offers == [{"servername": "localhost", "protocols": ["a", "b"]},
                      {"servername": False, "protocols": ["a", "b", "c"]}]  # not asked w/o ALPN

    # No overlap, or the callback refuses: fatal no_application_protocol (alert 120).
    for name in ("no-overlap-13", "no-overlap-12", "cb-reject"):
        assert got[name]["events"] == [], name
        assert got[name]["error"]["code"] == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
    refusals = seen["abc"][2:] + seen["reject"]
    assert [e.code for e in refusals] == ["ERR_SSL_NO_APPLICATION_PROTOCOL"] * 3
    assert refusals[0].reason == "no application protocol"

    # A protocol that was not offered, or an exception: the connection is destroyed with
    # that error ('tlsClientError'); the client sees a reset, no alert.
    assert got["cb-invalid"]["error"] == RESET and got["cb-throws"]["error"] == RESET
    [invalid] = seen["invalid"]
    assert invalid.code == "ERR_TLS_ALPN_CALLBACK_INVALID_RESULT"
    assert str(invalid) == ("ALPN callback returned a value (http/5) that did not match any "
                            "of the client's offered protocols (a, b)")
    [thrown] = seen["throws"]
    assert type(thrown) is RuntimeError and str(thrown) == "alpn callback failed"
    assert uncaught == [thrown]  # and it is reported as uncaught (the user-code policy)
    uncaught.clear()


NODE_ALPN_SERVERS = r"""
const base = {key: E.KEY, cert: E.CERT};
serveAll([
  server('pref', {...base, ALPNProtocols: ['http/1.1', 'h2']}),
  server('abc', {...base, ALPNProtocols: ['a', 'b', 'c']}),
  server('cb', {...base, ALPNCallback: ({servername, protocols}) => {
    rec('cb').offer = {servername, protocols}; return protocols[1]; }}),
]);
"""


async def test_nodetls_clients_against_node_alpn(env: dict[str, str]) -> None:
    async with node_servers(NODE_ALPN_SERVERS, **env) as node:
        options: dict[str, Any] = {"ca": env["CA"]}
        sock = await tls.connect(node.ports["pref"], "127.0.0.1",
                                 alpn_protocols=[b"h2", "http/1.1"], **options)
        assert sock.alpn_protocol == "http/1.1"
        sock.destroy()
        plain = await tls.connect(node.ports["abc"], "127.0.0.1", **options)
        assert plain.alpn_protocol is False
        plain.destroy()
        wire = await tls.connect(node.ports["abc"], "127.0.0.1",
                                 alpn_protocols=tls.convert_alpn_protocols(["q", "c"]),
                                 **options)
        assert wire.alpn_protocol == "c"
        wire.destroy()
        for version in ("TLSv1.3", "TLSv1.2"):
            with pytest.raises(Exception) as info:
                await tls.connect(node.ports["abc"], "127.0.0.1", alpn_protocols=["q"],
                                  max_version=version, **options)
            assert info.value.code == "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"  # type: ignore[attr-defined]
        chosen = await tls.connect(node.ports["cb"], "127.0.0.1", alpn_protocols=["a", "b"],
                                   servername="localhost", **options)
        assert chosen.alpn_protocol == "b"
        chosen.destroy()
    results = node.results
    assert results["pref"]["alpn"] == "http/1.1"
    assert results["abc"]["events"] == ["secureConnection"] * 2
    assert results["abc"]["tlsClientError"]["code"] == "ERR_SSL_NO_APPLICATION_PROTOCOL"
    assert results["cb"]["offer"] == {"servername": "localhost", "protocols": ["a", "b"]}
