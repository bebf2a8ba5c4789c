"""Separate servers sharing one Redis (``RedisTicketRing``, ``RedisSessionStore``):
resumption across them by ticket and by session id (nodetls, Node, ``openssl
s_client``; TLS 1.2 and 1.3), a rotation in the middle of a run that fails no
resumption, and Redis going slow (SIGSTOP) and away (killed) mid-run: no failed
handshake, none waiting past the bound, one log line each way, and resumption back
once Redis returns."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

import nodetls as tls
from nodetls import fleet
from tests.interop.resumelab import py_client

from .conftest import Certs, FleetProc, fleet_procs, redis_server
from .test_workers import VERSIONS, connect

# Worker processes start and restart slowly on a loaded machine: a wider bound than the
# suite's default (still far below pytest-timeout's 60 s).
pytestmark = pytest.mark.async_timeout(55)

# A handshake that waited for a stopped Redis would wait forever (a killed one: until
# the connection is refused).  The outage test sets the bound to 0.3 s (the default is
# 50 ms: tens of milliseconds would be noise on a loaded test machine); a handshake
# must end well within this limit, which only has to separate "bounded" from "stalled".
OUTAGE_BOUND = 0.3
NO_STALL = 3.0


@pytest.mark.parametrize("version", VERSIONS)
async def test_resumption_across_two_servers(certs: Certs, tmp_path: Path,
                                             version: str) -> None:
    async with redis_server() as redis, fleet_procs() as procs:
        procs.extend(await asyncio.gather(
            FleetProc.start(certs, redis=redis.url), FleetProc.start(certs, redis=redis.url),
            FleetProc.start(certs, redis=redis.url, no_tickets=True),
            FleetProc.start(certs, redis=redis.url, no_tickets=True)))
        by_ticket, by_id = procs[:2], procs[2:]
        for a, b in (by_ticket, by_id):
            for client in ("py", "node", "s_client"):
                reused, session = await connect(client, a.port, certs, version, tmp_path)
                assert reused is False
                reused, _ = await connect(client, b.port, certs, version, tmp_path, session)
                assert reused is True, (client, a is by_ticket[0])


async def test_a_rotation_mid_run_fails_no_resumption(certs: Certs, tmp_path: Path) -> None:
    async with redis_server() as redis, fleet_procs() as procs:
        procs.extend(await asyncio.gather(FleetProc.start(certs, redis=redis.url),
                                          FleetProc.start(certs, redis=redis.url)))
        a, b = procs
        before = await py_client(a.port, certs.ca)
        sessions = [before["sessions"][-1]]
        first_key = await ticket_key_name(a, certs)
        current = first_key
        for step in range(8):
            if step == 4:  # a rotation, as `python -m nodetls fleet rotate` makes it
                current = await rotate(redis.url)
            issuer, resumer = (a, b) if step % 2 else (b, a)
            issued = await py_client(issuer.port, certs.ca)
            sessions.append(issued["sessions"][-1])
            again = await py_client(resumer.port, certs.ca, session=issued["sessions"][-1])
            assert again["reused"] is True, f"step {step}"
        for server in (a, b):  # both applied the rotation: new tickets under the new key
            assert (await server.said("log", f"ticket keys applied: {current.hex()}"))
            assert await ticket_key_name(server, certs) == current
        assert current != first_key
        for session in sessions:  # every ticket of the run, before the rotation too
            for server in (a, b):
                assert (await py_client(server.port, certs.ca, session=session))["reused"]


async def ticket_key_name(server: FleetProc, certs: Certs) -> bytes:
    """The name of the key a server's new tickets are under (TLS 1.2: the ticket is
    known at ``'secureConnect'``; its first 16 bytes are the key name, Node's layout)."""
    ticket = (await py_client(server.port, certs.ca, max_version="TLSv1.2"))["ticket"]
    assert isinstance(ticket, bytes)
    return ticket[:16]


async def rotate(url: str) -> bytes:
    """Rotate the fleet's ring; the name of the key that now encrypts."""
    link = fleet.RedisLink(url, timeout=2.0)
    try:
        ring = fleet.RedisTicketRing(link)
        assert await ring.rotate()
        await ring.reload()
        return ring.keys[0][:16]
    finally:
        await link.aclose()


async def handshakes_do_not_wait(servers: list[FleetProc], certs: Certs) -> None:
    loop = asyncio.get_running_loop()
    for server in servers * 2:
        started = loop.time()
        said = await py_client(server.port, certs.ca, max_version="TLSv1.2")
        assert said["protocol"] == "TLSv1.2"
        assert loop.time() - started < NO_STALL


async def resumes_across(a: FleetProc, b: FleetProc, certs: Certs) -> bool:
    first = await py_client(a.port, certs.ca, max_version="TLSv1.2")
    second = await py_client(b.port, certs.ca, session=first["sessions"][-1],
                             max_version="TLSv1.2")
    return bool(second["reused"])


async def test_redis_slow_then_gone_then_back(certs: Certs) -> None:
    async with redis_server() as redis, fleet_procs() as procs:
        procs.extend(await asyncio.gather(
            FleetProc.start(certs, redis=redis.url, no_tickets=True,
                            redis_timeout=OUTAGE_BOUND),
            FleetProc.start(certs, redis=redis.url, no_tickets=True,
                            redis_timeout=OUTAGE_BOUND)))
        a, b = procs
        assert await resumes_across(a, b, certs)
        assert redis.proc is not None
        os.kill(redis.proc.pid, signal.SIGSTOP)  # slow: connected, never answering
        try:
            await handshakes_do_not_wait(procs, certs)
            for server in procs:
                assert "unreachable" in (await server.said("log", "Redis at"))["log"]
        finally:
            os.kill(redis.proc.pid, signal.SIGCONT)
        for server in procs:
            assert "reachable again" in (await server.said("log", "Redis at"))["log"]
        assert await resumes_across(a, b, certs)
        await redis.stop()  # gone: connections refused
        await handshakes_do_not_wait(procs, certs)
        for server in procs:
            assert "unreachable" in (await server.said("log", "Redis at"))["log"]
        await redis.start()  # back, same port, empty
        for server in procs:
            assert "reachable again" in (await server.said("log", "Redis at"))["log"]
        assert await resumes_across(a, b, certs)
        for server in procs:  # one line per outage and one per recovery, no more
            logged = [line["log"] for line in server.seen if "Redis at" in line.get("log", "")]
            assert len(logged) == 4, logged


async def test_the_library_refuses_bad_settings() -> None:
    link = fleet.RedisLink("redis://127.0.0.1:1")
    try:
        with pytest.raises(ValueError, match="keep must be at least 1"):
            fleet.RedisTicketRing(link, keep=0)
        with pytest.raises(ValueError, match="rotate_every must be a positive"):
            fleet.RedisTicketRing(link, rotate_every=0)
        with pytest.raises(ValueError, match="lifetime must be a positive"):
            fleet.RedisSessionStore(link, lifetime=0)
        # Nothing listens on port 1: the link answers None at once and goes DOWN.
        assert await link.run(lambda redis: redis.get("x")) is None
        assert link.state is fleet.LinkState.DOWN
        assert tls.Server is not None
    finally:
        await link.aclose()


async def test_one_rotation_at_a_time_and_keep_bounds_the_ring() -> None:
    async with redis_server() as redis:
        link = fleet.RedisLink(redis.url, timeout=2.0)
        try:
            ring = fleet.RedisTicketRing(link, keep=2)
            assert await ring.rotate()  # an empty ring: [next, current]
            assert len(await link.client.lrange(ring.name, 0, -1)) == 2
            await link.client.set(ring.name + ":lock", "another process", px=5000)
            assert await ring.rotate() is False  # the lock is held elsewhere
            await link.client.delete(ring.name + ":lock")
            for _ in range(4):
                assert await ring.rotate()
            stored = await link.client.lrange(ring.name, 0, -1)
            assert len(stored) == 3  # next + keep
            assert await ring.rotate(if_older_than=3600) is False  # rotated just now
            await ring.reload()
            assert ring.keys == [stored[1], stored[0], stored[2]]  # current, next, previous
        finally:
            await link.aclose()


async def test_a_server_that_missed_a_rotation_rereads_the_ring(certs: Certs) -> None:
    """Redis drops the servers' subscriptions (``CLIENT KILL TYPE pubsub``) and a
    rotation is published while nobody listens: each server re-reads the ring when it
    subscribes again, so it applies the rotation all the same."""
    async with redis_server() as redis, fleet_procs() as procs:
        procs.append(server := await FleetProc.start(certs, redis=redis.url))
        link = fleet.RedisLink(redis.url, timeout=2.0)
        try:
            assert await link.client.client_kill_filter(_type="pubsub") >= 1
            assert await link.client.pubsub_numsub("nodetls:ticket-keys") == [
                (b"nodetls:ticket-keys", 0)]
            current = await rotate(redis.url)  # published to no one
        finally:
            await link.aclose()
        await server.said("log", f"ticket keys applied: {current.hex()}")
        assert await ticket_key_name(server, certs) == current
