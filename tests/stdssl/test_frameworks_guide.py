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
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tlsutil import Certs

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _spawn(code: str, cwd: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-u", "-c", code, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, 9)
    await asyncio.wait_for(proc.wait(), TIMEOUT)


@contextlib.asynccontextmanager
async def running_server(name: str, code: str, cwd: Path) -> AsyncIterator[None]:
    proc = await _spawn(code, cwd)
    try:
        assert proc.stdout is not None
        seen = b""
        while READY[name] not in seen:
            line = await asyncio.wait_for(proc.stdout.readline(), TIMEOUT)
            assert line, f"{name} example exited: {seen.decode(errors='replace')}"
            seen += line
        yield
    finally:
        await _stop(proc)


async def run_client(code: str, cwd: Path) -> str:
    proc = await _spawn(code, cwd)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    finally:
        await _stop(proc)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode()


def test_the_guide_has_the_five_examples() -> None:
    assert sorted(examples()) == ["aiohttp", "httpx", "requests", "trio", "uvicorn"]


@pytest.mark.async_timeout(80)
async def test_the_guides_examples_run_as_written(certs: Certs, tmp_path: Path) -> None:
    for name, data in (("key.pem", certs.key), ("cert.pem", certs.cert), ("ca.pem", certs.ca)):
        (tmp_path / name).write_bytes(data)
    port = str(_free_port())
    code = {name: text.replace("8443", port) for name, text in examples().items()}
    async with running_server("aiohttp", code["aiohttp"], tmp_path):
        for client in ("httpx", "requests", "trio"):
            assert await run_client(code[client], tmp_path) == "hello from aiohttp on nodetls\n"
    async with running_server("uvicorn", code["uvicorn"], tmp_path):
        assert await run_client(code["httpx"], tmp_path) == "hello from uvicorn on nodetls\n"
