"""Worker processes on one port (``nodetls.fleet.run_workers``): tickets resume across
the workers (nodetls, Node and ``openssl s_client`` clients, TLS 1.2 and 1.3), session
ids resume across them through Redis, a killed worker is restarted with the same keys,
and SIGTERM with a half-open client still exits within the deadline."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.interop.resumelab import node_client, py_client
from tests.support.openssl import reused_line, s_client

from .conftest import Certs, FleetProc, fleet_procs, redis_server

# Worker processes start and restart slowly on a loaded machine: a wider bound than the
# suite's default (still far below pytest-timeout's 60 s).
pytestmark = pytest.mark.async_timeout(55)

VERSIONS = ["TLSv1.3", "TLSv1.2"]
ATTEMPTS = 24  # resumptions tried until one lands on the other worker (2**-24 to miss)


async def connect(client: str, port: int, certs: Certs, version: str, tmp: Path,
                  session: Any = None) -> tuple[bool, Any]:
    """One connection; (reused, what to resume with next time)."""
    if client == "py":
        said = await py_client(port, certs.ca, session=session, max_version=version)
        return said["reused"], (said["sessions"] or [session])[-1]  # TLS 1.2 resumed: none
    if client == "node":
        said = await node_client(port, certs.ca, session=bytes.fromhex(session) if session
                                 else None, max_version=version)
        return said["reused"], (said["sessions"] or [session])[-1]
    (tmp / "ca.pem").write_bytes(certs.ca)
    flag = "-tls1_3" if version == "TLSv1.3" else "-tls1_2"
    sess = str(tmp / "sess.pem")
    io = ("-sess_in", sess) if session else ("-sess_out", sess)
    line = reused_line(await s_client(port, flag, "-CAfile", str(tmp / "ca.pem"),
                                      "-servername", "localhost", *io))
    return line.startswith("Reused"), sess


async def resumes_on_both_workers(fleet: FleetProc, client: str, certs: Certs,
                                  version: str, tmp: Path) -> None:
    reused, session = await connect(client, fleet.port, certs, version, tmp)
    issuer = await fleet.said("worker")
    assert reused is False and issuer["protocol"] == version
    for _ in range(ATTEMPTS):
        reused, _ = await connect(client, fleet.port, certs, version, tmp, session)
        resumer = await fleet.said("worker")
        assert reused is True and resumer["reused"] is True, (client, resumer)
        if resumer["worker"] != issuer["worker"]:
            return
    raise AssertionError(f"no connection reached the other worker in {ATTEMPTS} tries")


@pytest.mark.parametrize("version", VERSIONS)
async def test_tickets_resume_across_workers(certs: Certs, tmp_path: Path,
                                             version: str) -> None:
    async with fleet_procs() as procs:
        procs.append(fleet := await FleetProc.start(certs, workers=2))
        for client in ("py", "node", "s_client"):
            await resumes_on_both_workers(fleet, client, certs, version, tmp_path)


@pytest.mark.parametrize("version", VERSIONS)
async def test_session_ids_resume_across_workers_through_redis(certs: Certs, tmp_path: Path,
                                                               version: str) -> None:
    async with redis_server() as redis, fleet_procs() as procs:
        procs.append(fleet := await FleetProc.start(certs, workers=2, redis=redis.url,
                                                    no_tickets=True))
        for client in ("py", "node", "s_client"):
            await resumes_on_both_workers(fleet, client, certs, version, tmp_path)


def pids_listening(fleet: FleetProc) -> dict[int, int]:
    return {int(line["log"].split()[1]): int(line["log"].rsplit(" ", 1)[1].rstrip(")"))
            for line in fleet.seen if "log" in line and " listening (pid " in line["log"]}


async def test_a_killed_worker_is_restarted_with_the_same_keys(certs: Certs) -> None:
    async with fleet_procs() as procs:
        procs.append(fleet := await FleetProc.start(certs, workers=2))
        pids = pids_listening(fleet)
        assert sorted(pids) == [0, 1], fleet.seen
        first = await py_client(fleet.port, certs.ca)
        os.kill(pids[0], signal.SIGKILL)
        assert "exited with status -9: restarting" in (await fleet.said("log", "worker 0"))["log"]
        again = await fleet.said("log", "listening again")
        assert again["log"].startswith("worker 0 listening again (pid ")
        assert str(pids[0]) not in again["log"]
        for _ in range(4):  # whichever worker answers, the old ticket still resumes
            assert (await py_client(fleet.port, certs.ca, session=first["sessions"][-1]))[
                "reused"] is True


async def test_sigterm_with_a_half_open_client_stops_within_the_deadline(certs: Certs) -> None:
    async with fleet_procs() as procs:
        procs.append(fleet := await FleetProc.start(certs, workers=2, deadline=1.0))
        loop = asyncio.get_running_loop()
        idle = socket.create_connection(("127.0.0.1", fleet.port))
        half = socket.create_connection(("127.0.0.1", fleet.port))
        try:
            half.shutdown(socket.SHUT_WR)
            idle.sendall(b"\x16\x03\x01")  # a ClientHello's first bytes, then nothing
            started = loop.time()
            assert await fleet.stop() == 0
            assert loop.time() - started < 10  # 1 s deadline + process exits, far below
        finally:
            idle.close()
            half.close()


async def test_a_worker_that_cannot_start_fails_the_start(certs: Certs) -> None:
    """A worker that dies before it ever listened (here: a bad key) is a configuration
    error: the supervisor stops, returns 1, and restarts nothing."""
    bad = Certs(certs.ca, b"not a key", certs.cert, certs.client_key, certs.client_cert)
    async with fleet_procs() as procs:
        procs.append(proc := await FleetProc.spawn(bad, workers=2))
        assert (await proc.said("stopped"))["stopped"] is True  # no "port": never ready
        assert await asyncio.wait_for(proc.proc.wait(), 15) == 1
        logs = [line.get("log", "") for line in proc.seen]
        assert any("before listening: stopping" in line for line in logs), logs
        assert not any("restarting" in line for line in logs), logs
