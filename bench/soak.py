"""Soak: many connections against one nodetls server process; its memory and fds must settle.

    python bench/soak.py [--connections 200000] [--concurrency 64] [--idle 10000] [--json]

The server is ``python bench/soak.py serve KEY CERT`` in a subprocess (a nodetls echo
server, as the benchmarks use); this process is the client side (nodetls clients, and
raw asyncio sockets for the failing kinds).  Connection ``i`` is of kind ``MIX[i % 10]``:

* ``full``: a full handshake, one echo, a clean close;
* ``resumed``: the same, offering the last ticket (``session=``);
* ``failed``: an HTTP request on the TLS port (the server's handshake fails);
* ``reset``: a nodetls client that resets (``reset_and_destroy``) after its handshake;
* ``rst-early``: half a ClientHello, then a TCP reset.

The server's RSS (``VmRSS`` of ``/proc/PID/status``) and open fds (``/proc/PID/fd``) are
sampled.  Checks: once warm (the first tenth), a quiet server (no connection open) grows
by less than 1 MiB by the end, and its fd count is back at its baseline.  Then ``--idle``
connections are opened and held at once (the fd limits are raised to their hard limit),
and closed, twice: the second round must fit in the memory the first gave back (the
allocator keeps freed pages, so the RSS itself stays up), and after ``malloc_trim`` (the
server does it on SIGUSR1) the RSS must come back to within 10% of what the round took.
Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import nodetls as tls

MIX = ("full", "full", "full", "resumed", "resumed", "resumed", "failed", "reset",
       "rst-early", "full")
MiB = 1024 * 1024


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# -- the server process --------------------------------------------------------------------


async def serve(key_file: str, cert_file: str) -> None:
    raise_fd_limit()

    def on_secure(sock: tls.TLSSocket) -> None:
        sock.on("error", lambda err: None)
        sock.pipe(sock)

    server = tls.create_server(on_secure, key=Path(key_file).read_bytes(),
                               cert=Path(cert_file).read_bytes())
    server.on("tlsClientError", lambda err, sock: None)
    await server.listen(0, "127.0.0.1", backlog=4096)
    address = server.address()
    assert isinstance(address, dict)
    print(f"PORT {address['port']}", flush=True)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, trim)
    await loop.run_in_executor(None, sys.stdin.read)  # until EOF


def trim() -> None:
    """Hand freed memory back to the OS (glibc keeps freed heap pages for reuse), so
    that the RSS tells freed memory from leaked memory; then say so on stdout."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    print("TRIMMED", flush=True)


# -- the client side -----------------------------------------------------------------------


class Probe:
    """Samples of the server process's RSS and fd count."""

    def __init__(self, pid: int, stdout: Any) -> None:
        self.pid = pid
        self.stdout = stdout

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def trim(self) -> int:
        """The RSS after the server ran ``trim()``."""
        os.kill(self.pid, signal.SIGUSR1)
        assert self.stdout.readline().strip() == "TRIMMED"
        return self.rss()

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    async def quiet(self, baseline_fds: int, limit: float = 30.0) -> tuple[int, int]:
        """(rss, fds) once the server's fds are back at ``baseline_fds`` (or at ``limit``)."""
        deadline = time.monotonic() + limit
        while self.fds() > baseline_fds and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # let the server finish freeing what closed last
        return self.rss(), self.fds()


class Clients:
    def __init__(self, port: int, ca: bytes) -> None:
        self.port = port
        self.ca = ca
        self.session: bytes | None = None
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    async def one(self, kind: str) -> None:
        try:
            await asyncio.wait_for(getattr(self, "_" + kind.replace("-", "_"))(), 20)
            self.counts[kind] += 1
        except Exception as exc:
            self.errors[f"{kind}: {getattr(exc, 'code', type(exc).__name__)}"] += 1

    def _connect(self, **options: Any) -> tls.TLSSocket:
        sock = tls.connect(self.port, "127.0.0.1", ca=self.ca, servername="localhost",
                           **options)
        sock.on("session", self._keep_session)
        return sock

    def _keep_session(self, session: bytes) -> None:
        self.session = session

    async def _echo(self, sock: tls.TLSSocket) -> None:
        await sock
        got = asyncio.get_running_loop().create_future()
        sock.once("data", lambda chunk: got.done() or got.set_result(chunk))
        sock.write(b"ping")
        assert await got == b"ping"
        sock.end()
        await _closed(sock)

    async def _full(self) -> None:
        await self._echo(self._connect())

    async def _resumed(self) -> None:
        await self._echo(self._connect(session=self.session))

    async def _failed(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await reader.read()  # the server closes
        writer.close()

    async def _reset(self) -> None:
        sock = self._connect()
        sock.on("error", lambda err: None)
        await sock
        sock.reset_and_destroy()
        await _closed(sock)

    async def _rst_early(self) -> None:
        _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + b"\0" * 32)
        await writer.drain()
        raw = writer.get_extra_info("socket")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


async def _closed(sock: tls.TLSSocket) -> None:
    if sock.destroyed:
        return
    done = asyncio.get_running_loop().create_future()
    sock.once("close", lambda *_: done.done() or done.set_result(None))
    await done


async def churn(clients: Clients, start: int, stop: int, concurrency: int) -> None:
    queue = iter(range(start, stop))

    async def worker() -> None:
        for i in queue:
            await clients.one(MIX[i % len(MIX)])

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def hold_idle(clients: Clients, count: int, batch: int = 200) -> list[tls.TLSSocket]:
    held: list[tls.TLSSocket] = []
    for start in range(0, count, batch):
        socks = [clients._connect() for _ in range(min(batch, count - start))]
        for sock in socks:
            sock.on("error", lambda err: None)
        await asyncio.gather(*socks)
        held += socks
    return held


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_fd_limit()
    folder = Path(tempfile.mkdtemp(prefix="nodetls-soak-"))
    key, cert = tls.generate_self_signed(["localhost"])
    (folder / "key.pem").write_bytes(key)
    (folder / "cert.pem").write_bytes(cert)
    server = subprocess.Popen(
        [sys.executable, __file__, "serve", str(folder / "key.pem"), str(folder / "cert.pem")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        return await measure(args, Probe(server.pid, server.stdout), Clients(port, cert))
    finally:
        server.kill()
        server.wait()
        for name in ("key.pem", "cert.pem"):
            (folder / name).unlink()
        folder.rmdir()


async def measure(args: argparse.Namespace, probe: Probe, clients: Clients) -> dict[str, Any]:
    result: dict[str, Any] = {"connections": args.connections}
    base_fds = probe.fds()
    result["start_rss"] = probe.rss()
    warmup = max(args.connections // 10, min(args.connections, 2000))
    started = time.monotonic()
    await churn(clients, 0, warmup, args.concurrency)
    warm_rss, _ = await probe.quiet(base_fds)
    samples = [(warmup, warm_rss)]
    step = max((args.connections - warmup) // 10, 1)
    for start in range(warmup, args.connections, step):
        await churn(clients, start, min(start + step, args.connections), args.concurrency)
        samples.append((min(start + step, args.connections), probe.rss()))
    end_rss, end_fds = await probe.quiet(base_fds)
    elapsed = time.monotonic() - started
    result.update(
        seconds=round(elapsed, 1), per_second=round(args.connections / elapsed),
        kinds=dict(clients.counts), errors=dict(clients.errors),
        warm_rss=warm_rss, end_rss=end_rss, growth_after_warmup=end_rss - warm_rss,
        rss_samples=samples, baseline_fds=base_fds, end_fds=end_fds,
    )
    if args.idle:
        result["idle"] = idle = {"connections": args.idle, "before_rss": end_rss}
        for cycle in (1, 2):  # the second must fit in what the first gave back
            held = await hold_idle(clients, args.idle)
            idle[f"peak_rss_{cycle}"], idle["peak_fds"] = probe.rss(), probe.fds()
            for sock in held:
                sock.destroy()
            del held
            idle[f"after_rss_{cycle}"], idle["after_fds"] = await probe.quiet(base_fds, 60)
        idle["per_connection"] = (idle["peak_rss_1"] - end_rss) // args.idle
        idle["trimmed_rss"] = probe.trim()
    result["checks"] = checks(result)
    return result


def checks(r: dict[str, Any]) -> dict[str, bool]:
    out = {
        "rss_growth_under_1MiB": r["growth_after_warmup"] < MiB,
        "fds_back_to_baseline": r["end_fds"] == r["baseline_fds"],
        "no_unexpected_errors": not r["errors"],
    }
    idle = r.get("idle")
    if idle:
        taken = idle["peak_rss_1"] - idle["before_rss"]
        out["idle_memory_reused"] = idle["peak_rss_2"] - idle["peak_rss_1"] <= 0.1 * taken
        out["idle_memory_returned"] = idle["trimmed_rss"] - idle["before_rss"] <= 0.1 * taken
        out["idle_fds_back_to_baseline"] = idle["after_fds"] == r["baseline_fds"]
    return out


def report(r: dict[str, Any]) -> None:
    print(f"{r['connections']} connections in {r['seconds']} s ({r['per_second']}/s): "
          f"{r['kinds']}; unexpected errors: {r['errors'] or 'none'}")
    print(f"server RSS: start {r['start_rss'] / MiB:.1f} MiB, warm {r['warm_rss'] / MiB:.2f} "
          f"MiB, end {r['end_rss'] / MiB:.2f} MiB: growth after warm-up "
          f"{r['growth_after_warmup'] / 1024:+.0f} KiB")
    print("RSS samples (connections, MiB): "
          + ", ".join(f"{n}: {rss / MiB:.2f}" for n, rss in r["rss_samples"]))
    print(f"server fds: baseline {r['baseline_fds']}, end {r['end_fds']}")
    idle = r.get("idle")
    if idle:
        mib = {k: f"{v / MiB:.1f}" for k, v in idle.items() if "rss" in k}
        print(f"{idle['connections']} idle connections held: server RSS {mib['before_rss']} -> "
              f"{mib['peak_rss_1']} MiB ({idle['per_connection'] / 1024:.1f} KiB each, "
              f"{idle['peak_fds']} fds), {mib['after_rss_1']} MiB once closed; again: "
              f"{mib['peak_rss_2']} -> {mib['after_rss_2']} MiB; after malloc_trim "
              f"{mib['trimmed_rss']} MiB; fds {idle['after_fds']}")
    print("checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in r["checks"].items()))


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        asyncio.run(serve(sys.argv[2], sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--idle", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
    else:
        report(result)
    sys.exit(0 if all(result["checks"].values()) else 1)


if __name__ == "__main__":
    main()
