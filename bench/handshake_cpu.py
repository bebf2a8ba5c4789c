"""Server CPU per 1000 TLS handshakes, resumptions or round trips of ``bench/project_server.py``.

A quick loop for handshake-cost work; the full comparison with Node is the shared
harness (``shared/bench/bench.py``).  The server runs in a subprocess pinned to CPU 0
(``taskset``), the shared harness's ``loadgen`` on CPU 1 drives ``--count`` connections
(each: handshake, 1-byte echo, close; in ``pingpong`` mode, one connection doing
64-byte round trips; in ``bulk-echo``/``bulk-sink`` mode, one connection doing ``--count``
transfers of ``--bulk-mib`` MiB, figures per GiB of payload), and the server's
``utime + stime`` is read from ``/proc/PID/stat`` around the run, so start-up and warm-up
do not count.  Each of ``--reps`` runs prints CPU-s per 1000 connections; the median is
printed last.  With ``--profile FILE`` the server runs under cProfile and writes FILE when stopped.

The VM is shared and CPU time drifts by 10% between runs; ``--callgrind`` runs the
server under valgrind instead and prints *instructions* per connection, which are
deterministic to ~0.5% (instrumentation is switched on only for the measured runs;
use a small ``--count``, e.g. 300: valgrind is ~50x slower).

    .venv/bin/python bench/handshake_cpu.py [--mode handshake|resume|pingpong|bulk-echo|
        bulk-sink] [-V 1.3|1.2] [--bulk-mib 16] [--count N] [--reps R]
        [--loadgen /tmp/sbench/loadgen] [--profile out.prof] [--callgrind]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"server did not listen on {port}")


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    certs = Path(args.certs)
    mode = "sink" if args.mode == "bulk-sink" else "echo"
    env = dict(os.environ, BENCH_PORT=str(port), BENCH_HOST="127.0.0.1", BENCH_MODE=mode,
               BENCH_CERT=str(certs / f"{args.cert}.crt"),
               BENCH_KEY=str(certs / f"{args.cert}.key"))
    cmd = ["taskset", "-c", "0"]
    if args.callgrind:
        cmd += ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={args.callgrind_dir}/callgrind.out.%p"]
    cmd.append(sys.executable)
    if args.profile:
        cmd += ["-m", "cProfile", "-o", args.profile]
    cmd.append(args.server)
    return subprocess.Popen(cmd, env=env, start_new_session=True)


def run_loadgen(args: argparse.Namespace, port: int, count: int) -> dict[str, object]:
    mode = args.mode
    if mode == "pingpong":
        conns = ["-c", "1", "-s", "64"]
    elif mode.startswith("bulk"):
        conns = ["-c", "1", "-b", str(args.bulk_mib), "-t", mode.removeprefix("bulk-"),
                 "-S", "TLS_AES_128_GCM_SHA256"]
        mode = "bulk"
    else:
        conns = ["-c", str(args.conns)]
    cmd = ["taskset", "-c", "1", args.loadgen, "-p", str(port), "-m", mode,
           "-V", args.version, *conns, "-n", str(count), "-T", "120"]
    out = subprocess.run(cmd, capture_output=True, check=True, timeout=180).stdout
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    if result.get("errors"):
        print(f"loadgen errors: {result['errors']} ({result.get('first_error')})",
              file=sys.stderr)
    return result


def callgrind(pid: int, *options: str) -> None:
    subprocess.run(["callgrind_control", *options, str(pid)], capture_output=True,
                   check=True, timeout=60)


def callgrind_instructions(directory: str) -> int:
    """Instructions (Ir) in the newest dump (``callgrind_control -d`` writes one)."""
    newest = max(Path(directory).glob("callgrind.out.*"), key=lambda p: p.stat().st_mtime)
    for line in newest.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {newest}")


def measure(args: argparse.Namespace, server: subprocess.Popen[bytes], port: int) -> float:
    """One run: CPU-s (or, with --callgrind, instructions) per 1000 connections (bulk:
    per GiB of payload)."""
    if args.callgrind:
        callgrind(server.pid, "-z")
        result = run_loadgen(args, port, args.count)
        callgrind(server.pid, "-d")
        used = float(callgrind_instructions(args.callgrind_dir))
    else:
        before = cpu_seconds(server.pid)
        result = run_loadgen(args, port, args.count)
        used = cpu_seconds(server.pid) - before
    if args.mode.startswith("bulk"):
        return used * 2**30 / int(str(result["bytes"]))
    return 1000 * used / int(str(result["ops"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("handshake", "resume", "pingpong", "bulk-echo",
                                           "bulk-sink"),
                        default="handshake")
    parser.add_argument("-V", "--version", choices=("1.2", "1.3"), default="1.3")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--bulk-mib", type=int, default=16, help="MiB per bulk transfer")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cert", default="ecdsa-p256")
    parser.add_argument("--certs", default="/tmp/sbench/certs")
    parser.add_argument("--loadgen", default="/tmp/sbench/loadgen")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions under valgrind instead of CPU time")
    parser.add_argument("--callgrind-dir", default=None,
                        help="keep the callgrind dumps here (for callgrind_annotate)")
    parser.add_argument("--server", default=str(HERE / "project_server.py"),
                        help="server script (the shared harness's interface)")
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args.callgrind_dir = args.callgrind_dir or tmp
        server = start_server(args, port)
        try:
            wait_listening(port, time.monotonic() + (120 if args.callgrind else 20))
            run_loadgen(args, port, 1 if args.mode.startswith("bulk") else min(args.count, 500))
            if args.callgrind:
                callgrind(server.pid, "-i", "on")
            per = "GiB" if args.mode.startswith("bulk") else "1k"
            unit = f"M instructions/{per}" if args.callgrind else f"CPU-s/{per}"
            scale = 1e-6 if args.callgrind else 1.0
            figures = []
            for _ in range(args.reps):
                figures.append(scale * measure(args, server, port))
                print(f"{figures[-1]:.3f} {unit}", flush=True)
            print(f"median {statistics.median(figures):.3f} {unit} "
                  f"({args.mode} TLS {args.version}, {args.cert})")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)


if __name__ == "__main__":
    main()
