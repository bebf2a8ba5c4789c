"""Peers that fail: vanishing at every handshake flight and mid-record, and a reader that stops.

The dying peer is Python's ``ssl`` over a raw socket (``faultlab.py``), cut after k whole
flights, optionally after half of the next record, with a FIN or a TCP reset.  Whatever the
cut, nodetls closes the connection (the server counts no connection, no fd is left over)
and reports what Node v20 reports in the same scenario.  The reference was taken by running
``faultlab.py`` against a Node v20 server and client (``tls.createServer``/``tls.connect``
printing their events) for every cut of this file:

* a FIN before the handshake completes: the server emits ``'tlsClientError'`` ECONNRESET
  "socket hang up"; the client emits ``'error'`` ECONNRESET "Client network socket
  disconnected before secure TLS connection was established" and ``'close'`` (hadError);
* a FIN after it (even in the middle of a record): ``'end'`` then ``'close'``, no error;
* a reset: ECONNRESET whenever an error is reported; which message ("read ECONNRESET", or
  one of the two above when the reset lands after the bytes were read) and whether one is
  reported once the handshake is done depends on when the RST overtakes the data, for Node
  as for nodetls.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

import nodetls as tls
from tests.support.certs import Certs
from tests.support.events import wait
from tests.tls.faultlab import Cut, client_thread, peer_context, server_thread
from tests.tls.tlsutil import serving

VERSIONS = ("TLSv1.2", "TLSv1.3")
CUTS = [Cut(flights, partial, how)
        for flights in (0, 1, 2) for partial in (False, True) for how in ("fin", "rst")]
HANG_UP = "socket hang up"
DISCONNECTED = ("Client network socket disconnected before secure TLS connection was "
                "established")
READ_RESET = "read ECONNRESET"


def open_fds() -> int:
    """Sockets this process holds (uvloop opens /dev/null once, on its first connection)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


async def fds_settle(baseline: int) -> int:
    """The fd count once the loop has run the pending closes (a few turns, no clock)."""
    for _ in range(50):
        if open_fds() == baseline:
            break
        await asyncio.sleep(0)
    return open_fds()


def connections(server: tls.Server) -> asyncio.Future[int]:
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server.get_connections(lambda err, n: future.set_result(n))
    return future


def completes(role: str, version: str, cut: Cut) -> bool:
    """Does nodetls (in ``role``) see the whole handshake before the peer dies?"""
    if role == "client" and version == "TLSv1.3":
        return cut.flights >= 1  # the server's first flight ends with its Finished
    return cut.flights >= 2


def check_error(error: BaseException | None, cut: Cut, complete: bool, before: str) -> None:
    if cut.how == "fin":
        if complete:
            assert error is None
        else:
            assert getattr(error, "code", None) == "ECONNRESET", error
            assert str(error) == before
        return
    if error is not None:
        assert getattr(error, "code", None) == "ECONNRESET", error
        assert str(error) in (READ_RESET, before, HANG_UP, DISCONNECTED)
    if not complete:
        assert error is not None


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("cut", CUTS, ids=str)
async def test_client_vanishes(certs: Certs, uncaught: list[BaseException],
                               version: str, cut: Cut) -> None:
    loop = asyncio.get_running_loop()
    errors: list[BaseException] = []
    closed: asyncio.Future[Any] = loop.create_future()
    secured: list[tls.TLSSocket] = []

    def watch(sock: tls.TLSSocket) -> None:
        sock.on("close", lambda *_: closed.done() or closed.set_result(None))

    def on_secure(sock: tls.TLSSocket) -> None:
        secured.append(sock)
        sock.on("data", lambda _: None)
        sock.on("error", errors.append)

    def on_client_error(err: BaseException, sock: tls.TLSSocket) -> None:
        errors.append(err)

    async with serving(on_secure, key=certs.key, cert=certs.cert, min_version=version,
                       max_version=version) as (server, port):
        server.on("connection", watch)
        server.on("tlsClientError", on_client_error)
        baseline = open_fds()
        peer = client_thread(port, peer_context(False, version), cut)
        await wait(closed, "server-side 'close'")
        await wait(asyncio.to_thread(peer.join), "the peer thread")
        assert await wait(connections(server), "get_connections") == 0
        assert await fds_settle(baseline) == baseline
    complete = completes("server", version, cut)
    if cut.how == "fin":
        assert bool(secured) == complete
    assert len(errors) <= 1
    check_error(errors[0] if errors else None, cut, complete, HANG_UP)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("cut", CUTS, ids=str)
async def test_server_vanishes(certs: Certs, uncaught: list[BaseException], tmp_path: Path,
                               version: str, cut: Cut) -> None:
    (tmp_path / "cert.pem").write_bytes(certs.cert)
    (tmp_path / "key.pem").write_bytes(certs.key)
    ctx = peer_context(True, version, str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    loop = asyncio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        baseline = open_fds()
        peer = server_thread(listener, ctx, cut)
        events: list[str] = []
        errors: list[BaseException] = []
        closed: asyncio.Future[bool] = loop.create_future()
        sock = tls.connect(listener.getsockname()[1], "127.0.0.1", ca=certs.ca,
                           servername="localhost", min_version=version, max_version=version)
        sock.on("secureConnect", lambda: events.append("secureConnect"))
        sock.on("data", lambda _: None)
        sock.on("end", lambda: events.append("end"))
        sock.on("error", errors.append)
        sock.on("close", lambda had_error: closed.set_result(had_error))
        had_error = await wait(closed, "client 'close'")
        await wait(asyncio.to_thread(peer.join), "the peer thread")
        assert sock.destroyed
        assert await fds_settle(baseline) == baseline
    complete = completes("client", version, cut)
    if cut.how == "fin":
        assert events == (["secureConnect", "end"] if complete else ["end"])
    assert len(errors) <= 1
    assert had_error is bool(errors)
    check_error(errors[0] if errors else None, cut, complete, DISCONNECTED)


def stalled_reader(port: int, ready: threading.Event, release: threading.Event,
                   received: list[int]) -> threading.Thread:
    """A TLS client that completes the handshake, reads nothing until ``release``, then
    reads everything to EOF (counting the bytes into ``received``)."""

    def run() -> None:
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small TCP window
        raw.connect(("127.0.0.1", port))
        with peer_context(False, "TLSv1.3").wrap_socket(raw) as sock:
            sock.settimeout(10)
            ready.set()
            release.wait(10)
            total = 0
            while chunk := sock.recv(65536):
                total += len(chunk)
            received.append(total)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def test_a_reader_that_stops_reading_bounds_the_senders_buffer(certs: Certs) -> None:
    """nodejs/node#5469: a sender that honours backpressure holds at most
    ``high_water_mark`` plus one record, however long the peer does not read.  As in
    Node, a write completes only once the kernel has its bytes, so ciphertext waiting
    in the transport is one record at most and still counts in ``writable_length``."""
    chunk = b"z" * 16384
    hwm = 16384
    loop = asyncio.get_running_loop()
    stalled: asyncio.Future[tls.TLSSocket] = loop.create_future()
    samples: list[tuple[int, int]] = []
    written = 0

    def on_secure(sock: tls.TLSSocket) -> None:
        def pump() -> None:
            nonlocal written
            handle = sock._handle
            assert handle is not None
            samples.append((sock.writable_length, handle.write_queue_size))
            while True:
                written += len(chunk)
                if not sock.write(chunk):
                    break
            samples.append((sock.writable_length, handle.write_queue_size))
            if handle.inner._write_paused and not stalled.done():
                stalled.set_result(sock)

        sock.on("drain", pump)
        pump()

    ready, release, received = threading.Event(), threading.Event(), []
    async with serving(on_secure, key=certs.key, cert=certs.cert,
                       high_water_mark=hwm) as (_server, port):
        reader = stalled_reader(port, ready, release, received)
        sock = await wait(stalled, "the transport to ask for backpressure")
        release.set()
        sock.end()
        await wait(asyncio.to_thread(reader.join), "the reader")
    assert received == [written]
    record = len(chunk) + 256  # a record's header, tag and padding
    assert max(length for length, _ in samples) <= hwm + len(chunk)
    assert max(queued for _, queued in samples) <= record
    assert all(length for length, queued in samples if queued)  # in flight, still counted
