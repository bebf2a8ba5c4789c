"""Batched Node.js peers: many servers or clients in one ``node`` process.

One ``node`` process serves (or connects) many cases, so a test pays Node's start-up
once.  Each script is ``PRELUDE`` plus a body written with its helpers:

* ``server(name, options, hooks)``: a ``tls.Server`` on 127.0.0.1 recording, under
  ``results[name]``, what its connections saw (``secureConnection`` fields, the
  ``tlsClientError``); ``serveAll([...])`` prints ``{"ports": {name: port}}`` and then
  waits for stdin to close before printing ``{"results": ...}`` and exiting;
* ``client(name, options, hooks)``: a ``tls.connect`` recording ``secureConnect``
  fields or the error, resolved on ``'close'``; ``done()`` prints the results.

``hooks.setup(socketOrServer, r)`` and ``hooks.secure(socket, r)`` add case-specific
listeners and fields; ``hooks.keep`` leaves ending a server connection to the client.
(A Node 20 server that ends a connection at ``'secureConnection'``, after answering
the handshake from a timer, sometimes sends the FIN without its last flight: its trace
shows NewSessionTicket/ChangeCipherSpec/Finished written, the client receives only the
FIN; apparently ``EncOut`` waits for the earlier write while ``DoShutdown`` goes ahead.
Servers answering late use ``keep``.)
Every process is bounded in time and killed by its own PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from tests.support.node import NODE
from tests.support.procs import Peer

TIMEOUT = 8.0

PRELUDE = r"""
const tls = require('tls'), E = process.env;
const results = {};
const rec = (name) => (results[name] ??= {events: []});
const errInfo = (e) => ({code: e.code ?? null, message: e.message, name: e.constructor.name});
const hex = (b) => (b == null ? null : Buffer.from(b).toString('hex'));
function client(name, options, hooks = {}) {
  return new Promise((resolve) => {
    const r = rec(name);
    const s = tls.connect({host: '127.0.0.1', ...options}, () => {
      r.events.push('secureConnect');
      Object.assign(r, {authorized: s.authorized, authorizationError: s.authorizationError ?? null,
                        alpn: s.alpnProtocol, servername: s.servername ?? null,
                        protocol: s.getProtocol()});
      if (hooks.secure) hooks.secure(s, r);
      s.end();
    });
    if (hooks.setup) hooks.setup(s, r);
    s.on('error', (e) => { r.error = errInfo(e); });
    s.on('close', () => resolve(r));
  });
}
function server(name, options, hooks = {}) {
  const r = rec(name);
  const srv = tls.createServer(options, (s) => {
    r.events.push('secureConnection');
    Object.assign(r, {authorized: s.authorized, authorizationError: s.authorizationError ?? null,
                      alpn: s.alpnProtocol, servername: s.servername, protocol: s.getProtocol()});
    if (hooks.secure) hooks.secure(s, r);
    if (!hooks.keep) s.end();
    else { s.on('error', () => {}); s.on('end', () => s.end()); }
  });
  srv.on('tlsClientError', (e) => { r.tlsClientError = errInfo(e); });
  if (hooks.setup) hooks.setup(srv, r);
  return new Promise((resolve) => srv.listen(0, '127.0.0.1',
                                             () => resolve([name, srv.address().port])));
}
async function serveAll(list) {
  console.log(JSON.stringify({ports: Object.fromEntries(await Promise.all(list))}));
  process.stdin.on('end', () => setImmediate(() => {
    console.log(JSON.stringify({results}));
    process.exit(0);
  }));
  process.stdin.resume();
}
function done() { console.log(JSON.stringify({results})); process.exit(0); }
"""


async def _spawn(body: str, env: dict[str, str]) -> Peer:
    return await Peer.start(NODE, "-e", PRELUDE + body, env=env)


async def _finish(peer: Peer) -> dict[str, Any]:
    """Close stdin, collect stdout; the last JSON line's ``results``."""
    out, err = await peer.output(TIMEOUT, stdin=b"")  # b"": EOF
    proc = peer.proc
    lines = [line for line in out.decode().splitlines() if line.startswith('{"results"')]
    if not lines:
        raise AssertionError(f"node printed no results: rc={proc.returncode} "
                             f"stdout={out.decode()[-1500:]} stderr={err.decode()[-1500:]}")
    results: dict[str, Any] = json.loads(lines[-1])["results"]
    return results


class NodeServers:
    """The ports of a running ``serveAll`` script; ``results`` once it has exited."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.results: dict[str, Any] = {}


@contextlib.asynccontextmanager
async def node_servers(body: str, **env: str) -> AsyncIterator[NodeServers]:
    """Run a ``serveAll`` script; its results are read when the block ends."""
    peer = await _spawn(body, env)
    proc = peer.proc
    try:
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
        except TimeoutError:
            raise AssertionError("node servers did not start") from None
        if not line.startswith(b'{"ports"'):
            _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
            raise AssertionError(f"node servers failed: {line!r} {err.decode()[-1500:]}")
        servers = NodeServers({k: int(v) for k, v in json.loads(line)["ports"].items()})
        yield servers
        servers.results = await _finish(peer)
    finally:
        await peer.stop()


async def node_clients(body: str, **env: str) -> dict[str, Any]:
    """Run a script of ``client(...)`` cases ending in ``done()``; its results."""
    peer = await _spawn(body, env)
    try:
        return await _finish(peer)
    finally:
        await peer.stop()


@contextlib.asynccontextmanager
async def listening(servers: dict[str, Any]) -> AsyncIterator[dict[str, int]]:
    """Listen on 127.0.0.1 with each named ``tls.Server``; yield ``{name: port}``; close all."""
    started: list[Any] = []
    try:
        for server in servers.values():
            await server.listen(0, "127.0.0.1")
            started.append(server)
        yield {name: int(server.address()["port"]) for name, server in servers.items()}
    finally:
        for server in started:
            server.close()
        for server in started:
            await asyncio.wait_for(server.wait_closed(), 5)
