"""``'keylog'`` and ``enable_trace`` (issue #4, item 6; Node peers for the key log:
``interop/test_node_keys.py``).

Key log lines: NSS format with a newline, five secrets in TLS 1.3 and one
``CLIENT_RANDOM`` in TLS 1.2, the same set on both ends, on client sockets, server
sockets (bare ``TLSSocket``) and ``tls.Server`` (``(line, socket)``).  Tracing: the
option's validation, and OpenSSL's ``SSL_trace`` text on stderr of a subprocess running
nodetls, with the same handshake messages Node's ``enableTrace`` prints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import nodetls as tls
from nodetls.node import duplex_pair
from tests.support.certs import Certs
from tests.support.events import collect, wait
from tests.support.node import NODE
from tests.tls.tlsutil import serving

LINE = re.compile(rb"^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$")


def ending(record: Callable[[tls.TLSSocket], object]) -> Callable[[tls.TLSSocket], None]:
    """A 'secureConnection' listener: ``record(socket)``, then end the socket."""

    def listener(sock: tls.TLSSocket) -> None:
        record(sock)
        sock.end()

    return listener


@pytest.mark.parametrize(("version", "labels"), [
    ("TLSv1.3", {b"SERVER_HANDSHAKE_TRAFFIC_SECRET", b"EXPORTER_SECRET",
                 b"SERVER_TRAFFIC_SECRET_0", b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                 b"CLIENT_TRAFFIC_SECRET_0"}),
    ("TLSv1.2", {b"CLIENT_RANDOM"}),
])
async def test_keylog_lines_on_both_ends(certs: Certs, version: str,
                                         labels: set[bytes]) -> None:
    server_lines: list[tuple[bytes, tls.TLSSocket]] = []
    client_lines: list[bytes] = []
    secure: list[tls.TLSSocket] = []
    async with serving(ending(secure.append), key=certs.key, cert=certs.cert,
                       max_version=version) as (server, port):
        server.on("keylog", lambda line, sock: server_lines.append((line, sock)))
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca)
        sock.on("keylog", client_lines.append)
        await sock
        await collect(sock)
    assert len(client_lines) == len(labels) and all(LINE.match(x) for x in client_lines)
    assert {line.split(b" ")[0] for line in client_lines} == labels
    assert {line for line, _ in server_lines} == set(client_lines)
    assert {sock for _, sock in server_lines} == {secure[0]}


async def test_keylog_on_bare_server_socket(certs: Certs) -> None:
    x, y = duplex_pair()
    server = tls.TLSSocket(y, is_server=True, key=certs.key, cert=certs.cert)
    server_lines: list[bytes] = []
    server.on("keylog", server_lines.append)  # turns the callback on (Node's newListener)
    client = tls.connect(socket=x, ca=certs.ca, servername="localhost")
    client_lines: list[bytes] = []
    client.on("keylog", client_lines.append)
    await wait(client, "'secureConnect'")
    await wait(server)
    client.end()
    await collect(server)
    assert len(server_lines) == 5 and set(server_lines) == set(client_lines)
    server.destroy()


async def test_enable_trace_must_be_a_boolean(certs: Certs) -> None:
    message = ('The "options.enable_trace" property must be of type boolean. '
               "Received type number (1)")
    for make in (lambda: tls.connect(1, enable_trace=1),
                 lambda: tls.TLSSocket(None, enable_trace=1),
                 lambda: tls.create_server(key=certs.key, cert=certs.cert, enable_trace=1)):
        with pytest.raises(TypeError) as info:
            make()
        assert info.value.code == "ERR_INVALID_ARG_TYPE"  # type: ignore[attr-defined]
        assert str(info.value) == message
    tls.TLSSocket(None, enable_trace=None).destroy()  # null/undefined: no trace


TRACED = r"""
import asyncio, os, sys
import nodetls as tls

async def main(mode):
    env = os.environ
    server = tls.create_server(lambda s: s.end(), key=env["KEY"], cert=env["CERT"],
                               enable_trace=(mode == "server"))
    await server.listen(0, "127.0.0.1")
    sock = tls.connect(server.address()["port"], "127.0.0.1", ca=env["CA"],
                       enable_trace=(mode == "client"))
    if mode == "method":
        sock.enable_trace()  # before the ClientHello: the socket is still connecting
    await sock
    sock.destroy()
    server.close()
    await server.wait_closed()

asyncio.run(main(sys.argv[1]))
"""

NODE_TRACED = r"""
const tls = require('tls'), E = process.env;
const srv = tls.createServer({key: E.KEY, cert: E.CERT}, (s) => s.end());
srv.listen(0, '127.0.0.1', () => {
  const c = tls.connect({port: srv.address().port, host: '127.0.0.1', ca: E.CA,
                         enableTrace: true}, () => { c.destroy(); srv.close(); });
});
"""

MESSAGE = re.compile(r"^\s+([A-Za-z]+), Length=\d+$", re.MULTILINE)


def _run(argv: list[str], certs: Certs) -> str:
    src = str(Path(__file__).resolve().parents[2] / "src")
    pythonpath = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "KEY": certs.key.decode(), "CERT": certs.cert.decode(),
           "CA": certs.ca.decode(), "PYTHONPATH": pythonpath}
    proc = subprocess.run(argv, capture_output=True, timeout=20, env=env, check=True)
    return proc.stderr.decode()


@pytest.mark.parametrize("mode", ["client", "server", "method"])
def test_trace_goes_to_stderr_like_node(certs: Certs, mode: str) -> None:
    ours = _run([sys.executable, "-c", TRACED, mode], certs)
    assert "Sent Record" in ours and "Received Record" in ours and "Header:" in ours
    assert "  Version = TLS 1.0 (0x301)" in ours  # the ClientHello record
    messages = MESSAGE.findall(ours)
    assert messages[:3] == ["ClientHello", "ServerHello", "EncryptedExtensions"]
    if mode == "client":  # the same messages, in the same order, as Node's trace
        node = _run([NODE, "-e", NODE_TRACED], certs)
        assert MESSAGE.findall(node) == messages
        assert abs(len(node.splitlines()) - len(ours.splitlines())) <= 2

