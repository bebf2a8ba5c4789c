"""The hardened server options with real outside clients: ``openssl s_client`` and Node.

* ``session_cache_size``: ``s_client -no_ticket`` (``-reconnect``, ``-sess_out``/``-sess_in``)
  and Node clients resume from OpenSSL's own cache on TLS 1.2 and, with tickets off, on
  TLS 1.3 (stateful tickets); the same clients against a default nodetls server and a
  Node server do not (neither keeps a cache).
* ``allow_client_renegotiation=False``: ``s_client`` typing ``R`` and a Node client
  calling ``renegotiate()`` get the ``no_renegotiation`` warning; both are OpenSSL
  clients, which give up on that alert themselves (``ERR_SSL_NO_RENEGOTIATION``); the
  server reports no handshake.  With a client that carries on (tlslite-ng) the hardened
  server stays quiet where a Node server refusing by ``SSL_OP_NO_RENEGOTIATION`` emits
  ``'secure'`` for every refused attempt and trips its own ``CLIENT_RENEG_LIMIT``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import nodetls as tls
from tests.interop.resumelab import node_client, server_config, server_process
from tests.support.certs import Certs
from tests.support.events import event, wait
from tests.support.node import NODE
from tests.support.openssl import reused_line, s_client, s_client_renegotiating
from tests.support.procs import Peer
from tests.support.tlslite import renegotiating_client
from tests.tls.tlsutil import serving

VERSIONS = ["TLSv1.3", "TLSv1.2"]


# --- session_cache_size --------------------------------------------------------------------------


@pytest.mark.parametrize(("server", "cache", "reused"), [
    ("py", 64, 5), ("py", 0, 0), ("node", 0, 0),
])
async def test_s_client_reconnect_without_tickets(certs: Certs, server: str, cache: int,
                                                  reused: int) -> None:
    """``s_client -reconnect``: one full handshake and five reconnections by session id."""
    options: dict[str, Any] = {"session_cache_size": cache} if cache else {}
    async with server_process(server, server_config(certs.key, certs.cert, **options)) as (
            proc, port):
        out = await s_client(port, "-tls1_2", "-no_ticket", "-reconnect")
        lines = [await proc.line() for _ in range(6)]
    assert sum(line.startswith("Reused, TLSv1.2") for line in out.splitlines()) == reused
    assert [line["reused"] for line in lines] == [False] + [True] * reused + [False] * (
        5 - reused)


@pytest.mark.parametrize("cache", [16, 0])
async def test_s_client_tls13_stateful_ticket(certs: Certs, tmp_path: Path, cache: int) -> None:
    sess = str(tmp_path / "session.pem")
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       secure_options=tls.SSL_OP_NO_TICKET, session_cache_size=cache) as (_,
                                                                                           port):
        first = reused_line(await s_client(port, "-tls1_3", "-sess_out", sess))
        second = reused_line(await s_client(port, "-tls1_3", "-sess_in", sess))
    assert first.startswith("New, TLSv1.3")
    assert second.startswith("Reused, TLSv1.3" if cache else "New, TLSv1.3")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("server", "cache"), [("py", 16), ("py", 0), ("node", 0)])
async def test_node_client_resumes_from_the_cache(certs: Certs, version: str, server: str,
                                                  cache: int) -> None:
    options: dict[str, Any] = {"no_ticket": True, "max_version": version}
    if cache:
        options["session_cache_size"] = cache
    async with server_process(server, server_config(certs.key, certs.cert, **options)) as (
            _, port):
        first = await node_client(port, certs.ca)
        assert first["protocol"] == version and first["reused"] is False
        second = await node_client(port, certs.ca, session=bytes.fromhex(first["sessions"][-1]))
    assert second["reused"] is bool(cache)


# --- allow_client_renegotiation=False -----------------------------------------------------------


async def test_s_client_r_gets_no_renegotiation(certs: Certs) -> None:
    """s_client sends R: OpenSSL's warning comes back and s_client ends the connection
    itself (its fatal handshake_failure is the server socket's error); the server saw no
    handshake, so no 'secure' and no ERR_TLS_SESSION_ATTACK."""
    queue: asyncio.Queue[tls.TLSSocket] = asyncio.Queue()
    async with (serving(queue.put_nowait, key=certs.key, cert=certs.cert,
                        allow_client_renegotiation=False) as (_, port),
                s_client_renegotiating(port) as renegotiate):
        sock = await wait(queue.get(), "secureConnection")
        secure: list[None] = []
        sock.on("secure", lambda: secure.append(None))
        failed = event(sock, "error")
        await renegotiate()
        (err,) = await wait(failed, "server 'error'")
    assert err.code == "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"  # the client's own alert
    assert secure == []


async def test_s_client_r_is_accepted_by_default(certs: Certs) -> None:
    """The control: Node's default accepts the renegotiation ('secure' again)."""
    queue: asyncio.Queue[tls.TLSSocket] = asyncio.Queue()
    async with (serving(queue.put_nowait, key=certs.key, cert=certs.cert) as (_, port),
                s_client_renegotiating(port) as renegotiate):
        sock = await wait(queue.get(), "secureConnection")
        secure = event(sock, "secure")
        await renegotiate()
        await wait(secure, "'secure' after R")


NODE_RENEGOTIATE = r"""
const tls = require('tls');
const client = tls.connect({ port: +process.argv[1], host: '127.0.0.1',
                             rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
  client.write('before');
  client.once('data', (d) => {
    data.push(d.toString());
    client.renegotiate({}, (err) => { callback = err ? err.code : null; });
  });
});
const data = [], errors = []; let callback;
const report = () => { console.log(JSON.stringify({ data, errors, callback })); process.exit(0); };
// After the refusal Node's client socket never closes (against a Node server too):
// report at the error.
client.on('error', (e) => { errors.push(e.code); report(); });
client.on('close', report);
"""


@pytest.mark.parametrize("allow", [False, True])
async def test_node_client_renegotiate(certs: Certs, allow: bool) -> None:
    secure: list[None] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("secure", lambda: (secure.append(None), sock.end(b"renegotiated")))
        sock.on("error", lambda err: None)
        sock.on("data", lambda data: sock.write(b"echo:" + data))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_client_renegotiation=allow) as (_, port):
        proc = await Peer.start(NODE, "-e", NODE_RENEGOTIATE, str(port))
        try:
            result = await proc.line()
        finally:
            await proc.stop()
    if allow:
        assert result == {"data": ["echo:before"], "errors": [], "callback": None}
        assert secure == [None]
    else:
        assert result == {"data": ["echo:before"], "errors": ["ERR_SSL_NO_RENEGOTIATION"]}
        assert secure == []


NODE_NO_RENEGOTIATION = r"""
const tls = require('tls'), crypto = require('crypto');
const server = tls.createServer({ key: process.env.KEY, cert: process.env.CERT,
                                  secureOptions: crypto.constants.SSL_OP_NO_RENEGOTIATION,
                                  maxVersion: 'TLSv1.2' }, (s) => {
  const seen = { secure: 0, errors: [] };
  s.on('secure', () => seen.secure++);
  s.on('error', (e) => seen.errors.push(e.code));
  s.on('data', (d) => s.write('echo:' + d));
  s.on('close', () => console.log(JSON.stringify(seen)));
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""


async def test_refused_renegotiations_compared_with_node(certs: Certs) -> None:
    attempts = 5
    warning = [21, 1, 100] * attempts + [b"echo:ping"]  # alert, warning, no_renegotiation
    loop = asyncio.get_running_loop()
    proc = await Peer.start(NODE, "-e", NODE_NO_RENEGOTIATION,
                            env={"KEY": certs.key.decode(), "CERT": certs.cert.decode()})
    try:
        port = int((await proc.line())["port"])
        answer = await wait(loop.run_in_executor(None, renegotiating_client, port, attempts),
                            "tlslite-ng client against Node")
        node_seen = await proc.line()
    finally:
        await proc.stop()
    assert answer == warning
    assert node_seen == {"secure": attempts, "errors": ["ERR_TLS_SESSION_ATTACK"] * 2}

    seen: dict[str, Any] = {"secure": 0, "errors": []}

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("secure", lambda: seen.update(secure=seen["secure"] + 1))
        sock.on("error", lambda err: seen["errors"].append(err.code))
        sock.on("data", lambda data: sock.write(b"echo:" + data))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_client_renegotiation=False) as (_, port):
        answer = await wait(loop.run_in_executor(None, renegotiating_client, port, attempts),
                            "tlslite-ng client against nodetls")
    assert answer == warning
    assert seen == {"secure": 0, "errors": []}
