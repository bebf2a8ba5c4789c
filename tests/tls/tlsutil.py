"""Helpers for the TLSSocket / Server / connect tests: certificates, events, real peers.

* ``Certs``: PEM bytes of a trustme CA and leaf certificates (made at test time).
* ``event(emitter, name)`` / ``wait(...)``: futures on events, always time-bounded.
* ``node_peer(script, **env)``: runs ``node -e script`` as a subprocess (bounded, killed
  by its own PID) and returns the JSON object it prints last on stdout.
* ``uncaught``: a fixture collecting exceptions that escaped into the loop (Node's
  'uncaughtException'); tests that import it fail if any are left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import trustme

import nodetls as tls
from nodetls.node import scheduling
from nodetls.node.events import EventEmitter

NODE = shutil.which("node") or "node"
OPENSSL = shutil.which("openssl") or "openssl"
EVENT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Certs:
    ca: bytes
    key: bytes
    cert: bytes
    client_key: bytes
    client_cert: bytes


def certs_of(ca: trustme.CA, server: trustme.LeafCert, client: trustme.LeafCert) -> Certs:
    return Certs(
        ca=ca.cert_pem.bytes(),
        key=server.private_key_pem.bytes(),
        cert=b"".join(p.bytes() for p in server.cert_chain_pems),
        client_key=client.private_key_pem.bytes(),
        client_cert=b"".join(p.bytes() for p in client.cert_chain_pems),
    )


@pytest.fixture
def certs(ca: trustme.CA, server_cert: trustme.LeafCert, client_cert: trustme.LeafCert) -> Certs:
    return certs_of(ca, server_cert, client_cert)


@pytest.fixture
def uncaught() -> Iterator[list[BaseException]]:
    caught: list[BaseException] = []
    previous = scheduling.set_uncaught_exception_hook(caught.append)
    try:
        yield caught
    finally:
        scheduling.set_uncaught_exception_hook(previous)
    assert not caught, f"uncaught exceptions in callbacks: {caught!r}"


def event(emitter: EventEmitter, name: str) -> asyncio.Future[tuple[Any, ...]]:
    """A future for the arguments of the next ``name`` event of ``emitter``."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def listener(*args: Any) -> None:
        if not future.done():
            future.set_result(args)

    emitter.once(name, listener)
    return future


async def wait(awaitable: Any, what: str = "event", timeout: float = EVENT_TIMEOUT) -> Any:
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def collect(sock: EventEmitter) -> bytes:
    """All data until 'end' (or 'close')."""
    chunks: list[bytes] = []
    sock.on("data", chunks.append)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    for name in ("end", "close"):
        sock.once(name, lambda *_: done.done() or done.set_result(None))
    await wait(done, "'end'")
    return b"".join(chunks)


@contextlib.asynccontextmanager
async def serving(listener: Any = None, **options: Any) -> AsyncIterator[tuple[tls.Server, int]]:
    """A listening ``tls.Server`` on 127.0.0.1; closed (connections destroyed) at exit."""
    server = tls.create_server(listener, **options)
    sockets: list[Any] = []
    server.on("secureConnection", sockets.append)
    await server.listen(0, "127.0.0.1")
    address = server.address()
    assert isinstance(address, dict)
    try:
        yield server, int(address["port"])  # type: ignore[arg-type]
    finally:
        server.close()
        for sock in sockets:
            sock.destroy()
        await wait(server.wait_closed(), "server close")


class Peer:
    """A subprocess peer, bounded in time and stopped by its own PID."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def result(self, timeout: float = 10.0) -> dict[str, Any]:
        try:
            out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        except TimeoutError:
            self.kill()
            raise AssertionError("peer process timed out") from None
        lines = [line for line in out.decode().splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"peer printed no JSON; rc={self.proc.returncode} "
                                 f"stderr={err.decode()[-2000:]}")
        return json.loads(lines[-1])  # type: ignore[no-any-return]

    async def output(self, timeout: float = 10.0,
                     stdin: bytes | None = None) -> tuple[bytes, bytes]:
        try:
            return await asyncio.wait_for(self.proc.communicate(stdin), timeout)
        except TimeoutError:
            self.kill()
            raise AssertionError("peer process timed out") from None

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, 9)

    async def stop(self) -> None:
        """Kill (by PID) if still running, and reap it."""
        self.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.communicate(), 5)


async def node_peer(script: str, **env: str) -> Peer:
    """``node -e script``; ``env`` values are passed as environment variables."""
    proc = await asyncio.create_subprocess_exec(
        NODE, "-e", script,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **env},
    )
    return Peer(proc)


async def process_peer(*argv: str, stdin: bool = False) -> Peer:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    return Peer(proc)
