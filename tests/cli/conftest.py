"""Running ``python -m nodetls`` and its peers as real processes.

Every process is bounded: ``run`` by ``subprocess.run``'s timeout, a ``Background``
process by the deadline of each line it is asked for, and killed by its own PID when
the test ends.  Readiness is a printed line (``listening on ...``, ``ACCEPT ...``),
never a sleep.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.openssl import openssl
from tests.support.procs import stop_popen

NODETLS = [sys.executable, "-m", "nodetls"]
LINE_TIMEOUT = 15.0
RUN_TIMEOUT = 30.0
_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def run(args: Sequence[str], *, input: bytes = b"",
        timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(args), input=input, capture_output=True, timeout=timeout,
                          env=_ENV)


def nodetls(*args: str, input: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return run([*NODETLS, *args], input=input)


class Background:
    """A long-running process whose stdout (and stderr) lines are read with deadlines."""

    def __init__(self, args: Sequence[str], *, merge_stderr: bool = False) -> None:
        self.proc = subprocess.Popen(
            list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE, env=_ENV)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.stderr: list[bytes] = []
        self.readers = [threading.Thread(target=self._read, daemon=True)]
        if self.proc.stderr is not None:  # drained, so the child never blocks on it
            self.readers.append(threading.Thread(target=self._read_stderr, daemon=True))
        for reader in self.readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw)

    def _output(self) -> str:
        return f"stdout: {self.seen}; stderr: {b''.join(self.stderr).decode('utf-8', 'replace')}"

    def expect(self, pattern: str, timeout: float = LINE_TIMEOUT) -> re.Match[str]:
        """The first new line matching ``pattern``; fails with what was seen instead."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self.proc.wait(timeout=5)
                pytest.fail(f"process exited ({self.proc.returncode}) before {pattern!r}; "
                            + self._output())
            self.seen.append(line)
            if match := re.search(pattern, line):
                return match
        pytest.fail(f"no line matching {pattern!r} within {timeout}s; " + self._output())

    def stop(self, sig: int = signal.SIGTERM) -> int:
        status = stop_popen(self.proc, grace=10, sig=sig, close=False)
        for reader in self.readers:  # all output is in once stop() returns
            reader.join(timeout=10)
        return status

    def close(self) -> None:
        """SIGTERM first, so a server removes its certificate file; SIGKILL if it hangs."""
        self.stop(signal.SIGTERM)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def background() -> Iterator[list[Background]]:
    """Start processes with ``background.append(Background(...))``; all are killed."""
    started: list[Background] = []
    try:
        yield started
    finally:
        for proc in started:
            proc.close()


class NodetlsServer:
    """``python -m nodetls server --port 0`` with its printed port and certificate."""

    def __init__(self, proc: Background) -> None:
        self.proc = proc
        cert = proc.expect(r"written to (\S+) ")
        self.cert_path = Path(cert.group(1))
        self.port = int(proc.expect(r"^listening on 127\.0\.0\.1:(\d+) ").group(1))


@pytest.fixture
def nodetls_server(background: list[Background]) -> Iterator[NodetlsServer]:
    proc = Background([*NODETLS, "server", "--port", "0"])
    background.append(proc)
    yield NodetlsServer(proc)


@pytest.fixture(scope="session")
def openssl_self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for ``localhost`` made by the openssl CLI."""
    tmp = tmp_path_factory.mktemp("openssl-cert")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
            "-subj", "/CN=s_server.test", "-addext", "subjectAltName=DNS:localhost",
            cwd=tmp)
    return tmp / "key.pem", tmp / "cert.pem"
