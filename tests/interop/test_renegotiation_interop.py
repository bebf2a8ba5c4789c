"""TLS 1.2 renegotiation with real peers: Node clients looping ``renegotiate()`` against a
nodetls server whose ``CLIENT_RENEG_LIMIT`` is changed at run time (Node's
test-tls-client-renegotiation-limit), ``openssl s_client`` sending ``R``, a nodetls
client renegotiating with a Node server (and tripping Node's own limit), and a nodetls
server asking a Node client for its certificate after the handshake.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nodetls as tls
from nodetls.tls.constants import defaults
from tests.support.certs import Certs
from tests.support.events import event, wait
from tests.support.node import NODE
from tests.support.openssl import s_client_renegotiating
from tests.support.procs import Peer
from tests.tls.tlsutil import serving

TIMEOUT = 5.0


@pytest.fixture
def restore_defaults() -> Iterator[None]:
    yield
    defaults.reset()


# --- a Node client spamming renegotiations ---------------------------------------------------

NODE_SPAM = r"""
const tls = require('tls');
const client = tls.connect({ port: +process.argv[1], host: '127.0.0.1',
                             rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, spam);
let renegs = 0; const errors = [];
client.on('error', (e) => errors.push(e.code));
client.on('close', (hadError) => console.log(JSON.stringify({ renegs, hadError, errors })));
function spam() {
  client.write('');
  client.renegotiate({}, (err) => { if (err) errors.push('cb ' + err.code); else spam(); });
  renegs++;
}
"""


@pytest.mark.parametrize("limit", [0, 1, 2, 3])
async def test_node_client_renegotiation_limit(certs: Certs, restore_defaults: None,
                                               limit: int) -> None:
    secure = 0
    errors: list[BaseException] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        def on_error(err: BaseException) -> None:
            errors.append(err)
            sock.destroy()

        def count() -> None:
            nonlocal secure
            secure += 1

        sock.on("secure", count)
        sock.on("error", on_error)
        sock.pipe(sock)

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        tls.CLIENT_RENEG_LIMIT = limit  # after the server exists: read at each handshake
        proc = await Peer.start(NODE, "-e", NODE_SPAM, str(port))
        try:
            result = await proc.line()
        finally:
            await proc.stop()
    assert result == {"renegs": limit + 1, "hadError": False, "errors": []}
    assert [getattr(e, "code", None) for e in errors] == ["ERR_TLS_SESSION_ATTACK"]
    assert secure == limit


# --- openssl s_client sending R ----------------------------------------------------------


async def _s_client_renegotiations(certs: Certs, allowed: int, disable: bool) -> BaseException:
    """``allowed`` renegotiations by s_client pass (each ends with the server's
    'secure'), the next one makes the server socket emit an error."""
    queue: asyncio.Queue[tls.TLSSocket] = asyncio.Queue()
    async with (serving(queue.put_nowait, key=certs.key, cert=certs.cert) as (_, port),
                s_client_renegotiating(port) as renegotiate):
        sock = await wait(queue.get(), "secureConnection")
        if disable:
            sock.disable_renegotiation()
        for _ in range(allowed):
            secure = event(sock, "secure")
            await renegotiate()
            await wait(secure, "'secure' after R")
        failed = event(sock, "error")
        await renegotiate()
        (err,) = await wait(failed, "server 'error'")
        sock.destroy()
    return err  # type: ignore[no-any-return]


async def test_s_client_renegotiation_limit(certs: Certs, restore_defaults: None) -> None:
    tls.CLIENT_RENEG_LIMIT = 2
    err = await _s_client_renegotiations(certs, 2, disable=False)
    assert err.code == "ERR_TLS_SESSION_ATTACK"  # type: ignore[attr-defined]
    assert str(err) == "TLS session renegotiation attack detected"


async def test_s_client_default_limit_is_three(certs: Certs) -> None:
    err = await _s_client_renegotiations(certs, 3, disable=False)
    assert err.code == "ERR_TLS_SESSION_ATTACK"  # type: ignore[attr-defined]


async def test_s_client_renegotiation_disabled(certs: Certs) -> None:
    err = await _s_client_renegotiations(certs, 0, disable=True)
    assert err.code == "ERR_TLS_RENEGOTIATION_DISABLED"  # type: ignore[attr-defined]


# --- a nodetls client renegotiating with a Node server --------------------------------------

NODE_SERVER = r"""
const tls = require('tls');
const server = tls.createServer({ key: process.env.KEY, cert: process.env.CERT,
                                  maxVersion: 'TLSv1.2' }, (sock) => {
  let secure = 0; const errors = [];
  sock.on('secure', () => secure++);
  sock.on('error', (e) => { errors.push(e.code); sock.destroy(); });
  sock.on('close', () => console.log(JSON.stringify({ secure, errors })));
  sock.pipe(sock);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""


async def test_nodetls_client_renegotiates_with_node(certs: Certs) -> None:
    """Three renegotiations pass (each: callback(None), 'secure' on both ends, data
    still echoes); the fourth trips Node's default CLIENT_RENEG_LIMIT of 3."""
    proc = await Peer.start(NODE, "-e", NODE_SERVER,
                            env={"KEY": certs.key.decode(), "CERT": certs.cert.decode()})
    try:
        port = int((await proc.line())["port"])
        client = await wait(tls.connect(port, "127.0.0.1", ca=certs.ca,
                                        servername="localhost"))
        secure: list[None] = []
        client.on("secure", lambda: secure.append(None))
        for n in range(3):
            done: asyncio.Future[BaseException | None] = (
                asyncio.get_running_loop().create_future())
            assert client.renegotiate(done.set_result) is True
            assert await wait(done, "renegotiate callback") is None
            data = event(client, "data")
            client.write(b"round %d" % n)
            assert (await wait(data, "echo"))[0] == b"round %d" % n
        assert len(secure) == 3
        closed = event(client, "close")
        client.renegotiate()
        await wait(closed, "close after Node's limit")
        assert await proc.line() == {"secure": 3, "errors": ["ERR_TLS_SESSION_ATTACK"]}
    finally:
        await proc.stop()


# --- a nodetls server asking a Node client for its certificate ------------------------------

NODE_CLIENT_WITH_CERT = r"""
const tls = require('tls');
const c = tls.connect({ port: +process.argv[1], host: '127.0.0.1', servername: 'localhost',
                        ca: process.env.CA, key: process.env.KEY, cert: process.env.CERT,
                        maxVersion: 'TLSv1.2' });
let secure = 0;
c.on('secure', () => secure++);
c.on('data', () => {});
c.on('error', (e) => console.log(JSON.stringify({ error: e.code })));
c.on('close', () => console.log(JSON.stringify({ secure })));
"""

NODE_SERVER_REQUESTING = r"""
const tls = require('tls');
const server = tls.createServer({ key: process.env.SKEY, cert: process.env.SCERT,
                                  ca: process.env.CA }, (sock) => {
  sock.renegotiate({ requestCert: true, rejectUnauthorized: false }, (err) => {
    console.log(JSON.stringify({ authorized: sock.authorized, reused: sock.isSessionReused(),
                                 error: sock.authorizationError }));
    sock.end(); server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  require('child_process').execFile(process.execPath, ['-e', process.env.CLIENT,
                                    String(server.address().port)], () => {});
});
"""


async def test_server_requests_node_client_certificate(certs: Certs, tmp_path: Path) -> None:
    """nodetls: the certificate arrives and ``authorized`` becomes True.  Node's server,
    same scenario: the client resumes its session in the renegotiation, no certificate
    is exchanged, ``authorized`` stays False (why ours refuses resumption there)."""
    env = {"CA": certs.ca.decode(), "KEY": certs.client_key.decode(),
           "CERT": certs.client_cert.decode()}
    answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    def on_secure(sock: tls.TLSSocket) -> None:
        def renegotiated(err: BaseException | None) -> None:
            cert = sock.get_peer_certificate() or {}
            answer.set_result({"err": err, "authorized": sock.authorized,
                               "reused": sock.is_session_reused(),
                               "cn": cert.get("subject", {}).get("CN")})
            sock.end()

        sock.renegotiate(renegotiated, request_cert=True, reject_unauthorized=False)

    async with serving(on_secure, key=certs.key, cert=certs.cert, ca=certs.ca) as (_, port):
        proc = await Peer.start(NODE, "-e", NODE_CLIENT_WITH_CERT, str(port), env=env)
        try:
            ours = await wait(answer, "renegotiation")
            assert await proc.line() == {"secure": 2}
        finally:
            await proc.stop()
    assert ours == {"err": None, "authorized": True, "reused": False, "cn": "client"}

    node_env = {**env, "SKEY": certs.key.decode(), "SCERT": certs.cert.decode(),
                "CLIENT": NODE_CLIENT_WITH_CERT}
    node = await Peer.start(NODE, "-e", NODE_SERVER_REQUESTING, env=node_env)
    try:
        assert await node.line() == {"authorized": False, "reused": True,
                                     "error": "UNABLE_TO_GET_ISSUER_CERT"}
    finally:
        await node.stop()
