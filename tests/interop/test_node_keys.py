"""Key log lines, exported keying material and Finished messages against real Node
peers, both directions (issue #4, items 6 and 7).

For one connection, the NSS key log lines Node logs on one end and nodetls on the other
must be the same set (both ends log every secret); ``exportKeyingMaterial`` must agree
on both ends, with and without a context; each side's ``getFinished()`` is the other's
``getPeerFinished()`` (tls-unique on TLS 1.2).  TLS 1.3 and 1.2.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import trustme

import nodetls as tls
from tests.support.node_batch import node_clients, node_servers

pytestmark = pytest.mark.timeout(10)

VERSIONS = ("TLSv1.3", "TLSv1.2")
LABELS_13 = {"SERVER_HANDSHAKE_TRAFFIC_SECRET", "EXPORTER_SECRET", "SERVER_TRAFFIC_SECRET_0",
             "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"}


@pytest.fixture(scope="module")
def env(ca: trustme.CA, server_cert: trustme.LeafCert) -> dict[str, str]:
    return {"CA": ca.cert_pem.bytes().decode(),
            "KEY": server_cert.private_key_pem.bytes().decode(),
            "CERT": server_cert.cert_chain_pems[0].bytes().decode()}


def keys_of(sock: tls.TLSSocket) -> dict[str, Any]:
    """What Node's side reports too (see ``KEYS`` below)."""
    ekm = sock.export_keying_material(48, "EXPORTER-nodetls", b"\x00context")
    plain = sock.export_keying_material(16, "EXPORTER-plain")
    finished, peer = sock.get_finished(), sock.get_peer_finished()
    assert finished is not None and peer is not None
    return {"ekm": ekm.hex(), "plain": plain.hex(), "finished": finished.hex(),
            "peer": peer.hex(), "protocol": sock.get_protocol()}


KEYS = r"""
const keys = (s, r) => Object.assign(r, {
  ekm: hex(s.exportKeyingMaterial(48, 'EXPORTER-nodetls', Buffer.from('\x00context', 'latin1'))),
  plain: hex(s.exportKeyingMaterial(16, 'EXPORTER-plain')),
  finished: hex(s.getFinished()), peer: hex(s.getPeerFinished()), protocol: s.getProtocol()});
const keylog = (s, r) => s.on('keylog', (line) => (r.lines ??= []).push(line.toString('latin1')));
"""

NODE_KEY_CLIENTS = KEYS + r"""
(async () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'])
    await client(version, {port: +E.PORT, ca: E.CA, servername: 'localhost', maxVersion: version},
                 {setup: keylog, secure: keys});
  done();
})();
"""


async def test_node_client_and_nodetls_server_agree(env: dict[str, str]) -> None:
    lines: dict[tls.TLSSocket, list[bytes]] = {}
    ours: list[dict[str, Any]] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        ours.append(keys_of(sock))
        sock.end()

    server = tls.create_server(on_secure, key=env["KEY"], cert=env["CERT"])
    server.on("keylog", lambda line, sock: lines.setdefault(sock, []).append(line))
    await server.listen(0, "127.0.0.1")
    try:
        port = server.address()["port"]  # type: ignore[index]
        node = await node_clients(NODE_KEY_CLIENTS, PORT=str(port), **env)
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 5)

    assert len(lines) == 2 and all(isinstance(s, tls.TLSSocket) for s in lines)
    for logged, version, mine in zip(lines.values(), VERSIONS, ours, strict=True):
        theirs = node[version]
        assert theirs["protocol"] == mine["protocol"] == version
        assert all(line.endswith(b"\n") for line in logged)
        assert {line.decode("latin-1") for line in logged} == set(theirs["lines"])
        labels = {line.split(b" ")[0].decode() for line in logged}
        assert labels == (LABELS_13 if version == "TLSv1.3" else {"CLIENT_RANDOM"})
        assert mine["ekm"] == theirs["ekm"] and mine["plain"] == theirs["plain"]
        assert mine["finished"] == theirs["peer"] and mine["peer"] == theirs["finished"]
        assert len(bytes.fromhex(mine["finished"])) == (48 if version == "TLSv1.3" else 12)


NODE_KEY_SERVERS = KEYS + r"""
serveAll(['TLSv1.3', 'TLSv1.2'].map((version) =>
  server(version, {key: E.KEY, cert: E.CERT, maxVersion: version},
         {setup: (srv, r) => srv.on('keylog', (line) =>
            (r.lines ??= []).push(line.toString('latin1'))), secure: keys})));
"""


async def test_nodetls_client_and_node_server_agree(env: dict[str, str]) -> None:
    ours: dict[str, tuple[list[bytes], dict[str, Any]]] = {}
    async with node_servers(NODE_KEY_SERVERS, **env) as node:
        for version in VERSIONS:
            logged: list[bytes] = []
            sock = tls.connect(node.ports[version], "127.0.0.1", ca=env["CA"],
                               servername="localhost")
            sock.on("keylog", logged.append)
            await sock
            ours[version] = (logged, keys_of(sock))
            sock.end()
            await asyncio.wait_for(_closed(sock), 5)
    for version in VERSIONS:
        logged, mine = ours[version]
        theirs = node.results[version]
        assert mine["protocol"] == theirs["protocol"] == version
        assert {line.decode("latin-1") for line in logged} == set(theirs["lines"])
        assert len(logged) == (5 if version == "TLSv1.3" else 1)
        assert mine["ekm"] == theirs["ekm"] and mine["plain"] == theirs["plain"]
        assert mine["finished"] == theirs["peer"] and mine["peer"] == theirs["finished"]


async def _closed(sock: tls.TLSSocket) -> None:
    if sock.closed:
        return
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    def closed(*_: object) -> None:
        if not done.done():
            done.set_result(None)

    sock.once("close", closed)
    await done
