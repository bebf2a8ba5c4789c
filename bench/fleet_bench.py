"""Full handshakes per second of ``python -m nodetls server`` with 1 and 2 worker
processes, and the resumption rate across workers, measured in one run.

The server is the CLI echo server as a user starts it (``--workers N``, an RSA-2048
certificate, so the server's signature dominates a handshake's cost, as in Node's own
benchmarks).  The load is ``--clients`` concurrent ``openssl s_time -new`` processes
(each: a TLS 1.3 full handshake, then close) for ``--seconds``; their connection counts
are summed.  The clients share the machine with the server, so on a 2-core machine
the figures show how far a second worker helps when the load generator takes its
share, not the server alone; handshakes per server CPU-second (the server processes'
``utime + stime`` from ``/proc``) do not depend on what else runs.

Resumption across workers: against the 2-worker server, one nodetls client makes a
session, then ``--resumptions`` connections offer it; the rate is the share that
resumed, and the server's log says which worker served each one (the kernel spreads
connections over the ``SO_REUSEPORT`` workers; every worker holds the same ticket keys).

    .venv/bin/python bench/fleet_bench.py [--seconds 5] [--clients 4] [--resumptions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nodetls as tls

OPENSSL = "openssl"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and of its children still running (the workers)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    own = (int(fields[11]) + int(fields[12])) / TICKS
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


class Server:
    """``python -m nodetls server --workers N`` whose log lines are collected."""

    def __init__(self, workers: int, key: Path, cert: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nodetls", "server", "--port", "0", "--workers",
             str(workers), "--key", str(key), "--cert", str(cert)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if match := re.match(r"listening on 127\.0\.0\.1:(\d+)", line):
                self.port = int(match.group(1))
                break
        else:
            raise SystemExit("the server exited before listening")
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)


def s_time(port: int, seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [OPENSSL, "s_time", "-connect", f"127.0.0.1:{port}", "-new", "-tls1_3",
         "-time", str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def handshakes_per_second(port: int, seconds: int, clients: int) -> int:
    """Full handshakes made by the clients in ``seconds``."""
    procs = [s_time(port, seconds) for _ in range(clients)]
    total = 0
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 60)
        match = re.search(r"(\d+) connections in (\d+) real seconds", out)
        if match is None:
            raise SystemExit(f"unexpected s_time output:\n{out}")
        total += int(match.group(1))
    return total


async def resumptions(port: int, ca: bytes, count: int) -> tuple[int, int]:
    """(resumed, offered) over ``count`` connections offering one TLS 1.3 session."""
    sessions: list[bytes] = []
    first = await tls.connect(port, "127.0.0.1", ca=[ca], servername="localhost")
    first.on("session", sessions.append)
    first.end(b"x")
    async for _ in first:
        pass
    resumed = 0
    for _ in range(count):
        sock = await tls.connect(port, "127.0.0.1", ca=[ca], servername="localhost",
                                 session=sessions[-1])
        resumed += sock.is_session_reused()
        sock.on("session", sessions.append)  # TLS 1.3: a renewed ticket each time
        sock.end(b"x")
        async for _ in sock:
            pass
    return resumed, count


def served_by(lines: list[str]) -> collections.Counter[str]:
    return collections.Counter(m.group(1) for line in lines
                               if (m := re.search(r"\(worker (\d+)\): .*session resumed", line)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--resumptions", type=int, default=200)
    args = parser.parse_args()
    key, cert = tls.generate_self_signed(["localhost"], key_type="rsa")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "key.pem").write_bytes(key)
        (Path(tmp) / "cert.pem").write_bytes(cert)
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.1f}; "
              f"load: {args.clients} x openssl s_time -new -tls1_3, {args.seconds} s, "
              "RSA-2048 certificate")
        for workers in (1, 2):
            server = Server(workers, Path(tmp) / "key.pem", Path(tmp) / "cert.pem")
            try:
                cpu = cpu_seconds(server.proc.pid)
                count = handshakes_per_second(server.port, args.seconds, args.clients)
                cpu = cpu_seconds(server.proc.pid) - cpu
                print(f"{workers} worker(s): {count / args.seconds:.0f} full handshakes/s, "
                      f"{count / cpu:.0f} per server CPU-second")
                if workers == 2:
                    resumed, offered = asyncio.run(
                        resumptions(server.port, cert, args.resumptions))
            finally:
                server.stop()
        by_worker = served_by(server.lines)
        print(f"resumption across 2 workers: {resumed}/{offered} "
              f"({100 * resumed / offered:.1f}%), resumed connections per worker: "
              + ", ".join(f"worker {w}: {n}" for w, n in sorted(by_worker.items())))


if __name__ == "__main__":
    main()
