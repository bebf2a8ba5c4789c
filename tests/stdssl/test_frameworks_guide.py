"""Runs the five examples of ``docs/guides/frameworks.md`` exactly as written.

Each ``## <library>`` section's ``python`` block is extracted; the only change is the
port (``8443`` becomes a free one).  The aiohttp and uvicorn servers run as
subprocesses (ready once they print that they are running); the httpx, requests and
trio clients run against them and must print the server's greeting.  Every process is
bounded in time and stopped by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.certs import Certs, free_port
from tests.support.procs import STDOUT, Peer

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "frameworks.md"
TIMEOUT = 20.0
READY = {"aiohttp": b"Running on https://127.0.0.1:", "uvicorn": b"Uvicorn running on https://"}

pytestmark = pytest.mark.timeout(90)


def examples() -> dict[str, str]:
    """``{library: code}`` for every ``## library`` section with a python block."""
    text = GUIDE.read_text()
    found = re.findall(r"^## (\w+)\n(?:(?!^## ).)*?```python\n(.*?)```", text, re.M | re.S)
    return dict(found)


async def _spawn(code: str, cwd: Path) -> Peer:
    return await Peer.start(sys.executable, "-u", "-c", code, cwd=str(cwd), stdin=False,
                            stderr=STDOUT, env={"PYTHONPATH": str(ROOT / "src")})


@contextlib.asynccontextmanager
async def running_server(name: str, code: str, cwd: Path) -> AsyncIterator[None]:
    peer = await _spawn(code, cwd)
    proc = peer.proc
    try:
        assert proc.stdout is not None
        seen = b""
        while READY[name] not in seen:
            line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
            assert line, f"{name} example exited: {seen.decode(errors='replace')}"
            seen += line
        yield
    finally:
        await peer.stop()


async def run_client(code: str, cwd: Path) -> str:
    peer = await _spawn(code, cwd)
    proc = peer.proc
    try:
        out, _ = await peer.output(TIMEOUT)
    finally:
        await peer.stop()
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode()


def test_the_guide_has_the_five_examples() -> None:
    assert sorted(examples()) == ["aiohttp", "httpx", "requests", "trio", "uvicorn"]


@pytest.mark.async_timeout(80)
async def test_the_guides_examples_run_as_written(certs: Certs, tmp_path: Path) -> None:
    for name, data in (("key.pem", certs.key), ("cert.pem", certs.cert), ("ca.pem", certs.ca)):
        (tmp_path / name).write_bytes(data)
    port = str(free_port())
    code = {name: text.replace("8443", port) for name, text in examples().items()}
    async with running_server("aiohttp", code["aiohttp"], tmp_path):
        for client in ("httpx", "requests", "trio"):
            assert await run_client(code[client], tmp_path) == "hello from aiohttp on nodetls\n"
    async with running_server("uvicorn", code["uvicorn"], tmp_path):
        assert await run_client(code["httpx"], tmp_path) == "hello from uvicorn on nodetls\n"
