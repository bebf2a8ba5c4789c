"""Eleven abuse probes against a TLS echo server; prints PASS/FAIL per probe.

    python bench/abuse_probes.py HOST:PORT [--only NAME,...] [--json]

Run by hand against ``bench/hardened_server.py`` (``--kind default``, ``hardened`` or
``node``); never part of the test suite (timings depend on the machine).  Each probe does
something a hostile or broken client does, then checks two things: the server reacted as
a TLS server should (closed the connection, with an alert where one is due, within
``TIMEOUT`` seconds), and it still serves: a fresh client completes a handshake and gets
its bytes echoed (``healthy``).

 1. garbage          4 KiB of random bytes instead of a ClientHello
 2. http             a plain HTTP request on the TLS port
 3. slowloris        200 connections trickling a ClientHello one byte a second
 4. half_open        2,000 TCP connections that never send a byte
 5. rst_mid_stream   50 connections reset (RST) in the middle of a record
 6. oversized_record a record header announcing 18,433 bytes (over 2^14 + 2048)
 7. empty_records    64 zero-length handshake records
 8. handshake_flood  400 full handshakes, 50 at a time
 9. reneg_flood      a TLS 1.2 client renegotiating 20 times in a row: at most
                     CLIENT_RENEG_LIMIT (3) may succeed
10. ccs_injection    an early ChangeCipherSpec after the server's first flight
                     (CVE-2014-0224): a fatal alert
11. heartbleed       a heartbeat request (CVE-2014-0160): no heartbeat comes back

The crafted bytes come from Python's ``ssl`` (``SSLObject`` over memory BIOs, so the
ClientHello is a real one) and from hand-made record headers; the renegotiating client is
nodetls's own (an OpenSSL client).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import ssl
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nodetls as tls

TIMEOUT = 10.0
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure", 47: "illegal_parameter",
          50: "decode_error", 70: "protocol_version", 80: "internal_error",
          100: "no_renegotiation", 109: "missing_extension"}


@dataclass(frozen=True)
class Result:
    name: str
    passed: bool
    detail: str


# --- helpers ----------------------------------------------------------------------------------


def client_context(max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def client_hello(max_version: ssl.TLSVersion | None = ssl.TLSVersion.TLSv1_2) -> bytes:
    """A real ClientHello record, made by Python's ssl over memory BIOs."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context(max_version).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with contextlib.suppress(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def records(data: bytes) -> list[tuple[int, bytes]]:
    """Plaintext records as ``(content type, payload)``; a partial tail is dropped."""
    out, pos = [], 0
    while pos + 5 <= len(data):
        kind, _, length = struct.unpack("!BHH", data[pos:pos + 5])
        out.append((kind, data[pos + 5:pos + 5 + length]))
        pos += 5 + length
    return out


def alerts(data: bytes) -> list[str]:
    return [ALERTS.get(p[1], str(p[1])) for kind, p in records(data) if kind == 21 and len(p) >= 2]


async def open_raw(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)


async def read_until_closed(reader: asyncio.StreamReader, timeout: float = TIMEOUT) -> (
        tuple[bytes, bool]):
    """Everything the server sends until it closes; ``(data, closed_in_time)``."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            chunk = await asyncio.wait_for(reader.read(65536), left)
            if not chunk:
                return bytes(data), True
            data += chunk
    except (ConnectionError, OSError):
        return bytes(data), True
    except TimeoutError:
        pass
    return bytes(data), False


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0) rather than a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def healthy(host: str, port: int) -> bool:
    """A fresh client completes a handshake and gets its bytes echoed."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=client_context(),
                                    server_hostname="localhost"), TIMEOUT)
        try:
            writer.write(b"ping")
            return await asyncio.wait_for(reader.readexactly(4), TIMEOUT) == b"ping"
        finally:
            writer.transport.abort()
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
        return False


async def one_shot(host: str, port: int, payload: bytes) -> tuple[bytes, bool]:
    reader, writer = await open_raw(host, port)
    try:
        writer.write(payload)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        return await read_until_closed(reader)
    finally:
        writer.transport.abort()


def closed_result(name: str, data: bytes, closed: bool, ok: bool, want: str = "") -> Result:
    got = ",".join(alerts(data)) or "no alert"
    passed = closed and ok and (not want or want in alerts(data))
    return Result(name, passed, f"closed={closed} alerts={got} healthy={ok}")


# --- the probes -------------------------------------------------------------------------------


async def probe_garbage(host: str, port: int) -> Result:
    data, closed = await one_shot(host, port, b"\x00" + os.urandom(4095))
    return closed_result("garbage", data, closed, await healthy(host, port))


async def probe_http(host: str, port: int) -> Result:
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
    data, closed = await one_shot(host, port, request)
    leaked = b"HTTP/" in data
    result = closed_result("http", data, closed and not leaked, await healthy(host, port))
    return result


async def probe_slowloris(host: str, port: int, count: int = 200, seconds: int = 10) -> Result:
    hello = client_hello()
    conns = [await open_raw(host, port) for _ in range(count)]
    checks, dropped = [], 0
    try:
        for second in range(seconds):
            for _, writer in conns:
                if not writer.is_closing():
                    writer.write(hello[second:second + 1])
            if second % 2 == 0:
                checks.append(await healthy(host, port))
            else:
                await asyncio.sleep(1)
        dropped = sum(reader.at_eof() for reader, _ in conns)
    finally:
        for _, writer in conns:
            writer.transport.abort()
    ok = all(checks)
    return Result("slowloris", ok, f"{count} slow connections for {seconds}s; healthy checks "
                  f"{sum(checks)}/{len(checks)}; closed by the server meanwhile: {dropped}")


async def probe_half_open(host: str, port: int, count: int = 2000) -> Result:
    conns: list[asyncio.StreamWriter] = []
    failed = 0
    try:
        for _ in range(count):
            try:
                conns.append((await open_raw(host, port))[1])
            except (OSError, TimeoutError):
                failed += 1
        start = time.monotonic()
        during = await healthy(host, port)
        took = time.monotonic() - start
    finally:
        for writer in conns:
            writer.transport.abort()
    after = await healthy(host, port)
    return Result("half_open", during and after,
                  f"{len(conns)} idle TCP connections ({failed} refused); handshake meanwhile "
                  f"{'ok' if during else 'FAILED'} in {took:.2f}s; after: "
                  f"{'ok' if after else 'FAILED'}")


async def _handshaken_raw(host: str, port: int) -> tuple[
        asyncio.StreamReader, asyncio.StreamWriter, ssl.SSLObject, ssl.MemoryBIO]:
    """A TLS connection driven by hand: ``SSLObject`` over memory BIOs, raw socket below."""
    reader, writer = await open_raw(host, port)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            writer.write(outgoing.read())
            chunk = await asyncio.wait_for(reader.read(65536), TIMEOUT)
            if not chunk:
                raise ConnectionError("closed during the handshake") from None
            incoming.write(chunk)
    writer.write(outgoing.read())
    return reader, writer, obj, outgoing


async def probe_rst_mid_stream(host: str, port: int, count: int = 50) -> Result:
    done = 0
    for _ in range(count):
        _, writer, obj, outgoing = await _handshaken_raw(host, port)
        obj.write(os.urandom(16384))
        record = outgoing.read()
        writer.write(record[:len(record) // 2])
        await writer.drain()
        reset(writer)
        done += 1
    ok = await healthy(host, port)
    return Result("rst_mid_stream", ok, f"{done} connections reset mid-record; healthy={ok}")


async def probe_oversized_record(host: str, port: int) -> Result:
    header = struct.pack("!BHH", 22, 0x0303, 16384 + 2048 + 1)
    data, closed = await one_shot(host, port, header + b"\x01" * 1024)
    return closed_result("oversized_record", data, closed, await healthy(host, port))


async def probe_empty_records(host: str, port: int) -> Result:
    data, closed = await one_shot(host, port, struct.pack("!BHH", 22, 0x0301, 0) * 64)
    return closed_result("empty_records", data, closed, await healthy(host, port))


async def probe_handshake_flood(host: str, port: int, total: int = 400,
                                parallel: int = 50) -> Result:
    gate = asyncio.Semaphore(parallel)

    async def one() -> bool:
        async with gate:
            return await healthy(host, port)

    start = time.monotonic()
    results = await asyncio.gather(*(one() for _ in range(total)))
    took = time.monotonic() - start
    ok = sum(results)
    after = await healthy(host, port)
    return Result("handshake_flood", ok == total and after,
                  f"{ok}/{total} handshakes+echo in {took:.1f}s ({total / took:.0f}/s), "
                  f"{parallel} at a time; healthy after={after}")


async def probe_reneg_flood(host: str, port: int, attempts: int = 20) -> Result:
    sock = tls.connect(port, host, reject_unauthorized=False, max_version="TLSv1.2")
    errors: list[str] = []
    sock.on("error", lambda err: errors.append(str(getattr(err, "code", err))))
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def settle(future: asyncio.Future[BaseException | None], err: BaseException | None) -> None:
        if not future.done():
            future.set_result(err)

    sock.on("close", lambda *_: None if closed.done() else closed.set_result(None))
    await asyncio.wait_for(sock, TIMEOUT)
    accepted = 0
    for _ in range(attempts):
        if sock.destroyed:
            break
        done: asyncio.Future[BaseException | None] = loop.create_future()

        def answered(err: BaseException | None = None,
                     f: asyncio.Future[BaseException | None] = done) -> None:
            settle(f, err)

        if not sock.renegotiate(answered):
            break

        def on_closed(_: asyncio.Future[None],
                      f: asyncio.Future[BaseException | None] = done) -> None:
            settle(f, ConnectionError("closed"))

        closed.add_done_callback(on_closed)
        try:
            if await asyncio.wait_for(done, TIMEOUT) is not None:
                break
        except TimeoutError:
            break
        accepted += 1
    sock.destroy()
    ok = await healthy(host, port)
    limit = int(tls.CLIENT_RENEG_LIMIT)
    return Result("reneg_flood", accepted <= limit and ok,
                  f"{accepted} of {attempts} renegotiations accepted (limit {limit}); "
                  f"client errors={sorted(set(errors))}; healthy={ok}")


async def probe_ccs_injection(host: str, port: int) -> Result:
    reader, writer = await open_raw(host, port)
    try:
        writer.write(client_hello())
        first = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        writer.write(struct.pack("!BHHB", 20, 0x0303, 1, 1))  # ChangeCipherSpec, too early
        writer.write(struct.pack("!BHH", 22, 0x0303, 40) + os.urandom(40))  # a bogus Finished
        data, closed = await read_until_closed(reader)
    finally:
        writer.transport.abort()
    return closed_result("ccs_injection", first + data, closed and bool(first),
                         await healthy(host, port), want="unexpected_message")


async def probe_heartbleed(host: str, port: int) -> Result:
    heartbeat = struct.pack("!BHHBH", 24, 0x0303, 3, 1, 0x4000)  # asks for 16 KiB back
    reader, writer = await open_raw(host, port)
    try:
        writer.write(client_hello() + heartbeat)
        data, closed = await read_until_closed(reader)
    finally:
        writer.transport.abort()
    beats = sum(kind == 24 for kind, _ in records(data))
    ok = await healthy(host, port)
    return Result("heartbleed", beats == 0 and ok,
                  f"heartbeat records back={beats}; closed={closed} "
                  f"alerts={','.join(alerts(data)) or 'none'}; healthy={ok}")


PROBES: dict[str, Callable[[str, int], Awaitable[Result]]] = {
    "garbage": probe_garbage,
    "http": probe_http,
    "slowloris": probe_slowloris,
    "half_open": probe_half_open,
    "rst_mid_stream": probe_rst_mid_stream,
    "oversized_record": probe_oversized_record,
    "empty_records": probe_empty_records,
    "handshake_flood": probe_handshake_flood,
    "reneg_flood": probe_reneg_flood,
    "ccs_injection": probe_ccs_injection,
    "heartbleed": probe_heartbleed,
}


async def run(host: str, port: int, names: list[str]) -> list[Result]:
    results = []
    for name in names:
        try:
            result = await PROBES[name](host, port)
        except Exception as exc:  # a probe that cannot run is a failure, with its reason
            result = Result(name, False, f"probe error: {exc!r}")
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="HOST:PORT of a TLS echo server")
    parser.add_argument("--only", help="comma-separated probe names")
    parser.add_argument("--json", action="store_true", help="one JSON object at the end")
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    names = args.only.split(",") if args.only else list(PROBES)
    results = asyncio.run(run(host or "127.0.0.1", int(port), names))
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'}  {r.name:<17} {r.detail}", flush=True)
    passed = sum(r.passed for r in results)
    print(f"{passed} of {len(results)} probes passed")
    if args.json:
        print(json.dumps({r.name: {"passed": r.passed, "detail": r.detail} for r in results}))


if __name__ == "__main__":
    main()
