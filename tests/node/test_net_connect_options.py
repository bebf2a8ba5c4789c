"""``net.connect`` honours ``lookup``, ``signal`` and ``onread`` (``tls.connect`` passes
them on; its tests compare with Node)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from nodetls.node import AbortController, AbortError, AbortSignal, TransportHandle, net


async def _server(payload: bytes) -> tuple[net.Server, int]:
    server = await net.create_server(lambda s: s.end(payload)).listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    return server, int(address["port"])


async def test_lookup_and_onread() -> None:
    server, port = await _server(b"0123456789")
    buffer = bytearray(3)
    pieces: list[bytes] = []
    asked: list[tuple[str, dict[str, Any]]] = []

    def lookup(host: str, options: dict[str, Any], cb: Any) -> None:
        asked.append((host, options))
        cb(None, [{"address": "127.0.0.1", "family": 4}])

    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    sock = net.connect(port, "example.invalid", lookup=lookup,
                       onread={"buffer": lambda: buffer,
                               "callback": lambda n, buf: pieces.append(bytes(buf[:n]))})
    sock.on("close", lambda *_: closed.set_result(None))
    await asyncio.wait_for(closed, 5)
    assert asked == [("example.invalid", {"hints": 32, "all": True})]
    assert b"".join(pieces) == b"0123456789" and max(map(len, pieces)) == 3
    server.close()
    await server.wait_closed()


async def test_onread_callback_returning_false_pauses_until_resume() -> None:
    server, port = await _server(b"x" * 10)
    pieces: list[bytes] = []
    paused: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def callback(nread: int, buf: bytearray) -> bool:
        pieces.append(bytes(buf[:nread]))
        if not paused.done():
            paused.set_result(None)
            return False  # Node: pause
        return True

    sock = net.connect(port, "127.0.0.1", onread={"buffer": bytearray(4), "callback": callback})
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    sock.on("close", lambda *_: closed.set_result(None))
    await asyncio.wait_for(paused, 5)
    assert sock.is_paused()
    sock.resume()
    await asyncio.wait_for(closed, 5)
    assert b"".join(pieces) == b"x" * 10
    server.close()
    await server.wait_closed()


async def test_signal() -> None:
    server, port = await _server(b"")
    with pytest.raises(AbortError) as info:
        await net.connect(port, "127.0.0.1", signal=AbortSignal.abort("early"))
    assert (info.value.code, str(info.value)) == ("ABORT_ERR", "The operation was aborted")
    assert info.value.cause == "early"  # type: ignore[attr-defined]
    controller = AbortController()
    sock = await net.connect(port, "127.0.0.1", signal=controller.signal)
    errors: list[Any] = []
    sock.on("error", errors.append)
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    sock.on("close", lambda *_: closed.done() or closed.set_result(None))
    controller.abort()
    await asyncio.wait_for(closed, 5)
    assert sock.destroyed and [err.code for err in errors] == ["ABORT_ERR"]
    reason = controller.signal.reason
    assert isinstance(reason, AbortError) and str(reason) == "This operation was aborted"
    server.close()
    await server.wait_closed()


def test_a_stopped_handle_delivers_nothing_even_on_uvloop() -> None:
    """uvloop reads what already waits on a new connection before connection_made's
    pause holds: the handle keeps those bytes (and the EOF behind them) until
    ``read_start``, then delivers them in order (a TLS client must not see the server's
    bytes before it has started its handshake)."""
    import uvloop

    class Recorder:
        def __init__(self, eof: asyncio.Future[None]) -> None:
            self.events: list[Any] = []
            self.eof = eof

        def on_handle_read(self, data: bytes) -> None:
            self.events.append(bytes(data))

        def on_handle_eof(self) -> None:
            self.events.append("eof")
            self.eof.set_result(None)

        def on_handle_error(self, exc: BaseException) -> None:
            self.events.append(exc)

        def on_handle_close(self) -> None:
            pass

    async def scenario() -> tuple[list[Any], list[Any]]:
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()

        async def speak_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"first words")
            await writer.drain()
            writer.close()
            written.set_result(None)

        server = await asyncio.start_server(speak_first, "127.0.0.1", 0)
        raw = socket.create_connection(server.sockets[0].getsockname()[:2])
        raw.setblocking(False)
        await asyncio.wait_for(written, 5)  # the bytes and the FIN wait in the kernel
        handle = TransportHandle()
        recorder = Recorder(loop.create_future())
        handle.listener = recorder
        await loop.create_connection(lambda: handle, sock=raw)
        for _ in range(3):
            await asyncio.sleep(0)  # uvloop's early read has had its turn
        before = list(recorder.events)
        handle.read_start()
        await asyncio.wait_for(recorder.eof, 5)
        handle.close()
        server.close()
        return before, recorder.events

    assert uvloop.run(scenario()) == ([], [b"first words", "eof"])
