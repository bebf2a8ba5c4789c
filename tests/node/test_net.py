"""net.Socket / net.Server over real sockets, with event orders recorded from Node v20.

Cross-socket interleavings depend on the event loop's phases (libuv vs asyncio), so the
recorded Node sequences are compared *per socket*.
"""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path
from typing import Any

import pytest

from nodetls import net as public_net
from nodetls.node import DuplexHandle, Socket, duplex_pair, net
from nodetls.node.errors import (
    ERR_SERVER_NOT_RUNNING,
    ERR_SOCKET_BAD_PORT,
    ERR_STREAM_DESTROYED,
    ERR_STREAM_WRITE_AFTER_END,
    NodeSystemError,
)
from tests.support.clock import Clock, run_clocked
from tests.support.events import event, until, wait

EVENTS = ("connect", "ready", "data", "end", "prefinish", "finish", "close", "error", "timeout")


def trace(sock: Socket, log: list[str], events: tuple[str, ...] = EVENTS) -> None:
    def recorder(name: str) -> Any:
        def record(*args: Any) -> None:
            shown = []
            for arg in args:
                if isinstance(arg, BaseException):
                    shown.append(f"{getattr(arg, 'code', '')} {arg}")
                elif isinstance(arg, bytes):
                    shown.append(arg.decode())
                else:
                    shown.append(str(arg).lower())
            log.append(" ".join([name, *shown]))

        return record

    for name in events:
        sock.on(name, recorder(name))


async def listening_server(**options: Any) -> tuple[net.Server, int]:
    server = await net.create_server(**options).listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    return server, int(address["port"])


async def test_peer_ends_first_sequence() -> None:
    """Node (t1): the server writes 'hello' and ends; the client answers the FIN."""
    server_log: list[str] = []
    client_log: list[str] = []
    top: list[str] = []
    server_closed = asyncio.get_running_loop().create_future()

    def on_connection(sock: Socket) -> None:
        trace(sock, server_log)
        sock.on("close", lambda had_error: server_closed.set_result(None))
        sock.write(b"hello")
        sock.end()

    server = net.create_server(on_connection)
    server.on("listening", lambda: top.append("listening event"))
    server.listen(0, "127.0.0.1", lambda: top.append("listen callback"))
    assert server.listening  # bound synchronously, like Node
    await server
    assert top == ["listening event", "listen callback"]
    address = server.address()
    assert isinstance(address, dict)
    port = address["port"]
    client = net.connect(port, "127.0.0.1", lambda: client_log.append("connect callback"))
    assert (client.pending, client.connecting, client.ready_state) == (True, True, "opening")
    trace(client, client_log)
    closed = event(client, "close")
    await wait(event(client, "connect"))
    assert (client.pending, client.connecting, client.ready_state) == (False, False, "open")
    assert client.remote_address == "127.0.0.1" and client.remote_port == port
    assert client.remote_family == "IPv4" and client.address()["family"] == "IPv4"
    assert client.local_address == "127.0.0.1" and client.local_port == client.address()["port"]
    await wait(closed)
    await wait(server_closed)
    assert client_log == [
        "connect callback",
        "connect",
        "ready",
        "data hello",
        "end",
        "prefinish",
        "finish",
        "close false",
    ]
    assert server_log == ["prefinish", "finish", "end", "close false"]
    assert client.ready_state == "closed"
    assert (client.bytes_read, client.bytes_written) == (5, 0)
    server_close = event(server, "close")
    results: list[BaseException | None] = []
    server.close(results.append)
    await wait(server_close)
    assert results == [None]


async def test_we_end_first_sequence() -> None:
    """Node (t2): the client ends with a last chunk; the server answers the FIN."""
    server_log: list[str] = []
    client_log: list[str] = []
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()

    def on_connection(sock: Socket) -> None:
        trace(sock, server_log)
        accepted.set_result(sock)

    server, port = await listening_server(connection_listener=on_connection)
    client = await net.connect(port, "127.0.0.1")
    trace(client, client_log)
    remote = await accepted
    client.end(b"bye", lambda err: client_log.append(f"end callback {err}"))
    await wait(asyncio.gather(event(client, "close"), event(remote, "close")))
    assert client_log == ["prefinish", "end callback None", "finish", "end", "close false"]
    assert server_log == ["data bye", "end", "prefinish", "finish", "close false"]
    server.close()
    await server.wait_closed()


async def test_connection_refused() -> None:
    server, port = await listening_server()
    server.close()
    await server.wait_closed()
    log: list[str] = []
    sock = net.connect(port, "127.0.0.1")
    trace(sock, log, ("connect", "error", "close"))
    with pytest.raises(ConnectionRefusedError) as info:
        await sock
    err = info.value
    assert isinstance(err, NodeSystemError)
    assert err.code == "ECONNREFUSED" and err.errno == errno.ECONNREFUSED
    assert err.syscall == "connect" and err.address == "127.0.0.1" and err.port == port
    assert str(err) == f"connect ECONNREFUSED 127.0.0.1:{port}"
    await until(lambda: len(log) == 2, "'close'")
    assert log == [f"error ECONNREFUSED connect ECONNREFUSED 127.0.0.1:{port}", "close true"]
    assert sock.destroyed and sock.errored is err


async def test_connection_reset_by_peer() -> None:
    """Node (t13): the server answers the first byte with an RST."""
    server_log: list[str] = []

    def on_connection(sock: Socket) -> None:
        trace(sock, server_log, ("error", "close"))
        sock.on("data", lambda data: sock.reset_and_destroy())

    server, port = await listening_server(connection_listener=on_connection)
    log: list[str] = []
    client = await net.connect(port, "127.0.0.1")
    trace(client, log, ("error", "close"))
    client.write(b"x")
    await wait(event(client, "close"))
    assert log == ["error ECONNRESET read ECONNRESET", "close true"]
    assert isinstance(client.errored, ConnectionResetError)
    assert client.errored.syscall == "read"  # type: ignore[attr-defined]
    await until(lambda: bool(server_log), "server 'close'")
    assert server_log == ["close false"]
    server.close()


async def test_write_after_end_and_after_destroy() -> None:
    """Node (t3): ERR_STREAM_WRITE_AFTER_END destroys; writing destroyed gives the cb only."""
    server, port = await listening_server(connection_listener=lambda s: s.resume())
    client = await net.connect(port, "127.0.0.1")
    log: list[str] = []
    trace(client, log, ("error", "close"))
    client.end()
    assert client.write(b"x", lambda err: log.append(f"write cb {err.code}")) is False  # type: ignore[union-attr]
    await wait(event(client, "close"))
    assert log == [
        "write cb ERR_STREAM_WRITE_AFTER_END",
        "error ERR_STREAM_WRITE_AFTER_END write after end",
        "close true",
    ]
    assert isinstance(client.errored, ERR_STREAM_WRITE_AFTER_END)

    other = await net.connect(port, "127.0.0.1")
    log.clear()
    trace(other, log, ("error", "close"))
    other.destroy()
    assert other.write(b"x", lambda err: log.append(f"write cb {err.code}")) is False  # type: ignore[union-attr]
    await wait(event(other, "close"))
    assert log == ["write cb ERR_STREAM_DESTROYED", "close false"]
    server.close()


async def test_write_after_fin_is_epipe() -> None:
    def on_connection(sock: Socket) -> None:
        sock.end()

    server, port = await listening_server(connection_listener=on_connection)
    client = await net.connect(port, "127.0.0.1")
    client.resume()
    results: list[str] = []
    errors = event(client, "error")
    closed = event(client, "close")

    def on_end() -> None:
        # Our side is still open inside 'end' (Node ends it on the next tick): this works...
        client.write(b"x", lambda err: results.append(repr(err)))
        client.end()
        # ...but once we have ended too, a write is Node's writeAfterFIN: EPIPE.
        client.write(b"y", lambda err: results.append(getattr(err, "code", "?")))

    client.on("end", on_end)
    (err,) = await wait(errors)
    assert isinstance(err, BrokenPipeError) and err.code == "EPIPE"  # type: ignore[attr-defined]
    assert str(err) == "This socket has been ended by the other party"
    assert await wait(closed) == (True,)
    # Node calls x's callback first (libuv completes a write the kernel took at once);
    # a StreamHandle always completes on a later turn, so here EPIPE comes first.
    assert sorted(results) == ["EPIPE", "None"]
    server.close()


async def test_listen_eaddrinuse() -> None:
    first, port = await listening_server()
    second = net.create_server()
    with pytest.raises(NodeSystemError) as info:
        await second.listen(port, "127.0.0.1")
    err = info.value
    assert (err.code, err.errno, err.syscall) == ("EADDRINUSE", errno.EADDRINUSE, "listen")
    assert (err.address, err.port) == ("127.0.0.1", port)
    assert str(err) == f"listen EADDRINUSE: address already in use 127.0.0.1:{port}"
    assert not second.listening and second.address() is None
    results: list[BaseException | None] = []
    closed = event(second, "close")
    second.close(results.append)
    await wait(closed)
    assert len(results) == 1 and isinstance(results[0], ERR_SERVER_NOT_RUNNING)
    assert str(results[0]) == "Server is not running."
    first.close()
    await first.wait_closed()


async def test_listen_twice_and_bad_port() -> None:
    server, _ = await listening_server()
    with pytest.raises(Exception) as info:
        server.listen(0)
    assert getattr(info.value, "code", None) == "ERR_SERVER_ALREADY_LISTEN"
    with pytest.raises(ERR_SOCKET_BAD_PORT) as bad:
        net.create_server().listen(70000)
    assert str(bad.value) == (
        "options.port should be >= 0 and < 65536. Received type number (70000)."
    )
    server.close()


async def test_default_host_is_dual_stack() -> None:
    server = await net.create_server(lambda s: s.end(b"hi")).listen(0)
    address = server.address()
    assert isinstance(address, dict)
    assert address["address"] in ("::", "0.0.0.0")
    client = await net.connect(address["port"], "127.0.0.1")
    data = [chunk async for chunk in client]
    assert data == [b"hi"]
    server.close()
    await server.wait_closed()


async def test_connect_by_name_emits_lookup() -> None:
    server, port = await listening_server(connection_listener=lambda s: s.end())
    client = net.connect(port, "localhost")
    lookups: list[tuple[Any, ...]] = []
    client.on("lookup", lambda *args: lookups.append(args))
    await client
    assert lookups and lookups[0][0] is None and lookups[0][3] == "localhost"
    assert lookups[0][2] in (4, 6)
    client.destroy()
    server.close()


async def test_dns_failure() -> None:
    client = net.connect(80, "nonexistent.invalid")
    with pytest.raises(OSError) as info:
        await client
    assert getattr(info.value, "code", None) in ("ENOTFOUND", "EAI_AGAIN")
    assert getattr(info.value, "hostname", None) == "nonexistent.invalid"
    assert str(info.value).startswith("getaddrinfo ")


async def test_unix_socket_addresses(tmp_path: Path) -> None:
    path = str(tmp_path / "srv.sock")
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server = await net.create_server(accepted.set_result).listen(path)
    assert server.address() == path
    client = await net.connect(path=path)
    remote = await accepted
    assert client.address() == {} and remote.address() == {}
    assert client.remote_address is None and remote.remote_port is None
    client.end(b"over unix")
    assert [c async for c in remote] == [b"over unix"]
    server.close()
    await server.wait_closed()
    assert not os.path.exists(path), "the socket file is removed on close, as libuv does"


async def test_connect_to_missing_unix_path(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.sock")
    with pytest.raises(FileNotFoundError) as info:
        await net.connect(path)
    assert str(info.value) == f"connect ENOENT {path}"
    assert info.value.address == path  # type: ignore[attr-defined]


def test_idle_timeout() -> None:
    """On a controllable clock: activity pushes the 80 ms idle timeout back."""

    async def main(clock: Clock) -> None:
        accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
        server, port = await listening_server(connection_listener=accepted.set_result)
        client = await net.connect(port, "127.0.0.1", timeout=60)
        assert client.timeout == 60
        remote = await accepted
        fired: list[float] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        remote.set_timeout(80, lambda: fired.append(loop.time() - start))
        remote.on("data", lambda d: None)
        for _ in range(3):  # activity keeps pushing the timeout back
            await clock.advance(0.04)
            client.write(b"ping")
            await event(remote, "data")  # unbounded in virtual time; the watchdog bounds it
            assert not fired
        timed_out = event(remote, "timeout")
        await clock.advance(0.1)
        await timed_out
        assert len(fired) == 1 and fired[0] >= 0.16
        assert not remote.destroyed, "'timeout' only notifies; Node does not close the socket"
        remote.set_timeout(0)
        assert remote.timeout == 0
        client.destroy()
        server.close()

    run_clocked(main)


async def test_max_connections_and_drop() -> None:
    server, port = await listening_server(connection_listener=lambda s: s.resume())
    server.max_connections = 1
    drops: list[dict[str, Any]] = []
    server.on("drop", drops.append)
    first = await net.connect(port, "127.0.0.1")
    await until(lambda: server._connections == 1, "the first connection is counted")
    second = await net.connect(port, "127.0.0.1")
    second_port = second.local_port
    second.resume()
    await wait(event(second, "close"), "the extra connection to be closed")
    assert len(drops) == 1 and drops[0]["remotePort"] == second_port
    counts: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
    server.get_connections(lambda err, n: counts.set_result((err, n)))
    assert await counts == (None, 1)
    first.destroy()
    server.close()
    await server.wait_closed()


async def test_close_waits_for_connections() -> None:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server, port = await listening_server(connection_listener=accepted.set_result)
    client = await net.connect(port, "127.0.0.1")
    remote = await accepted
    assert remote.server is server
    order: list[str] = []
    server.on("close", lambda: order.append("server close"))
    server.close()
    assert not server.listening
    waiter = asyncio.ensure_future(server.wait_closed())
    await asyncio.sleep(0)
    assert order == [] and not waiter.done()
    client.end()
    remote.resume()
    await wait(waiter)
    assert order == ["server close"]


async def test_pause_on_connect() -> None:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server, port = await listening_server(
        connection_listener=accepted.set_result, pause_on_connect=True
    )
    client = await net.connect(port, "127.0.0.1")
    client.write(b"waiting")
    remote = await accepted
    assert remote.is_paused() and remote.readable_flowing is False
    chunks: list[bytes] = []
    remote.on("data", chunks.append)
    await asyncio.sleep(0.02)  # nothing may arrive while paused: there is no event to await
    assert chunks == []
    got = event(remote, "data")
    remote.resume()
    await wait(got)
    assert b"".join(chunks) == b"waiting"
    client.destroy()
    server.close()


async def test_writes_before_connect_are_sent_after() -> None:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server, port = await listening_server(connection_listener=accepted.set_result)
    client = net.connect(port, "127.0.0.1")
    client.write(b"early ")
    client.end(b"bird")
    assert client.bytes_written == len(b"early bird")
    remote = await accepted
    assert b"".join([c async for c in remote]) == b"early bird"
    await wait(event(client, "close"))
    server.close()


async def test_destroy_soon_flushes_first() -> None:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server, port = await listening_server(
        connection_listener=accepted.set_result, allow_half_open=True
    )
    client = await net.connect(port, "127.0.0.1", allow_half_open=True)
    client_closed = event(client, "close")
    payload = os.urandom(1 << 20)
    client.write(payload)
    client.destroy_soon()
    remote = await accepted
    remote.end()  # so that leaving the loop below destroys it quietly
    received = b"".join([c async for c in remote])
    assert received == payload
    await wait(client_closed)
    server.close()


async def test_server_emit_connection_with_any_socket() -> None:
    """A user can feed any socket to a server, e.g. one over an in-memory pair."""
    got: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server = net.create_server(got.set_result)
    x, y = duplex_pair()
    injected = Socket(handle=DuplexHandle(x))
    server.emit("connection", injected)
    assert await got is injected
    y.write(b"through the pair")
    assert await wait(event(injected, "data")) == (b"through the pair",)
    injected.destroy()


async def test_socket_over_duplex_handle_close_propagates() -> None:
    x, _y = duplex_pair()
    sock = Socket(handle=DuplexHandle(x))
    closed = event(sock, "close")
    x.destroy()  # the underlying stream goes away: the socket follows (JSStreamSocket)
    await wait(closed)
    assert sock.destroyed
    results: list[BaseException | None] = []
    sock.write(b"x", results.append)
    await until(lambda: bool(results), "write callback")
    assert isinstance(results[0], ERR_STREAM_DESTROYED)


async def test_await_connected_socket_and_server_twice() -> None:
    server, port = await listening_server(connection_listener=lambda s: s.end())
    assert await server is server
    client = net.connect(port, "127.0.0.1")
    assert await client is client
    assert await client is client
    client.destroy()
    server.close()


def test_is_ip() -> None:
    assert net.is_ip("127.0.0.1") == 4 and net.is_ip("::1") == 6
    assert net.is_ip("fe80::1%eth0") == 6
    assert net.is_ip("01.2.3.4") == 0 and net.is_ip("example.com") == 0
    assert net.is_ip(123) == 0
    assert net.is_ipv4("1.2.3.4") and not net.is_ipv4("::1")
    assert net.is_ipv6("::ffff:1.2.3.4") and not net.is_ipv6("1.2.3.4")


def test_public_net_module() -> None:
    assert public_net.Socket is Socket
    assert public_net.connect is net.connect and public_net.create_server is net.create_server
    assert set(public_net.__all__) == {
        "Server",
        "Socket",
        "connect",
        "create_connection",
        "create_server",
        "is_ip",
        "is_ipv4",
        "is_ipv6",
    }


async def test_listen_on_a_host_name() -> None:
    server = net.create_server(lambda s: s.end(b"named"))
    server.listen(0, "localhost")
    assert not server.listening  # resolving first, as Node's dns.lookup
    await server
    address = server.address()
    assert isinstance(address, dict) and address["address"] in ("127.0.0.1", "::1")
    client = await net.connect(address["port"], address["address"])
    assert b"".join([c async for c in client]) == b"named"
    server.close()
    await server.wait_closed()


async def test_listener_exception_is_reported_and_connection_survives(
    uncaught: list[BaseException],
) -> None:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server, port = await listening_server(connection_listener=accepted.set_result)
    client = await net.connect(port, "127.0.0.1")
    remote = await accepted
    received: list[bytes] = []

    def on_data(chunk: bytes) -> None:
        received.append(chunk)
        if len(received) == 1:
            raise RuntimeError("listener bug")

    remote.on("data", on_data)
    client.write(b"first")
    await until(lambda: bool(uncaught), "the exception to be reported")
    assert str(uncaught.pop()) == "listener bug"
    client.end(b"second")
    await wait(event(remote, "end"))
    assert b"".join(received) == b"firstsecond" and not remote.errored
    server.close()


async def test_duplex_handle_rejects_string_chunks() -> None:
    x, y = duplex_pair()
    x.set_encoding("utf8")
    sock = Socket(handle=DuplexHandle(x))
    errors = event(sock, "error")
    y.write(b"text")
    (err,) = await wait(errors)
    assert getattr(err, "code", None) == "ERR_STREAM_WRAP"
