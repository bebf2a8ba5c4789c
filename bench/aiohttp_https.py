"""HTTPS requests per second through aiohttp: ``nodetls.SSLContext`` vs ``ssl.SSLContext``.

The same aiohttp application (one ``GET /`` answering 13 bytes) is served twice, each
in its own process: once with ``ssl_context=nodetls.SSLContext(server_side=True, ...)``,
once with the stdlib's ``ssl.SSLContext`` and the same certificate (ECDSA P-256,
TLS 1.3).  One load process (Python's ``ssl`` on uvloop, ``--connections`` keep-alive
connections, one request in flight on each) drives each server for ``--seconds``; the
two servers run in ``--rounds`` adjacent pairs (alternating which goes first), so that a
busy machine's drift hits both alike.  Printed per server: the median requests/s and
server CPU time per 1000 requests (from ``/proc/<pid>/stat``), then the median of the
per-pair nodetls/stdlib ratios.  Run by hand:

    .venv/bin/python bench/aiohttp_https.py [--seconds 3] [--rounds 6] [--connections 16]
        [--loop asyncio|uvloop]

Internal modes (the processes it starts): ``serve`` and ``load``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

import nodetls

REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
BODY = b"hello, world\n"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime + stime


# --- the server process ------------------------------------------------------------------------


def serve(kind: str, loop: str, key: str, cert: str) -> None:
    from aiohttp import web

    async def hello(request: web.Request) -> web.Response:
        return web.Response(body=BODY)

    if kind == "nodetls":
        context: ssl.SSLContext = nodetls.SSLContext(
            True, key=Path(key).read_bytes(), cert=Path(cert).read_bytes())
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until EOF
        await runner.cleanup()

    if loop == "uvloop":
        uvloop.run(main())
    else:
        asyncio.run(main())


# --- the load process --------------------------------------------------------------------------


class _Client(asyncio.Protocol):
    """One keep-alive connection, one request in flight; counts full responses."""

    def __init__(self, counter: list[int], expected: int) -> None:
        self.counter, self.expected, self.got = counter, expected, 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(REQUEST)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        while self.got >= self.expected:
            self.got -= self.expected
            self.counter[0] += 1
            self.transport.write(REQUEST)  # type: ignore[attr-defined]


async def _response_size(port: int, context: ssl.SSLContext) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                                   server_hostname="localhost")
    writer.write(REQUEST)
    head = await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(len(BODY))
    writer.close()
    return len(head) + len(BODY)


async def load(port: int, cert: str, connections: int, seconds: float) -> dict[str, float]:
    context = ssl.create_default_context(cafile=cert)
    expected = await _response_size(port, context)
    counter = [0]
    loop = asyncio.get_running_loop()
    transports = []
    for _ in range(connections):
        transport, _ = await loop.create_connection(lambda: _Client(counter, expected),
                                                    "127.0.0.1", port, ssl=context,
                                                    server_hostname="localhost")
        transports.append(transport)
    await asyncio.sleep(0.5)  # warm-up (and the handshakes), not counted
    start_count, start = counter[0], time.perf_counter()
    print("go", flush=True)  # the driver reads the server's CPU time now...
    await asyncio.sleep(seconds)
    done, elapsed = counter[0] - start_count, time.perf_counter() - start
    print("stop", flush=True)  # ...and now
    for transport in transports:
        transport.close()
    return {"requests": done, "seconds": elapsed}


# --- the driver --------------------------------------------------------------------------------


def _run_round(kind: str, args: argparse.Namespace, key: str, cert: str) -> dict[str, float]:
    here = str(Path(__file__).resolve())
    server = subprocess.Popen([sys.executable, here, "serve", kind, args.loop, key, cert],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = json.loads(server.stdout.readline())["port"]
        load_proc = subprocess.Popen([sys.executable, here, "load", str(port), cert,
                                      str(args.connections), str(args.seconds)],
                                     stdout=subprocess.PIPE, text=True)
        try:
            assert load_proc.stdout is not None
            assert load_proc.stdout.readline() == "go\n"
            cpu_before = cpu_seconds(server.pid)
            assert load_proc.stdout.readline() == "stop\n"
            cpu = cpu_seconds(server.pid) - cpu_before
            result: dict[str, float] = json.loads(load_proc.stdout.readline())
        finally:
            load_proc.kill()
            load_proc.wait(10)
    finally:
        server.kill()
        server.wait(10)
    result["rps"] = result["requests"] / result["seconds"]
    result["cpu_per_1000"] = cpu / result["requests"] * 1000
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")
    s = sub.add_parser("serve")
    s.add_argument("kind")
    s.add_argument("loop")
    s.add_argument("key")
    s.add_argument("cert")
    ld = sub.add_parser("load")
    ld.add_argument("port", type=int)
    ld.add_argument("cert")
    ld.add_argument("connections", type=int)
    ld.add_argument("seconds", type=float)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.kind, args.loop, args.key, args.cert)
        return
    if args.mode == "load":
        print(json.dumps(uvloop.run(load(args.port, args.cert, args.connections,
                                         args.seconds))))
        return
    key_pem, cert_pem = nodetls.generate_self_signed(["localhost"])
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
        Path(key).write_bytes(key_pem)
        Path(cert).write_bytes(cert_pem)
        results: dict[str, list[dict[str, float]]] = {"nodetls": [], "stdlib": []}
        for round_ in range(args.rounds):  # paired rounds, alternating who goes first
            order = ("nodetls", "stdlib") if round_ % 2 == 0 else ("stdlib", "nodetls")
            for kind in order:
                results[kind].append(_run_round(kind, args, key, cert))
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, list[dict[str, float]]]) -> None:
    """Medians over the rounds; the ratios are medians of the per-round (paired) ratios."""
    print(f"aiohttp HTTPS, {args.connections} keep-alive connections, server loop "
          f"{args.loop}, median of {args.rounds} paired rounds of {args.seconds:g} s")
    for kind, rounds in results.items():
        rps = statistics.median(r["rps"] for r in rounds)
        cpu = statistics.median(r["cpu_per_1000"] for r in rounds)
        print(f"  {kind:8}  {rps:9.0f} req/s   {cpu:6.3f} server CPU-s / 1000 req")
    pairs = list(zip(results["nodetls"], results["stdlib"], strict=True))
    rps_ratio = statistics.median(n["rps"] / s["rps"] for n, s in pairs)
    cpu_ratio = statistics.median(n["cpu_per_1000"] / s["cpu_per_1000"] for n, s in pairs)
    print(f"  nodetls/stdlib: {rps_ratio:.2f}x requests/s, {cpu_ratio:.2f}x CPU per request")


if __name__ == "__main__":
    main()
