"""Fixtures for the layer-3 tests: connected Duplex pairs of every kind (the
uncaught-exception guard is ``tests/conftest.py``'s autouse ``uncaught``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from nodetls.node import Duplex, DuplexHandle, Socket, duplex_pair, net


async def tcp_pair(
    *, allow_half_open: bool = False, host: str = "127.0.0.1"
) -> tuple[Duplex, Duplex]:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server = net.create_server(accepted.set_result, allow_half_open=allow_half_open)
    await server.listen(0, host)
    address = server.address()
    assert isinstance(address, dict)
    client = await net.connect(address["port"], host, allow_half_open=allow_half_open)
    remote = await accepted
    server.close()
    return client, remote


async def unix_pair(
    path: Path, *, allow_half_open: bool = False
) -> tuple[Duplex, Duplex]:
    accepted: asyncio.Future[Socket] = asyncio.get_running_loop().create_future()
    server = net.create_server(accepted.set_result, allow_half_open=allow_half_open)
    await server.listen(path=str(path))
    client = await net.connect(path=str(path), allow_half_open=allow_half_open)
    remote = await accepted
    server.close()
    return client, remote


async def memory_pair(*, allow_half_open: bool = False) -> tuple[Duplex, Duplex]:
    return duplex_pair(allow_half_open=allow_half_open)


async def socket_over_memory_pair(*, allow_half_open: bool = False) -> tuple[Duplex, Duplex]:
    x, y = duplex_pair()
    a = Socket(handle=DuplexHandle(x), allow_half_open=allow_half_open)
    b = Socket(handle=DuplexHandle(y), allow_half_open=allow_half_open)
    return a, b


class UnixPairFactory:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    async def __call__(self, *, allow_half_open: bool = False) -> tuple[Duplex, Duplex]:
        self.count += 1
        path = self.directory / f"s{self.count}.sock"
        return await unix_pair(path, allow_half_open=allow_half_open)


@pytest.fixture(params=["tcp", "unix", "memory", "socket-over-memory"])
def make_pair(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    kind = request.param
    if kind == "tcp":
        return tcp_pair
    if kind == "unix":
        return UnixPairFactory(tmp_path)
    if kind == "memory":
        return memory_pair
    return socket_over_memory_pair
