"""Subprocess peers: spawned, bounded in time, stopped by their own PID.

``Peer.start(*argv)`` runs a program with pipes; every read is bounded (``line``,
``result``, ``output``) and fails the test with what the peer said on stderr.  ``stop()``
closes stdin (a peer that runs "until stdin closes" exits on its own), waits a moment,
then kills by PID and reaps; tests call it in ``finally`` (or use ``running``).
Synchronous tests use ``subprocess.Popen`` and ``stop_popen``, the same rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Mapping
from typing import Any

TIMEOUT = 10.0
GRACE = 3.0
PIPE = asyncio.subprocess.PIPE
DEVNULL = asyncio.subprocess.DEVNULL
STDOUT = asyncio.subprocess.STDOUT


def kill(proc: asyncio.subprocess.Process, sig: int = signal.SIGKILL) -> None:
    """Signal ``proc`` by its PID unless it has been reaped already."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)


async def reap(proc: asyncio.subprocess.Process, grace: float = 0.0) -> None:
    """Let ``proc`` exit within ``grace`` seconds, else kill it by PID; then wait for it."""
    if grace > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
    kill(proc)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(proc.communicate(), TIMEOUT)


class Peer:
    """A subprocess peer, bounded in time and stopped by its own PID."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, *argv: str, env: Mapping[str, str] | None = None, stdin: bool = True,
                    stderr: int = PIPE, cwd: str | None = None,
                    base_env: Mapping[str, str] | None = None) -> Peer:
        """``env`` is added to ``base_env`` (by default ``os.environ``)."""
        base = os.environ if base_env is None else base_env
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=PIPE if stdin else DEVNULL, stdout=PIPE, stderr=stderr,
            env={**base, **(env or {})}, cwd=cwd,
        )
        return cls(proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def line(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next stdout line, a JSON object."""
        assert self.proc.stdout is not None
        try:
            raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.proc.pid} said nothing for {timeout}s") from None
        if not raw:
            err = await self.proc.stderr.read() if self.proc.stderr else b""
            raise AssertionError(f"process {self.proc.pid} exited: {err.decode()[-2000:]}")
        value = json.loads(raw)
        assert isinstance(value, dict)
        return value

    async def output(self, timeout: float = TIMEOUT,
                     stdin: bytes | None = None) -> tuple[bytes, bytes]:
        """Everything the peer writes until it exits (after ``stdin``, if given)."""
        try:
            return await asyncio.wait_for(self.proc.communicate(stdin), timeout)
        except TimeoutError:
            self.kill()
            raise AssertionError("peer process timed out") from None

    async def result(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The last JSON object the peer prints on stdout before it exits."""
        out, err = await self.output(timeout)
        lines = [line for line in out.decode().splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"peer printed no JSON; rc={self.proc.returncode} "
                                 f"stderr={err.decode()[-2000:]}")
        return json.loads(lines[-1])  # type: ignore[no-any-return]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        kill(self.proc, sig)

    async def stop(self) -> None:
        """Close stdin, give the peer ``GRACE`` seconds to exit, kill it by PID, reap it."""
        stdin = self.proc.stdin
        graceful = stdin is not None and not stdin.is_closing()
        if graceful:
            assert stdin is not None
            stdin.close()
        await reap(self.proc, GRACE if graceful else 0.0)


@contextlib.asynccontextmanager
async def running(*argv: str, **options: Any) -> AsyncIterator[Peer]:
    """``Peer.start(*argv, **options)``, stopped when the block ends."""
    peer = await Peer.start(*argv, **options)
    try:
        yield peer
    finally:
        await peer.stop()


async def process_peer(*argv: str, stdin: bool = False) -> Peer:
    return await Peer.start(*argv, stdin=stdin)


def stop_popen(proc: subprocess.Popen[Any], grace: float = 0.0, sig: int | None = None,
               close: bool = True) -> int:
    """``Peer.stop`` for ``subprocess.Popen``: send ``sig`` (if given) and close stdin, give
    it ``grace`` seconds, kill it by PID; close its pipes unless told not to; its status."""
    if sig is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    if grace > 0:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
    status = proc.wait(TIMEOUT)
    if close:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return status
