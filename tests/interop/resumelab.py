"""Session-resumption peers in separate processes: nodetls and Node servers and clients,
and ``openssl s_client``, all reporting JSON lines.

* ``PY_SERVER`` / ``NODE_SERVER``: a TLS server configured from the environment variable
  ``TLS_SERVER`` (a JSON object: ``key``, ``cert``, and optionally ``ticket_keys`` (hex,
  or a list of hex for nodetls: a ring; Node takes the first),
  ``session_id_context``, ``session_timeout``, ``max_version``, ``no_ticket``,
  ``session_cache_size`` and ``allow_client_renegotiation`` (nodetls only),
  ``cache`` (newSession/resumeSession backed by a dict)).  The configuration travels in
  the environment so that every server started by the same command line has the same
  argv, hence (Node's rule) the same default session id context.  Each prints
  ``{"port"}``, then ``{"reused", "protocol"}`` per connection (after which it sends
  ``x`` and closes), and runs until its stdin closes.
* ``NODE_CLIENT`` / :func:`py_client`: one connection; ``{"reused", "protocol",
  "sessions": [hex, ...], "ticket": hex|null}`` once it has closed.

Every process is a ``tests.support.procs.Peer``: bounded in time, stopped by its own PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import nodetls as tls
from tests.support.node import NODE
from tests.support.procs import Peer

TIMEOUT = 5.0

PY_SERVER = r"""
import asyncio, json, os, sys
import nodetls as tls

def say(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()

async def main():
    cfg = json.loads(os.environ["TLS_SERVER"])
    options = {"key": cfg["key"].encode(), "cert": cfg["cert"].encode()}
    keys = cfg.get("ticket_keys")
    if keys:  # one key (hex), or a ring: a list of them
        options["ticket_keys"] = ([bytes.fromhex(k) for k in keys] if isinstance(keys, list)
                                  else bytes.fromhex(keys))
    for name in ("session_id_context", "session_timeout", "max_version",
                 "session_cache_size", "allow_client_renegotiation"):
        if cfg.get(name) is not None:
            options[name] = cfg[name]
    if cfg.get("no_ticket"):
        options["secure_options"] = tls.SSL_OP_NO_TICKET

    def on_secure(sock):
        say({"reused": sock.is_session_reused(), "protocol": sock.get_protocol()})
        sock.end(b"x")

    server = tls.create_server(on_secure, **options)
    if cfg.get("cache"):
        store = {}
        def new_session(sid, data, cb):
            store[sid] = data
            cb()
        server.on("newSession", new_session)
        server.on("resumeSession", lambda sid, cb: cb(None, store.get(sid)))
    server.on("tlsClientError", lambda err, sock: say({"error": getattr(err, "code", "")}))
    await server.listen(0, "127.0.0.1")
    say({"port": server.address()["port"]})
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""

NODE_SERVER = r"""
const tls = require('tls'), crypto = require('crypto');
const cfg = JSON.parse(process.env.TLS_SERVER);
const say = (v) => process.stdout.write(JSON.stringify(v) + '\n');
const options = { key: cfg.key, cert: cfg.cert };
if (cfg.ticket_keys) options.ticketKeys = Buffer.from([].concat(cfg.ticket_keys)[0], 'hex');
if (cfg.session_id_context) options.sessionIdContext = cfg.session_id_context;
if (cfg.session_timeout != null) options.sessionTimeout = cfg.session_timeout;
if (cfg.max_version) options.maxVersion = cfg.max_version;
if (cfg.no_ticket) options.secureOptions = crypto.constants.SSL_OP_NO_TICKET;
const server = tls.createServer(options, (s) => {
  say({ reused: s.isSessionReused(), protocol: s.getProtocol() });
  s.end('x');
});
if (cfg.cache) {
  const store = new Map();
  server.on('newSession', (id, data, cb) => { store.set(id.toString('hex'), data); cb(); });
  server.on('resumeSession', (id, cb) => cb(null, store.get(id.toString('hex')) || null));
}
server.on('tlsClientError', (err) => say({ error: err.code }));
server.listen(0, '127.0.0.1', () => say({ port: server.address().port }));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""

NODE_CLIENT = r"""
const tls = require('tls');
const o = JSON.parse(process.argv[1]);
const options = { port: o.port, host: '127.0.0.1', ca: o.ca, servername: 'localhost' };
if (o.session) options.session = Buffer.from(o.session, 'hex');
if (o.max_version) options.maxVersion = o.max_version;
const s = tls.connect(options);
const sessions = []; let reused = null, protocol = null, ticket = null;
s.on('session', (d) => sessions.push(d.toString('hex')));
s.on('secureConnect', () => {
  reused = s.isSessionReused(); protocol = s.getProtocol();
  const t = s.getTLSTicket(); ticket = t ? t.toString('hex') : null;
});
s.on('data', () => {});
s.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
s.on('close', () => console.log(JSON.stringify({ reused, protocol, sessions, ticket })));
"""


def server_config(key: bytes, cert: bytes, **options: Any) -> dict[str, str]:
    """The environment of a ``PY_SERVER``/``NODE_SERVER`` process."""
    cfg: dict[str, Any] = {"key": key.decode(), "cert": cert.decode()}
    for name, value in options.items():
        if isinstance(value, list):
            value = [key.hex() for key in value]
        cfg[name] = value.hex() if isinstance(value, bytes) else value
    return {"TLS_SERVER": json.dumps(cfg)}


@contextlib.asynccontextmanager
async def server_process(kind: str, env: dict[str, str],
                         *extra_argv: str) -> AsyncIterator[tuple[Peer, int]]:
    """A ``"py"`` (nodetls) or ``"node"`` server process and its port."""
    argv = ([sys.executable, "-c", PY_SERVER] if kind == "py" else [NODE, "-e", NODE_SERVER])
    proc = await Peer.start(*argv, *extra_argv, env=env)
    try:
        port = int((await proc.line(TIMEOUT))["port"])
        yield proc, port
    finally:
        await proc.stop()


async def node_client(port: int, ca: bytes, session: bytes | None = None,
                      max_version: str | None = None) -> dict[str, Any]:
    options = {"port": port, "ca": ca.decode(), "session": session.hex() if session else None,
               "max_version": max_version}
    proc = await Peer.start(NODE, "-e", NODE_CLIENT, json.dumps(options))
    try:
        return await proc.line(TIMEOUT)
    finally:
        await proc.stop()


async def py_client(port: int, ca: bytes, session: bytes | None = None,
                    max_version: str | None = None) -> dict[str, Any]:
    """The nodetls twin of ``NODE_CLIENT`` (same fields; sessions as bytes)."""
    options: dict[str, Any] = {"ca": ca, "servername": "localhost", "session": session}
    if max_version:
        options["max_version"] = max_version
    sock = tls.connect(port, "127.0.0.1", **options)
    sessions: list[bytes] = []
    result: dict[str, Any] = {"sessions": sessions}

    def on_secure() -> None:  # read at once: the server may close right after
        result.update(reused=sock.is_session_reused(), protocol=sock.get_protocol(),
                      ticket=sock.get_tls_ticket())

    sock.on("secureConnect", on_secure)
    sock.on("session", sessions.append)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_close(*_: Any) -> None:
        if not closed.done():
            closed.set_result(None)

    sock.on("close", on_close)
    sock.on("data", lambda _: None)
    await asyncio.wait_for(sock, TIMEOUT)
    await asyncio.wait_for(closed, TIMEOUT)
    return result
