"""What asyncio code relies on: cancellation, late awaits, ``async with``, catchable errors.

Real sockets throughout: a silent TCP server that never answers a ClientHello (it
reports the EOF it sees), a port held by another socket, Node as the reference for
the errors' codes and messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import json
import pickle
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import net
from tests.support.certs import Certs
from tests.support.events import event, wait
from tests.support.guard import loop_errors
from tests.support.node import node_peer
from tests.tls.tlsutil import serving

Handler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


class SilentServer:
    """Accepts, reads everything, never writes; ``eof`` resolves to what it read."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.hello: asyncio.Future[None] = loop.create_future()
        self.eof: asyncio.Future[bytes] = loop.create_future()
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(1)
        self.hello.set_result(None)
        data += await reader.read()  # until the client's FIN
        self.eof.set_result(data)
        writer.close()


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[SilentServer]:
    silent = SilentServer()
    server = await asyncio.start_server(silent.handle, "127.0.0.1", 0)
    silent.port = server.sockets[0].getsockname()[1]
    try:
        yield silent
    finally:
        server.close()
        await wait(server.wait_closed(), "silent server close")


async def _cancel_by_task(sock: tls.TLSSocket, hello: asyncio.Future[None]) -> None:
    task = asyncio.ensure_future(sock)
    await wait(hello, "ClientHello")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _cancel_by_wait_for(sock: tls.TLSSocket, hello: asyncio.Future[None]) -> None:
    async def connect() -> None:
        await sock

    waiter = asyncio.ensure_future(asyncio.wait_for(connect(), 30))
    await wait(hello, "ClientHello")
    waiter.cancel()  # wait_for cancels the inner connect, as its timeout does
    with pytest.raises(asyncio.CancelledError):
        await waiter


async def _cancel_by_timeout(sock: tls.TLSSocket, hello: asyncio.Future[None]) -> None:
    await wait(hello, "ClientHello")  # the silent server never answers: the timeout fires
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await sock


@pytest.mark.parametrize("cancel", [_cancel_by_task, _cancel_by_wait_for, _cancel_by_timeout],
                         ids=["task.cancel", "wait_for", "asyncio.timeout"])
async def test_cancelled_connect_destroys_the_socket(
    cancel: Callable[[tls.TLSSocket, asyncio.Future[None]], Any],
    uncaught: list[BaseException],
) -> None:
    async with silent_server() as silent:
        with loop_errors() as logged:
            sock = tls.connect(silent.port, "127.0.0.1")
            closed = event(sock, "close")
            await cancel(sock, silent.hello)
            assert sock.destroyed and sock.handle is None
            received = await wait(silent.eof, "EOF at the server")
            assert received[:1] == b"\x16"  # the ClientHello, then EOF: the fd was closed
            assert await wait(closed) == (False,)
        assert logged == []


async def test_cancelled_listen_closes_the_server(uncaught: list[BaseException]) -> None:
    server = tls.create_server()
    task = asyncio.ensure_future(server.listen(0, "localhost"))  # resolving first
    await asyncio.sleep(0)  # one loop turn: the task is now waiting for 'listening'
    closed = event(server, "close")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait(closed, "'close'")
    assert not server.listening and server.address() is None


def _taken_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    return holder


async def _loop_turns(count: int = 5) -> None:
    for _ in range(count):  # no event to wait for: the error must *not* be listened to
        await asyncio.sleep(0)


async def test_late_await_raises_the_listen_error(uncaught: list[BaseException]) -> None:
    with _taken_port() as holder, loop_errors() as logged:
        port = holder.getsockname()[1]
        server = tls.create_server()
        server.listen(port, "127.0.0.1")
        await _loop_turns()  # the 'error' tick has passed with nobody listening
        for _ in range(2):  # however late, however often
            with pytest.raises(OSError) as info:
                await wait(server, "the listen error")
            err: Any = info.value
            assert (err.errno, err.code, err.syscall) == (errno.EADDRINUSE, "EADDRINUSE", "listen")
            assert str(err) == f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
        with pytest.raises(OSError):
            await wait(server.listen(port, "127.0.0.1"), "listen() again")
        del server, err, info
        gc.collect()
        assert logged == []


async def test_listen_error_nobody_retrieved_is_reported() -> None:
    with _taken_port() as holder, loop_errors() as logged:
        server = tls.create_server()
        server.listen(holder.getsockname()[1], "127.0.0.1")
        await _loop_turns()
        assert logged == []  # not yet: an await may still come
        del server
        gc.collect()
        assert [getattr(c["exception"], "code", None) for c in logged] == ["EADDRINUSE"]


async def test_async_with_connect_and_create_server(certs: Certs) -> None:
    ended: list[str] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.write(b"hello")
        sock.on("end", lambda: ended.append("end"))
        sock.resume()

    async with tls.create_server(on_secure, key=certs.key, cert=certs.cert) as server:
        assert not server.listening
        await server.listen(0, "127.0.0.1")
        port = server.address()["port"]  # type: ignore[index]
        async with tls.connect(port, "127.0.0.1", ca=certs.ca) as sock:
            assert sock.authorized and not sock.destroyed
            assert await wait(event(sock, "data")) == (b"hello",)
            closed = event(sock, "close")
        assert sock.destroyed
        await wait(closed)
        server_closed = event(server, "close")
    assert not server.listening
    assert server_closed.done()  # __aexit__ waited for 'close'
    async with tls.create_server(key=certs.key, cert=certs.cert).listen(0, "127.0.0.1") as srv:
        assert srv.listening
    assert not srv.listening


async def test_async_with_connect_that_fails_raises(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        with pytest.raises(ssl.SSLCertVerificationError):
            async with tls.connect(port, "127.0.0.1"):
                raise AssertionError("not reached")


# --- B4: the error classes -------------------------------------------------------------------

NODE_VERIFY = """
const tls = require('tls');
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', servername: process.env.SN,
                       ca: process.env.CA || undefined});
s.on('error', e => { console.log(JSON.stringify({code: e.code, message: e.message,
                                                  reason: e.reason, host: e.host})); });
s.on('secureConnect', () => { console.log(JSON.stringify({ok: true})); s.end(); });
"""


@pytest.mark.parametrize("case", ["untrusted", "altname"])
async def test_certificate_errors_are_ssl_cert_verification_errors(
    certs: Certs, case: str
) -> None:
    options: dict[str, Any] = {"servername": "localhost"}
    env = {"SN": "localhost", "CA": ""}
    if case == "altname":
        options = {"servername": "example.com", "ca": certs.ca}
        env = {"SN": "example.com", "CA": certs.ca.decode()}
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        with pytest.raises(tls.TLSError) as info:
            await tls.connect(port, "127.0.0.1", **options)
        peer = await node_peer(NODE_VERIFY, PORT=str(port), **env)
        try:
            node = await peer.result()
        finally:
            await peer.stop()
    err: Any = info.value
    assert isinstance(err, ssl.SSLCertVerificationError) and isinstance(err, ssl.SSLError)
    assert isinstance(err, OSError) and err.errno == ssl.SSL_ERROR_SSL
    assert (err.code, str(err), err.strerror) == (node["code"], node["message"], node["message"])
    copied = pickle.loads(pickle.dumps(err))  # e.g. across a ProcessPoolExecutor
    assert (type(copied), copied.code, str(copied)) == (type(err), err.code, str(err))
    if case == "altname":
        assert (err.reason, err.host) == (node["reason"], node["host"])
        assert err.cert["subjectaltname"].startswith("DNS:localhost")
        assert err.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH, as ssl reports it
    else:
        assert err.verify_code == 21  # X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE
        assert err.verify_message == "unable to verify the first certificate"


NODE_WIRE = """
const tls = require('tls');
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1'});
s.on('error', e => console.log(JSON.stringify({code: e.code, library: e.library,
                                               reason: e.reason, message: e.message})));
"""


async def test_wire_error_carries_nodes_fields_and_is_an_ssl_error() -> None:
    def answer(raw: net.Socket) -> None:
        raw.end(b"HTTP/1.1 400 Bad Request\r\n\r\n")  # not TLS
        raw.resume()  # read on to the client's EOF, so the connection closes

    plain = net.create_server(answer)
    await plain.listen(0, "127.0.0.1")
    port = plain.address()["port"]  # type: ignore[index]
    try:
        with pytest.raises(ssl.SSLError) as info:
            await tls.connect(port, "127.0.0.1")
        peer = await node_peer(NODE_WIRE, PORT=str(port))
        try:
            node = await peer.result()
        finally:
            await peer.stop()
    finally:
        plain.close()
        await wait(plain.wait_closed(), "the plain server's close")
    err: Any = info.value
    assert isinstance(err, tls.TLSError) and not isinstance(err, ssl.SSLCertVerificationError)
    assert node["code"] == "ERR_SSL_WRONG_VERSION_NUMBER"
    assert (err.code, err.library, err.reason) == (node["code"], node["library"], node["reason"])
    assert err.library == "SSL routines" and err.reason == "wrong version number"
    # Node prints the queue with its own addresses and source paths: compare the record.
    assert "error:0A00010B:SSL routines::wrong version number" in str(err)
    assert "0A00010B:SSL routines:" in node["message"]


async def test_network_and_argument_errors_keep_their_classes() -> None:
    holder = _taken_port()
    port = holder.getsockname()[1]
    holder.close()  # nothing listens there now
    with pytest.raises(ConnectionRefusedError) as info:
        await tls.connect(port, "127.0.0.1")
    assert not isinstance(info.value, ssl.SSLError)
    assert info.value.errno == errno.ECONNREFUSED
    with pytest.raises(TypeError):
        tls.connect(port, "127.0.0.1", min_version="TLSv9")
    with pytest.raises(ValueError):
        tls.connect(port, "127.0.0.1", min_dh_size=0)


NODE_CONTEXT = """
const tls = require('tls');
const out = {};
for (const [name, opts] of Object.entries(JSON.parse(process.env.CASES))) {
  try { tls.createSecureContext(opts); out[name] = null; }
  catch (e) { out[name] = {code: e.code === undefined ? null : e.code, message: e.message,
                           type: e.name}; }
}
console.log(JSON.stringify(out));
"""

CONTEXT_CASES: dict[str, dict[str, Any]] = {
    "sigalgs": {"sigalgs": "BOGUS"},
    "engine": {"clientCertEngine": "nodetls-no-such-engine"},
    "pfx": {"pfx": "garbage"},
    "session_id_context": {"sessionIdContext": "x" * 40},
}
PYTHON_CASES: dict[str, dict[str, Any]] = {
    "sigalgs": {"sigalgs": "BOGUS"},
    "engine": {"client_cert_engine": "nodetls-no-such-engine"},
    "pfx": {"pfx": b"garbage"},
    "session_id_context": {"session_id_context": "x" * 40},
}


async def test_context_errors_have_a_code_only_where_node_has_one() -> None:
    peer = await node_peer(NODE_CONTEXT, CASES=json.dumps(CONTEXT_CASES))
    try:
        node = await peer.result()
    finally:
        await peer.stop()
    for name, options in PYTHON_CASES.items():
        with pytest.raises(Exception) as info:
            tls.create_secure_context(**options)
        err: Any = info.value
        assert err.code == node[name]["code"] is None, name  # never an invented code
        if node[name]["type"] == "TypeError":
            assert isinstance(err, TypeError), name
        else:
            assert isinstance(err, tls.TLSError) and isinstance(err, ssl.SSLError), name
        if name != "session_id_context":  # Node's message there has its build's paths
            assert str(err) == node[name]["message"], name
