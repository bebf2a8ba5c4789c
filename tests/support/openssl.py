"""The ``openssl`` CLI as a tool and as a peer.

* ``openssl(*args)``: one blocking run (bounded by ``OPENSSL_TIMEOUT``; ``subprocess.run``
  kills it by PID on expiry); its stdout + stderr (or stdout alone) as text.  A failure raises
  ``RuntimeError`` with OpenSSL's stderr unless ``check=False``.
* ``s_client(port, *args)``: one ``openssl s_client`` connection with ``-ign_eof`` (it
  waits for the server's close, so TLS 1.3 tickets have arrived before ``-sess_out`` is
  written); its output.
* ``s_client_renegotiating(port)``: ``openssl s_client -tls1_2`` kept open; the block gets
  a ``renegotiate()`` that sends ``R`` and waits for s_client's RENEGOTIATING line.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.support.procs import STDOUT, Peer

OPENSSL = shutil.which("openssl") or "openssl"
OPENSSL_TIMEOUT = 30.0
S_CLIENT_TIMEOUT = 5.0


def openssl(*args: str | Path, cwd: Path | None = None, check: bool = True,
            input: bytes | None = None, with_stderr: bool = True) -> str:
    proc = subprocess.run([OPENSSL, *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, timeout=OPENSSL_TIMEOUT)
    out, err = (proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
    if check and proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(map(str, args))} failed:\n{err}")
    return out + err if with_stderr else out


async def s_client(port: int, *args: str) -> str:
    """``openssl s_client`` output (stdout + stderr) for one connection."""
    peer = await Peer.start(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof",
                            *args, stdin=False, stderr=STDOUT)
    try:
        out, _ = await peer.output(S_CLIENT_TIMEOUT)
    finally:
        await peer.stop()
    return out.decode(errors="replace")


@contextlib.asynccontextmanager
async def s_client_renegotiating(port: int) -> AsyncIterator[Any]:
    """``openssl s_client -tls1_2`` with stdin open; ``renegotiate()`` sends ``R`` and
    waits for its RENEGOTIATING line."""
    peer = await Peer.start(OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                            stderr=STDOUT)
    proc = peer.proc
    assert proc.stdin is not None and proc.stdout is not None
    stdout = proc.stdout

    async def until(marker: str) -> None:
        while True:
            line = await asyncio.wait_for(stdout.readline(), S_CLIENT_TIMEOUT)
            assert line, f"s_client ended before {marker!r}"
            if marker in line.decode(errors="replace"):
                return

    async def renegotiate() -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"R\n")
        await until("RENEGOTIATING")

    try:
        await until("Verify return code")
        yield renegotiate
    finally:
        peer.kill()  # s_client would renegotiate or quit on its stdin's EOF: no grace
        await peer.stop()


def reused_line(output: str) -> str:
    """s_client's "New, TLSv1.3, Cipher is ..." / "Reused, ..." line."""
    for line in output.splitlines():
        if line.startswith(("New,", "Reused,")):
            return line
    raise AssertionError(f"no New/Reused line in s_client output:\n{output[-2000:]}")
