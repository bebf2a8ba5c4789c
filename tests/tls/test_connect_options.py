"""Every ``connect`` option is honoured as Node v20 honours it (none accepted and ignored):
``lookup`` (both answer forms), ``hints``, ``family``, ``local_address``/``local_port``,
``auto_select_family*``, ``signal`` (``nodetls.AbortController``), ``onread``, ``fd``.

Node runs the same scenarios where it has them; its option names in messages are
camelCase, ours snake_case (API.md), and that is the only difference allowed.
"""

from __future__ import annotations

import asyncio
import errno
import json
import re
import socket
from typing import Any

import pytest

import nodetls as tls
from nodetls.node import net
from tests.support.certs import Certs, free_port
from tests.support.events import collect, event, wait
from tests.support.node import node_peer
from tests.tls.tlsutil import serving

NODE_LOOKUP = """
const net = require('net');
const seen = [];
const attempt = (opts) => new Promise(res => {
  const s = net.connect({port: +process.env.PORT, host: 'myhost.test', ...opts,
    lookup: (h, o, cb) => { seen.push([h, o]);
      o.all ? cb(null, [{address: '127.0.0.1', family: 4}]) : cb(null, '127.0.0.1', 4); }});
  s.on('connect', () => { s.destroy(); res(); });
  s.on('error', res);
});
(async () => {
  await attempt({});
  await attempt({autoSelectFamily: false});
  await attempt({family: 4, hints: 1024});
  console.log(JSON.stringify({seen}));
})();
"""


async def _node(script: str, **env: str) -> Any:
    peer = await node_peer(script, **env)
    try:
        return await peer.result()
    finally:
        await peer.stop()


async def test_lookup_is_called_as_node_calls_it(certs: Certs) -> None:
    """Both of Node's answer forms: ``cb(err, [{address, family}])`` with ``all`` (the
    auto_select_family default) and ``cb(err, address, family)`` without."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def lookup(host: str, options: dict[str, Any], cb: Any) -> None:
        seen.append((host, dict(options)))
        if options.get("all"):
            cb(None, [{"address": "127.0.0.1", "family": 4}])
        else:
            asyncio.get_running_loop().call_soon(cb, None, "127.0.0.1", 4)  # later is fine

    async with serving(lambda s: s.end(b"ok"), key=certs.key, cert=certs.cert) as (_, port):
        for extra in ({}, {"auto_select_family": False}, {"family": 4, "hints": 1024}):
            sock = tls.connect(port, "myhost.test", ca=certs.ca, servername="localhost",
                               lookup=lookup, **extra)
            lookups = event(sock, "lookup")
            await wait(sock)
            assert await wait(lookups) == (None, "127.0.0.1", 4, "myhost.test")
            assert sock.remote_address == "127.0.0.1" and await collect(sock) == b"ok"
        node = await _node(NODE_LOOKUP, PORT=str(port))
    assert [[host, options] for host, options in seen] == node["seen"]


async def test_lookup_errors() -> None:
    failure = OSError("nope")

    def failing(host: str, options: Any, cb: Any) -> None:
        cb(failure)

    with pytest.raises(OSError) as info:
        await tls.connect(1, "myhost.test", lookup=failing)
    assert info.value is failure  # passed on unchanged, as Node does
    with pytest.raises(TypeError) as bad:
        await tls.connect(1, "myhost.test", auto_select_family=False,
                          lookup=lambda h, o, cb: cb(None, "not-an-ip", 4))
    assert (getattr(bad.value, "code", None), str(bad.value)) == (
        "ERR_INVALID_IP_ADDRESS", "Invalid IP address: not-an-ip")


NODE_VALIDATION = """
const net = require('net');
const out = {};
for (const [name, opts] of Object.entries(JSON.parse(process.env.CASES))) {
  try { net.connect({port: 1, host: 'x', ...opts}).destroy(); out[name] = null; }
  catch (e) { out[name] = {code: e.code, message: e.message}; }
}
console.log(JSON.stringify(out));
"""

VALIDATION = {
    "lookup": ({"lookup": 5}, {"lookup": 5}),
    "hints": ({"hints": "a"}, {"hints": "a"}),
    "family": ({"family": 5}, {"family": 5}),
    "localAddress": ({"localAddress": "bad"}, {"local_address": "bad"}),
    "localPort": ({"localPort": "bad"}, {"local_port": "bad"}),
    "autoSelectFamily": ({"autoSelectFamily": "x"}, {"auto_select_family": "x"}),
    "attemptTimeoutType": ({"autoSelectFamilyAttemptTimeout": "x"},
                           {"auto_select_family_attempt_timeout": "x"}),
    "attemptTimeoutRange": ({"autoSelectFamilyAttemptTimeout": 0},
                            {"auto_select_family_attempt_timeout": 0}),
    "signal": ({"signal": 5}, {"signal": 5}),
}


def _snake(text: str) -> str:
    """Node's ``options.localPort`` is our ``options.local_port``."""
    return re.sub(r"options\.\w+", lambda m: re.sub(
        r"(?<=[a-z])([A-Z])", lambda c: "_" + c.group(1).lower(), m.group(0)), text)


async def test_bad_options_are_refused_as_node_refuses_them() -> None:
    node = await _node(NODE_VALIDATION, CASES=json.dumps({k: v[0] for k, v in
                                                         VALIDATION.items()}))
    for name, (_, options) in VALIDATION.items():
        with pytest.raises((TypeError, ValueError)) as info:
            tls.connect(1, "x", **options)
        err: Any = info.value
        assert node[name] is not None, name
        assert err.code == node[name]["code"], name
        assert str(err) == _snake(node[name]["message"]), name


async def test_local_address_and_port(certs: Certs) -> None:
    local_port = free_port()  # released for the client to bind
    peers: list[tuple[Any, Any]] = []

    def on_secure(sock: tls.TLSSocket) -> None:
        peers.append((sock.remote_address, sock.remote_port))
        sock.end()

    async with serving(on_secure, key=certs.key, cert=certs.cert) as (_, port):
        sock = await tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                                 local_address="127.0.0.1", local_port=local_port)
        assert (sock.local_address, sock.local_port) == ("127.0.0.1", local_port)
        await collect(sock)
    assert peers == [("127.0.0.1", local_port)]


def _addresses(*ips: str) -> Any:
    def lookup(host: str, options: dict[str, Any], cb: Any) -> None:
        answer = [{"address": ip, "family": 4} for ip in ips]
        if options.get("all"):
            cb(None, answer)
        else:
            cb(None, ips[0], 4)

    return lookup


async def test_auto_select_family_tries_the_next_address(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"ok"), key=certs.key, cert=certs.cert) as (_, port):
        # 127.0.0.2 refuses (the server is on 127.0.0.1 only); 10.255.255.1 is dropped
        # or unreachable: either way the attempt ends, in at most 10 ms.
        lookup = _addresses("127.0.0.2", "10.255.255.1", "127.0.0.1")
        sock = await tls.connect(port, "myhost.test", ca=certs.ca, servername="localhost",
                                 lookup=lookup, auto_select_family_attempt_timeout=10)
        assert sock.remote_address == "127.0.0.1" and await collect(sock) == b"ok"
        assert sock.auto_select_family_attempted_addresses == [
            f"127.0.0.2:{port}", f"10.255.255.1:{port}", f"127.0.0.1:{port}"]
        with pytest.raises(ConnectionRefusedError) as info:  # only the first address
            await tls.connect(port, "myhost.test", lookup=lookup, auto_select_family=False)
        assert str(info.value) == f"connect ECONNREFUSED 127.0.0.2:{port}"


NODE_ATTEMPTS = """
const net = require('net');
const seen = [];
const s = net.connect({port: +process.env.PORT, host: 'myhost.test', lookup: (h, o, cb) =>
  setTimeout(() => cb(null, [{address: '127.0.0.2', family: 4},
                             {address: '127.0.0.3', family: 4}]), 1)});
for (const name of ['connectionAttempt', 'connectionAttemptFailed'])
  s.on(name, (...args) => seen.push([name, ...args.map(a => a instanceof Error ? a.code : a)]));
s.on('error', e => console.log(JSON.stringify({seen, name: e.name, code: e.code,
  errors: e.errors.map(x => x.message), attempted: s.autoSelectFamilyAttemptedAddresses})));
"""


async def test_every_attempt_failing_is_nodes_aggregate_error(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        sock = tls.connect(port, "myhost.test", lookup=_addresses("127.0.0.2", "127.0.0.3"))
        seen: list[list[Any]] = []
        for name in ("connectionAttempt", "connectionAttemptFailed"):
            sock.on(name, lambda *args, name=name: seen.append(
                [name, *(getattr(a, "code", a) for a in args)]))
        with pytest.raises(OSError) as info:
            await sock
        node = await _node(NODE_ATTEMPTS, PORT=str(port))
    err: Any = info.value
    assert node["name"] == "AggregateError" and seen == node["seen"]
    assert err.code == node["code"] == "ECONNREFUSED" and err.errno == errno.ECONNREFUSED
    assert [str(e) for e in err.errors] == node["errors"]
    assert sock.auto_select_family_attempted_addresses == node["attempted"]


NODE_ABORT = """
const tls = require('tls');
const ac = new AbortController(); ac.abort('why');
const s = tls.connect({port: +process.env.PORT, host: '127.0.0.1', signal: ac.signal});
s.on('error', e => console.log(JSON.stringify({name: e.name, code: e.code,
                                               message: e.message, cause: e.cause})));
"""


async def test_signal_aborts_like_node(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        controller = tls.AbortController()
        controller.abort("why")
        assert controller.signal.aborted and controller.signal.reason == "why"
        with pytest.raises(tls.AbortError) as info:
            await tls.connect(port, "127.0.0.1", signal=controller.signal)
        node = await _node(NODE_ABORT, PORT=str(port))
    err: Any = info.value
    assert (err.code, str(err), err.cause) == (node["code"], node["message"], node["cause"])


async def test_abort_during_the_handshake_closes_the_connection() -> None:
    hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    eof: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read(1)
        hello.set_result(None)
        eof.set_result(data + await reader.read())
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        controller = tls.AbortController()
        aborted = event(controller.signal, "abort")
        sock = tls.connect(server.sockets[0].getsockname()[1], "127.0.0.1",
                           signal=controller.signal)
        errors = event(sock, "error")
        await wait(hello)
        reason = RuntimeError("changed my mind")
        controller.abort(reason)
        await wait(aborted)
        (err,) = await wait(errors)
        assert err.code == "ABORT_ERR" and err.cause is reason and err.__cause__ is reason
        assert (await wait(eof))[:1] == b"\x16"  # the server saw the ClientHello, then EOF
        assert sock.destroyed
    finally:
        server.close()


async def test_onread_fills_the_users_buffer_as_node_does(certs: Certs) -> None:
    buffer = bytearray(4)
    pieces: list[bytes] = []
    data: list[bytes] = []
    async with serving(lambda s: s.end(b"hello world"), key=certs.key,
                       cert=certs.cert) as (_, port):
        sock = tls.connect(port, "127.0.0.1", ca=certs.ca, servername="localhost",
                           onread={"buffer": buffer,
                                   "callback": lambda n, buf: pieces.append(bytes(buf[:n]))})
        sock.on("data", data.append)
        await wait(event(sock, "close"))
    assert b"".join(pieces) == b"hello world" and all(len(p) <= 4 for p in pieces)
    assert data == []  # Node: no 'data' with onread
    with pytest.raises(TypeError) as info:
        tls.connect(port, "127.0.0.1", onread=5)
    assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_VALUE"


async def test_fd_adopts_a_connected_socket(certs: Certs) -> None:
    async with serving(lambda s: s.end(b"over an fd"), key=certs.key,
                       cert=certs.cert) as (_, port):
        raw = socket.create_connection(("127.0.0.1", port))
        fd = raw.detach()  # the TLS socket owns it now
        sock = await tls.connect(fd=fd, ca=certs.ca, servername="localhost")
        closed = event(sock, "close")
        assert sock.authorized and sock.remote_port == port
        assert await collect(sock) == b"over an fd"
        await wait(closed)
    with pytest.raises(TypeError) as info:
        tls.connect(fd="3")
    assert getattr(info.value, "code", None) == "ERR_INVALID_ARG_TYPE"


async def test_tls_socket_constructor_takes_signal_and_onread(certs: Certs) -> None:
    async with serving(key=certs.key, cert=certs.cert) as (_, port):
        raw = await net.connect(port, "127.0.0.1")
        raw_closed = event(raw, "close")
        sock = tls.TLSSocket(raw, signal=tls.AbortSignal.abort("stop"),
                             onread={"buffer": bytearray(8), "callback": lambda n, b: None})
        errors = event(sock, "error")
        (err,) = await wait(errors)
        assert (err.code, err.cause) == ("ABORT_ERR", "stop") and sock.destroyed
        await wait(raw_closed)
        with pytest.raises(TypeError):
            tls.TLSSocket(None, onread={"buffer": b"read-only", "callback": print})
