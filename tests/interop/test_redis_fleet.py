"""A fleet of nodetls server processes sharing session state through a real Redis
(``examples/redis_fleet.py``, a short use of ``nodetls.fleet``): a session made on one
server resumes on another, by ticket (the fleet's key ring lives in Redis) and by
session id (``'newSession'`` / ``'resumeSession'`` backed by Redis, TLS 1.2 and 1.3),
with nodetls and Node clients; a key rotation reaches every server, and tickets from
before it still resume (the ring keeps the previous keys).  The servers stop on
SIGTERM (the example no longer watches its standard input).  ``tests/fleet/`` tests
the library itself in depth.

Redis listens on a unix socket in the test's directory (no port to race for); every
process is stopped by its own PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis

from tests.interop.resumelab import TIMEOUT, node_client, py_client
from tests.support.certs import Certs
from tests.support.procs import STDOUT, Peer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "redis_fleet.py"


@contextlib.asynccontextmanager
async def redis_server(tmp_path: Path) -> AsyncIterator[str]:
    """A real ``redis-server`` on a unix socket; yields its URL once it accepts clients."""
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (scripts/system-deps.sh installs it)"
    sock = tmp_path / "redis.sock"
    peer = await Peer.start(server, "--port", "0", "--unixsocket", str(sock), "--save", "",
                            "--appendonly", "no", stdin=False, stderr=STDOUT)
    proc = peer.proc
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            while b"ready to accept connections" not in (line := await proc.stdout.readline()):
                assert line, "redis-server exited"
        yield f"unix://{sock}"
    finally:
        await peer.stop()


class Fleet:
    """Servers from ``examples/redis_fleet.py`` around one Redis."""

    def __init__(self, url: str, certs: Certs, tmp_path: Path) -> None:
        self.url = url
        (tmp_path / "key.pem").write_bytes(certs.key)
        (tmp_path / "cert.pem").write_bytes(certs.cert)
        self.files = ("--key", str(tmp_path / "key.pem"), "--cert", str(tmp_path / "cert.pem"))
        self.servers: list[Peer] = []

    async def start(self, *flags: str) -> int:
        # A generous bound: a loaded test machine must not turn a slow reply into a miss.
        proc = await Peer.start(sys.executable, str(EXAMPLE), "serve", "--port", "0",
                                "--redis", self.url, "--redis-timeout", "1", *self.files,
                                *flags)
        self.servers.append(proc)
        return int((await proc.line())["port"])

    async def rotate(self) -> str:
        proc = await Peer.start(sys.executable, str(EXAMPLE), "rotate", "--redis", self.url)
        try:
            said = await proc.line()
        finally:
            await proc.stop()
        assert said["rotated"] is True
        name: str = said["ticket_keys"]
        return name

    async def stop(self) -> None:
        for proc in self.servers:
            proc.kill(signal.SIGTERM)
        await asyncio.gather(*(proc.stop() for proc in self.servers))
        assert all(proc.proc.returncode == 0 for proc in self.servers)


@contextlib.asynccontextmanager
async def redis_fleet(certs: Certs, tmp_path: Path) -> AsyncIterator[Fleet]:
    async with redis_server(tmp_path) as url:
        fleet = Fleet(url, certs, tmp_path)
        try:
            yield fleet
        finally:
            await fleet.stop()


async def connect(client: str, port: int, ca: bytes, version: str,
                  session: bytes | None = None) -> dict[str, Any]:
    """One connection by a nodetls or a Node client; sessions come back as bytes."""
    if client == "py":
        return await py_client(port, ca, session=session, max_version=version)
    said = await node_client(port, ca, session=session, max_version=version)
    return {**said, "sessions": [bytes.fromhex(s) for s in said["sessions"]]}


# Each mechanism with each client and each version once (tests/fleet/ crosses them all).
@pytest.mark.parametrize(("version", "client"), [("TLSv1.3", "node"), ("TLSv1.2", "py")])
async def test_tickets_resume_on_another_server(certs: Certs, tmp_path: Path, version: str,
                                                client: str) -> None:
    async with redis_fleet(certs, tmp_path) as fleet:
        await tickets_resume_on_another_server(fleet, certs, version, client)


async def tickets_resume_on_another_server(fleet: Fleet, certs: Certs, version: str,
                                           client: str) -> None:
    a, b = await asyncio.gather(fleet.start(), fleet.start())
    first = await connect(client, a, certs.ca, version)
    assert first["reused"] is False and first["protocol"] == version
    assert first["sessions"], "the client got a session to offer"
    second = await connect(client, b, certs.ca, version, first["sessions"][-1])
    assert second["reused"] is True


@pytest.mark.parametrize(("version", "client"), [("TLSv1.3", "py"), ("TLSv1.2", "node")])
async def test_session_ids_resume_on_another_server(certs: Certs, tmp_path: Path,
                                                    version: str, client: str) -> None:
    async with redis_fleet(certs, tmp_path) as fleet:
        await session_ids_resume_on_another_server(fleet, certs, version, client)


async def session_ids_resume_on_another_server(fleet: Fleet, certs: Certs, version: str,
                                               client: str) -> None:
    a, b = await asyncio.gather(fleet.start("--no-tickets"), fleet.start("--no-tickets"))
    first = await connect(client, a, certs.ca, version)
    assert first["reused"] is False and first["sessions"]
    async with redis.Redis.from_url(fleet.url) as store:
        stored = await store.keys("nodetls:session:*")
        assert stored, "the server put the session in Redis"
        assert 0 < await store.ttl(stored[0]) <= 300  # session_timeout
    second = await connect(client, b, certs.ca, version, first["sessions"][-1])
    assert second["reused"] is True


async def test_rotated_keys_reach_every_server(certs: Certs, tmp_path: Path) -> None:
    async with redis_fleet(certs, tmp_path) as fleet:
        await rotated_keys_reach_every_server(fleet, certs)


async def rotated_keys_reach_every_server(fleet: Fleet, certs: Certs) -> None:
    a, b = await asyncio.gather(fleet.start(), fleet.start())
    before = await py_client(a, certs.ca)
    name = await fleet.rotate()
    async with redis.Redis.from_url(fleet.url) as store:
        ring = await store.lrange("nodetls:ticket-keys", 0, -1)
        assert ring[1][:16].hex() == name  # [next, current, previous]
        assert len(ring) == 3
    kept = await py_client(b, certs.ca, session=before["sessions"][-1])
    assert kept["reused"] is True  # the ring still decrypts tickets from before
    after = await py_client(a, certs.ca)
    again = await py_client(b, certs.ca, session=after["sessions"][-1])
    assert again["reused"] is True


async def test_a_new_server_joins_with_the_fleets_keys(certs: Certs, tmp_path: Path) -> None:
    async with redis_fleet(certs, tmp_path) as fleet:
        a = await fleet.start()
        await fleet.rotate()
        first = await py_client(a, certs.ca)
        late = await fleet.start()  # reads the rotated keys from Redis
        second = await py_client(late, certs.ca, session=first["sessions"][-1])
        assert second["reused"] is True
