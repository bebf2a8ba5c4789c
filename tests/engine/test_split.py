"""Ciphertext cut anywhere: every offset, one byte at a time, and random pieces.

TLS records arrive over TCP in arbitrary pieces; the engine must not care.  Splitting
every flight at every offset ``k`` costs one handshake per ``k``; feeding one byte at a
time checks every boundary of every flight in a single handshake, so both are run.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator

import pytest

from nodetls.engine import CloseNotify, ConnectionState

from .pair import Pair

S = ConnectionState
VERSIONS = ["TLSv1.2", "TLSv1.3"]


def at(k: int):
    def split(data: bytes) -> Iterable[bytes]:
        return (data[:k], data[k:]) if 0 < k < len(data) else (data,)

    return split


def bytewise(data: bytes) -> Iterator[bytes]:
    return (data[i : i + 1] for i in range(len(data)))


def exchange(pair: Pair, split) -> None:
    """Handshake, data both ways, close both ways, every flight through ``split``."""
    pair.start()
    pair.pump(split)
    pair.client.send(b"hello server")
    pair.server.send(b"hello client")
    pair.pump(split)
    pair.client.shutdown()
    pair.pump(split)
    pair.server.shutdown()
    pair.pump(split)
    assert pair.client.state is S.CLOSED and pair.server.state is S.CLOSED
    assert pair.received(pair.server) == b"hello server"
    assert pair.received(pair.client) == b"hello client"
    assert len(pair.of(pair.client, CloseNotify)) == len(pair.of(pair.server, CloseNotify)) == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_one_byte_at_a_time(client_ctx, server_ctx, version: str) -> None:
    exchange(Pair(client_ctx(max_version=version), server_ctx()), bytewise)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_offset(client_ctx, ec_server_ctx, version: str) -> None:
    probe = Pair(client_ctx(max_version=version), ec_server_ctx())
    exchange(probe, at(0))
    longest = max(len(chunk) for side in probe.wire.values() for chunk in side)
    client, server = client_ctx(max_version=version), ec_server_ctx()
    for k in range(1, longest + 1):
        exchange(Pair(client, server), at(k))


@pytest.mark.parametrize("version", VERSIONS)
def test_random_chunks(client_ctx, server_ctx, version: str) -> None:
    seed = random.randrange(2**32)
    print(f"seed={seed}")
    rng = random.Random(seed)

    def pieces(data: bytes) -> Iterator[bytes]:
        pos = 0
        while pos < len(data):
            step = rng.choice([1, 2, 3, 5, 13, 100, 1000, 5000, 17000, 70000])
            yield data[pos : pos + step]
            pos += step

    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.start()
    pair.pump(pieces)
    payload = rng.randbytes(600_000)
    pair.client.send(payload)
    pair.server.send(payload[::-1])
    pair.pump(pieces)
    pair.client.shutdown()
    pair.pump(pieces)
    assert hashlib.sha256(pair.received(pair.server)).digest() == hashlib.sha256(payload).digest()
    assert pair.received(pair.client) == payload[::-1]
    assert pair.server.state is S.RECEIVED_CLOSE


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("sizes", [
    [600_000 + 10_000],  # everything, close_notify too, in one piece: the output fills up
    [16_384, 5, 1, 16_379, 70_000, 3, 20_000, 16_383, 1, 40_000],  # records cut anywhere
    [2, 16_390, 17, 33_000],  # a piece read in place while the last one left bytes behind
])
def test_large_pieces_are_read_in_place(client_ctx, server_ctx, version: str,
                                        sizes: list[int]) -> None:
    """Pieces of 16 KiB and more are decrypted straight from the caller's buffer (the
    binding's in-place read); whatever a piece leaves of a record, and the pieces too
    small for that path, must join up exactly."""

    def pieces(data: bytes) -> Iterator[bytes]:
        pos = 0
        for step in sizes:
            if pos >= len(data):
                return
            yield data[pos : pos + step]
            pos += step
        while pos < len(data):  # the rest in the largest size
            yield data[pos : pos + max(sizes)]
            pos += max(sizes)

    pair = Pair(client_ctx(max_version=version), server_ctx())
    pair.handshake()
    payload = random.Random(7).randbytes(600_000)
    pair.client.send(payload)
    pair.client.shutdown()
    pair.pump(pieces)
    assert pair.received(pair.server) == payload
    assert len(pair.of(pair.server, CloseNotify)) == 1
    assert pair.server.state is S.RECEIVED_CLOSE
