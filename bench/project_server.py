"""nodetls under ../shared/bench: a line-for-line mirror of servers/node_server.js.

Interface (shared/bench/README.md): env BENCH_PORT, BENCH_HOST (127.0.0.1), BENCH_CERT,
BENCH_KEY, BENCH_MODE = echo | sink.  Runs until SIGTERM.  No per-connection logging.
Run from shared/bench (see bench/README.md in this repository):

    BENCH_PYTHON=/path/to/nodetls/.venv/bin/python ./bench.py \
        --servers /path/to/nodetls/bench/project_server.py,node,c-ref
"""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import sys

import nodetls as tls

PORT = int(os.environ["BENCH_PORT"])
HOST = os.environ.get("BENCH_HOST", "127.0.0.1")
MODE = os.environ.get("BENCH_MODE", "echo")


def on_echo(sock: tls.TLSSocket) -> None:
    sock.on("error", lambda err: None)
    sock.pipe(sock)  # echo with backpressure


def on_sink(sock: tls.TLSSocket) -> None:
    sock.on("error", lambda err: None)
    hdr = bytearray()
    need = got = 0

    def on_data(chunk: bytes) -> None:
        nonlocal need, got
        off, n = 0, len(chunk)
        while off < n:
            if len(hdr) < 8:
                k = min(8 - len(hdr), n - off)
                hdr.extend(chunk[off:off + k])
                off += k
                if len(hdr) < 8:
                    break
                need, got = struct.unpack(">Q", hdr)[0], 0
            k = min(need - got, n - off)
            got += k
            off += k
            if got == need:
                sock.write(struct.pack(">Q", need))
                hdr.clear()

    sock.on("data", on_data)


async def main() -> None:
    with open(os.environ["BENCH_KEY"], "rb") as f:
        key = f.read()
    with open(os.environ["BENCH_CERT"], "rb") as f:
        cert = f.read()
    opts: dict[str, object] = {"key": key, "cert": cert}
    if os.environ.get("NODE_NODELAY") == "1":
        opts["no_delay"] = True
    server = tls.create_server(on_echo if MODE == "echo" else on_sink, **opts)
    server.on("tlsClientError", lambda err, sock: None)
    await server.listen(PORT, HOST)
    print(f"nodetls {MODE} on {HOST}:{PORT}", file=sys.stderr, flush=True)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: done.done() or done.set_result(None))
    await done
    server.close()


if __name__ == "__main__":
    if os.environ.get("NODETLS_UVLOOP") == "1":
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    asyncio.run(main())
