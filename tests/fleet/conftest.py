"""Fixtures for the fleet tests: a real ``redis-server``, and fleet member processes.

* ``redis``: ``redis-server`` on a free TCP port (no persistence), stopped by its PID;
  ``stop()``/``start()`` take it away and bring it back on the same port mid-test.
* ``FleetProc``: ``fleet_server.py`` (a fleet member written on ``nodetls.fleet``, as an
  application would) speaking JSON lines; stopped by SIGTERM, killed by PID if it hangs.

``certs`` is ``tests/conftest.py``'s; the clients come from ``tests/interop/resumelab.py``.
Every process is started and stopped (by its PID) with ``tests.support.procs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.certs import Certs, free_port
from tests.support.procs import STDOUT, Peer, kill, reap

HERE = Path(__file__).resolve().parent

__all__ = ["Certs", "FleetProc", "RedisServer", "redis_server"]

TIMEOUT = 30.0  # a bound for a process to start or answer; generous for a loaded machine
SERVER = str(HERE / "fleet_server.py")


class RedisServer:
    """A real ``redis-server`` on 127.0.0.1:port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (scripts/system-deps.sh installs it)"
        self.proc = (await Peer.start(
            binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", stdin=False, stderr=STDOUT)).proc
        assert self.proc.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            while b"eady to accept connections" not in (line := await self.proc.stdout.readline()):
                assert line, "redis-server exited"

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        await reap(proc)


@contextlib.asynccontextmanager
async def redis_server() -> AsyncIterator[RedisServer]:
    server = RedisServer()
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


class FleetProc:
    """One ``fleet_server.py`` process (one server, or a supervisor and its workers)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.port = 0
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def spawn(cls, certs: Certs, **cfg: Any) -> FleetProc:
        """The process, not yet listening (see ``start``)."""
        config = {"key": certs.key.decode(), "cert": certs.cert.decode(), **cfg}
        peer = await Peer.start(sys.executable, SERVER, json.dumps(config), stdin=False)
        return cls(peer.proc)

    @classmethod
    async def start(cls, certs: Certs, **cfg: Any) -> FleetProc:
        """The process once it listens (stopped by its PID if it never does)."""
        self = await cls.spawn(certs, **cfg)
        try:
            self.port = int((await self.said("port"))["port"])
        except BaseException:
            await self.stop()
            raise
        return self

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), TIMEOUT)
        if not raw:
            err = await self.proc.stderr.read() if self.proc.stderr else b""
            raise AssertionError(f"fleet server exited: {err.decode()[-3000:]}")
        value: dict[str, Any] = json.loads(raw)
        self.seen.append(value)
        return value

    async def said(self, key: str, contains: str = "") -> dict[str, Any]:
        """The next line with ``key`` (whose text contains ``contains``)."""
        while True:
            value = await self.line()
            if key in value and contains in str(value[key]):
                return value

    async def stop(self) -> int:
        """SIGTERM, ``TIMEOUT`` seconds to exit, then SIGKILL (both by PID); the exit code."""
        proc = self.proc
        kill(proc, signal.SIGTERM)
        await reap(proc, TIMEOUT)
        return proc.returncode if proc.returncode is not None else -1


@contextlib.asynccontextmanager
async def fleet_procs() -> AsyncIterator[list[FleetProc]]:
    """Processes appended to the yielded list are all stopped at the end."""
    procs: list[FleetProc] = []
    try:
        yield procs
    finally:
        await asyncio.gather(*(proc.stop() for proc in procs), return_exceptions=True)
