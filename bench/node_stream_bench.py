#!/usr/bin/env python3
"""Throughput of layer 3 (nodetls.node): 64 KiB chunks through Duplex pairs and sockets.

Run by hand:  .venv/bin/python bench/node_stream_bench.py [--mib 1024] [--uvloop]

Cases (each moves --mib MiB one way, writer honouring backpressure, reader counting bytes
in a 'data' listener):

* duplex_pair        two in-memory Duplex ends (duplex_pair())
* pipe->duplex_pair  a Readable source piped into one end (Node's pipe() backpressure)
* socket/memory      net.Socket over DuplexHandle over duplex_pair (JSStreamSocket path)
* tcp loopback       net.Socket client -> net.Server socket on 127.0.0.1
* unix socket        same over a unix socket
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable

from nodetls.node import Duplex, DuplexHandle, Readable, Socket, duplex_pair, net

CHUNK = 64 * 1024


async def pump(writer: Duplex, reader: Duplex, total: int) -> float:
    """Write ``total`` bytes into ``writer`` and wait until ``reader`` has them all."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    received = 0

    def on_data(chunk: bytes) -> None:
        nonlocal received
        received += len(chunk)
        if received >= total and not done.done():
            done.set_result(None)

    reader.on("data", on_data)
    chunk = os.urandom(CHUNK)
    drain: asyncio.Future[None] | None = None

    def on_drain() -> None:
        if drain is not None and not drain.done():
            drain.set_result(None)

    writer.on("drain", on_drain)
    start = time.perf_counter()
    sent = 0
    while sent < total:
        sent += CHUNK
        if not writer.write(chunk):
            drain = loop.create_future()
            await drain
    await done
    return time.perf_counter() - start


async def bench_duplex_pair(total: int) -> float:
    a, b = duplex_pair()
    elapsed = await pump(a, b, total)
    a.destroy()
    b.destroy()
    return elapsed


async def bench_pipe(total: int) -> float:
    chunk = os.urandom(CHUNK)
    remaining = total

    class Source(Readable):
        def _read(self, size: int) -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= CHUNK
                if not self.push(chunk):
                    return
            self.push(None)

    a, b = duplex_pair()
    done = asyncio.get_running_loop().create_future()
    received = 0

    def on_data(data: bytes) -> None:
        nonlocal received
        received += len(data)
        if received >= total and not done.done():
            done.set_result(None)

    b.on("data", on_data)
    start = time.perf_counter()
    Source().pipe(a)
    await done
    elapsed = time.perf_counter() - start
    a.destroy()
    b.destroy()
    return elapsed


async def bench_socket_over_memory(total: int) -> float:
    x, y = duplex_pair()
    a = Socket(handle=DuplexHandle(x))
    b = Socket(handle=DuplexHandle(y))
    elapsed = await pump(a, b, total)
    a.destroy()
    b.destroy()
    return elapsed


async def _socket_pair(listen: Callable[[net.Server], Awaitable[net.Server]], connect: Callable[
    [net.Server], Socket
]) -> tuple[net.Server, Socket, Socket]:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server = await listen(net.create_server(accepted.set_result))
    client = await connect(server)
    return server, client, await accepted


async def bench_tcp(total: int) -> float:
    server, client, remote = await _socket_pair(
        lambda s: s.listen(0, "127.0.0.1"),
        lambda s: net.connect(s.address()["port"], "127.0.0.1"),  # type: ignore[index]
    )
    elapsed = await pump(client, remote, total)
    client.destroy()
    remote.destroy()
    server.close()
    return elapsed


async def bench_unix(total: int) -> float:
    path = os.path.join(tempfile.mkdtemp(), "bench.sock")
    server, client, remote = await _socket_pair(
        lambda s: s.listen(path=path), lambda s: net.connect(path=path)
    )
    elapsed = await pump(client, remote, total)
    client.destroy()
    remote.destroy()
    server.close()
    return elapsed


CASES: dict[str, Callable[[int], Awaitable[float]]] = {
    "duplex_pair": bench_duplex_pair,
    "pipe->duplex_pair": bench_pipe,
    "socket/memory": bench_socket_over_memory,
    "tcp loopback": bench_tcp,
    "unix socket": bench_unix,
}


async def main(mib: int, rounds: int) -> None:
    total = mib * 1024 * 1024
    print(f"{mib} MiB per run, {CHUNK // 1024} KiB chunks, best of {rounds}")
    for name, case in CASES.items():
        best = min([await case(total) for _ in range(rounds)])
        print(f"  {name:<20} {total / best / 1e6:9.0f} MB/s   ({best * 1000:.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop if installed")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    asyncio.run(main(args.mib, args.rounds))
