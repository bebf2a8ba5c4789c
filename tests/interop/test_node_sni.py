"""SNI against real Node peers, both directions (issue #4, item 1).

nodetls servers (``add_context`` wildcards and their order, ``sni_callback`` answered
synchronously, later from the loop, or by an ``async def``; errors, invalid answers,
double answers; the SNI context's CA verifying client certificates) are driven by one
Node client process; a Node server process (``SNICallback`` answered later, or with an
error) is driven by nodetls clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.node_batch import node_clients, node_servers

pytestmark = pytest.mark.timeout(10)

DISCONNECTED = "Client network socket disconnected before secure TLS connection was established"


class Pki:
    """Default certificate from ``ca`` (localhost); SNI certificates and a client
    certificate from a second CA, ``ca2``."""

    def __init__(self, ca: trustme.CA, server: trustme.LeafCert) -> None:
        self.ca = ca.cert_pem.bytes()
        self.key = server.private_key_pem.bytes()
        self.cert = server.cert_chain_pems[0].bytes()
        ca2 = trustme.CA()
        self.ca2 = ca2.cert_pem.bytes()
        wild, late = ca2.issue_cert("*.sni.test"), ca2.issue_cert("late.sni.test")
        self.wild = {"key": wild.private_key_pem.bytes(), "cert": wild.cert_chain_pems[0].bytes()}
        self.late = {"key": late.private_key_pem.bytes(), "cert": late.cert_chain_pems[0].bytes()}
        client = ca2.issue_cert("client2@sni.test", common_name="client2")
        self.client_key = client.private_key_pem.bytes()
        self.client_cert = client.cert_chain_pems[0].bytes()

    def env(self) -> dict[str, str]:
        return {"CA": self.ca.decode(), "CA2": self.ca2.decode(), "KEY": self.key.decode(),
                "CERT": self.cert.decode(), "WKEY": self.wild["key"].decode(),
                "WCERT": self.wild["cert"].decode(), "CKEY": self.client_key.decode(),
                "CCERT": self.client_cert.decode()}


@pytest.fixture(scope="module")
def pki(ca: trustme.CA, server_cert: trustme.LeafCert) -> Pki:
    return Pki(ca, server_cert)


class Recorder:
    """What each nodetls server saw, per connection in order: ``secureConnection``
    fields, or ``{'error': err}`` from ``tlsClientError``."""

    def __init__(self) -> None:
        self.seen: dict[str, list[dict[str, Any]]] = {}

    def attach(self, name: str, server: tls.Server) -> None:
        records = self.seen.setdefault(name, [])

        def secure(sock: tls.TLSSocket) -> None:
            records.append({"servername": sock.servername, "authorized": sock.authorized,
                            "authorization_error": sock.authorization_error})
            sock.end()

        server.on("secureConnection", secure)
        server.on("tlsClientError", lambda err, sock: records.append({"error": err}))


@contextlib.asynccontextmanager
async def servers(pki: Pki, recorder: Recorder,
                  **variants: dict[str, Any]) -> AsyncIterator[dict[str, int]]:
    """One listening nodetls server per variant (extra options; ``contexts`` is a list
    of ``add_context`` calls); yields their ports by name."""
    made: dict[str, tls.Server] = {}
    try:
        for name, options in variants.items():
            contexts = options.pop("contexts", [])
            server = tls.create_server(key=pki.key, cert=pki.cert, **options)
            for hostname, context in contexts:
                server.add_context(hostname, context)
            recorder.attach(name, server)
            await server.listen(0, "127.0.0.1")
            made[name] = server
        yield {name: int(s.address()["port"]) for name, s in made.items()}  # type: ignore[index]
    finally:
        for server in made.values():
            server.close()
        for server in made.values():
            await asyncio.wait_for(server.wait_closed(), 5)


def later(delay: float, cb: Callable[..., Any], *args: Any) -> None:
    asyncio.get_running_loop().call_later(delay, cb, *args)


NODE_SNI_CLIENTS = r"""
const P = JSON.parse(E.PORTS);
const san = (s, r) => { r.san = s.getPeerCertificate().subjectaltname; };
(async () => {
  for (const [name, port, servername] of [
      ['wild', 'ctx', 'a.sni.test'], ['deep', 'ctx', 'a.b.sni.test'], ['none', 'ctx', null],
      ['last-added-first', 'ctx', 'late.sni.test'], ['case', 'ctx', 'A.SNI.TEST'],
      ['later', 'later', 'a.sni.test'], ['async-def', 'async_def', 'a.sni.test'],
      ['default', 'later', 'other.test'], ['error', 'error', 'a.sni.test'],
      ['invalid', 'invalid', 'a.sni.test'], ['twice', 'twice', 'a.sni.test'],
      ['primitive', 'primitive', 'a.sni.test']]) {
    const options = {port: P[port], ca: [E.CA, E.CA2], rejectUnauthorized: false};
    if (servername) options.servername = servername;
    await client(name, options, {secure: san});
  }
  const auth = {ca: [E.CA, E.CA2], rejectUnauthorized: false, key: E.CKEY, cert: E.CCERT};
  await client('sni-ca', {port: P.sni_ca, servername: 'a.sni.test', ...auth});
  await client('no-sni-ca', {port: P.sni_ca, servername: 'other.test', ...auth});
  done();
})();
"""


async def test_node_client_against_nodetls_sni(pki: Pki) -> None:
    wild = tls.create_secure_context(**pki.wild)
    late = tls.create_secure_context(**pki.late)
    with_ca2 = tls.create_secure_context(**pki.wild, ca=pki.ca2)

    def answer_later(servername: str, cb: Callable[..., Any]) -> None:
        later(0.05, cb, None, wild if servername.endswith(".sni.test") else None)

    async def async_def(servername: str, cb: Callable[..., Any]) -> Any:
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        later(0.05, ready.set_result, wild)
        return await ready

    def twice(servername: str, cb: Callable[..., Any]) -> None:
        cb(None, None)
        cb(None, None)

    recorder = Recorder()
    async with servers(
        pki, recorder,
        ctx={"contexts": [("late.sni.test", late), ("*.sni.test", wild)]},
        later={"sni_callback": answer_later},
        async_def={"sni_callback": async_def},
        error={"sni_callback": lambda n, cb: later(0.02, cb, ValueError("no such name"))},
        invalid={"sni_callback": lambda n, cb: cb(None, {"key": "not a context"})},
        twice={"sni_callback": twice},
        primitive={"sni_callback": lambda n, cb: cb(None, "a.sni.test")},
        sni_ca={"request_cert": True, "reject_unauthorized": False,
                "sni_callback": lambda n, cb: cb(None, with_ca2 if n == "a.sni.test" else None)},
    ) as ports:
        got = await node_clients(NODE_SNI_CLIENTS, PORTS=json.dumps(ports), **pki.env())
    seen = recorder.seen

    default_san = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    # add_context: '*' matches one label, case-sensitively (Node's RegExp); the
    # last-added entry wins even over a more specific earlier one.
    for name, san in [("wild", "DNS:*.sni.test"), ("deep", default_san), ("none", default_san),
                      ("last-added-first", "DNS:*.sni.test"), ("case", default_san),
                      ("later", "DNS:*.sni.test"), ("async-def", "DNS:*.sni.test"),
                      ("default", default_san), ("primitive", default_san)]:
        assert got[name]["events"] == ["secureConnect"], (name, got[name])
        assert got[name]["san"] == san, name
    assert [r["servername"] for r in seen["ctx"]] == [
        "a.sni.test", "a.b.sni.test", False, "late.sni.test", "A.SNI.TEST"]
    assert got["none"]["servername"] is False  # Node's client: no SNI unless given

    # Errors from the callback reach 'tlsClientError'; the Node client sees a reset.
    for name in ("error", "invalid", "twice"):
        assert got[name]["events"] == [], name
        assert got[name]["error"]["code"] == "ECONNRESET", name
        assert got[name]["error"]["message"] == DISCONNECTED, name
    assert [str(r["error"]) for r in seen["error"]] == ["no such name"]
    [invalid] = [r["error"] for r in seen["invalid"]]
    assert type(invalid) is TypeError and str(invalid) == "Invalid SNI context"
    assert [r["error"].code for r in seen["twice"]] == ["ERR_MULTIPLE_CALLBACK"]

    # The SNI context's CA verifies client certificates (Node's sni-option test);
    # without a matching SNI the default context (no ca2) leaves it unauthorized.
    assert got["sni-ca"]["events"] == got["no-sni-ca"]["events"] == ["secureConnect"]
    assert seen["sni_ca"] == [
        {"servername": "a.sni.test", "authorized": True, "authorization_error": None},
        {"servername": "other.test", "authorized": False,
         "authorization_error": "SELF_SIGNED_CERT_IN_CHAIN"}]  # as Node says


async def test_sni_context_ca_authorizes_client_certificate(pki: Pki) -> None:
    with_ca2 = tls.create_secure_context(**pki.wild, ca=pki.ca2)
    recorder = Recorder()
    body = r"""
      (async () => {
        await client('sni-ca', {port: +E.PORT, servername: 'a.sni.test', ca: [E.CA2],
                                key: E.CKEY, cert: E.CCERT});
        done();
      })();
    """
    async with servers(pki, recorder, sni_ca={
            "request_cert": True, "reject_unauthorized": False,
            "sni_callback": lambda n, cb: later(0.02, cb, None, with_ca2)}) as ports:
        got = await node_clients(body, PORT=str(ports["sni_ca"]), **pki.env())
    assert got["sni-ca"]["authorized"] is True  # ca2 is the only CA the client trusts
    assert recorder.seen["sni_ca"] == [{"servername": "a.sni.test", "authorized": True,
                                        "authorization_error": None}]


class _Picker:
    def __init__(self, context: tls.SecureContext) -> None:
        self.context = context

    def pick(self, servername: str) -> tls.SecureContext | None:
        return self.context if servername.endswith(".sni.test") else None


def _pick(context: tls.SecureContext, servername: str) -> tls.SecureContext | None:
    return context if servername == "a.sni.test" else None


async def test_v06_sni_callback_returning_the_context(
        pki: Pki, uncaught: list[BaseException]) -> None:
    """v0.6's ``SNICallback(servername)`` returns a context (or None) synchronously; a
    one-parameter callable of any kind is taken as that form.  (Node v20 calls it with a
    ``cb`` it never uses, and the handshake stalls: nodetls follows the v0.6 docs.)"""
    wild = tls.create_secure_context(**pki.wild)

    async def async_one(servername: str) -> tls.SecureContext:
        return wild

    def refuse(servername: str) -> None:
        raise ValueError(f"no context for {servername}")

    recorder = Recorder()
    async with servers(
        pki, recorder,
        plain={"sni_callback": lambda servername: wild if servername == "a.sni.test" else None},
        method={"sni_callback": _Picker(wild).pick},
        partial={"sni_callback": functools.partial(_pick, wild)},
        async_one={"sni_callback": async_one},
        raising={"sni_callback": refuse},
    ) as ports:
        body = r"""
          const P = JSON.parse(E.PORTS);
          const san = (s, r) => { r.san = s.getPeerCertificate().subjectaltname; };
          (async () => {
            for (const port of ['plain', 'method', 'partial', 'async_one', 'raising'])
              await client(port, {port: P[port], ca: [E.CA2], servername: 'a.sni.test'},
                           {secure: san});
            await client('plain-default', {port: P.plain, ca: [E.CA], servername: 'localhost'},
                         {secure: san});
            done();
          })();
        """
        got = await node_clients(body, PORTS=json.dumps(ports), **pki.env())
    for name in ("plain", "method", "partial", "async_one"):
        assert got[name]["events"] == ["secureConnect"], (name, got[name])
        assert got[name]["authorized"] is True, name  # verified against ca2 only
        assert got[name]["san"] == "DNS:*.sni.test", name
    assert got["plain-default"]["authorized"] is True  # None: the default context
    assert got["plain-default"]["san"].startswith("DNS:localhost")
    assert got["raising"]["events"] == [] and got["raising"]["error"]["code"] == "ECONNRESET"
    assert [str(r["error"]) for r in recorder.seen["raising"]] == ["no context for a.sni.test"]
    # The exception is also reported as uncaught (the user-code policy).
    assert [str(e) for e in uncaught] == ["no context for a.sni.test"]
    uncaught.clear()


NODE_SNI_SERVERS = r"""
const wild = tls.createSecureContext({key: E.WKEY, cert: E.WCERT});
serveAll([
  server('later', {key: E.KEY, cert: E.CERT, SNICallback: (name, cb) =>
    setTimeout(() => cb(null, name.endsWith('.sni.test') ? wild : null), 50)},
    {secure: (s, r) => (r.names ??= []).push(s.servername)}),
  server('error', {key: E.KEY, cert: E.CERT, SNICallback: (name, cb) =>
    setTimeout(() => cb(new Error('refused by node')), 20)}),
]);
"""


async def test_nodetls_client_against_node_sni(pki: Pki) -> None:
    async with node_servers(NODE_SNI_SERVERS, **pki.env()) as node:
        port = node.ports["later"]
        sock = await tls.connect(port, "127.0.0.1", ca=pki.ca2, servername="a.sni.test")
        assert sock.authorized is True and sock.servername == "a.sni.test"
        assert (sock.get_peer_certificate() or {})["subjectaltname"] == "DNS:*.sni.test"
        sock.destroy()
        plain = await tls.connect(port, "127.0.0.1", ca=pki.ca)  # no SNI unless given
        assert plain.authorized is True and plain.servername is False
        plain.destroy()
        with warnings.catch_warnings():  # DEP0123, as Node warns; sent all the same
            warnings.simplefilter("ignore", DeprecationWarning)
            ip = await tls.connect(port, "127.0.0.1", ca=pki.ca, servername="127.0.0.1")
        assert ip.servername == "127.0.0.1"
        ip.destroy()
        with pytest.raises(OSError) as info:
            await tls.connect(node.ports["error"], "127.0.0.1", ca=pki.ca,
                              servername="a.sni.test")
        assert info.value.code == "ECONNRESET"  # type: ignore[attr-defined]
        assert str(info.value) == DISCONNECTED
    results = node.results
    assert results["later"]["names"] == ["a.sni.test", False, "127.0.0.1"]
    assert results["error"]["tlsClientError"]["message"] == "refused by node"
