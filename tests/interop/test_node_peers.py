"""nodetls against real Node.js peers (``node`` is installed and is the oracle).

Each Node peer is ``node -e <script>``, bounded in time, killed by its own PID, and
reports a JSON object on stdout.  16 MiB go each way with SHA-256 compared on both
sides; backpressure is exercised against a Node reader that pauses.
"""

from __future__ import annotations

import asyncio
import hashlib
import os

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import collect, event, wait
from tests.support.node import node_peer
from tests.tls.tlsutil import serving

SIZE = 16 * 1024 * 1024

NODE_CLIENT_BULK = r"""
const tls = require('tls'), crypto = require('crypto');
const payload = crypto.randomBytes(+process.env.SIZE);
const sent = crypto.createHash('sha256').update(payload).digest('hex');
const got = crypto.createHash('sha256'); let n = 0;
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', ca: process.env.CA,
                       servername: 'localhost'}, () => { s.end(payload); });
s.on('data', d => { got.update(d); n += d.length; });
s.on('end', () => console.log(JSON.stringify({sent, received: got.digest('hex'), n,
                                              protocol: s.getProtocol(),
                                              authorized: s.authorized})));
s.on('error', e => console.log(JSON.stringify({error: e.code, message: e.message})));
"""

NODE_SERVER_BULK = r"""
const tls = require('tls'), crypto = require('crypto');
const payload = crypto.randomBytes(+process.env.SIZE);
const sent = crypto.createHash('sha256').update(payload).digest('hex');
const srv = tls.createServer({key: process.env.KEY, cert: process.env.CERT}, s => {
  const got = crypto.createHash('sha256'); let n = 0;
  s.on('data', d => { got.update(d); n += d.length; });
  s.on('end', () => { s.end(payload); srv.close();
    console.log(JSON.stringify({sent, received: got.digest('hex'), n})); });
});
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
"""


async def _read_first_json(peer: object) -> dict[str, object]:
    import json

    proc = peer.proc  # type: ignore[attr-defined]
    line = await asyncio.wait_for(proc.stdout.readline(), 10)
    return json.loads(line)  # type: ignore[no-any-return]


async def test_node_client_bulk_both_ways(certs: Certs) -> None:
    payload = os.urandom(SIZE)
    received: list[bytes] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("data", received.append)
        sock.on("end", lambda: sock.end(payload))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_half_open=True) as (_, port):
        peer = await node_peer(NODE_CLIENT_BULK, PORT=str(port), CA=certs.ca.decode(),
                               SIZE=str(SIZE))
        result = await peer.result(timeout=20)
    data = b"".join(received)
    assert result["n"] == SIZE and len(data) == SIZE
    assert result["received"] == hashlib.sha256(payload).hexdigest()
    assert result["sent"] == hashlib.sha256(data).hexdigest()
    assert result["protocol"] == "TLSv1.3" and result["authorized"] is True


async def test_nodetls_client_against_node_server(certs: Certs) -> None:
    peer = await node_peer(NODE_SERVER_BULK, KEY=certs.key.decode(), CERT=certs.cert.decode(),
                           SIZE=str(SIZE))
    try:
        port = int((await _read_first_json(peer))["port"])  # type: ignore[call-overload]
        payload = os.urandom(SIZE)
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                 allow_half_open=True)
        assert sock.authorized and sock.get_protocol() == "TLSv1.3"
        sock.end(payload)
        data = await wait(collect(sock), "node's reply", timeout=20)
        result = await peer.result(timeout=20)
    finally:
        await peer.stop()
    assert result["n"] == SIZE and len(data) == SIZE
    assert result["received"] == hashlib.sha256(payload).hexdigest()
    assert result["sent"] == hashlib.sha256(data).hexdigest()


NODE_PAUSED_READER = r"""
const tls = require('tls');
let n = 0;
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', ca: process.env.CA,
                       servername: 'localhost'}, () => {
  s.pause();
  setTimeout(() => { s.on('data', d => { n += d.length; }); s.resume(); }, 300);
});
s.on('end', () => console.log(JSON.stringify({n})));
s.on('error', e => console.log(JSON.stringify({error: e.code})));
"""


async def test_backpressure_against_paused_node_reader(certs: Certs) -> None:
    total = 8 * 1024 * 1024
    chunk = os.urandom(64 * 1024)
    drained = asyncio.get_running_loop().create_future()
    stats = {"false": 0}

    def on_secure(sock: tls.TLSSocket) -> None:
        def pump() -> None:
            while sock.bytes_written < total:
                if not sock.write(chunk):
                    stats["false"] += 1
                    sock.once("drain", pump)
                    return
            if not drained.done():
                drained.set_result(None)
            sock.end()

        pump()

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        peer = await node_peer(NODE_PAUSED_READER, PORT=str(port), CA=certs.ca.decode())
        await wait(drained, "all written", timeout=20)
        result = await peer.result(timeout=20)
    assert stats["false"] >= 1  # write() reported backpressure while node was paused
    assert result["n"] == total


NODE_HALF_OPEN = r"""
const tls = require('tls');
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', ca: process.env.CA,
                       servername: 'localhost', allowHalfOpen: true}, () => s.end('question'));
let got = '';
s.on('data', d => { got += d; });
s.on('end', () => console.log(JSON.stringify({got})));
"""


async def test_half_open_with_node_client(certs: Certs) -> None:
    def on_secure(sock: tls.TLSSocket) -> None:
        chunks: list[bytes] = []
        sock.on("data", chunks.append)
        sock.on("end", lambda: sock.end(b"answer to " + b"".join(chunks)))

    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       allow_half_open=True) as (_, port):
        peer = await node_peer(NODE_HALF_OPEN, PORT=str(port), CA=certs.ca.decode())
        result = await peer.result()
    assert result == {"got": "answer to question"}


NODE_CLIENT_NO_CERT = r"""
const tls = require('tls');
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', ca: process.env.CA,
                       servername: 'localhost'});
s.on('error', e => console.log(JSON.stringify({code: e.code})));
s.on('close', () => setTimeout(() => console.log(JSON.stringify({closed: true})), 50));
"""


async def test_required_client_cert_errors_match_node(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert, ca=certs.ca,
                       request_cert=True) as (server, port):
        errors = event(server, "tlsClientError")
        peer = await node_peer(NODE_CLIENT_NO_CERT, PORT=str(port), CA=certs.ca.decode())
        err, _ = await wait(errors)
        out, _ = await peer.output()
    assert err.code == "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"
    assert b'"code":"ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"' in out


NODE_SELF_SIGNED_SERVER = r"""
const tls = require('tls');
const srv = tls.createServer({key: process.env.KEY, cert: process.env.CERT}, s => s.end());
srv.on('tlsClientError', e => { console.log(JSON.stringify({server: e.code, message: e.message}));
                                srv.close(); });
srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: srv.address().port})));
"""


async def test_nodetls_client_verification_error_seen_by_node(certs: Certs) -> None:
    import trustme

    other = trustme.CA()
    peer = await node_peer(NODE_SELF_SIGNED_SERVER, KEY=other.private_key_pem.bytes().decode(),
                           CERT=other.cert_pem.bytes().decode())
    try:
        port = int((await _read_first_json(peer))["port"])  # type: ignore[call-overload]
        sock = tls.connect(port, "127.0.0.1")
        errors = event(sock, "error")
        (err,) = await wait(errors)
        result = await peer.result()
    finally:
        await peer.stop()
    assert err.code == "DEPTH_ZERO_SELF_SIGNED_CERT" and str(err) == "self-signed certificate"
    assert result == {"server": "ECONNRESET", "message": "socket hang up"}
