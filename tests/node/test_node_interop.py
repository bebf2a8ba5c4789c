"""Node itself as the oracle and the peer: real Node processes on 127.0.0.1.

* A Node client sees the same events whether its server is Node's ``net`` or ours.
* Our client interoperates with a Node echo server (data, half-close, event order).
Each Node process is started here and stopped by its own PID.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from nodetls.node import Socket, net
from tests.support.events import event, wait
from tests.support.node import NODE
from tests.support.procs import Peer

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

NODE_ECHO_SERVER = r"""
const net = require('net');
const server = net.createServer({ allowHalfOpen: process.argv[1] === 'half' }, (s) => {
  s.on('data', (d) => s.write(d));
  s.on('end', () => s.end());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
"""

NODE_CLIENT = r"""
const net = require('net');
const crypto = require('crypto');
const events = [];
const hash = crypto.createHash('sha256');
const c = net.connect(+process.argv[1], '127.0.0.1');
for (const e of ['connect', 'ready', 'end', 'prefinish', 'finish', 'close', 'error']) {
  c.on(e, (a) => events.push(a === undefined ? e : `${e} ${a instanceof Error ? a.code : a}`));
}
let received = 0;
c.on('data', (d) => { received += d.length; hash.update(d); });
c.on('connect', () => { c.write(Buffer.alloc(1 << 20, 7)); c.end('tail'); });
c.on('close', () => console.log(JSON.stringify({ events, received, sha: hash.digest('hex') })));
"""


@asynccontextmanager
async def node_process(script: str, *args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    peer = await Peer.start(NODE, "-e", script, *args, stdin=False)
    try:
        yield peer.proc
    finally:
        await peer.stop()


async def read_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 10)
    assert line, "node exited without output"
    return line.decode().strip()


async def node_client_report(port: int) -> dict[str, object]:
    async with node_process(NODE_CLIENT, str(port)) as client:
        report: dict[str, object] = json.loads(await read_line(client))
        return report


def python_echo_server() -> net.Server:
    def on_connection(sock: Socket) -> None:
        sock.on("data", sock.write)
        sock.on("end", sock.end)

    return net.create_server(on_connection)


async def test_node_client_sees_the_same_events_from_our_server_as_from_node() -> None:
    async with node_process(NODE_ECHO_SERVER, "full") as node_server:
        node_port = int(await read_line(node_server))
        against_node = await node_client_report(node_port)
    server = await python_echo_server().listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    port = address["port"]
    against_us = await node_client_report(port)
    server.close()
    await server.wait_closed()
    expected_sha = hashlib.sha256(bytes([7]) * (1 << 20) + b"tail").hexdigest()
    assert against_node["sha"] == against_us["sha"] == expected_sha
    assert against_us["events"] == against_node["events"]
    assert against_us["events"] == ["connect", "ready", "prefinish", "finish", "end", "close false"]


async def test_our_client_against_node_echo_server_half_open() -> None:
    async with node_process(NODE_ECHO_SERVER, "half") as node_server:
        port = int(await read_line(node_server))
        client = await net.connect(port, "127.0.0.1")
        events: list[str] = []
        for name in ("end", "finish", "close"):
            client.on(name, lambda *a, name=name: events.append(name))
        payload = os.urandom(3 << 20)
        received: list[bytes] = []
        client.on("data", received.append)
        closed = event(client, "close")
        client.write(payload)
        client.end()
        assert await wait(closed) == (False,)
        assert b"".join(received) == payload
        assert events == ["finish", "end", "close"]
