"""Sessions across implementations and processes: the DER a nodetls client gets resumes
from a Node client and the other way round, against nodetls and Node servers; the
server's external session cache against ``openssl s_client``; TLS 1.3 stateful
resumption (which Node cannot do: nodejs/node#60847).

Each peer is its own process (``resumelab``), bounded in time, stopped by its PID.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import nodetls as tls
from tests.interop.resumelab import node_client, py_client, server_config, server_process
from tests.support.certs import Certs
from tests.support.node import NODE
from tests.support.openssl import reused_line, s_client
from tests.support.procs import Peer
from tests.tls.tlsutil import serving

VERSIONS = ["TLSv1.3", "TLSv1.2"]
TICKETS_PER_HANDSHAKE = {"TLSv1.3": 2, "TLSv1.2": 1}


# --- client sessions are OpenSSL's DER, interchangeable with Node's --------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("server", ["py", "node"])
async def test_nodetls_session_resumes_in_node_client(certs: Certs, server: str,
                                                      version: str) -> None:
    env = server_config(certs.key, certs.cert, max_version=version)
    async with server_process(server, env) as (proc, port):
        first = await py_client(port, certs.ca)
        assert (first["reused"], first["protocol"]) == (False, version)
        assert len(first["sessions"]) == TICKETS_PER_HANDSHAKE[version]
        second = await node_client(port, certs.ca, session=first["sessions"][-1])
        assert second["reused"] is True and second["protocol"] == version
        if version == "TLSv1.2":  # the same ticket was offered and accepted
            assert second["ticket"] == first["ticket"].hex()
        assert [(await proc.line())["reused"] for _ in range(2)] == [False, True]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("server", ["py", "node"])
async def test_node_session_resumes_in_nodetls_client(certs: Certs, server: str,
                                                      version: str) -> None:
    env = server_config(certs.key, certs.cert, max_version=version)
    async with server_process(server, env) as (proc, port):
        first = await node_client(port, certs.ca)
        assert (first["reused"], first["protocol"]) == (False, version)
        assert len(first["sessions"]) == TICKETS_PER_HANDSHAKE[version]
        second = await py_client(port, certs.ca, session=bytes.fromhex(first["sessions"][-1]))
        assert second["reused"] is True and second["protocol"] == version
        if version == "TLSv1.2":
            assert second["ticket"].hex() == first["ticket"]
        assert [(await proc.line())["reused"] for _ in range(2)] == [False, True]


# --- the server's external session cache ---------------------------------------------------


def _session_cache(server: tls.Server, *, invalid: bool) -> dict[str, Any]:
    """Node's session-cache test: one stored session, answered asynchronously."""
    loop = asyncio.get_running_loop()
    stats: dict[str, Any] = {"new": 0, "resume": 0, "session": None}

    def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        stats["new"] += 1
        assert stats["session"] is None
        stats["session"] = (session_id, data)
        loop.call_soon(cb)

    def resume_session(session_id: bytes, cb: Any) -> None:
        stats["resume"] += 1
        stored = stats["session"]
        assert stored is not None and stored[0] == session_id
        data = stored[1]
        if invalid:  # Node's "does not crash" case: a full handshake every time
            data, stats["session"] = b"INVALID SESSION", None
        loop.call_soon(cb, None, data)

    server.on("newSession", new_session)
    server.on("resumeSession", resume_session)
    return stats


@pytest.mark.parametrize(("mode", "expected"), [
    # (secureConnection, resumeSession, newSession, reused): Node's test-tls-session-cache
    ("no_ticket", (6, 5, 1, 5)),
    ("tickets", (6, 0, 0, 5)),
    ("invalid", (6, 5, 6, 0)),
])
async def test_session_cache_against_s_client_reconnect(certs: Certs, tmp_path: Path,
                                                        mode: str,
                                                        expected: tuple[int, ...]) -> None:
    (tmp_path / "c.key").write_bytes(certs.client_key)
    (tmp_path / "c.crt").write_bytes(certs.client_cert)
    connections = 0

    def on_secure(sock: tls.TLSSocket) -> None:
        nonlocal connections
        connections += 1
        sock.end(b"")

    async with serving(on_secure, key=certs.key, cert=certs.cert, ca=certs.ca,
                       request_cert=True, reject_unauthorized=False) as (server, port):
        stats = _session_cache(server, invalid=mode == "invalid")
        args = ["-tls1_2", "-servername", "ohgod", "-reconnect",
                "-key", str(tmp_path / "c.key"), "-cert", str(tmp_path / "c.crt")]
        out = await s_client(port, *args, *(["-no_ticket"] if mode != "tickets" else []))
    reused = sum(line.startswith("Reused,") for line in out.splitlines())
    assert (connections, stats["resume"], stats["new"], reused) == expected


async def _s_client_twice(port: int, tmp_path: Path, *args: str) -> tuple[str, str]:
    sess = str(tmp_path / "session.pem")
    first = reused_line(await s_client(port, *args, "-sess_out", sess))
    second = reused_line(await s_client(port, *args, "-sess_in", sess))
    return first, second


async def test_tls13_stateful_resumption_unlike_node(certs: Certs, tmp_path: Path) -> None:
    """Tickets off (SSL_OP_NO_TICKET), TLS 1.3: the stateful ticket's identity is a session
    id that reaches 'resumeSession', so s_client resumes.  The same s_client against a Node
    server with the same dict-backed cache makes a full handshake (nodejs/node#60847).
    (``-reconnect`` cannot show TLS 1.3 resumption: s_client reconnects before it has read
    the tickets, even against ``openssl s_server``; ``-sess_out``/``-sess_in`` can.)"""
    args = ("-tls1_3", "-no_ticket")
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       secure_options=tls.SSL_OP_NO_TICKET) as (server, port):
        store: dict[bytes, bytes] = {}
        offered: list[bytes] = []

        def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
            store[session_id] = data
            cb()

        def resume_session(session_id: bytes, cb: Any) -> None:
            offered.append(session_id)
            cb(None, store.get(session_id))

        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)
        first, second = await _s_client_twice(port, tmp_path, *args)
    assert first.startswith("New, TLSv1.3") and second.startswith("Reused, TLSv1.3")
    assert len(offered) == 2 and offered[1] in store
    env = server_config(certs.key, certs.cert, no_ticket=True, cache=True)
    (tmp_path / "node").mkdir()
    async with server_process("node", env) as (_, node_port):
        first, second = await _s_client_twice(node_port, tmp_path / "node", *args)
    assert first.startswith("New, TLSv1.3") and second.startswith("New, TLSv1.3")


async def test_tls13_stateful_resumption_after_hello_retry(certs: Certs,
                                                           tmp_path: Path) -> None:
    """A server that wants P-256 answers s_client's X25519 key share with a
    HelloRetryRequest; OpenSSL looks the session up for both ClientHellos (the session
    from 'resumeSession' serves both), and the connection still resumes."""
    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert,
                       secure_options=tls.SSL_OP_NO_TICKET, ecdh_curve="P-256") as (server,
                                                                                   port):
        store: dict[bytes, bytes] = {}

        def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
            store[session_id] = data
            cb()

        server.on("newSession", new_session)
        server.on("resumeSession", lambda session_id, cb: cb(None, store.get(session_id)))
        sess = str(tmp_path / "session.pem")
        args = ("-tls1_3", "-no_ticket", "-msg")
        assert reused_line(await s_client(port, *args, "-sess_out", sess)).startswith("New,")
        out = await s_client(port, *args, "-sess_in", sess)
    assert out.count(", ClientHello") == 2  # the retry happened
    assert reused_line(out).startswith("Reused, TLSv1.3")


@pytest.mark.parametrize("server", ["py", "node"])
async def test_node_client_stateful_tls13(certs: Certs, server: str) -> None:
    """A Node client's stateful TLS 1.3 session resumes on a nodetls server with a
    session cache; on a Node server it does not (nodejs/node#60847)."""
    env = server_config(certs.key, certs.cert, no_ticket=True, cache=True)
    async with server_process(server, env) as (_, port):
        first = await node_client(port, certs.ca)
        assert first["protocol"] == "TLSv1.3" and len(first["sessions"]) == 2
        second = await node_client(port, certs.ca, session=bytes.fromhex(first["sessions"][-1]))
    assert second["reused"] is (server == "py")


NODE_TICKETS_WITH_SESSION_LISTENERS = r"""
const tls = require('tls');
const srv = tls.createServer({ key: process.env.KEY, cert: process.env.CERT }, (s) => s.end('x'));
const stats = { resume: 0, new: 0, idLengths: [], reused: [] };
srv.on('newSession', (id, data, cb) => { stats.new++; cb(); });
srv.on('resumeSession', (id, cb) => { stats.resume++; stats.idLengths.push(id.length);
                                      cb(null, null); });
srv.listen(0, '127.0.0.1', () => {
  let session = null, n = 0;
  (function next() {
    const c = tls.connect({ port: srv.address().port, host: '127.0.0.1',
                            rejectUnauthorized: false, session });
    c.on('session', (s) => { session = s; });
    c.on('secureConnect', () => stats.reused.push(c.isSessionReused()));
    c.resume();
    c.on('close', () => {
      if (++n < 4) return next();
      console.log(JSON.stringify(stats)); srv.close();
    });
  })();
});
"""


async def test_ticket_resumption_with_session_listeners_matches_node(certs: Certs) -> None:
    """TLS 1.3 tickets while 'resumeSession'/'newSession' listen: Node offers the random
    legacy session id to resumeSession on every connection and the ticket resumes anyway.
    Ours does the same, and emits newSession as often: the fresh ticket we issue on every
    resumed connection (Node issues none) is not announced as a new session."""
    peer = await Peer.start(NODE, "-e", NODE_TICKETS_WITH_SESSION_LISTENERS, stdin=False,
                            env={"KEY": certs.key.decode(), "CERT": certs.cert.decode()})
    try:
        out, _ = await peer.output(5)
    finally:
        await peer.stop()
    node = json.loads(out)
    stats: dict[str, Any] = {"resume": 0, "new": 0, "idLengths": [], "reused": []}

    def new_session(session_id: bytes, data: bytes, cb: Any) -> None:
        stats["new"] += 1
        cb()

    def resume_session(session_id: bytes, cb: Any) -> None:
        stats["resume"] += 1
        stats["idLengths"].append(len(session_id))
        cb(None, None)

    async with serving(lambda s: s.end(b"x"), key=certs.key, cert=certs.cert) as (server, port):
        server.on("newSession", new_session)
        server.on("resumeSession", resume_session)
        session = None
        for _ in range(4):
            result = await py_client(port, certs.ca, session=session)
            stats["reused"].append(result["reused"])
            session = result["sessions"][-1] if result["sessions"] else session
    assert node["reused"] == stats["reused"] == [False, True, True, True]
    assert node["resume"] == stats["resume"] == 4
    assert node["idLengths"] == stats["idLengths"] == [32] * 4
    assert stats["new"] == node["new"] == 2  # the first connection's two tickets
