"""The fleet from the command line: ``python -m nodetls server --workers 2 --redis URL``
and ``python -m nodetls fleet rotate --redis URL``; a scheduled rotation
(``--rotate-ticket-keys``); a session saved by the CLI client resumes on the fleet."""

from __future__ import annotations

import asyncio
import collections
import re
from pathlib import Path

import pytest

from tests.cli.conftest import NODETLS, Background, nodetls

from .conftest import Certs, redis_server

# Worker processes start and restart slowly on a loaded machine: a wider bound than the
# suite's default (still far below pytest-timeout's 60 s).
pytestmark = pytest.mark.async_timeout(55)


def start_fleet(certs: Certs, tmp_path: Path, *flags: str) -> tuple[Background, int]:
    (tmp_path / "key.pem").write_bytes(certs.key)
    (tmp_path / "cert.pem").write_bytes(certs.cert)
    proc = Background([*NODETLS, "server", "--port", "0", "--key", str(tmp_path / "key.pem"),
                       "--cert", str(tmp_path / "cert.pem"), "--deadline", "1",
                       "--redis-timeout", "1", *flags])
    port = int(proc.expect(r"^listening on 127\.0\.0\.1:(\d+) with 2 workers").group(1))
    return proc, port


def applied_keys(proc: Background, count: int) -> list[str]:
    """The key names of the next ``count`` "ticket keys applied" lines (first: current)."""
    return [proc.expect(r"^ticket keys applied: (\w+)").group(1) for _ in range(count)]


async def test_fleet_rotate_reaches_every_worker(certs: Certs, tmp_path: Path) -> None:
    async with redis_server() as redis:
        server, port = start_fleet(certs, tmp_path, "--workers", "2", "--redis", redis.url)
        try:
            before = [m.group(1) for line in server.seen  # printed before "listening on"
                      if (m := re.match(r"ticket keys applied: (\w+)", line))]
            assert len(before) == 2
            assert before[0] == before[1]  # both workers serve the fleet's ring
            done = await asyncio.to_thread(nodetls, "fleet", "rotate", "--redis", redis.url)
            assert done.returncode == 0, done.stderr
            said = done.stdout.decode()
            current = re.search(r"tickets now encrypted under key (\w+)", said)
            assert current, said
            assert applied_keys(server, 2) == [current.group(1)] * 2
            assert current.group(1) != before[0]
            (tmp_path / "ca.pem").write_bytes(certs.ca)
            client = [*NODETLS, "client", f"127.0.0.1:{port}", "--ca", str(tmp_path / "ca.pem"),
                      "--servername", "localhost"]
            sess = str(tmp_path / "session.bin")
            first = await asyncio.to_thread(nodetls, *client[3:], "--session-out", sess,
                                            input=b"hi\n")
            assert first.returncode == 0 and first.stdout == b"hi\n", first.stderr
            for _ in range(3):  # whichever worker answers
                again = await asyncio.to_thread(nodetls, *client[3:], "--session-in", sess,
                                                input=b"hi\n")
                assert b"session reused: yes" in again.stderr, again.stderr
        finally:
            server.close()
        server.expect(r"^stopping$")


async def test_scheduled_rotation(certs: Certs, tmp_path: Path) -> None:
    async with redis_server() as redis:
        server, _ = start_fleet(certs, tmp_path, "--workers", "2", "--redis", redis.url,
                                "--rotate-ticket-keys", "1")
        try:
            first = [m.group(1) for line in server.seen
                     if (m := re.match(r"ticket keys applied: (\w+)", line))]
            # Rotations follow every second; wait until both workers applied one of them
            # (a busy worker may skip straight to a later ring: that is fine too).
            seen: collections.Counter[str] = collections.Counter()
            while not any(n == 2 for key, n in seen.items() if key != first[0]):
                seen.update(applied_keys(server, 1))
                assert sum(seen.values()) < 20, seen
        finally:
            server.close()


def test_fleet_rotate_without_redis_is_an_error() -> None:
    done = nodetls("fleet", "rotate", "--redis", "redis://127.0.0.1:1")
    assert done.returncode == 1
    last = done.stderr.decode().splitlines()[-1]
    assert last.startswith("error: ERR_FLEET_ROTATE: could not rotate the ticket keys"), last


def test_a_bad_certificate_is_one_error_from_the_parent(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(b"not a key")
    (tmp_path / "cert.pem").write_bytes(b"not a certificate")
    done = nodetls("server", "--port", "0", "--workers", "2", "--key",
                   str(tmp_path / "key.pem"), "--cert", str(tmp_path / "cert.pem"))
    assert done.returncode == 1
    assert done.stderr.decode().startswith("error: ERR_"), done.stderr
    assert b"listening on" not in done.stdout
